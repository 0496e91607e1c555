/**
 * dm_control suite domains written here (cartpole swing-up, cheetah run, manipulator insert peg): golden reward
 * values from dm_control's formulas, readers against MuJoCo's own kinematics, initial-state distributions, the
 * manipulator's privileged/student views and that its camera image shows the slot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachContact, loadMujoco } from '../src/physics/mujoco';
import { Rng } from '../src/util/rng';
import { CartpoleSwingup } from '../src/envs/cartpole';
import { CheetahRun } from '../src/envs/cheetah';
import { ManipulatorInsertPeg, pegRewardTerms, SHAPING_MARGIN, HOLD_MARGIN, LIFT_HEIGHT, carryShaping, stagedShaping, gripTerm, NEAR_PEG_HEIGHT, PREGRASP_HEIGHT, NEAR_PEG_REACH } from '../src/envs/manipulator';
import { viewSize } from '../src/envs/types';
import { graspReach } from '../src/cli/peg-census';

/** Asserts that two tasks reset from the same seeds reach identical states (an option left off changes nothing). */
function assertSameStarts(a: ManipulatorInsertPeg, b: ManipulatorInsertPeg, seeds: number[]): void {
  for (const seed of seeds) {
    a.reset(new Rng(seed));
    b.reset(new Rng(seed));
    assert.deepEqual(Array.from(a.getState()), Array.from(b.getState()));
  }
}

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);
/** 0.1^(d^2): dm_control's default gaussian tolerance at d margins from the bounds. */
const gauss = (d: number) => Math.pow(0.1, d * d);

test('cartpole: reward golden values (upright centred rest = 1, hanging = 0, a mixed state by hand)', async () => {
  const task = new CartpoleSwingup(await loadMujoco());
  try {
    const { mj, physics } = task;
    const d = physics.data as any;
    const set = (x: number, angle: number, xdot: number, angVel: number, ctrl: number) => {
      d.qpos[0] = x; d.qpos[1] = angle; d.qvel[0] = xdot; d.qvel[1] = angVel; d.ctrl[0] = ctrl;
      mj.mj_forward(physics.model, physics.data);
    };
    set(0, 0, 0, 0, 0);
    assert.equal(task.reward(), 1);
    set(0, Math.PI, 0, 0, 0);
    close(task.reward(), 0, 1e-15);
    // x = 1 (d = 0.5 of margin 2) -> centered (1 + 0.1^0.25)/2; angle pi/2 -> upright 1/2; ctrl 0.5 -> quadratic
    // 1 - 0.25 -> small_control (4 + 0.75)/5 = 0.95; angular velocity 2.5 (d = 0.5 of margin 5) -> (1 + 0.1^0.25)/2.
    set(1, Math.PI / 2, 3, 2.5, 0.5);
    const half = (1 + gauss(0.5)) / 2;
    close(task.reward(), 0.5 * half * 0.95 * half);
    // Observation: (x, cos, sin) equal the pole's orientation-matrix entries zz, xz (dm_control's bounded_position).
    set(0.3, 0.7, -0.2, 1.1, 0);
    const obs = task.observe();
    const pole = 2; // world, cart, pole
    const xmat: Float64Array = d.xmat;
    close(obs.position[0], 0.3, 1e-7);
    close(obs.position[1], xmat[9 * pole + 8], 1e-7);
    close(obs.position[2], xmat[9 * pole + 2], 1e-7);
    assert.deepEqual(Array.from(obs.velocity), [Math.fround(-0.2), Math.fround(1.1)]);
  } finally {
    task.close();
  }
});

