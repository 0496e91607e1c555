/**
 * dm_control suite Manipulator, Insert Peg (suite/manipulator.py, manipulator.xml): the paper's manipulation
 * task ("Insert Peg", Section 5), including the privileged-expert setting: the slot (target) pose is a PRIVILEGED
 * observation group, and a vision student instead sees a third-person ray-cast depth image showing the slot.
 *
 * Carried over from dm_control (facts): planar 4-link arm + 2-finger hand (8 joints, 5 motors incl. the grasp
 * tendon), the sword-shaped peg on x/z/rotation joints, the slot, physics step 1 ms, control step 10 ms, 10 s
 * (1000 steps); observations arm_pos (sin, cos), arm_vel, touch (log1p), hand_pos, object_pos, object_vel,
 * target_pos (44 numbers); reward = max(bringing, grasping / 3) from `_is_close` tolerances of site distances;
 * collision-free random initial state with the peg in hand (p = 0.1), in the slot (p = 0.1) or anywhere.
 *
 * Added here: the 'camera' image group (dm_control's pixel setting renders RGB from its far, narrow 'fixed'
 * camera; here a 32 x 32 depth image from a nearer camera on the same axis, the background plane hidden).
 *
 * Training-only curricula and shaping (more in-hand starts, slot blends, floor grasps, shaped rewards) are not
 * here: they are the training variant in src/training/variants/manipulator.ts, which overrides this task's
 * protected start hooks and its reward.
 */
import { compileModel, nameToId, type Mujoco, type Physics } from '../physics/mujoco';
import { RayCamera } from '../physics/raycam';
import type { Rng } from '../util/rng';
import { ControlTask, resolveEpisodeLength } from './control-task';
import { registerTask } from './registry';
import { tolerance } from './rewards';
import type { ObservationGroupSpec, ObservationGroups, TaskOptions, TaskSpec } from './types';

// ---------------------------------------------------------------------------------------------------------
// Facts from dm_control (suite/manipulator.py).
// ---------------------------------------------------------------------------------------------------------
export const MANIPULATOR_TIMESTEP = 0.001;
export const MANIPULATOR_CONTROL_TIMESTEP = 0.01;
/** 10 s time limit / 0.01 s control step. */
export const MANIPULATOR_EPISODE_LENGTH = 1000;
/** Distance (m) below which a site counts as close (`_CLOSE`). */
const CLOSE = 0.01;
/** Shares of the starts with the peg in the hand and in the slot (`_P_IN_HAND`, `_P_IN_TARGET`). */
export const P_IN_HAND = 0.1;
export const P_IN_TARGET = 0.1;
export const MANIPULATOR_ARM_JOINTS = ['arm_root', 'arm_shoulder', 'arm_elbow', 'arm_wrist', 'finger', 'fingertip', 'thumb', 'thumbtip'];
const TOUCH_SENSORS = ['palm_touch', 'finger_touch', 'thumb_touch', 'fingertip_touch', 'thumbtip_touch'];
const PEG_JOINTS = ['peg_x', 'peg_z', 'peg_y'];

/** Geom group of the background plane, which the camera does not see (so empty space reads depth 1). */
const BACKGROUND_GROUP = 2;

/**
 * The planar manipulator arena with the peg, its ghost target and the slot (dm_control's insert_peg model after
 * removing the ball/cup props). `camera`: position, look along +y, and vertical field of view of the camera
 * used for the image observation.
 */
