/**
 * Humanoid domain (dm_control suite) and the walls corridor task: spec, observation order, reward golden values
 * from dm_control's formulas, action validation, collision-free random initialisation, determinism.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachContact, loadMujoco, type Mujoco } from '../src/physics/mujoco';
import { Rng } from '../src/util/rng';
import { HumanoidTask, humanoidRewardTerms, slerp, HUMANOID_PROPRIO_VIEW } from '../src/envs/humanoid';
import { GAP_EDGE_MARGIN, HumanoidWallsTask, wallsUprightReward } from '../src/envs/humanoid-walls';
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

test('humanoid-walls: walls slide to each layout; camera: false and the training-only aliveBonus', () => {
  const task = new HumanoidWallsTask(mj, { camera: false, aliveBonus: 0.1 });
  const plain = new HumanoidWallsTask(mj, {});
  try {
    assert.throws(() => new HumanoidWallsTask(mj, { aliveBonus: -1 }), /aliveBonus must be a finite number >= 0/);
    assert.throws(() => new HumanoidWallsTask(mj, { camera: 1 as any }), /camera must be true or false/);
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
  assert.throws(() => new HumanoidWallsTask(mj, { uprightShaping: 1 as any }), /uprightShaping must be true or false/);
  const plain = new HumanoidWallsTask(mj, { camera: false });
  const shaped = new HumanoidWallsTask(mj, { camera: false, uprightShaping: true });
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
  assert.throws(() => new HumanoidWallsTask(mj, { gapShaping: true }), /set uprightShaping: true with it/);
  assert.throws(() => new HumanoidWallsTask(mj, { uprightShaping: true, gapShaping: 'yes' as any }), /gapShaping must be true, false, 'centre' or 'nearest'/);
  const task = new HumanoidWallsTask(mj, { camera: false, uprightShaping: true, gapShaping: true });
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
  const task = new HumanoidWallsTask(mj, { camera: false, uprightShaping: true, gapShaping: 'nearest' });
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
  assert.throws(() => new HumanoidWallsTask(mj, { camera: false, uprightShaping: true, gapShaping: 'nearest', gapEdgeMargin: -1 }), /gapEdgeMargin must be a finite number >= 0/);
  const wide = new HumanoidWallsTask(mj, { camera: false, uprightShaping: true, gapShaping: 'nearest', gapEdgeMargin: 1.25 });
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
  assert.throws(() => new HumanoidTask(mj, { headRiseShaping: -1 }), /headRiseShaping must be a finite number >= 0/);
  const k = 5;
  const plain = new HumanoidTask(mj, { initialPose: 'random' });
  const shaped = new HumanoidTask(mj, { initialPose: 'random', headRiseShaping: k });
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
  assert.throws(() => new HumanoidWallsTask(mj, { camera: false, wallContactPenalty: -0.1 }), /wallContactPenalty must be a finite number >= 0/);
  const plain = new HumanoidWallsTask(mj, { camera: false });
  const penal = new HumanoidWallsTask(mj, { camera: false, wallContactPenalty: 0.5 });
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
  assert.throws(() => new HumanoidTask(mj, { regetUpSteps: -1 }), /regetUpSteps must be an integer >= 0/);
  const plain = new HumanoidTask(mj, { initialPose: 'upright' });
  const again = new HumanoidTask(mj, { initialPose: 'upright', regetUpSteps: 40 });
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
  assert.throws(() => new HumanoidTask(mj, { initialPose: 'lying' as any }), /initialPose must be 'random', 'upright' or 'mixed'/);
  assert.throws(() => new HumanoidTask(mj, { initialPose: 'mixed', randomPoseFraction: 2 }), /randomPoseFraction must be in \[0, 1\]/);
  assert.throws(() => new HumanoidTask(mj, { getUpSteps: 1.5 }), /getUpSteps must be an integer >= 0/);
  const mixed = new HumanoidTask(mj, { initialPose: 'mixed', randomPoseFraction: 0.5 });
  const dropped = new HumanoidTask(mj, { initialPose: 'mixed', randomPoseFraction: 1, getUpSteps: 60 });
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
    assert.throws(() => new HumanoidTask(mj, { headHeightBonus: -0.1 }), /headHeightBonus must be a finite number >= 0/);
    const shaped = new HumanoidTask(mj, { initialPose: 'mixed', randomPoseFraction: 1, headHeightBonus: 0.1 });
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
  assert.throws(() => new HumanoidTask(mj, { initialPose: 'mixed', randomPoseFraction: 0.5, blendPoseFraction: 0.6 }), /blendPoseFraction must be >= 0 with randomPoseFraction \+ blendPoseFraction <= 1/);
  const task = new HumanoidTask(mj, { initialPose: 'upright' });
  try {
    const hp = task.humanoid;
    const d = hp.physics.data as any;
    assert.throws(() => hp.initializeBlendedPose(new Rng(1), 1.5), /alpha must be in \[0, 1\]/);
    hp.setUprightPose();
    const standingHead = hp.headHeight();
    for (let e = 0; e < 5; e++) {
      // alpha 0: the upright keyframe (joints 0, torso vertical), turned to some heading, feet 1 cm above the floor.
      hp.initializeBlendedPose(new Rng(10 + e), 0);
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
      hp.initializeBlendedPose(rngB, 1);
      Array.from(d.qpos.subarray(7, 28) as Float64Array).forEach((v, k) => close(v, joints[k], 1e-12));
      Array.from(d.qpos.subarray(3, 7) as Float64Array).forEach((v, k) => close(Math.abs(v), Math.abs(quat[k]), 1e-9));
      close(hp.lowestHeight(), 0.01, 1e-9);
      assert.ok((d.qvel as Float64Array).every((v: number) => v === 0));
      // The same pose moved rigidly: the head keeps its height above the root.
      close(hp.headHeight() - d.qpos[2], headAboveRoot, 1e-9);
    }
    // Through the task: 'mixed' with blends only; a blend that starts with the head below failHeight has
    // getUpSteps to rise, one above it is risen already (fails at the first fall).
    const blends = new HumanoidTask(mj, { initialPose: 'mixed', randomPoseFraction: 0, blendPoseFraction: 1, getUpSteps: 50 });
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
  assert.throws(() => new HumanoidTask(mj, { assistForce: -0.1 }), /assistForce must be in \[0, 2\]/);
  assert.throws(() => new HumanoidTask(mj, { assistForce: 3 }), /assistForce must be in \[0, 2\]/);
  const task = new HumanoidTask(mj, { initialPose: 'mixed', randomPoseFraction: 0.5, assistForce: 0.8, getUpSteps: 200 });
  const plain = new HumanoidTask(mj, { initialPose: 'random', getUpSteps: 200 });
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
        const forced = new HumanoidTask(mj, { initialPose: 'random', assistForce: 2, getUpSteps: 200 });
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
        assert.equal((t as HumanoidTask).assistNewtons(), 0, 'assistForce 0 never assists');
      }
    }
    assert.ok(heads[1] > heads[0] + 0.3, `head after 60 steps unassisted ${heads[0]} vs assisted ${heads[1]}`);
    // A dropped random pose passes 1.2 m on its way down (slowly, when assisted): that is no rise, and the assist
    // holds until the head has been below failHeight and comes back up to 1.2 m.
    const dropped = new HumanoidTask(mj, { initialPose: 'random', assistForce: 0.8, getUpSteps: 200 });
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
      const short = new HumanoidTask(mj, { initialPose: 'random', assistForce: 0.8, getUpSteps: 10 });
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
