/**
 * The training variants (src/training/variants): start-state curricula, shaping, grip bonus, floor-grasp inverse
 * kinematics, assist forces and re-get-up time for Insert Peg, the humanoid and the walls corridor; their
 * registration beside the faithful tasks; and that with none of their options set they are the faithful task.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachContact, loadMujoco, type Mujoco } from '../src/physics/mujoco';
import { Rng } from '../src/util/rng';
import { ManipulatorInsertPeg, pegRewardTerms } from '../src/envs/manipulator';
import { HumanoidTask, humanoidRewardTerms } from '../src/envs/humanoid';
import { HumanoidWallsTask } from '../src/envs/humanoid-walls';
import { listTasks, listVariants, makeTask, usesVariant, variantOf } from '../src/envs/registry';
import { VecEnv } from '../src/envs/vec-env';
import {
  ManipulatorInsertPegTraining, SHAPING_MARGIN, HOLD_MARGIN, LIFT_HEIGHT, carryShaping, stagedShaping, gripTerm, NEAR_PEG_HEIGHT,
  PREGRASP_HEIGHT, NEAR_PEG_REACH,
} from '../src/training/variants/manipulator';
import { HumanoidTaskTraining, initializeBlendedPose, slerp } from '../src/training/variants/humanoid';
import { GAP_EDGE_MARGIN, HumanoidWallsTraining, wallsUprightReward } from '../src/training/variants/humanoid-walls';
import { graspReach } from '../src/training/cli/peg-census';
import '../src/training/variants';

/** Asserts that two tasks reset from the same seeds reach identical states (an option left off changes nothing). */
function assertSameStarts(a: ManipulatorInsertPeg, b: ManipulatorInsertPeg, seeds: number[]): void {
  for (const seed of seeds) {
    a.reset(new Rng(seed));
    b.reset(new Rng(seed));
    assert.deepEqual(Array.from(a.getState()), Array.from(b.getState()));
  }
}

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

let mj: Mujoco;
test('setup', async () => {
  mj = await loadMujoco();
});

test('training variants are registered beside their faithful tasks, labelled shaped, and only their options select them', async () => {
  const variants = listVariants();
  const faithful = listTasks().map((e) => e.name);
  assert.deepEqual(variants.map((v) => v.task).sort(), ['humanoid-run', 'humanoid-stand', 'humanoid-walk', 'humanoid-walls', 'manipulator-insert-peg']);
  for (const v of variants) {
    assert.ok(faithful.includes(v.task), `${v.name} varies an unregistered task`);
    assert.equal(v.name, `${v.task}/training`);
    assert.equal(v.shaped, true, `${v.name} must say that its reward is shaped`);
    assert.ok(!faithful.includes(v.name), 'variants are not listed among the faithful tasks');
    assert.equal(variantOf(v.task), v);
    assert.ok(Object.keys(v.options).length > 0);
  }
  // undefined values do not count as set (as the option checker ignores them).
  assert.equal(usesVariant('humanoid-run', { initialPose: undefined, episodeLength: 5 }), false);
  assert.equal(usesVariant('humanoid-run', { initialPose: 'upright' }), true);
  assert.equal(usesVariant('cartpole-swingup', { episodeLength: 5 }), false);
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, Function, Function]> = [
    ['manipulator-insert-peg', { camera: false }, { camera: false, pInHand: 0.5 }, ManipulatorInsertPeg, ManipulatorInsertPegTraining],
    ['humanoid-run', { getUpSteps: 50 }, { assistForce: 0.3 }, HumanoidTask, HumanoidTaskTraining],
    ['humanoid-walls', { camera: false }, { camera: false, uprightShaping: true }, HumanoidWallsTask, HumanoidWallsTraining],
  ];
  for (const [name, plainOptions, trainingOptions, Faithful, Variant] of cases) {
    const plain = await makeTask(name, plainOptions);
    const shaped = await makeTask(name, trainingOptions);
    try {
      assert.equal(plain.constructor, Faithful, `${name} without training options is the faithful task`);
      assert.ok(shaped instanceof Variant, `${name} with training options is its variant`);
    } finally {
      plain.close();
      shaped.close();
    }
  }
  // Unknown options still name every accepted one, the training options included; mistyped ones are refused.
  await assert.rejects(makeTask('manipulator-insert-peg', { pInHnd: 0.5 }), /unknown task option 'pInHnd' for task manipulator-insert-peg; accepted: shapedReward .*episodeLength \(integer\)/);
  await assert.rejects(makeTask('humanoid-walls', { aliveBonus: 'yes' }), /task option 'aliveBonus' of humanoid-walls must be number/);
});

test('a training variant with none of its options set is the faithful task: same starts, observations, rewards, failures', async () => {
  const pairs: Array<[string, () => { a: { reset(r: Rng): void; step(x: ArrayLike<number>): { reward: number }; observe(): Record<string, Float32Array>; getState(): Float64Array; failed(): boolean; close(): void }; b: any }]> = [
    ['manipulator-insert-peg', () => ({ a: new ManipulatorInsertPeg(mj, { camera: false }), b: new ManipulatorInsertPegTraining(mj, { camera: false }) })],
    ['humanoid-walk', () => ({ a: new HumanoidTask(mj, { moveSpeed: 1 }), b: new HumanoidTaskTraining(mj, { moveSpeed: 1 }) })],
    ['humanoid-walls', () => ({ a: new HumanoidWallsTask(mj, { camera: false }), b: new HumanoidWallsTraining(mj, { camera: false }) })],
  ];
  for (const [name, make] of pairs) {
    const { a, b } = make();
    try {
      for (let e = 0; e < 3; e++) {
        a.reset(new Rng(`same/${e}`));
        b.reset(new Rng(`same/${e}`));
        assert.deepEqual(Array.from(b.getState()), Array.from(a.getState()), `${name} episode ${e}: start`);
        const act = new Rng(`act/${e}`);
        for (let t = 0; t < 15; t++) {
          const x = Array.from({ length: 21 }, () => act.range(-1, 1));
          const ra = a.step(x.slice(0, name.startsWith('manip') ? 5 : 21)).reward;
          const rb = b.step(x.slice(0, name.startsWith('manip') ? 5 : 21)).reward;
          assert.equal(rb, ra, `${name} episode ${e} step ${t}: reward`);
          assert.equal(b.failed(), a.failed());
        }
        assert.deepEqual(Array.from(b.getState()), Array.from(a.getState()), `${name} episode ${e}: state`);
        const oa = a.observe(), ob = b.observe();
        for (const g of Object.keys(oa)) assert.deepEqual(Array.from(ob[g]), Array.from(oa[g]), `${name}: ${g}`);
      }
    } finally {
      a.close();
      b.close();
    }
  }
});

test('VecEnv worker threads build the same training variants as the calling thread', async () => {
  const taskOptions = { camera: false, episodeLength: 20, shapedReward: 'staged', pInHand: 0.6, graspInHand: true };
  const run = async (workers: number): Promise<number[]> => {
    const vec = await VecEnv.create({ task: 'manipulator-insert-peg', numEnvs: 2, workers, seed: 3, taskOptions });
    try {
      await vec.reset();
      const rewards: number[] = [];
      const act = new Rng('vec-actions');
      for (let t = 0; t < 8; t++) {
        const step = await vec.step(Float32Array.from({ length: 2 * 5 }, () => act.range(-1, 1)));
        rewards.push(...step.reward);
      }
      return rewards;
    } finally {
      await vec.close();
    }
  };
  const local = await run(0);
  const threaded = await run(2);
  assert.deepEqual(threaded, local);
  // And the worker built the variant, not the faithful task: the faithful task's rewards over the same seeds differ.
  const vec = await VecEnv.create({ task: 'manipulator-insert-peg', numEnvs: 2, workers: 2, seed: 3, taskOptions: { camera: false, episodeLength: 20 } });
  try {
    await vec.reset();
    const act = new Rng('vec-actions');
    const faithful: number[] = [];
    for (let t = 0; t < 8; t++) faithful.push(...(await vec.step(Float32Array.from({ length: 2 * 5 }, () => act.range(-1, 1)))).reward);
    assert.notDeepEqual(threaded, faithful);
  } finally {
    await vec.close();
  }
});

test('the faithful task files never import the training layer', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dir = path.join(__dirname, '..', '..', 'src', 'envs');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('manipulator.ts') && files.includes('humanoid.ts'));
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.doesNotMatch(text, /from '\.\.\/training|import '\.\.\/training/, `src/envs/${f} imports the training layer`);
  }
});