test('cartpole: swing-up initial state, physics step and time limit as dm_control', async () => {
  const task = new CartpoleSwingup(await loadMujoco());
  try {
    assert.equal(task.spec.episodeLength, 1000);
    assert.equal(task.spec.controlTimestep, 0.01);
    const rng = new Rng(11);
    for (let e = 0; e < 20; e++) {
      task.reset(rng);
      const o = task.observe();
      assert.ok(Math.abs(o.position[0]) < 0.05, `cart x ${o.position[0]}`);
      assert.ok(o.position[1] < -0.998, `pole should hang down, cos ${o.position[1]}`);
      assert.ok(Math.abs(o.velocity[0]) < 0.05 && Math.abs(o.velocity[1]) < 0.05);
    }
    // Pushing right (+1) accelerates the cart to +x: F = gear 10 N on 1.1 kg, x ~ a t^2 / 2 ~ 0.4 m after 0.3 s.
    task.reset(new Rng(1));
    for (let t = 0; t < 30; t++) task.step([1]);
    assert.ok(task.cartPosition() > 0.25 && task.cartPosition() < 0.45, `cart at ${task.cartPosition()} after 0.3 s of full thrust`);
    close(task.getState()[0], 0.3, 1e-9);
    // Released near upright, the pole falls (no control): the upright factor drops.
    const { mj, physics } = task;
    const d = physics.data as any;
    d.qpos.fill(0); d.qvel.fill(0); d.qpos[1] = 0.1;
    mj.mj_forward(physics.model, physics.data);
    for (let t = 0; t < 100; t++) task.step([0]);
    assert.ok(task.poleAngleCosine() < 0.5, `pole did not fall: cos ${task.poleAngleCosine()}`);
  } finally {
    task.close();
  }
});

test('cheetah: reward 0 at rest, linear in speed up to 10 m/s, settled random initial state', async () => {
  const task = new CheetahRun(await loadMujoco());
  try {
    const { mj, physics } = task;
    const m = physics.model as any;
    const d = physics.data as any;
    assert.equal(task.spec.actionDim, 6);
    assert.deepEqual(task.spec.observationGroups.map((g) => [g.name, g.shape[0]]), [['position', 8], ['velocity', 9]]);
    const rng = new Rng(5);
    for (let e = 0; e < 3; e++) {
      task.reset(rng);
      assert.equal(d.time, 0, 'clock not reset after settling');
      // Settled: lying or standing on the ground, nearly at rest.
      assert.ok(Math.abs(task.speed()) < 0.2, `speed ${task.speed()} after settling`);
      assert.ok(task.reward() < 0.02, `reward ${task.reward()} after settling`);
      for (let j = 3; j < 9; j++) {
        const q = d.qpos[j];
        const slack = 0.2; // joint limits are soft
        assert.ok(q > m.jnt_range[2 * j] - slack && q < m.jnt_range[2 * j + 1] + slack, `joint ${j} at ${q}`);
      }
    }
    const obs = task.observe();
    assert.deepEqual(Array.from(obs.position), Array.from(d.qpos.subarray(1) as Float64Array, Math.fround));
    // At rest the reward is exactly 0.
    d.qvel.fill(0);
    mj.mj_forward(physics.model, physics.data);
    assert.equal(task.reward(), 0);
    // Whole body translating at 5 m/s: COM speed 5 -> reward 1 - 5/10 = 0.5; 12 m/s -> 1; backwards -> 0.
    for (const [vx, want] of [[5, 0.5], [12, 1], [-3, 0]] as const) {
      d.qvel.fill(0);
      d.qvel[0] = vx;
      mj.mj_forward(physics.model, physics.data);
      close(task.speed(), vx, 1e-9);
      close(task.reward(), want, 1e-9);
    }
  } finally {
    task.close();
  }
});

test('manipulator: views, privileged target, 44-d expert observation, golden peg reward', async () => {
  const task = new ManipulatorInsertPeg(await loadMujoco());
  try {
    const { spec } = task;
    assert.equal(spec.actionDim, 5);
    assert.equal(spec.episodeLength, 1000);
    assert.equal(spec.controlTimestep, 0.01);
    assert.equal(viewSize(spec, spec.views.expert), 44);
    assert.deepEqual(spec.views.expert, [...spec.views.common, 'target_pos']);
    assert.deepEqual(spec.views.student, [...spec.views.common, 'camera']);
    assert.deepEqual(spec.views.default, spec.views.expert);
    for (const g of spec.observationGroups) assert.equal(g.privileged, g.name === 'target_pos', g.name);
    assert.deepEqual(spec.observationGroups.find((g) => g.name === 'camera')!.shape, [32, 32, 1]);
    const noCam = new ManipulatorInsertPeg(await loadMujoco(), { camera: false });
    assert.equal(noCam.spec.views.student, undefined);
    assert.equal(noCam.spec.observationGroups.some((g) => g.kind === 'image'), false);
    noCam.close();

    const rng = new Rng(21);
    task.reset(rng);
    const obs = task.observe();
    for (let i = 0; i < 8; i++) close(obs.arm_pos[2 * i] ** 2 + obs.arm_pos[2 * i + 1] ** 2, 1, 1e-6);
    for (const g of ['hand_pos', 'object_pos', 'target_pos']) close(obs[g][2] ** 2 + obs[g][3] ** 2, 1, 1e-6);

    // Peg exactly at the target pose but 1.5 cm along x: both bring distances are hypot(0.015, 0.001) (the ghost
    // target sits 1 mm behind the arm's plane), d = (that - 0.01) / 0.02 margins -> bringing = 0.1^(d^2).
    const [tx, tz, qw, qy] = obs.target_pos;
    const angle = 2 * Math.atan2(qy, qw);
    const d = task.physics.data as any;
    const [px, pz, pa] = task.arm.pegQposAdr;
    d.qpos[px] = tx + 0.015; d.qpos[pz] = tz; d.qpos[pa] = angle;
    task.mj.mj_forward(task.physics.model, task.physics.data);
    const dist = (Math.hypot(0.015, 0.001) - 0.01) / 0.02;
    const terms = pegRewardTerms(task.arm);
    close(terms.bring, gauss(dist), 1e-5);
    close(terms.bringTip, gauss(dist), 1e-5);
    close(task.reward(), Math.max((terms.bring + terms.bringTip) / 2, (terms.grasp + terms.pinch) / 6), 1e-12);
    assert.ok(task.reward() > 0.8);
  } finally {
    task.close();
  }
});

