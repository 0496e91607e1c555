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

/** In-flight episodes to restore, per env of the whole VecEnv: the episode index and the actions taken so far. */
export interface EpisodeReplay {
  episodes: number[];
  /** actions[i]: env i's actions since its episode began, steps * actionDim (as passed to step, unclipped). */
  actions: Float32Array[];
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

  static async create(task: string, taskOptions: TaskOptions, start: number, end: number, seed: number, buf: StepBuffers, restore?: EpisodeReplay): Promise<EnvBlock> {
    const tasks: Task[] = [];
    for (let i = start; i < end; i++) tasks.push(await makeTask(task, taskOptions));
    const block = new EnvBlock(tasks[0].spec, tasks, start, seed, buf);
    if (restore) block.replay(restore);
    return block;
  }

  /**
   * Bring every env of the block to the in-flight episode `r` records (a resumed trainer's): reset env i to its
   * episode r.episodes[i] (the same seeded start) and replay r.actions[i] (clipped as in step), so its physics,
   * step counter and running return are bitwise those of the run that recorded them; then write the observations.
   */
  private replay(r: EpisodeReplay): void {
    const A = this.spec.actionDim;
    for (let k = 0; k < this.tasks.length; k++) {
      const i = this.start + k;
      const acts = r.actions[i];
      if (!Number.isInteger(r.episodes[i]) || r.episodes[i] < 0 || !acts || acts.length % A !== 0) throw new RangeError(`episode replay of env ${i} is malformed`);
      this.episodes[k] = r.episodes[i];
      this.resetOne(k);
      const t = this.tasks[k];
      for (let s = 0; s < acts.length / A; s++) {
        for (let j = 0; j < A; j++) this.action[j] = Math.max(-1, Math.min(1, acts[s * A + j]));
        this.returns[k] += t.step(this.action).reward;
      }
      this.writeObs(k);
    }
  }

  /** Env `start + k`'s task (read-only use: a teacher that reads the simulator, e.g. a scripted controller). */
  task(k: number): Task {
    const t = this.tasks[k];
    if (!t) throw new RangeError(`env block ${this.start}..${this.start + this.tasks.length - 1} has no env ${this.start + k}`);
    return t;
  }

  /** How many envs this block steps. */
  get size(): number {
    return this.tasks.length;
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