test('manipulator: training-only shapedReward is the mean of the true reward and its 30 cm-margin twin', async () => {
  const mjs = await loadMujoco();
  const plain = new ManipulatorInsertPegTraining(mjs, { camera: false });
  const shaped = new ManipulatorInsertPegTraining(mjs, { camera: false, shapedReward: true });
  try {
    assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, shapedReward: 'yes' as any }), /shapedReward must be true, false, 'carry' or 'staged'/);
    const r1 = new Rng(21), r2 = new Rng(21), act = new Rng(22);
    let paidOnlyWhenShaped = 0;
    for (let e = 0; e < 20; e++) {
      plain.reset(r1);
      shaped.reset(r2);
      for (let t = 0; t < 20; t++) {
        const a = Array.from({ length: 5 }, () => act.range(-1, 1));
        const rp = plain.step(a).reward;
        const rs = shaped.step(a).reward;
        const wide = pegRewardTerms(shaped.arm, SHAPING_MARGIN).reward;
        close(rp, pegRewardTerms(plain.arm).reward, 1e-12);
        close(rs, (rp + wide) / 2, 1e-9);
        // The widened tolerances never pay less than the true ones.
        assert.ok(wide >= rp - 1e-12, `${wide} < ${rp}`);
        if (rp < 1e-6 && rs > 0.01) paidOnlyWhenShaped++;
      }
    }
    assert.ok(paidOnlyWhenShaped > 0, 'shaping should pay where the true reward is ~0');
  } finally {
    plain.close();
    shaped.close();
  }
});

test('manipulator: the start-state curriculum (pInHand, pInTarget) is validated and followed', async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 1.5 }), /pInHand must be in \[0, 1\]/);
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0.6, pInTarget: 0.6 }), /pInHand \+ pInTarget must be <= 1/);
  const task = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0.5, pInTarget: 0.2 });
  try {
    const rng = new Rng(9);
    const counts = { in_hand: 0, in_target: 0, uniform: 0 };
    for (let e = 0; e < 200; e++) {
      task.reset(rng);
      counts[task.initType]++;
    }
    // Binomial(200, 0.5) sd 7; Binomial(200, 0.2) sd 5.7.
    assert.ok(counts.in_hand >= 75 && counts.in_hand <= 125, JSON.stringify(counts));
    assert.ok(counts.in_target >= 20 && counts.in_target <= 60, JSON.stringify(counts));
  } finally {
    task.close();
  }
});

test("manipulator: 'carry' shaping pays for bringing the peg only while it is held", async () => {
  const mjs = await loadMujoco();
  const task = new ManipulatorInsertPegTraining(mjs, { camera: false, shapedReward: 'carry', pInHand: 0.5 });
  try {
    assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, shapedReward: 'push' as any }), /shapedReward must be true, false, 'carry' or 'staged'/);
    const rng = new Rng(23), act = new Rng(24);
    let heldSteps = 0, looseSteps = 0;
    for (let e = 0; e < 10; e++) {
      task.reset(rng);
      for (let t = 0; t < 30; t++) {
        const r = task.step(Array.from({ length: 5 }, () => act.range(-1, 1))).reward;
        const wide = pegRewardTerms(task.arm, SHAPING_MARGIN);
        const hold = pegRewardTerms(task.arm, HOLD_MARGIN);
        const holding = (hold.grasp + hold.pinch) / 2;
        const expected = Math.max(((wide.bring + wide.bringTip) / 2) * holding, (wide.grasp + wide.pinch) / 6);
        close(carryShaping(task.arm), expected, 1e-12);
        close(r, (pegRewardTerms(task.arm).reward + expected) / 2, 1e-9);
        if (holding > 0.5) heldSteps++;
        // Far from the hand, the shaping never exceeds the widened grasping term.
        if (holding < 1e-6) {
          looseSteps++;
          assert.ok(carryShaping(task.arm) <= (wide.grasp + wide.pinch) / 6 + 1e-12);
        }
      }
    }
    assert.ok(heldSteps > 0 && looseSteps > 0, `held ${heldSteps}, loose ${looseSteps}`);
  } finally {
    task.close();
  }
});

test("manipulator: 'staged' shaping pays a lifted peg in the hand above hovering, more the nearer the slot", async () => {
  const mjs = await loadMujoco();
  const task = new ManipulatorInsertPegTraining(mjs, { camera: false, shapedReward: 'staged', pInHand: 1, pInTarget: 0 });
  try {
    const d = (task.arm as any).physics.data;
    const s = task.arm.site;
    const rng = new Rng(31);
    let held = 0, dropped = 0;
    for (let e = 0; e < 12; e++) {
      task.reset(rng);
      // Close the hand and hold the arm still (a PD law on the arm joints): some pegs stay in the hand.
      const q0 = Array.from(task.arm.armQposAdr, (a) => d.qpos[a]);
      for (let t = 0; t < 100; t++) {
        const a = [0, 0, 0, 0, 1];
        for (let i = 0; i < 4; i++) a[i] = Math.max(-1, Math.min(1, 5 * (q0[i] - d.qpos[task.arm.armQposAdr[i]]) - 0.3 * d.qvel[task.arm.armDofAdr[i]]));
        const r = task.step(a).reward;
        const terms = stagedShaping(task.arm);
        close(r, pegRewardTerms(task.arm).reward + terms.total, 1e-9);
        close(terms.total, 0.1 * terms.reach + 0.2 * terms.held + 0.7 * terms.carry, 1e-12);
        const dist = task.arm.siteDistance(s.grasp, s.pegGrasp);
        close(terms.reach, 1 - Math.tanh(10 * dist), 1e-12);
        assert.equal(terms.held, dist < HOLD_MARGIN && task.arm.body2dPose(task.arm.pegId)[1] > LIFT_HEIGHT ? 1 : 0);
        if (terms.held === 0) assert.equal(terms.carry, 0);
        else {
          const b = (task.arm.siteDistance(s.peg, s.target) + task.arm.siteDistance(s.pegTip, s.targetTip)) / 2;
          close(terms.carry, 1 - Math.tanh(3 * b), 1e-12);
          // Holding a lifted peg pays more than the best hovering can (reach 1, nothing else).
          assert.ok(terms.total > 0.1 + 1e-9);
        }
      }
      if (stagedShaping(task.arm).held) held++; else dropped++;
    }
    assert.ok(held > 0 && dropped > 0, `held ${held}, dropped ${dropped}`);
  } finally {
    task.close();
  }
});

test('manipulator: graspInHand closes the hand on an in-hand peg, which then stays held; other starts are untouched', async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, graspInHand: 'yes' as any }), /graspInHand must be true, false or a share in \[0, 1\]/);
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, graspInHand: 1.5 }), /graspInHand must be true, false or a share in \[0, 1\], got 1.5/);
  const gripped = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 1, pInTarget: 0, graspInHand: true });
  const loose = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 1, pInTarget: 0 });
  const other = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0, pInTarget: 0, graspInHand: true });
  const plain = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0, pInTarget: 0 });
  const half = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 1, pInTarget: 0, graspInHand: 0.5 });
  try {
    const keptAfter = (task: ManipulatorInsertPeg): number => {
      const d = (task.arm as any).physics.data;
      let kept = 0;
      for (let e = 0; e < 10; e++) {
        task.reset(new Rng(300 + e));
        if (task === gripped) {
          assert.equal(d.time, 0);
          assert.ok(Array.from(d.ctrl as Float64Array).every((c) => c === 0));
          assert.ok(task.arm.siteDistance(task.arm.site.grasp, task.arm.site.pegGrasp) < 0.02);
        }
        // Close the hand and hold the arm still with a PD law for 1 s.
        const q0 = Array.from(task.arm.armQposAdr, (a) => d.qpos[a]);
        for (let t = 0; t < 100; t++) {
          const a = [0, 0, 0, 0, 1];
          for (let i = 0; i < 4; i++) a[i] = Math.max(-1, Math.min(1, 5 * (q0[i] - d.qpos[task.arm.armQposAdr[i]]) - 0.3 * d.qvel[task.arm.armDofAdr[i]]));
          task.step(a);
        }
        if (task.arm.siteDistance(task.arm.site.grasp, task.arm.site.pegGrasp) < 0.02) kept++;
      }
      return kept;
    };
    const g = keptAfter(gripped), l = keptAfter(loose);
    assert.ok(g >= 9, `graspInHand kept ${g}/10`);
    assert.ok(l <= 6, `dm_control's in-hand start kept ${l}/10 (expected most to fall out)`);
    // Starts that are not in the hand: identical states with and without the option.
    assertSameStarts(other, plain, [50, 51, 52]);
    // A share closes the hand in about that share of the in-hand starts and leaves the rest as dm_control does.
    let closed = 0;
    for (let e = 0; e < 40; e++) {
      half.reset(new Rng(900 + e));
      if (half.handClosedAtStart) closed++;
    }
    assert.ok(closed >= 10 && closed <= 30, `graspInHand 0.5 closed the hand in ${closed} of 40 in-hand starts`);
    gripped.reset(new Rng(5));
    loose.reset(new Rng(5));
    assert.equal(gripped.handClosedAtStart, true);
    assert.equal(loose.handClosedAtStart, false);
  } finally {
    for (const t of [gripped, loose, other, plain, half]) t.close();
  }
});

