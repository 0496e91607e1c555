/**
 * Scale-out on BullMQ (src/experiments/queue.ts, docs/scale-out.md): a quick figure through a real Redis and two
 * worker processes, one SIGKILLed while it holds a cell; a cell that throws is retried then reported failed; a
 * worker refuses a job whose expert differs from its own; an unreachable Redis is a clear error. Needs Debian's
 * redis-server (`.ci/run` installs it): skipped with a message where it is missing, failed where CI=true.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { CODE_VERSION, ResultCache, expertSha256, figurePlan, type CellConfig, type StoredResult } from '../src/experiments';
import {
  QUEUE_NAME, RefusedJobError, cellExperts, cellJob, cellJobId, checkJob, connectQueue, parseRedisUrl, queueStatus,
  runQueuedSweep, startCellWorker, type CellJob, type CellReturn,
} from '../src/experiments/queue';

const CLI = path.join(__dirname, '..', 'src', 'cli');
const FIGURE = 'fig1-toy';
const hasRedis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = hasRedis ? false : 'redis-server is not installed (apt-get install redis-server); the distributed sweep tests need it';
if (!hasRedis) console.error(`distributed.test: ${skip}`);

const children = new Set<ChildProcess>();
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-queue-'));
let url = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  child: ChildProcess;
  out: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `node <cli>.js args` with extra environment; its output is collected. */
function run(cli: string, args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [path.join(CLI, `${cli}.js`), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  return { child, out: () => text, exit };
}

/** The exit of `r`, or an error after `seconds` carrying the output of every process named in `logs`. */
async function exited(r: Run, seconds: number, what: string, logs: Record<string, Run>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not exit within ${seconds} s; output so far:\n` +
      Object.entries(logs).map(([k, v]) => `--- ${k}\n${v.out().slice(-3000)}`).join('\n'))), seconds * 1000);
  });
  try {
    return await Promise.race([r.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor<T>(what: string, seconds: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > seconds * 1000) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function storedCells(root: string): StoredResult[] {
  const dir = path.join(root, FIGURE);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) : [];
}

if (!hasRedis && process.env.CI === 'true') {
  test('redis-server is installed in CI (.ci/run installs it)', () => assert.fail(String(skip)));
}

before(async () => {
  if (!hasRedis) return;
  const port = await freePort();
  const dir = path.join(tmpRoot, 'redis');
  fs.mkdirSync(dir);
  const redis = spawn('redis-server', ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], { stdio: 'ignore' });
  children.add(redis);
  redis.once('exit', () => children.delete(redis));
  url = `redis://127.0.0.1:${port}`;
  const q = await waitFor('redis-server to accept connections', 15, () => connectQueue(url, { timeoutSeconds: 1 }).catch(() => undefined));
  await q.close();
});

