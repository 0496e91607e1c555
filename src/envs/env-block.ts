/**
 * A contiguous block of environments [start, end) writing into batched buffers: the unit a VecEnv runs in its own
 * thread or in a worker thread. Env i's episode k is reset with Rng(`${seed}/${i}/${k}`), so trajectories depend
 * only on (seed, i, actions), never on how envs are split across threads.
 */
import { makeTask } from './registry';
import type { Task, TaskOptions, TaskSpec } from './types';
import { Rng } from '../util/rng';

/** Batched outputs of a VecEnv step (SharedArrayBuffer-backed when workers are used). */
export interface StepBuffers {
  actions: Float32Array;
  obs: Record<string, Float32Array>;
  reward: Float32Array;
  done: Uint8Array;
  failed: Uint8Array;
  timeLimit: Uint8Array;
  episodeReturn: Float64Array;
  /** `Task.episodeMetric()` of each env whose episode ended at this step (NaN otherwise, or without a metric). */
  episodeMetric: Float64Array;
}

export class EnvBlock {
  private readonly episodes: Int32Array;
  private readonly returns: Float64Array;
  private readonly action: Float64Array;
  private constructor(
    readonly spec: TaskSpec,
    private readonly tasks: Task[],
    readonly start: number,
    private readonly seed: number,
    private readonly buf: StepBuffers,
  ) {
    this.episodes = new Int32Array(tasks.length);
    this.returns = new Float64Array(tasks.length);
    this.action = new Float64Array(spec.actionDim);
  }

  static async create(task: string, taskOptions: TaskOptions, start: number, end: number, seed: number, buf: StepBuffers): Promise<EnvBlock> {
    const tasks: Task[] = [];
    for (let i = start; i < end; i++) tasks.push(await makeTask(task, taskOptions));
    return new EnvBlock(tasks[0].spec, tasks, start, seed, buf);
  }

  private resetOne(k: number): void {
    this.tasks[k].reset(new Rng(`${this.seed}/${this.start + k}/${this.episodes[k]}`));
    this.episodes[k] += 1;
    this.returns[k] = 0;
  }

  private writeObs(k: number): void {
    const o = this.tasks[k].observe();
    const i = this.start + k;
    for (const g in o) {
      const x = o[g];
      this.buf.obs[g].set(x, i * x.length);
    }
  }

  resetAll(): void {
    for (let k = 0; k < this.tasks.length; k++) {
      this.resetOne(k);
      this.writeObs(k);
    }
  }

  /** Restart the episode counters (evaluators that want the same seeded episodes again). */
  rewind(): void {
    this.episodes.fill(0);
  }

  /** Step every env of the block with its slice of buf.actions; auto-reset finished episodes. */
  step(resetOnFailure: boolean): void {
    const A = this.spec.actionDim;
    const { actions, reward, done, failed, timeLimit, episodeReturn, episodeMetric } = this.buf;
    for (let k = 0; k < this.tasks.length; k++) {
      const i = this.start + k;
      for (let j = 0; j < A; j++) this.action[j] = Math.max(-1, Math.min(1, actions[i * A + j]));
      const t = this.tasks[k];
      const r = t.step(this.action);
      reward[i] = r.reward;
      this.returns[k] += r.reward;
      failed[i] = t.failed() ? 1 : 0;
      timeLimit[i] = r.timeLimit ? 1 : 0;
      done[i] = r.timeLimit || (resetOnFailure && failed[i]) ? 1 : 0;
      episodeReturn[i] = done[i] ? this.returns[k] : 0;
      episodeMetric[i] = done[i] && t.episodeMetric ? t.episodeMetric() : NaN;
      if (done[i]) this.resetOne(k);
      this.writeObs(k);
    }
  }

  close(): void {
    for (const t of this.tasks) t.close();
  }
}
