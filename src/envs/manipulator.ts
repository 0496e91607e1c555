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
 */
import { compileModel, forEachContact, nameToId, type MjData, type Mujoco, type Physics } from '../physics/mujoco';
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
const P_IN_HAND = 0.1;
const P_IN_TARGET = 0.1;
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
  /**
   * Training-only reward shaping (default false): the reward becomes the mean of the true reward and the same
   * max(bringing, grasping / 3) with margins widened from 2 cm to SHAPING_MARGIN, so that reaching for the peg
   * and carrying it towards the slot pay before the 1-2 cm tolerances of the true reward are met. Its optimum is
   * the true reward's; experts are always evaluated on the true reward. 'carry': the same mean, but the widened
   * bringing terms pay only while the peg is held (`carryShaping`). 'staged': the true reward plus
   * `stagedShaping` (reach, hold the peg lifted, carry it to the slot), which pays holding above hovering.
   */
  shapedReward?: boolean | 'carry' | 'staged';
  /**
   * Probability that an episode starts with the peg in the hand (default 0.1, dm_control's). A training
   * curriculum may raise it so that carrying and inserting are learned before grasping.
   */
  pInHand?: number;
  /** Probability that an episode starts with the peg in the slot (default 0.1, dm_control's). */
  pInTarget?: number;
  /**
   * Training-only (default false): an in-hand start first closes the hand on the peg, for GRASP_SETTLE_STEPS
   * physics steps with the arm joints and the peg held still and the grasp motor at +1 (`closeHandOnPeg`).
   * dm_control's in-hand start leaves the fingers where the draw put them: closing the hand at once and holding
   * the arm still kept the peg in 7 of 20 such starts, after this settling in 20 of 20. A number in [0, 1] does so
   * for that share of the in-hand starts (true = 1), so that dm_control's own in-hand start is trained too.
   */
  graspInHand?: boolean | number;
  /**
   * Training-only (default 0): adds gripBonus x (grasp control + 1) / 2 while the peg is within HOLD_MARGIN of the
   * grasp site, a direct signal to close the hand on a peg in it (+1 closes).
   */
  gripBonus?: number;
  /**
   * Training-only, with gripBonus (default HOLD_MARGIN, the old behaviour): gripBonus pays closing the hand only
   * while the peg's grasp site is within gripMargin (m) of the hand's, and from there out to HOLD_MARGIN pays
   * opening it, gripBonus x (1 - grasp control) / 2. A held peg sits within 1 cm; from 1.5-5 cm back the policy
   * closed its hand half-way for the bonus and then could not slide it onto the handle (53M steps).
   */
  gripMargin?: number;
  /**
   * Training-only reverse curriculum for carrying and inserting (default 0): the share of in-hand starts whose slot
   * is placed relative to the held peg by a uniform alpha: 0 holds it inserted, up to 0.5 backs it out along its
   * axis (by SLOT_BACK_OFF at 0.5), and from 0.5 to 1 the slot moves on to the pose drawn as usual. Such starts
   * use only hands that hold the peg at a pose within dm_control's slot range.
   */
  inHandTargetBlend?: number;
  /**
   * Training-only, with `inHandTargetBlend`: the range [lo, hi] within [0, 1] of its alpha (default [0, 1]), drawn
   * uniformly. Narrowing it moves the blends to the curriculum's frontier: at 50M steps the policy inserted a held
   * peg backed out by < 3 cm (alpha < 0.19) every time and from 3-10 cm rarely.
   */
  inHandTargetAlpha?: [number, number];
  /**
   * Training-only, with shapedReward 'staged': weight and scale of its reach stage (default { weight: 0.1,
   * scale: 10 }, which pays nothing beyond ~15 cm of the peg).
   */
  reachShaping?: ReachShaping;
  /**
   * Training-only, with shapedReward 'staged': weight and scale of its insert stage (default { weight: 0,
   * scale: 20 }, off): a steep pull of the held peg into the slot over its last ~5 cm.
   */
  insertShaping?: ReachShaping;
  /**
   * Training-only, with shapedReward 'staged': weight and scale of a second, steep reach stage (default
   * { weight: 0, scale: 20 }, off) that pays the last few centimetres to the peg.
   */
  fineReachShaping?: ReachShaping;
  /**
   * Training-only, with shapedReward 'staged': weight and scale of an alignment stage (default { weight: 0,
   * scale: 20 }, off), 1 - tanh(scale x a), a the mean of the grasp-to-peg-grasp and pinch-to-peg-pinch site
   * distances: the true task's grasping term, widened. Reach stages measure the grasp site alone and pay a hand
   * at any angle to the peg.
   */
  alignShaping?: ReachShaping;
  /**
   * Training-only reverse curriculum for grasping (default 0): the share of floor ('uniform') starts that lay the
   * peg on the floor just by the hand. The arm is redrawn until its grasp site is within NEAR_PEG_HEIGHT of the
   * floor; the peg lies (axis horizontal) within NEAR_PEG_REACH of it along x, at rest. Other floor starts, and
   * the shares of the start types, stay as dm_control draws them.
   */
  nearPegStart?: number;
  /**
   * Training-only (default 0), with nearPegStart: the share of near-peg starts that lay the peg between the open
   * fingers instead, where an in-hand start would hold it: the wrist of each drawn arm is turned so that the hand
   * points down (the held peg within PREGRASP_TILT of horizontal), the arm is redrawn until the grasp site is
   * within PREGRASP_HEIGHT of the floor, and the peg is placed there (it drops at most a few cm onto the floor). Closing the hand and lifting is all that is left to learn.
   */
  pregraspShare?: number;
  /**
   * Training-only reverse curriculum for grasping from the floor (default 0): the share of floor starts (other than
   * near-peg ones) that let the drawn peg fall and settle first (FLOOR_SETTLE_STEPS, the arm pinned upright out of
   * its way), then place the hand around its handle in the in-hand grip: the arm by inverse kinematics, the fingers
   * half closed, searched over small offsets until no part of the arm enters the floor, the slot or the peg (a
   * settled peg admits the grip in about 1 in 3 draws; the peg is redrawn until one does).
   */
  floorGraspStart?: number;
  /** Training-only (default 0), with floorGraspStart: the share of those starts that then close the hand on the peg (`closeHandOnPeg`). */
  floorGraspClosed?: number;
  /**
   * Training-only (default 0), with floorGraspStart: an open hand is placed u ~ U(0, floorGraspBackoff) metres further
   * back along the peg's axis (away from the blade), so that it must move in before closing.
   */
  floorGraspBackoff?: number;
}

