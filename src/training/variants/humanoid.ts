/**
 * Training variant of dm_control's humanoid Stand / Walk / Run (src/envs/humanoid.ts): start-pose curricula
 * (upright, mixed, blends of upright and the random pose), an assist force that pulls a getting-up humanoid up,
 * shaping (head-height bonus, potential-based head rise) and a second chance after a fall (`regetUpSteps`).
 * None of it is dm_control's task; experts trained with it are evaluated on the faithful task.
 *
 * It registers beside each humanoid task (`registerVariant`): a config that sets any option below builds
 * `HumanoidTaskTraining` under the faithful task's name, so stored configs keep their keys.
 */
import type { Mujoco } from '../../physics/mujoco';
import type { Rng } from '../../util/rng';
import {
  DROP_STEPS, HUMANOID_STAND_HEIGHT, HUMANOID_TASKS, HumanoidPhysics, HumanoidTask, type HumanoidOptions,
} from '../../envs/humanoid';
import { registerVariant } from '../../envs/registry';
import type { StepResult } from '../../envs/types';

/** Spherical interpolation between unit quaternions (w, x, y, z), along the shorter arc. */
export function slerp(q0: ArrayLike<number>, q1: ArrayLike<number>, t: number): number[] {
  let dot = q0[0] * q1[0] + q0[1] * q1[1] + q0[2] * q1[2] + q0[3] * q1[3];
  const sign = dot < 0 ? -1 : 1;
  dot = Math.min(1, Math.abs(dot));
  const theta = Math.acos(dot);
  let a = 1 - t, b = t;
  if (theta > 1e-6) {
    a = Math.sin((1 - t) * theta) / Math.sin(theta);
    b = Math.sin(t * theta) / Math.sin(theta);
  }
  const q = [0, 1, 2, 3].map((k) => a * q0[k] + sign * b * q1[k]);
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  return q.map((v) => v / n);
}


/**
 * A training-curriculum start between standing and dm_control's random pose: draws the random pose as
 * `HumanoidPhysics.initializeRandomPose` does, then takes the fraction `alpha` of the way to it from the upright keyframe
 * (hinges linearly from 0, the root orientation by slerp from upright facing the random pose's heading), and
 * sets the humanoid down with its lowest point 1 cm above the floor, at rest. alpha = 0 is upright, 1 is the
 * random pose lying on the floor. Returns the random-pose draws.
 */
export function initializeBlendedPose(hp: HumanoidPhysics, rng: Rng, alpha: number): number {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  const tries = hp.initializeRandomPose(rng);
  const { model, data } = hp.physics;
  const qpos: Float64Array = (data as any).qpos;
  for (let i = 7; i < hp.nq; i++) qpos[i] *= alpha;
  // Heading of the random pose's torso x-axis (xmat column 0), and the upright quaternion with that yaw.
  const xmat: Float64Array = (data as any).xmat;
  const yaw = Math.atan2(xmat[9 * hp.torsoId + 3], xmat[9 * hp.torsoId]);
  const q1 = [qpos[3], qpos[4], qpos[5], qpos[6]];
  const q0 = [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)];
  const q = slerp(q0, q1, alpha);
  for (let k = 0; k < 4; k++) qpos[3 + k] = q[k];
  qpos[0] = 0; qpos[1] = 0; qpos[2] = hp.standingTorsoHeight;
  hp.mj.mj_forward(model, data);
  qpos[2] += 0.01 - hp.lowestHeight();
  hp.mj.mj_forward(model, data);
  return tries;
}

