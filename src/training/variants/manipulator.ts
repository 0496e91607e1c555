/**
 * Training variant of dm_control's Insert Peg (src/envs/manipulator.ts): start-state curricula (more in-hand
 * starts, the hand closed first, the slot blended onto the held peg, the peg laid by or between the fingers, the
 * hand placed around a settled floor peg by inverse kinematics), shaping terms ('carry', 'staged' and its stages)
 * and the grip bonus. None of it is dm_control's task; experts trained with it are evaluated on the faithful task.
 *
 * The variant registers beside `manipulator-insert-peg` (`registerVariant`): a config that sets any option below
 * builds `ManipulatorInsertPegTraining`, under the faithful task's name, so stored configs keep their keys. It
 * overrides the faithful task's start hooks and its reward; with none of its options set it is the faithful task.
 */
import { forEachContact, nameToId, type MjData, type Mujoco } from '../../physics/mujoco';
import type { Rng } from '../../util/rng';
import {
  MANIPULATOR_ARM_JOINTS, MANIPULATOR_TAGS, ManipulatorInsertPeg, ManipulatorPhysics, P_IN_HAND, P_IN_TARGET, SLOT_ANGLE, SLOT_X,
  SLOT_Z, drawFloorPeg, drawSlotPose, pegRewardTerms, wrapAngle, type ManipulatorOptions, type PegInitType, type PegStartDraw,
} from '../../envs/manipulator';
import { registerVariant } from '../../envs/registry';

export interface PegTrainingOptions extends ManipulatorOptions {
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

/** Margin (m) of the widened tolerances of `shapedReward`: about a third of the arm's reach. */
export const SHAPING_MARGIN = 0.3;

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

/** What a search for the in-hand grip around a settled floor peg found (`floorGripCensus`). */
export type FloorGripOutcome = 'grip' | 'no-grip' | 'unsettled';

/** The training variant of `manipulator-insert-peg`: the faithful task with the curricula and shaping above. */
export class ManipulatorInsertPegTraining extends ManipulatorInsertPeg {
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

  constructor(mj: Mujoco, options: PegTrainingOptions = {}, name = 'manipulator-insert-peg', tags: string[] = MANIPULATOR_TAGS) {
    super(mj, options, name, tags);
    const shaped = options.shapedReward ?? false;
    if (typeof shaped !== 'boolean' && shaped !== 'carry' && shaped !== 'staged') {
      throw new RangeError(`shapedReward must be true, false, 'carry' or 'staged', got ${String(shaped)}`);
    }
    const physics = this.physics;
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
  }

  /** The start type for `u` with the shares `pInHand` and `pInTarget`; clears the per-start flags. */
  protected override startType(u: number): PegInitType {
    this.targetBlend = -1;
    this.nearPeg = false;
    this.pregrasp = false;
    return u < this.pInHand ? 'in_hand' : u < this.pInHand + this.pInTarget ? 'in_target' : 'uniform';
  }