export function manipulatorXml(camera: { pos: [number, number, number]; fovy: number }): string {
  return `<mujoco model="planar manipulator">
  <option timestep="${MANIPULATOR_TIMESTEP}" cone="elliptic"/>
  <default>
    <geom friction=".7" solimp="0.9 0.97 0.001" solref=".005 1"/>
    <joint solimplimit="0 0.99 0.01" solreflimit=".005 1"/>
    <general ctrllimited="true"/>
    <site size=".003 .003 .003" group="3"/>
    <default class="arm">
      <geom type="capsule" density="500"/>
      <joint type="hinge" pos="0 0 0" axis="0 -1 0" limited="true"/>
      <default class="hand">
        <joint damping=".5" range="-10 60"/>
        <geom size=".008"/>
        <site type="box" size=".018 .005 .005" pos=".022 0 -.002" euler="0 15 0" group="4"/>
        <default class="fingertip">
          <geom type="sphere" size=".008"/>
          <joint damping=".01" stiffness=".01" range="-40 20"/>
          <site size=".012 .005 .008" pos=".003 0 .003" group="4" euler="0 0 0"/>
        </default>
      </default>
    </default>
    <default class="obstacle">
      <geom friction="0"/>
    </default>
    <default class="ghost">
      <geom contype="0" conaffinity="0" rgba=".6 .3 .3 .5"/>
    </default>
  </default>

  <worldbody>
    <light name="light" directional="true" diffuse=".6 .6 .6" pos="0 0 1" specular=".3 .3 .3"/>
    <geom name="floor" type="plane" pos="0 0 0" size=".4 .2 10"/>
    <geom name="wall1" type="plane" pos="-.682843 0 .282843" size=".4 .2 10" zaxis="1 0 1"/>
    <geom name="wall2" type="plane" pos=".682843 0 .282843" size=".4 .2 10" zaxis="-1 0 1"/>
    <geom name="background" type="plane" pos="0 .2 .5" size="1 .5 10" zaxis="0 -1 0" group="${BACKGROUND_GROUP}"/>
    <camera name="third_person" pos="${camera.pos.join(' ')}" xyaxes="1 0 0 0 0 1" fovy="${camera.fovy}"/>

    <geom name="arm_root" type="cylinder" fromto="0 -.022 .4 0 .022 .4" size=".024" contype="0" conaffinity="0"/>
    <body name="upper_arm" pos="0 0 .4" childclass="arm">
      <joint name="arm_root" damping="2" limited="false"/>
      <geom name="upper_arm" size=".02" fromto="0 0 0 0 0 .18"/>
      <body name="middle_arm" pos="0 0 .18">
        <joint name="arm_shoulder" damping="1.5" range="-160 160"/>
        <geom name="middle_arm" size=".017" fromto="0 0 0 0 0 .15"/>
        <body name="lower_arm" pos="0 0 .15">
          <joint name="arm_elbow" damping="1" range="-160 160"/>
          <geom name="lower_arm" size=".014" fromto="0 0 0 0 0 .12"/>
          <body name="hand" pos="0 0 .12">
            <joint name="arm_wrist" damping=".5" range="-140 140"/>
            <geom name="hand" size=".011" fromto="0 0 0 0 0 .03"/>
            <geom name="palm1" fromto="0 0 .03 .03 0 .045" class="hand"/>
            <geom name="palm2" fromto="0 0 .03 -.03 0 .045" class="hand"/>
            <site name="grasp" pos="0 0 .065"/>
            <body name="pinch_site" pos="0 0 .090">
              <site name="pinch"/>
              <inertial pos="0 0 0" mass="1e-6" diaginertia="1e-12 1e-12 1e-12"/>
            </body>
            <site name="palm_touch" type="box" group="4" size=".025 .005 .008" pos="0 0 .043"/>
            <body name="thumb" pos=".03 0 .045" euler="0 -90 0" childclass="hand">
              <joint name="thumb"/>
              <geom name="thumb1" fromto="0 0 0 .02 0 -.01" size=".007"/>
              <geom name="thumb2" fromto=".02 0 -.01 .04 0 -.01" size=".007"/>
              <site name="thumb_touch" group="4"/>
              <body name="thumbtip" pos=".05 0 -.01" childclass="fingertip">
                <joint name="thumbtip"/>
                <geom name="thumbtip1" pos="-.003 0 0"/>
                <geom name="thumbtip2" pos=".003 0 0"/>
                <site name="thumbtip_touch" group="4"/>
              </body>
            </body>
            <body name="finger" pos="-.03 0 .045" euler="0 90 180" childclass="hand">
              <joint name="finger"/>
              <geom name="finger1" fromto="0 0 0 .02 0 -.01" size=".007"/>
              <geom name="finger2" fromto=".02 0 -.01 .04 0 -.01" size=".007"/>
              <site name="finger_touch"/>
              <body name="fingertip" pos=".05 0 -.01" childclass="fingertip">
                <joint name="fingertip"/>
                <geom name="fingertip1" pos="-.003 0 0"/>
                <geom name="fingertip2" pos=".003 0 0"/>
                <site name="fingertip_touch"/>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>

    <body name="peg" pos="-.4 0 .4">
      <joint name="peg_x" type="slide" axis="1 0 0" ref="-.4"/>
      <joint name="peg_z" type="slide" axis="0 0 1" ref=".4"/>
      <joint name="peg_y" type="hinge" axis="0 1 0"/>
      <geom name="blade" type="capsule" size=".005" fromto="0 0 -.013 0 0 -.113"/>
      <geom name="guard" type="capsule" size=".005" fromto="-.017 0 -.043 .017 0 -.043"/>
      <body name="pommel" pos="0 0 -.013">
        <geom name="pommel" type="sphere" size=".009"/>
      </body>
      <site name="peg" type="box" pos="0 0 -.063"/>
      <site name="peg_pinch" type="box" pos="0 0 -.025"/>
      <site name="peg_grasp" type="box" pos="0 0 0"/>
      <site name="peg_tip" type="box" pos="0 0 -.113"/>
    </body>

    <body name="slot" pos="-.405 0 .2" euler="0 20 0" childclass="obstacle">
      <geom name="slot_0" type="box" pos="-.0252 0 -.083" size=".0198 .01 .035"/>
      <geom name="slot_1" type="box" pos=".0252 0 -.083" size=".0198 .01 .035"/>
      <geom name="slot_2" type="box" pos="0 0 -.138" size=".045 .01 .02"/>
      <site name="slot" type="box" pos="0 0 0"/>
      <site name="slot_end" type="box" pos="0 0 -.05"/>
    </body>

    <body name="target_peg" pos="-.2 .001 .4" childclass="ghost">
      <geom name="target_blade" type="capsule" size=".005" fromto="0 0 -.013 0 0 -.113"/>
      <geom name="target_guard" type="capsule" size=".005" fromto="-.017 0 -.043 .017 0 -.043"/>
      <geom name="target_pommel" type="sphere" size=".009" pos="0 0 -.013"/>
      <site name="target_peg" type="box" pos="0 0 -.063"/>
      <site name="target_peg_pinch" type="box" pos="0 0 -.025"/>
      <site name="target_peg_grasp" type="box" pos="0 0 0"/>
      <site name="target_peg_tip" type="box" pos="0 0 -.113"/>
    </body>
  </worldbody>

  <tendon>
    <fixed name="grasp">
      <joint joint="thumb" coef=".5"/>
      <joint joint="finger" coef=".5"/>
    </fixed>
    <fixed name="coupling">
      <joint joint="thumb" coef="-.5"/>
      <joint joint="finger" coef=".5"/>
    </fixed>
  </tendon>
  <equality>
    <tendon name="coupling" tendon1="coupling" solimp="0.95 0.99 0.001" solref=".005 .5"/>
  </equality>
  <sensor>
${TOUCH_SENSORS.map((s) => `    <touch name="${s}" site="${s}"/>`).join('\n')}
  </sensor>
  <actuator>
    <motor name="root" joint="arm_root" ctrlrange="-1 1" gear="12"/>
    <motor name="shoulder" joint="arm_shoulder" ctrlrange="-1 1" gear="8"/>
    <motor name="elbow" joint="arm_elbow" ctrlrange="-1 1" gear="4"/>
    <motor name="wrist" joint="arm_wrist" ctrlrange="-1 1" gear="2"/>
    <motor name="grasp" tendon="grasp" ctrlrange="-1 1" gear="2"/>
  </actuator>
</mujoco>`;
}

