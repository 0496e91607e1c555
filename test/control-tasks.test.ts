/**
 * dm_control suite domains written here (cartpole swing-up, cheetah run, manipulator insert peg): golden reward
 * values from dm_control's formulas, readers against MuJoCo's own kinematics, initial-state distributions, the
 * manipulator's privileged/student views and that its camera image shows the slot. The manipulator's training
 * variant (curricula, shaping, floor grasp) is tested in training-variants.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMujoco } from '../src/physics/mujoco';
import { Rng } from '../src/util/rng';
import { CartpoleSwingup } from '../src/envs/cartpole';
import { CheetahRun } from '../src/envs/cheetah';
import { ManipulatorInsertPeg, pegRewardTerms } from '../src/envs/manipulator';
import { viewSize } from '../src/envs/types';

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
