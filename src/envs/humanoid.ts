/**
 * dm_control suite Humanoid domain (Stand / Walk / Run), the paper's main expert-cloning benchmark
 * ("Humanoid Run", Sections 5.1-5.3). Model, observations (67-d), reward and episode initialisation follow
 * dm_control's suite/humanoid.py and humanoid.xml; the MJCF below is written here from those published numbers.
 * `failed()` (head below `failHeight`, after `getUpSteps` for a dropped pose) is the Task contract's training
 * signal, not dm_control's. The training-only start-pose curricula, assist force and shaping are the training
 * variant in src/training/variants/humanoid.ts.
 */
import { compileModel, nameToId, type Mujoco, type Physics } from '../physics/mujoco';
import type { Rng } from '../util/rng';
import { legacyStep, resolveEpisodeLength } from './control-task';
import { registerTask } from './registry';
import { tolerance } from './rewards';
import { checkAction, type ObservationGroupSpec, type ObservationGroups, type StepResult, type Task, type TaskOptions, type TaskSpec } from './types';

// ---------------------------------------------------------------------------------------------------------
// Facts from dm_control (suite/humanoid.py, suite/humanoid.xml).
// ---------------------------------------------------------------------------------------------------------
export const HUMANOID_TIMESTEP = 0.005;
export const HUMANOID_CONTROL_TIMESTEP = 0.025;
/** 25 s time limit / 0.025 s control step. */
export const HUMANOID_EPISODE_LENGTH = 1000;
/** Head height above which the standing term is 1. */
export const HUMANOID_STAND_HEIGHT = 1.4;
export const HUMANOID_WALK_SPEED = 1;
export const HUMANOID_RUN_SPEED = 10;

/** Actuated joints in actuator (= action) order, with the motor gear of each. */
export const HUMANOID_ACTUATORS: ReadonlyArray<readonly [string, number]> = [
  ['abdomen_y', 40], ['abdomen_z', 40], ['abdomen_x', 40],
  ['right_hip_x', 40], ['right_hip_z', 40], ['right_hip_y', 120], ['right_knee', 80], ['right_ankle_x', 20], ['right_ankle_y', 20],
  ['left_hip_x', 40], ['left_hip_z', 40], ['left_hip_y', 120], ['left_knee', 80], ['left_ankle_x', 20], ['left_ankle_y', 20],
  ['right_shoulder1', 20], ['right_shoulder2', 20], ['right_elbow', 40],
  ['left_shoulder1', 20], ['left_shoulder2', 20], ['left_elbow', 40],
];

/** Geoms that may touch the ground without the humanoid counting as fallen (RunThroughCorridor's foot geoms). */
export const HUMANOID_FOOT_GEOMS = ['right_foot_outer', 'right_foot_inner', 'left_foot_outer', 'left_foot_inner'];

type Side = 'left' | 'right';
const f = (xs: number[]): string => xs.map((x) => +x.toFixed(4)).join(' ');

/** One leg. `s` = +1 for the left side, -1 for the right (y mirrors); the hip_y range is asymmetric in dm_control. */
function legXml(side: Side, hipYRange: [number, number]): string {
  const s = side === 'left' ? 1 : -1;
  return `
          <body name="${side}_thigh" pos="${f([0, 0.1 * s, -0.04])}">
            <joint name="${side}_hip_x" axis="${f([-s, 0, 0])}" range="-25 5" class="big_joint"/>
            <joint name="${side}_hip_z" axis="${f([0, 0, -s])}" range="-60 35" class="big_joint"/>
            <joint name="${side}_hip_y" axis="0 1 0" range="${f(hipYRange)}" class="big_stiff_joint"/>
            <geom name="${side}_thigh" fromto="${f([0, 0, 0, 0, -0.01 * s, -0.34])}" size=".06"/>
            <body name="${side}_shin" pos="${f([0, -0.01 * s, -0.403])}">
              <joint name="${side}_knee" pos="0 0 .02" axis="0 -1 0" range="-160 2"/>
              <geom name="${side}_shin" fromto="0 0 0 0 0 -.3" size=".049"/>
              <body name="${side}_foot" pos="0 0 -.39">
                <joint name="${side}_ankle_y" pos="0 0 .08" axis="0 1 0" range="-50 50" stiffness="6"/>
                <joint name="${side}_ankle_x" pos="0 0 .04" axis="1 0 .5" range="-50 50" stiffness="3"/>
                <geom name="${side}_foot_outer" fromto="${f([-0.07, 0.02 * s, 0, 0.14, 0.04 * s, 0])}" size=".027"/>
                <geom name="${side}_foot_inner" fromto="${f([-0.07, 0, 0, 0.14, -0.02 * s, 0])}" size=".027"/>
              </body>
            </body>
          </body>`;
}