test('manipulator: initial peg in hand / in slot / anywhere with dm_control probabilities, no penetration', async () => {
  const task = new ManipulatorInsertPeg(await loadMujoco(), { camera: false });
  try {
    const rng = new Rng(4);
    const counts = { in_hand: 0, in_target: 0, uniform: 0 };
    const n = 300;
    for (let e = 0; e < n; e++) {
      task.reset(rng);
      counts[task.initType]++;
      assert.equal((task.physics.data as any).ncon, 0);
      const r = pegRewardTerms(task.arm);
      if (task.initType === 'in_target') close(task.reward(), 1, 1e-9);
      if (task.initType === 'in_hand') {
        // Peg grasp/pinch sites on the hand's grasp/pinch sites: grasping = 1, reward = 1/3.
        close(r.grasp, 1, 1e-9);
        close(r.pinch, 1, 1e-6);
        assert.ok(task.reward() >= 1 / 3 - 1e-9);
      }
      const target = task.observe().target_pos;
      assert.ok(target[0] >= -0.4 && target[0] <= 0.4 && target[1] >= 0.1 && target[1] <= 0.4, `target ${target}`);
      // |angle| <= pi/3  <=>  qw = cos(angle/2) >= cos(pi/6)
      assert.ok(target[2] >= Math.cos(Math.PI / 6) - 1e-6, `target angle qw ${target[2]}`);
    }
    // Binomial(300, 0.1): mean 30, sd 5.2.
    assert.ok(counts.in_hand >= 12 && counts.in_hand <= 50, JSON.stringify(counts));
    assert.ok(counts.in_target >= 12 && counts.in_target <= 50, JSON.stringify(counts));
  } finally {
    task.close();
  }
});

