/**
 * VecEnv: N environments of one task stepped as a batch by `workers` threads: the calling thread steps the first
 * block itself and worker_threads step the others, over SharedArrayBuffers (no per-step serialisation). The calling
 * thread would otherwise sleep through every step; stepping a block there saves one thread wake-up per step and
 * the core it would leave idle (measured: two worker threads plus an idle caller gave 1.36-1.66x one worker; the
 * caller plus one worker, see README). Each env has its own seeded episodes (EnvBlock), so the same seed and actions
 * give the same trajectories whatever the number of workers.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import './index'; // registers every task
import { EnvBlock, type EpisodeReplay, type StepBuffers } from './env-block';
import { makeTask, variantModules } from './registry';
import { checkAction, type Task, type TaskOptions, type TaskSpec } from './types';

export interface VecEnvOptions {
  /** Registered task name. */
  task: string;
  /** Environments stepped together. */
  numEnvs: number;
  /**
   * Threads that step environments, the calling thread included: 0 or 1 = the calling thread only; W >= 2 = the
   * calling thread plus W - 1 worker_threads, each with a contiguous block of envs. Capped at numEnvs.
   */
  workers: number;
  /** Seed of every env's episode initialisations. */
  seed: number;
  taskOptions?: TaskOptions;
  /**
   * Start every env in the middle of a recorded episode instead of fresh (a resumed trainer's in-flight episodes,
   * replayed; read the observations with `observations()` instead of calling `reset()`). Default none.
   */
  restore?: EpisodeReplay;
}

export interface VecStep {
  /** Observations after auto-reset (fresh copies, safe to keep). */
  obs: Record<string, Float32Array>;
  reward: Float32Array;
  /** Episode ended this step (time limit, or failure when resetOnFailure). */
  done: Uint8Array;
  failed: Uint8Array;
  timeLimit: Uint8Array;
  /** Return of the episode that ended (valid where done). */
  episodeReturn: Float64Array;
  /** The task's episode metric (spec.episodeMetric) of each env whose episode ended here; NaN elsewhere. */
  episodeMetric: Float64Array;
}

/** Layout of the shared control array (one stride per worker). */
export const CTRL = { STRIDE: 8, CMD: 0, CMD_SEQ: 1, DONE_SEQ: 2, STATUS: 3, ARG: 4, OK: 0, ERROR: 1, ERROR_BYTES: 1024 } as const;
export const CMD = { STEP: 1, RESET: 2, REWIND: 3, CLOSE: 4 } as const;

export interface WorkerInit {
  task: string;
  taskOptions: TaskOptions;
  start: number;
  end: number;
  seed: number;
  restore?: EpisodeReplay;
  /** Modules that registered training variants in the parent thread; the worker loads them before building tasks. */
  variantModules: string[];
  slot: number;
  control: SharedArrayBuffer;
  errors: SharedArrayBuffer;
  buffers: { actions: SharedArrayBuffer; reward: SharedArrayBuffer; done: SharedArrayBuffer; failed: SharedArrayBuffer; timeLimit: SharedArrayBuffer; episodeReturn: SharedArrayBuffer; episodeMetric: SharedArrayBuffer; obs: Record<string, SharedArrayBuffer> };
}

/** Seconds a worker may take for one command before the VecEnv gives up on it. */
const WORKER_TIMEOUT_MS = 120_000;
/** Longest synchronous wait before the event loop gets a turn (to notice a dead worker). */
const SLICE_MS = 500;
/**
 * How long a thread that waits for another spins on the shared counter before sleeping in Atomics.wait: a futex
 * sleep and wake-up costs tens of microseconds per control step, while the other thread usually finishes within
 * this window (its block takes as long as ours). The spinning core would otherwise idle.
 */
export const SPIN_NS = 300_000n;

/** Busy-wait up to `ns` while ctrl[at] === value; returns whether the value changed. */
export function spinWhile(ctrl: Int32Array, at: number, value: number, ns: bigint): boolean {
  const end = process.hrtime.bigint() + ns;
  for (;;) {
    for (let k = 0; k < 64; k++) if (Atomics.load(ctrl, at) !== value) return true;
    if (process.hrtime.bigint() > end) return false;
  }
}

export class VecEnv {
  private closed = false;
  private busy = false;
  /** Why worker w died (null while alive). */
  private readonly dead: (string | null)[];
  private constructor(
    readonly spec: TaskSpec,
    readonly numEnvs: number,
    private readonly buf: StepBuffers,
    private readonly local: EnvBlock,
    private readonly workers: Worker[],
    private readonly ctrl: Int32Array | null,
    private readonly errors: Uint8Array | null,
  ) {
    this.dead = workers.map(() => null);
    workers.forEach((worker, w) => {
      const die = (why: string) => {
        if (this.dead[w] === null) this.dead[w] = why;
      };
      worker.on('error', (e) => die(`crashed: ${e.message}`));
      worker.on('exit', (code) => die(`exited with code ${code}`));
    });
  }