export interface HumanoidTrainingOptions extends HumanoidOptions {
  /**
   * 'random': dm_control's collision-free random pose dropped from 1.5 m (default); 'upright': the standing
   * keyframe; 'mixed' (a training curriculum): random with probability `randomPoseFraction`, else upright.
   */
  initialPose?: 'random' | 'upright' | 'mixed';
  /** With initialPose 'mixed', the share of episodes that start from the random pose (default 0.5). */
  randomPoseFraction?: number;
  /**
   * With initialPose 'mixed', the share of episodes that start from a blend of the upright keyframe and the random
   * pose, set down at rest on the floor, a uniform fraction of the way to the random pose (default 0; see
   * `HumanoidPhysics.initializeBlendedPose`). A reverse curriculum for getting up: some blends need only balance,
   * some a short rise, some the whole get-up. The rest of the 'mixed' episodes start upright.
   */
  blendPoseFraction?: number;
  /**
   * Training-only (default 0): control steps a humanoid that had risen and falls (head below `failHeight`) is
   * given to get its head back above it before `failed()` reports the fall; 0 fails it at once, as before. The
   * true task lets a fallen runner try again for the rest of its 25 s; with early termination on every fall, the
   * states after one were never trained.
   */
  regetUpSteps?: number;
  /**
   * Training-only shaping (default 0): adds `headHeightBonus * min(1, head height / 1.4 m)` to every reward, so
   * that a humanoid lying on the floor (the random pose) is paid for each stage of getting up, where dm_control's
   * standing factor pays nothing below ~1 m. Upright it is a constant, like an alive bonus.
   */
  headHeightBonus?: number;
  /**
   * Training-only potential-based shaping (default 0; Ng, Harada and Russell 1999): adds
   * `headRiseShaping * (phi(t) - phi(t - 1))` with phi = min(1, head height / 1.4 m), from control step
   * DROP_STEPS on (the landing of a dropped pose is no one's doing). Every centimetre the head rises pays at once
   * and every centimetre it drops costs as much, so a pose held still earns nothing from it. `headHeightBonus`
   * pays a kneeling humanoid (head ~0.7 m) half of standing's bonus on every step, and the session-6 probes found
   * most unrisen starts sitting at ~0.7 m until the get-up time ran out.
   */
  headRiseShaping?: number;
  /**
   * Training-only "hand of God" curriculum (default 0; Yu, Turk and Liu 2018 decay a virtual assistant force in
   * the same way): an episode that starts below `failHeight` (a random or a blended pose) draws an assist share
   * c ~ U(0, assistForce), and an upward force of c x the humanoid's weight pulls at the torso's centre of mass
   * until the head, once below `failHeight` or after ASSIST_LANDED_STEPS, reaches ASSIST_RELEASE_HEIGHT, or
   * `getUpSteps` control steps have passed. (A dropped random pose passes 1.2 m on its way down, the slower the
   * larger c.) The policy does not observe c; episodes with c near 0 are the unassisted task. Upright starts are
   * never assisted.
   */
  assistForce?: number;
}

/** Head height (m) at which `assistForce` lets go: a crouch, between `failHeight` (0.9) and standing (~1.47). */
export const ASSIST_RELEASE_HEIGHT = 1.2;

/**
 * Control steps (2 s) after which an assisted drop has landed even at the largest assist (c = 0.8 leaves 0.2 g:
 * ~1.4 s from a 1.9 m head): a humanoid that landed on its feet is then let go at ASSIST_RELEASE_HEIGHT too.
 */
const ASSIST_LANDED_STEPS = 80;

/** Gravity (m/s^2) of the humanoid model, for `assistForce`'s share of its weight. */
const GRAVITY = 9.81;

/** The training variant of the humanoid tasks: the faithful task with the curricula and shaping above. */
export class HumanoidTaskTraining extends HumanoidTask {
  readonly initialPose: 'random' | 'upright' | 'mixed';
  readonly randomPoseFraction: number;
  readonly blendPoseFraction: number;
  readonly regetUpSteps: number;
  readonly headHeightBonus: number;
  readonly headRiseShaping: number;
  readonly assistForce: number;
  /** `headRiseShaping`'s potential after the last control step. */
  private headPotential = 0;
  /** The control step at which the head of a risen humanoid last went below `failHeight` (-1 while above). */
  private downSince = -1;
  /** This episode's assist share of the body weight (0 when not assisted), and whether it has let go. */
  private assist = 0;
  private assistReleased = true;
  /** Whether the head has been below `failHeight` this episode (a dropped pose passes 1.2 m on its way down). */
  private headWasDown = false;
  /** The force (N) now in xfrc_applied, written only when it changes; and the humanoid's weight (N). */
  private appliedAssist = 0;
  private readonly weight: number;

