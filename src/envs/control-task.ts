/**
 * What the dm_control-suite domains in this folder (cartpole, cheetah, manipulator) share: dm_control's
 * `control.Environment` step (validated, clipped action -> ctrl, n physics steps per control step, MuJoCo state
 * kept in sync with qpos/qvel as dm_control's legacy step does), the step counter, and state snapshots.
 */
import type { Mujoco, Physics } from '../physics/mujoco';
import type { Rng } from '../util/rng';
import { checkAction, type ObservationGroups, type StepResult, type Task, type TaskSpec } from './types';

/** `episodeLength` option validated, defaulting to the task's dm_control time limit / control timestep. */
export function resolveEpisodeLength(episodeLength: unknown, defaultLength: number): number {
  const n = episodeLength ?? defaultLength;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) {
    throw new RangeError(`episodeLength must be a positive integer, got ${String(n)}`);
  }
  return n;
}

/**
 * Spec of a dm_control task observed as `position` and `velocity` vectors (cartpole, cheetah, ...), with the
 * default view holding both.
 */
export function positionVelocitySpec(spec: {
  name: string; tags: string[]; actionDim: number; positionSize: number; velocitySize: number;
  controlTimestep: number; episodeLength: number;
}): TaskSpec {
  return {
    name: spec.name,
    tags: [...spec.tags],
    actionDim: spec.actionDim,
    observationGroups: [
      { name: 'position', shape: [spec.positionSize], kind: 'state', privileged: false },
      { name: 'velocity', shape: [spec.velocitySize], kind: 'state', privileged: false },
    ],
    controlTimestep: spec.controlTimestep,
    episodeLength: spec.episodeLength,
    views: { default: ['position', 'velocity'] },
  };
}

/**
 * Advance `nstep` physics steps as dm_control's `Physics.step` (legacy_step=True) does: for Euler (and implicit)
 * integrators `mj_step2` completes the step begun by the previous `mj_step1`; RK4 takes whole `mj_step`s. Either
 * way a final `mj_step1` brings positions, velocities and sensors up to date with the new qpos/qvel.
 * Requires `mj_forward` (or a previous call) since the last change of state.
 */
export function legacyStep(mj: Mujoco, physics: Physics, nstep: number, rk4: boolean): void {
  const { model, data } = physics;
  if (rk4) {
    for (let k = 0; k < nstep; k++) mj.mj_step(model, data);
  } else {
    mj.mj_step2(model, data);
    for (let k = 1; k < nstep; k++) mj.mj_step(model, data);
  }
  mj.mj_step1(model, data);
}

/**
 * Base of a single-model dm_control task: subclasses give `reset`, `observe` and `reward` (and `taskState` for
 * variables kept outside qpos/qvel, e.g. a randomised target). The action is checked BEFORE anything is written.
 */
export abstract class ControlTask implements Task {
  abstract readonly spec: TaskSpec;
  readonly physics: Physics;
  readonly mj: Mujoco;
  /** Physics steps per control step. */
  readonly nSubsteps: number;
  readonly nu: number;
  private readonly rk4: boolean;
  protected steps = 0;

  constructor(physics: Physics, controlTimestep: number) {
    this.physics = physics;
    this.mj = physics.mj;
    const m = physics.model as any;
    const n = Math.round(controlTimestep / m.opt.timestep);
    if (!(n >= 1) || Math.abs(n * m.opt.timestep - controlTimestep) > 1e-9) {
      throw new RangeError(`controlTimestep ${controlTimestep} is not a multiple of the physics timestep ${m.opt.timestep}`);
    }
    this.nSubsteps = n;
    this.nu = m.nu;
    this.rk4 = m.opt.integrator === (this.mj as any).mjtIntegrator.mjINT_RK4.value;
  }

  get stepCount(): number {
    return this.steps;
  }

  abstract reset(rng: Rng): void;
  abstract observe(): ObservationGroups;
  abstract reward(): number;

  /** dm_control tasks have no failure state. */
  failed(): boolean {
    return false;
  }

  step(action: ArrayLike<number>): StepResult {
    checkAction(this.spec, action);
    const ctrl: Float64Array = (this.physics.data as any).ctrl;
    for (let i = 0; i < this.nu; i++) {
      const a = action[i];
      ctrl[i] = a > 1 ? 1 : a < -1 ? -1 : a;
    }
    legacyStep(this.mj, this.physics, this.nSubsteps, this.rk4);
    this.steps++;
    return { reward: this.reward(), timeLimit: this.steps >= this.spec.episodeLength };
  }

  /** Task variables appended to the physics state by `getState` (the step counter, plus subclass extras). */
  protected taskState(): number[] {
    return [this.steps];
  }

  /** time, qpos, qvel, act, ctrl, then `taskState()`. */
  getState(): Float64Array {
    const data = this.physics.data as any;
    const parts: ArrayLike<number>[] = [[data.time], data.qpos, data.qvel, data.act, data.ctrl, this.taskState()];
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  close(): void {
    this.physics.free();
  }
}
