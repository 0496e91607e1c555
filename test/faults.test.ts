/**
 * Faults and bad inputs (issue "no silent wrong result"): corrupt data, diverged training, mistyped options, busy
 * folders and resumes, each driven through the public API or the CLI. Every test here failed before the guards it
 * checks existed. Run alone with `npm run test:faults`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../src/envs';
import { makeTask } from '../src/envs/registry';
import { VecEnv } from '../src/envs/vec-env';
import { readNpy, writeNpy } from '../src/cloning/npy';
import { cachedDataset, collectDataset, datasetDir, loadDataset, saveDataset } from '../src/cloning/dataset';
import { resolveCloningConfig } from '../src/cloning/config';
import { trainStudent } from '../src/cloning/trainer';
import type { SampleSet } from '../src/cloning/strategies';
import { ResultCache, cached } from '../src/experiments/cache';
import { loadStoredRows, runSweep, type SweepProgress } from '../src/experiments/sweep';
import { GaussianMLP, initBackend, loadCheckpoint, saveCheckpoint } from '../src/policies';
import type { Expert, GaussianParams, ObservationBatch } from '../src/policies/types';
import { trainPPO } from '../src/rl/ppo';
import { CurveWriter, readCurve } from '../src/rl/curve';
import { evaluatePolicy } from '../src/rl/evaluate';
import { listCheckpoints } from '../src/rl/trainer-state';
import { Rng } from '../src/util/rng';

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), `faults-${p}-`));
const CLI = (name: string) => path.join(__dirname, '..', 'src', 'cli', `${name}.js`);
const runCli = (name: string, args: string[]) => spawnSync(process.execPath, [CLI(name), ...args], { encoding: 'utf8' });
const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at .*\(.*:\d+:\d+\)/, `a stack trace was printed:\n${text}`);
const quiet: SweepProgress = { start() {}, tick() {}, finish() {} };

/** Tiny PPO run on cartpole (episodes of 50 steps straddle the 32-step rollouts). */
const TINY = {
  task: 'cartpole-swingup', seed: 3, numEnvs: 4, workers: 0, rolloutLength: 32, epochs: 2, minibatches: 2,
  policyTorso: [16, 16], valueTorso: [16, 16], totalSteps: 4 * 32 * 5, evalEvery: 4 * 32 * 2, evalEpisodes: 2,
  taskOptions: { episodeLength: 50 }, checkpointEvery: 60,
};

/** A cartpole policy checkpoint (untrained) at `dir`. */
async function cartpoleCheckpoint(dir: string): Promise<GaussianMLP> {
  await initBackend();
  const spec = { view: ['position', 'velocity'], groupShapes: { position: [3], velocity: [2] }, groupKinds: { position: 'state' as const, velocity: 'state' as const }, actionDim: 1 };
  const policy = new GaussianMLP(spec, { torso: [8], stateDependentStd: false }, new Rng('faults'));
  await saveCheckpoint(dir, policy, { task: 'cartpole-swingup', step: 0 });
  return policy;
}

/** An expert with a constant mean (datasets without a trained network). */
class ConstantExpert implements Expert {
  constructor(readonly view: string[], readonly actionDim: number, readonly value = 0.1) {}
  distribution(obs: ObservationBatch): GaussianParams {
    return { mean: new Float32Array(obs.batch * this.actionDim).fill(this.value), std: new Float32Array(obs.batch * this.actionDim).fill(0.2) };
  }
}

/** A process that stays alive (a live lock holder) until killed. */
function liveProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
}

// ------------------------------------------------------------------------------------------------ data and files

test('a truncated .npy is refused: cut in its data or inside its header', () => {
  const dir = tmp('npy');
  const f = path.join(dir, 'a.npy');
  writeNpy(f, Float32Array.from({ length: 21000 }, (_, i) => i), [21000]);
  const whole = fs.readFileSync(f);
  assert.equal(readNpy(f).data.length, 21000);
  fs.writeFileSync(f, whole.subarray(0, whole.length - 4000));
  assert.throws(() => readNpy(f), /a\.npy is not a valid \.npy file: shape \(21000\) of <f4 needs 84000 data bytes, the file holds 80000 \(truncated\)/);
  fs.writeFileSync(f, whole.subarray(0, 40));
  assert.throws(() => readNpy(f), /cut inside the header/);
  fs.writeFileSync(f, Buffer.concat([whole, Buffer.alloc(4)]));
  assert.throws(() => readNpy(f), /extra bytes/);
});

