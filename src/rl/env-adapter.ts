/**
 * Stand-in for src/envs/vec-env.ts (VecEnv contract in TEAM.md) while that module is being written: the same API,
 * stepping every env in this thread (`workers` is accepted and ignored). Replace the body of this file with
 * `export { VecEnv } from '../envs/vec-env';` once that exists.
 */
import { makeTask } from '../envs/registry';
import type { Task, TaskOptions, TaskSpec } from '../envs/types';
import { Rng } from '../util/rng';

export interface VecEnvOptions {
  task: string;
  numEnvs: number;
  workers: number;
  seed: number;
  taskOptions?: TaskOptions;
}

export interface VecStep {
  obs: Record<string, Float32Array>;
  reward: Float32Array;
  done: Uint8Array;
  failed: Uint8Array;
  timeLimit: Uint8Array;
  episodeReturn: Float64Array;
}

export class VecEnv {
  private episodes: Int32Array;
  private returns: Float64Array;
  private constructor(
    readonly spec: TaskSpec,
    readonly numEnvs: number,
    private readonly tasks: Task[],
    private readonly seed: number,
  ) {
    this.episodes = new Int32Array(numEnvs);
    this.returns = new Float64Array(numEnvs);
  }

  static async create(opts: VecEnvOptions): Promise<VecEnv> {
    if (!Number.isInteger(opts.numEnvs) || opts.numEnvs <= 0) throw new RangeError(`numEnvs must be a positive integer, got ${opts.numEnvs}`);
    const tasks: Task[] = [];
    for (let i = 0; i < opts.numEnvs; i++) tasks.push(await makeTask(opts.task, opts.taskOptions ?? {}));
    return new VecEnv(tasks[0].spec, opts.numEnvs, tasks, opts.seed);
  }

  private resetOne(i: number): void {
    this.tasks[i].reset(new Rng(`${this.seed}/${i}/${this.episodes[i]}`));
    this.episodes[i] += 1;
    this.returns[i] = 0;
  }

  private gather(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (let i = 0; i < this.numEnvs; i++) {
      const o = this.tasks[i].observe();
      for (const [g, x] of Object.entries(o)) {
        if (!out[g]) out[g] = new Float32Array(this.numEnvs * x.length);
        out[g].set(x, i * x.length);
      }
    }
    return out;
  }

  async reset(): Promise<Record<string, Float32Array>> {
    for (let i = 0; i < this.numEnvs; i++) this.resetOne(i);
    return this.gather();
  }

  async step(actions: Float32Array, opts: { resetOnFailure?: boolean } = {}): Promise<VecStep> {
    const A = this.spec.actionDim;
    if (actions.length !== this.numEnvs * A) throw new RangeError(`actions has length ${actions.length}, expected numEnvs * actionDim = ${this.numEnvs * A}`);
    const n = this.numEnvs;
    const reward = new Float32Array(n);
    const done = new Uint8Array(n);
    const failed = new Uint8Array(n);
    const timeLimit = new Uint8Array(n);
    const episodeReturn = new Float64Array(n);
    const a = new Float64Array(A);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < A; j++) a[j] = Math.max(-1, Math.min(1, actions[i * A + j]));
      const r = this.tasks[i].step(a);
      reward[i] = r.reward;
      this.returns[i] += r.reward;
      failed[i] = this.tasks[i].failed() ? 1 : 0;
      timeLimit[i] = r.timeLimit ? 1 : 0;
      if (r.timeLimit || (opts.resetOnFailure && failed[i])) {
        done[i] = 1;
        episodeReturn[i] = this.returns[i];
        this.resetOne(i);
      }
    }
    return { obs: this.gather(), reward, done, failed, timeLimit, episodeReturn };
  }

  async close(): Promise<void> {
    for (const t of this.tasks) t.close();
  }
}
