/**
 * Scale-out of figure sweeps on a BullMQ job queue in Redis (DESIGN "Flows: scale-out"). The enqueuer puts a
 * figure's missing cells on the queue, one job per cell with the cell's cache key as job id (so a cell is never
 * queued twice), waits, and writes each returned cell into the result cache atomically, as a local sweep does.
 * Workers on any machine with a clone compute cells with the local sweep's computeCell, in a child process so the
 * job lock stays renewed while a cell runs; a worker killed mid-cell loses its lock and BullMQ's stalled-job check
 * gives the cell to another worker. Not a paper component.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { DelayedError, Queue, Worker, type Job, type RedisOptions } from 'bullmq';
import { EXPERT_HASHED_FILES, expertCheckpointDir, expertSha256 } from '../util/experts';
import { ProgressBar, type ProgressStream } from '../util/progress';
import { CODE_VERSION, ResultCache, type CellConfig, type ResultRow } from './cache';
import { writeFileAtomic } from './paths';

/** The queue every enqueuer and worker uses (one Redis can hold other applications' queues beside it). */
export const QUEUE_NAME = 'apc-cells';

/** An expert checkpoint a cell reads, with the sha256 it was planned for (util/experts.ts: manifest.json + weights.bin). */
export interface ExpertRef {
  task: string;
  /** Checkpoint folder under <experts>/<task>/: 'expert' (what the figures clone) or 'half' (kickstarting's teacher). */
  checkpoint: string;
  sha256: string;
}

/** A job's payload: the cell, the code version that keys it, and the experts it reads. */
export interface CellJob {
  config: CellConfig;
  codeVersion: string;
  experts: ExpertRef[];
}

