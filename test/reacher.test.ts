/**
 * dm_control Reacher (easy / hard): spec and views (privileged to_target, vision student), dm_control's initial
 * state distribution, the sparse reward's radius, that the top-down depth image shows the target, and that the
 * camera option removes the image and its cost. Generic checks (every registered task) live in envs.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMujoco, nameToId } from '../src/physics/mujoco';
import { Rng } from '../src/util/rng';
import { listTasks, makeTask } from '../src/envs/registry';
import { Reacher, REACHER_TARGET_SIZE } from '../src/envs/reacher';
import { viewSize } from '../src/envs/types';
import { ppoPreset } from '../src/rl/presets';
import { resolvePPOConfig } from '../src/rl/config';
import '../src/envs';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

/** Arm pose by hand (shoulder, wrist angles), at rest. */
function setArm(task: Reacher, shoulder: number, wrist: number): void {
  const d = task.physics.data as any;
  d.qpos[0] = shoulder;
  d.qpos[1] = wrist;
  d.qvel.fill(0);
  task.mj.mj_forward(task.physics.model, task.physics.data);
}

/** Pixel (row, col) of world point (x, y) on the floor plane in the 32 x 32 image (camera 0.75 m up, fovy 40). */
function pixelOf(x: number, y: number, size = 32): [number, number] {
  const half = 0.75 * Math.tan((20 * Math.PI) / 180);
  return [Math.floor(((1 - y / half) / 2) * size), Math.floor(((x / half + 1) / 2) * size)];
}

test('reacher: registered easy and hard variants with dm_control timing, views and shapes', async () => {
  assert.deepEqual(listTasks(['reacher']).map((e) => e.name).sort(), ['reacher-easy', 'reacher-hard']);
  for (const [name, size] of [['reacher-easy', REACHER_TARGET_SIZE.easy], ['reacher-hard', REACHER_TARGET_SIZE.hard]] as const) {
    const task = (await makeTask(name)) as Reacher;
    try {
      const { spec } = task;
      assert.equal(task.targetSize, size);
      assert.equal(spec.actionDim, 2);
      assert.equal(spec.controlTimestep, 0.02);
      assert.equal(task.nSubsteps, 1);
      assert.equal(spec.episodeLength, 1000);
      assert.deepEqual(spec.observationGroups.map((g) => [g.name, g.shape, g.kind, g.privileged]), [
        ['position', [2], 'state', false],
        ['to_target', [2], 'state', true],
        ['velocity', [2], 'state', false],
        ['image', [32, 32, 1], 'image', false],
      ]);
      assert.deepEqual(spec.views.default, ['position', 'to_target', 'velocity']);
      assert.deepEqual(spec.views.expert, ['position', 'to_target', 'velocity']);
      assert.deepEqual(spec.views.common, ['position', 'velocity']);
      assert.deepEqual(spec.views.student, ['position', 'velocity', 'image']);
      assert.equal(viewSize(spec, spec.views.expert), 6);
      // The actuators are clamped to [-1, 1] by the model as well as by the task.
      const m = task.physics.model as any;
      assert.deepEqual(Array.from(m.actuator_ctrlrange as Float64Array), [-1, 1, -1, 1]);
    } finally {
      task.close();
    }
  }
});