/**
 * One arm; the shoulder ranges mirror ([-85, 60] right, [-60, 85] left). The upper arm points outwards (y = s) and
 * the forearm folds back inwards (y = -s), as in dm_control's model.
 */
function armXml(side: Side): string {
  const s = side === 'left' ? 1 : -1;
  const range = side === 'left' ? '-60 85' : '-85 60';
  return `
      <body name="${side}_upper_arm" pos="${f([0, 0.17 * s, 0.06])}">
        <joint name="${side}_shoulder1" axis="${f([2, -s, 1])}" range="${range}"/>
        <joint name="${side}_shoulder2" axis="${f([0, s, 1])}" range="${range}"/>
        <geom name="${side}_upper_arm" fromto="${f([0, 0, 0, 0.16, 0.16 * s, -0.16])}" size=".04"/>
        <body name="${side}_lower_arm" pos="${f([0.18, 0.18 * s, -0.18])}">
          <joint name="${side}_elbow" axis="${f([0, -1, -s])}" range="-90 50" stiffness="0"/>
          <geom name="${side}_lower_arm" fromto="${f([0.01, -0.01 * s, 0.01, 0.17, -0.17 * s, 0.17])}" size=".031"/>
          <body name="${side}_hand" pos="${f([0.18, -0.18 * s, 0.18])}">
            <geom name="${side}_hand" type="sphere" size=".04"/>
          </body>
        </body>
      </body>`;
}

export interface HumanoidModelOptions {
  /** Geom group of the humanoid's own geoms, so a ray camera can look past them (default 0). */
  bodyGeomGroup?: number;
  /** Extra MJCF placed in <worldbody> (arena geoms). Default: none. */
  arenaXml?: string;
  /** Half-sizes of the floor plane (default [100, 100], dm_control's). */
  floorSize?: [number, number];
  /** Floor centre (default [0, 0]). */
  floorPos?: [number, number];
}

/**
 * MJCF of the dm_control humanoid. Differences from humanoid.xml that do not change the dynamics: the touch,
 * force and torque sensors, sites, lights, cameras other than `egocentric`, and materials are left out
 * (no observation uses them); only `torso_subtreelinvel` (the centre-of-mass velocity) is kept.
 */
export function humanoidXml(options: HumanoidModelOptions = {}): string {
  const group = options.bodyGeomGroup ?? 0;
  const [fx, fy] = options.floorSize ?? [100, 100];
  const [px, py] = options.floorPos ?? [0, 0];
  return `<mujoco model="humanoid">
  <compiler angle="degree"/>
  <option timestep="${HUMANOID_TIMESTEP}"/>
  <default>
    <motor ctrlrange="-1 1" ctrllimited="true"/>
    <default class="body">
      <geom type="capsule" condim="1" friction=".7" solimp=".9 .99 .003" solref=".015 1" group="${group}"/>
      <joint type="hinge" damping=".2" stiffness="1" armature=".01" limited="true" solimplimit="0 .99 .01"/>
      <default class="big_joint">
        <joint damping="5" stiffness="10"/>
        <default class="big_stiff_joint">
          <joint stiffness="20"/>
        </default>
      </default>
    </default>
  </default>
  <worldbody>
    <geom name="floor" type="plane" conaffinity="1" pos="${f([px, py, 0])}" size="${f([fx, fy, 0.2])}"/>
    ${options.arenaXml ?? ''}
    <body name="torso" pos="0 0 1.5" childclass="body">
      <freejoint name="root"/>
      <geom name="torso" fromto="0 -.07 0 0 .07 0" size=".07"/>
      <geom name="upper_waist" fromto="-.01 -.06 -.12 -.01 .06 -.12" size=".06"/>
      <body name="head" pos="0 0 .19">
        <geom name="head" type="sphere" size=".09"/>
        <camera name="egocentric" pos=".09 0 0" xyaxes="0 -1 0 .1 0 1" fovy="80"/>
      </body>
      <body name="lower_waist" pos="-.01 0 -.26" quat="1 0 -.002 0">
        <geom name="lower_waist" fromto="0 -.06 0 0 .06 0" size=".06"/>
        <joint name="abdomen_z" pos="0 0 .065" axis="0 0 1" range="-45 45" class="big_stiff_joint"/>
        <joint name="abdomen_y" pos="0 0 .065" axis="0 1 0" range="-75 30" class="big_joint"/>
        <body name="pelvis" pos="0 0 -.165" quat="1 0 -.002 0">
          <joint name="abdomen_x" pos="0 0 .1" axis="1 0 0" range="-35 35" class="big_joint"/>
          <geom name="butt" fromto="-.02 -.07 0 -.02 .07 0" size=".09"/>${legXml('right', [-110, 20])}${legXml('left', [-120, 20])}
        </body>
      </body>${armXml('right')}${armXml('left')}
    </body>
  </worldbody>
  <actuator>
${HUMANOID_ACTUATORS.map(([j, g]) => `    <motor name="${j}" joint="${j}" gear="${g}"/>`).join('\n')}
  </actuator>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
  </sensor>
</mujoco>`;
}

