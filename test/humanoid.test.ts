/**
 * Humanoid domain (dm_control suite) and the walls corridor task: spec, observation order, reward golden values
 * from dm_control's formulas, action validation, collision-free random initialisation, determinism. Their training
 * variants (start-pose curricula, assist, shaping) are tested in training-variants.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachContact, loadMujoco, type Mujoco } from '../src/physics/mujoco';
import { Rng } from '../src/util/rng';
import { HumanoidTask, humanoidRewardTerms, HUMANOID_PROPRIO_VIEW } from '../src/envs/humanoid';
import { HumanoidWallsTask } from '../src/envs/humanoid-walls';
import { makeTask, listTasks } from '../src/envs/registry';
import { viewSize } from '../src/envs/types';
import { evaluatePolicy } from '../src/rl/evaluate';
import '../src/envs';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

/** Overwrite qpos/qvel/ctrl and recompute kinematics and sensors. */
function setState(task: HumanoidTask, edit: (qpos: Float64Array, qvel: Float64Array, ctrl: Float64Array) => void): void {
  const { mj, physics } = task.humanoid;
  const d = physics.data as any;
  edit(d.qpos, d.qvel, d.ctrl);
  mj.mj_forward(physics.model, physics.data);
}

/** Lying on its back on the floor: torso rotated -90 degrees about y (head towards -x), 0.15 m up. */
function lieDown(task: HumanoidTask): void {
  task.humanoid.setUprightPose();
  setState(task, (q) => {
    q[2] = 0.15;
    q[3] = Math.SQRT1_2; q[4] = 0; q[5] = -Math.SQRT1_2; q[6] = 0;
  });
}

let mj: Mujoco;
test('setup', async () => {
  mj = await loadMujoco();
});

test('humanoid tasks are registered with the dm_control spec', async () => {
  assert.deepEqual(listTasks(['humanoid']).map((e) => e.name).sort(), ['humanoid-run', 'humanoid-stand', 'humanoid-walk', 'humanoid-walls']);
  assert.deepEqual(listTasks(['paper', 'humanoid']).map((e) => e.name).sort(), ['humanoid-run', 'humanoid-walls']);
  const task = await makeTask('humanoid-run');
  try {
    const { spec } = task;
    assert.equal(spec.actionDim, 21);
    assert.equal(spec.controlTimestep, 0.025);
    assert.equal(spec.episodeLength, 1000);
    assert.deepEqual(spec.observationGroups.map((g) => [g.name, g.shape[0]]), [
      ['joint_angles', 21], ['head_height', 1], ['extremities', 12], ['torso_vertical', 3], ['com_velocity', 3], ['velocity', 27],
    ]);
    assert.deepEqual(spec.views.default, HUMANOID_PROPRIO_VIEW);
    assert.equal(viewSize(spec, spec.views.default), 67);
    assert.ok(spec.observationGroups.every((g) => g.kind === 'state' && !g.privileged));
    assert.equal((task as HumanoidTask).humanoid.nSubsteps, 5);
    assert.equal(((task as HumanoidTask).humanoid.physics.model as any).opt.timestep, 0.005);
  } finally {
    task.close();
  }
});