test('reacher: initial state as dm_control (joints randomised, target radius in [0.05, 0.2]); determinism', async () => {
  const task = new Reacher(await loadMujoco(), { camera: false });
  try {
    const rng = new Rng(5);
    const radii: number[] = [];
    let shoulderNeg = 0;
    for (let e = 0; e < 200; e++) {
      task.reset(rng);
      const d = task.physics.data as any;
      const [shoulder, wrist] = d.qpos as Float64Array;
      assert.ok(Math.abs(shoulder) <= Math.PI, `shoulder ${shoulder}`);
      assert.ok(Math.abs(wrist) <= (160 * Math.PI) / 180 + 1e-12, `wrist ${wrist}`);
      if (shoulder < 0) shoulderNeg++;
      assert.deepEqual(Array.from(d.qvel as Float64Array), [0, 0]);
      const [tx, ty] = task.targetPosition();
      radii.push(Math.hypot(tx, ty));
      // to_target = target - finger, read from MuJoCo's geom positions.
      const o = task.observe();
      const [dx, dy] = task.fingerToTarget();
      close(o.to_target[0], dx, 1e-6);
      close(o.to_target[1], dy, 1e-6);
      assert.deepEqual(Array.from(o.position), Array.from(d.qpos as Float64Array, Math.fround));
    }
    assert.ok(Math.min(...radii) >= 0.05 && Math.max(...radii) <= 0.2, `radii in [${Math.min(...radii)}, ${Math.max(...radii)}]`);
    assert.ok(Math.min(...radii) < 0.07 && Math.max(...radii) > 0.18, 'target radius does not cover [0.05, 0.2]');
    assert.ok(shoulderNeg > 60 && shoulderNeg < 140, `shoulder < 0 in ${shoulderNeg} of 200 episodes`);

    // Same seed and actions => same states, observations and rewards.
    const roll = (seed: number) => {
      task.reset(new Rng(seed));
      const out: number[][] = [];
      for (let t = 0; t < 20; t++) {
        const r = task.step([Math.sin(t), Math.cos(t)]).reward;
        out.push([...task.getState(), r, ...Object.values(task.observe()).flatMap((v) => Array.from(v))]);
      }
      return out;
    };
    assert.deepEqual(roll(3), roll(3));
    assert.notDeepEqual(roll(3)[0], roll(4)[0]);
  } finally {
    task.close();
  }
});

test('reacher: sparse reward is 1 within target + finger radius of the target, 0 outside', async () => {
  const mj = await loadMujoco();
  for (const size of [REACHER_TARGET_SIZE.easy, REACHER_TARGET_SIZE.hard]) {
    const task = new Reacher(mj, { camera: false }, size);
    try {
      task.reset(new Rng(1));
      setArm(task, 0.4, -0.9);
      const fx = (task.physics.data as any).geom_xpos;
      const finger = 3 * nameToId(task.physics, 'geom', 'finger');
      const [x, y] = [fx[finger], fx[finger + 1]];
      task.placeTarget(x, y);
      close(task.fingerToTargetDist(), 0, 1e-12);
      assert.equal(task.reward(), 1);
      const radii = size + 0.01;
      task.placeTarget(x + 0.99 * radii, y);
      assert.equal(task.reward(), 1);
      task.placeTarget(x + 1.01 * radii, y);
      assert.equal(task.reward(), 0);
      task.placeTarget(-x, -y);
      assert.equal(task.reward(), 0);
      // The step reward is reward() of the new state.
      const r = task.step([0, 0]);
      assert.equal(r.reward, task.reward());
    } finally {
      task.close();
    }
  }
});

test('reacher: the motors turn the joints in the positive sense (gear 0.05 on a light arm)', async () => {
  const task = new Reacher(await loadMujoco(), { camera: false });
  try {
    task.reset(new Rng(2));
    setArm(task, 0, 0);
    for (let t = 0; t < 10; t++) task.step([1, 0]);
    const q = (task.physics.data as any).qpos as Float64Array;
    assert.ok(q[0] > 0.05, `shoulder ${q[0]} after 0.2 s of +1`);
    setArm(task, 0, 0);
    for (let t = 0; t < 10; t++) task.step([0, -1]);
    assert.ok(q[1] < -0.05, `wrist ${q[1]} after 0.2 s of -1`);
  } finally {
    task.close();
  }
});