// ---------------------------------------------------------------------------------------------------------
// Physics view: dm_control's manipulator.Physics readers, with ids resolved once.
// ---------------------------------------------------------------------------------------------------------

type Out = Float32Array | Float64Array;

export class ManipulatorPhysics {
  readonly armJointIds: Int32Array;
  readonly armQposAdr: Int32Array;
  readonly armDofAdr: Int32Array;
  readonly pegQposAdr: Int32Array;
  readonly pegDofAdr: Int32Array;
  readonly touchAdr: Int32Array;
  readonly handId: number;
  readonly pegId: number;
  readonly targetId: number;
  readonly slotId: number;
  readonly site: Record<'grasp' | 'pinch' | 'peg' | 'pegTip' | 'pegGrasp' | 'pegPinch' | 'target' | 'targetTip', number>;

  constructor(private readonly physics: Physics) {
    const m = physics.model as any;
    const joint = (n: string) => nameToId(physics, 'joint', n);
    this.armJointIds = Int32Array.from(MANIPULATOR_ARM_JOINTS, joint);
    this.armQposAdr = Int32Array.from(this.armJointIds, (j) => m.jnt_qposadr[j]);
    this.armDofAdr = Int32Array.from(MANIPULATOR_ARM_JOINTS, (n) => m.jnt_dofadr[joint(n)]);
    this.pegQposAdr = Int32Array.from(PEG_JOINTS, (n) => m.jnt_qposadr[joint(n)]);
    this.pegDofAdr = Int32Array.from(PEG_JOINTS, (n) => m.jnt_dofadr[joint(n)]);
    this.touchAdr = Int32Array.from(TOUCH_SENSORS, (n) => m.sensor_adr[nameToId(physics, 'sensor', n)]);
    this.handId = nameToId(physics, 'body', 'hand');
    this.pegId = nameToId(physics, 'body', 'peg');
    this.targetId = nameToId(physics, 'body', 'target_peg');
    this.slotId = nameToId(physics, 'body', 'slot');
    const s = (n: string) => nameToId(physics, 'site', n);
    this.site = {
      grasp: s('grasp'), pinch: s('pinch'), peg: s('peg'), pegTip: s('peg_tip'), pegGrasp: s('peg_grasp'),
      pegPinch: s('peg_pinch'), target: s('target_peg'), targetTip: s('target_peg_tip'),
    };
  }