test('manipulator: the camera image shows the slot (hiding the slot changes the pixels where it projects)', async () => {
  const task = new ManipulatorInsertPeg(await loadMujoco());
  try {
    const m = task.physics.model as any;
    const d = task.physics.data as any;
    const rng = new Rng(8);
    for (let e = 0; e < 5; e++) {
      task.reset(rng);
      const withSlot = Float32Array.from(task.observe().camera);
      // Hide the slot and the ghost target inside it (alpha 0 geoms are never hit by the rays).
      const hidden: number[] = [];
      for (let g = 0; g < m.ngeom; g++) {
        const b = m.geom_bodyid[g];
        if (b === task.arm.slotId || b === task.arm.targetId) hidden.push(g);
      }
      const saved = hidden.map((g) => m.geom_rgba[4 * g + 3]);
      hidden.forEach((g) => { m.geom_rgba[4 * g + 3] = 0; });
      const without = Float32Array.from(task.observe().camera);
      hidden.forEach((g, i) => { m.geom_rgba[4 * g + 3] = saved[i]; });
      // Pixels that changed: the slot is nearer than what is behind it.
      let rows = [Infinity, -Infinity], cols = [Infinity, -Infinity], changed = 0;
      for (let r = 0; r < 32; r++) {
        for (let c = 0; c < 32; c++) {
          const i = r * 32 + c;
          if (withSlot[i] !== without[i]) {
            assert.ok(withSlot[i] < without[i]);
            changed++;
            rows = [Math.min(rows[0], r), Math.max(rows[1], r)];
            cols = [Math.min(cols[0], c), Math.max(cols[1], c)];
          }
        }
      }
      assert.ok(changed >= 4, `episode ${e}: only ${changed} pixels show the slot`);
      // Project the slot_end site (between the slot walls) with the pinhole model of the camera at (0, -1, 0.35),
      // looking along +y, fovy 56 degrees.
      const sid = (task.mj as any).mj_name2id(m, (task.mj as any).mjtObj.mjOBJ_SITE.value, 'slot_end');
      const [x, y, z] = [d.site_xpos[3 * sid], d.site_xpos[3 * sid + 1], d.site_xpos[3 * sid + 2]];
      const t = Math.tan((28 * Math.PI) / 180);
      const col = ((x / (y + 1) / t + 1) / 2) * 32;
      const row = ((1 - (z - 0.35) / (y + 1) / t) / 2) * 32;
      assert.ok(col >= cols[0] - 1 && col <= cols[1] + 2 && row >= rows[0] - 1 && row <= rows[1] + 2,
        `episode ${e}: slot projects to (${row.toFixed(1)}, ${col.toFixed(1)}) outside changed rows ${rows} cols ${cols}`);
    }
  } finally {
    task.close();
  }
});