test('manipulator: gripBonus pays closing the hand while the peg is in it, and nothing otherwise', async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, gripBonus: -1 }), /gripBonus must be a finite number >= 0/);
  const opts = { camera: false, pInHand: 0.5, pInTarget: 0, graspInHand: true, shapedReward: 'staged' as const };
  const plain = new ManipulatorInsertPegTraining(mjs, opts);
  const bonus = new ManipulatorInsertPegTraining(mjs, { ...opts, gripBonus: 0.2 });
  try {
    const act = new Rng(8);
    let near = 0, far = 0;
    for (let e = 0; e < 6; e++) {
      plain.reset(new Rng(60 + e));
      bonus.reset(new Rng(60 + e));
      for (let t = 0; t < 40; t++) {
        const a = Array.from({ length: 5 }, () => act.range(-1.5, 1.5));
        const r0 = plain.step(a).reward;
        const r1 = bonus.step(a).reward;
        const g = Math.max(-1, Math.min(1, a[4]));
        const inHand = bonus.arm.siteDistance(bonus.arm.site.grasp, bonus.arm.site.pegGrasp) < HOLD_MARGIN;
        close(gripTerm(bonus.arm, g), inHand ? (g + 1) / 2 : 0, 1e-12);
        close(r1, r0 + 0.2 * gripTerm(bonus.arm, g), 1e-9);
        if (inHand) near++; else far++;
      }
    }
    assert.ok(near > 0 && far > 0, `in hand ${near}, not ${far}`);
  } finally {
    plain.close();
    bonus.close();
  }
});

test('manipulator: gripMargin pays closing only with the handle in the grip, and opening from there to HOLD_MARGIN', async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, gripBonus: 0.2, gripMargin: 0.2 }), /gripMargin must be in \(0, 0.05\]/);
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, gripMargin: 0.015 }), /gripMargin needs gripBonus > 0/);
  // Open hands backed off 0-8 cm from a floor peg: grasp-site distances on both sides of the margin.
  const opts = { camera: false, pInHand: 0, pInTarget: 0, floorGraspStart: 1, floorGraspBackoff: 0.08, shapedReward: 'staged' as const, gripBonus: 0.2 };
  const wide = new ManipulatorInsertPegTraining(mjs, opts);
  const tight = new ManipulatorInsertPegTraining(mjs, { ...opts, gripMargin: 0.015 });
  try {
    const act = new Rng(9);
    const seen = { grip: 0, open: 0, out: 0 };
    for (let e = 0; e < 6; e++) {
      wide.reset(new Rng(70 + e));
      tight.reset(new Rng(70 + e));
      for (let t = 0; t < 15; t++) {
        const a = Array.from({ length: 5 }, () => act.range(-1, 1));
        const r0 = wide.step(a).reward, r1 = tight.step(a).reward;
        const d = tight.arm.siteDistance(tight.arm.site.grasp, tight.arm.site.pegGrasp);
        const want = d < 0.015 ? (a[4] + 1) / 2 : d < HOLD_MARGIN ? (1 - a[4]) / 2 : 0;
        close(gripTerm(tight.arm, a[4], 0.015), want, 1e-12);
        // Same states (the option changes only the reward): the rewards differ by the two grip terms.
        close(r1 - r0, 0.2 * (want - gripTerm(wide.arm, a[4])), 1e-9);
        seen[d < 0.015 ? 'grip' : d < HOLD_MARGIN ? 'open' : 'out']++;
      }
    }
    assert.ok(seen.grip > 0 && seen.open > 0, `steps in the grip ${seen.grip}, in the opening band ${seen.open}, beyond ${seen.out}`);
  } finally {
    wide.close();
    tight.close();
  }
});

test("manipulator: alignShaping pays the grasp and pinch sites' mean distance to the peg's", async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, alignShaping: { weight: -1, scale: 20 } }), /alignShaping must be/);
  const opts = { camera: false, pInHand: 0, pInTarget: 0, floorGraspStart: 1, floorGraspBackoff: 0.08, shapedReward: 'staged' as const };
  const plain = new ManipulatorInsertPegTraining(mjs, opts);
  const aligned = new ManipulatorInsertPegTraining(mjs, { ...opts, alignShaping: { weight: 0.3, scale: 20 } });
  try {
    const s = aligned.arm.site;
    const act = new Rng(10);
    const values: number[] = [];
    for (let e = 0; e < 3; e++) {
      plain.reset(new Rng(80 + e));
      aligned.reset(new Rng(80 + e));
      for (let t = 0; t < 10; t++) {
        const a = Array.from({ length: 5 }, () => act.range(-1, 1));
        const r0 = plain.step(a).reward, r1 = aligned.step(a).reward;
        const m = (aligned.arm.siteDistance(s.grasp, s.pegGrasp) + aligned.arm.siteDistance(s.pinch, s.pegPinch)) / 2;
        const terms = stagedShaping(aligned.arm, { align: { weight: 0.3, scale: 20 } });
        close(terms.align, 1 - Math.tanh(20 * m), 1e-12);
        close(r1 - r0, 0.3 * terms.align, 1e-9);
        values.push(terms.align);
      }
    }
    // Hands within 8 cm of the handle: the stage pays, and it varies with the hand's pose.
    assert.ok(Math.max(...values) > 0.3 && Math.max(...values) - Math.min(...values) > 0.05, `align values ${values.map((v) => v.toFixed(2)).join(' ')}`);
  } finally {
    plain.close();
    aligned.close();
  }
});

test('manipulator: inHandTargetBlend places the slot along the held peg (backed out), then towards the drawn pose', async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, inHandTargetBlend: 1.5 }), /inHandTargetBlend must be in \[0, 1\]/);
  const blended = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 1, pInTarget: 0, inHandTargetBlend: 1 });
  const half = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0.5, pInTarget: 0.1, inHandTargetBlend: 0.5 });
  const plain = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0.5, pInTarget: 0.1 });
  try {
    const s = blended.arm.site;
    const d = (blended.arm as any).physics.data;
    const rows: Array<[number, number, number]> = [];
    for (let e = 0; e < 60; e++) {
      blended.reset(new Rng(e));
      assert.equal(blended.initType, 'in_hand');
      const alpha = blended.targetBlend;
      assert.ok(alpha >= 0 && alpha <= 1, `alpha ${alpha}`);
      // The held peg is in dm_control's slot range and nothing penetrates more than touching depth.
      const target = blended.observe().target_pos as Float32Array;
      forEachContact(d, (_g1, _g2, dist) => { assert.ok(dist > -1e-4, `contact at depth ${dist}`); });
      const b = (blended.arm.siteDistance(s.peg, s.target) + blended.arm.siteDistance(s.pegTip, s.targetTip)) / 2;
      // Up to alpha 0.5 the slot lies on the peg's axis, 2 alpha x 8 cm along it: both site pairs are that far apart.
      if (alpha <= 0.5) close(b, 0.16 * alpha, 2e-3);
      rows.push([alpha, b, pegRewardTerms(blended.arm).reward]);
      assert.ok(target.every(Number.isFinite));
    }
    const inserted = rows.filter((r) => r[1] < 0.005);
    assert.ok(inserted.length >= 1 && inserted.every((r) => r[2] > 0.9), `near-inserted starts ${JSON.stringify(inserted)}`);
    assert.ok(rows.some((r) => r[0] > 0.5 && r[1] > 0.1), 'no far blends');
    // Share 0.5 of the in-hand starts blended; no other start changes.
    let blends = 0, inHand = 0;
    for (let e = 0; e < 80; e++) {
      half.reset(new Rng(1000 + e));
      plain.reset(new Rng(1000 + e));
      if (half.initType === 'in_hand') { inHand++; if (half.targetBlend >= 0) blends++; }
      else assert.equal(half.targetBlend, -1);
    }
    assert.ok(blends > 0.25 * inHand && blends < 0.75 * inHand, `blended ${blends} of ${inHand} in-hand starts`);
    const none = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0.5, pInTarget: 0.1, inHandTargetBlend: 0 });
    try {
      assertSameStarts(none, plain, [70, 71, 72, 73, 74]);
    } finally {
      none.close();
    }
  } finally {
    for (const t of [blended, half, plain]) t.close();
  }
});

test('manipulator: inHandTargetAlpha narrows the blend alpha; the default range keeps the starts as they were', async () => {
  const mjs = await loadMujoco();
  for (const bad of [[0.5, 0.2], [-0.1, 0.5], [0, 1.2], [0.3]] as unknown as [number, number][]) {
    assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, inHandTargetBlend: 1, inHandTargetAlpha: bad }), /inHandTargetAlpha must be \[lo, hi\] with 0 <= lo <= hi <= 1/);
  }
  const base = { camera: false, pInHand: 1, pInTarget: 0, inHandTargetBlend: 1 };
  const narrow = new ManipulatorInsertPegTraining(mjs, { ...base, inHandTargetAlpha: [0.2, 0.4] });
  const full = new ManipulatorInsertPegTraining(mjs, { ...base, inHandTargetAlpha: [0, 1] });
  const plain = new ManipulatorInsertPegTraining(mjs, base);
  try {
    const s = narrow.arm.site;
    for (let e = 0; e < 12; e++) {
      narrow.reset(new Rng(e));
      const alpha = narrow.targetBlend;
      assert.ok(alpha >= 0.2 && alpha <= 0.4, `alpha ${alpha}`);
      // Backed out along the peg's axis by 2 alpha x 8 cm: 3.2-6.4 cm.
      const b = (narrow.arm.siteDistance(s.peg, s.target) + narrow.arm.siteDistance(s.pegTip, s.targetTip)) / 2;
      close(b, 0.16 * alpha, 2e-3);
    }
    assertSameStarts(full, plain, [5, 6, 7]);
  } finally {
    for (const t of [narrow, full, plain]) t.close();
  }
});

