/**
 * A scripted Insert Peg controller with privileged state (issue 22, part 1): the teacher that an expert is
 * distilled from. Each control step it reads the simulator (arm joints, peg and slot poses, touch, contacts), picks a phase
 * from that state alone (no memory between steps), turns the phase's desired hand pose into joint targets by the
 * planar arm's inverse kinematics, and drives the task's own torque motors (actions in [-1, 1], ctrl x gear = torque)
 * with joint-space PD plus MuJoCo's bias forces (`qfrc_bias`: gravity and Coriolis). Near the peg and while lifting
 * it moves in straight Cartesian steps by resolved rate through the grasp site's Jacobian (`mj_jacSite`); where the
 * inverse kinematics has no solution it falls back to a Cartesian PD through the same Jacobian. Grips on a lying peg
 * are planned on a scratch MjData (contacts of the open hand at the grip and on the way in), and so are hooks of the
 * closed hand on the guard of a peg out of grip reach. Kept between steps are a memo of the grip search, reused while
 * the peg stays within 2 mm and 0.02 rad of where it was run, and the last hook pose in the peg's frame (tried first).
 * Measured performance and its limits: the README's Experts section.
 *
 * Planar conventions: all arm hinges turn about -y, so a link at cumulative angle a points along (-sin a, cos a) in
 * the (x, z) plane. A pose here is (x, z, a) with that forward direction: the hand's is its grasp site and the sum of
 * its four arm joints; the peg's is its grasp site (the body origin) and its blade direction (a = pi - peg angle);
 * the slot's is the ghost target peg's. In the in-hand grip the two coincide (dm_control's in-hand start).
 */
import type { ManipulatorInsertPeg } from '../envs/manipulator';
import { MANIPULATOR_ARM_JOINTS, pegRewardTerms } from '../envs/manipulator';
import { forEachContact, nameToId } from '../physics/mujoco';

/** A planar pose: position (x, z) and forward angle a, forward = (-sin a, cos a), lateral = (cos a, sin a). */
export interface PlanarPose { x: number; z: number; a: number }

/** The phases, in order of an episode that starts with the peg on the floor. */
export type PegPhase = 'settle' | 'push' | 'approach' | 'align' | 'grasp' | 'lift' | 'carry' | 'align-slot' | 'insert' | 'hold' | 'drag' | 'hook' | 'rest';

/** `a` wrapped into [-pi, pi). */
export function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/** The pose `local` (in the frame of `frame`) in world coordinates. */
export function composePose(frame: PlanarPose, local: PlanarPose): PlanarPose {
  const c = Math.cos(frame.a), s = Math.sin(frame.a);
  // forward f = (-s, c), lateral l = (c, s); local.x is along l, local.z along f.
  return { x: frame.x + local.x * c - local.z * s, z: frame.z + local.x * s + local.z * c, a: frame.a + local.a };
}

/** `pose` in the frame of `frame` (the inverse of composePose). */
export function relativePose(frame: PlanarPose, pose: PlanarPose): PlanarPose {
  const c = Math.cos(frame.a), s = Math.sin(frame.a);
  const dx = pose.x - frame.x, dz = pose.z - frame.z;
  return { x: dx * c + dz * s, z: -dx * s + dz * c, a: wrapAngle(pose.a - frame.a) };
}

/** The frame F with composePose(F, local) = world: F = world o local^-1. */
export function frameFor(world: PlanarPose, local: PlanarPose): PlanarPose {
  const a = world.a - local.a;
  const c = Math.cos(a), s = Math.sin(a);
  return { x: world.x - (local.x * c - local.z * s), z: world.z - (local.x * s + local.z * c), a };
}

/** Squared distance between segments p1-q1 and p2-q2 in the plane. */
export function segmentDistance(p1: [number, number], q1: [number, number], p2: [number, number], q2: [number, number]): number {
  const d1x = q1[0] - p1[0], d1z = q1[1] - p1[1], d2x = q2[0] - p2[0], d2z = q2[1] - p2[1];
  const rx = p1[0] - p2[0], rz = p1[1] - p2[1];
  const a = d1x * d1x + d1z * d1z, e = d2x * d2x + d2z * d2z, f = d2x * rx + d2z * rz;
  const clamp = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
  let sP: number, tP: number;
  if (a < 1e-12 && e < 1e-12) return Math.hypot(rx, rz);
  if (a < 1e-12) { sP = 0; tP = clamp(f / e); } else {
    const c = d1x * rx + d1z * rz;
    if (e < 1e-12) { tP = 0; sP = clamp(-c / a); } else {
      const b = d1x * d2x + d1z * d2z, den = a * e - b * b;
      sP = den > 1e-12 ? clamp((b * f - c * e) / den) : 0;
      tP = (b * sP + f) / e;
      if (tP < 0) { tP = 0; sP = clamp(-c / a); } else if (tP > 1) { tP = 1; sP = clamp((b - c) / a); }
    }
  }
  const x = p1[0] + d1x * sP - (p2[0] + d2x * tP), z = p1[1] + d1z * sP - (p2[1] + d2z * tP);
  return Math.hypot(x, z);
}

/** A capsule obstacle in the plane: a segment and a radius (m). */
export interface PlanarCapsule { from: [number, number]; to: [number, number]; radius: number }

/** Tilts (rad) of the grip from the blade's direction, tried in order (towards pointing down first). */
const GRIP_TILTS = [0, 0.1, 0.2, 0.3, 0.4];
/** Distances (m) the grip is backed along the blade from the peg's grasp site, tried in order. */
const GRIP_ALONG = [0, 0.005, 0.01];
/** Heights (m) of the grip above the peg's grasp site, tried in order. */
const GRIP_LIFT = [0, 0.003, 0.006];
/** Finger and thumb angles (rad) of the open hand around the handle, tried in order. */
const GRIP_OPENINGS = [0.35, 0.44, 0.52, 0.61];
/**
 * How much wider (rad) than planned the fingers open while the hand slides onto the handle: at the planned opening
 * a fingertip catches the pommel and pushes the peg ahead. Measured on seeds 200000-200149: 0.05, 0.1, 0.15, 0.2,
 * 0.25 give returns 188, 198, 176, 151, 84 (0: 136).
 */
const SLIDE_WIDER = 0.1;
/**
 * How far (m) the sliding hand's goal is raised while the arm touches the floor (a lower fingertip dragging on the
 * floor stalled the slide onto the handle). Measured on seeds 200000-200149: 0.003, 0.006, 0.01, 0.015 give 220.5,
 * 225.5, 226.2, 225.5 against 217.8 without; on seeds 300000-300149 0.006 and 0.01 give 226.8 and 223.0 against 212.4.
 */
const ALIGN_LIFT = 0.006;
/** Deepest overlap (m) of the planned open hand with the peg (it is pushed aside that much). */
const GRIP_PEG_DEPTH = 0.003;
/** Height (m) above the floor that joint-space paths keep the arm's joints and grasp site at. */
const PATH_FLOOR = 0.03;
/** Margins (rad) the inverse kinematics keeps from the shoulder's and elbow's limits, and from the wrist's. */
const JOINT_MARGIN = 0.1;
const WRIST_MARGIN = 0.6;
/** How far back (m) along the slot's axis the held peg's grasp site is when its tip just clears the slot's walls. */
const SLOT_CLEAR = 0.07;
/** Touch reading (log1p of N) on both sides of the hand above which a held peg counts as firmly gripped. */
const FIRM_TOUCH = 1.5;
/** How far (m, rad) a peg may move from where its grip was planned before it is planned again. */
const PLAN_KEEP: readonly [number, number] = [0.002, 0.02];
/** Distance (m) of both the grasp and the pinch sites to the peg's within which the hand closes (the task's own grasp sites). */
const CLOSE_SITES = 0.012;
/** Deepest overlap (m) of the open hand with the peg on its way in along the blade. */
const GRIP_PATH_DEPTH = 0.0015;
/** Within this distance (m) of the peg the hand moves along straight Cartesian lines, `nearStep` per control step. */
const NEAR_PEG = 0.08;
/** The peg's outline in its frame (lateral, along the blade from the grasp site, radius; m): pommel, guard ends, tip. */
const PEG_OUTLINE: ReadonlyArray<[number, number, number]> = [[0, 0.013, 0.009], [0.017, 0.043, 0.005], [-0.017, 0.043, 0.005], [0, 0.113, 0.005]];
/** Height (m) of the grasp site of the closed hand pointing down while it pushes a peg along the floor (fingertips ~2 cm up). */
const PUSH_HEIGHT = 0.047;
/** Gap (m) between the pushing fingertips' centre and the peg's outer edge where a push starts. */
const PUSH_GAP = 0.016;
/** A lying peg is pushed towards the middle only while its outer edge is further out than this (m). */
const PUSH_INNER = 0.15;
/** A peg at rest without a grip whose grasp site is higher than this (m) lies on the arm or the slot, not the floor. */
const DRAG_OFF_FLOOR = 0.06;
/** Peg speed (m/s) and angular speed (rad/s) below which a peg without a grip counts as at rest (drag acts on it). */
const DRAG_REST: readonly [number, number] = [0.01, 0.1];
/** Peg speed (m/s) below which a peg touching the arm counts as lying on it (faster: thrown against it). */
const DRAG_ON_ARM_SPEED = 0.3;
/** Clearance (m) kept between a held peg's blade and the arm's upper and middle links. */
const HELD_MARGIN = 0.005;
/**
 * A raised arm's grasp site, pointing up: 0.45 m above the root at (0, 0.4), within the reach of its links
 * (0.18 + 0.15 + 0.12, grasp site 0.065 along the hand: 0.515 m straight).
 */