// ---------------------------------------------------------------------------------------------------------
// Physics view: small named readers (dm_control's humanoid.Physics).
// ---------------------------------------------------------------------------------------------------------

/** Wraps a compiled humanoid model with cached ids and dm_control's named readers. */
export class HumanoidPhysics {
  readonly physics: Physics;
  readonly mj: Mujoco;
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  /** Physics steps per control step (0.025 / 0.005 = 5). */
  readonly nSubsteps: number;
  readonly torsoId: number;
  readonly headId: number;
  /** Body ids of left_hand, left_foot, right_hand, right_foot (dm_control's extremities order). */
  readonly extremityIds: Int32Array;
  /** Address of torso_subtreelinvel in sensordata. */
  private readonly comVelAdr: number;
  /** Torso height that puts the feet on the floor in the default (all-zero joint) pose. */
  readonly standingTorsoHeight: number;
  /** Ids of every geom belonging to the humanoid, and of its foot geoms. */
  readonly bodyGeomIds: Set<number>;
  readonly footGeomIds: Set<number>;
  private readonly nonFootGeoms: Int32Array;
  private readonly nonFootIsCapsule: Uint8Array;
  private readonly allGeoms: Int32Array;
  private readonly allIsCapsule: Uint8Array;

  constructor(physics: Physics, controlTimestep = HUMANOID_CONTROL_TIMESTEP) {
    this.physics = physics;
    this.mj = physics.mj;
    const m = physics.model as any;
    this.nq = m.nq;
    this.nv = m.nv;
    this.nu = m.nu;
    this.nSubsteps = Math.round(controlTimestep / m.opt.timestep);
    if (this.nu !== HUMANOID_ACTUATORS.length || this.nq !== 28 || this.nv !== 27) {
      throw new Error(`not a humanoid model: nq=${this.nq}, nv=${this.nv}, nu=${this.nu} (expected 28, 27, 21)`);
    }
    this.torsoId = nameToId(physics, 'body', 'torso');
    this.headId = nameToId(physics, 'body', 'head');
    this.extremityIds = Int32Array.from(['left_hand', 'left_foot', 'right_hand', 'right_foot'].map((b) => nameToId(physics, 'body', b)));
    const sensorId = nameToId(physics, 'sensor', 'torso_subtreelinvel');
    this.comVelAdr = m.sensor_adr[sensorId];
    const geomBody: Int32Array = m.geom_bodyid;
    const rootOf: Int32Array = m.body_rootid;
    this.bodyGeomIds = new Set();
    for (let g = 0; g < m.ngeom; g++) if (rootOf[geomBody[g]] === this.torsoId) this.bodyGeomIds.add(g);
    this.footGeomIds = new Set(HUMANOID_FOOT_GEOMS.map((g) => nameToId(physics, 'geom', g)));
    const CAPSULE = (this.mj as any).mjtGeom.mjGEOM_CAPSULE.value;
    const SPHERE = (this.mj as any).mjtGeom.mjGEOM_SPHERE.value;
    for (const g of this.bodyGeomIds) {
      if (m.geom_type[g] !== CAPSULE && m.geom_type[g] !== SPHERE) throw new Error(`humanoid geom ${g} is neither a capsule nor a sphere`);
    }
    const nonFoot = [...this.bodyGeomIds].filter((g) => !this.footGeomIds.has(g));
    this.nonFootGeoms = Int32Array.from(nonFoot);
    this.nonFootIsCapsule = Uint8Array.from(nonFoot.map((g) => (m.geom_type[g] === CAPSULE ? 1 : 0)));
    this.allGeoms = Int32Array.from(this.bodyGeomIds);
    this.allIsCapsule = Uint8Array.from([...this.bodyGeomIds].map((g) => (m.geom_type[g] === CAPSULE ? 1 : 0)));
    // Standing height: the default pose's lowest foot point is (1.5 - this) above the floor.
    this.mj.mj_resetData(m, physics.data);
    this.mj.mj_forward(m, physics.data);
    const gxpos: Float64Array = (physics.data as any).geom_xpos;
    const gsize: Float64Array = m.geom_size;
    let lowest = Infinity;
    for (const g of this.footGeomIds) lowest = Math.min(lowest, gxpos[3 * g + 2] - gsize[3 * g]);
    this.standingTorsoHeight = 1.5 - lowest;
    this.mj.mj_resetData(m, physics.data);
  }