test('manipulator: nearPegStart lays the peg on the floor by a low hand, and only in its share of floor starts', async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, nearPegStart: -0.1 }), /nearPegStart must be in \[0, 1\]/);
  const near = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0, pInTarget: 0, nearPegStart: 1 });
  const half = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0.4, pInTarget: 0.1, nearPegStart: 0.5 });
  const plain = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0.4, pInTarget: 0.1 });
  const none = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0.4, pInTarget: 0.1, nearPegStart: 0 });
  try {
    const s = near.arm.site;
    const d = (near.arm as any).physics.data;
    for (let e = 0; e < 20; e++) {
      near.reset(new Rng(300 + e));
      assert.ok(near.nearPeg && near.initType === 'uniform');
      assert.equal(d.ncon, 0);
      const grasp = [d.site_xpos[3 * s.grasp], d.site_xpos[3 * s.grasp + 2]];
      const peg = near.arm.body2dPose(near.arm.pegId);
      assert.ok(grasp[1] >= 0 && grasp[1] <= NEAR_PEG_HEIGHT, `hand at height ${grasp[1]}`);
      assert.ok(Math.abs(peg[0] - grasp[0]) <= NEAR_PEG_REACH + 1e-9, `peg ${peg[0]} vs hand ${grasp[0]}`);
      // Lying at rest just above the floor: its axis horizontal (a quarter turn: quaternion w = +-sqrt(1/2)), nothing moving.
      assert.ok(peg[1] < 0.03 && Math.abs(Math.abs(peg[2]) - Math.SQRT1_2) < 1e-9, `peg pose ${Array.from(peg)}`);
      assert.ok(Array.from(d.qvel as Float64Array).every((v) => v === 0));
      // It settles on the floor rather than falling through or flying off.
      for (let k = 0; k < 30; k++) near.step([0, 0, 0, 0, 0]);
      const after = near.arm.body2dPose(near.arm.pegId);
      assert.ok(after[1] > -0.01 && after[1] < 0.05 && Math.abs(after[0] - peg[0]) < 0.05, `settled at ${Array.from(after)}`);
    }
    // A slot drawn beside the arm's root blocks every low arm pose: the slot is redrawn with the arm (one stream
    // reached such a slot at its 264th start, when only the arm was redrawn).
    const stream = new Rng(1);
    for (let e = 0; e < 300; e++) near.reset(stream);
    // A share 0.5 of the floor starts; the in-hand and in-slot shares unchanged; off, the streams are dm_control's.
    const counts = { near: 0, floor: 0, hand: 0, plainHand: 0 };
    for (let e = 0; e < 200; e++) {
      half.reset(new Rng(2000 + e));
      plain.reset(new Rng(2000 + e));
      if (half.initType === 'uniform') { counts.floor++; if (half.nearPeg) counts.near++; } else assert.equal(half.nearPeg, false);
      if (half.initType === 'in_hand') counts.hand++;
      if (plain.initType === 'in_hand') counts.plainHand++;
    }
    assert.ok(counts.near > 0.3 * counts.floor && counts.near < 0.7 * counts.floor, JSON.stringify(counts));
    assert.ok(Math.abs(counts.hand - counts.plainHand) < 30, JSON.stringify(counts));
    assertSameStarts(none, plain, [70, 71, 72, 73, 74]);
  } finally {
    for (const t of [near, half, plain, none]) t.close();
  }
});

test('manipulator: pregraspShare lays the peg between the open fingers of a low hand, in its share of near-peg starts', async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, nearPegStart: 0.5, pregraspShare: 1.5 }), /pregraspShare must be in \[0, 1\]/);
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, pregraspShare: 0.5 }), /pregraspShare needs nearPegStart > 0/);
  const pre = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0, pInTarget: 0, nearPegStart: 1, pregraspShare: 1 });
  const half = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0, pInTarget: 0, nearPegStart: 1, pregraspShare: 0.5 });
  try {
    const s = pre.arm.site;
    const d = (pre.arm as any).physics.data;
    let kept = 0;
    for (let e = 0; e < 12; e++) {
      pre.reset(new Rng(700 + e));
      assert.ok(pre.nearPeg && pre.pregrasp);
      assert.equal(d.ncon, 0);
      // The peg's grasp site is the hand's grasp site, low, and the peg near horizontal.
      assert.ok(pre.arm.siteDistance(s.grasp, s.pegGrasp) < 1e-6);
      const peg = pre.arm.body2dPose(pre.arm.pegId);
      assert.ok(peg[1] >= PREGRASP_HEIGHT[0] - 1e-9 && peg[1] <= PREGRASP_HEIGHT[1] + 1e-9, `peg at height ${peg[1]}`);
      // Closing the hand with the arm still keeps it there in some starts (grasp site within 1 cm after 100 steps).
      for (let k = 0; k < 100; k++) pre.step([0, 0, 0, 0, 1]);
      if (pre.arm.siteDistance(s.grasp, s.pegGrasp) < 0.01) kept++;
      assert.ok(pre.arm.body2dPose(pre.arm.pegId)[1] > -0.01, 'the peg stays above the floor');
    }
    assert.ok(kept >= 3, `closing the hand kept the peg in ${kept} of 12 starts`);
    let n = 0;
    for (let e = 0; e < 100; e++) { half.reset(new Rng(900 + e)); if (half.pregrasp) n++; }
    assert.ok(n > 30 && n < 70, `${n} of 100 near-peg starts were pregrasp ones at a share of 0.5`);
  } finally {
    pre.close();
    half.close();
  }
});

test('manipulator: floorGraspStart places the hand around a settled floor peg in the in-hand grip; closed, it lifts the peg', async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, floorGraspStart: 2 }), /floorGraspStart must be in \[0, 1\]/);
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, floorGraspStart: 1, floorGraspBackoff: 0.5 }), /floorGraspBackoff must be in \[0, 0.3\]/);
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, floorGraspClosed: 0.5 }), /need floorGraspStart > 0/);
  const base = { camera: false, pInHand: 0, pInTarget: 0, floorGraspStart: 1 };
  const open = new ManipulatorInsertPegTraining(mjs, base);
  const closed = new ManipulatorInsertPegTraining(mjs, { ...base, floorGraspClosed: 1 });
  const backed = new ManipulatorInsertPegTraining(mjs, { ...base, floorGraspBackoff: 0.08 });
  const plain = new ManipulatorInsertPegTraining(mjs, { camera: false });
  const none = new ManipulatorInsertPegTraining(mjs, { camera: false, floorGraspStart: 0 });
  const grasping = (t: ManipulatorInsertPeg) => { const r = pegRewardTerms(t.arm); return (r.grasp + r.pinch) / 2; };
  try {
    const s = open.arm.site;
    for (let e = 0; e < 6; e++) {
      open.reset(new Rng(4000 + e));
      assert.ok(open.floorGrasp && open.initType === 'uniform' && open.floorGraspOffset === 0 && open.floorGraspDraws >= 1);
      const d = (open.arm as any).physics.data;
      // The peg rests on the floor (nothing moving); the hand's grasp site is within ~1.2 cm of the peg's (the
      // grip candidates lift it by at most 4 mm and back it off by at most 1 cm), the hand along the peg's axis.
      assert.ok(Array.from(d.qvel as Float64Array).every((v) => v === 0) && d.time === 0);
      assert.ok(d.site_xpos[3 * s.pegGrasp + 2] < 0.1, 'peg on the floor');
      assert.ok(open.arm.siteDistance(s.grasp, s.pegGrasp) < 0.012, `grasp sites ${open.arm.siteDistance(s.grasp, s.pegGrasp)} apart`);
      assert.ok(open.arm.siteDistance(s.pinch, s.pegPinch) < 0.013, `pinch sites ${open.arm.siteDistance(s.pinch, s.pegPinch)} apart`);
      // No part of the arm enters the floor or the slot by more than 1 mm.
      const body: Int32Array = (open.arm as any).physics.model.geom_bodyid;
      forEachContact(d, (g1, g2, dist) => {
        if (body[g1] !== open.arm.pegId && body[g2] !== open.arm.pegId) assert.ok(dist > -0.0011, `arm contact ${dist}`);
      });
    }
    // Closed on the peg, holding the grasp and lifting the arm (root and shoulder) brings the peg off the floor.
    let lifted = 0;
    for (let e = 0; e < 6; e++) {
      closed.reset(new Rng(4000 + e));
      assert.equal(closed.floorGraspOffset, -1);
      assert.ok(grasping(closed) > 0.9, `closed grip grasping ${grasping(closed)}`);
      const z0 = closed.arm.body2dPose(closed.arm.pegId)[1];
      const phys = (closed.arm as any).physics;
      const m = phys.model, d = phys.data;
      const qa = Array.from(closed.arm.armQposAdr.subarray(0, 4)), va = Array.from(closed.arm.armDofAdr.subarray(0, 4));
      const gz = () => d.site_xpos[3 * s.grasp + 2];
      // Joint angles that put the grasp site 15 cm higher (Jacobian-transpose steps on a copy of the pose), then a
      // joint PD with gravity compensation towards them, grasp motor at +1.
      const q0 = qa.map((a) => d.qpos[a]);
      const fk = (q: number[]) => { q.forEach((v, j) => { d.qpos[qa[j]] = v; }); mjs.mj_kinematics(m, d); return [d.site_xpos[3 * s.grasp], gz()]; };
      const goal = fk(q0);
      goal[1] += 0.15;
      let q = q0.slice();
      for (let it = 0; it < 200; it++) {
        const f = fk(q);
        const e = [goal[0] - f[0], goal[1] - f[1]];
        if (Math.hypot(e[0], e[1]) < 1e-3) break;
        q = q.map((qj, j) => { const qq = q.slice(); qq[j] += 1e-6; const f1 = fk(qq); return qj + 2 * (((f1[0] - f[0]) / 1e-6) * e[0] + ((f1[1] - f[1]) / 1e-6) * e[1]); });
      }
      fk(q0);
      mjs.mj_forward(m, d);
      const gear = qa.map((_, j) => m.actuator_gear[6 * j]);
      for (let k = 0; k < 200; k++) {
        const a = [0, 1, 2, 3].map((j) => Math.max(-1, Math.min(1, (30 * (q[j] - d.qpos[qa[j]]) - 3 * d.qvel[va[j]] + d.qfrc_bias[va[j]]) / gear[j])));
        closed.step([...a, 1]);
      }
      if (closed.arm.body2dPose(closed.arm.pegId)[1] > z0 + 0.03 && grasping(closed) > 0.5) lifted++;
    }
    assert.ok(lifted >= 3, `a closed floor grip lifted the peg in ${lifted} of 6`);
    // Backed off: the open hand lies up to 8 cm further back along the axis; the offsets are drawn, not all zero.
    const offsets: number[] = [];
    for (let e = 0; e < 6; e++) {
      backed.reset(new Rng(4000 + e));
      offsets.push(backed.floorGraspOffset);
      assert.ok(backed.floorGraspOffset >= 0 && backed.floorGraspOffset <= 0.08);
      assert.ok(backed.arm.siteDistance(s.grasp, s.pegGrasp) < backed.floorGraspOffset + 0.012);
    }
    assert.ok(Math.max(...offsets) > 0.02, JSON.stringify(offsets));
    // Off (0 or absent), the starts are dm_control's, stream for stream.
    for (let e = 0; e < 5; e++) {
      plain.reset(new Rng(50 + e));
      none.reset(new Rng(50 + e));
      assert.deepEqual(Array.from(none.getState()), Array.from(plain.getState()));
      assert.equal(none.floorGrasp, false);
    }
  } finally {
    for (const t of [open, closed, backed, plain, none]) t.close();
  }
});