const UPRIGHT: PlanarPose = { x: 0, z: 0.85, a: 0 };
/**
 * How far (m) an arm caught on the slot backs its hand away from the slot's middle (UPRIGHT where it cannot).
 * Measured on seeds 200000-200149 (with the hook, HOOK_PRESS 0): 0.1 and 0.2 give 216.7 and 214.9 against 213.8
 * raising it upright (0.2: 3 episodes better by more than 20, none worse); with HOOK_PRESS 0.01, 0.2 gives 217.8.
 */
const SLOT_RETREAT = 0.2;
/** A lying peg's end counts as raised when its lowest point is this high (m) above the floor. */
const PRESS_RAISED = 0.012;
/** Height (m) of the closed hand's grasp site above its fingertips' lowest point when it points down. */
const PRESS_TIPS = 0.027;
/** How far (m) below the raised end's top the fingertips are aimed when pressing it down. */
const PRESS_DEPTH = 0.012;
/** Finger and fingertip angles (rad) of the closed empty hand (measured: 0.66, -0.58 to -0.69). */
const CLOSED: readonly [number, number] = [0.66, -0.65];
/** Hand angles (rad, from pointing down) tried for a hook, and the fingertip spheres' radius (m). */
const HOOK_TILTS = Array.from({ length: 21 }, (_, i) => (i % 2 === 1 ? 1 : -1) * 0.15 * Math.ceil(i / 2));
const FINGERTIP_RADIUS = 0.008;
/** Gap (m) between the hooking fingertip and the guard's end, and its height (m) above the end's centre. */
const HOOK_GAP = 0.002;
const HOOK_RISE = 0.003;
/** A hooked peg is pulled while its grasp site is further out than this (m) from the middle. */
const HOOK_INNER = 0.12;
/** Step (m) of the pulling hand's goal beyond its hook pose, per control step. */
const HOOK_PULL = 0.03;
/** Deepest overlap (m) of a planned hook pose with the guard one pull step (1.5 cm) further on: it must catch it. */
const HOOK_CATCH = 0.002;
/**
 * How far (m) below the hook pose the descending hand is aimed, so that it settles there rather than above it.
 * Measured on seeds 200000-200149 (arm raised upright off the slot): 0, 0.01, 0.02 give 213.8, 216.7, 213.4.
 */
const HOOK_PRESS = 0.01;
/** Deepest overlap (m) of a planned hook pose with the peg. */
const HOOK_PEG_DEPTH = 0.002;
/** Indices of the finger and thumb joints among MANIPULATOR_ARM_JOINTS (each followed by its tip joint). */
const FINGER = MANIPULATOR_ARM_JOINTS.indexOf('finger');
const THUMB = MANIPULATOR_ARM_JOINTS.indexOf('thumb');
/** The hand's outline in its frame (lateral, forward from the grasp site, radius; m): palm, finger bases, fingers half open. */
const HAND_OUTLINE: ReadonlyArray<[number, number, number]> = [
  [0, -0.035, 0.011], [0.03, -0.02, 0.008], [-0.03, -0.02, 0.008], [0.037, -0.01, 0.007], [-0.037, -0.01, 0.007],
  [0.037, 0.01, 0.007], [-0.037, 0.01, 0.007], [0.03, 0.028, 0.008], [-0.03, 0.028, 0.008],
];

/** The lowest height (m) of the hand's outline at a hand pose (negative: in the floor). */
export function handClearance(hand: PlanarPose): number {
  const c = Math.cos(hand.a), s = Math.sin(hand.a);
  let low = Infinity;
  for (const [v, u, r] of HAND_OUTLINE) low = Math.min(low, hand.z + u * c + v * s - r);
  return low;
}