  constructor(mj: Mujoco, options: HumanoidTrainingOptions = {}, name = 'humanoid-run', tags: string[] = ['humanoid', 'locomotion']) {
    const initialPose = options.initialPose ?? 'random';
    if (initialPose !== 'random' && initialPose !== 'upright' && initialPose !== 'mixed') {
      throw new RangeError(`initialPose must be 'random', 'upright' or 'mixed', got ${String(initialPose)}`);
    }
    const fraction = options.randomPoseFraction ?? 0.5;
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`randomPoseFraction must be in [0, 1], got ${fraction}`);
    const blendFraction = options.blendPoseFraction ?? 0;
    if (!(blendFraction >= 0 && fraction + blendFraction <= 1)) {
      throw new RangeError(`blendPoseFraction must be >= 0 with randomPoseFraction + blendPoseFraction <= 1, got ${blendFraction} (randomPoseFraction ${fraction})`);
    }
    const regetUpSteps = options.regetUpSteps ?? 0;
    if (!(Number.isInteger(regetUpSteps) && regetUpSteps >= 0)) throw new RangeError(`regetUpSteps must be an integer >= 0, got ${regetUpSteps}`);
    const headHeightBonus = options.headHeightBonus ?? 0;
    if (!(Number.isFinite(headHeightBonus) && headHeightBonus >= 0)) throw new RangeError(`headHeightBonus must be a finite number >= 0, got ${options.headHeightBonus}`);
    const headRiseShaping = options.headRiseShaping ?? 0;
    if (!(Number.isFinite(headRiseShaping) && headRiseShaping >= 0)) throw new RangeError(`headRiseShaping must be a finite number >= 0, got ${options.headRiseShaping}`);
    const assistForce = options.assistForce ?? 0;
    if (!(assistForce >= 0 && assistForce <= 2)) throw new RangeError(`assistForce must be in [0, 2] (a share of the body weight), got ${options.assistForce}`);
    super(mj, options, name, tags);
    this.initialPose = initialPose;
    this.randomPoseFraction = fraction;
    this.blendPoseFraction = blendFraction;
    this.regetUpSteps = regetUpSteps;
    this.headHeightBonus = headHeightBonus;
    this.headRiseShaping = headRiseShaping;
    this.assistForce = assistForce;
    this.weight = (this.humanoid.physics.model as any).body_subtreemass[this.humanoid.torsoId] * GRAVITY;
  }

  /**
   * dm_control's initialize_episode (or the upright keyframe with `initialPose: 'upright'`, or with 'mixed' the
   * random pose, a blend or the keyframe, in the shares `randomPoseFraction`, `blendPoseFraction` and the rest).
   */
  override reset(rng: Rng): void {
    const u = this.initialPose === 'mixed' ? rng.uniform() : 0;
    const random = this.initialPose === 'random' || (this.initialPose === 'mixed' && u < this.randomPoseFraction);
    const blend = !random && this.initialPose === 'mixed' && u < this.randomPoseFraction + this.blendPoseFraction;
    if (random) this.humanoid.initializeRandomPose(rng);
    else if (blend) initializeBlendedPose(this.humanoid, rng, rng.uniform());
    else this.humanoid.setUprightPose();
    this.steps = 0;
    // A dropped random pose passes above failHeight while falling; a blend starts at rest on the floor.
    this.risen = blend ? this.humanoid.headHeight() >= this.failHeight : !random;
    this.downSince = -1;
    // Drawn only when assisting, so that runs without the assist keep their random streams.
    this.assist = this.assistForce > 0 && !this.risen ? rng.uniform() * this.assistForce : 0;
    this.assistReleased = this.assist === 0;
    this.headWasDown = this.humanoid.headHeight() < this.failHeight;
    this.appliedAssist = 0; // the pose initialisers reset the data, xfrc_applied included
    this.headPotential = this.headRisePotential();
  }

  /** `headRiseShaping`'s potential: min(1, head height / 1.4 m). */
  headRisePotential(): number {
    return Math.min(1, this.humanoid.headHeight() / HUMANOID_STAND_HEIGHT);
  }

  /** The upward assist force (N) on the torso this control step: 0 once released or after `getUpSteps`. */
  assistNewtons(): number {
    if (this.assistReleased || this.steps >= this.getUpSteps) return 0;
    return this.assist * this.weight;
  }

  override step(action: ArrayLike<number>): StepResult {
    const force = this.assistNewtons();
    if (force !== this.appliedAssist) {
      (this.humanoid.physics.data as any).xfrc_applied[6 * this.humanoid.torsoId + 2] = force;
      this.appliedAssist = force;
    }
    // The faithful step (and its update of `risen`, which nothing below depends on but `downSince`).
    const result = super.step(action);
    if (this.headRiseShaping > 0) {
      const phi = this.headRisePotential();
      if (this.steps > DROP_STEPS) result.reward += this.headRiseShaping * (phi - this.headPotential);
      this.headPotential = phi;
    }
    if (this.risen) {
      if (this.humanoid.headHeight() >= this.failHeight) this.downSince = -1;
      else if (this.downSince < 0) this.downSince = this.steps;
    }
    if (!this.assistReleased) {
      const head = this.humanoid.headHeight();
      if (head < this.failHeight) this.headWasDown = true;
      else if ((this.headWasDown || this.steps >= ASSIST_LANDED_STEPS) && head >= ASSIST_RELEASE_HEIGHT) this.assistReleased = true;
    }
    return result;
  }

  protected override taskState(): number[] {
    return [
      ...super.taskState(),
      ...(this.assistForce > 0 ? [this.assist, this.assistReleased ? 1 : 0, this.headWasDown ? 1 : 0] : []),
      ...(this.headRiseShaping > 0 ? [this.headPotential] : []),
      ...(this.regetUpSteps > 0 ? [this.downSince] : []),
    ];
  }

  /** The faithful reward plus `headHeightBonus * min(1, head height / 1.4 m)`. */
  override reward(): number {
    const r = super.reward();
    return this.headHeightBonus > 0 ? r + this.headHeightBonus * Math.min(1, this.humanoid.headHeight() / HUMANOID_STAND_HEIGHT) : r;
  }

  /** The faithful fall signal, except that with `regetUpSteps` a risen humanoid whose head is down is failed only once it has stayed down that long. */
  override failed(): boolean {
    if (this.humanoid.headHeight() >= this.failHeight) return false;
    if (!this.risen) return this.steps >= this.getUpSteps;
    const since = this.downSince < 0 ? this.steps : this.downSince;
    return this.steps - since >= this.regetUpSteps;
  }
}

for (const { name, moveSpeed, tags } of HUMANOID_TASKS) {
  registerVariant({
    task: name,
    name: `${name}/training`,
    shaped: true,
    description: `${name} with training-only start poses (upright, mixed, blends), an assist force, head-height shaping and re-get-up time`,
    options: { initialPose: "'random' | 'upright' | 'mixed'", randomPoseFraction: 'number', blendPoseFraction: 'number', regetUpSteps: 'integer', headHeightBonus: 'number', headRiseShaping: 'number', assistForce: 'number' },
    create: (mj, options) => new HumanoidTaskTraining(mj, { ...options, moveSpeed }, name, tags),
    module: __filename,
  });
}