test("manipulator: insertShaping and fineReachShaping add steep insert and reach stages to the 'staged' shaping", async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, insertShaping: { weight: -1, scale: 20 } }), /insertShaping must be \{ weight: finite >= 0, scale: finite > 0 \}/);
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, fineReachShaping: { weight: 0.3, scale: NaN } }), /fineReachShaping must be/);
  // In-hand starts with the hand closed and the slot blended onto the held peg: held pegs near and in the slot.
  const opts = { camera: false, shapedReward: 'staged' as const, pInHand: 1, pInTarget: 0, graspInHand: true, inHandTargetBlend: 1 };
  const plain = new ManipulatorInsertPegTraining(mjs, opts);
  const steep = new ManipulatorInsertPegTraining(mjs, { ...opts, insertShaping: { weight: 0.5, scale: 20 } });
  try {
    const s = steep.arm.site;
    let heldSteps = 0;
    for (let e = 0; e < 4; e++) {
      plain.reset(new Rng(40 + e));
      steep.reset(new Rng(40 + e));
      for (let t = 0; t < 20; t++) {
        const a = [0, 0, 0, 0, 1];
        const r0 = plain.step(a).reward, r1 = steep.step(a).reward;
        const terms = stagedShaping(steep.arm, { insert: { weight: 0.5, scale: 20 } });
        const b = (steep.arm.siteDistance(s.peg, s.target) + steep.arm.siteDistance(s.pegTip, s.targetTip)) / 2;
        close(terms.insert, terms.held * (1 - Math.tanh(20 * b)), 1e-12);
        // Same states (the option changes only the reward): the difference is the insert stage.
        close(r1 - r0, 0.5 * terms.insert, 1e-9);
        // fineReachShaping likewise adds its steep reach stage.
        const d = steep.arm.siteDistance(s.grasp, s.pegGrasp);
        const fine = stagedShaping(steep.arm, { fineReach: { weight: 0.3, scale: 20 } });
        close(fine.fineReach, 1 - Math.tanh(20 * d), 1e-12);
        close(fine.total - stagedShaping(steep.arm).total, 0.3 * fine.fineReach, 1e-12);
        heldSteps += terms.held;
      }
    }
    assert.ok(heldSteps > 0, 'no held peg in 80 steps of closed-hand in-hand starts');
  } finally {
    plain.close();
    steep.close();
  }
});

test("manipulator: reachShaping sets the weight and scale of the 'staged' reach stage", async () => {
  const mjs = await loadMujoco();
  assert.throws(() => new ManipulatorInsertPegTraining(mjs, { camera: false, reachShaping: { weight: 0.3, scale: 0 } }), /reachShaping must be \{ weight: finite >= 0, scale: finite > 0 \}/);
  const opts = { camera: false, shapedReward: 'staged' as const, pInHand: 0, pInTarget: 0 };
  const plain = new ManipulatorInsertPegTraining(mjs, opts);
  const wide = new ManipulatorInsertPegTraining(mjs, { ...opts, reachShaping: { weight: 0.3, scale: 4 } });
  try {
    const act = new Rng(12);
    for (let e = 0; e < 3; e++) {
      plain.reset(new Rng(90 + e));
      wide.reset(new Rng(90 + e));
      for (let t = 0; t < 30; t++) {
        const a = Array.from({ length: 5 }, () => act.range(-1, 1));
        const r0 = plain.step(a).reward, r1 = wide.step(a).reward;
        const d = wide.arm.siteDistance(wide.arm.site.grasp, wide.arm.site.pegGrasp);
        // Same states (the option changes only the reward): the difference is the two reach stages'.
        close(r1 - r0, 0.3 * (1 - Math.tanh(4 * d)) - 0.1 * (1 - Math.tanh(10 * d)), 1e-9);
        close(stagedShaping(wide.arm, { reach: { weight: 0.3, scale: 4 } }).reach, 1 - Math.tanh(4 * d), 1e-12);
      }
    }
  } finally {
    plain.close();
    wide.close();
  }
});

test('manipulator: floorGripCensus settles a dm_control floor peg and finds the in-hand grip only within the arm\'s reach', async () => {
  const mjs = await loadMujoco();
  const task = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 0, pInTarget: 0 });
  const inHand = new ManipulatorInsertPegTraining(mjs, { camera: false, pInHand: 1, pInTarget: 0 });
  try {
    inHand.reset(new Rng(1));
    assert.throws(() => inHand.floorGripCensus(new Rng(1)), /floorGripCensus needs a dm_control floor start, got init type 'in_hand'/);
    const s = task.arm.site;
    const sx: Float64Array = (task.arm as any).physics.data.site_xpos;
    const seen: Record<string, number> = { grip: 0, 'no-grip': 0, unsettled: 0 };
    let farGrips = 0, farPegs = 0;
    for (let e = 0; e < 40; e++) {
      const rng = new Rng(7000 + e);
      task.reset(rng);
      const outcome = task.floorGripCensus(rng);
      seen[outcome]++;
      const x = sx[3 * s.pegGrasp];
      if (outcome !== 'unsettled') assert.ok(sx[3 * s.pegGrasp + 2] < 0.15, 'a settled peg rests on the floor');
      if (outcome === 'grip') assert.ok(task.arm.siteDistance(s.grasp, s.pegGrasp) < 0.012, 'the hand is left around the peg');
      // Beyond |x| = 0.35 m no grip reaches a resting peg: the hand must lie along the peg's axis, which puts its
      // wrist more than the three links' 0.45 m from the root joint (0.4 m above the floor).
      if (Math.abs(x) >= 0.35 && outcome !== 'unsettled') {
        farPegs++;
        if (outcome === 'grip') farGrips++;
      }
    }
    assert.ok(seen.grip >= 8 && seen['no-grip'] >= 8, `outcomes ${JSON.stringify(seen)}`);
    assert.ok(farPegs >= 5, `${farPegs} pegs came to rest beyond |x| = 0.35 m`);
    assert.equal(farGrips, 0);
    // graspReach is the arm's stretch: with every arm joint at 0 the grasp site lies that far above the root joint.
    const { model, data } = (task.arm as any).physics;
    for (let i = 0; i < 4; i++) data.qpos[task.arm.armQposAdr[i]] = 0;
    mjs.mj_forward(model, data);
    const [rx, rz] = task.armGeometry.root;
    assert.ok(Math.abs(Math.hypot(sx[3 * s.grasp] - rx, sx[3 * s.grasp + 2] - rz) - graspReach(task)) < 1e-9);
    assert.ok(Math.abs(graspReach(task) - 0.515) < 1e-9, 'dm_control: links of 0.18, 0.15 and 0.12 m, grasp site 0.065 m into the hand');
  } finally {
    task.close();
    inHand.close();
  }
});