test('observations follow dm_control order and meaning', () => {
  const task = new HumanoidTask(mj, { moveSpeed: 10 });
  try {
    const hp = task.humanoid;
    hp.setUprightPose();
    setState(task, (q, v) => {
      q[7 + 4] = 0.3; // right_hip_z
      v[0] = 1.25; // root x velocity
      v[20] = -0.5;
    });
    const obs = task.observe();
    const d = hp.physics.data as any;
    assert.deepEqual(Array.from(obs.joint_angles), Array.from(Float32Array.from(d.qpos.slice(7))));
    close(obs.joint_angles[4], 0.3, 1e-7);
    close(obs.head_height[0], hp.standingTorsoHeight + 0.19, 1e-6);
    assert.ok(obs.head_height[0] > 1.4 && obs.head_height[0] < 1.55, `standing head height ${obs.head_height[0]}`);
    assert.deepEqual(Array.from(obs.torso_vertical), [0, 0, 1]);
    assert.deepEqual(Array.from(obs.velocity), Array.from(Float32Array.from(d.qvel)));
    // Everything translates at 1.25 m/s except one arm joint's spin: COM x velocity ~1.25.
    assert.ok(Math.abs(obs.com_velocity[0] - 1.25) < 0.1, `com vx ${obs.com_velocity[0]}`);
    // Extremities, torso frame (= world frame when upright, facing +x): left hand (+y), left foot below (-z).
    const e = obs.extremities;
    assert.ok(e[1] > 0.1 && e[7] < -0.1, 'left hand at +y, right hand at -y');
    assert.ok(e[5] < -1.1 && e[11] < -1.1, 'feet ~1.2 m below the torso');
    close(e[3 + 1], 0.1 - 0.01, 0.05); // left foot y ~ hip offset
    // The default pose is left-right symmetric: left limbs mirror right limbs in y.
    hp.setUprightPose();
    const sym = task.observe().extremities;
    for (const [l, r] of [[0, 6], [3, 9]]) {
      close(sym[l], sym[r], 1e-9); close(sym[l + 1], -sym[r + 1], 1e-9); close(sym[l + 2], sym[r + 2], 1e-9);
    }
    // Elbows bent: hands 0.36 m in front of the torso at about its height, 0.17 m to the side (dm_control's arms).
    assert.ok(Math.abs(sym[0] - 0.36) < 0.01 && Math.abs(sym[1] - 0.17) < 0.01 && Math.abs(sym[2] - 0.06) < 0.01, `left hand ${Array.from(sym.slice(0, 3))}`);
    // Total mass 40.844 kg: what dm_control's humanoid.xml compiles to (capsule/sphere densities 1000 kg/m^3).
    const mass = Array.from((hp.physics.model as any).body_mass as Float64Array).reduce((a, b) => a + b, 0);
    close(mass, 40.84402, 1e-4);
    // Rotated 90 degrees about z (facing +y), egocentric extremities do not change.
    const before = Array.from(e);
    hp.setUprightPose(0, 0, Math.PI / 2);
    setState(task, (q) => { q[7 + 4] = 0.3; });
    const after = Array.from(task.observe().extremities);
    before.forEach((x, i) => close(after[i], x, 1e-6));
  } finally {
    task.close();
  }
});

test('reward: dm_control golden values at the upright keyframe and when fallen', () => {
  const tasks = { stand: new HumanoidTask(mj, { moveSpeed: 0 }), walk: new HumanoidTask(mj, { moveSpeed: 1 }), run: new HumanoidTask(mj, { moveSpeed: 10 }) };
  try {
    for (const [name, task] of Object.entries(tasks)) {
      task.humanoid.setUprightPose();
      const t = humanoidRewardTerms(task.humanoid, task.moveSpeed);
      // Upright, still, zero control: standing = upright = small_control = 1.
      close(t.standing, 1); close(t.upright, 1); close(t.smallControl, 1);
      // Stand: dont_move = 1. Walk/run: move = (5 * tolerance(0, [v, inf], margin v, linear) + 1) / 6 = (5*0 + 1)/6.
      close(task.reward(), name === 'stand' ? 1 : 1 / 6, 1e-9);
      lieDown(task);
      assert.ok(task.humanoid.headHeight() < 0.3, `lying head height ${task.humanoid.headHeight()}`);
      assert.ok(task.reward() < 1e-6, `${name}: fallen reward ${task.reward()}`);
      assert.equal(task.failed(), true);
      task.humanoid.setUprightPose();
      assert.equal(task.failed(), false);
    }
    // Moving: all bodies translate at vx. Run at 10 m/s: move = 1; walk at 0.5 m/s: move = (5*0.5 + 1)/6.
    setState(tasks.run, (_, v) => { v[0] = 10; });
    close(tasks.run.reward(), 1, 1e-6);
    tasks.walk.humanoid.setUprightPose();
    setState(tasks.walk, (_, v) => { v[0] = 0.5; });
    close(tasks.walk.reward(), (5 * 0.5 + 1) / 6, 1e-6);
    // Stand at 1 m/s sideways: dont_move = mean(gaussian tolerance(0, margin 2), tolerance(1, margin 2)) = (1 + 0.1^(1/4)) / 2.
    tasks.stand.humanoid.setUprightPose();
    setState(tasks.stand, (_, v) => { v[1] = 1; });
    close(tasks.stand.reward(), (1 + Math.pow(0.1, 0.25)) / 2, 1e-6);
    // Control 0.5 on every motor: small_control = (4 + (1 - 0.5^2)) / 5 = 0.95.
    tasks.stand.humanoid.setUprightPose();
    setState(tasks.stand, (_, __, c) => { c.fill(0.5); });
    close(humanoidRewardTerms(tasks.stand.humanoid, 0).smallControl, 0.95, 1e-12);
    // Torso horizontal (upright = 0): linear tolerance, bounds [0.9, inf], margin 1.9 -> 1 - 0.9/1.9.
    tasks.stand.humanoid.setUprightPose();
    setState(tasks.stand, (q) => { q[3] = Math.SQRT1_2; q[5] = -Math.SQRT1_2; });
    close(humanoidRewardTerms(tasks.stand.humanoid, 0).upright, 1 - 0.9 / 1.9, 1e-9);
  } finally {
    Object.values(tasks).forEach((t) => t.close());
  }
});