test('reacher: the student sees the target in its depth image, never the privileged to_target', async () => {
  const task = new Reacher(await loadMujoco());
  try {
    const { spec } = task;
    const privileged = spec.observationGroups.filter((g) => g.privileged).map((g) => g.name);
    assert.deepEqual(privileged, ['to_target']);
    assert.ok(spec.views.student.every((g) => !privileged.includes(g)));

    task.reset(new Rng(0));
    setArm(task, 0, 0); // arm along +x, away from targets on the y axis
    task.placeTarget(0, 0.15);
    const a = task.observe().image;
    task.placeTarget(0, -0.15);
    const b = task.observe().image;
    for (const img of [a, b]) assert.ok(img.every((v) => v >= 0 && v <= 1), 'image outside [0, 1]');
    const at = (img: Float32Array, x: number, y: number) => {
      const [r, c] = pixelOf(x, y);
      return img[r * 32 + c];
    };
    // Top of the 5 cm target (z 0.06) reads ~0.14 in the [0.68, 0.75] m window; empty space reads 1.
    assert.ok(at(a, 0, 0.15) < 0.3, `target pixel ${at(a, 0, 0.15)}`);
    assert.equal(at(a, 0, -0.15), 1);
    assert.ok(at(b, 0, -0.15) < 0.3, `target pixel ${at(b, 0, -0.15)}`);
    assert.equal(at(b, 0, 0.15), 1);
    // The arm is visible too (lower than the target: 0.5-1); moving the target changes only its two discs (~6 px wide).
    const arm = at(a, 0.06, 0);
    assert.ok(arm > 0.5 && arm < 1, `arm pixel ${arm}`);
    let changed = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) changed++;
    assert.ok(changed >= 30 && changed <= 100, `${changed} pixels changed when the target moved`);
    // The hard target (1.5 cm) is still visible.
    const hard = new Reacher(task.mj, {}, REACHER_TARGET_SIZE.hard);
    try {
      hard.reset(new Rng(0));
      setArm(hard, 0, 0);
      hard.placeTarget(-0.1, 0.1);
      assert.ok(at(hard.observe().image, -0.1, 0.1) < 0.9);
    } finally {
      hard.close();
    }
  } finally {
    task.close();
  }
});

test('reacher: camera: false drops the image group, the student view and the ray-casting cost', async () => {
  const mj = await loadMujoco();
  const off = new Reacher(mj, { camera: false });
  const on = new Reacher(mj, { camera: true, imageSize: 16 });
  try {
    assert.deepEqual(off.spec.observationGroups.map((g) => g.name), ['position', 'to_target', 'velocity']);
    assert.equal(off.spec.views.student, undefined);
    assert.deepEqual(Object.keys(off.observe()), ['position', 'to_target', 'velocity']);
    assert.deepEqual(on.spec.observationGroups.find((g) => g.name === 'image')!.shape, [16, 16, 1]);
    // Dynamics do not depend on the camera.
    off.reset(new Rng(9));
    on.reset(new Rng(9));
    for (let t = 0; t < 5; t++) {
      off.step([0.3, -0.7]);
      on.step([0.3, -0.7]);
    }
    assert.deepEqual(Array.from(off.getState()), Array.from(on.getState()));
    // Ray casting dominates a step (measured ~35x); demand only 3x so a loaded machine does not fail the test.
    const time = (task: Reacher, n: number) => {
      const t0 = process.hrtime.bigint();
      for (let t = 0; t < n; t++) {
        task.step([0.1, 0.1]);
        task.observe();
      }
      return Number(process.hrtime.bigint() - t0) / n;
    };
    const full = new Reacher(mj, {});
    try {
      time(off, 200);
      time(full, 50);
      const perOff = time(off, 2000);
      const perOn = time(full, 300);
      assert.ok(perOn > 3 * perOff, `camera on ${perOn.toFixed(0)} ns/step vs off ${perOff.toFixed(0)} ns/step`);
    } finally {
      full.close();
    }
    assert.throws(() => new Reacher(mj, { camera: 'yes' as unknown as boolean }), /camera must be true or false/);
    assert.throws(() => new Reacher(mj, { imageSize: 0 }), /imageSize must be a positive integer/);
    assert.throws(() => new Reacher(mj, {}, -1), /targetSize must be a positive radius/);
  } finally {
    off.close();
    on.close();
  }
});

test('reacher: the PPO preset trains the expert view with the camera off', () => {
  const c = resolvePPOConfig(ppoPreset('reacher-easy'));
  assert.equal(c.view, 'expert');
  assert.deepEqual(c.taskOptions, { camera: false });
  assert.deepEqual(c.evalTaskOptions, { camera: false });
  assert.ok(c.totalSteps >= 1_000_000 && c.totalSteps <= 2_000_000);
});