test('humanoid-walls: walls slide to each layout; camera: false and the training-only aliveBonus', () => {
  const task = new HumanoidWallsTraining(mj, { camera: false, aliveBonus: 0.1 });
  const plain = new HumanoidWallsTraining(mj, {});
  try {
    assert.throws(() => new HumanoidWallsTraining(mj, { aliveBonus: -1 }), /aliveBonus must be a finite number >= 0/);
    assert.throws(() => new HumanoidWallsTraining(mj, { camera: 1 as any }), /camera must be true or false/);
    assert.equal(task.spec.views.student, undefined);
    assert.ok(!task.spec.observationGroups.some((g) => g.name === 'egocentric_depth'));
    assert.ok(!('egocentric_depth' in task.observe()));
    assert.throws(() => task.depthImage(), /camera: false/);
    const rng = new Rng(31);
    for (let e = 0; e < 3; e++) {
      task.reset(rng);
      // Each wall's inner edge sits where dm_control's wall of the drawn width ends: the gap is 10 - width.
      const m = task.humanoid.physics.model as any;
      const d = task.humanoid.physics.data as any;
      task.wallLayout.forEach((w, i) => {
        const g = task.humanoid.mj.mj_name2id(m, task.humanoid.mj.mjtObj.mjOBJ_GEOM.value, `wall_${i}`);
        close(d.geom_xpos[3 * g], w.x, 1e-12);
        const inner = d.geom_xpos[3 * g + 1] - w.side * m.geom_size[3 * g + 1];
        close(inner, w.side * (5 - w.width), 1e-9);
      });
    }
    // Reward = forward-speed tolerance + 0.1 while not failed; the plain task pays the tolerance alone.
    const a = new Float64Array(21);
    const r1 = new Rng(5), r2 = new Rng(5);
    task.reset(r1);
    plain.reset(r2);
    for (let t = 0; t < 40; t++) {
      const rb = task.step(a).reward;
      const rp = plain.step(a).reward;
      close(rb, rp + (task.failed() ? 0 : 0.1), 1e-9);
    }
  } finally {
    task.close();
    plain.close();
  }
});

test('humanoid-walls: the training-only uprightShaping pays strides upright, head high and facing the corridor', () => {
  assert.throws(() => new HumanoidWallsTraining(mj, { uprightShaping: 1 as any }), /uprightShaping must be true or false/);
  const plain = new HumanoidWallsTraining(mj, { camera: false });
  const shaped = new HumanoidWallsTraining(mj, { camera: false, uprightShaping: true });
  try {
    const ra = new Rng(12), rb = new Rng(12), act = new Rng(13);
    plain.reset(ra);
    shaped.reset(rb);
    // The same random actions in both: the shaped reward is the documented product of the true reward's factors.
    for (let t = 0; t < 60; t++) {
      const a = Array.from({ length: 21 }, () => act.range(-0.3, 0.3));
      const r = plain.step(a).reward;
      const rs = shaped.step(a).reward;
      const terms = humanoidRewardTerms(shaped.humanoid, 10);
      const expected = terms.standing * terms.upright * terms.smallControl * ((1 + 5 * r) / 6) * ((1 + Math.cos(shaped.humanoid.torsoYaw())) / 2);
      close(rs, expected, 1e-12);
      close(wallsUprightReward(shaped.humanoid, r), expected, 1e-12);
    }
    // Standing still at the spawn, facing +x with zero control: 1/6 per step (true reward 0).
    shaped.humanoid.setUprightPose(0.5, 0, 0);
    close(wallsUprightReward(shaped.humanoid, 0), 1 / 6, 1e-9);
    // Facing backwards pays nothing; facing sideways half.
    shaped.humanoid.setUprightPose(0.5, 0, Math.PI);
    close(wallsUprightReward(shaped.humanoid, 0), 0, 1e-9);
    shaped.humanoid.setUprightPose(0.5, 0, Math.PI / 2);
    close(wallsUprightReward(shaped.humanoid, 0), 1 / 12, 1e-9);
  } finally {
    plain.close();
    shaped.close();
  }
});

test('humanoid-walls: the training-only gapShaping points the shaped speed and facing terms at the next gap', () => {
  assert.throws(() => new HumanoidWallsTraining(mj, { gapShaping: true }), /set uprightShaping: true with it/);
  assert.throws(() => new HumanoidWallsTraining(mj, { uprightShaping: true, gapShaping: 'yes' as any }), /gapShaping must be true, false, 'centre' or 'nearest'/);
  const task = new HumanoidWallsTraining(mj, { camera: false, uprightShaping: true, gapShaping: true });
  try {
    task.reset(new Rng(4));
    const wall = task.wallLayout[0];
    const features = task.observe().wall_features as Float32Array;
    // At the spawn (facing +x) the direction is the first gap's feature vector (heading frame = world frame).
    const [ux, uy] = task.gapDirection();
    const n = Math.hypot(features[0], features[1]);
    close(ux, features[0] / n, 1e-6);
    close(uy, features[1] / n, 1e-6);
    close(features[1] + task.humanoid.physics.data.xpos[3 * task.humanoid.torsoId + 1], (-wall.side * wall.width) / 2, 1e-5);
    const act = new Rng(5);
    for (let t = 0; t < 40; t++) {
      const r = task.step(Array.from({ length: 21 }, () => act.range(-0.3, 0.3))).reward;
      const [gx, gy] = task.gapDirection();
      const v = task.humanoid.centerOfMassVelocity();
      const speed = Math.max(0, 1 - Math.abs(v[0] * gx + v[1] * gy - 3) / 3); // linear tolerance, bounds [3, 3], margin 3
      close(r, wallsUprightReward(task.humanoid, speed, Math.atan2(gy, gx)), 1e-12);
    }
    // Facing the gap pays the facing term in full; facing +x pays (1 + cos(angle to the gap)) / 2.
    task.humanoid.setUprightPose(0.5, 0, 0);
    const [fx, fy] = task.gapDirection();
    const angle = Math.atan2(fy, fx);
    close(wallsUprightReward(task.humanoid, 0, angle), (1 / 6) * ((1 + Math.cos(angle)) / 2), 1e-9);
    task.humanoid.setUprightPose(0.5, 0, angle);
    close(wallsUprightReward(task.humanoid, 0, angle), 1 / 6, 1e-9);
  } finally {
    task.close();
  }
});

test("humanoid-walls: gapShaping 'nearest' aims at the nearest point of the next gap, inset from its edges", () => {
  const task = new HumanoidWallsTraining(mj, { camera: false, uprightShaping: true, gapShaping: 'nearest' });
  try {
    task.reset(new Rng(4));
    const wall = task.wallLayout[0];
    const centre = (-wall.side * wall.width) / 2;
    const half = (10 - wall.width) / 2 - GAP_EDGE_MARGIN;
    const xpos = () => (task.humanoid.physics.data as any).xpos as Float64Array;
    const torso = 3 * task.humanoid.torsoId;
    for (const y of [centre, centre + 0.9 * half, centre - 0.9 * half, centre + half + 2, centre - half - 2]) {
      task.humanoid.setUprightPose(0.5, y, 0);
      const tx = xpos()[torso], ty = xpos()[torso + 1];
      const [ux, uy] = task.gapDirection();
      // In line with the inset gap: straight ahead; outside it: towards the inset edge nearer the torso.
      const aimY = Math.min(centre + half, Math.max(centre - half, ty));
      const n = Math.hypot(wall.x - tx, aimY - ty);
      close(ux, (wall.x - tx) / n, 1e-9);
      close(uy, (aimY - ty) / n, 1e-9);
      if (Math.abs(ty - centre) < half) close(uy, 0, 1e-12);
      // 'centre' aims at the centre whatever the torso's y; the reward follows the option's aim.
      const [cx, cy] = task.gapDirection('centre');
      const m = Math.hypot(wall.x - tx, centre - ty);
      close(cx, (wall.x - tx) / m, 1e-9);
      close(cy, (centre - ty) / m, 1e-9);
      const v = task.humanoid.centerOfMassVelocity();
      const speed = Math.max(0, 1 - Math.abs(v[0] * ux + v[1] * uy - 3) / 3);
      close(task.reward(), wallsUprightReward(task.humanoid, speed, Math.atan2(uy, ux)), 1e-12);
    }
  } finally {
    task.close();
  }
  // gapEdgeMargin widens the inset: from just inside the default band's edge, the aim moves further in.
  assert.throws(() => new HumanoidWallsTraining(mj, { camera: false, uprightShaping: true, gapShaping: 'nearest', gapEdgeMargin: -1 }), /gapEdgeMargin must be a finite number >= 0/);
  const wide = new HumanoidWallsTraining(mj, { camera: false, uprightShaping: true, gapShaping: 'nearest', gapEdgeMargin: 1.25 });
  try {
    wide.reset(new Rng(4));
    const wall = wide.wallLayout[0];
    const centre = (-wall.side * wall.width) / 2;
    const half = Math.max(0, (10 - wall.width) / 2 - 1.25);
    const y = centre + ((10 - wall.width) / 2 - 0.8);
    wide.humanoid.setUprightPose(0.5, y, 0);
    const t = 3 * wide.humanoid.torsoId;
    const xpos = (wide.humanoid.physics.data as any).xpos as Float64Array;
    const [ux, uy] = wide.gapDirection();
    const n = Math.hypot(wall.x - xpos[t], centre + half - xpos[t + 1]);
    close(ux, (wall.x - xpos[t]) / n, 1e-9);
    close(uy, (centre + half - xpos[t + 1]) / n, 1e-9);
    assert.ok(Math.abs(uy) > 1e-3, 'inside the default band but outside the wider inset, the aim has a sideways part');
  } finally {
    wide.close();
  }
});