/** `nearPegStart`: the highest grasp-site height (m) of an arm laying its hand by the peg. */
export const NEAR_PEG_HEIGHT = 0.2;
/** `nearPegStart`: the largest x offset (m) between the grasp site and the lying peg's grasp site. */
export const NEAR_PEG_REACH = 0.15;
/** `nearPegStart`: the lying peg's body height (m); its guard reaches 0.022 m below, so it drops a few mm and settles. */
const NEAR_PEG_Z = 0.025;

/** `pregraspShare`: the grasp-site height range (m) of a pregrasp start (the lying peg's body rests at NEAR_PEG_Z). */
export const PREGRASP_HEIGHT: readonly [number, number] = [0.025, 0.06];
/** `pregraspShare`: the largest tilt (rad) from horizontal of the peg held at the grasp site. */
export const PREGRASP_TILT = 0.35;

/** How far (m) an `inHandTargetBlend` start backs the held peg out of the slot before blending: the tip clears it. */
const SLOT_BACK_OFF = 0.08;

/** Contact depth (m) below which an `inHandTargetBlend` start counts as penetrating rather than touching. */
const PEG_SLOT_TOUCH = 1e-4;

/** `floorGraspStart`: the most physics steps (2 s) the drawn peg falls for; it rests once its speed stays below FLOOR_REST_SPEED for FLOOR_REST_STEPS. */
export const FLOOR_SETTLE_STEPS = 2000;
const FLOOR_REST_SPEED = 0.01;
const FLOOR_REST_STEPS = 100;
/** `floorGraspStart`: grip candidates, in search order: height above the peg's grasp site (m), extra distance back along its axis (m), finger and thumb angle (rad). */
const FLOOR_GRIP_LIFT = [0, 0.002, 0.004];
const FLOOR_GRIP_AXIS = [0, 0.005, 0.01];
const FLOOR_GRIP_FINGER = [20, 25, 30, 35].map((deg) => (deg * Math.PI) / 180);
/** `floorGraspStart`: root angles tried per candidate, evenly spaced from a random phase (each with both elbow solutions). */
const FLOOR_GRIP_ROOTS = 36;
/** `floorGraspStart`: deepest contact (m) allowed between the arm and anything but the peg, and between the hand and the peg. */
const FLOOR_GRIP_DEPTH = 0.001;
const FLOOR_GRIP_PEG_DEPTH = 0.003;
/** `floorGraspStart`: settled pegs drawn before giving up (about 1 in 3 admits the grip). */
const FLOOR_GRASP_ATTEMPTS = 60;

/** The largest penetration depth (m, >= 0) among the current contacts. */
function deepestPenetration(d: MjData): number {
  let deepest = 0;
  forEachContact(d, (_g1, _g2, dist) => { deepest = Math.max(deepest, -dist); });
  return deepest;
}

/** dm_control's floor peg: x ~ U(-.5, .5), z ~ U(0, .7), angle ~ U(0, 2 pi), x-velocity ~ U(-5, 5), drawn in that order. */
function drawFloorPeg(rng: Rng): [number, number, number, number] {
  const x = rng.range(-0.5, 0.5);
  const z = rng.range(0, 0.7);
  const angle = rng.range(0, 2 * Math.PI);
  return [x, z, angle, rng.range(-5, 5)];
}

/** dm_control's slot pose range: x ~ U(-SLOT_X, SLOT_X), z ~ U(SLOT_Z), angle ~ U(-SLOT_ANGLE, SLOT_ANGLE). */
const SLOT_X = 0.4;
const SLOT_Z: readonly [number, number] = [0.1, 0.4];
const SLOT_ANGLE = Math.PI / 3;

/** A slot pose (x, z, angle) drawn as dm_control's Bring task draws it. */
function drawSlotPose(rng: Rng): [number, number, number] {
  const x = rng.range(-SLOT_X, SLOT_X);
  const z = rng.range(SLOT_Z[0], SLOT_Z[1]);
  return [x, z, rng.range(-SLOT_ANGLE, SLOT_ANGLE)];
}

/** `a` wrapped into [-pi, pi). */
function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/** Margin (m) of the widened tolerances of `shapedReward`: about a third of the arm's reach. */
export const SHAPING_MARGIN = 0.3;

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

/** Margin (m) within which the peg counts as held for the 'carry' shaping. */
export const HOLD_MARGIN = 0.05;

/**
 * The 'carry' variant of the widened reward: max(bringing x holding, grasping / 3), all with SHAPING_MARGIN
 * except holding (grasp and pinch sites within HOLD_MARGIN). Plain widening paid for pushing the peg along the
 * floor to below the slot (~0.25 m away, stage 1 of the Insert Peg run); here bringing pays only while held.
 */
export function carryShaping(p: ManipulatorPhysics): number {
  const wide = pegRewardTerms(p, SHAPING_MARGIN);
  const hold = pegRewardTerms(p, HOLD_MARGIN);
  const holding = (hold.grasp + hold.pinch) / 2;
  return Math.max(((wide.bring + wide.bringTip) / 2) * holding, (wide.grasp + wide.pinch) / 2 / 3);
}