  // --- readers -------------------------------------------------------------------------------------------
  /** Height of the head body (dm_control's head_height). */
  headHeight(): number {
    return (this.physics.data as any).xpos[3 * this.headId + 2];
  }

  /** z-z entry of the torso orientation: projection of the torso z-axis on the world z-axis. */
  torsoUpright(): number {
    return (this.physics.data as any).xmat[9 * this.torsoId + 8];
  }

  /** The z-row of the torso orientation matrix (zx, zy, zz). */
  torsoVerticalOrientation(out: Float32Array | Float64Array = new Float64Array(3)): typeof out {
    const x: Float64Array = (this.physics.data as any).xmat;
    const k = 9 * this.torsoId + 6;
    out[0] = x[k]; out[1] = x[k + 1]; out[2] = x[k + 2];
    return out;
  }

  /** Centre-of-mass position of the whole humanoid (subtree of the torso). */
  centerOfMassPosition(out: Float32Array | Float64Array = new Float64Array(3)): typeof out {
    const c: Float64Array = (this.physics.data as any).subtree_com;
    const k = 3 * this.torsoId;
    out[0] = c[k]; out[1] = c[k + 1]; out[2] = c[k + 2];
    return out;
  }

  /** Centre-of-mass linear velocity (the torso_subtreelinvel sensor). */
  centerOfMassVelocity(out: Float32Array | Float64Array = new Float64Array(3)): typeof out {
    const s: Float64Array = (this.physics.data as any).sensordata;
    const k = this.comVelAdr;
    out[0] = s[k]; out[1] = s[k + 1]; out[2] = s[k + 2];
    return out;
  }

  /** Horizontal speed of the centre of mass. */
  horizontalSpeed(): number {
    const s: Float64Array = (this.physics.data as any).sensordata;
    return Math.hypot(s[this.comVelAdr], s[this.comVelAdr + 1]);
  }

  /** Forward (world x) velocity of the centre of mass. */
  forwardVelocity(): number {
    return (this.physics.data as any).sensordata[this.comVelAdr];
  }

  /** Hinge angles: qpos without the 7 root coordinates. */
  jointAngles(out: Float32Array | Float64Array = new Float64Array(this.nq - 7)): typeof out {
    const q: Float64Array = (this.physics.data as any).qpos;
    for (let i = 7; i < this.nq; i++) out[i - 7] = q[i];
    return out;
  }

  /** Hands and feet relative to the torso, in the torso frame (left hand, left foot, right hand, right foot). */
  extremities(out: Float32Array | Float64Array = new Float64Array(12)): typeof out {
    const data = this.physics.data as any;
    const xpos: Float64Array = data.xpos;
    const xmat: Float64Array = data.xmat;
    const t = 3 * this.torsoId;
    const r = 9 * this.torsoId;
    for (let e = 0; e < 4; e++) {
      const b = 3 * this.extremityIds[e];
      const dx = xpos[b] - xpos[t], dy = xpos[b + 1] - xpos[t + 1], dz = xpos[b + 2] - xpos[t + 2];
      // (world vector) . R  =  R^T v: coordinates in the torso frame.
      for (let j = 0; j < 3; j++) out[3 * e + j] = dx * xmat[r + j] + dy * xmat[r + 3 + j] + dz * xmat[r + 6 + j];
    }
    return out;
  }