test('headRiseShaping pays each step\'s rise of min(1, head / 1.4 m) after the drop, and costs each drop', () => {
  assert.throws(() => new HumanoidTaskTraining(mj, { headRiseShaping: -1 }), /headRiseShaping must be a finite number >= 0/);
  const k = 5;
  const plain = new HumanoidTaskTraining(mj, { initialPose: 'random' });
  const shaped = new HumanoidTaskTraining(mj, { initialPose: 'random', headRiseShaping: k });
  try {
    plain.reset(new Rng(8));
    shaped.reset(new Rng(8));
    assert.deepEqual(Array.from(shaped.getState()).slice(0, 40), Array.from(plain.getState()).slice(0, 40));
    const act = new Rng(9);
    let prev = shaped.headRisePotential();
    let atDrop = NaN, sum = 0, moved = 0;
    for (let t = 1; t <= 80; t++) {
      const a = Array.from({ length: 21 }, () => act.range(-1, 1));
      const rp = plain.step(a).reward;
      const rs = shaped.step(a).reward;
      const phi = shaped.headRisePotential();
      close(phi, Math.min(1, shaped.humanoid.headHeight() / 1.4), 1e-12);
      // Same physics; the difference is k x the potential's change, from step 21 on.
      close(rs - rp, t > 20 ? k * (phi - prev) : 0, 1e-12);
      if (t > 20) { sum += rs - rp; moved += Math.abs(phi - prev); }
      if (t === 20) atDrop = phi;
      prev = phi;
    }
    assert.ok(moved > 0, 'the head never moved');
    // The shaping telescopes: its sum is k x (last potential - potential at step 20), not a reward for a pose held.
    close(sum, k * (prev - atDrop), 1e-9);
  } finally {
    plain.close();
    shaped.close();
  }
});

test('humanoid-walls: wallContactPenalty is subtracted on steps that touch a wall across the corridor', () => {
  assert.throws(() => new HumanoidWallsTraining(mj, { camera: false, wallContactPenalty: -0.1 }), /wallContactPenalty must be a finite number >= 0/);
  const plain = new HumanoidWallsTraining(mj, { camera: false });
  const penal = new HumanoidWallsTraining(mj, { camera: false, wallContactPenalty: 0.5 });
  try {
    for (const t of [plain, penal]) t.reset(new Rng(12));
    const wall = penal.wallLayout[0];
    // At the spawn nothing touches a wall; standing across the first wall's solid part, the body does.
    assert.equal(penal.touchingWall(), false);
    close(penal.reward() - plain.reward(), 0, 1e-12);
    const inWall = wall.side * (5 - wall.width / 2);
    for (const t of [plain, penal]) t.humanoid.setUprightPose(wall.x, inWall, 0);
    assert.equal(penal.touchingWall(), true);
    close(penal.reward() - plain.reward(), -0.5, 1e-12);
    // In the gap, level with the wall, it does not.
    for (const t of [plain, penal]) t.humanoid.setUprightPose(wall.x, (-wall.side * wall.width) / 2, 0);
    assert.equal(penal.touchingWall(), false);
    // Contacts are read through forEachContact, which frees mujoco-js's heap copies: reading them 400k times
    // (about 7 minutes of training) must not exhaust the 2 GB wasm heap, as undeleted copies did after ~200k.
    for (const t of [plain, penal]) t.humanoid.setUprightPose(wall.x, inWall, 0);
    const d = penal.humanoid.physics.data as any;
    let visits = 0;
    forEachContact(d, (g1, g2, dist) => { visits++; assert.ok(Number.isInteger(g1) && Number.isInteger(g2) && Number.isFinite(dist)); });
    assert.equal(visits, d.ncon);
    for (let k = 0; k < 400_000; k++) assert.equal(penal.touchingWall(), true);
  } finally {
    plain.close();
    penal.close();
  }
});

test('regetUpSteps: a risen humanoid that falls fails only after its head has stayed down that long', async () => {
  assert.throws(() => new HumanoidTaskTraining(mj, { regetUpSteps: -1 }), /regetUpSteps must be an integer >= 0/);
  const plain = new HumanoidTaskTraining(mj, { initialPose: 'upright' });
  const again = new HumanoidTaskTraining(mj, { initialPose: 'upright', regetUpSteps: 40 });
  try {
    // Limp from the upright keyframe: both collapse the same way (the option changes no physics or reward).
    const zero = new Float64Array(21);
    plain.reset(new Rng(3));
    again.reset(new Rng(3));
    let downAt = -1;
    for (let t = 1; t <= 120; t++) {
      const a = plain.step(zero).reward, b = again.step(zero).reward;
      assert.equal(a, b);
      const down = plain.humanoid.headHeight() < 0.9;
      if (down && downAt < 0) downAt = t;
      assert.equal(plain.failed(), down, `step ${t}: without regetUpSteps the first fall fails`);
      // Lying limp, the head stays down once it is: the fall is reported 40 steps after it began.
      assert.equal(again.failed(), downAt > 0 && t - downAt >= 40, `step ${t} (down from step ${downAt})`);
    }
    assert.ok(downAt > 0 && downAt < 80, `a limp humanoid should fall within 2 s (down at ${downAt})`);
  } finally {
    plain.close();
    again.close();
  }
});

test('training curriculum: mixed start poses; a random start is not failed until getUpSteps have passed unrisen', async () => {
  assert.throws(() => new HumanoidTaskTraining(mj, { initialPose: 'lying' as any }), /initialPose must be 'random', 'upright' or 'mixed'/);
  assert.throws(() => new HumanoidTaskTraining(mj, { initialPose: 'mixed', randomPoseFraction: 2 }), /randomPoseFraction must be in \[0, 1\]/);
  assert.throws(() => new HumanoidTaskTraining(mj, { getUpSteps: 1.5 }), /getUpSteps must be an integer >= 0/);
  const mixed = new HumanoidTaskTraining(mj, { initialPose: 'mixed', randomPoseFraction: 0.5 });
  const dropped = new HumanoidTaskTraining(mj, { initialPose: 'mixed', randomPoseFraction: 1, getUpSteps: 60 });
  try {
    const rng = new Rng(41);
    let upright = 0;
    for (let e = 0; e < 200; e++) {
      mixed.reset(rng);
      // The random pose is dropped from 1.5 m: its pelvis (qpos[2]) starts at 1.5, the keyframe's lower.
      const z = (mixed.humanoid.physics.data as any).qpos[2];
      if (Math.abs(z - 1.5) > 1e-9) upright++;
    }
    // Binomial(200, 0.5): mean 100, sd 7.
    assert.ok(upright >= 75 && upright <= 125, `upright starts ${upright}/200`);
    // Limp (zero torque) from the random pose: it lands and stays down, so it fails exactly when time is up.
    const zero = new Float64Array(21);
    for (let e = 0; e < 3; e++) {
      dropped.reset(rng);
      for (let t = 1; t <= 80; t++) {
        dropped.step(zero);
        if (t < 60) assert.equal(dropped.failed(), false, `episode ${e} step ${t}: failed before getUpSteps`);
        else assert.equal(dropped.failed(), dropped.humanoid.headHeight() < 0.9, `episode ${e} step ${t}`);
      }
      assert.ok(dropped.humanoid.headHeight() < 0.9, 'a limp humanoid should be lying after 2 s');
      assert.equal(dropped.failed(), true);
    }
    // headHeightBonus pays a share of the head height on top of dm_control's reward (training only).
    assert.throws(() => new HumanoidTaskTraining(mj, { headHeightBonus: -0.1 }), /headHeightBonus must be a finite number >= 0/);
    const shaped = new HumanoidTaskTraining(mj, { initialPose: 'mixed', randomPoseFraction: 1, headHeightBonus: 0.1 });
    try {
      const ra = new Rng(7), rb = new Rng(7);
      dropped.reset(ra);
      shaped.reset(rb);
      for (let t = 0; t < 30; t++) {
        const r0 = dropped.step(zero).reward;
        const r1 = shaped.step(zero).reward;
        close(r1, r0 + 0.1 * Math.min(1, shaped.humanoid.headHeight() / 1.4), 1e-12);
      }
    } finally {
      shaped.close();
    }
  } finally {
    mixed.close();
    dropped.close();
  }
});