  /**
   * Env i's task, for teachers that read the simulator (a scripted controller). Only the calling thread's envs are
   * reachable: create the VecEnv with workers <= 1 so that every env is. Read its state; never step or reset it.
   */
  localTask(i: number): Task {
    if (!(Number.isInteger(i) && i >= 0 && i < this.local.size)) {
      throw new RangeError(`env ${i} is not stepped by the calling thread (its block holds envs 0..${this.local.size - 1}; create the VecEnv with workers <= 1 to reach every env)`);
    }
    return this.local.task(i);
  }

  static async create(opts: VecEnvOptions): Promise<VecEnv> {
    if (!Number.isInteger(opts.numEnvs) || opts.numEnvs <= 0) throw new RangeError(`numEnvs must be a positive integer, got ${opts.numEnvs}`);
    if (!Number.isInteger(opts.workers) || opts.workers < 0) throw new RangeError(`workers must be a non-negative integer, got ${opts.workers}`);
    const probe = await makeTask(opts.task, opts.taskOptions ?? {});
    const spec = probe.spec;
    probe.close();
    const n = opts.numEnvs;
    // Stepping threads (>= 1); block 0 is the calling thread's, blocks 1..W-1 are worker threads'.
    const W = Math.max(1, Math.min(opts.workers, n));
    const shared = W > 1;
    const mk = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const raw = {
      actions: mk(4 * n * spec.actionDim), reward: mk(4 * n), done: mk(n), failed: mk(n), timeLimit: mk(n), episodeReturn: mk(8 * n), episodeMetric: mk(8 * n),
      obs: Object.fromEntries(spec.observationGroups.map((g) => [g.name, mk(4 * n * g.shape.reduce((a, b) => a * b, 1))])),
    };
    const buf: StepBuffers = {
      actions: new Float32Array(raw.actions), reward: new Float32Array(raw.reward), done: new Uint8Array(raw.done),
      failed: new Uint8Array(raw.failed), timeLimit: new Uint8Array(raw.timeLimit), episodeReturn: new Float64Array(raw.episodeReturn), episodeMetric: new Float64Array(raw.episodeMetric),
      obs: Object.fromEntries(Object.entries(raw.obs).map(([g, s]) => [g, new Float32Array(s)])),
    };
    const taskOptions = opts.taskOptions ?? {};
    if (!shared) {
      const block = await EnvBlock.create(opts.task, taskOptions, 0, n, opts.seed, buf, opts.restore);
      return new VecEnv(spec, n, buf, block, [], null, null);
    }
    const bound = (b: number) => Math.floor((b * n) / W);
    const control = new SharedArrayBuffer(4 * CTRL.STRIDE * (W - 1));
    const errors = new SharedArrayBuffer(CTRL.ERROR_BYTES * (W - 1));
    const ctrl = new Int32Array(control);
    const workers: Worker[] = [];
    for (let w = 0; w < W - 1; w++) {
      const init: WorkerInit = {
        task: opts.task, taskOptions, start: bound(w + 1), end: bound(w + 2), seed: opts.seed, restore: opts.restore, variantModules: variantModules(), slot: w,
        control, errors, buffers: raw as WorkerInit['buffers'],
      };
      const worker = new Worker(path.join(__dirname, 'vec-env-worker.js'), { workerData: init });
      worker.unref();
      workers.push(worker);
    }
    let local: EnvBlock | null = null;
    try {
      local = await EnvBlock.create(opts.task, taskOptions, 0, bound(1), opts.seed, buf, opts.restore);
      const env = new VecEnv(spec, n, buf, local, workers, ctrl, new Uint8Array(errors));
      await env.awaitWorkers(new Array(W - 1).fill(0), 'start');
      return env;
    } catch (e) {
      local?.close();
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
  }

  /**
   * Wait until every worker has finished the command issued at `before` (its DONE_SEQ moved on). The fast path is a
   * synchronous Atomics.wait (a step takes ~ms; Atomics.waitAsync's event-loop wake-up measured no faster here, under load);
   * every SLICE_MS without progress the event loop gets a turn, so a worker that crashed or exited is reported
   * (its 'error'/'exit' listener) as a rejection rather than a hang.
   */
  private async awaitWorkers(before: number[], what: string): Promise<void> {
    const ctrl = this.ctrl!;
    const messages: string[] = [];
    for (let w = 0; w < this.workers.length; w++) {
      const at = w * CTRL.STRIDE + CTRL.DONE_SEQ;
      const deadline = Date.now() + WORKER_TIMEOUT_MS;
      spinWhile(ctrl, at, before[w], SPIN_NS);
      while (Atomics.load(ctrl, at) === before[w]) {
        if (this.dead[w] !== null) throw new Error(`VecEnv '${what}' failed: worker ${w} ${this.dead[w]}`);
        if (Atomics.wait(ctrl, at, before[w], SLICE_MS) === 'timed-out') {
          // Slow or dead worker: give the event loop a turn so a crashed worker's 'error'/'exit' event can arrive.
          await new Promise((r) => setImmediate(r));
          if (Date.now() > deadline) throw new Error(`VecEnv worker ${w} did not finish '${what}' within ${WORKER_TIMEOUT_MS / 1000} s`);
        }
      }
      if (Atomics.load(ctrl, w * CTRL.STRIDE + CTRL.STATUS) === CTRL.ERROR) {
        const bytes = this.errors!.subarray(w * CTRL.ERROR_BYTES, (w + 1) * CTRL.ERROR_BYTES);
        messages.push(Buffer.from(bytes.subarray(0, bytes.indexOf(0) < 0 ? bytes.length : bytes.indexOf(0))).toString());
        Atomics.store(ctrl, w * CTRL.STRIDE + CTRL.STATUS, CTRL.OK);
      }
    }
    if (messages.length > 0) throw new Error(`VecEnv '${what}' failed in a worker: ${messages[0]}`);
  }

  private async command(cmd: number, arg: number, what: string): Promise<void> {
    if (this.closed) throw new Error('this VecEnv is closed');
    if (this.busy) throw new Error(`VecEnv '${what}' called while another command is running; await each call first`);
    const runLocal = () => {
      if (cmd === CMD.STEP) this.local.step(arg === 1);
      else if (cmd === CMD.RESET) this.local.resetAll();
      else if (cmd === CMD.REWIND) this.local.rewind();
      else if (cmd === CMD.CLOSE) this.local.close();
    };
    if (this.workers.length === 0) {
      runLocal();
      return;
    }
    const ctrl = this.ctrl!;
    const before = this.workers.map((_, w) => Atomics.load(ctrl, w * CTRL.STRIDE + CTRL.DONE_SEQ));
    this.workers.forEach((_, w) => {
      const b = w * CTRL.STRIDE;
      Atomics.store(ctrl, b + CTRL.CMD, cmd);
      Atomics.store(ctrl, b + CTRL.ARG, arg);
      Atomics.add(ctrl, b + CTRL.CMD_SEQ, 1);
      Atomics.notify(ctrl, b + CTRL.CMD_SEQ);
    });
    this.busy = true;
    try {
      // The calling thread steps its own block while the workers step theirs; a local error is raised only after
      // the workers have finished, so no command is left running.
      let localError: unknown = null;
      try {
        runLocal();
      } catch (e) {
        localError = e;
      }
      await this.awaitWorkers(before, what);
      if (localError !== null) throw localError;
    } finally {
      this.busy = false;
    }
  }

  private copyObs(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const g in this.buf.obs) out[g] = this.buf.obs[g].slice();
    return out;
  }