  /** Generalised velocities (27: root linear, root angular, 21 hinges). */
  velocity(out: Float32Array | Float64Array = new Float64Array(this.nv)): typeof out {
    out.set((this.physics.data as any).qvel);
    return out;
  }

  /** Current controls (the last applied action, clipped). */
  control(): Float64Array {
    return (this.physics.data as any).ctrl;
  }

  /** World position of the torso (root) body. */
  torsoPosition(out: Float32Array | Float64Array = new Float64Array(3)): typeof out {
    const x: Float64Array = (this.physics.data as any).xpos;
    const k = 3 * this.torsoId;
    out[0] = x[k]; out[1] = x[k + 1]; out[2] = x[k + 2];
    return out;
  }

  /** Heading of the torso: yaw of its x-axis in the world xy-plane (radians). */
  torsoYaw(): number {
    const x: Float64Array = (this.physics.data as any).xmat;
    const r = 9 * this.torsoId;
    return Math.atan2(x[r + 3], x[r]);
  }

  /** Number of active contacts. */
  contactCount(): number {
    return (this.physics.data as any).ncon;
  }

  /**
   * Height of the lowest point of any non-foot geom (capsules and spheres), computed from the geometry. Below 0 it
   * penetrates the floor plane at z = 0, which is exactly when MuJoCo (contact margin 0) reports a contact with it.
   */
  lowestNonFootHeight(): number {
    return this.lowestOf(this.nonFootGeoms, this.nonFootIsCapsule);
  }

  /** Height of the lowest point of the whole humanoid, feet included (see `lowestNonFootHeight`). */
  lowestHeight(): number {
    return this.lowestOf(this.allGeoms, this.allIsCapsule);
  }

  private lowestOf(geoms: Int32Array, isCapsule: Uint8Array): number {
    const data = this.physics.data as any;
    const xpos: Float64Array = data.geom_xpos;
    const xmat: Float64Array = data.geom_xmat;
    const size: Float64Array = (this.physics.model as any).geom_size;
    let lowest = Infinity;
    for (let i = 0; i < geoms.length; i++) {
      const g = geoms[i];
      // Capsule: centre minus half-length along its z-axis (world-z component xmat[8]) minus radius.
      const reach = isCapsule[i] ? Math.abs(xmat[9 * g + 8]) * size[3 * g + 1] : 0;
      lowest = Math.min(lowest, xpos[3 * g + 2] - reach - size[3 * g]);
    }
    return lowest;
  }

  // --- state setting -------------------------------------------------------------------------------------
  /**
   * dm_control's randomize_limited_and_rotational_joints for this model: limited hinges uniform in their
   * range, the free joint's quaternion = normalised 4 uniform [0, 1) numbers (dm_control keeps `rand`, not
   * `randn`, for benchmark compatibility), its position untouched.
   */
  randomizeLimitedAndRotationalJoints(rng: Rng): void {
    const m = this.physics.model as any;
    const mj = this.mj as any;
    const qpos: Float64Array = (this.physics.data as any).qpos;
    const type: Int32Array = m.jnt_type;
    const limited: Uint8Array = m.jnt_limited;
    const range: Float64Array = m.jnt_range;
    const adr: Int32Array = m.jnt_qposadr;
    const HINGE = mj.mjtJoint.mjJNT_HINGE.value, SLIDE = mj.mjtJoint.mjJNT_SLIDE.value, FREE = mj.mjtJoint.mjJNT_FREE.value;
    for (let j = 0; j < m.njnt; j++) {
      const a = adr[j];
      if (limited[j] && (type[j] === HINGE || type[j] === SLIDE)) {
        qpos[a] = rng.range(range[2 * j], range[2 * j + 1]);
      } else if (!limited[j] && type[j] === HINGE) {
        qpos[a] = rng.range(-Math.PI, Math.PI);
      } else if (type[j] === FREE) {
        const q = [rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()];
        const n = Math.hypot(q[0], q[1], q[2], q[3]);
        for (let k = 0; k < 4; k++) qpos[a + 3 + k] = q[k] / n;
      }
    }
  }