test('reverse curriculum: blended start poses run from upright (alpha 0) to the random pose on the floor (alpha 1)', async () => {
  // slerp: the endpoints, the half-way rotation, and the shorter arc for q and -q.
  const id = [1, 0, 0, 0], z90 = [Math.SQRT1_2, 0, 0, Math.SQRT1_2];
  slerp(id, z90, 0).forEach((v, k) => close(v, id[k], 1e-12));
  slerp(id, z90, 1).forEach((v, k) => close(v, z90[k], 1e-12));
  slerp(id, z90, 0.5).forEach((v, k) => close(v, [Math.cos(Math.PI / 8), 0, 0, Math.sin(Math.PI / 8)][k], 1e-12));
  slerp(id, z90.map((v) => -v), 0.5).forEach((v, k) => close(Math.abs(v), Math.abs([Math.cos(Math.PI / 8), 0, 0, Math.sin(Math.PI / 8)][k]), 1e-12));
  assert.throws(() => new HumanoidTaskTraining(mj, { initialPose: 'mixed', randomPoseFraction: 0.5, blendPoseFraction: 0.6 }), /blendPoseFraction must be >= 0 with randomPoseFraction \+ blendPoseFraction <= 1/);
  const task = new HumanoidTaskTraining(mj, { initialPose: 'upright' });
  try {
    const hp = task.humanoid;
    const d = hp.physics.data as any;
    assert.throws(() => initializeBlendedPose(hp, new Rng(1), 1.5), /alpha must be in \[0, 1\]/);
    hp.setUprightPose();
    const standingHead = hp.headHeight();
    for (let e = 0; e < 5; e++) {
      // alpha 0: the upright keyframe (joints 0, torso vertical), turned to some heading, feet 1 cm above the floor.
      initializeBlendedPose(hp, new Rng(10 + e), 0);
      for (let i = 7; i < 28; i++) assert.ok(d.qpos[i] === 0, `joint ${i - 7} at ${d.qpos[i]}`);
      close(hp.torsoUpright(), 1, 1e-9);
      close(hp.lowestHeight(), 0.01, 1e-9);
      close(hp.headHeight(), standingHead, 0.02);
      // alpha 1: the collision-free random pose drawn from the same seed, set down on the floor, at rest.
      const rngA = new Rng(10 + e), rngB = new Rng(10 + e);
      hp.initializeRandomPose(rngA);
      const joints = Array.from(d.qpos.subarray(7, 28) as Float64Array);
      const quat = Array.from(d.qpos.subarray(3, 7) as Float64Array);
      const headAboveRoot = hp.headHeight() - d.qpos[2];
      initializeBlendedPose(hp, rngB, 1);
      Array.from(d.qpos.subarray(7, 28) as Float64Array).forEach((v, k) => close(v, joints[k], 1e-12));
      Array.from(d.qpos.subarray(3, 7) as Float64Array).forEach((v, k) => close(Math.abs(v), Math.abs(quat[k]), 1e-9));
      close(hp.lowestHeight(), 0.01, 1e-9);
      assert.ok((d.qvel as Float64Array).every((v: number) => v === 0));
      // The same pose moved rigidly: the head keeps its height above the root.
      close(hp.headHeight() - d.qpos[2], headAboveRoot, 1e-9);
    }
    // Through the task: 'mixed' with blends only; a blend that starts with the head below failHeight has
    // getUpSteps to rise, one above it is risen already (fails at the first fall).
    const blends = new HumanoidTaskTraining(mj, { initialPose: 'mixed', randomPoseFraction: 0, blendPoseFraction: 1, getUpSteps: 50 });
    try {
      const rng = new Rng(3);
      let low = 0, high = 0;
      for (let e = 0; e < 40; e++) {
        blends.reset(rng);
        close(blends.humanoid.lowestHeight(), 0.01, 1e-9);
        if (blends.humanoid.headHeight() < 0.9) { low++; assert.equal(blends.failed(), false); } else high++;
      }
      assert.ok(low > 5 && high > 5, `head below / above failHeight at the start: ${low} / ${high}`);
    } finally {
      blends.close();
    }
  } finally {
    task.close();
  }
});

test('assistForce: an upward pull of a drawn share of the weight on getting-up starts only, until the head is up', async () => {
  assert.throws(() => new HumanoidTaskTraining(mj, { assistForce: -0.1 }), /assistForce must be in \[0, 2\]/);
  assert.throws(() => new HumanoidTaskTraining(mj, { assistForce: 3 }), /assistForce must be in \[0, 2\]/);
  const task = new HumanoidTaskTraining(mj, { initialPose: 'mixed', randomPoseFraction: 0.5, assistForce: 0.8, getUpSteps: 200 });
  const plain = new HumanoidTaskTraining(mj, { initialPose: 'random', getUpSteps: 200 });
  try {
    const weight = (task.humanoid.physics.model as any).body_subtreemass[task.humanoid.torsoId] * 9.81;
    close(weight, 40.844 * 9.81, 0.1);
    const rng = new Rng(5);
    const shares: number[] = [];
    let upright = 0;
    for (let e = 0; e < 30; e++) {
      task.reset(rng);
      const f = task.assistNewtons();
      if (task.humanoid.torsoUpright() > 0.999 && task.humanoid.headHeight() > 1.4) { upright++; assert.equal(f, 0, 'an upright start is assisted'); continue; }
      assert.ok(f >= 0 && f <= 0.8 * weight + 1e-9, `assist ${f} N outside [0, 0.8 x ${weight}]`);
      shares.push(f / weight);
    }
    assert.ok(upright > 5 && shares.length > 5, `upright / random starts: ${upright} / ${shares.length}`);
    assert.ok(new Set(shares).size === shares.length, 'the share is drawn per episode');
    // The pull acts on the torso (xfrc_applied): more than the weight lifts the limp humanoid, so from the same
    // random pose with zero action its head is higher 60 steps later.
    const zero = new Array(21).fill(0);
    const heads: number[] = [];
    for (const share of [0, 1]) {
      const t = share === 0 ? plain : task;
      const r = new Rng(77);
      if (share === 1) {
        const forced = new HumanoidTaskTraining(mj, { initialPose: 'random', assistForce: 2, getUpSteps: 200 });
        try {
          // Draw until the share is at least 1.3 weights, then compare with the same pose unassisted.
          let seed = 0;
          for (;; seed++) { forced.reset(new Rng(seed)); if (forced.assistNewtons() > 1.3 * weight) break; }
          plain.reset(new Rng(seed));
          forced.reset(new Rng(seed));
          for (let k = 0; k < 60; k++) { forced.step(zero); plain.step(zero); }
          const xfrc = (forced.humanoid.physics.data as any).xfrc_applied as Float64Array;
          close(xfrc[6 * forced.humanoid.torsoId + 2], forced.assistNewtons(), 1e-9);
          heads.push(plain.humanoid.headHeight(), forced.humanoid.headHeight());
          // Lifted, it never had its head down: the assist lets go at 1.2 m once 80 steps (2 s) have passed.
          for (let k = 60; k < 79; k++) forced.step(zero);
          assert.ok(forced.assistNewtons() > 0 && forced.humanoid.headHeight() > 1.2, 'let go before ASSIST_LANDED_STEPS');
          forced.step(zero);
          assert.equal(forced.assistNewtons(), 0, 'still assisted after ASSIST_LANDED_STEPS with the head up');
        } finally {
          forced.close();
        }
      } else {
        t.reset(r);
        assert.equal((t as HumanoidTaskTraining).assistNewtons(), 0, 'assistForce 0 never assists');
      }
    }
    assert.ok(heads[1] > heads[0] + 0.3, `head after 60 steps unassisted ${heads[0]} vs assisted ${heads[1]}`);
    // A dropped random pose passes 1.2 m on its way down (slowly, when assisted): that is no rise, and the assist
    // holds until the head has been below failHeight and comes back up to 1.2 m.
    const dropped = new HumanoidTaskTraining(mj, { initialPose: 'random', assistForce: 0.8, getUpSteps: 200 });
    try {
      let checked = 0;
      for (let seed = 0; checked < 5; seed++) {
        dropped.reset(new Rng(seed));
        if (dropped.assistNewtons() < 0.4 * weight) continue;
        checked++;
        let wasDown = false, rose = false;
        for (let k = 0; k < 30; k++) { // within ASSIST_LANDED_STEPS (80)
          dropped.step(zero);
          if (dropped.humanoid.headHeight() < 0.9) wasDown = true;
          else if (wasDown && dropped.humanoid.headHeight() >= 1.2) rose = true;
        }
        if (!rose) assert.ok(dropped.assistNewtons() > 0, `seed ${seed}: assist let go during the drop`);
      }
      // getUpSteps bounds the assist whatever the head does.
      const short = new HumanoidTaskTraining(mj, { initialPose: 'random', assistForce: 0.8, getUpSteps: 10 });
      try {
        for (let seed = 0; ; seed++) {
          short.reset(new Rng(seed));
          if (short.assistNewtons() < 0.4 * weight) continue;
          for (let k = 0; k < 9; k++) short.step(zero);
          assert.ok(short.assistNewtons() > 0);
          short.step(zero);
          assert.equal(short.assistNewtons(), 0, 'assist after getUpSteps');
          break;
        }
      } finally {
        short.close();
      }
    } finally {
      dropped.close();
    }
  } finally {
    task.close();
    plain.close();
  }
});