test('cachedDataset keeps a copy another process stored meanwhile (it is not removed under its readers)', async () => {
  const root = tmp('datasets-race');
  const expert = new ConstantExpert(['position', 'velocity'], 1);
  const opts = { task: 'cartpole-swingup', trajectories: 1, seed: 7, episodeLength: 20, workers: 0 };
  const sha = 'cd'.repeat(32);
  const dir = datasetDir(root, opts, sha);
  const d = await collectDataset(expert, opts);
  // The other process finishes first: its whole copy appears just before ours is renamed into place.
  // The module object itself (the compiled imports read its properties live), not this file's import namespace.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const realFs = require('node:fs') as { renameSync: typeof fs.renameSync };
  const rename = realFs.renameSync;
  let raced = 0;
  realFs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
    if (String(to) === dir && raced++ === 0) {
      saveDataset(dir, d, { trajectories: 1, actionNoise: 0.2, seed: 7, expertSha256: sha });
      fs.writeFileSync(path.join(dir, 'reader-was-here'), '');
    }
    return rename(from, to);
  };
  try {
    const got = await cachedDataset(root, expert, opts, sha);
    assert.deepEqual(Array.from(got.rewards), Array.from(d.rewards));
  } finally {
    realFs.renameSync = rename;
  }
  assert.equal(raced, 1);
  assert.ok(fs.existsSync(path.join(dir, 'reader-was-here')), 'the copy stored first stays in place');
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), [path.basename(dir)], 'no temporary folder is left');
  assert.deepEqual(Array.from(loadDataset(dir).rewards), Array.from(d.rewards));
});

test('a dataset records every file\'s sha256, refuses a corrupted file on load, and cachedDataset collects it again, saying so', async () => {
  const root = tmp('datasets');
  const expert = new ConstantExpert(['position', 'velocity'], 1);
  const opts = { task: 'cartpole-swingup', trajectories: 2, seed: 5, episodeLength: 20, workers: 0 };
  const warnings: string[] = [];
  const sha = 'ab'.repeat(32);
  const first = await cachedDataset(root, expert, opts, sha, (l) => warnings.push(l));
  const dir = datasetDir(root, opts, sha);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  assert.deepEqual(Object.keys(manifest.sha256).sort(), ['action.npy', 'episode.npy', 'expert_mean.npy', 'expert_std.npy', 'obs.position.npy', 'obs.velocity.npy', 'reward.npy']);
  // Flip one byte of the rewards (same length: only the hash can tell).
  const rf = path.join(dir, 'reward.npy');
  const bytes = fs.readFileSync(rf);
  bytes[bytes.length - 1] ^= 0xff;
  fs.writeFileSync(rf, bytes);
  assert.throws(() => loadDataset(dir), /reward\.npy is corrupted \(sha256 [0-9a-f]{64}, manifest records [0-9a-f]{64}\)/);
  const again = await cachedDataset(root, expert, opts, sha, (l) => warnings.push(l));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /reward\.npy is corrupted.*collecting it again/);
  assert.deepEqual(Array.from(again.rewards), Array.from(first.rewards));
  assert.deepEqual(Array.from(loadDataset(dir).rewards), Array.from(first.rewards));
  // A truncated file whose manifest has no hashes (an older dataset) is still caught by its shape.
  const d = await collectDataset(expert, { ...opts, seed: 6 });
  const old = path.join(root, 'old');
  saveDataset(old, d);
  const m = JSON.parse(fs.readFileSync(path.join(old, 'manifest.json'), 'utf8'));
  delete m.sha256;
  fs.writeFileSync(path.join(old, 'manifest.json'), JSON.stringify(m));
  const af = path.join(old, 'action.npy');
  fs.writeFileSync(af, fs.readFileSync(af).subarray(0, fs.statSync(af).size - 8));
  assert.throws(() => loadDataset(old), /action\.npy is not a valid \.npy file.*truncated/);
});