/** Physics steps (0.3 s) `graspInHand` spends closing the hand on the peg. */
export const GRASP_SETTLE_STEPS = 300;
/** Index of the grasp motor among the actuators (root, shoulder, elbow, wrist, grasp). */
const GRASP_ACTUATOR = 4;

/** Height (m) of the peg body above which a peg near the grasp site counts as lifted (it rests at ~0.03 m). */
export const LIFT_HEIGHT = 0.06;

/** The stages of `stagedShaping` and their total. */
export interface StagedShapingTerms { reach: number; fineReach: number; align: number; held: number; carry: number; insert: number; total: number }

/** The reach stage of `stagedShaping`: weight x (1 - tanh(scale x d)). */
export interface ReachShaping { weight: number; scale: number }
export const STAGED_REACH: Readonly<ReachShaping> = { weight: 0.1, scale: 10 };
/** The fine reach stage of `stagedShaping` (off by default): weight x (1 - tanh(scale x d)). */
export const STAGED_FINE_REACH: Readonly<ReachShaping> = { weight: 0, scale: 20 };
/** The insert stage of `stagedShaping` (off by default): weight x held x (1 - tanh(scale x b)). */
export const STAGED_INSERT: Readonly<ReachShaping> = { weight: 0, scale: 20 };
/** The align stage of `stagedShaping` (off by default): weight x (1 - tanh(scale x a)), a the mean grasp and pinch site distance. */
export const STAGED_ALIGN: Readonly<ReachShaping> = { weight: 0, scale: 20 };
/** The weighted stages of `stagedShaping` that options may set; absent ones take the STAGED_* defaults. */
export interface StagedWeights { reach?: ReachShaping; fineReach?: ReachShaping; align?: ReachShaping; insert?: ReachShaping }

/** How far the peg is from being inserted (m): the mean of the peg-to-slot and tip-to-tip site distances. */
export function pegToSlotDistance(p: ManipulatorPhysics): number {
  const s = p.site;
  return (p.siteDistance(s.peg, s.target) + p.siteDistance(s.pegTip, s.targetTip)) / 2;
}

/**
 * The 'staged' training shaping, added to the true reward (max 1 + 1 with the default reach): 0.1 x reach
 * + 0.2 x held + 0.7 x carry (+ w x fineReach with `fineReachShaping`, + w x align with `alignShaping`, + w x insert
 * with `insertShaping`).
 * - reach = 1 - tanh(10 d), d the grasp-site-to-peg distance (`reachShaping` sets the weight and the scale);
 * - fineReach = 1 - tanh(20 d), weighted 0 unless `fineReachShaping` sets it: reach at scale 4 gains only ~0.05
 *   over the last 4 cm, too little to pay lowering an open hand from hovering onto the peg;
 * - align = 1 - tanh(20 a), a the mean of the grasp and pinch site distances to the peg's, weighted 0 unless
 *   `alignShaping` sets it: the hand along the peg's axis, as the true task's grasping term wants it;
 * - held = 1 while the peg is within HOLD_MARGIN of the grasp site and its body above LIFT_HEIGHT, else 0;
 * - carry = held x (1 - tanh(3 b)), b the mean of the peg-to-slot and tip-to-tip distances.
 * - insert = held x (1 - tanh(20 b)), weighted 0 unless `insertShaping` sets it: carry's slope near the slot
 *   (~0.1 over the last 5 cm) was too flat to pay pushing a held peg in.
 * The 'carry' shaping paid hovering over the peg as much as holding it (its widened grasp term), and the policy
 * learnt to open its hand at once; here only a lifted peg pays the hold and carry stages.
 */
export function stagedShaping(p: ManipulatorPhysics, weights: Readonly<StagedWeights> = {}): StagedShapingTerms {
  const { reach: reachShaping = STAGED_REACH, fineReach: fineReachShaping = STAGED_FINE_REACH, align: alignShaping = STAGED_ALIGN, insert: insertShaping = STAGED_INSERT } = weights;
  const s = p.site;
  const d = p.siteDistance(s.grasp, s.pegGrasp);
  const reach = 1 - Math.tanh(reachShaping.scale * d);
  const fineReach = 1 - Math.tanh(fineReachShaping.scale * d);
  const align = 1 - Math.tanh(alignShaping.scale * ((d + p.siteDistance(s.pinch, s.pegPinch)) / 2));
  const held = d < HOLD_MARGIN && p.body2dPose(p.pegId)[1] > LIFT_HEIGHT ? 1 : 0;
  const b = pegToSlotDistance(p);
  const carry = held * (1 - Math.tanh(3 * b));
  const insert = held * (1 - Math.tanh(insertShaping.scale * b));
  const total = reachShaping.weight * reach + fineReachShaping.weight * fineReach + alignShaping.weight * align + 0.2 * held + 0.7 * carry + insertShaping.weight * insert;
  return { reach, fineReach, align, held, carry, insert, total };
}

/**
 * `gripBonus`'s term: (grasp control + 1) / 2 while the peg's grasp site is within `gripMargin` of the hand's,
 * (1 - grasp control) / 2 from there out to HOLD_MARGIN (open to slide onto the handle), else 0.
 */
export function gripTerm(p: ManipulatorPhysics, graspControl: number, gripMargin = HOLD_MARGIN): number {
  const d = p.siteDistance(p.site.grasp, p.site.pegGrasp);
  return d < gripMargin ? (graspControl + 1) / 2 : d < HOLD_MARGIN ? (1 - graspControl) / 2 : 0;
}