test('actions are validated before the state changes, and clipped to [-1, 1]', () => {
  const task = new HumanoidTask(mj, {});
  try {
    task.reset(new Rng(0));
    const before = task.getState();
    assert.throws(() => task.step(new Float64Array(20)), RangeError);
    assert.throws(() => task.step(Array.from({ length: 21 }, (_, i) => (i === 3 ? NaN : 0))), /action\[3\]/);
    assert.deepEqual(task.getState(), before);
    assert.equal(task.stepCount, 0);
    const r = task.step(Array.from({ length: 21 }, (_, i) => (i % 2 ? 5 : -7)));
    assert.deepEqual(Array.from(task.humanoid.control()), Array.from({ length: 21 }, (_, i) => (i % 2 ? 1 : -1)));
    assert.equal(task.stepCount, 1);
    assert.ok(r.reward >= 0 && r.reward <= 1);
    assert.equal(r.timeLimit, false);
  } finally {
    task.close();
  }
});

test('random initial pose: collision-free, dropped from 1.5 m, still; episodes end at the time limit', () => {
  const task = new HumanoidTask(mj, { episodeLength: 3 });
  try {
    const rng = new Rng(42);
    const seen = new Set<number>();
    for (let k = 0; k < 5; k++) {
      task.reset(rng);
      const d = task.humanoid.physics.data as any;
      assert.equal(d.ncon, 0);
      assert.equal(d.qpos[2], 1.5);
      assert.ok(Array.from(d.qvel as Float64Array).every((v) => v === 0));
      seen.add(d.qpos[10]);
    }
    assert.equal(seen.size, 5, 'each reset draws a new pose');
    const a = new Float64Array(21);
    assert.equal(task.step(a).timeLimit, false);
    assert.equal(task.step(a).timeLimit, false);
    assert.equal(task.step(a).timeLimit, true);
  } finally {
    task.close();
  }
});

function rollout(task: { reset(r: Rng): void; step(a: ArrayLike<number>): { reward: number }; getState(): Float64Array; observe(): Record<string, Float32Array> }, seed: number, steps: number) {
  const rng = new Rng(seed);
  task.reset(rng);
  const actRng = new Rng(seed + 1000);
  const rewards: number[] = [];
  const a = new Float64Array(21);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < 21; i++) a[i] = actRng.range(-1, 1);
    rewards.push(task.step(a).reward);
  }
  return { state: task.getState(), rewards, obs: task.observe() };
}