test('a damaged result cell is reported naming its file and recomputed, never loaded; the aggregation names it', async () => {
  const cache = new ResultCache(tmp('cache'));
  const warnings: string[] = [];
  cache.warn = (l) => warnings.push(l);
  const config = { figure: 'figX', task: 'cartpole-swingup', seed: 0 };
  const row = { figure: 'figX', task: 'cartpole-swingup', method: 'BC', x: 1, seed: 0, return: 0.723 };
  let computed = 0;
  const compute = async () => {
    computed += 1;
    return [row];
  };
  await cached(config, compute, { cache });
  const f = cache.file(config);
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').slice(0, 100));
  assert.equal(cache.get(config), null);
  assert.match(warnings[0], new RegExp(`result cell ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged \\(not valid JSON: .*\\); it will be recomputed`));
  assert.throws(() => cache.list('figX'), new RegExp(`${path.basename(f)} is damaged`));
  assert.throws(() => loadStoredRows([config], cache), new RegExp(`${path.basename(f)} is damaged`));
  const rows = await cached(config, compute, { cache });
  assert.equal(computed, 2);
  assert.deepEqual(rows, [row]);
  assert.equal(cache.list('figX').length, 1);
  // A sweep recomputes a damaged cell too.
  fs.writeFileSync(f, '{"key": "x", "rows": [');
  const swept = await runSweep([config], compute, { cache, progress: quiet });
  assert.equal(swept.computed, 1);
  assert.equal(computed, 3);
});

test('a result row never holds NaN or null: put refuses it, and a stored one is named by the aggregation', () => {
  const cache = new ResultCache(tmp('rows'));
  cache.warn = () => {};
  const config = { figure: 'figX', seed: 1 };
  const row = { figure: 'figX', task: 't', method: 'BC', x: 1, seed: 1, return: NaN };
  assert.throws(() => cache.put(config, [row], 1), /refusing to store the rows of .*row 0 field 'return' is NaN/);
  assert.throws(() => cache.put(config, [{ ...row, return: 1, extra: null }], 1), /row 0 field 'extra' is null/);
  assert.equal(fs.existsSync(cache.file(config)), false);
  // A file written before the check (NaN became null in JSON) is named wherever rows are aggregated.
  cache.put(config, [{ ...row, return: 0.5 }], 1);
  const f = cache.file(config);
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"return": 0.5', '"return": null'));
  assert.throws(() => cache.list('figX'), new RegExp(`result cell .*${path.basename(f)} is damaged: row 0 field 'return' is null`));
  assert.throws(() => loadStoredRows([config], cache), new RegExp(`${path.basename(f)} is damaged: row 0 field 'return' is null`));
  // The validation-only selection cells measure no return; their null return stays valid.
  cache.put({ figure: 'select-cloning', seed: 0 }, [{ figure: 'select-cloning', task: 't', method: 'APC', x: 2, seed: 0, validationMse: 0.02, return: null }], 1);
  assert.equal(cache.list('select-cloning').length, 1);
});

test('curve.csv writes NaN as NaN, not as an empty ("not measured") cell', () => {
  const f = path.join(tmp('curve'), 'curve.csv');
  const w = CurveWriter.open(f);
  w.append({ 'time/env_steps': 0, 'loss/value': NaN, 'eval/return': null });
  const text = fs.readFileSync(f, 'utf8').split('\n')[1].split(',');
  assert.equal(text[5], 'NaN');
  const [row] = readCurve(f);
  assert.ok(Number.isNaN(row['loss/value']));
  assert.equal(row['eval/return'], null);
});

test('PPO: a damaged newest checkpoint falls back to the newest intact one, saying so; three are kept; stale temporaries are removed', async () => {
  const dir = tmp('ckpt');
  for (let k = 0; k < 4; k++) await trainPPO(TINY, dir, { stopAfterIterations: 1 });
  const ckpts = listCheckpoints(path.join(dir, 'checkpoints'));
  assert.deepEqual(ckpts.map((c) => path.basename(c)), ['000000002', '000000003', '000000004']);
  // Kill mid-write leftovers of another (dead) process.
  const leftovers = ['.tmp-000000009-999999', '.old-000000003-999999'].map((n) => path.join(dir, 'checkpoints', n));
  for (const l of leftovers) fs.mkdirSync(l);
  fs.mkdirSync(path.join(dir, '.tmp-best-999999'));
  const newest = ckpts[2];
  const tj = path.join(newest, 'trainer.json');
  fs.writeFileSync(tj, fs.readFileSync(tj, 'utf8').slice(0, 100));
  const lines: string[] = [];
  const r = await trainPPO(TINY, dir, { stopAfterIterations: 1, log: (l) => lines.push(l) });
  assert.equal(r.resumedFrom, ckpts[1]);
  assert.ok(lines.some((l) => l.includes(`checkpoint ${newest} is damaged (trainer state ${tj} is damaged (not valid JSON`)), lines.join('\n'));
  assert.ok(lines.some((l) => l.includes(`resuming from ${ckpts[1]}, the newest intact checkpoint`)));
  for (const l of [...leftovers, path.join(dir, '.tmp-best-999999')]) assert.equal(fs.existsSync(l), false, `${l} was left`);
  // A damaged policy inside the newest checkpoint (weights cut short) falls back the same way.
  const newest2 = listCheckpoints(path.join(dir, 'checkpoints')).at(-1)!;
  const wb = path.join(newest2, 'policy', 'weights.bin');
  fs.writeFileSync(wb, fs.readFileSync(wb).subarray(0, 12));
  const r2 = await trainPPO(TINY, dir, { stopAfterIterations: 1, log: () => {} });
  assert.notEqual(r2.resumedFrom, newest2);
});