  /**
   * dm_control's Humanoid.initialize_episode: zero the data, then redraw random limited/rotational joint
   * positions until the pose has no contacts (the torso starts at 1.5 m, so the humanoid drops).
   * Returns the number of draws.
   */
  initializeRandomPose(rng: Rng, maxTries = 1000): number {
    const { model, data } = this.physics;
    this.mj.mj_resetData(model, data);
    for (let tries = 1; tries <= maxTries; tries++) {
      this.randomizeLimitedAndRotationalJoints(rng);
      this.mj.mj_forward(model, data);
      if ((data as any).ncon === 0) return tries;
    }
    throw new Error(`no collision-free random humanoid pose in ${maxTries} draws`);
  }

  /**
   * Upright standing keyframe: all joints at zero (their spring rest positions), feet on the floor at (x, y),
   * facing `yaw`, zero velocity and control. Optional uniform joint noise of +-`jointNoise` rad, clipped to the range.
   */
  setUprightPose(x = 0, y = 0, yaw = 0, rng?: Rng, jointNoise = 0): void {
    const { model, data } = this.physics;
    this.mj.mj_resetData(model, data);
    const qpos: Float64Array = (data as any).qpos;
    qpos[0] = x; qpos[1] = y; qpos[2] = this.standingTorsoHeight;
    qpos[3] = Math.cos(yaw / 2); qpos[4] = 0; qpos[5] = 0; qpos[6] = Math.sin(yaw / 2);
    if (rng && jointNoise > 0) {
      const range: Float64Array = (model as any).jnt_range;
      // Joint j >= 1 is hinge j, at qpos address 6 + j.
      for (let j = 1; j < (model as any).njnt; j++) {
        const v = rng.range(-jointNoise, jointNoise);
        qpos[6 + j] = Math.min(range[2 * j + 1], Math.max(range[2 * j], v));
      }
    }
    this.mj.mj_forward(model, data);
  }

  /**
   * Write `action` clipped to [-1, 1] into ctrl and advance one control step (nSubsteps physics steps).
   * Like dm_control's legacy step (mj_step2, mj_step x (n-1), mj_step1), positions, velocities and sensors
   * describe the state AFTER the step, at the cost of n plain steps. Requires mj_forward (or this) before.
   */
  controlStep(action: ArrayLike<number>): void {
    const ctrl: Float64Array = (this.physics.data as any).ctrl;
    for (let i = 0; i < this.nu; i++) {
      const a = action[i];
      ctrl[i] = a > 1 ? 1 : a < -1 ? -1 : a;
    }
    legacyStep(this.mj, this.physics, this.nSubsteps, false);
  }