  /** (sin, cos) of each arm joint, interleaved per joint (16 numbers). */
  boundedJointPos(out: Out = new Float64Array(16)): Out {
    const qpos: Float64Array = (this.physics.data as any).qpos;
    for (let i = 0; i < this.armQposAdr.length; i++) {
      const q = qpos[this.armQposAdr[i]];
      out[2 * i] = Math.sin(q);
      out[2 * i + 1] = Math.cos(q);
    }
    return out;
  }

  /** Velocities of the dofs at `dofAdr`. */
  jointVel(dofAdr: Int32Array, out: Out = new Float64Array(dofAdr.length)): Out {
    const qvel: Float64Array = (this.physics.data as any).qvel;
    for (let i = 0; i < dofAdr.length; i++) out[i] = qvel[dofAdr[i]];
    return out;
  }

  /** (x, z, qw, qy) of a body: its pose in the arm's plane. */
  body2dPose(bodyId: number, out: Out = new Float64Array(4)): Out {
    const data = this.physics.data as any;
    const xpos: Float64Array = data.xpos;
    const xquat: Float64Array = data.xquat;
    out[0] = xpos[3 * bodyId];
    out[1] = xpos[3 * bodyId + 2];
    out[2] = xquat[4 * bodyId];
    out[3] = xquat[4 * bodyId + 2];
    return out;
  }

  /** log(1 + touch force) of the palm, finger, thumb, fingertip and thumbtip sensors. */
  touch(out: Out = new Float64Array(5)): Out {
    const s: Float64Array = (this.physics.data as any).sensordata;
    for (let i = 0; i < this.touchAdr.length; i++) out[i] = Math.log1p(s[this.touchAdr[i]]);
    return out;
  }