test('evaluate checks --out before evaluating and refuses a checkpoint of another task, naming both, without a stack', async () => {
  const dir = tmp('eval');
  (await cartpoleCheckpoint(path.join(dir, 'policy'))).dispose();
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  const t0 = Date.now();
  const bad = runCli('evaluate', ['--task', 'cartpole-swingup', '--policy', path.join(dir, 'policy'), '--episodes', '150', '--workers', '0', '--out', path.join(dir, 'file', 'sub', 'out.json')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--out .*file\/sub\/out\.json cannot be written \((EEXIST|ENOTDIR)/);
  assert.doesNotMatch(bad.stdout, /return/, 'no evaluation ran');
  assert.ok(Date.now() - t0 < 20_000);
  noStack(bad.stderr);
  const other = runCli('evaluate', ['--task', 'reacher-easy', '--policy', path.join(dir, 'policy'), '--episodes', '2', '--workers', '0', '--out', path.join(dir, 'o.json')]);
  assert.equal(other.status, 1);
  assert.match(other.stderr, /was trained for task 'cartpole-swingup', not --task 'reacher-easy'/);
  noStack(other.stderr);
  const typo = runCli('evaluate', ['--task', 'cartpole-swingup', '--policy', path.join(dir, 'policy'), '--episodes', '2', '--workers', '0', '--out', path.join(dir, 'o.json'), '--task-options', '{"episodeLenght": 10}']);
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /unknown task option 'episodeLenght' for task cartpole-swingup; accepted: episodeLength \(integer\)/);
  noStack(typo.stderr);
  assert.equal(fs.existsSync(path.join(dir, 'o.json')), false);
});

// ------------------------------------------------------------------------------------------------ diverged training

/** Three recorded states of one group whose expert means are absurd (1e20: their squared error overflows). */
function absurdSet(): SampleSet {
  return {
    size: 3, actionDim: 1, groups: { x: Float32Array.from([0, 1, 2, 3, 4, 5]) }, groupShapes: { x: [2] }, groupKinds: { x: 'state' },
    expertMean: Float32Array.from([1e20, -1e20, 1e20]), expertStd: Float32Array.from([0.2, 0.2, 0.2]),
  };
}

test('cloning that diverges fails with the update number and its loss, instead of restoring the untrained weights', async () => {
  await initBackend();
  const spec = { view: ['x'], groupShapes: { x: [2] }, groupKinds: { x: 'state' as const }, actionDim: 1 };
  const sane: SampleSet = { ...absurdSet(), expertMean: Float32Array.from([0.1, 0.2, 0.3]) };
  // An absurd learning rate: losses of 1e23+ (finite) are divergence too.
  const s1 = new GaussianMLP(spec, { torso: [16, 16] }, new Rng('s1'));
  const c1 = resolveCloningConfig({ strategy: 'bc', numUpdates: 200, batchSize: 8, validateEvery: 10, learningRate: 1e12 });
  assert.throws(() => trainStudent({ student: s1, expert: null, train: sane, validation: sane, config: c1, rng: new Rng('t') }),
    /cloning diverged at update \d+: (loss\/nll=.*loss\/grad_norm=.*non-finite or beyond 1e\+20|validation NLL)/);
  // Non-finite: targets whose squared error overflows float32.
  const s2 = new GaussianMLP(spec, { torso: [16] }, new Rng('s2'));
  const c2 = resolveCloningConfig({ strategy: 'bc', numUpdates: 20, batchSize: 8, validateEvery: 5 });
  assert.throws(() => trainStudent({ student: s2, expert: null, train: absurdSet(), validation: absurdSet(), config: c2, rng: new Rng('t') }), /cloning diverged at update 1: loss\/nll=(Infinity|NaN)/);
  s1.dispose();
  s2.dispose();
});

test('PPO that diverges fails with the update and its loss terms, writes no row, and keeps its last finite checkpoint', async () => {
  const dir = tmp('ppo-div');
  await assert.rejects(trainPPO({ ...TINY, lr: 1e12 }, dir), /training diverged at PPO iteration 1 \(from env step 0\), epoch 1, minibatch \d: .*loss\/value.*non-finite or beyond 1e\+20 \(loss\/total=.*loss\/policy=.*loss\/value=/);
  assert.equal(readCurve(path.join(dir, 'curve.csv')).length, 1, 'only the untrained evaluation row');
  assert.deepEqual(listCheckpoints(path.join(dir, 'checkpoints')), []);
  // A run that goes NaN after a checkpoint (here its auxiliary loss) keeps that checkpoint as its newest.
  const dir2 = tmp('ppo-nan');
  await trainPPO(TINY, dir2, { stopAfterIterations: 2 });
  const auxLoss = () => ({ loss: tf.scalar(NaN), metrics: {} });
  await assert.rejects(trainPPO(TINY, dir2, { auxLoss }), /training diverged at PPO iteration 3 \(from env step 256\), epoch 1, minibatch 1: loss\/total, loss\/aux non-finite.*loss\/aux=NaN/);
  assert.deepEqual(readCurve(path.join(dir2, 'curve.csv')).map((r) => r['time/env_steps']), [0, 128, 256]);
  const ckpts = listCheckpoints(path.join(dir2, 'checkpoints'));
  assert.equal(path.basename(ckpts.at(-1)!), '000000002');
  const { policy } = await loadCheckpoint(path.join(ckpts.at(-1)!, 'policy'));
  assert.ok(policy.getWeights().every((w) => w.every(Number.isFinite)));
  policy.dispose();
  // The train CLI prints the divergence as a message, exit 1.
  const cli = runCli('train', ['--task', 'cartpole-swingup', '--out', tmp('ppo-cli'), '--profile', 'smoke', '--set', 'lr=1e12', '--set', 'workers=0', '--set', 'numEnvs=4', '--set', 'rolloutLength=32', '--set', 'minibatches=2', '--set', 'evalEpisodes=1', '--set', 'taskOptions={"episodeLength":20}']);
  assert.equal(cli.status, 1, cli.stderr);
  assert.match(cli.stderr, /training diverged at PPO iteration 1/);
  noStack(cli.stderr);
});

// ------------------------------------------------------------------------------------------------ options and identities

test('unknown and mistyped task options are refused everywhere, naming the accepted ones and their types', async () => {
  await assert.rejects(makeTask('cartpole-swingup', { episodeLenght: 10 }), /unknown task option 'episodeLenght' for task cartpole-swingup; accepted: episodeLength \(integer\)/);
  await assert.rejects(makeTask('cartpole-swingup', { episodeLength: '10' as unknown as number }), /task option 'episodeLength' of cartpole-swingup must be integer, got "10"/);
  await assert.rejects(makeTask('reacher-easy', { camera: 'no' }), /task option 'camera' of reacher-easy must be boolean/);
  await assert.rejects(makeTask('manipulator-insert-peg', { shapedReward: 'stagd' }), /shapedReward' of manipulator-insert-peg must be boolean \| 'carry' \| 'staged'/);
  await assert.rejects(makeTask('humanoid-run', { moveSpeed: 3 }), /unknown task option 'moveSpeed' for task humanoid-run; accepted: initialPose \('random' \| 'upright' \| 'mixed'\)/);
  await assert.rejects(VecEnv.create({ task: 'cartpole-swingup', numEnvs: 1, workers: 0, seed: 0, taskOptions: { episodeLenght: 10 } }), /unknown task option 'episodeLenght'/);
  await assert.rejects(evaluatePolicy(new ConstantExpert(['position', 'velocity'], 1), { task: 'cartpole-swingup', episodes: 1, workers: 0, taskOptions: { episodeLenght: 10 } }), /unknown task option 'episodeLenght'/);
  const t = await makeTask('cartpole-swingup', { episodeLength: 10 });
  assert.equal(t.spec.episodeLength, 10);
  t.close();
  // PPO: refused before anything is written, for the run, its evaluation and every curriculum stage.
  const dir = tmp('opts');
  await assert.rejects(trainPPO({ ...TINY, taskOptions: { episodeLenght: 10 } }, dir), /PPO config taskOptions: unknown task option 'episodeLenght'/);
  await assert.rejects(trainPPO({ ...TINY, curriculum: [{ fromSteps: 256, evalTaskOptions: { episodeLength: 1.5 } }] }, dir), /PPO config curriculum\[0\]\.evalTaskOptions: task option 'episodeLength' of cartpole-swingup must be integer, got 1.5/);
  assert.deepEqual(fs.readdirSync(dir), []);
  const cli = runCli('train', ['--task', 'cartpole-swingup', '--out', dir, '--profile', 'smoke', '--set', 'taskOptions={"episodeLenght":10}']);
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /unknown task option 'episodeLenght' for task cartpole-swingup; accepted: episodeLength \(integer\)/);
  noStack(cli.stderr);
});

test('a shape mismatch names the task the policy was trained for; a NaN observation and a non-finite weight are refused', async () => {
  const dir = tmp('policy');
  (await cartpoleCheckpoint(path.join(dir, 'p'))).dispose();
  const { policy } = await loadCheckpoint(path.join(dir, 'p'));
  await assert.rejects(evaluatePolicy(policy, { task: 'reacher-easy', taskOptions: { camera: false }, episodes: 1, workers: 0 }), /observation group 'position' has 2 values, expected batch 1 x size 3 = 3; this policy was trained for task 'cartpole-swingup'/);
  assert.throws(() => policy.distribution({ batch: 1, groups: { position: Float32Array.from([0, 1, NaN]), velocity: new Float32Array(2) } }), /observation group 'position' holds NaN at row 0, entry 2/);
  assert.throws(() => policy.distribution({ batch: 1, groups: { position: new Float32Array(3), velocity: Float32Array.from([Infinity, 0]) } }), /observation group 'velocity' holds Infinity/);
  policy.dispose();
  // A NaN weight whose manifest hash was updated (a checkpoint written from a diverged policy) is refused at load.
  const wb = path.join(dir, 'p', 'weights.bin');
  const bytes = fs.readFileSync(wb);
  bytes.writeFloatLE(NaN, 8);
  fs.writeFileSync(wb, bytes);
  const mf = path.join(dir, 'p', 'manifest.json');
  const m = JSON.parse(fs.readFileSync(mf, 'utf8'));
  m.weights.sha256 = createHash('sha256').update(bytes).digest('hex');
  fs.writeFileSync(mf, JSON.stringify(m));
  await assert.rejects(loadCheckpoint(path.join(dir, 'p')), /tensor 'mlp\/0\/w' holds NaN at entry 2; a policy with non-finite weights is refused/);
});

test('VecEnv checks the whole action batch before any env steps (NaN in env 3, +Infinity)', async () => {
  const opts = { task: 'cartpole-swingup', numEnvs: 4, workers: 0, seed: 7 };
  const a = await VecEnv.create(opts);
  const b = await VecEnv.create(opts);
  try {
    await a.reset();
    await b.reset();
    const bad = new Float32Array(4);
    bad[3] = NaN;
    await assert.rejects(a.step(bad), /actions of env 3: action\[0\] is NaN; every entry must be a finite number in \[-1, 1\] \(no env was stepped\)/);
    const inf = new Float32Array(4);
    inf[1] = Infinity;
    await assert.rejects(a.step(inf), /actions of env 1: action\[0\] is Infinity/);
    // Envs 0-2 did not step: a and b are still in lockstep.
    const sa = await a.step(Float32Array.from([0.5, -0.5, 0.2, 0.1]));
    const sb = await b.step(Float32Array.from([0.5, -0.5, 0.2, 0.1]));
    assert.deepEqual(sa.obs, sb.obs);
  } finally {
    await a.close();
    await b.close();
  }
  const w = await VecEnv.create({ ...opts, workers: 2 });
  try {
    await w.reset();
    await assert.rejects(w.step(Float32Array.from([0, 0, 0, -Infinity])), /actions of env 3: action\[0\] is -Infinity/);
  } finally {
    await w.close();
  }
});

test('two trainers on one --out: the second refuses with the holder\'s PID; a dead holder\'s lock is taken over', async () => {
  const dir = tmp('lock');
  const first = trainPPO(TINY, dir, { stopAfterIterations: 1 });
  await assert.rejects(trainPPO(TINY, dir), new RegExp(`run folder ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is in use by PID ${process.pid} on `));
  await first;
  assert.equal(readCurve(path.join(dir, 'curve.csv')).length, 2);
  // Another process holds it.
  const holder = liveProcess();
  try {
    fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: holder.pid, host: os.hostname(), since: 'now', what: 'test' }));
    await assert.rejects(trainPPO(TINY, dir), new RegExp(`is in use by PID ${holder.pid}`));
    const cli = runCli('train', ['--task', 'cartpole-swingup', '--out', dir, '--profile', 'smoke']);
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, new RegExp(`is in use by PID ${holder.pid}`));
    noStack(cli.stderr);
  } finally {
    holder.kill();
  }
  await new Promise((r) => holder.once('exit', r));
  // Its process is gone: the stale lock is taken over, and released at the end.
  const r = await trainPPO(TINY, dir, { stopAfterIterations: 1 });
  assert.equal(r.status, 'stopped');
  assert.equal(fs.existsSync(path.join(dir, '.lock')), false);
});