  /** The current observations of every env (after `create` with `restore`, or after the last step or reset). */
  observations(): Record<string, Float32Array> {
    return this.copyObs();
  }

  /** Reset every env (starting each env's next seeded episode). */
  async reset(): Promise<Record<string, Float32Array>> {
    await this.command(CMD.RESET, 0, 'reset');
    return this.copyObs();
  }

  /** Restart every env's episode counter, so the next reset() replays the same seeded episodes. */
  async rewind(): Promise<void> {
    await this.command(CMD.REWIND, 0, 'rewind');
  }

  /**
   * Step all envs with `actions` (numEnvs * actionDim, clipped to [-1, 1]); finished envs auto-reset (time limit,
   * or failed() when resetOnFailure: training-only early termination). The whole batch is checked with Task.step's
   * rules (every entry finite) before any env steps, so a bad action leaves every env untouched.
   */
  async step(actions: Float32Array, opts: { resetOnFailure?: boolean } = {}): Promise<VecStep> {
    const A = this.spec.actionDim;
    if (actions.length !== this.numEnvs * A) {
      throw new RangeError(`actions has length ${actions.length}, expected numEnvs * actionDim = ${this.numEnvs} * ${A} = ${this.numEnvs * A}`);
    }
    for (let i = 0; i < this.numEnvs; i++) {
      try {
        checkAction(this.spec, actions.subarray(i * A, (i + 1) * A));
      } catch (e) {
        throw new RangeError(`actions of env ${i}: ${(e as Error).message} (no env was stepped)`);
      }
    }
    this.buf.actions.set(actions);
    await this.command(CMD.STEP, opts.resetOnFailure ? 1 : 0, 'step');
    const b = this.buf;
    return { obs: this.copyObs(), reward: b.reward.slice(), done: b.done.slice(), failed: b.failed.slice(), timeLimit: b.timeLimit.slice(), episodeReturn: b.episodeReturn.slice(), episodeMetric: b.episodeMetric.slice() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.dead.every((d) => d === null)) await this.command(CMD.CLOSE, 0, 'close');
      else this.local.close();
    } finally {
      await Promise.all(this.workers.map((w) => w.terminate()));
      this.closed = true;
    }
  }
}