test('manipulator: training-only shapedReward is the mean of the true reward and its 30 cm-margin twin', async () => {
  const mjs = await loadMujoco();
  const plain = new ManipulatorInsertPeg(mjs, { camera: false });
  const shaped = new ManipulatorInsertPeg(mjs, { camera: false, shapedReward: true });
  try {
    assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, shapedReward: 'yes' as any }), /shapedReward must be true, false, 'carry' or 'staged'/);
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 1.5 }), /pInHand must be in \[0, 1\]/);
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0.6, pInTarget: 0.6 }), /pInHand \+ pInTarget must be <= 1/);
  const task = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0.5, pInTarget: 0.2 });
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
  const task = new ManipulatorInsertPeg(mjs, { camera: false, shapedReward: 'carry', pInHand: 0.5 });
  try {
    assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, shapedReward: 'push' as any }), /shapedReward must be true, false, 'carry' or 'staged'/);
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
  const task = new ManipulatorInsertPeg(mjs, { camera: false, shapedReward: 'staged', pInHand: 1, pInTarget: 0 });
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, graspInHand: 'yes' as any }), /graspInHand must be true, false or a share in \[0, 1\]/);
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, graspInHand: 1.5 }), /graspInHand must be true, false or a share in \[0, 1\], got 1.5/);
  const gripped = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 1, pInTarget: 0, graspInHand: true });
  const loose = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 1, pInTarget: 0 });
  const other = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0, pInTarget: 0, graspInHand: true });
  const plain = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0, pInTarget: 0 });
  const half = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 1, pInTarget: 0, graspInHand: 0.5 });
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, gripBonus: -1 }), /gripBonus must be a finite number >= 0/);
  const opts = { camera: false, pInHand: 0.5, pInTarget: 0, graspInHand: true, shapedReward: 'staged' as const };
  const plain = new ManipulatorInsertPeg(mjs, opts);
  const bonus = new ManipulatorInsertPeg(mjs, { ...opts, gripBonus: 0.2 });
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, gripBonus: 0.2, gripMargin: 0.2 }), /gripMargin must be in \(0, 0.05\]/);
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, gripMargin: 0.015 }), /gripMargin needs gripBonus > 0/);
  // Open hands backed off 0-8 cm from a floor peg: grasp-site distances on both sides of the margin.
  const opts = { camera: false, pInHand: 0, pInTarget: 0, floorGraspStart: 1, floorGraspBackoff: 0.08, shapedReward: 'staged' as const, gripBonus: 0.2 };
  const wide = new ManipulatorInsertPeg(mjs, opts);
  const tight = new ManipulatorInsertPeg(mjs, { ...opts, gripMargin: 0.015 });
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, alignShaping: { weight: -1, scale: 20 } }), /alignShaping must be/);
  const opts = { camera: false, pInHand: 0, pInTarget: 0, floorGraspStart: 1, floorGraspBackoff: 0.08, shapedReward: 'staged' as const };
  const plain = new ManipulatorInsertPeg(mjs, opts);
  const aligned = new ManipulatorInsertPeg(mjs, { ...opts, alignShaping: { weight: 0.3, scale: 20 } });
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, inHandTargetBlend: 1.5 }), /inHandTargetBlend must be in \[0, 1\]/);
  const blended = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 1, pInTarget: 0, inHandTargetBlend: 1 });
  const half = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0.5, pInTarget: 0.1, inHandTargetBlend: 0.5 });
  const plain = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0.5, pInTarget: 0.1 });
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
    const none = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0.5, pInTarget: 0.1, inHandTargetBlend: 0 });
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
    assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, inHandTargetBlend: 1, inHandTargetAlpha: bad }), /inHandTargetAlpha must be \[lo, hi\] with 0 <= lo <= hi <= 1/);
  }
  const base = { camera: false, pInHand: 1, pInTarget: 0, inHandTargetBlend: 1 };
  const narrow = new ManipulatorInsertPeg(mjs, { ...base, inHandTargetAlpha: [0.2, 0.4] });
  const full = new ManipulatorInsertPeg(mjs, { ...base, inHandTargetAlpha: [0, 1] });
  const plain = new ManipulatorInsertPeg(mjs, base);
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, nearPegStart: -0.1 }), /nearPegStart must be in \[0, 1\]/);
  const near = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0, pInTarget: 0, nearPegStart: 1 });
  const half = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0.4, pInTarget: 0.1, nearPegStart: 0.5 });
  const plain = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0.4, pInTarget: 0.1 });
  const none = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0.4, pInTarget: 0.1, nearPegStart: 0 });
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, nearPegStart: 0.5, pregraspShare: 1.5 }), /pregraspShare must be in \[0, 1\]/);
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, pregraspShare: 0.5 }), /pregraspShare needs nearPegStart > 0/);
  const pre = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0, pInTarget: 0, nearPegStart: 1, pregraspShare: 1 });
  const half = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0, pInTarget: 0, nearPegStart: 1, pregraspShare: 0.5 });
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, floorGraspStart: 2 }), /floorGraspStart must be in \[0, 1\]/);
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, floorGraspStart: 1, floorGraspBackoff: 0.5 }), /floorGraspBackoff must be in \[0, 0.3\]/);
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, floorGraspClosed: 0.5 }), /need floorGraspStart > 0/);
  const base = { camera: false, pInHand: 0, pInTarget: 0, floorGraspStart: 1 };
  const open = new ManipulatorInsertPeg(mjs, base);
  const closed = new ManipulatorInsertPeg(mjs, { ...base, floorGraspClosed: 1 });
  const backed = new ManipulatorInsertPeg(mjs, { ...base, floorGraspBackoff: 0.08 });
  const plain = new ManipulatorInsertPeg(mjs, { camera: false });
  const none = new ManipulatorInsertPeg(mjs, { camera: false, floorGraspStart: 0 });
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, insertShaping: { weight: -1, scale: 20 } }), /insertShaping must be \{ weight: finite >= 0, scale: finite > 0 \}/);
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, fineReachShaping: { weight: 0.3, scale: NaN } }), /fineReachShaping must be/);
  // In-hand starts with the hand closed and the slot blended onto the held peg: held pegs near and in the slot.
  const opts = { camera: false, shapedReward: 'staged' as const, pInHand: 1, pInTarget: 0, graspInHand: true, inHandTargetBlend: 1 };
  const plain = new ManipulatorInsertPeg(mjs, opts);
  const steep = new ManipulatorInsertPeg(mjs, { ...opts, insertShaping: { weight: 0.5, scale: 20 } });
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
  assert.throws(() => new ManipulatorInsertPeg(mjs, { camera: false, reachShaping: { weight: 0.3, scale: 0 } }), /reachShaping must be \{ weight: finite >= 0, scale: finite > 0 \}/);
  const opts = { camera: false, shapedReward: 'staged' as const, pInHand: 0, pInTarget: 0 };
  const plain = new ManipulatorInsertPeg(mjs, opts);
  const wide = new ManipulatorInsertPeg(mjs, { ...opts, reachShaping: { weight: 0.3, scale: 4 } });
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
  const task = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 0, pInTarget: 0 });
  const inHand = new ManipulatorInsertPeg(mjs, { camera: false, pInHand: 1, pInTarget: 0 });
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