/** What a worker returns for a cell. */
export interface CellReturn {
  rows: ResultRow[];
  wallSeconds: number;
  worker: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Connection

/** Connection options from `redis://[user:password@]host[:port][/db]` (or rediss:// for TLS); the error names the forms. */
export function parseRedisUrl(url: string): RedisOptions {
  const forms = 'redis://HOST:PORT, redis://:PASSWORD@HOST:PORT/DB or rediss://... (TLS)';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`--queue must be a Redis URL (${forms}), got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new RangeError(`--queue must be a Redis URL (${forms}), got '${url}'`);
  if (u.hostname === '') throw new RangeError(`--queue needs a host (${forms}), got '${url}'`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new RangeError(`--queue database must be a whole number >= 0 (${forms}), got '${dbText}' in '${url}'`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''), port, db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** Thrown when Redis cannot be reached; its message names the URL (the command line prints only the message). */
export class RedisUnreachableError extends Error {
  constructor(readonly url: string, seconds: number, cause: string) {
    super(`cannot reach Redis at ${redactUrl(url)} within ${seconds} s${cause ? ` (${cause})` : ''}; start redis-server there or fix --queue`);
    this.name = 'RedisUnreachableError';
  }
}

/** BullMQ needs ioredis (an optional peer dependency of bullmq 6); say so plainly when it is absent. */
function requireRedisDriver(): void {
  try {
    require.resolve('ioredis');
  } catch {
    throw new Error("the queue needs the 'ioredis' package (BullMQ's Redis driver), which is not installed: run npm install");
  }
}

/**
 * Wait until `client` is connected, at most `seconds`; the error names the URL and the last connection error.
 * Afterwards the client reconnects by itself (BullMQ's default), so a Redis restart during a long sweep is survived.
 */
async function ready(client: Queue | Worker, url: string, seconds: number): Promise<void> {
  let lastError = '';
  const onError = (e: Error) => {
    lastError = e.message;
  };
  (client as Queue).on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new RedisUnreachableError(url, seconds, lastError)), seconds * 1000);
      }),
    ]);
  } catch (e) {
    void client.disconnect().catch(() => undefined);
    throw e instanceof RedisUnreachableError ? e : new RedisUnreachableError(url, seconds, e instanceof Error ? e.message : String(e));
  } finally {
    clearTimeout(timer);
  }
}

/** The cell queue at `url`, connected (or a RedisUnreachableError after `timeoutSeconds`, default 5). */
export async function connectQueue(url: string, options: { timeoutSeconds?: number; name?: string } = {}): Promise<Queue<CellJob, CellReturn>> {
  requireRedisDriver();
  const queue = new Queue<CellJob, CellReturn>(options.name ?? QUEUE_NAME, { connection: parseRedisUrl(url) });
  await ready(queue, url, options.timeoutSeconds ?? 5);
  return queue;
}

// ---------------------------------------------------------------------------------------------------------------
// Job ids and expert identity

/** The job id of `config`: its cache key (sha256 hex; BullMQ ids may not contain ':' nor be integers). */
export function cellJobId(config: CellConfig, cache: ResultCache = new ResultCache()): string {
  const id = path.basename(cache.file(config), '.json');
  if (!/^[0-9a-f]{64}$/.test(id) || /^\d+$/.test(id)) throw new Error(`cache key '${id}' of ${JSON.stringify(config)} is not a usable job id (64 hex digits, not all digits)`);
  return id;
}

/**
 * The expert checkpoint a cell reads: the one its plan names (`expertCheckpoint`, `expertSha256`, both in its key),
 * else its task's `expert` as this clone has it; none for the toy figure.
 */
export function cellExperts(config: CellConfig): ExpertRef[] {
  const task = config.task;
  if (typeof task !== 'string') return [];
  const checkpoint = typeof config.expertCheckpoint === 'string' ? config.expertCheckpoint : 'expert';
  if (typeof config.expertSha256 === 'string') return [{ task, checkpoint, sha256: config.expertSha256 }];
  return fs.existsSync(expertCheckpointDir(task, checkpoint)) ? [{ task, checkpoint, sha256: expertSha256(task, checkpoint) }] : [];
}

/** The payload of `config`'s job. */
export function cellJob(config: CellConfig, cache: ResultCache = new ResultCache()): CellJob {
  return { config, codeVersion: cache.codeVersion, experts: cellExperts(config) };
}

/** A job this worker must not compute: its experts or code version differ from this clone's. */
export class RefusedJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedJobError';
  }
}

/** Throws RefusedJobError when `job` was enqueued with another code version or other expert files than this clone's. */
export function checkJob(job: CellJob, codeVersion: string = CODE_VERSION): void {
  if (job.codeVersion !== codeVersion) {
    throw new RefusedJobError(`job of ${job.config.figure} was enqueued by code version '${job.codeVersion}', this worker runs '${codeVersion}'; run the worker from the enqueuer's commit`);
  }
  for (const e of job.experts) {
    const dir = expertCheckpointDir(e.task, e.checkpoint);
    const files = `${dir}${path.sep}{${EXPERT_HASHED_FILES.join(',')}}`;
    let mine: string;
    try {
      mine = expertSha256(e.task, e.checkpoint);
    } catch {
      throw new RefusedJobError(`expert of task '${e.task}' (${e.checkpoint}): job expects sha256 ${e.sha256} of ${files}, which this worker does not have`);
    }
    if (mine !== e.sha256) {
      throw new RefusedJobError(`expert of task '${e.task}' (${e.checkpoint}) differs: job expects sha256 ${e.sha256}, this worker's ${files} has ${mine}; ` +
        'check out the enqueuer\'s commit');
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Worker

export interface CellWorkerOptions {
  /** Cells computed at once, each in its own child process. Default 1. */
  concurrency: number;
  /** Job lock in seconds, renewed every half of it while a cell runs. Default 30 (BullMQ's). */
  lockSeconds: number;
  /** Seconds between checks for jobs whose worker died (lock expired): they go back to the queue. Default 30. */
  stalledSeconds: number;
  /** Times a cell may lose its worker and be requeued before it is failed. Default 2. */
  maxStalledCount: number;
  /** Shown as the job's processedBy and in logs. Default host:pid. */
  name: string;
  /** Seconds to wait for Redis at start. Default 5. */
  timeoutSeconds: number;
  /** Called once when a job is refused (the job goes back to the queue untouched; the CLI then stops this worker). */
  onRefuse: (error: RefusedJobError, job: Job<CellJob, CellReturn>) => void;
  /** Called per finished or failed cell, for logs. */
  log: (line: string) => void;
  /** Queue name. Default QUEUE_NAME. */
  queueName: string;
}

/** A running worker: BullMQ's Worker and a close that also ends the cell processes. */
export interface CellWorker {
  worker: Worker<CellJob, CellReturn>;
  /** Stop taking jobs; `force` ends running cells at once (their jobs are requeued by the stalled check). */
  close(force?: boolean): Promise<void>;
}

/**
 * Test hook (test/distributed.test.ts): with APC_QUEUE_TEST_HOLD=DIR set, the worker writes DIR/<pid>-<jobId>.held
 * before computing a cell and waits until DIR/release exists, so a test can kill it while it holds a cell.
 */
async function testHold(jobId: string): Promise<void> {
  const dir = process.env.APC_QUEUE_TEST_HOLD;
  if (!dir) return;
  writeFileAtomic(path.join(dir, `${process.pid}-${jobId}.held`), JSON.stringify({ pid: process.pid, jobId }));
  while (!fs.existsSync(path.join(dir, 'release'))) await new Promise((r) => setTimeout(r, 100));
}

/**
 * computeCell(config) in a child process (queue-cell.ts), so that the job lock keeps being renewed meanwhile and the
 * cell runs on the same learner path as a local sweep (the native BLAS addon loads once per process).
 */
function computeInChild(config: CellConfig, children: Set<ChildProcess>): Promise<ResultRow[]> {
  return new Promise((resolve, reject) => {
    const t = fork(path.join(__dirname, 'queue-cell.js'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(t);
    t.send({ config });
    let settled = false;
    t.once('message', (m: { rows?: ResultRow[]; error?: string; stack?: string }) => {
      settled = true;
      if (m.error !== undefined) {
        const e = new Error(m.error);
        if (m.stack) e.stack = m.stack;
        reject(e);
      } else resolve(m.rows!);
    });
    t.once('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    t.once('exit', (code, signal) => {
      children.delete(t);
      if (!settled) reject(new Error(`cell process exited with ${signal ?? `code ${code}`} before returning rows`));
      settled = true;
    });
  });
}

/** Start a worker on the queue at `url`: it takes cells, checks their experts, computes them and returns their rows. */
export async function startCellWorker(url: string, options: Partial<CellWorkerOptions> = {}): Promise<CellWorker> {
  requireRedisDriver();
  const o: CellWorkerOptions = {
    concurrency: 1, lockSeconds: 30, stalledSeconds: 30, maxStalledCount: 2, name: `${require('node:os').hostname()}:${process.pid}`,
    timeoutSeconds: 5, onRefuse: () => undefined, log: () => undefined, queueName: QUEUE_NAME, ...options,
  };
  for (const k of ['concurrency', 'lockSeconds', 'stalledSeconds'] as const) {
    if (!(o[k] > 0)) throw new RangeError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be > 0, got ${o[k]}`);
  }
  if (!Number.isInteger(o.concurrency)) throw new RangeError(`--concurrency must be a whole number >= 1, got ${o.concurrency}`);
  const children = new Set<ChildProcess>();
  const worker = new Worker<CellJob, CellReturn>(o.queueName, async (job, token) => {
    try {
      checkJob(job.data);
    } catch (e) {
      if (!(e instanceof RefusedJobError)) throw e;
      // Hand the job back untouched (no attempt used) for a worker whose clone matches, and say why.
      await job.log(`refused by ${o.name}: ${e.message}`);
      await job.moveToDelayed(Date.now() + 1000, token);
      o.onRefuse(e, job);
      throw new DelayedError();
    }
    await testHold(job.id!);
    const t0 = Date.now();
    const rows = await computeInChild(job.data.config, children);
    if (!Array.isArray(rows)) throw new TypeError(`compute for figure '${job.data.config.figure}' must return an array of rows`);
    return { rows, wallSeconds: (Date.now() - t0) / 1000, worker: o.name };
  }, {
    connection: parseRedisUrl(url), autorun: false, name: o.name, concurrency: o.concurrency,
    lockDuration: o.lockSeconds * 1000, stalledInterval: o.stalledSeconds * 1000, maxStalledCount: o.maxStalledCount,
    // Completed and failed jobs are kept (the enqueuer's job options say so too): the enqueuer removes a completed job
    // once its rows are in the cache; failed jobs stay for --status and the next run's retry.
  });
  worker.on('completed', (job, r) => o.log(`${job.data.config.figure} ${job.id}: ${r.rows.length} row(s) in ${r.wallSeconds.toFixed(1)} s`));
  worker.on('failed', (job, e) => {
    if (job && !(e instanceof DelayedError)) o.log(`${job.data.config.figure} ${job.id}: attempt ${job.attemptsMade} failed: ${e.message}`);
  });
  await ready(worker, url, o.timeoutSeconds);
  worker.run().catch((e: unknown) => o.log(`stopped: ${e instanceof Error ? e.message : String(e)}`));
  return {
    worker,
    async close(force = false) {
      // Stop BullMQ first: a cell cut short after that is not reported as a failed attempt; its job's lock expires
      // and the stalled check requeues it.
      await worker.close(force);
      if (force) for (const c of children) c.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Enqueuer

export interface QueuedSweepOptions {
  /** Tries of a cell that throws before it is reported failed. Default 3. */
  attempts: number;
  /** First retry delay in seconds (doubling after). Default 10. */
  backoffSeconds: number;
  /** Seconds between looks at the queue. Default 1. */
  pollSeconds: number;
  /** Progress line label. Default the first cell's figure. */
  label: string;
  /** Where the progress line goes. Default process.stderr. */
  stream: ProgressStream;
  /** Seconds between progress lines when not on a terminal. Default 10. */
  intervalSeconds: number;
  cache: ResultCache;
}

export interface FailedCell {
  id: string;
  config: CellConfig;
  error: string;
  attempts: number;
}

export interface QueuedSweepResult {
  /** Cells whose rows came back from workers in this run. */
  computed: number;
  /** Cells already in the cache (never enqueued). */
  reused: number;
  /** Cells that threw on every attempt: no row is written for them. */
  failed: FailedCell[];
}

const OPEN_STATES = ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children'] as const;

/**
 * Put `grid`'s cells missing from the cache on `queue`, wait for them, and write each returned cell into the cache.
 * Cells already in the cache are never enqueued; a cell whose job exists (from an earlier run) is not added again;
 * a completed job whose rows are not yet in the cache is written; a failed one from an earlier run is retried.
 * Returns when every cell is stored or has failed.
 */
export async function runQueuedSweep(queue: Queue<CellJob, CellReturn>, grid: CellConfig[], options: Partial<QueuedSweepOptions> = {}): Promise<QueuedSweepResult> {
  const cache = options.cache ?? new ResultCache();
  const o = { attempts: 3, backoffSeconds: 10, pollSeconds: 1, label: String(grid[0]?.figure ?? 'sweep'), stream: process.stderr, intervalSeconds: 10, ...options };
  if (!(Number.isInteger(o.attempts) && o.attempts >= 1)) throw new RangeError(`--attempts must be a whole number >= 1, got ${o.attempts}`);
  const pending = new Map<string, CellConfig>();
  let reused = 0;
  for (const c of grid) {
    if (cache.get(c)) reused += 1;
    else pending.set(cellJobId(c, cache), c);
  }
  const result: QueuedSweepResult = { computed: 0, reused, failed: [] };
  if (pending.size === 0) return result;

  // A rerun retries the cells that failed before; then every missing cell is added (existing ids are ignored).
  for (const id of await queue.getRanges(['failed'])) {
    if (pending.has(id)) await (await queue.getJob(id))?.retry('failed');
  }
  const add = (ids: string[]) => queue.addBulk(ids.map((id) => ({
    name: String(pending.get(id)!.figure), data: cellJob(pending.get(id)!, cache),
    opts: { jobId: id, attempts: o.attempts, backoff: { type: 'exponential', delay: o.backoffSeconds * 1000 }, removeOnComplete: false, removeOnFail: false },
  })));
  await add([...pending.keys()]);

  const total = pending.size;
  const bar = new ProgressBar({ total, label: o.label, unit: 'cells', stream: o.stream, intervalSeconds: o.intervalSeconds });
  for (;;) {
    for (const id of await queue.getRanges(['completed'])) {
      const config = pending.get(id);
      if (!config) continue;
      const job = await queue.getJob(id);
      const r = job?.returnvalue;
      if (!job || !r || !Array.isArray(r.rows)) continue;
      cache.put(config, r.rows, Number(r.wallSeconds));
      pending.delete(id);
      result.computed += 1;
      await job.remove().catch(() => undefined);
    }
    for (const id of await queue.getRanges(['failed'])) {
      const config = pending.get(id);
      if (!config) continue;
      const job = await queue.getJob(id);
      result.failed.push({ id, config, error: job?.failedReason ?? 'unknown error', attempts: job?.attemptsMade ?? 0 });
      pending.delete(id);
    }
    const active = new Set(await queue.getRanges(['active']));
    const open = new Set(await queue.getRanges([...OPEN_STATES]));
    let running = 0;
    const lost: string[] = [];
    for (const id of pending.keys()) {
      if (active.has(id)) running += 1;
      else if (!open.has(id)) lost.push(id);
    }
    // A job removed from Redis behind our back (or caught between two states by the reads above) is added again; an
    // id that still exists is ignored by BullMQ, so this never queues a cell twice.
    if (lost.length > 0) await add(lost);
    const done = total - pending.size - result.failed.length;
    const workers = await queue.getWorkersCount().catch(() => NaN);
    const extra = `done ${done}, running ${running}, failed ${result.failed.length}, waiting ${pending.size - running}, workers ${workers}`;
    if (pending.size === 0) {
      bar.update(done, { extra });
      bar.done({ extra });
      return result;
    }
    bar.update(done, { extra });
    await new Promise((r) => setTimeout(r, o.pollSeconds * 1000));
  }
}

/** Jobs not yet finished (waiting, delayed, active, ...): a worker with --idle-exit stops when this stays 0. */
export async function openJobCount(queue: Queue<CellJob, CellReturn>): Promise<number> {
  const counts = await queue.getJobCounts(...OPEN_STATES);
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export interface QueueStatus {
  counts: Record<string, number>;
  workers: number;
  failed: FailedCell[];
}

/** Jobs per state, connected workers, and every failed cell with its error. */
export async function queueStatus(queue: Queue<CellJob, CellReturn>): Promise<QueueStatus> {
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
  const failedJobs = await queue.getJobs(['failed']);
  return {
    counts, workers: await queue.getWorkersCount(),
    failed: failedJobs.map((j) => ({ id: String(j.id), config: j.data.config, error: j.failedReason, attempts: j.attemptsMade })),
  };
}

/** The status as text lines (what `sweep --queue URL --status` prints). */
export function formatStatus(s: QueueStatus): string {
  const lines = [`${Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', ')}; workers ${s.workers}`];
  if (s.counts.completed > 0) lines.push('(completed jobs are written to the cache and removed by the enqueuer: run the sweep with --queue to collect them)');
  for (const f of s.failed) lines.push(`failed ${f.config.figure} ${f.id} after ${f.attempts} attempt(s): ${f.error}\n  config ${JSON.stringify(f.config)}`);
  return lines.join('\n');
}