test('determinism: same seed and actions give identical states', () => {
  const t1 = new HumanoidTask(mj, {});
  const t2 = new HumanoidTask(mj, {});
  try {
    const a = rollout(t1, 7, 40);
    const b = rollout(t2, 7, 40);
    assert.deepEqual(a.state, b.state);
    assert.deepEqual(a.rewards, b.rewards);
    // Same task object reused for another episode with the same seed gives the same again.
    assert.deepEqual(rollout(t1, 7, 40).state, a.state);
    assert.notDeepEqual(rollout(t2, 8, 40).state, a.state);
  } finally {
    t1.close();
    t2.close();
  }
});

test('humanoid-walls: spec, privileged features, depth image, reward, determinism', () => {
  const task = new HumanoidWallsTask(mj, { episodeLength: 20 });
  try {
    const { spec } = task;
    const g = Object.fromEntries(spec.observationGroups.map((x) => [x.name, x]));
    assert.deepEqual(g.egocentric_depth.shape, [32, 32, 1]);
    assert.equal(g.egocentric_depth.kind, 'image');
    assert.equal(g.egocentric_depth.privileged, false);
    assert.equal(g.wall_features.kind, 'state');
    assert.equal(g.wall_features.privileged, true);
    assert.ok(HUMANOID_PROPRIO_VIEW.every((n) => !g[n].privileged));
    assert.deepEqual(spec.views.proprio, HUMANOID_PROPRIO_VIEW);
    assert.deepEqual(spec.views.expert, [...HUMANOID_PROPRIO_VIEW, 'wall_features']);
    assert.deepEqual(spec.views.student, [...HUMANOID_PROPRIO_VIEW, 'egocentric_depth']);
    assert.ok(!spec.views.default.includes('egocentric_depth'));
    assert.equal(viewSize(spec, spec.views.expert), 67 + 9);
    assert.equal(spec.episodeLength, 20);

    task.reset(new Rng(5));
    const obs = task.observe();
    for (const s of spec.observationGroups) assert.equal(obs[s.name].length, s.shape.reduce((x, y) => x * y, 1), s.name);
    assert.ok(obs.egocentric_depth.every((v) => v >= 0 && v <= 1));
    // Walls every 4 m from x = 2 over 100 m, alternating sides starting at +y; gap = 10 - width.
    const walls = task.wallLayout;
    assert.equal(walls.length, 25);
    assert.deepEqual(walls.slice(0, 4).map((w) => [w.x, w.side]), [[2, 1], [6, -1], [10, 1], [14, -1]]);
    assert.ok(walls.every((w) => w.width >= 1 && w.width <= 7));
    const f = obs.wall_features;
    close(f[0], 2 - 0.5, 1e-3); // next wall 1.5 m ahead of the torso
    close(f[1], -walls[0].side * walls[0].width / 2, 1e-3); // gap centre opposite the wall
    close(f[2], 10 - walls[0].width, 1e-5);
    close(f[3], 6 - 0.5, 1e-3);
    close(f[6], 1, 1e-6); // corridor axis straight ahead
    assert.equal(task.failed(), false);
    close(task.forwardProgress(), 0, 1e-9);

    // Reward = linear tolerance of forward COM velocity around 3 m/s (margin 3).
    assert.equal(task.reward(), 0);
    const d = task.humanoid.physics.data as any;
    for (const [vx, r] of [[3, 1], [1.5, 0.5], [4.5, 0.5], [6, 0]]) {
      d.qvel[0] = vx;
      mj.mj_forward(task.humanoid.physics.model, task.humanoid.physics.data);
      close(task.reward(), r, 1e-6);
    }
  } finally {
    task.close();
  }

  // The camera sees a wall blocking the corridor 1.33 m ahead (top half of the image), and sees past the
  // humanoid's own body; with narrow walls the view ahead is open (nothing within 4 m).
  const blocked = new HumanoidWallsTask(mj, { wallWidthRange: [9, 9] });
  const open = new HumanoidWallsTask(mj, { wallWidthRange: [1, 1] });
  try {
    blocked.reset(new Rng(1));
    open.reset(new Rng(1));
    const a = blocked.depthImage();
    const b = open.depthImage();
    for (let i = 0; i < 16 * 32; i++) {
      assert.ok(a[i] * 4 > 1.2 && a[i] * 4 < 1.5, `blocked pixel ${i}: ${a[i] * 4} m`);
      assert.equal(b[i], 1, `open pixel ${i}`);
    }
    // Lower rows see the floor (about 2 m ahead at the bottom).
    assert.ok(b[31 * 32 + 16] < 0.6 && b[31 * 32 + 16] > 0.3);
  } finally {
    blocked.close();
    open.close();
  }

  const t1 = new HumanoidWallsTask(mj, {});
  const t2 = new HumanoidWallsTask(mj, {});
  try {
    const a = rollout(t1, 3, 10);
    const b = rollout(t2, 3, 10);
    assert.deepEqual(a.state, b.state);
    assert.deepEqual(a.obs.egocentric_depth, b.obs.egocentric_depth);
    assert.notDeepEqual(rollout(t2, 4, 10).state, a.state);
  } finally {
    t1.close();
    t2.close();
  }
});