test('a sweep skips a cell another process has claimed and waits for its result instead of computing it again', async () => {
  const cache = new ResultCache(tmp('claims'));
  const grid = [{ figure: 'figX', seed: 0 }, { figure: 'figX', seed: 1 }];
  const rowOf = (c: { seed: number }) => ({ figure: 'figX', task: 't', method: 'BC', x: 1, seed: c.seed, return: c.seed + 0.5 });
  const holder = liveProcess();
  const claimFile = `${cache.file(grid[1])}.claim`;
  fs.mkdirSync(path.dirname(claimFile), { recursive: true });
  fs.writeFileSync(claimFile, JSON.stringify({ pid: holder.pid, host: os.hostname(), since: 'now', what: 'other sweep' }));
  const computedSeeds: number[] = [];
  const compute = async (c: Record<string, unknown>) => {
    computedSeeds.push(Number(c.seed));
    return [rowOf(c as { seed: number })];
  };
  // The other sweep finishes its cell a little later.
  setTimeout(() => {
    cache.put(grid[1], [rowOf(grid[1])], 1);
    holder.kill();
    fs.rmSync(claimFile, { force: true });
  }, 400);
  const out = await runSweep(grid, compute, { cache, progress: quiet, claimPollMs: 50 });
  assert.deepEqual(computedSeeds, [0]);
  assert.equal(out.computed, 1);
  assert.equal(out.waitedFor, 1);
  assert.deepEqual(out.rows.map((r) => (r as { seed: number }).seed), [0, 1]);
  // A claim whose process died unfinished is taken over and computed.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const grid2 = [{ figure: 'figX', seed: 2 }];
  fs.writeFileSync(`${cache.file(grid2[0])}.claim`, JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), since: 'then', what: 'killed sweep' }));
  const out2 = await runSweep(grid2, compute, { cache, progress: quiet, claimPollMs: 50 });
  assert.equal(out2.computed, 1);
  assert.deepEqual(computedSeeds, [0, 2]);
  assert.equal(fs.existsSync(`${cache.file(grid2[0])}.claim`), false);
});

test('an interrupted and resumed PPO run is bitwise the uninterrupted one (in-flight episodes replayed, any worker count)', async () => {
  const straight = tmp('straight');
  const resumed = tmp('resumed');
  await trainPPO(TINY, straight);
  await trainPPO(TINY, resumed, { stopAfterIterations: 2 });
  // Resumed with two stepping threads: the replay splits across them.
  const r = await trainPPO({ ...TINY, workers: 2 }, resumed, { stopAfterIterations: 1 });
  assert.notEqual(r.resumedFrom, null);
  await trainPPO(TINY, resumed);
  const strip = (d: string) => readCurve(path.join(d, 'curve.csv')).map((row) => ({ ...row, 'time/wall_s': 0, 'time/fps': 0, 'time/collect_s': 0 }));
  assert.deepEqual(strip(resumed), strip(straight));
  const sha = (d: string) => {
    const last = listCheckpoints(path.join(d, 'checkpoints')).at(-1)!;
    return ['policy/weights.bin', 'state.bin'].map((f) => createHash('sha256').update(fs.readFileSync(path.join(last, f))).digest('hex'));
  };
  assert.deepEqual(sha(resumed), sha(straight));
});