/** Root angle offsets (rad) of the straight-arm via poses, tried in order. */
/** Largest joint error (rad) at which a via pose counts as reached. */
const VIA_REACHED = 0.1;
/** The largest |a[i] - b[i]| over the four arm joints (the root's wrapped). */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = Math.abs(wrapAngle(a[0] - b[0]));
  for (let i = 1; i < 4; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const VIA_ROOTS = [0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2, -2, 2.5, -2.5, Math.PI];

/** The solution of the 3 x 3 system A y = b (Cramer's rule; A symmetric positive definite here). */
function solve3(A: number[][], b: number[]): number[] {
  const det = (m: number[][]): number => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const d = det(A);
  return [0, 1, 2].map((k) => det(A.map((row, i) => row.map((v, j) => (j === k ? b[i] : v)))) / d);
}

/** Up to n entries of `list` spread evenly over it (the first always kept). */
function spread<T>(list: T[], n: number): T[] {
  if (list.length <= n) return list;
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}

/** Tunable constants of the controller (defaults: PEG_CONTROLLER_DEFAULTS). */
export interface PegControllerOptions {
  /** Joint PD stiffness (N m / rad) of root, shoulder, elbow, wrist. */
  kp: [number, number, number, number];
  /** Joint PD damping (N m s / rad), kept below the joints' own damping (a 10 ms zero-order hold). */
  kd: [number, number, number, number];
  /** Largest joint error (rad) the PD acts on: bounds the speed of every move. */
  maxJointError: number;
  /** Largest step (m) of the hand's set-point towards a phase's goal per control step. */
  maxStep: number;
  /** Distance (m) behind the peg's grasp site (against its blade) where the open hand lines up before sliding on. */
  pregraspBack: number;
  /** Height (m) above its goal from which the hand descends onto a pregrasp pose. */
  hoverHeight: number;
  /** Distance (m) the held peg is backed out of the slot along its axis before the final push. */
  preInsertBack: number;
  /** Further distance (m) back along the slot's axis from which the held peg is brought onto that axis. */
  carryBack: number;
  /** Lateral (m) and angular (rad) error of the held peg to the slot's axis within which it is pushed in. */
  insertTolerance: [number, number];
  /** Grasp-site distance (m) within which a touched peg counts as held. */
  holdDistance: number;
  /** Peg speed (m/s) above which a free peg is still falling or rolling (the arm waits). */
  settleSpeed: number;
  /** Height (m) of the peg's grasp site above which a held peg counts as lifted. */
  liftHeight: number;
  /** Largest step (m) of the hand's set-point per control step near the peg. */
  nearStep: number;
  /** Lead time (s) with which the closing hand aims at a moving peg. */
  catchLead: number;
  /** Lowest height (m) allowed to the arm's joints and hand by the inverse kinematics. */
  floorMargin: number;
  /**
   * Weight of the distance to the last step's joint targets in the inverse kinematics' cost while the phase stays
   * the same (0: none), and whether a via pose, once chosen, is kept until reached. Without them the targets
   * alternated step by step between two solutions (neighbouring root angles of the grid, which moves with the root,
   * or a via pose and the goal), so that the torques flipped sign from one step to the next: labels that no
   * network regresses (distillation, issue 22). Default 0: on tuning seeds 200000-200149 stickiness 4 cut the
   * return from 225.5 to 191.9 (paired difference -33.6 +- 10.7 se); it cut the mean squared step-to-step action
   * change ~10x in align and carry, not in approach and push (seeds 200000-200007). The task's controller keeps 0,
   * distillation sets it (DistillConfig.teacherOptions).
   */
  stickiness: number;
}

export const PEG_CONTROLLER_DEFAULTS: Readonly<PegControllerOptions> = {
  kp: [30, 20, 10, 4],
  kd: [0.5, 0.4, 0.2, 0.05],
  maxJointError: 0.5,
  maxStep: 0.03,
  pregraspBack: 0.05,
  hoverHeight: 0.08,
  preInsertBack: 0.08,
  carryBack: 0.06,
  insertTolerance: [0.003, 0.05],
  holdDistance: 0.025,
  settleSpeed: 0.05,
  liftHeight: 0.12,
  floorMargin: 0.015,
  catchLead: 0.05,
  nearStep: 0.01,
  stickiness: 0,
};

const GEARS = [12, 8, 4, 2];
const GRASP = 4;

/** What the controller decided at its last step (for diagnostics and tests). */
export interface PegDecision {
  phase: PegPhase;
  /** The hand's goal pose for this step, or null when the arm holds still. */
  goal: PlanarPose | null;
  /** Whether the inverse kinematics found joint targets (else the Jacobian fallback acted). */
  ik: boolean;
  /** The joint targets (root, shoulder, elbow, wrist), or null. */
  target: Float64Array | null;
}

export class PegController {
  readonly options: PegControllerOptions;
  private readonly task: ManipulatorInsertPeg;
  private readonly jacp: any;
  private readonly jacr: any;
  private readonly nv: number;
  private readonly q = new Float64Array(4);
  private readonly qd = new Float64Array(4);
  last: PegDecision = { phase: 'rest', goal: null, ik: true, target: null };
  /** A second MjData for planning grips without touching the task's state. */
  private readonly scratch: any;
  private readonly geomBody: Int32Array;
  private readonly armBodies: Set<number>;
  private planCache: { peg: PlanarPose; local: PlanarPose | null; opening: number } | null = null;
  /** The last hook pose found, in the peg's frame (tried first while it pulls). */
  private hookCache: PlanarPose | null = null;
  /** The closed hand's fingertip spheres in the grasp site's frame (lateral, forward; m). */
  private readonly fingertips: [number, number][];
  private readonly guardGeom: number;
  private readonly floorGeom: number;
  /**
   * The held peg's pose in the hand's frame while `act` plans a carry (else null): the inverse
   * kinematics and path checks then keep its blade off the arm's upper and middle links (a carried blade caught on
   * the upper arm stalled the carry).
   */
  private heldGrip: PlanarPose | null = null;
  /** The via pose the last step moved to (absolute joint angles), or null (stickiness keeps it until reached). */
  private lastVia: Float64Array | null = null;
  /** The joint goal of the last step before any via pose (preferred by the next step's inverse kinematics), or null. */
  private lastGoalQ: Float64Array | null = null;
  /** The planar arm read from the model: root joint (x, z), the three link lengths, the grasp site's distance along the hand (m). */
  readonly geometry: { root: [number, number]; links: [number, number, number]; grasp: number };

  constructor(task: ManipulatorInsertPeg, options: Partial<PegControllerOptions> = {}) {
    this.task = task;
    for (const k of Object.keys(options)) {
      if (!(k in PEG_CONTROLLER_DEFAULTS)) throw new RangeError(`unknown PegController option '${k}'; accepted: ${Object.keys(PEG_CONTROLLER_DEFAULTS).join(', ')}`);
    }
    this.options = { ...PEG_CONTROLLER_DEFAULTS, ...options };
    const mj = task.physics.mj as any;
    this.nv = (task.physics.model as any).nv;
    this.jacp = new mj.DoubleBuffer(3 * this.nv);
    this.jacr = new mj.DoubleBuffer(3 * this.nv);
    const model = task.physics.model as any;
    const bp: Float64Array = model.body_pos;
    const body = (n: string): number => nameToId(task.physics, 'body', n);
    const up = body('upper_arm'), mid = body('middle_arm'), low = body('lower_arm'), hand = body('hand');
    this.geometry = {
      root: [bp[3 * up], bp[3 * up + 2]],
      links: [bp[3 * mid + 2], bp[3 * low + 2], bp[3 * hand + 2]],
      grasp: (model.site_pos as Float64Array)[3 * task.arm.site.grasp + 2],
    };
    this.scratch = new mj.MjData(model);
    this.geomBody = Int32Array.from(model.geom_bodyid as Int32Array);
    const parent = Int32Array.from(model.body_parentid as Int32Array);
    const top = nameToId(task.physics, 'body', 'upper_arm');
    this.armBodies = new Set<number>();
    for (let b = 1; b < model.nbody; b++) for (let r = b; r > 0; r = parent[r]) if (r === top) { this.armBodies.add(b); break; }
    this.guardGeom = nameToId(task.physics, 'geom', 'guard');
    this.floorGeom = nameToId(task.physics, 'geom', 'floor');
    // The fingertips of the closed hand, measured on the scratch copy with the arm straight up.
    const adr = task.arm.armQposAdr;
    const sq: Float64Array = this.scratch.qpos;
    sq.set((task.physics.data as any).qpos);
    for (let i = 0; i < 4; i++) sq[adr[i]] = 0;
    sq[adr[FINGER]] = sq[adr[THUMB]] = CLOSED[0];
    sq[adr[FINGER + 1]] = sq[adr[THUMB + 1]] = CLOSED[1];
    mj.mj_kinematics(model, this.scratch);
    const gx: Float64Array = this.scratch.geom_xpos;
    const site = this.forward([0, 0, 0, 0]).grasp;
    this.fingertips = ['fingertip1', 'fingertip2', 'thumbtip1', 'thumbtip2'].map((n) => {
      const id = nameToId(task.physics, 'geom', n);
      return [gx[3 * id] - site.x, gx[3 * id + 2] - site.z];
    });
  }

  /** Release the wasm buffers. */
  dispose(): void {
    this.jacp.delete();
    this.jacr.delete();
    this.scratch.delete();
  }

  // ---------------------------------------------------------------------------------------------------
  // State readers.
  // ---------------------------------------------------------------------------------------------------

  private readArm(): void {
    const d = this.task.physics.data as any;
    const qpos: Float64Array = d.qpos, qvel: Float64Array = d.qvel;
    for (let i = 0; i < 4; i++) {
      this.q[i] = qpos[this.task.arm.armQposAdr[i]];
      this.qd[i] = qvel[this.task.arm.armDofAdr[i]];
    }
  }

  /** The hand's pose: grasp site and the sum of the arm joints. */
  handPose(): PlanarPose {
    const d = this.task.physics.data as any;
    const sx: Float64Array = d.site_xpos;
    const g = this.task.arm.site.grasp;
    const qpos: Float64Array = d.qpos;
    let a = 0;
    for (let i = 0; i < 4; i++) a += qpos[this.task.arm.armQposAdr[i]];
    return { x: sx[3 * g], z: sx[3 * g + 2], a: wrapAngle(a) };
  }

  /** The peg's pose: its grasp site (body origin) and blade direction. */
  pegPose(): PlanarPose {
    const d = this.task.physics.data as any;
    const qpos: Float64Array = d.qpos;
    const [px, pz, py] = this.task.arm.pegQposAdr;
    return { x: qpos[px], z: qpos[pz], a: wrapAngle(Math.PI - qpos[py]) };
  }

  /** The slot's pose: where the peg's pose must be when inserted (the ghost target peg). */
  slotPose(): PlanarPose {
    const d = this.task.physics.data as any;
    const xpos: Float64Array = d.xpos, xquat: Float64Array = d.xquat;
    const b = this.task.arm.targetId;
    const theta = 2 * Math.atan2(xquat[4 * b + 2], xquat[4 * b]);
    return { x: xpos[3 * b], z: xpos[3 * b + 2], a: wrapAngle(Math.PI - theta) };
  }

  /** The peg's velocity: x, z (m/s) and its angular velocity about +y (rad/s). */
  pegVelocity(): [number, number, number] {
    const qvel: Float64Array = (this.task.physics.data as any).qvel;
    const [vx, vz, vy] = this.task.arm.pegDofAdr;
    return [qvel[vx], qvel[vz], qvel[vy]];
  }

  pegSpeed(): number {
    const qvel: Float64Array = (this.task.physics.data as any).qvel;
    const [vx, vz] = this.task.arm.pegDofAdr;
    return Math.hypot(qvel[vx], qvel[vz]);
  }

  /** Touch readings (log1p of force) of palm, finger, thumb, fingertip, thumbtip. */
  touch(): Float64Array {
    return this.task.arm.touch(new Float64Array(5)) as Float64Array;
  }

  /** Whether any body of the arm touches body `body` (the slot, the peg). */
  armTouches(body: number): boolean {
    let on = false;
    forEachContact(this.task.physics.data, (g1, g2) => {
      const b1 = this.geomBody[g1], b2 = this.geomBody[g2];
      if ((b1 === body && this.armBodies.has(b2)) || (b2 === body && this.armBodies.has(b1))) { on = true; return true; }
    });
    return on;
  }

  /** Whether any body of the arm touches the floor. */
  armTouchesFloor(): boolean {
    let on = false;
    forEachContact(this.task.physics.data, (g1, g2) => {
      if ((g1 === this.floorGeom && this.armBodies.has(this.geomBody[g2])) || (g2 === this.floorGeom && this.armBodies.has(this.geomBody[g1]))) { on = true; return true; }
    });
    return on;
  }

  /** Whether the peg sits in the hand: grasp sites close and both sides of the hand touching it. */
  holding(): boolean {
    const s = this.task.arm.site;
    const dist = this.task.arm.siteDistance(s.grasp, s.pegGrasp);
    if (dist > this.options.holdDistance) return false;
    const t = this.touch();
    const fingerSide = Math.max(t[1], t[3]), thumbSide = Math.max(t[2], t[4]);
    return fingerSide > 0 && thumbSide > 0;
  }

  // ---------------------------------------------------------------------------------------------------
  // Kinematics.
  // ---------------------------------------------------------------------------------------------------

  /** Forward kinematics: the joint points and the grasp site for joint angles q (root, shoulder, elbow, wrist). */
  forward(q: ArrayLike<number>): { points: [number, number][]; grasp: PlanarPose } {
    const { root, links, grasp } = this.geometry;
    const points: [number, number][] = [[root[0], root[1]]];
    let a = 0, x = root[0], z = root[1];
    for (let i = 0; i < 3; i++) {
      a += q[i];
      x += -links[i] * Math.sin(a);
      z += links[i] * Math.cos(a);
      points.push([x, z]);
    }
    a += q[3];
    return { points, grasp: { x: x - grasp * Math.sin(a), z: z + grasp * Math.cos(a), a: wrapAngle(a) } };
  }

  /**
   * Joint angles putting the grasp site at `goal` (position and hand angle), nearest the current ones among the
   * solutions with every limited joint in range and the elbow and wrist above the floor margin; null if none.
   * The root's redundancy is searched over a grid around its current angle, both elbow branches each.
   */
  inverse(goal: PlanarPose, current: ArrayLike<number>, obstacles: readonly PlanarCapsule[] = [], prefer: ArrayLike<number> | null = null): Float64Array | null {
    return this.inverseAll(goal, current, obstacles, prefer)[0] ?? null;
  }

  /**
   * All solutions `inverse` considers (one per root angle and elbow branch), nearest first. With `prefer` (the last
   * step's targets) its root angle is also tried, and the distance to it costs `stickiness` times its square.
   */
  inverseAll(goal: PlanarPose, current: ArrayLike<number>, obstacles: readonly PlanarCapsule[] = [], prefer: ArrayLike<number> | null = null): Float64Array[] {
    const found: { q: Float64Array; cost: number }[] = [];
    const { root, links, grasp } = this.geometry;
    const m = this.task.physics.model as any;
    const range: Float64Array = m.jnt_range;
    const ids = this.task.arm.armJointIds;
    const wx = goal.x + grasp * Math.sin(goal.a), wz = goal.z - grasp * Math.cos(goal.a);
    const floor = this.options.floorMargin;
    const steps = 48;
    const w = prefer === null ? 0 : this.options.stickiness;
    for (let k = w > 0 ? -1 : 0; k <= steps; k++) {
      // Offsets 0, +d, -d, +2d, ... so that ties keep the nearest root angle (k = -1: the preferred root angle).
      const off = k < 0 ? wrapAngle(prefer![0] - current[0]) : (k % 2 === 1 ? 1 : -1) * Math.ceil(k / 2) * ((2 * Math.PI) / steps);
      const q0 = current[0] + off;
      const px = root[0] - links[0] * Math.sin(q0), pz = root[1] + links[0] * Math.cos(q0);
      if (pz < floor) continue;
      const dx = wx - px, dz = wz - pz, dist2 = dx * dx + dz * dz;
      const c2 = (dist2 - links[1] ** 2 - links[2] ** 2) / (2 * links[1] * links[2]);
      if (!(c2 >= -1 && c2 <= 1)) continue;
      for (const sign of [1, -1]) {
        const q2 = sign * Math.acos(c2);
        const a1 = Math.atan2(-dx, dz) - Math.atan2(links[2] * Math.sin(q2), links[1] + links[2] * Math.cos(q2));
        const q1 = wrapAngle(a1 - q0);
        const q3 = wrapAngle(goal.a - a1 - q2);
        const q = [q0, q1, q2, q3];
        let ok = true;
        // Within the joint limits less a margin; the wrist less still (bent further, the hand or a held peg meets the lower arm).
        for (let i = 1; i < 4 && ok; i++) {
          const m = i === 3 ? WRIST_MARGIN : JOINT_MARGIN;
          ok = q[i] >= range[2 * ids[i]] + m && q[i] <= range[2 * ids[i] + 1] - m;
        }
        if (!ok) continue;
        const ez = pz + links[1] * Math.cos(a1);
        if (ez < floor || wz < floor) continue;
        let cost = 2 * off * off;
        for (let i = 1; i < 4; i++) cost += (q[i] - current[i]) ** 2;
        if (w > 0) for (let i = 0; i < 4; i++) cost += w * wrapAngle(q[i] - prefer![i]) ** 2;
        // A collision of the final pose rules it out; one on the way there (joint-space straight line) costs.
        if (obstacles.length > 0 || this.heldGrip !== null) {
          if (this.collides(q, obstacles)) continue;
          if (this.pathCollides(current, q, obstacles)) cost += 10;
        }
        found.push({ q: Float64Array.from(q), cost });
      }
    }
    return found.sort((x, y) => x.cost - y.cost).map((f) => f.q);
  }

  /** Whether the arm at joint angles q (its links, and the hand out to past the grasp site) meets an obstacle. */
  collides(q: ArrayLike<number>, obstacles: readonly PlanarCapsule[]): boolean {
    const { points, grasp } = this.forward(q);
    const tip: [number, number] = [grasp.x - 0.02 * Math.sin(grasp.a), grasp.z + 0.02 * Math.cos(grasp.a)];
    const segs: [[number, number], [number, number], number][] = [
      [points[1], points[2], 0.017], [points[2], points[3], 0.014], [points[3], tip, 0.035],
    ];
    if (this.heldGrip !== null) {
      // The held peg's blade, from its pommel to its tip: an obstacle to the upper and middle links too.
      const peg = composePose(grasp, this.heldGrip);
      const p = composePose(peg, { x: 0, z: 0.013, a: 0 }), t = composePose(peg, { x: 0, z: 0.113, a: 0 });
      const blade: [[number, number], [number, number], number] = [[p.x, p.z], [t.x, t.z], 0.009];
      if (segmentDistance(blade[0], blade[1], points[0], points[1]) < 0.02 + blade[2] + HELD_MARGIN) return true;
      if (segmentDistance(blade[0], blade[1], points[1], points[2]) < 0.017 + blade[2] + HELD_MARGIN) return true;
      segs.push(blade);
    }
    for (const o of obstacles) for (const [a, b, r] of segs) if (segmentDistance(a, b, o.from, o.to) < o.radius + r) return true;
    return false;
  }

  /** A straight arm (root angle VIA_ROOTS from the current one) with free joint-space paths from here and on to `goal`. */
  viaPose(goal: ArrayLike<number>, obstacles: readonly PlanarCapsule[]): Float64Array | null {
    // An arm already against the slot may leave it: only the later part of the way out is checked.
    const skip = this.collides(this.q, obstacles) ? 3 : 0;
    for (const off of VIA_ROOTS) {
      const via = Float64Array.from([this.q[0] + off, 0, 0, 0]);
      const { points, grasp } = this.forward(via);
      if (Math.min(points[3][1], grasp.z) < PATH_FLOOR + 0.05 || this.collides(via, obstacles)) continue;
      if (this.pathCollides(this.q, via, obstacles, skip)) continue;
      const onward = Float64Array.from(goal as ArrayLike<number>);
      onward[0] = via[0] + wrapAngle(goal[0] - via[0]);
      if (!this.pathCollides(via, onward, obstacles)) return via;
    }
    return null;
  }

  /** Whether the straight joint-space path from `from` to `to` meets an obstacle (checked at 8 points). */
  pathCollides(from: ArrayLike<number>, to: ArrayLike<number>, obstacles: readonly PlanarCapsule[], skip = 0): boolean {
    const q = new Float64Array(4);
    // On the way, the joints and the grasp site also stay above the floor (PATH_FLOOR, or as low as the ends are).
    const lowest = (c: ArrayLike<number>): number => {
      const { points, grasp } = this.forward(c);
      return Math.min(points[1][1], points[2][1], points[3][1], grasp.z);
    };
    const floor = Math.min(PATH_FLOOR, lowest(from) - 0.005, lowest(to) - 0.005);
    for (let k = 1 + skip; k <= 8; k++) {
      for (let i = 0; i < 4; i++) q[i] = from[i] + (k / 8) * (to[i] - from[i]);
      if (this.collides(q, obstacles)) return true;
      if (k < 8 && lowest(q) < floor) return true;
    }
    return false;
  }

  /** The slot as an obstacle: a capsule along its axis over its walls and bottom. */
  slotObstacle(): PlanarCapsule {
    const slot = this.slotPose();
    const f = [-Math.sin(slot.a), Math.cos(slot.a)];
    return { from: [slot.x + 0.06 * f[0], slot.z + 0.06 * f[1]], to: [slot.x + 0.14 * f[0], slot.z + 0.14 * f[1]], radius: 0.05 };
  }

  // ---------------------------------------------------------------------------------------------------
  // Phases.
  // ---------------------------------------------------------------------------------------------------

  /**
   * The phase for the current state and the hand's goal pose in it, with the grasp command (-1 open, +1 closed).
   * An arm caught on the slot on its way to a free peg (its straight joint-space path runs into the slot's corner)
   * is first raised straight up, from where the path is planned again.
   */
  decide(): { phase: PegPhase; goal: PlanarPose | null; grasp: number } {
    const d = this.decidePhase();
    if ((d.phase === 'approach' || d.phase === 'push' || d.phase === 'drag' || d.phase === 'hook') && this.armTouches(this.task.arm.slotId)) {
      // Backed straight away from the slot where the arm can (raised straight up, it came back by the same path).
      const o = this.slotObstacle();
      const hand = this.handPose();
      const dx = hand.x - (o.from[0] + o.to[0]) / 2, dz = hand.z - (o.from[1] + o.to[1]) / 2, n = Math.max(1e-6, Math.hypot(dx, dz));
      const away: PlanarPose = { x: hand.x + (SLOT_RETREAT * dx) / n, z: Math.max(0.1, hand.z + (SLOT_RETREAT * dz) / n), a: hand.a };
      if (this.inverse(away, this.q) !== null) return { ...d, goal: away };
      return { ...d, goal: UPRIGHT };
    }
    return d;
  }

  private decidePhase(): { phase: PegPhase; goal: PlanarPose | null; grasp: number } {
    const o = this.options;
    const hand = this.handPose();
    const peg = this.pegPose();
    const slot = this.slotPose();
    const terms = pegRewardTerms(this.task.arm);
    const inSlot = (terms.bring + terms.bringTip) / 2;
    const held = this.holding();
    if (held && inSlot < 0.9) {
      // Squeeze a held peg firmly before moving it (a loose grip loses it at the first jerk).
      const t = this.touch();
      if (Math.min(Math.max(t[1], t[3]), Math.max(t[2], t[4])) < FIRM_TOUCH) return { phase: 'grasp', goal: hand, grasp: 1 };
    }
    if (held) {
      // The peg's pose in the hand, and the hand pose that would put the peg at a desired pose.
      const grip = relativePose(hand, peg);
      const handFor = (pegGoal: PlanarPose): PlanarPose => frameFor(pegGoal, grip);
      // The held peg in the slot's frame: x lateral, z along the blade (negative: backed out).
      const rel = relativePose(slot, peg);
      if (inSlot > 0.9 && Math.abs(rel.z) < 0.012) return { phase: 'hold', goal: handFor(slot), grasp: 1 };
      const aligned = Math.abs(rel.x) < o.insertTolerance[0] && Math.abs(rel.a) < o.insertTolerance[1] && rel.z < 0.005 && rel.z > -o.preInsertBack - 0.02;
      if (aligned) {
        // Slide along the slot's axis, correcting the lateral error on the way.
        const pegGoal = composePose(slot, { x: 0, z: Math.min(0, rel.z + 0.02), a: 0 });
        return { phase: 'insert', goal: handFor(pegGoal), grasp: 1 };
      }
      // The slot's axis behind it: the held peg is brought onto it from `far` and slid along it to `pre`.
      // Both backed-off distances shrink where the arm cannot reach them (a slot at the edge of the workspace);
      // the blade's tip stays above the slot's walls (SLOT_CLEAR) until the push.
      const reachable = (back: number): boolean => this.inverse(handFor(composePose(slot, { x: 0, z: -back, a: 0 })), this.q) !== null;
      const pre = [o.preInsertBack, (o.preInsertBack + SLOT_CLEAR) / 2, SLOT_CLEAR].find(reachable) ?? o.preInsertBack;
      const far = [pre + o.carryBack, pre + o.carryBack / 2, pre + 0.01].find(reachable) ?? pre + o.carryBack;
      if (rel.z < -pre + 0.01 && rel.z > -far - 0.01 && Math.abs(rel.x) < 0.015 && Math.abs(rel.a) < 0.15) {
        const along = Math.min(-pre, rel.z + 0.03);
        return { phase: 'align-slot', goal: handFor(composePose(slot, { x: 0, z: along, a: 0 })), grasp: 1 };
      }
      if (peg.z < o.liftHeight && hand.z < o.liftHeight) {
        return { phase: 'lift', goal: handFor({ x: peg.x, z: peg.z + 0.08, a: peg.a }), grasp: 1 };
      }
      return { phase: 'carry', goal: handFor(composePose(slot, { x: 0, z: -far, a: 0 })), grasp: 1 };
    }
    if (inSlot > 0.5) return { phase: 'rest', goal: null, grasp: 0 };
    // The grip: the hand's pose is the peg's. Pregrasp: backed off against the blade.
    // A peg in the air between the fingers (dm_control's in-hand start): close, chasing it as it falls.
    const inHand = relativePose(peg, hand);
    if (peg.z > 0.06 && Math.abs(inHand.x) < 0.02 && Math.abs(inHand.z) < 0.02 && Math.abs(inHand.a) < 0.35) {
      const v = this.pegVelocity();
      return { phase: 'grasp', goal: { x: peg.x + o.catchLead * v[0], z: peg.z + o.catchLead * v[1], a: peg.a - o.catchLead * v[2] }, grasp: 1 };
    }
    // A peg lying on the arm (it slides slowly along a drifting arm, or balances on it): the arm is raised to drop it.
    if (peg.z > DRAG_OFF_FLOOR && this.pegSpeed() < DRAG_ON_ARM_SPEED && this.armTouches(this.task.arm.pegId)) return { phase: 'drag', goal: UPRIGHT, grasp: -1 };
    if (this.pegSpeed() > o.settleSpeed && peg.z > 0.05) return { phase: 'settle', goal: null, grasp: -1 };
    const plan = this.planGrip(peg);
    if (plan === null) return this.push(peg, hand) ?? this.drag(peg, hand);
    const grip = plan.pose;
    const rel = relativePose(grip, hand);
    // At the planned grip, or closing on the peg near it: close.
    const t = this.touch();
    const touching = Math.max(t[1], t[3]) > 0 || Math.max(t[2], t[4]) > 0;
    const sites = this.task.arm.site;
    const between = this.task.arm.siteDistance(sites.grasp, sites.pegGrasp) < CLOSE_SITES && this.task.arm.siteDistance(sites.pinch, sites.pegPinch) < CLOSE_SITES;
    if ((Math.abs(rel.x) < 0.005 && Math.abs(rel.z) < 0.006 && Math.abs(rel.a) < 0.1) || between || (touching && Math.hypot(inHand.x, inHand.z) < 0.02 && Math.abs(inHand.a) < 0.35)) {
      return { phase: 'grasp', goal: hand, grasp: 1 };
    }
    const open = this.fingerCommand(plan.opening);
    // Slide on along the peg's axis once lined up behind the grip.
    const axis: PlanarPose = { x: grip.x, z: grip.z, a: peg.a };
    const slide = relativePose(axis, hand);
    if (Math.abs(slide.x) < 0.005 && Math.abs(wrapAngle(hand.a - grip.a)) < 0.1 && slide.z < 0.01 && slide.z > -o.pregraspBack - 0.02) {
      const goal = composePose(axis, { x: 0, z: Math.min(0, slide.z + 0.012), a: wrapAngle(grip.a - peg.a) });
      // A finger dragging on the floor stalls the slide: the hand is aimed a little higher while it touches.
      if (this.armTouchesFloor()) goal.z += ALIGN_LIFT;
      return { phase: 'align', goal, grasp: this.fingerCommand(plan.opening - SLIDE_WIDER) };
    }
    const pre = composePose(axis, { x: 0, z: -o.pregraspBack, a: wrapAngle(grip.a - peg.a) });
    // Descend onto the pregrasp pose from the hover point above it, once over it and turned to it.
    // (Lower hover points where the slot leaves the arm no way to the first.)
    const obstacles = [this.slotObstacle()];
    const hover = [o.hoverHeight, o.hoverHeight / 2, 0].find((h) => this.inverseAll({ x: pre.x, z: pre.z + h, a: pre.a }, this.q, obstacles).length > 0) ?? o.hoverHeight;
    const over = Math.abs(hand.x - pre.x) < 0.02 && hand.z > pre.z - 0.01 && hand.z < pre.z + hover + 0.02 && Math.abs(wrapAngle(hand.a - pre.a)) < 0.2;
    if (over) return { phase: 'approach', goal: pre, grasp: open };
    return { phase: 'approach', goal: { x: pre.x, z: pre.z + hover, a: pre.a }, grasp: open };
  }

  /**
   * A push of a lying peg without a grip towards the middle of the floor, where the arm can reach round to its
   * handle (a peg whose pommel points to the near wall): the closed hand, pointing down, is lowered beside the
   * peg's outer edge and swept inwards. Null where the peg lies too far in already or against a wall.
   */
  private push(peg: PlanarPose, hand: PlanarPose): { phase: PegPhase; goal: PlanarPose; grasp: number } | null {
    if (peg.z > 0.06) return null;
    const side = peg.x >= 0 ? 1 : -1;
    let outer = -Infinity;
    for (const [v, u, r] of PEG_OUTLINE) outer = Math.max(outer, side * composePose(peg, { x: v, z: u, a: 0 }).x + r);
    const x0 = side * (outer + PUSH_GAP);
    // Conservatively clear of the wall (|x| = 0.4 + z on the peg's side); relaxing this changed nothing measured, the
    // arm does not reach further out.
    if (outer < PUSH_INNER || side * x0 + PUSH_HEIGHT - 0.025 > 0.4 - 0.012) return null;
    const down = Math.PI;
    const start: PlanarPose = { x: x0, z: PUSH_HEIGHT, a: down };
    const hover: PlanarPose = { x: x0, z: PUSH_HEIGHT + 0.08, a: down };
    if (this.inverse(start, this.q) === null || this.inverse(hover, this.q) === null) return null;
    const turned = Math.abs(wrapAngle(hand.a - down)) < 0.2;
    // Low beside the peg, or already against it: sweep in. Above the start: descend. Else: to the hover point.
    if (turned && side * (hand.x - x0) > -0.02 && side * (hand.x - x0) < 0.02 && hand.z < PUSH_HEIGHT + 0.015) {
      return { phase: 'push', goal: { x: hand.x - side * 0.03, z: PUSH_HEIGHT, a: down }, grasp: 1 };
    }
    if (turned && Math.abs(hand.x - x0) < 0.015 && hand.z < hover.z + 0.02) return { phase: 'push', goal: start, grasp: 1 };
    return { phase: 'push', goal: hover, grasp: 1 };
  }

  /**
   * A lying peg without a grip or a push is moved into another pose. Resting above the floor (on the arm or the
   * slot), the arm is raised straight up so that it falls off. On the floor, the closed hand, pointing down, presses
   * on the peg's raised end (pommel or tip, whichever is higher) until the peg tips over onto it. Where the end is out
   * of reach the arm holds still.
   */
  private drag(peg: PlanarPose, hand: PlanarPose): { phase: PegPhase; goal: PlanarPose | null; grasp: number } {
    const still = { phase: 'drag' as PegPhase, goal: null, grasp: -1 };
    // A hooked peg is pulled on while it moves.
    const pulling = this.hook(peg, hand, true);
    if (pulling !== null) return pulling;
    // A moving peg (tipping, sliding, nudged by the hand) is left to come to rest first.
    if (this.pegSpeed() > DRAG_REST[0] || Math.abs(this.pegVelocity()[2]) > DRAG_REST[1]) return still;
    if (peg.z > DRAG_OFF_FLOOR) return { phase: 'drag', goal: UPRIGHT, grasp: -1 };
    const ends = [PEG_OUTLINE[0], PEG_OUTLINE[3]].map(([v, u, r]) => ({ p: composePose(peg, { x: v, z: u, a: 0 }), r }));
    const top = ends[0].p.z - ends[0].r > ends[1].p.z - ends[1].r ? ends[0] : ends[1];
    if (top.p.z - top.r < PRESS_RAISED) return this.hook(peg, hand) ?? still;
    const down = Math.PI;
    const press: PlanarPose = { x: top.p.x, z: top.p.z + top.r + PRESS_TIPS - PRESS_DEPTH, a: down };
    const hover: PlanarPose = { x: top.p.x, z: press.z + 0.06, a: down };
    if (this.inverse(press, this.q) === null || this.inverse(hover, this.q) === null) return this.hook(peg, hand) ?? still;
    const turned = Math.abs(wrapAngle(hand.a - down)) < 0.2;
    if (turned && Math.abs(hand.x - press.x) < 0.015 && hand.z < hover.z + 0.02) return { phase: 'drag', goal: press, grasp: 1 };
    return { phase: 'drag', goal: hover, grasp: 1 };
  }

  /**
   * A hook on a lying peg out of grip reach: a fingertip of the closed hand is put just outside (towards the near
   * wall) of the guard's upper end, and the hand is pulled towards the middle, dragging the peg in (a peg leaning
   * on the wall is pulled off it). The hand pose is searched over HOOK_TILTS and the four fingertips for one the
   * arm reaches clear of everything (the peg within 1 mm), from above as well, whose next pull step catches the
   * guard. With `engagedOnly`, only a hand already at the hook (the peg moving with it) gets a goal. Null where
   * there is no hook or the peg is in the middle already.
   */
  private hook(peg: PlanarPose, hand: PlanarPose, engagedOnly = false): { phase: PegPhase; goal: PlanarPose; grasp: number } | null {
    if (peg.z > DRAG_OFF_FLOOR || Math.abs(peg.x) < HOOK_INNER) return null;
    const inward = peg.x > 0 ? -1 : 1;
    const ends = [composePose(peg, { x: 0.017, z: 0.043, a: 0 }), composePose(peg, { x: -0.017, z: 0.043, a: 0 })];
    const g = ends[0].z > ends[1].z ? ends[0] : ends[1];
    const tip = { x: g.x - inward * (0.005 + FINGERTIP_RADIUS + HOOK_GAP), z: g.z + HOOK_RISE };
    const engaged = (pose: PlanarPose): boolean =>
      inward * (hand.x - pose.x) > -0.006 && inward * (hand.x - pose.x) < 0.015 && Math.abs(hand.z - pose.z) < 0.008 && Math.abs(wrapAngle(hand.a - pose.a)) < 0.15;
    const pull = (pose: PlanarPose): { phase: PegPhase; goal: PlanarPose; grasp: number } => ({ phase: 'hook', goal: { x: pose.x + inward * HOOK_PULL, z: pose.z, a: pose.a }, grasp: 1 });
    // The last hook found, moved with the peg, is tried first (cheap while pulling).
    const cached = this.hookCache === null ? null : composePose(peg, this.hookCache);
    if (cached !== null && engaged(cached)) return pull(cached);
    if (engagedOnly) return null;
    for (const tilt of HOOK_TILTS) {
      const a = wrapAngle(Math.PI + tilt);
      for (const f of this.fingertips) {
        const pose = frameFor({ x: tip.x, z: tip.z, a }, { x: f[0], z: f[1], a: 0 });
        const q = this.inverse(pose, this.q);
        if (q === null || !this.clearAt(q, CLOSED[0], HOOK_PEG_DEPTH, CLOSED[1], true)) continue;
        const above = this.inverse({ x: pose.x, z: pose.z + 0.03, a }, q);
        if (above === null || !this.clearAt(above, CLOSED[0], HOOK_PEG_DEPTH, CLOSED[1], true)) continue;
        const on = this.inverse({ x: pose.x + inward * 0.015, z: pose.z, a }, q);
        if (on === null || this.guardDepth(on) < HOOK_CATCH) continue;
        this.hookCache = relativePose(peg, pose);
        if (engaged(pose)) return pull(pose);
        const hover: PlanarPose = { x: pose.x, z: pose.z + 0.05, a };
        const turned = Math.abs(wrapAngle(hand.a - a)) < 0.15;
        if (turned && Math.abs(hand.x - pose.x) < 0.01 && hand.z < hover.z + 0.02) return { phase: 'hook', goal: { x: pose.x, z: pose.z - HOOK_PRESS, a }, grasp: 1 };
        return { phase: 'hook', goal: hover, grasp: 1 };
      }
    }
    return null;
  }

  /** The deepest overlap (m) of the closed hand at joint angles q with the peg's guard, on the scratch copy. */
  private guardDepth(q: ArrayLike<number>): number {
    this.clearAt(q, CLOSED[0], Infinity, CLOSED[1], true);
    let depth = 0;
    forEachContact(this.scratch, (g1, g2, dist) => {
      if ((g1 === this.guardGeom && this.armBodies.has(this.geomBody[g2])) || (g2 === this.guardGeom && this.armBodies.has(this.geomBody[g1]))) depth = Math.max(depth, -dist);
    });
    return depth;
  }

  /** Grasp command that servoes the fingers' mean angle (the grasp tendon) to `opening` (rad). */
  fingerCommand(opening: number): number {
    const qpos: Float64Array = (this.task.physics.data as any).qpos;
    const adr = this.task.arm.armQposAdr;
    const mean = (qpos[adr[FINGER]] + qpos[adr[THUMB]]) / 2;
    return Math.max(-1, Math.min(1, 4 * (opening - mean)));
  }

  /**
   * A grip on the peg where it lies, planned on a scratch copy of the state: hand poses with the fingertips'
   * midpoint on the handle, the hand turned from the blade by GRIP_TILTS, backed along the blade by GRIP_ALONG,
   * fingers at GRIP_OPENINGS; the first whose grip pose and the path back along the blade (pregraspBack) put no part
   * of the arm into the floor, walls or slot by more than 1 mm, nor the hand into the peg by more than 3 mm (at the
   * grip) or 1 mm (on the way). Null when none exists (the peg must first be moved). Cached for a peg at rest.
   */
  planGrip(peg: PlanarPose): { pose: PlanarPose; opening: number } | null {
    // A plan follows a peg nudged by less than PLAN_KEEP (kept in the peg's frame), so that a touch on the way in
    // does not switch grips; further moves plan again.
    const c = this.planCache;
    if (c !== null && Math.hypot(c.peg.x - peg.x, c.peg.z - peg.z) < PLAN_KEEP[0] && Math.abs(wrapAngle(c.peg.a - peg.a)) < PLAN_KEEP[1]) {
      return c.local === null ? null : { pose: composePose(peg, c.local), opening: c.opening };
    }
    const plan = this.searchGrip(peg);
    this.planCache = { peg, local: plan === null ? null : relativePose(peg, plan.pose), opening: plan?.opening ?? 0 };
    return plan;
  }

  private searchGrip(peg: PlanarPose): { pose: PlanarPose; opening: number } | null {
    const down = wrapAngle(peg.a) >= 0 ? 1 : -1;
    const fp = [-Math.sin(peg.a), Math.cos(peg.a)];
    const check = (q: Float64Array, opening: number, pegDepth: number): boolean => this.clearAt(q, opening, pegDepth);
    const current = Float64Array.from(this.q);
    for (const tilt of GRIP_TILTS) {
      for (const sign of tilt === 0 ? [1] : [down, -down]) {
        const a = peg.a + sign * tilt;
        for (const lift of GRIP_LIFT) {
          for (const along of GRIP_ALONG) {
            const pose: PlanarPose = { x: peg.x - along * fp[0], z: peg.z - along * fp[1] + lift, a };
            if (handClearance(pose) < -0.015) continue;
            for (const q of spread(this.inverseAll(pose, current), 10)) {
              for (const opening of GRIP_OPENINGS) {
                if (!check(q, opening, GRIP_PEG_DEPTH)) continue;
                let pathOk = true;
                for (const back of [0.008, 0.016, 0.03, this.options.pregraspBack]) {
                  const qb = this.inverse({ x: pose.x - back * fp[0], z: pose.z - back * fp[1], a }, q);
                  if (qb === null || !check(qb, opening, GRIP_PATH_DEPTH)) { pathOk = false; break; }
                }
                if (pathOk) return { pose, opening };
              }
            }
          }
        }
      }
    }
    return null;
  }

  /**
   * Whether the arm at joint angles q, fingers at `opening` and fingertips at `tip` (rad), is clear on the scratch
   * copy of the state: no part of it into the floor, walls or slot by more than 1 mm, nor into the peg by more than
   * `pegDepth` (m). With `closed`, contacts of the arm with itself are ignored (the closed fingertips touch).
   */
  private clearAt(q: ArrayLike<number>, opening: number, pegDepth: number, tip = 0, closed = false): boolean {
    const mj = this.task.physics.mj as any;
    const model = this.task.physics.model as any;
    const scratch = this.scratch;
    const adr = this.task.arm.armQposAdr;
    const sq: Float64Array = scratch.qpos;
    sq.set((this.task.physics.data as any).qpos);
    for (let i = 0; i < 4; i++) sq[adr[i]] = q[i];
    sq[adr[FINGER]] = sq[adr[THUMB]] = opening;
    sq[adr[FINGER + 1]] = sq[adr[THUMB + 1]] = tip;
    mj.mj_kinematics(model, scratch);
    mj.mj_collision(model, scratch);
    let ok = true;
    forEachContact(scratch, (g1, g2, dist) => {
      const b1 = this.geomBody[g1], b2 = this.geomBody[g2];
      if (!this.armBodies.has(b1) && !this.armBodies.has(b2)) return;
      if (closed && this.armBodies.has(b1) && this.armBodies.has(b2)) return;
      const withPeg = b1 === this.task.arm.pegId || b2 === this.task.arm.pegId;
      if (-dist > (withPeg ? pegDepth : 0.001)) { ok = false; return true; }
    });
    return ok;
  }

  /** The action for the current state (length 5, in [-1, 1]). */
  act(out: Float64Array = new Float64Array(5)): Float64Array {
    const o = this.options;
    this.readArm();
    const { phase, goal, grasp } = this.decide();
    const d = this.task.physics.data as any;
    const bias: Float64Array = d.qfrc_bias;
    const dof = this.task.arm.armDofAdr;
    const tau = new Float64Array(4);
    let ik = true;
    let qTarget: Float64Array | null = null;
    if (goal === null) {
      for (let i = 0; i < 4; i++) tau[i] = bias[dof[i]] - o.kd[i] * this.qd[i];
    } else {
      const hand = this.handPose();
      // A set-point at most maxStep from the hand, on the way to the goal.
      const dx = goal.x - hand.x, dz = goal.z - hand.z, dist = Math.hypot(dx, dz);
      const f = dist > o.maxStep ? o.maxStep / dist : 1;
      const set: PlanarPose = { x: hand.x + f * dx, z: hand.z + f * dz, a: hand.a + wrapAngle(goal.a - hand.a) };
      const obstacles = phase === 'insert' || phase === 'hold' || phase === 'align-slot' ? [] : [this.slotObstacle()];
      // While carrying, the held peg's blade is kept off the upper and middle links.
      this.heldGrip = phase === 'carry' ? relativePose(hand, this.pegPose()) : null;
      // Near the peg: straight Cartesian steps (the set-point); elsewhere straight in joint space to the goal.
      const s = this.task.arm.site;
      const near = phase === 'lift' || (this.task.arm.siteDistance(s.grasp, s.peg) < NEAR_PEG && phase !== 'carry');
      const step = phase === 'lift' ? o.maxStep : o.nearStep;
      const nearSet: PlanarPose = { x: hand.x + Math.min(1, step / Math.max(dist, 1e-9)) * dx, z: hand.z + Math.min(1, step / Math.max(dist, 1e-9)) * dz, a: hand.a + Math.max(-0.1, Math.min(0.1, wrapAngle(goal.a - hand.a))) };
      // The last step's targets, preferred while the phase is the same (stickiness).
      const prefer = o.stickiness > 0 && this.last.phase === phase ? this.lastGoalQ : null;
      let qGoal = near ? this.differentialStep(nearSet, hand) : this.inverse(goal, this.q, obstacles, prefer);
      // Where no goal pose keeps the carried blade off the links, it is ignored; so it is on the way there (checked
      // there too, it sent carries round via poses and lost more episodes than it saved).
      this.heldGrip = null;
      if (qGoal === null) qGoal = this.inverse(goal, this.q, obstacles) ?? this.inverse(goal, this.q) ?? this.inverse(set, this.q);
      // A straight joint-space path into an obstacle: via a straightened arm from which both legs are free.
      this.lastGoalQ = qGoal === null ? null : Float64Array.from(qGoal);
      let viaUsed: Float64Array | null = null;
      if (qGoal !== null && obstacles.length > 0 && this.pathCollides(this.q, qGoal, obstacles)) {
        // A via pose chosen before is kept until reached (its free path from here checked again).
        const kept = o.stickiness > 0 && this.lastVia !== null && this.last.phase === phase && maxAbsDiff(this.lastVia, this.q) > VIA_REACHED && !this.pathCollides(this.q, this.lastVia, obstacles)
          ? this.lastVia : null;
        const via = kept ?? this.viaPose(qGoal, obstacles);
        if (via !== null) {
          qGoal.set(via);
          viaUsed = Float64Array.from(via);
        }
      }
      this.lastVia = viaUsed;
      qTarget = qGoal;
      if (qGoal !== null) {
        // The error vector scaled as a whole to the cap, so that the joints move along the planned straight
        // joint-space path (capped one by one, a long move swings the arm off it, into the floor).
        const cap = phase === 'carry' ? o.maxJointError / 2 : o.maxJointError;
        let big = 0;
        for (let i = 0; i < 4; i++) big = Math.max(big, Math.abs(qGoal[i] - this.q[i]));
        const scale = big > cap ? cap / big : 1;
        for (let i = 0; i < 4; i++) tau[i] = o.kp[i] * scale * (qGoal[i] - this.q[i]) - o.kd[i] * this.qd[i] + bias[dof[i]];
      } else {
        ik = false;
        this.cartesianFallback(set, hand, tau, bias);
      }
    }
    for (let i = 0; i < 4; i++) out[i] = Math.max(-1, Math.min(1, tau[i] / GEARS[i]));
    out[GRASP] = grasp;
    this.last = { phase, goal, ik, target: qTarget };
    return out;
  }

  /**
   * Joint targets one resolved-rate step towards `set`: q + J^T (J J^T + lambda^2 I)^-1 (set - hand), J the grasp
   * site's planar Jacobian (x, z and the hand's angle over the four arm joints) from `mj_jacSite`. Continuous where
   * the analytic solutions switch branches.
   */
  differentialStep(set: PlanarPose, hand: PlanarPose): Float64Array {
    const mj = this.task.physics.mj as any;
    const { model, data } = this.task.physics;
    mj.mj_jacSite(model, data, this.jacp, this.jacr, this.task.arm.site.grasp);
    const jp: Float64Array = this.jacp.GetView(), jr: Float64Array = this.jacr.GetView();
    const nv = this.nv, dof = this.task.arm.armDofAdr;
    // Rows x, z, a (the hinges turn about -y, so the hand's angle rate is minus the y angular velocity).
    const J = [0, 1, 2].map((r) => Array.from(dof.subarray(0, 4), (c) => (r === 0 ? jp[c] : r === 1 ? jp[2 * nv + c] : -jr[nv + c])));
    const e = [set.x - hand.x, set.z - hand.z, 0.05 * wrapAngle(set.a - hand.a)];
    // The angle row weighted 0.05 m/rad, so that a radian counts as 5 cm.
    for (let c = 0; c < 4; c++) J[2][c] *= 0.05;
    const lambda2 = 1e-4;
    const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => J[i].reduce((acc, v, c) => acc + v * J[j][c], 0) + (i === j ? lambda2 : 0)));
    const y = solve3(A, e);
    const q = Float64Array.from(this.q);
    for (let c = 0; c < 4; c++) q[c] += J[0][c] * y[0] + J[1][c] * y[1] + J[2][c] * y[2];
    return q;
  }

  /** Cartesian PD at the grasp site through its Jacobian: tau = J^T K (set - hand) + bias. */
  private cartesianFallback(set: PlanarPose, hand: PlanarPose, tau: Float64Array, bias: Float64Array): void {
    const mj = this.task.physics.mj as any;
    const { model, data } = this.task.physics;
    mj.mj_jacSite(model, data, this.jacp, this.jacr, this.task.arm.site.grasp);
    const jp: Float64Array = this.jacp.GetView(), jr: Float64Array = this.jacr.GetView();
    const nv = this.nv;
    const dof = this.task.arm.armDofAdr;
    const fx = 40 * (set.x - hand.x), fz = 40 * (set.z - hand.z), my = -2 * wrapAngle(set.a - hand.a);
    for (let i = 0; i < 4; i++) {
      const c = dof[i];
      tau[i] = jp[c] * fx + jp[2 * nv + c] * fz + jr[nv + c] * my - this.options.kd[i] * this.qd[i] + bias[c];
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation.
// ---------------------------------------------------------------------------------------------------------

/** The true reward at or above which the peg counts as inserted (its sites within ~1 cm of the slot's). */
export const INSERTED_REWARD = 0.9;

/** One evaluated episode. */
export interface PegEpisode {
  seed: number;
  initType: string;
  return: number;
  /** Whether the peg was inserted (true reward >= INSERTED_REWARD) at the episode's last step. */
  success: boolean;
  /** Control steps spent in each phase. */
  phases: Partial<Record<PegPhase, number>>;
}

/** Run one episode of `task` (already reset) under the controller for its full length. */
export function runPegEpisode(task: ManipulatorInsertPeg, controller: PegController, seed: number): PegEpisode {
  const action = new Float64Array(5);
  const phases: Partial<Record<PegPhase, number>> = {};
  let ret = 0, last = 0;
  for (let t = 0; t < task.spec.episodeLength; t++) {
    controller.act(action);
    const p = controller.last.phase;
    phases[p] = (phases[p] ?? 0) + 1;
    last = task.step(action).reward;
    ret += last;
  }
  return { seed, initType: task.initType, return: ret, success: last >= INSERTED_REWARD, phases };
}

/** Mean and (population) standard deviation. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}

/** The summary written by `npm run peg-controller`. */
export interface PegEvaluation {
  task: string;
  controller: string;
  episodes: number;
  seeds: number[];
  returns: number[];
  success: boolean[];
  initTypes: string[];
  mean: number;
  std: number;
  successFraction: number;
  byStartType: Record<string, { episodes: number; mean: number; std: number; successFraction: number }>;
  phases: Partial<Record<PegPhase, number>>[];
  options: PegControllerOptions;
}

/** Summarise evaluated episodes. */
export function summarisePegEpisodes(task: string, episodes: readonly PegEpisode[], options: PegControllerOptions): PegEvaluation {
  const returns = episodes.map((e) => e.return);
  const { mean, std } = meanStd(returns);
  const byStartType: PegEvaluation['byStartType'] = {};
  for (const type of [...new Set(episodes.map((e) => e.initType))].sort()) {
    const of = episodes.filter((e) => e.initType === type);
    const s = meanStd(of.map((e) => e.return));
    byStartType[type] = { episodes: of.length, mean: s.mean, std: s.std, successFraction: of.filter((e) => e.success).length / of.length };
  }
  return {
    task,
    controller: 'scripted, privileged state (issue 22 part 1): planar IK, joint PD + qfrc_bias, mj_jacSite resolved-rate steps near the peg',
    episodes: episodes.length,
    seeds: episodes.map((e) => e.seed),
    returns,
    success: episodes.map((e) => e.success),
    initTypes: episodes.map((e) => e.initType),
    mean,
    std,
    successFraction: episodes.filter((e) => e.success).length / episodes.length,
    byStartType,
    phases: episodes.map((e) => e.phases),
    options,
  };
}