/** A validated copy of a `stagedShaping` stage option (`name` for the error), `fallback` when absent. */
function stageWeights(name: string, value: ReachShaping | undefined, fallback: Readonly<ReachShaping>): Readonly<ReachShaping> {
  const v = value ?? fallback;
  if (!(v && typeof v === 'object' && v.weight >= 0 && Number.isFinite(v.weight) && v.scale > 0 && Number.isFinite(v.scale))) {
    throw new RangeError(`${name} must be { weight: finite >= 0, scale: finite > 0 }, got ${JSON.stringify(value)}`);
  }
  return { weight: v.weight, scale: v.scale };
}

const MANIPULATOR_TAGS = ['manipulator', 'manipulation', 'dm_control', 'paper', 'vision', 'privileged'];

const COMMON_GROUPS: ReadonlyArray<[string, number]> = [
  ['arm_pos', 16], ['arm_vel', 8], ['touch', 5], ['hand_pos', 4], ['object_pos', 4], ['object_vel', 3],
];
export const MANIPULATOR_COMMON_VIEW = COMMON_GROUPS.map(([n]) => n);

/** What a search for the in-hand grip around a settled floor peg found (`floorGripCensus`). */
export type FloorGripOutcome = 'grip' | 'no-grip' | 'unsettled';