after(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

test('a worker refuses a job whose expert sha256 differs from its own copy, naming task, both shas and file', () => {
  const cell = figurePlan('fig2-offline', 'quick').grid[0];
  const task = String(cell.task);
  const job = cellJob(cell);
  assert.equal(job.experts.length, 1, 'an offline cell reads one expert');
  const [mine] = job.experts;
  assert.deepEqual(mine, { task, checkpoint: 'expert', sha256: expertSha256(task) }, 'the sha256 the plan put in the cell');
  assert.match(mine.sha256, /^[0-9a-f]{64}$/);
  checkJob(job); // this clone's own experts pass
  const other = 'f'.repeat(64);
  const bad: CellJob = { ...job, experts: [{ ...mine, sha256: other }] };
  assert.throws(() => checkJob(bad), (e: unknown) => e instanceof RefusedJobError && e.message.includes(`'${task}'`) && e.message.includes(other) &&
    e.message.includes(mine.sha256) && e.message.includes(path.join(task, 'expert', '{manifest.json,weights.bin}')));
  assert.deepEqual(cellJob({ figure: 'fig2-offline', kind: 'offline', task, expertCheckpoint: 'half', expertSha256: other }).experts, [{ task, checkpoint: 'half', sha256: other }]);
  assert.throws(() => checkJob({ ...job, codeVersion: 'apc-repro/results-v0' }), /code version 'apc-repro\/results-v0'.*'apc-repro\/results-v1'|this worker runs/);
  assert.deepEqual(cellExperts({ figure: FIGURE, method: 'bc' }), [], 'toy cells read no expert');
  for (const c of figurePlan(FIGURE, 'quick').grid) assert.match(cellJobId(c), /^[0-9a-f]{64}$/, 'job ids are cache keys: no ":" and not an integer');
  assert.equal(job.codeVersion, CODE_VERSION);
  assert.deepEqual(parseRedisUrl('redis://:pw@example.org:7000/2'), { host: 'example.org', port: 7000, db: 2, password: 'pw' });
  assert.throws(() => parseRedisUrl('http://localhost:6379'), /--queue must be a Redis URL \(redis:\/\/HOST:PORT/);
});

test('Redis unreachable: the sweep and the worker exit non-zero within seconds, naming the URL, without a stack trace', { skip, timeout: 60_000 }, async () => {
  const closed = `redis://127.0.0.1:${await freePort()}`;
  for (const [cli, args] of [['sweep', ['--figure', FIGURE, '--profile', 'quick', '--queue', closed]], ['worker', ['--queue', closed]]] as const) {
    const t0 = Date.now();
    const r = run(cli, [...args]);
    const { code } = await r.exit;
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(code, 1, `${cli} exit code; output: ${r.out()}`);
    assert.ok(seconds < 20, `${cli} gave up after ${seconds} s`);
    assert.match(r.out(), new RegExp(`cannot reach Redis at ${closed.replace(/[/.]/g, '\\$&')}`));
    assert.doesNotMatch(r.out(), /\n\s+at /, 'no stack trace');
  }
});

test(`${FIGURE} (quick) through Redis with two workers, one SIGKILLed while it holds a cell: every cell once, rows equal to a local sweep`, { skip, timeout: 900_000 }, async () => {
  const t0 = Date.now();
  const grid = figurePlan(FIGURE, 'quick').grid;
  assert.ok(grid.length >= 4, `${FIGURE} quick has ${grid.length} cells`);
  const queued = path.join(tmpRoot, 'results-queue');
  const local = path.join(tmpRoot, 'results-local');
  const hold = path.join(tmpRoot, 'hold');
  fs.mkdirSync(hold);
  // The reference: a local sweep of the same figure into its own results root, beside the queued one.
  const localSweep = run('sweep', ['--figure', FIGURE, '--profile', 'quick'], { APC_RESULTS_DIR: local });
  const enqueuer = run('sweep', ['--figure', FIGURE, '--profile', 'quick', '--queue', url], { APC_RESULTS_DIR: queued });
  // Short locks (queuedFigure) so that the killed worker's cell is requeued within seconds (cells run in child processes, so
  // the lock is renewed while they compute).
  try {
    await queuedFigure(grid, queued, local, hold, localSweep, enqueuer, t0);
  } finally {
    // Whatever happened, nothing of this test keeps running into the next one.
    for (const c of children) if (c.spawnargs.some((a) => a.endsWith('.js'))) c.kill('SIGKILL');
    const q = await connectQueue(url);
    await q.obliterate({ force: true });
    await q.close();
  }
});

async function queuedFigure(grid: CellConfig[], queued: string, local: string, hold: string, localSweep: Run, enqueuer: Run, t0: number): Promise<void> {
  const fast = ['--lock-seconds', '3', '--stalled-seconds', '1'];
  const doomed = run('worker', ['--queue', url, '--name', 'doomed', ...fast], { APC_QUEUE_TEST_HOLD: hold });
  const held = await waitFor('the first worker to hold a cell', 120, () => fs.readdirSync(hold).find((f) => f.endsWith('.held')));
  const heldId = JSON.parse(fs.readFileSync(path.join(hold, held), 'utf8')).jobId as string;
  assert.equal(held, `${doomed.child.pid}-${heldId}.held`);
  const survivor = run('worker', ['--queue', url, '--name', 'survivor', ...fast]);
  doomed.child.kill('SIGKILL');
  assert.equal((await doomed.exit).signal, 'SIGKILL');

  const logs = { enqueuer, 'local sweep': localSweep, survivor, doomed };
  // About 1 min on an idle 2-core machine (12 cells in each sweep); the bounds leave room for a loaded one.
  const e = await exited(enqueuer, 780, 'the enqueuer', logs);
  assert.equal(e.code, 0, `enqueuer output:\n${enqueuer.out()}`);
  assert.match(enqueuer.out(), new RegExp(`${grid.length} cell\\(s\\) computed by workers, 0 reused from the cache, 0 failed`));
  assert.match(enqueuer.out(), /done \d+, running \d+, failed 0, waiting \d+, workers \d+/, 'progress line with done / running / failed / waiting');
  const queuedSeconds = (Date.now() - t0) / 1000;
  const l = await exited(localSweep, 300, 'the local sweep', logs);
  console.error(`distributed.test: queued sweep done after ${queuedSeconds.toFixed(0)} s, local sweep after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  assert.equal(l.code, 0, `local sweep output:\n${localSweep.out()}`);

  // Every cell exactly once, under its key; the killed worker's cell among them (computed by the survivor).
  const cache = new ResultCache(queued);
  const keys = grid.map((c) => cellJobId(c, cache)).sort();
  const stored = storedCells(queued);
  assert.deepEqual(stored.map((s) => s.key).sort(), keys);
  assert.ok(keys.includes(heldId), 'the held cell is a cell of the figure');
  const rowIds = stored.flatMap((s) => s.rows.map((r) => `${r.method}|${r.x}|${r.seed}`));
  assert.equal(new Set(rowIds).size, rowIds.length, 'no row twice');
  assert.equal(rowIds.length, grid.length);
  // Rows identical to the local sweep's.
  const localCache = new ResultCache(local);
  for (const c of grid) {
    assert.deepEqual(cache.get(c)!.rows, localCache.get(c)!.rows, `rows of ${JSON.stringify(c)}`);
    assert.ok(cache.get(c)!.wallSeconds > 0);
  }
  // Redis holds nothing of the figure any more: completed jobs are removed once stored.
  const q = await connectQueue(url);
  const counts = await q.getJobCounts();
  await q.close();
  assert.deepEqual(Object.values(counts).reduce((a, b) => a + b, 0), 0, JSON.stringify(counts));

  // A rerun recomputes nothing.
  const again = run('sweep', ['--figure', FIGURE, '--profile', 'quick', '--queue', url], { APC_RESULTS_DIR: queued });
  assert.equal((await again.exit).code, 0, again.out());
  assert.match(again.out(), new RegExp(`0 cell\\(s\\) computed by workers, ${grid.length} reused from the cache`));

  survivor.child.kill('SIGTERM');
  assert.equal((await survivor.exit).code, 0, survivor.out());
  assert.match(survivor.out(), new RegExp(heldId), 'the survivor computed the killed worker\'s cell');
}

test('a cell that throws is retried, then reported failed with its error, and no row is written', { skip, timeout: 120_000 }, async () => {
  const results = path.join(tmpRoot, 'results-failing');
  const cache = new ResultCache(results);
  const bogus: CellConfig = { figure: 'fig2-offline', kind: 'no-such-kind', seed: 0 };
  const queue = await connectQueue(url);
  const worker = await startCellWorker(url, { lockSeconds: 3, stalledSeconds: 1 });
  let progress = '';
  try {
    const out = await runQueuedSweep(queue, [bogus], { attempts: 2, backoffSeconds: 0.2, pollSeconds: 0.2, cache, intervalSeconds: 0, stream: { write: (t: string) => (progress += t) } });
    assert.equal(out.computed, 0);
    assert.equal(out.failed.length, 1);
    assert.match(out.failed[0].error, /cell\.kind must be one of offline, dagger, kickstart, select/);
    assert.equal(out.failed[0].attempts, 2, 'retried once, then failed');
    assert.match(progress, /failed 1/);
    assert.equal(cache.get(bogus), null, 'no result row');
    assert.deepEqual(storedCells(results), []);
    assert.ok(!fs.existsSync(path.join(results, 'fig2-offline')) || fs.readdirSync(path.join(results, 'fig2-offline')).length === 0);
    // --status lists it with its error.
    const st = await queueStatus(queue);
    assert.equal(st.counts.failed, 1);
    const status = run('sweep', ['--queue', url, '--status']);
    assert.equal((await status.exit).code, 0, status.out());
    assert.match(status.out(), /failed 1/);
    assert.match(status.out(), new RegExp(`failed fig2-offline ${cellJobId(bogus, cache)} after 2 attempt\\(s\\): cell\\.kind must be one of`));
  } finally {
    await worker.close(true);
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

test('a cell completed while no enqueuer ran is written to the cache by the next run, without computing it again', { skip, timeout: 120_000 }, async () => {
  const name = `${QUEUE_NAME}-harvest`;
  const results = path.join(tmpRoot, 'results-harvest');
  const cache = new ResultCache(results);
  // A toy cell with 10 updates: cheap, computed by the same computeCell as every other cell.
  const cell: CellConfig = { figure: FIGURE, method: 'bc', datasetSize: 2, seed: 0, numUpdates: 10 };
  const id = cellJobId(cell, cache);
  const queue = await connectQueue(url, { name });
  // What an enqueuer stopped right after enqueueing leaves behind: the job, computed by a worker meanwhile.
  await queue.add(FIGURE, cellJob(cell, cache), { jobId: id, removeOnComplete: false });
  const worker = await startCellWorker(url, { queueName: name, lockSeconds: 3, stalledSeconds: 1 });
  try {
    await waitFor('the worker to complete the cell', 60, async () => ((await queue.getJobState(id)) === 'completed' ? true : undefined));
    await worker.close();
    const row = (await queue.getJob(id))!.returnvalue.rows[0];
    const out = await runQueuedSweep(queue, [cell], { cache, pollSeconds: 0.2, stream: { write: () => true } });
    assert.equal(out.computed, 1);
    assert.deepEqual(cache.get(cell)!.rows, [row], 'the completed job\'s rows are stored');
    assert.equal(await queue.getJob(id), undefined, 'and the job is removed once stored');
    const again = await runQueuedSweep(queue, [cell], { cache, pollSeconds: 0.2, stream: { write: () => true } });
    assert.deepEqual({ computed: again.computed, reused: again.reused }, { computed: 0, reused: 1 });
    assert.equal(await queue.getJob(id), undefined, 'a cached cell is never enqueued');
  } finally {
    await worker.close(true);
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

test('a worker hands a job with a different expert back to the queue untouched and says which file differs', { skip, timeout: 60_000 }, async () => {
  const name = `${QUEUE_NAME}-refuse`;
  const queue = new Queue<CellJob, CellReturn>(name, { connection: parseRedisUrl(url) });
  const wrong = '0'.repeat(64);
  const job = cellJob({ figure: 'fig2-offline', kind: 'offline', task: 'cheetah-run', method: 'bc', seed: 0, expertCheckpoint: 'expert', expertSha256: wrong });
  await queue.add('fig2-offline', job, { jobId: 'refused-cell', attempts: 3 });
  let refusal: RefusedJobError | null = null;
  const worker = await startCellWorker(url, { queueName: name, lockSeconds: 3, stalledSeconds: 1, onRefuse: (e) => (refusal = e) });
  try {
    await waitFor('the refusal', 30, () => refusal ?? undefined);
    await worker.close(true);
    assert.match(String(refusal!.message), new RegExp(`'cheetah-run' \\(expert\\) differs: job expects sha256 ${wrong}, this worker's .*cheetah-run/expert/\\{manifest.json,weights.bin\\} has ${expertSha256('cheetah-run')}`));
    const back = (await queue.getJob('refused-cell'))!;
    assert.ok(['delayed', 'waiting'].includes(await back.getState()), `handed back, not failed: ${await back.getState()}`);
    assert.equal(back.attemptsMade, 0, 'no attempt used');
    assert.match((await queue.getJobLogs('refused-cell')).logs.join('\n'), /refused by .*weights\.bin/);
  } finally {
    await worker.close(true);
    await queue.obliterate({ force: true });
    await queue.close();
  }
});