  /** time, qpos, qvel, act, ctrl concatenated (for determinism checks and snapshots). */
  getState(extra: ArrayLike<number> = []): Float64Array {
    const data = this.physics.data as any;
    const parts: ArrayLike<number>[] = [[data.time], data.qpos, data.qvel, data.act, data.ctrl, extra];
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Observations and reward.
// ---------------------------------------------------------------------------------------------------------

/** dm_control's 67-d humanoid observation, in its order. */
export const HUMANOID_STATE_GROUPS: ReadonlyArray<ObservationGroupSpec> = [
  { name: 'joint_angles', shape: [21], kind: 'state', privileged: false },
  { name: 'head_height', shape: [1], kind: 'state', privileged: false },
  { name: 'extremities', shape: [12], kind: 'state', privileged: false },
  { name: 'torso_vertical', shape: [3], kind: 'state', privileged: false },
  { name: 'com_velocity', shape: [3], kind: 'state', privileged: false },
  { name: 'velocity', shape: [27], kind: 'state', privileged: false },
];
export const HUMANOID_PROPRIO_VIEW: string[] = HUMANOID_STATE_GROUPS.map((g) => g.name);

/** Fill the proprioceptive groups of `obs` (fresh Float32Arrays). */
export function observeProprio(hp: HumanoidPhysics, obs: ObservationGroups = {}): ObservationGroups {
  obs.joint_angles = hp.jointAngles(new Float32Array(21)) as Float32Array;
  obs.head_height = Float32Array.of(hp.headHeight());
  obs.extremities = hp.extremities(new Float32Array(12)) as Float32Array;
  obs.torso_vertical = hp.torsoVerticalOrientation(new Float32Array(3)) as Float32Array;
  obs.com_velocity = hp.centerOfMassVelocity(new Float32Array(3)) as Float32Array;
  obs.velocity = hp.velocity(new Float32Array(27)) as Float32Array;
  return obs;
}

const STANDING = { bounds: [HUMANOID_STAND_HEIGHT, Infinity] as [number, number], margin: HUMANOID_STAND_HEIGHT / 4 };
const UPRIGHT = { bounds: [0.9, Infinity] as [number, number], sigmoid: 'linear' as const, margin: 1.9, valueAtMargin: 0 };
const SMALL_CONTROL = { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' as const };
const DONT_MOVE = { margin: 2 };

/** The factors of dm_control's humanoid reward; `reward = standing * upright * smallControl * move`. */
export interface HumanoidRewardTerms { standing: number; upright: number; smallControl: number; move: number; reward: number }

/** dm_control Humanoid.get_reward for target speed `moveSpeed` (0 = stand still). */
export function humanoidRewardTerms(hp: HumanoidPhysics, moveSpeed: number): HumanoidRewardTerms {
  const standing = tolerance(hp.headHeight(), STANDING);
  const upright = tolerance(hp.torsoUpright(), UPRIGHT);
  const ctrl = hp.control();
  let c = 0;
  for (let i = 0; i < hp.nu; i++) c += tolerance(ctrl[i], SMALL_CONTROL);
  const smallControl = (4 + c / hp.nu) / 5;
  let move: number;
  if (moveSpeed === 0) {
    const v = hp.centerOfMassVelocity();
    move = (tolerance(v[0], DONT_MOVE) + tolerance(v[1], DONT_MOVE)) / 2;
  } else {
    const speed = hp.horizontalSpeed();
    move = tolerance(speed, { bounds: [moveSpeed, Infinity], margin: moveSpeed, valueAtMargin: 0, sigmoid: 'linear' });
    move = (5 * move + 1) / 6;
  }
  return { standing, upright, smallControl, move, reward: standing * upright * smallControl * move };
}

// ---------------------------------------------------------------------------------------------------------
// The task.
// ---------------------------------------------------------------------------------------------------------

export interface HumanoidOptions extends TaskOptions {
  /** Target horizontal centre-of-mass speed in m/s; 0 = stand (reward for not moving). Default 10 (Run). */
  moveSpeed?: number;
  /** `failed()` is true when the head is below this height in metres (default 0.9; see `failed`). */
  failHeight?: number;
  /**
   * Control steps an episode that starts below `failHeight` (a random pose) is given to get its head above it
   * before `failed()` reports the fall (default 100 = 2.5 s; see `failed`).
   */
  getUpSteps?: number;
  /** Control steps per episode (default 1000 = 25 s). */
  episodeLength?: number;
}

/** `options.episodeLength` validated, defaulting to dm_control's 1000 control steps (25 s). */
export function humanoidEpisodeLength(episodeLength: number | undefined): number {
  return resolveEpisodeLength(episodeLength, HUMANOID_EPISODE_LENGTH);
}

/**
 * What every humanoid task shares (Stand/Walk/Run here, the walls corridor in humanoid-walls.ts): validated,
 * clipped control steps, the step counter, state snapshots. Subclasses give reset, observe, reward, failed.
 */
export abstract class HumanoidTaskBase implements Task {
  abstract readonly spec: TaskSpec;
  /** The physics view with the named readers. */
  abstract readonly humanoid: HumanoidPhysics;
  protected steps = 0;

  get stepCount(): number {
    return this.steps;
  }

  abstract reset(rng: Rng): void;
  abstract observe(): ObservationGroups;
  abstract reward(): number;
  abstract failed(): boolean;

  step(action: ArrayLike<number>): StepResult {
    checkAction(this.spec, action);
    this.humanoid.controlStep(action);
    this.steps++;
    return { reward: this.reward(), timeLimit: this.steps >= this.spec.episodeLength };
  }

  /** Task variables appended to the physics state in `getState` (the step counter, plus subclass extras). */
  protected taskState(): number[] {
    return [this.steps];
  }

  getState(): Float64Array {
    return this.humanoid.getState(this.taskState());
  }

  close(): void {
    this.humanoid.physics.free();
  }
}

/** Control steps (0.5 s) a humanoid dropped from 1.5 m needs to land; its head counts as risen only after. */
export const DROP_STEPS = 20;

/** dm_control suite Humanoid: Stand (moveSpeed 0), Walk (1) and Run (10) are this class with different flags. */
export class HumanoidTask extends HumanoidTaskBase {
  readonly spec: TaskSpec;
  readonly humanoid: HumanoidPhysics;
  readonly moveSpeed: number;
  readonly failHeight: number;
  readonly getUpSteps: number;
  /** Whether the head has been above `failHeight` since the episode began (after the drop of a random pose). */
  protected risen = true;

  constructor(mj: Mujoco, options: HumanoidOptions = {}, name = 'humanoid-run', tags: string[] = ['humanoid', 'locomotion']) {
    super();
    const moveSpeed = options.moveSpeed ?? HUMANOID_RUN_SPEED;
    if (!(moveSpeed >= 0) || !Number.isFinite(moveSpeed)) throw new RangeError(`moveSpeed must be a finite number >= 0, got ${moveSpeed}`);
    const getUpSteps = options.getUpSteps ?? 100;
    if (!(Number.isInteger(getUpSteps) && getUpSteps >= 0)) throw new RangeError(`getUpSteps must be an integer >= 0, got ${getUpSteps}`);
    this.moveSpeed = moveSpeed;
    this.getUpSteps = getUpSteps;
    this.failHeight = options.failHeight ?? 0.9;
    this.humanoid = new HumanoidPhysics(compileModel(mj, humanoidXml(), name));
    this.spec = {
      name,
      tags: [...tags],
      actionDim: HUMANOID_ACTUATORS.length,
      observationGroups: HUMANOID_STATE_GROUPS.map((g) => ({ ...g, shape: [...g.shape] })),
      controlTimestep: HUMANOID_CONTROL_TIMESTEP,
      episodeLength: humanoidEpisodeLength(options.episodeLength),
      views: { default: [...HUMANOID_PROPRIO_VIEW], proprio: [...HUMANOID_PROPRIO_VIEW] },
    };
    this.humanoid.setUprightPose();
  }

  /** dm_control's initialize_episode: the collision-free random pose, dropped from 1.5 m. */
  reset(rng: Rng): void {
    this.humanoid.initializeRandomPose(rng);
    this.steps = 0;
    // A dropped random pose passes above failHeight while falling, which is no rise.
    this.risen = false;
  }

  override step(action: ArrayLike<number>): StepResult {
    const result = super.step(action);
    // The random pose is dropped from 1.5 m: the head passes above failHeight while falling, which is no rise.
    if (!this.risen && this.steps > DROP_STEPS && this.humanoid.headHeight() >= this.failHeight) this.risen = true;
    return result;
  }

  protected override taskState(): number[] {
    return [...super.taskState(), this.risen ? 1 : 0];
  }

  observe(): ObservationGroups {
    return observeProprio(this.humanoid);
  }

  /** dm_control's reward: standing x upright x small control x move. */
  reward(): number {
    return humanoidRewardTerms(this.humanoid, this.moveSpeed).reward;
  }

  /**
   * Training-only fall signal: head below `failHeight` (0.9 m by default; standing puts it at ~1.47 m). At 0.9 m
   * dm_control's standing factor is already below 0.01, so the reward is ~0 from then on. An episode that began
   * from the random pose (dropped, usually landing on the floor) is not failed until it has had `getUpSteps`
   * control steps to get its head above `failHeight`: then it fails if it has not risen. A risen humanoid fails
   * when it falls.
   */
  failed(): boolean {
    if (this.humanoid.headHeight() >= this.failHeight) return false;
    if (!this.risen) return this.steps >= this.getUpSteps;
    return true;
  }
}

/** The suite's humanoid tasks: name, target speed (m/s), description and tags. */
export const HUMANOID_TASKS: ReadonlyArray<{ name: string; moveSpeed: number; description: string; tags: string[] }> = ([
  ['humanoid-stand', 0, 'dm_control humanoid: stand up and stay still (head above 1.4 m)'],
  ['humanoid-walk', HUMANOID_WALK_SPEED, 'dm_control humanoid: move at >= 1 m/s'],
  ['humanoid-run', HUMANOID_RUN_SPEED, 'dm_control humanoid: move at >= 10 m/s (the paper\'s Humanoid Run)'],
] as const).map(([name, moveSpeed, description]) => ({
  name, moveSpeed, description, tags: ['humanoid', 'locomotion', 'dm_control', ...(name === 'humanoid-run' ? ['paper'] : [])],
}));

for (const { name, moveSpeed, description, tags } of HUMANOID_TASKS) {
  registerTask({
    name,
    tags,
    description,
    options: { failHeight: 'number', getUpSteps: 'integer', episodeLength: 'integer' },
    create: (mj, options) => new HumanoidTask(mj, { ...options, moveSpeed }, name, tags),
  });
}