/** How the peg was placed at the start of the episode (dm_control's init_type). */
export type PegInitType = 'in_hand' | 'in_target' | 'uniform';

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
  readonly shapedReward: boolean | 'carry' | 'staged';
  readonly pInHand: number;
  readonly pInTarget: number;
  /** `graspInHand` as the share of in-hand starts that close the hand first (true = 1, false = 0). */
  readonly graspInHand: number;
  readonly gripBonus: number;
  readonly gripMargin: number;
  readonly inHandTargetBlend: number;
  /** `inHandTargetAlpha`, validated. */
  readonly inHandTargetAlpha: readonly [number, number];
  /** The 'staged' shaping's weighted stages (`reachShaping`, `fineReachShaping`, `alignShaping`, `insertShaping`), validated. */
  readonly stagedWeights: Readonly<Required<StagedWeights>>;
  readonly nearPegStart: number;
  readonly pregraspShare: number;
  readonly floorGraspStart: number;
  readonly floorGraspClosed: number;
  readonly floorGraspBackoff: number;
  /** Whether the current episode is a `nearPegStart` one, and whether a `pregraspShare` one among them. */
  nearPeg = false;
  pregrasp = false;
  /** Whether the current episode is a `floorGraspStart` one, and how far (m) its hand was backed off (-1 if closed). */
  floorGrasp = false;
  floorGraspOffset = 0;
  /** Settled pegs the current `floorGraspStart` start drew until one admitted the grip. */
  floorGraspDraws = 0;
  /** The planar arm's lengths (m) from the model: root position (x, z), the three links, the hand's grasp site. */
  readonly armGeometry: { root: [number, number]; links: [number, number, number]; grasp: number };
  /** Bodies of the arm (upper arm and below) and of the hand (hand and below), for `floorGraspStart`'s contact check. */
  private readonly armBodies: { arm: Set<number>; hand: Set<number> };
  /** Whether the current episode's in-hand start closed the hand first (`graspInHand`). */
  handClosedAtStart = false;
  /** The slot's share of the way (alpha) of an `inHandTargetBlend` start, -1 for any other start. */
  targetBlend = -1;

  constructor(mj: Mujoco, options: ManipulatorOptions = {}, name = 'manipulator-insert-peg', tags: string[] = MANIPULATOR_TAGS) {
    const useCamera = options.camera ?? true;
    if (typeof useCamera !== 'boolean') throw new RangeError(`camera must be true or false, got ${String(useCamera)}`);
    const shaped = options.shapedReward ?? false;
    if (typeof shaped !== 'boolean' && shaped !== 'carry' && shaped !== 'staged') {
      throw new RangeError(`shapedReward must be true, false, 'carry' or 'staged', got ${String(shaped)}`);
    }
    const size = options.imageSize ?? 32;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`imageSize must be a positive integer, got ${size}`);
    const physics = compileModel(mj, manipulatorXml(CAMERA), name);
    super(physics, MANIPULATOR_CONTROL_TIMESTEP);
    this.arm = new ManipulatorPhysics(physics);
    {
      const m = physics.model as any;
      const bp: Float64Array = m.body_pos;
      const body = (n: string) => nameToId(physics, 'body', n);
      const up = body('upper_arm'), mid = body('middle_arm'), low = body('lower_arm'), hand = body('hand');
      this.armGeometry = {
        root: [bp[3 * up], bp[3 * up + 2]],
        links: [bp[3 * mid + 2], bp[3 * low + 2], bp[3 * hand + 2]],
        grasp: (m.site_pos as Float64Array)[3 * this.arm.site.grasp + 2],
      };
      const parent: Int32Array = m.body_parentid;
      const under = (top: number) => {
        const set = new Set<number>();
        for (let b = 1; b < m.nbody; b++) for (let r = b; r > 0; r = parent[r]) if (r === top) { set.add(b); break; }
        return set;
      };
      this.armBodies = { arm: under(up), hand: under(hand) };
    }
    this.shapedReward = shaped;
    this.pInHand = options.pInHand ?? P_IN_HAND;
    this.pInTarget = options.pInTarget ?? P_IN_TARGET;
    for (const [k, v] of [['pInHand', this.pInHand], ['pInTarget', this.pInTarget]] as const) {
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${k} must be in [0, 1], got ${v}`);
    }
    this.gripBonus = options.gripBonus ?? 0;
    if (!(typeof this.gripBonus === 'number' && this.gripBonus >= 0 && Number.isFinite(this.gripBonus))) throw new RangeError(`gripBonus must be a finite number >= 0, got ${String(options.gripBonus)}`);
    this.gripMargin = options.gripMargin ?? HOLD_MARGIN;
    if (!(typeof this.gripMargin === 'number' && this.gripMargin > 0 && this.gripMargin <= HOLD_MARGIN)) {
      throw new RangeError(`gripMargin must be in (0, ${HOLD_MARGIN}] (m), got ${String(options.gripMargin)}`);
    }
    if (options.gripMargin !== undefined && this.gripBonus === 0) throw new RangeError('gripMargin needs gripBonus > 0 (it shapes the grip bonus)');
    const gih = options.graspInHand ?? false;
    if (!(typeof gih === 'boolean' || (typeof gih === 'number' && gih >= 0 && gih <= 1))) throw new RangeError(`graspInHand must be true, false or a share in [0, 1], got ${String(options.graspInHand)}`);
    this.graspInHand = gih === true ? 1 : gih === false ? 0 : gih;
    this.stagedWeights = {
      reach: stageWeights('reachShaping', options.reachShaping, STAGED_REACH),
      fineReach: stageWeights('fineReachShaping', options.fineReachShaping, STAGED_FINE_REACH),
      align: stageWeights('alignShaping', options.alignShaping, STAGED_ALIGN),
      insert: stageWeights('insertShaping', options.insertShaping, STAGED_INSERT),
    };
    this.inHandTargetBlend = options.inHandTargetBlend ?? 0;
    if (!(this.inHandTargetBlend >= 0 && this.inHandTargetBlend <= 1)) throw new RangeError(`inHandTargetBlend must be in [0, 1], got ${String(options.inHandTargetBlend)}`);
    const alphaRange = options.inHandTargetAlpha ?? [0, 1];
    if (!(Array.isArray(alphaRange) && alphaRange.length === 2 && alphaRange[0] >= 0 && alphaRange[0] <= alphaRange[1] && alphaRange[1] <= 1)) {
      throw new RangeError(`inHandTargetAlpha must be [lo, hi] with 0 <= lo <= hi <= 1, got ${JSON.stringify(options.inHandTargetAlpha)}`);
    }
    this.inHandTargetAlpha = [alphaRange[0], alphaRange[1]];
    this.nearPegStart = options.nearPegStart ?? 0;
    if (!(this.nearPegStart >= 0 && this.nearPegStart <= 1)) throw new RangeError(`nearPegStart must be in [0, 1], got ${String(options.nearPegStart)}`);
    this.pregraspShare = options.pregraspShare ?? 0;
    if (!(this.pregraspShare >= 0 && this.pregraspShare <= 1)) throw new RangeError(`pregraspShare must be in [0, 1], got ${String(options.pregraspShare)}`);
    if (this.pregraspShare > 0 && this.nearPegStart === 0) throw new RangeError('pregraspShare needs nearPegStart > 0 (it is a share of the near-peg starts)');
    this.floorGraspStart = options.floorGraspStart ?? 0;
    if (!(this.floorGraspStart >= 0 && this.floorGraspStart <= 1)) throw new RangeError(`floorGraspStart must be in [0, 1], got ${String(options.floorGraspStart)}`);
    this.floorGraspClosed = options.floorGraspClosed ?? 0;
    if (!(this.floorGraspClosed >= 0 && this.floorGraspClosed <= 1)) throw new RangeError(`floorGraspClosed must be in [0, 1], got ${String(options.floorGraspClosed)}`);
    this.floorGraspBackoff = options.floorGraspBackoff ?? 0;
    if (!(this.floorGraspBackoff >= 0 && this.floorGraspBackoff <= 0.3)) throw new RangeError(`floorGraspBackoff must be in [0, 0.3] (m), got ${String(options.floorGraspBackoff)}`);
    if ((this.floorGraspClosed > 0 || this.floorGraspBackoff > 0) && this.floorGraspStart === 0) {
      throw new RangeError('floorGraspClosed and floorGraspBackoff need floorGraspStart > 0 (they shape the floor-grasp starts)');
    }
    if (this.pInHand + this.pInTarget > 1) throw new RangeError(`pInHand + pInTarget must be <= 1, got ${this.pInHand} + ${this.pInTarget}`);
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
  private placeTarget(x: number, z: number, angle: number): void {
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

  /**
   * dm_control's Bring.initialize_episode: until the configuration has no contacts, draw arm angles (limited
   * joints in range, the root in [-pi, pi]) with the finger mirroring the thumb, the slot pose
   * (x ~ U(-.4, .4), z ~ U(.1, .4), angle ~ U(-pi/3, pi/3)), and the peg: in the hand (p = .1), in the slot
   * (p = .1), or anywhere with x ~ U(-.5, .5), z ~ U(0, .7), angle ~ U(0, 2 pi) and x-velocity ~ U(-5, 5).
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
    const wristIndex = MANIPULATOR_ARM_JOINTS.indexOf('arm_wrist');
    const sx: Float64Array = d.site_xpos;
    const sm: Float64Array = d.site_xmat;
    const g = this.arm.site.grasp;
    // The angle of a peg held at the grasp site, pointing along the site's x-axis (xx, zx) in the plane.
    const heldPegAngle = (): number => Math.PI - Math.atan2(sm[9 * g + 6], sm[9 * g]);
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

      const [targetX, targetZ, targetAngle] = drawSlotPose(rng);
      this.placeTarget(targetX, targetZ, targetAngle);

      const u = rng.uniform();
      this.targetBlend = -1;
      this.nearPeg = false;
      this.pregrasp = false;
      this.initType = u < this.pInHand ? 'in_hand' : u < this.pInHand + this.pInTarget ? 'in_target' : 'uniform';
      let objX = 0, objZ = 0, objAngle = 0;
      if (this.initType === 'in_target') {
        objX = targetX;
        objZ = targetZ;
        objAngle = targetAngle;
      } else if (this.initType === 'in_hand') {
        const holdPeg = (): void => {
          mj.mj_forward(model, data);
          objX = sx[3 * g];
          objZ = sx[3 * g + 2];
          objAngle = heldPegAngle();
        };
        holdPeg();
        // Drawn only when enabled, so that runs without it keep their random streams.
        if (this.inHandTargetBlend > 0 && rng.uniform() < this.inHandTargetBlend) {
          // Only hands that hold the peg at a pose the slot can take (about 1 in 6 arm draws; the arm alone is
          // redrawn, so the shares of the start types stay as set): from the others no blend starts near the slot.
          const inSlotRange = (): boolean => Math.abs(objX) <= SLOT_X && objZ >= SLOT_Z[0] && objZ <= SLOT_Z[1] && Math.abs(wrapAngle(objAngle)) <= SLOT_ANGLE;
          for (let armDraws = 1; !inSlotRange(); armDraws++) {
            if (armDraws > maxDraws) throw new Error(`no arm pose holding the peg within the slot range in ${maxDraws} draws`);
            drawArm();
            holdPeg();
          }
          const held = wrapAngle(objAngle);
          const [lo, hi] = this.inHandTargetAlpha;
          const alpha = lo + (hi - lo) * rng.uniform();
          // alpha in [0, 0.5]: the slot lies along the peg's axis, the peg backed out of it by up to
          // SLOT_BACK_OFF; alpha in [0.5, 1]: from there a share 2 alpha - 1 of the way to the drawn slot pose.
          // (A slot only slightly misaligned with a half-inserted blade would penetrate it: 0.4 mm clearance.)
          const back = SLOT_BACK_OFF * Math.min(1, 2 * alpha);
          const share = Math.max(0, 2 * alpha - 1);
          // The peg's blade points along its body's -z axis, (-sin, -cos) of its angle in the (x, z) plane.
          const slotX = objX - back * Math.sin(held), slotZ = objZ - back * Math.cos(held);
          this.placeTarget(slotX + share * (targetX - slotX), slotZ + share * (targetZ - slotZ), held + share * (targetAngle - held));
          this.targetBlend = alpha;
        }
      } else if (this.nearPegStart > 0 && rng.uniform() < this.nearPegStart) {
        // Drawn only when enabled, so that runs without it keep their random streams. The arm, the slot and the
        // peg by the hand are redrawn until the hand is low and nothing touches, so that the share of such starts
        // stays as set. (The slot too: one drawn beside the arm's root blocks every low arm pose.)
        const qv: Float64Array = d.qvel;
        // Drawn only when enabled (streams of runs without it unchanged).
        this.pregrasp = this.pregraspShare > 0 && rng.uniform() < this.pregraspShare;
        for (let armDraws = 1; ; armDraws++) {
          if (armDraws > maxDraws) throw new Error(`no arm pose with the hand by a lying peg in ${maxDraws} draws`);
          drawArm();
          if (armDraws > 1) this.placeTarget(...drawSlotPose(rng));
          mj.mj_forward(model, data);
          const gx = sx[3 * g], gz = sx[3 * g + 2];
          if (this.pregrasp) {
            // Turn the wrist so that the hand points down within PREGRASP_TILT (the peg it would hold, along the
            // grasp site's x-axis, then lies near horizontal), and keep only hands low enough. All hinges share
            // one axis, so the held peg's angle (see holdPeg) turns with the wrist one for one.
            const wj = armJointIds[wristIndex];
            const wrist = this.arm.armQposAdr[wristIndex];
            const setWrist = (q: number): void => { qpos[wrist] = q; mj.mj_forward(model, data); };
            const q0 = qpos[wrist], a0 = heldPegAngle();
            setWrist(q0 + 1e-3);
            const sign = Math.sign(wrapAngle(heldPegAngle() - a0));
            const tilt = rng.range(-PREGRASP_TILT, PREGRASP_TILT);
            // Of the two horizontal peg angles, the one with the hand pointing down (the grasp site lower).
            const [down, up] = [Math.PI / 2, -Math.PI / 2].map((h) => wrapAngle(q0 + sign * wrapAngle(h + tilt - a0)));
            setWrist(up);
            const zUp = sx[3 * g + 2];
            setWrist(down);
            if (sx[3 * g + 2] > zUp) setWrist(up);
            if (qpos[wrist] < range[2 * wj] || qpos[wrist] > range[2 * wj + 1]) continue;
            objAngle = heldPegAngle();
            objX = sx[3 * g];
            objZ = sx[3 * g + 2];
            if (objZ < PREGRASP_HEIGHT[0] || objZ > PREGRASP_HEIGHT[1] || Math.abs(objX) > 0.5) continue;
          } else {
            if (gz > NEAR_PEG_HEIGHT || gz < 0) continue;
            objX = gx + rng.range(-NEAR_PEG_REACH, NEAR_PEG_REACH);
            if (Math.abs(objX) > 0.5) continue;
            objZ = NEAR_PEG_Z;
            objAngle = (rng.uniform() < 0.5 ? 1 : -1) * Math.PI / 2;
          }
          qpos[pegX] = objX;
          qpos[pegZ] = objZ;
          qpos[pegY] = objAngle;
          qv.fill(0);
          mj.mj_forward(model, data);
          if (d.ncon === 0) break;
        }
        this.nearPeg = true;
      } else {
        [objX, objZ, objAngle, (d.qvel as Float64Array)[this.arm.pegDofAdr[0]]] = drawFloorPeg(rng);
      }
      const q: Float64Array = d.qpos;
      q[pegX] = objX;
      q[pegZ] = objZ;
      q[pegY] = objAngle;
      mj.mj_forward(model, data);
      // A slot blended onto the held peg (alpha near 0) touches it at rounding-error depths, as an inserted peg does.
      if (d.ncon === 0 || (this.targetBlend >= 0 && deepestPenetration(d) < PEG_SLOT_TOUCH)) {
        this.initDraws = draws;
        break;
      }
    }
    this.floorGrasp = false;
    this.floorGraspOffset = 0;
    // Drawn only when enabled (streams of runs without it unchanged).
    if (this.floorGraspStart > 0 && this.initType === 'uniform' && !this.nearPeg && rng.uniform() < this.floorGraspStart) {
      if (this.placeHandAroundFloorPeg(rng) !== 'grip') throw new Error(`no settled floor peg admitted the in-hand grip in ${FLOOR_GRASP_ATTEMPTS} draws`);
    }
    // A share below 1 is drawn only for in-hand starts (streams of runs with true or false unchanged).
    this.handClosedAtStart = this.initType === 'in_hand' && this.graspInHand > 0 && (this.graspInHand >= 1 || rng.uniform() < this.graspInHand);
    if (this.handClosedAtStart) this.closeHandOnPeg();
    this.steps = 0;
  }

  /**
   * `floorGraspStart`: drop the drawn peg (redrawn as dm_control draws a floor peg while it admits no grip) with the
   * arm pinned upright until it rests, then place the hand around its handle in the in-hand grip (the hand along the
   * peg's axis, its grasp site at the peg's), searching FLOOR_GRIP_* candidates for one that puts no part of the
   * arm into anything by more than FLOOR_GRIP_DEPTH (the hand into the peg: FLOOR_GRIP_PEG_DEPTH). Then close the
   * hand (share floorGraspClosed) or back it off along the axis by up to floorGraspBackoff, open.
   */
  private placeHandAroundFloorPeg(rng: Rng, attempts = FLOOR_GRASP_ATTEMPTS): FloorGripOutcome {
    const { model, data } = this.physics;
    const mj = this.mj;
    const m = model as any;
    const d = data as any;
    const qpos: Float64Array = d.qpos, qvel: Float64Array = d.qvel;
    const sx: Float64Array = d.site_xpos;
    const s = this.arm.site;
    const armQ = this.arm.armQposAdr, armV = this.arm.armDofAdr;
    const [pegX, pegZ, pegY] = this.arm.pegQposAdr;
    const range: Float64Array = m.jnt_range;
    const lim = (i: number): [number, number] => [range[2 * this.arm.armJointIds[i]], range[2 * this.arm.armJointIds[i] + 1]];
    const geomBody: Int32Array = m.geom_bodyid;
    const { arm: armBodies, hand: handBodies } = this.armBodies;
    const closed = this.floorGraspClosed > 0 && rng.uniform() < this.floorGraspClosed;
    const backoff = closed ? 0 : rng.range(0, this.floorGraspBackoff);
    const { root, links, grasp } = this.armGeometry;
    // Hinges turn about -y: a link at cumulative angle a points along (-sin a, cos a) in the (x, z) plane.
    const angleOf = (x: number, z: number): number => Math.atan2(-x, z);
    let outcome: FloorGripOutcome = 'no-grip';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        qvel.fill(0);
        [qpos[pegX], qpos[pegZ], qpos[pegY], qvel[this.arm.pegDofAdr[0]]] = drawFloorPeg(rng);
      }
      for (let i = 0; i < 4; i++) qpos[armQ[i]] = 0;
      mj.mj_forward(model, data);
      if (deepestPenetration(d) > FLOOR_GRIP_DEPTH) { outcome = 'unsettled'; continue; }
      d.ctrl.fill(0);
      const [vx, vz, vy] = this.arm.pegDofAdr;
      const pegSpeed = (): number => Math.hypot(qvel[vx], qvel[vz], qvel[vy]);
      // Until it rests: below FLOOR_REST_SPEED for FLOOR_REST_STEPS in a row, or FLOOR_SETTLE_STEPS in all.
      for (let k = 0, still = 0; k < FLOOR_SETTLE_STEPS && still < FLOOR_REST_STEPS; k++) {
        mj.mj_step(model, data);
        for (let i = 0; i < 4; i++) { qpos[armQ[i]] = 0; qvel[armV[i]] = 0; }
        still = pegSpeed() < FLOOR_REST_SPEED ? still + 1 : 0;
      }
      mj.mj_forward(model, data);
      const gx = sx[3 * s.pegGrasp], gz = sx[3 * s.pegGrasp + 2];
      if (pegSpeed() > 0.05 || gz > 0.15) { outcome = 'unsettled'; continue; }
      outcome = 'no-grip';
      const ax = sx[3 * s.pegTip] - gx, az = sx[3 * s.pegTip + 2] - gz;
      const norm = Math.hypot(ax, az);
      const hx = ax / norm, hz = az / norm;
      const handAngle = angleOf(hx, hz);
      const pegPose = [qpos[pegX], qpos[pegZ], qpos[pegY]];
      const phase = rng.uniform();
      for (const lift of FLOOR_GRIP_LIFT) {
        for (const along of FLOOR_GRIP_AXIS) {
          for (const finger of FLOOR_GRIP_FINGER) {
            for (let r = 0; r < FLOOR_GRIP_ROOTS; r++) {
              const q0 = -Math.PI + ((r + phase) * 2 * Math.PI) / FLOOR_GRIP_ROOTS;
              const back = along + backoff;
              // Grasp-site target, then the hand body's origin behind it, then the elbow's two solutions.
              const tx = gx - back * hx, tz = gz - back * hz + lift;
              const wx = tx - grasp * -Math.sin(handAngle), wz = tz - grasp * Math.cos(handAngle);
              const px = root[0] + links[0] * -Math.sin(q0), pz = root[1] + links[0] * Math.cos(q0);
              const dx = wx - px, dz = wz - pz, dist = Math.hypot(dx, dz);
              const c2 = (dist * dist - links[1] ** 2 - links[2] ** 2) / (2 * links[1] * links[2]);
              if (!(c2 >= -1 && c2 <= 1)) continue;
              for (const sign of [1, -1]) {
                const q2 = sign * Math.acos(c2);
                const a1 = angleOf(dx, dz) - Math.atan2(links[2] * Math.sin(q2), links[1] + links[2] * Math.cos(q2));
                const q = [q0, wrapAngle(a1 - q0), q2, wrapAngle(handAngle - a1 - q2)];
                if (![1, 2, 3].every((i) => q[i] >= lim(i)[0] && q[i] <= lim(i)[1])) continue;
                for (let i = 0; i < 4; i++) qpos[armQ[i]] = q[i];
                for (const n of ['finger', 'thumb']) qpos[armQ[MANIPULATOR_ARM_JOINTS.indexOf(n)]] = finger;
                for (const n of ['fingertip', 'thumbtip']) qpos[armQ[MANIPULATOR_ARM_JOINTS.indexOf(n)]] = 0;
                qpos[pegX] = pegPose[0];
                qpos[pegZ] = pegPose[1];
                qpos[pegY] = pegPose[2];
                mj.mj_forward(model, data);
                if (Math.hypot(sx[3 * s.grasp] - tx, sx[3 * s.grasp + 2] - tz) > 1e-3) continue;
                let ok = true;
                forEachContact(d, (g1, g2, depthNeg) => {
                  const b1 = geomBody[g1], b2 = geomBody[g2];
                  if (!armBodies.has(b1) && !armBodies.has(b2)) return;
                  const withPeg = b1 === this.arm.pegId || b2 === this.arm.pegId;
                  const limit = withPeg && (handBodies.has(b1) || handBodies.has(b2)) ? FLOOR_GRIP_PEG_DEPTH : FLOOR_GRIP_DEPTH;
                  if (-depthNeg > limit) { ok = false; return true; }
                });
                if (!ok) continue;
                qvel.fill(0);
                d.ctrl.fill(0);
                d.time = 0;
                mj.mj_forward(model, data);
                this.floorGrasp = true;
                this.floorGraspOffset = closed ? -1 : backoff;
                this.floorGraspDraws = attempt;
                if (closed) this.closeHandOnPeg();
                return 'grip';
              }
            }
          }
        }
      }
    }
    return outcome;
  }

  /**
   * For a census of dm_control's floor starts (after a reset that drew one): let the peg fall and settle as
   * `floorGraspStart` does (the arm pinned upright) and search once for the in-hand grip around it, with the open
   * hand. 'grip': one exists (the hand is left there); 'no-grip': the peg rests on the floor and none does;
   * 'unsettled': it did not come to rest on the floor (on the pinned arm, or it overlapped it), which says nothing
   * of the task. The peg's resting pose is in the state either way.
   */
  floorGripCensus(rng: Rng): FloorGripOutcome {
    if (this.initType !== 'uniform' || this.nearPeg || this.floorGrasp) throw new Error(`floorGripCensus needs a dm_control floor start, got init type '${this.initType}'${this.nearPeg ? ' (near-peg)' : this.floorGrasp ? ' (floor grasp)' : ''}`);
    return this.placeHandAroundFloorPeg(rng, 1);
  }

  /**
   * `graspInHand`: GRASP_SETTLE_STEPS physics steps with the grasp motor at +1 (it closes the hand), the arm's
   * four arm joints and the peg pinned to their drawn poses at rest; then time and controls are zeroed again.
   */
  closeHandOnPeg(): void {
    const { model, data } = this.physics;
    const d = data as any;
    const qpos: Float64Array = d.qpos, qvel: Float64Array = d.qvel, ctrl: Float64Array = d.ctrl;
    const pinQ = [...Array.from(this.arm.armQposAdr.subarray(0, 4)), ...Array.from(this.arm.pegQposAdr)];
    const pinV = [...Array.from(this.arm.armDofAdr.subarray(0, 4)), ...Array.from(this.arm.pegDofAdr)];
    const pose = pinQ.map((a) => qpos[a]);
    ctrl.fill(0);
    ctrl[GRASP_ACTUATOR] = 1;
    for (let k = 0; k < GRASP_SETTLE_STEPS; k++) {
      this.mj.mj_step(model, data);
      pinQ.forEach((a, i) => { qpos[a] = pose[i]; });
      for (const v of pinV) qvel[v] = 0;
    }
    ctrl.fill(0);
    d.time = 0;
    this.mj.mj_forward(model, data);
  }

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

  reward(): number {
    return this.shapedTaskReward() + (this.gripBonus > 0 ? this.gripBonus * gripTerm(this.arm, (this.physics.data as any).ctrl[GRASP_ACTUATOR], this.gripMargin) : 0);
  }

  private shapedTaskReward(): number {
    const r = pegRewardTerms(this.arm).reward;
    if (this.shapedReward === false) return r;
    if (this.shapedReward === 'staged') return r + stagedShaping(this.arm, this.stagedWeights).total;
    return (r + (this.shapedReward === 'carry' ? carryShaping(this.arm) : pegRewardTerms(this.arm, SHAPING_MARGIN).reward)) / 2;
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
  options: { episodeLength: 'integer', camera: 'boolean', imageSize: 'integer', shapedReward: "boolean | 'carry' | 'staged'", pInHand: 'number', pInTarget: 'number', graspInHand: 'boolean | number', gripBonus: 'number', gripMargin: 'number', inHandTargetBlend: 'number', inHandTargetAlpha: '[number, number]', reachShaping: '{ weight: number, scale: number }', insertShaping: '{ weight: number, scale: number }', fineReachShaping: '{ weight: number, scale: number }', alignShaping: '{ weight: number, scale: number }', nearPegStart: 'number', pregraspShare: 'number', floorGraspStart: 'number', floorGraspClosed: 'number', floorGraspBackoff: 'number' },
  create: (mj, options) => new ManipulatorInsertPeg(mj, options),
});
