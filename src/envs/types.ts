/**
 * The task contract every domain implements (DESIGN.md "the few nouns").
 * A task has three verbs, as in dm_control: initialise an episode (`reset`), `observe`, and `reward`,
 * plus `step`, which applies an action for one control timestep.
 */
import type { Rng } from '../util/rng';

/** `state`: state-derived vector (may be perturbed by APC). `image`: H x W x C camera (never perturbed). */
export type ObservationKind = 'state' | 'image';

/** One named observation group of a task: its shape, kind and whether it is privileged. */
export interface ObservationGroupSpec {
  name: string;
  /** [n] for vectors, [H, W, C] for images. */
  shape: number[];
  kind: ObservationKind;
  /** True for information an expert may see but a deployable student may not (target pose, wall features). */
  privileged: boolean;
}

/** A record of named Float32Arrays (flattened, row-major for images). */
export type ObservationGroups = Record<string, Float32Array>;

/** What a task is: name, tags, action size, observation groups, timestep, episode length and named views. */
export interface TaskSpec {
  name: string;
  tags: string[];
  actionDim: number;
  /** Actions are in [-1, 1] on every dimension. */
  observationGroups: ObservationGroupSpec[];
  /** Seconds per control step. */
  controlTimestep: number;
  /** Control steps per episode (dm_control time limit / control timestep). */
  episodeLength: number;
  /** Named views: lists of group names. Every task defines at least `default` (everything non-image). */
  views: Record<string, string[]>;
  /**
   * A task-specific score of a whole episode besides the return (e.g. the walls corridor's forward progress in
   * metres), read by `Task.episodeMetric()` at the end of every episode and reported by evaluations.
   */
  episodeMetric?: { name: string; unit: string; description: string };
}

/** What one control step returns. */
export interface StepResult {
  reward: number;
  /** The time limit was reached (dm_control tasks have no other terminal state). */
  timeLimit: boolean;
}

/** A task: reset, step, observe and reward (dm_control's verbs), with its spec. */
export interface Task {
  readonly spec: TaskSpec;
  /** Start an episode with randomness drawn only from `rng`. */
  reset(rng: Rng): void;
  /**
   * Apply `action` (length actionDim, finite, clipped to [-1, 1]) for one control step.
   * Throws a RangeError naming the problem, without touching the state, for a wrong length or NaN.
   */
  step(action: ArrayLike<number>): StepResult;
  /** Every observation group of the current state. */
  observe(): ObservationGroups;
  /** Reward of the current state, in [0, 1]. */
  reward(): number;
  /**
   * Training-only shaping signal (e.g. the humanoid has fallen). Never used in evaluation.
   * Tasks without such a notion return false.
   */
  failed(): boolean;
  /** Number of control steps taken in this episode. */
  readonly stepCount: number;
  /** The episode's score named by `spec.episodeMetric` (only tasks that declare one), read as the episode ends. */
  episodeMetric?(): number;
  /** Full physics state (time, qpos, qvel, act, ctrl, plus task variables) for determinism checks. */
  getState(): Float64Array;
  /** Free the physics (the task is unusable afterwards). */
  close(): void;
}

/** Options of a task (typed per task; an unknown key is refused). */
export interface TaskOptions {
  /** Override the episode length in control steps (tests and quick profiles). */
  episodeLength?: number;
  [key: string]: unknown;
}

/** Total length of a view's state groups, in the order listed. */
export function viewSize(spec: TaskSpec, view: string[]): number {
  let n = 0;
  for (const g of view) {
    const gs = spec.observationGroups.find((x) => x.name === g);
    if (!gs) throw new Error(`task ${spec.name} has no observation group '${g}' (groups: ${spec.observationGroups.map((x) => x.name).join(', ')})`);
    n += gs.shape.reduce((a, b) => a * b, 1);
  }
  return n;
}

/** Validate an action; throws a RangeError naming what is wrong. */
export function checkAction(spec: TaskSpec, action: ArrayLike<number>): void {
  if (action == null || typeof action.length !== 'number') {
    throw new RangeError(`action must be an array of ${spec.actionDim} numbers for task ${spec.name}`);
  }
  if (action.length !== spec.actionDim) {
    throw new RangeError(`action has length ${action.length}, task ${spec.name} expects ${spec.actionDim}`);
  }
  for (let i = 0; i < action.length; i++) {
    if (!Number.isFinite(action[i])) {
      throw new RangeError(`action[${i}] is ${action[i]}; every entry must be a finite number in [-1, 1]`);
    }
  }
}