test('humanoid-walls failed() agrees with MuJoCo contacts between non-foot geoms and the floor', () => {
  const task = new HumanoidWallsTask(mj, {});
  try {
    task.reset(new Rng(11));
    const hp = task.humanoid;
    const floor = 0; // first geom of the model
    const rng = new Rng(12);
    const a = new Float64Array(21);
    const seen = new Set<boolean>();
    for (let t = 0; t < 120; t++) {
      for (let i = 0; i < 21; i++) a[i] = rng.range(-1, 1);
      task.step(a);
      const d = hp.physics.data as any;
      let touching = false;
      forEachContact(d, (g1, g2) => {
        for (const [x, y] of [[g1, g2], [g2, g1]]) {
          if (x === floor && hp.bodyGeomIds.has(y) && !hp.footGeomIds.has(y)) touching = true;
        }
      });
      assert.equal(task.failed(), touching, `step ${t}: lowest non-foot point ${hp.lowestNonFootHeight()}`);
      seen.add(touching);
    }
    assert.equal(seen.size, 2, 'the rollout should both stand and fall');
  } finally {
    task.close();
  }
});


test('humanoid-walls: evaluations report forward progress (spec.episodeMetric) for each episode', async () => {
  const opts = { camera: false, episodeLength: 30 };
  const zero = { view: ['joint_angles'], actionDim: 21, distribution: (o: { batch: number }) => ({ mean: new Float32Array(21 * o.batch), std: new Float32Array(21 * o.batch).fill(1) }) };
  const result = await evaluatePolicy(zero as any, { task: 'humanoid-walls', taskOptions: opts, episodes: 3, numEnvs: 3, mode: 'mean', workers: 0, seed: 9 });
  assert.equal(result.metric?.name, 'forward_progress');
  assert.equal(result.metric?.unit, 'm');
  assert.equal(result.metric?.values.length, 3);
  // Replay env 1's first episode by hand (VecEnv seeds episode k of env i with `${seed}/${i}/${k}`).
  const task = new HumanoidWallsTask(mj, opts);
  try {
    task.reset(new Rng('9/1/0'));
    let ret = 0;
    for (let t = 0; t < 30; t++) ret += task.step(new Float64Array(21)).reward;
    close(result.returns[1], ret, 1e-4);
    close(result.metric!.values[1], task.forwardProgress(), 1e-12);
    close(task.episodeMetric(), task.forwardProgress(), 0);
  } finally {
    task.close();
  }
  // Tasks without a metric report none.
  const plain = await evaluatePolicy(zero as any, { task: 'humanoid-run', taskOptions: { episodeLength: 5 }, episodes: 2, numEnvs: 2, mode: 'mean', workers: 0 });
  assert.equal(plain.metric, undefined);
});