  /** `inHandTargetBlend`: in its share of in-hand starts, place the slot along the held peg (see the option). */
  protected override inHandStart(start: PegStartDraw): void {
    const { rng, maxDraws } = start;
    const [targetX, targetZ, targetAngle] = start.slot;
    // Drawn only when enabled, so that runs without it keep their random streams.
    if (this.inHandTargetBlend > 0 && rng.uniform() < this.inHandTargetBlend) {
      // Only hands that hold the peg at a pose the slot can take (about 1 in 6 arm draws; the arm alone is
      // redrawn, so the shares of the start types stay as set): from the others no blend starts near the slot.
      const inSlotRange = (): boolean => Math.abs(start.peg[0]) <= SLOT_X && start.peg[1] >= SLOT_Z[0] && start.peg[1] <= SLOT_Z[1] && Math.abs(wrapAngle(start.peg[2])) <= SLOT_ANGLE;
      for (let armDraws = 1; !inSlotRange(); armDraws++) {
        if (armDraws > maxDraws) throw new Error(`no arm pose holding the peg within the slot range in ${maxDraws} draws`);
        start.drawArm();
        start.holdPeg();
      }
      const [objX, objZ, objAngle] = start.peg;
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
  }

  /** `nearPegStart` (and `pregraspShare` among those): in its share of floor starts, lay the peg by the low hand. */
  protected override floorStart(start: PegStartDraw): boolean {
    const { rng, maxDraws } = start;
    if (!(this.nearPegStart > 0 && rng.uniform() < this.nearPegStart)) return false;
    const { model, data } = this.physics;
    const mj = this.mj;
    const m = model as any;
    const d = data as any;
    const armJointIds = this.arm.armJointIds;
    const wristIndex = MANIPULATOR_ARM_JOINTS.indexOf('arm_wrist');
    const sx: Float64Array = d.site_xpos;
    const g = this.arm.site.grasp;
    const heldPegAngle = (): number => this.heldPegAngle();
    const [pegX, pegZ, pegY] = this.arm.pegQposAdr;
    const qpos: Float64Array = d.qpos;
    const range: Float64Array = m.jnt_range;
    const drawArm = start.drawArm;
    let objX = 0, objZ = 0, objAngle = 0;
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
    start.peg = [objX, objZ, objAngle];
    return true;
  }

  /** A slot blended onto the held peg (alpha near 0) touches it at rounding-error depths, as an inserted peg does. */
  protected override admitsContacts(): boolean {
    return this.targetBlend >= 0 && deepestPenetration(this.physics.data) < PEG_SLOT_TOUCH;
  }

  /** `floorGraspStart` and `graspInHand`, once the start is drawn. */
  protected override afterStart(rng: Rng): void {
    this.floorGrasp = false;
    this.floorGraspOffset = 0;
    // Drawn only when enabled (streams of runs without it unchanged).
    if (this.floorGraspStart > 0 && this.initType === 'uniform' && !this.nearPeg && rng.uniform() < this.floorGraspStart) {
      if (this.placeHandAroundFloorPeg(rng) !== 'grip') throw new Error(`no settled floor peg admitted the in-hand grip in ${FLOOR_GRASP_ATTEMPTS} draws`);
    }
    // A share below 1 is drawn only for in-hand starts (streams of runs with true or false unchanged).
    this.handClosedAtStart = this.initType === 'in_hand' && this.graspInHand > 0 && (this.graspInHand >= 1 || rng.uniform() < this.graspInHand);
    if (this.handClosedAtStart) this.closeHandOnPeg();
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

  /** The faithful reward, shaped by `shapedReward`, plus `gripBonus`'s term. */
  override reward(): number {
    return this.shapedTaskReward() + (this.gripBonus > 0 ? this.gripBonus * gripTerm(this.arm, (this.physics.data as any).ctrl[GRASP_ACTUATOR], this.gripMargin) : 0);
  }

  private shapedTaskReward(): number {
    const r = pegRewardTerms(this.arm).reward;
    if (this.shapedReward === false) return r;
    if (this.shapedReward === 'staged') return r + stagedShaping(this.arm, this.stagedWeights).total;
    return (r + (this.shapedReward === 'carry' ? carryShaping(this.arm) : pegRewardTerms(this.arm, SHAPING_MARGIN).reward)) / 2;
  }
}

registerVariant({
  task: 'manipulator-insert-peg',
  name: 'manipulator-insert-peg/training',
  shaped: true,
  description: 'Insert Peg with training-only start curricula (in-hand, slot blends, near-peg, pregrasp, floor grasp), shaping and a grip bonus',
  options: { shapedReward: "boolean | 'carry' | 'staged'", pInHand: 'number', pInTarget: 'number', graspInHand: 'boolean | number', gripBonus: 'number', gripMargin: 'number', inHandTargetBlend: 'number', inHandTargetAlpha: '[number, number]', reachShaping: '{ weight: number, scale: number }', insertShaping: '{ weight: number, scale: number }', fineReachShaping: '{ weight: number, scale: number }', alignShaping: '{ weight: number, scale: number }', nearPegStart: 'number', pregraspShare: 'number', floorGraspStart: 'number', floorGraspClosed: 'number', floorGraspBackoff: 'number' },
  create: (mj, options) => new ManipulatorInsertPegTraining(mj, options),
  module: __filename,
});