  /** Euclidean distance between two sites. */
  siteDistance(site1: number, site2: number): number {
    const x: Float64Array = (this.physics.data as any).site_xpos;
    return Math.hypot(x[3 * site1] - x[3 * site2], x[3 * site1 + 1] - x[3 * site2 + 1], x[3 * site1 + 2] - x[3 * site2 + 2]);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The task.
// ---------------------------------------------------------------------------------------------------------

export interface ManipulatorOptions extends TaskOptions {
  /** Control steps per episode (default 1000 = 10 s). */
  episodeLength?: number;
  /** Serve the 'camera' depth image group and the 'student' view (default true; false saves the ray casting). */
  camera?: boolean;
  /** Camera image side in pixels (default 32). */
  imageSize?: number;
}

/** dm_control's floor peg: x ~ U(-.5, .5), z ~ U(0, .7), angle ~ U(0, 2 pi), x-velocity ~ U(-5, 5), drawn in that order. */
export function drawFloorPeg(rng: Rng): [number, number, number, number] {
  const x = rng.range(-0.5, 0.5);
  const z = rng.range(0, 0.7);
  const angle = rng.range(0, 2 * Math.PI);
  return [x, z, angle, rng.range(-5, 5)];
}

/** dm_control's slot pose range: x ~ U(-SLOT_X, SLOT_X), z ~ U(SLOT_Z), angle ~ U(-SLOT_ANGLE, SLOT_ANGLE). */
export const SLOT_X = 0.4;
export const SLOT_Z: readonly [number, number] = [0.1, 0.4];
export const SLOT_ANGLE = Math.PI / 3;

/** A slot pose (x, z, angle) drawn as dm_control's Bring task draws it. */
export function drawSlotPose(rng: Rng): [number, number, number] {
  const x = rng.range(-SLOT_X, SLOT_X);
  const z = rng.range(SLOT_Z[0], SLOT_Z[1]);
  return [x, z, rng.range(-SLOT_ANGLE, SLOT_ANGLE)];
}

/** `a` wrapped into [-pi, pi). */
export function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/** Camera 1 m in front of the arm's plane, looking along +y, centred 0.35 m up: sees x in [-0.53, 0.53], z in [-0.18, 0.88]. */
const CAMERA = { pos: [0, -1, 0.35] as [number, number, number], fovy: 56, maxDepth: 2 };

const IS_CLOSE = { bounds: [0, CLOSE] as [number, number], margin: 2 * CLOSE };

/** The factors of dm_control's peg reward: reward = max(bringing, grasping / 3). */
export interface PegRewardTerms { grasp: number; pinch: number; bring: number; bringTip: number; reward: number }

export function pegRewardTerms(p: ManipulatorPhysics, margin = 2 * CLOSE): PegRewardTerms {
  const s = p.site;
  const close = { bounds: IS_CLOSE.bounds, margin };
  const grasp = tolerance(p.siteDistance(s.pegGrasp, s.grasp), close);
  const pinch = tolerance(p.siteDistance(s.pegPinch, s.pinch), close);
  const bring = tolerance(p.siteDistance(s.peg, s.target), close);
  const bringTip = tolerance(p.siteDistance(s.targetTip, s.pegTip), close);
  const reward = Math.max((bring + bringTip) / 2, (grasp + pinch) / 2 / 3);
  return { grasp, pinch, bring, bringTip, reward };
}

export const MANIPULATOR_TAGS = ['manipulator', 'manipulation', 'dm_control', 'paper', 'vision', 'privileged'];

const COMMON_GROUPS: ReadonlyArray<[string, number]> = [
  ['arm_pos', 16], ['arm_vel', 8], ['touch', 5], ['hand_pos', 4], ['object_pos', 4], ['object_vel', 3],
];
export const MANIPULATOR_COMMON_VIEW = COMMON_GROUPS.map(([n]) => n);

/** How the peg was placed at the start of the episode (dm_control's init_type). */
export type PegInitType = 'in_hand' | 'in_target' | 'uniform';

/**
 * What a start hook of `ManipulatorInsertPeg.reset` may use and change while one start is drawn (training
 * variants override the hooks; the faithful task's hooks draw dm_control's starts).
 */
export interface PegStartDraw {
  rng: Rng;
  /** The slot pose drawn for this start (x, z, angle). */
  readonly slot: readonly [number, number, number];
  /** The peg pose (x, z, angle) being drawn: a hook writes it. */
  peg: [number, number, number];
  /** Redraw the arm's joint angles as dm_control does (limited joints in range, the finger mirroring the thumb). */
  drawArm(): void;
  /** mj_forward, then put the peg pose at the grasp site, held (dm_control's in-hand pose). */
  holdPeg(): void;
  /** The most draws a rejection loop may take before it gives up. */
  readonly maxDraws: number;
}

/** dm_control's Bring task with use_peg=True, insert=True (insert_peg), fully observable. */
export class ManipulatorInsertPeg extends ControlTask {
  readonly spec: TaskSpec;
  readonly arm: ManipulatorPhysics;
  private readonly camera: RayCamera | null;
  /** Slot / target pose drawn at reset: x, z, angle (also written into the model). */
  private readonly target = new Float64Array(3);
  /** The init type of the current episode and the number of draws needed to avoid penetration. */
  initType: PegInitType = 'uniform';
  initDraws = 0;

  constructor(mj: Mujoco, options: ManipulatorOptions = {}, name = 'manipulator-insert-peg', tags: string[] = MANIPULATOR_TAGS) {
    const useCamera = options.camera ?? true;
    if (typeof useCamera !== 'boolean') throw new RangeError(`camera must be true or false, got ${String(useCamera)}`);
    const size = options.imageSize ?? 32;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`imageSize must be a positive integer, got ${size}`);
    const physics = compileModel(mj, manipulatorXml(CAMERA), name);
    super(physics, MANIPULATOR_CONTROL_TIMESTEP);
    this.arm = new ManipulatorPhysics(physics);
    this.camera = useCamera
      ? new RayCamera(physics, {
          width: size, height: size, fovy: CAMERA.fovy, maxDepth: CAMERA.maxDepth,
          attach: { camera: 'third_person' }, geomGroups: [0, 1],
        })
      : null;
    const groups: ObservationGroupSpec[] = COMMON_GROUPS.map(([n, d]) => ({ name: n, shape: [d], kind: 'state', privileged: false }));
    groups.push({ name: 'target_pos', shape: [4], kind: 'state', privileged: true });
    const views: Record<string, string[]> = {
      common: [...MANIPULATOR_COMMON_VIEW],
      expert: [...MANIPULATOR_COMMON_VIEW, 'target_pos'],
      default: [...MANIPULATOR_COMMON_VIEW, 'target_pos'],
    };
    if (this.camera) {
      groups.push({ name: 'camera', shape: [size, size, 1], kind: 'image', privileged: false });
      views.student = [...MANIPULATOR_COMMON_VIEW, 'camera'];
    }
    this.spec = {
      name,
      tags: [...tags],
      actionDim: 5,
      observationGroups: groups,
      controlTimestep: MANIPULATOR_CONTROL_TIMESTEP,
      episodeLength: resolveEpisodeLength(options.episodeLength, MANIPULATOR_EPISODE_LENGTH),
      views,
    };
    if (physics.model.nu !== 5) throw new Error(`manipulator model has ${physics.model.nu} actuators, expected 5`);
    this.placeTarget(-0.405, 0.2, (20 * Math.PI) / 180);
    mj.mj_forward(physics.model, physics.data);
  }

  /** Move the slot and its ghost target peg to (x, z) at `angle` about +y (model constants; needs mj_forward). */
  protected placeTarget(x: number, z: number, angle: number): void {
    const m = this.physics.model as any;
    const pos: Float64Array = m.body_pos;
    const quat: Float64Array = m.body_quat;
    for (const b of [this.arm.slotId, this.arm.targetId]) {
      pos[3 * b] = x;
      pos[3 * b + 2] = z;
      quat[4 * b] = Math.cos(angle / 2);
      quat[4 * b + 2] = Math.sin(angle / 2);
    }
    this.target[0] = x;
    this.target[1] = z;
    this.target[2] = angle;
  }

  /** The angle of a peg held at the grasp site, pointing along the site's x-axis (xx, zx) in the plane. */
  protected heldPegAngle(): number {
    const sm: Float64Array = (this.physics.data as any).site_xmat;
    const g = this.arm.site.grasp;
    return Math.PI - Math.atan2(sm[9 * g + 6], sm[9 * g]);
  }

  /**
   * dm_control's Bring.initialize_episode: until the configuration has no contacts, draw arm angles (limited
   * joints in range, the root in [-pi, pi]) with the finger mirroring the thumb, the slot pose
   * (x ~ U(-.4, .4), z ~ U(.1, .4), angle ~ U(-pi/3, pi/3)), and the peg: in the hand (p = .1), in the slot
   * (p = .1), or anywhere with x ~ U(-.5, .5), z ~ U(0, .7), angle ~ U(0, 2 pi) and x-velocity ~ U(-5, 5).
   * The protected hooks (`startType`, `inHandStart`, `floorStart`, `admitsContacts`, `afterStart`) draw exactly
   * that here; training variants override them.
   */
  reset(rng: Rng): void {
    const { model, data } = this.physics;
    const mj = this.mj;
    const m = model as any;
    const d = data as any;
    mj.mj_resetData(model, data);
    const armJointIds = this.arm.armJointIds;
    const thumbAdr = this.arm.armQposAdr[MANIPULATOR_ARM_JOINTS.indexOf('thumb')];
    const fingerAdr = this.arm.armQposAdr[MANIPULATOR_ARM_JOINTS.indexOf('finger')];
    const sx: Float64Array = d.site_xpos;
    const g = this.arm.site.grasp;
    const [pegX, pegZ, pegY] = this.arm.pegQposAdr;
    const maxDraws = 10000;
    for (let draws = 1; ; draws++) {
      if (draws > maxDraws) throw new Error(`no penetration-free manipulator configuration in ${maxDraws} draws`);
      const qpos: Float64Array = d.qpos;
      const limited: Uint8Array = m.jnt_limited;
      const range: Float64Array = m.jnt_range;
      const drawArm = (): void => {
        for (let i = 0; i < armJointIds.length; i++) {
          const j = armJointIds[i];
          qpos[this.arm.armQposAdr[i]] = limited[j] ? rng.range(range[2 * j], range[2 * j + 1]) : rng.range(-Math.PI, Math.PI);
        }
        qpos[fingerAdr] = qpos[thumbAdr];
      };
      drawArm();

      const slot = drawSlotPose(rng);
      this.placeTarget(slot[0], slot[1], slot[2]);

      this.initType = this.startType(rng.uniform());
      const start: PegStartDraw = {
        rng, slot, peg: [0, 0, 0], drawArm, maxDraws,
        holdPeg: () => {
          mj.mj_forward(model, data);
          start.peg = [sx[3 * g], sx[3 * g + 2], this.heldPegAngle()];
        },
      };
      if (this.initType === 'in_target') {
        start.peg = [slot[0], slot[1], slot[2]];
      } else if (this.initType === 'in_hand') {
        start.holdPeg();
        this.inHandStart(start);
      } else if (!this.floorStart(start)) {
        const [x, z, angle, vx] = drawFloorPeg(rng);
        start.peg = [x, z, angle];
        (d.qvel as Float64Array)[this.arm.pegDofAdr[0]] = vx;
      }
      const q: Float64Array = d.qpos;
      q[pegX] = start.peg[0];
      q[pegZ] = start.peg[1];
      q[pegY] = start.peg[2];
      mj.mj_forward(model, data);
      if (d.ncon === 0 || this.admitsContacts()) {
        this.initDraws = draws;
        break;
      }
    }
    this.afterStart(rng);
    this.steps = 0;
  }

  /** The start type for the uniform draw `u`: in the hand (p = 0.1), in the slot (p = 0.1), else anywhere. */
  protected startType(u: number): PegInitType {
    return u < P_IN_HAND ? 'in_hand' : u < P_IN_HAND + P_IN_TARGET ? 'in_target' : 'uniform';
  }

  /** Hook after an in-hand start has put the peg in the hand (`start.peg` holds its pose); dm_control: nothing. */
  protected inHandStart(_start: PegStartDraw): void {}

  /** Hook for a floor ('uniform') start: true when it placed the peg itself; dm_control: false (its own draw follows). */
  protected floorStart(_start: PegStartDraw): boolean {
    return false;
  }

  /** Whether a drawn start with contacts is admitted all the same; dm_control: never. */
  protected admitsContacts(): boolean {
    return false;
  }

  /** Hook once a start has been admitted; dm_control: nothing. */
  protected afterStart(_rng: Rng): void {}

  observe(): ObservationGroups {
    const a = this.arm;
    const obs: ObservationGroups = {
      arm_pos: a.boundedJointPos(new Float32Array(16)) as Float32Array,
      arm_vel: a.jointVel(a.armDofAdr, new Float32Array(8)) as Float32Array,
      touch: a.touch(new Float32Array(5)) as Float32Array,
      hand_pos: a.body2dPose(a.handId, new Float32Array(4)) as Float32Array,
      object_pos: a.body2dPose(a.pegId, new Float32Array(4)) as Float32Array,
      object_vel: a.jointVel(a.pegDofAdr, new Float32Array(3)) as Float32Array,
      target_pos: a.body2dPose(a.targetId, new Float32Array(4)) as Float32Array,
    };
    if (this.camera) obs.camera = this.camera.render();
    return obs;
  }

  /** dm_control's reward: max(bringing, grasping / 3). */
  reward(): number {
    return pegRewardTerms(this.arm).reward;
  }

  /** The slot pose (x, z, angle) lives in the model, not in qpos: part of the snapshot. */
  protected override taskState(): number[] {
    return [this.steps, this.target[0], this.target[1], this.target[2]];
  }

  override close(): void {
    this.camera?.dispose();
    super.close();
  }
}

registerTask({
  name: 'manipulator-insert-peg',
  tags: MANIPULATOR_TAGS,
  description: "dm_control manipulator: insert the peg into the slot (the paper's Insert Peg); privileged target_pos, depth camera",
  options: { episodeLength: 'integer', camera: 'boolean', imageSize: 'integer' },
  create: (mj, options) => new ManipulatorInsertPeg(mj, options),
});
