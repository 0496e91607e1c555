/**
 * PPO maths against hand-computed values; trainer resume (counters, curve continuity); a tiny cartpole-swingup
 * run that must beat the untrained policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { computeGae, clippedSurrogateLoss, valueLoss, gaussianLogProb, boundsLoss, RewardScaler } from '../src/rl/ppo-losses';
import { Adam } from '../src/rl/adam';
import { CurveWriter, readCurve } from '../src/rl/curve';
import { resolvePPOConfig, stageAt } from '../src/rl/config';
import { writeDirAtomically, listCheckpoints, writeFloatArrays, readFloatArrays } from '../src/rl/trainer-state';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

test('GAE matches a hand-computed example: plain, failure (no bootstrap), truncation (bootstrap)', () => {
  // gamma = lambda = 0.5; rewards 1, 2, 3; values 0.5, 1, 1.5; V(s_3) = 2.
  // delta_2 = 3 + 0.5*2 - 1.5 = 2.5;  delta_1 = 2 + 0.5*1.5 - 1 = 1.75;  delta_0 = 1 + 0.5*1 - 0.5 = 1
  // A_2 = 2.5;  A_1 = 1.75 + 0.25*2.5 = 2.375;  A_0 = 1 + 0.25*2.375 = 1.59375
  const base = {
    steps: 3, numEnvs: 1, rewards: Float32Array.of(1, 2, 3), values: Float32Array.of(0.5, 1, 1.5),
    truncationValues: Float32Array.of(0, 4, 0), lastValues: Float32Array.of(2), gamma: 0.5, lambda: 0.5,
  };
  const plain = computeGae({ ...base, dones: Uint8Array.of(0, 0, 0), failures: Uint8Array.of(0, 0, 0) });
  [1.59375, 2.375, 2.5].forEach((x, i) => close(plain.advantages[i], x));
  [2.09375, 3.375, 4.0].forEach((x, i) => close(plain.returns[i], x));
  // Failure after step 1: delta_1 = 2 - 1 = 1, A_1 = 1 (no bootstrap, no carry from A_2); A_0 = 1 + 0.25*1.
  const failed = computeGae({ ...base, dones: Uint8Array.of(0, 1, 0), failures: Uint8Array.of(0, 1, 0) });
  [1.25, 1, 2.5].forEach((x, i) => close(failed.advantages[i], x));
  // Time limit after step 1, value at the cut 4: delta_1 = 2 + 0.5*4 - 1 = 3, A_1 = 3; A_0 = 1 + 0.25*3.
  const truncated = computeGae({ ...base, dones: Uint8Array.of(0, 1, 0), failures: Uint8Array.of(0, 0, 0) });
  [1.75, 3, 2.5].forEach((x, i) => close(truncated.advantages[i], x));
});

test('GAE keeps envs apart in time-major layout and rejects wrong lengths', () => {
  // Env 0 as the plain example; env 1 has zero rewards/values and V(s_T) = 0, so all its advantages are 0.
  const r = computeGae({
    steps: 3, numEnvs: 2, rewards: Float32Array.of(1, 0, 2, 0, 3, 0), values: Float32Array.of(0.5, 0, 1, 0, 1.5, 0),
    dones: new Uint8Array(6), failures: new Uint8Array(6), truncationValues: new Float32Array(6), lastValues: Float32Array.of(2, 0), gamma: 0.5, lambda: 0.5,
  });
  [1.59375, 0, 2.375, 0, 2.5, 0].forEach((x, i) => close(r.advantages[i], x));
  assert.throws(() => computeGae({
    steps: 3, numEnvs: 2, rewards: new Float32Array(5), values: new Float32Array(6), dones: new Uint8Array(6), failures: new Uint8Array(6),
    truncationValues: new Float32Array(6), lastValues: new Float32Array(2), gamma: 0.9, lambda: 0.9,
  }), /rewards has length 5/);
});

test('clipped surrogate loss on a tiny case', () => {
  // ratios 1.5, 0.5, 1.1, 0.5 with advantages 1, -1, 2, 1 and clip 0.2:
  // min(1.5, 1.2) = 1.2; min(-0.5, -0.8) = -0.8; min(2.2, 2.2) = 2.2; min(0.5, 0.8) = 0.5 -> mean 0.775.
  const out = tf.tidy(() => {
    const r = clippedSurrogateLoss(
      tf.tensor1d([Math.log(1.5), Math.log(0.5), Math.log(1.1), Math.log(0.5)]), tf.zeros([4]) as tf.Tensor1D, tf.tensor1d([1, -1, 2, 1]), 0.2,
    );
    return [r.loss.dataSync()[0], (r.metrics['loss/clip_fraction'] as tf.Scalar).dataSync()[0]];
  });
  close(out[0], -0.775);
  close(out[1], 0.75);
});

test('value loss: plain and clipped around the old value', () => {
  // v = 1.2, return 1, old 0, clip 0.5: unclipped error 0.04; clipped v = 0.5 -> 0.25; max 0.25 -> loss 0.125.
  const [plain, clipped] = tf.tidy(() => {
    const v = tf.tensor1d([1.2]), ret = tf.tensor1d([1]), old = tf.tensor1d([0]);
    return [valueLoss(v, ret, old, null).loss.dataSync()[0], valueLoss(v, ret, old, 0.5).loss.dataSync()[0]];
  });
  close(plain, 0.02);
  close(clipped, 0.125);
});

test('Gaussian log-density matches the closed form', () => {
  const lp = tf.tidy(() => gaussianLogProb(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, Math.log(2)]]), tf.tensor2d([[1, 0]])).dataSync()[0]);
  // dim 0: N(1; 0, 1) -> -0.5 - 0.5 log 2pi; dim 1: N(0; 1, 4) -> -0.125 - log 2 - 0.5 log 2pi
  close(lp, -0.5 - 0.125 - Math.log(2) - Math.log(2 * Math.PI), 1e-5);
});

test('reward scaler divides by the running std of the discounted return and round-trips its state', () => {
  const s = new RewardScaler(2, 0.9);
  for (let k = 0; k < 50; k++) s.scale(Float32Array.of(1, 3), Uint8Array.of(0, k % 10 === 9 ? 1 : 0));
  const copy = new RewardScaler(2, 0.9);
  copy.setState(JSON.parse(JSON.stringify(s.getState())));
  const a = s.scale(Float32Array.of(1, 1), Uint8Array.of(0, 0));
  const b = copy.scale(Float32Array.of(1, 1), Uint8Array.of(0, 0));
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.ok(a[0] > 0 && a[0] < 1, `scaled reward ${a[0]} should be shrunk by a return std > 1`);
});

test('Adam: first step moves by lr against the gradient sign; state round-trips; grad-norm clipping', () => {
  const x = tf.variable(tf.tensor1d([1, -2]));
  const adam = new Adam([x]);
  const norm = adam.apply([tf.tensor1d([3, -4])], 0.1, 1);
  close(norm, 5);
  // Bias-corrected first step is lr * g / (|g| + eps') = lr * sign(g) whatever the clipping scale.
  const after = x.dataSync();
  close(after[0], 0.9, 1e-4);
  close(after[1], -1.9, 1e-4);
  const y = tf.variable(tf.tensor1d([0.9, -1.9]));
  y.assign(x);
  const adam2 = new Adam([y]);
  adam2.setState(adam.getState());
  adam.apply([tf.tensor1d([1, 1])], 0.1);
  adam2.apply([tf.tensor1d([1, 1])], 0.1);
  assert.deepEqual(Array.from(x.dataSync()), Array.from(y.dataSync()));
  assert.throws(() => adam.apply([], 0.1), /grads has 0 entries/);
});

test('bounds loss: zero inside [-1, 1], quadratic outside; its gradient brings saturated means back to the bound', () => {
  const v = tf.tidy(() => boundsLoss(tf.tensor2d([[0.5, -1, 2], [-3, 0, 1.5]])).dataSync()[0]);
  // Row 1: (2 - 1)^2 = 1; row 2: (3 - 1)^2 + (1.5 - 1)^2 = 4.25; mean 2.625.
  assert.ok(Math.abs(v - 2.625) < 1e-6, `bounds loss ${v}`);
  assert.equal(tf.tidy(() => boundsLoss(tf.tensor2d([[0.9, -0.99]])).dataSync()[0]), 0);
  const mu = tf.variable(tf.tensor2d([[-4, 3, 0.2]]));
  const adam = new Adam([mu]);
  for (let k = 0; k < 300; k++) {
    const { grads } = tf.variableGrads(() => boundsLoss(mu as unknown as tf.Tensor2D), [mu]);
    adam.apply([grads[mu.name]], 0.05, 100);
    tf.dispose(Object.values(grads));
  }
  const after = Array.from(mu.dataSync());
  assert.ok(after[0] >= -1.05 && after[0] < -0.9 && after[1] <= 1.05 && after[1] > 0.9, `means after: ${after}`);
  assert.ok(Math.abs(after[2] - 0.2) < 1e-6, 'a mean inside the range is untouched');
  mu.dispose();
});

test('curve writer: resume cuts back to the checkpointed rows and appends after them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curve-'));
  const p = path.join(dir, 'curve.csv');
  const w = CurveWriter.open(p);
  for (let s = 1; s <= 5; s++) w.append({ 'time/env_steps': s * 10, 'loss/policy': 0.5 / s });
  const w2 = CurveWriter.open(p, [], 3); // a checkpoint saw 3 rows; rows 4-5 were written after it
  w2.append({ 'time/env_steps': 40 });
  const rows = readCurve(p);
  assert.deepEqual(rows.map((r) => r['time/env_steps']), [10, 20, 30, 40]);
  assert.equal(rows[3]['loss/policy'], null);
  assert.throws(() => CurveWriter.open(p, [], 9), /has 4 rows but its checkpoint expects at least 9/);
  // A curve begun before a standard column existed gains it on resume; its earlier rows leave it empty.
  const old = path.join(dir, 'old.csv');
  fs.writeFileSync(old, 'time/env_steps,loss/policy\n10,0.5\n20,0.25\n');
  const w3 = CurveWriter.open(old, [], 2);
  w3.append({ 'time/env_steps': 30, 'loss/policy': 0.125, 'loss/bounds': 0.01 });
  const header = fs.readFileSync(old, 'utf8').split('\n')[0].split(',');
  assert.deepEqual(header.slice(0, 2), ['time/env_steps', 'loss/policy']);
  assert.ok(header.includes('loss/bounds') && header.includes('eval/return'));
  const oldRows = readCurve(old);
  assert.deepEqual(oldRows.map((r) => [r['time/env_steps'], r['loss/policy'], r['loss/bounds']]), [[10, 0.5, null], [20, 0.25, null], [30, 0.125, 0.01]]);
});

test('atomic folder writes replace whole folders; float arrays round-trip', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
  const target = path.join(dir, '000000001');
  await writeDirAtomically(target, (tmp) => fs.writeFileSync(path.join(tmp, 'trainer.json'), '{"a":1}'));
  await writeDirAtomically(target, (tmp) => fs.writeFileSync(path.join(tmp, 'trainer.json'), '{"a":2}'));
  assert.equal(fs.readFileSync(path.join(target, 'trainer.json'), 'utf8'), '{"a":2}');
  // A fill that throws leaves the previous folder intact.
  await assert.rejects(writeDirAtomically(target, () => { throw new Error('killed'); }), /killed/);
  assert.equal(fs.readFileSync(path.join(target, 'trainer.json'), 'utf8'), '{"a":2}');
  assert.deepEqual(listCheckpoints(dir), [target]);
  const lengths = writeFloatArrays(path.join(dir, 'x.bin'), [Float32Array.of(1, 2), Float32Array.of(3)]);
  assert.deepEqual(readFloatArrays(path.join(dir, 'x.bin'), lengths).map((a) => Array.from(a)), [[1, 2], [3]]);
});

test('PPO config: defaults filled, bad fields named', () => {
  const c = resolvePPOConfig({ task: 'cartpole-swingup' });
  assert.equal(c.gamma, 0.99);
  assert.throws(() => resolvePPOConfig({ task: 'x', gamma: 1.5 }), /gamma must be in \(0, 1\]/);
  assert.throws(() => resolvePPOConfig({ task: 'x', numEnvs: 3, rolloutLength: 5, minibatches: 2 }), /minibatches \(2\) must divide/);
  assert.throws(() => resolvePPOConfig({ task: 'x', lrr: 1 } as any), /unknown PPO config field\(s\): lrr/);
});

// ---------------------------------------------------------------------------------------------------------
// Trainer integration (needs the envs, the VecEnv and the policy modules).
// ---------------------------------------------------------------------------------------------------------
import '../src/envs';
import { trainPPO } from '../src/rl/ppo';
import { evaluatePolicy } from '../src/rl/evaluate';
import { loadCheckpoint, GaussianMLP, saveCheckpointSync } from '../src/policies';
import { Rng } from '../src/util/rng';
import type { PPOConfig } from '../src/rl/config';
import { distanceBin, distanceBinLabels } from '../src/training/cli/peg-probe';
import { censusBins } from '../src/training/cli/peg-census';

const TINY: Partial<PPOConfig> & { task: string } = {
  task: 'cartpole-swingup', seed: 3, numEnvs: 4, workers: 0, rolloutLength: 32, epochs: 2, minibatches: 2,
  policyTorso: [16, 16], valueTorso: [16, 16], totalSteps: 4 * 32 * 5, evalEvery: 4 * 32 * 2, evalEpisodes: 2,
  taskOptions: { episodeLength: 50 }, checkpointEvery: 60,
};

test('an interrupted and resumed run reaches the same counters and continues its curve without duplicates', async () => {
  const dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-resume-'));
  const dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-straight-'));
  const first = await trainPPO(TINY, dirA, { stopAfterIterations: 2 });
  assert.equal(first.status, 'stopped');
  assert.equal(first.envSteps, 256);
  // Rows written after the last checkpoint (a kill between checkpoints) must be dropped on resume.
  fs.appendFileSync(path.join(dirA, 'curve.csv'), '384,1.0\n');
  const second = await trainPPO(TINY, dirA);
  assert.equal(second.status, 'done');
  assert.notEqual(second.resumedFrom, null);
  const straight = await trainPPO(TINY, dirB);
  assert.equal(second.envSteps, straight.envSteps);
  assert.equal(second.iteration, straight.iteration);
  const stepsA = readCurve(path.join(dirA, 'curve.csv')).map((r) => r['time/env_steps']!);
  const stepsB = readCurve(path.join(dirB, 'curve.csv')).map((r) => r['time/env_steps']!);
  assert.deepEqual(stepsA, [0, 128, 256, 384, 512, 640]);
  assert.deepEqual(stepsA, stepsB);
  const evalsA = readCurve(path.join(dirA, 'curve.csv')).filter((r) => r['eval/return'] !== null).map((r) => r['time/env_steps']);
  assert.deepEqual(evalsA, [0, 256, 512, 640]);
  // Milestone policies at every evaluation, and a best one.
  assert.deepEqual(fs.readdirSync(path.join(dirA, 'milestones')).map(Number), [0, 256, 512, 640]);
  // milestoneEvery keeps one only where the newest is that many steps older (it may change on resume).
  const dirM = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-milestones-'));
  await trainPPO({ ...TINY, milestoneEvery: 500 }, dirM, { stopAfterIterations: 3 });
  await trainPPO({ ...TINY, milestoneEvery: 300 }, dirM);
  assert.deepEqual(fs.readdirSync(path.join(dirM, 'milestones')).map(Number), [0, 512]);
  assert.throws(() => resolvePPOConfig({ ...TINY, milestoneEvery: -1 }), /milestoneEvery must be an integer >= 0/);
  assert.ok(fs.existsSync(path.join(dirA, 'best')));
  // Resuming a finished run does nothing more; a different command is refused.
  const again = await trainPPO(TINY, dirA);
  assert.equal(again.envSteps, 640);
  assert.equal(readCurve(path.join(dirA, 'curve.csv')).length, 6);
  await assert.rejects(trainPPO({ ...TINY, lr: 1e-3 }, dirA), /config field 'lr' was 0.0003 and is now 0.001/);
  // Same seed, same command, uninterrupted: bitwise the same losses and evaluations (a resumed one is too, as its
  // in-flight episodes are replayed: test/faults.test.ts).
  const dirC = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-straight-'));
  await trainPPO(TINY, dirC);
  const strip = (d: string) => readCurve(path.join(d, 'curve.csv')).map((r) => ({ ...r, 'time/wall_s': 0, 'time/fps': 0, 'time/collect_s': 0 }));
  assert.deepEqual(strip(dirC), strip(dirB));
});

test('a tiny PPO budget on cartpole-swingup beats a random policy (paired episodes, mean + 3 sem margin)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-cartpole-'));
  const result = await trainPPO({
    task: 'cartpole-swingup', seed: 1, numEnvs: 8, workers: 0, rolloutLength: 128, epochs: 5, minibatches: 4,
    policyTorso: [32, 32], valueTorso: [32, 32], totalSteps: 8 * 128 * 80, evalEvery: 8 * 128 * 80, evalEpisodes: 2,
  }, dir);
  assert.equal(result.status, 'done');
  const { policy } = await loadCheckpoint(path.join(dir, 'milestones', String(result.envSteps).padStart(10, '0')));
  const opts = { task: 'cartpole-swingup', episodes: 8, numEnvs: 8, workers: 0, seed: 99 };
  const trained = await evaluatePolicy(policy, { ...opts, mode: 'mean' });
  // "Random": the untrained policy's mean is ~0, so noise 1.0 around it is close to uniformly random actions.
  const untrained = (await loadCheckpoint(path.join(dir, 'milestones', '0000000000'))).policy;
  const random = await evaluatePolicy(untrained, { ...opts, mode: 'noise', noiseStd: 1.0 });
  assert.ok(trained.mean > random.mean + 3 * (trained.sem + random.sem) + 20,
    `trained ${trained.mean.toFixed(1)} +- ${trained.sem.toFixed(1)} vs random ${random.mean.toFixed(1)} +- ${random.sem.toFixed(1)}`);
  policy.dispose();
  untrained.dispose();
});

test('adaptive learning rate: divided by 1.5 after every iteration whose KL exceeds twice the target, kept across a resume', async () => {
  assert.throws(() => resolvePPOConfig({ task: 'cartpole-swingup', targetKl: 0.01, annealLr: true }), /targetKl .* and annealLr cannot both be set/);
  assert.throws(() => resolvePPOConfig({ task: 'cartpole-swingup', targetKl: -1 }), /targetKl must be null or > 0/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-adaptive-'));
  // A KL target no update can stay under: the rate must fall by 1.5 every iteration.
  const cfg = { ...TINY, targetKl: 1e-12 };
  await trainPPO(cfg, dir, { stopAfterIterations: 2 });
  await trainPPO(cfg, dir);
  const lrs = readCurve(path.join(dir, 'curve.csv')).filter((r) => r['train/lr'] !== null && r['train/lr'] !== undefined).map((r) => r['train/lr']!);
  assert.equal(lrs.length, 5);
  lrs.forEach((lr, i) => assert.ok(Math.abs(lr / (TINY.lr ?? 3e-4) - 1.5 ** -i) < 1e-6, `iteration ${i + 1}: lr ${lr}`));
});

test('a resume may change the curriculum (taskOptions, evalTaskOptions): recorded in config-history.jsonl, best restarts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-stages-'));
  await trainPPO(TINY, dir, { stopAfterIterations: 2 });
  const stage2 = { ...TINY, taskOptions: { episodeLength: 40 }, evalTaskOptions: { episodeLength: 40 } };
  const done = await trainPPO(stage2, dir);
  assert.equal(done.status, 'done');
  const history = fs.readFileSync(path.join(dir, 'config-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(history.length, 2);
  assert.equal(history[0].event, 'start');
  assert.equal(history[1].event, 'resume');
  assert.deepEqual(history[1].inForce.taskOptions.to, { episodeLength: 40 });
  assert.equal(history[0].envSteps, 0);
  assert.deepEqual(history[0].config.taskOptions, { episodeLength: 50 });
  assert.equal(history[1].envSteps, 256);
  assert.deepEqual(history[1].changed.taskOptions, { from: { episodeLength: 50 }, to: { episodeLength: 40 } });
  assert.deepEqual(history[1].changed.evalTaskOptions.to, { episodeLength: 40 });
  // The new evaluation setting is evaluated at once (after the first resumed iteration), and 'best' is its own.
  const evals = readCurve(path.join(dir, 'curve.csv')).filter((r) => r['eval/return'] !== null);
  assert.deepEqual(evals.map((r) => r['time/env_steps']), [0, 256, 384, 640]);
  const best = JSON.parse(fs.readFileSync(path.join(dir, 'best', 'manifest.json'), 'utf8'));
  assert.ok(best.step >= 384, `best at ${best.step} predates the new evaluation setting`);
  // Resuming with the same stage adds no history line; other fields still may not change.
  await trainPPO(stage2, dir);
  assert.equal(fs.readFileSync(path.join(dir, 'config-history.jsonl'), 'utf8').trim().split('\n').length, 2);
  await assert.rejects(trainPPO({ ...stage2, gamma: 0.9 }, dir), /config field 'gamma'/);
});

/** Runs `dist/src/cli/<name>.js` with `args`; asserts that --help exits 0 printing `usage`. */
/** `name`: a command of src/cli, or a path under src (e.g. training/cli/peg-probe). */
function cliRunner(name: string, usage: RegExp): (args: string[]) => SpawnSyncReturns<string> {
  const cli = path.join(__dirname, '..', 'src', ...(name.includes('/') ? [] : ['cli']), `${name}.js`);
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  const help = run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, usage);
  return run;
}

test('evaluate CLI: both modes to a JSON file; --help prints usage; bad flags are named with the accepted ones', () => {
  const run = cliRunner('evaluate', /usage: npm run evaluate -- --task NAME --policy DIR/);
  const unknown = run(['--task', 'cartpole-swingup', '--bogus', '1']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown flag --bogus; accepted: --task, --policy, --out, --episodes/);
  assert.match(run(['--task', 'cartpole-swingup']).stderr, /--task and --policy are required/);
  assert.match(run(['--task', 'cartpole-swingup', '--policy', 'x', '--episodes', 'many']).stderr, /--episodes must be a number, got 'many'/);
  assert.match(run(['--task', 'cartpole-swingup', '--policy', 'x', '--task-options', '[1]']).stderr, /--task-options must be a JSON object, got '\[1\]'/);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'evaluate-cli-')), 'e.json');
  const expert = path.join(__dirname, '..', '..', 'data', 'experts', 'cartpole-swingup', 'expert');
  const ok = run(['--task', 'cartpole-swingup', '--policy', expert, '--episodes', '2', '--workers', '1', '--out', out]);
  assert.equal(ok.status, 0, ok.stderr);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.deepEqual(doc.evaluations.map((e: { mode: string; episodes: number }) => [e.mode, e.episodes]), [['mean', 2], ['noise', 2]]);
  assert.deepEqual(doc.taskOptions, {});
});

test('train CLI: --help prints usage; a bad command line names the problem and the usage, without a stack', () => {
  const run = cliRunner('train', /usage: npm run train -- --task NAME --out DIR/);
  const bad = run(['--task', 'cartpole-swingup', '--out', os.tmpdir(), '--bogus', '1']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown option --bogus; accepted: --task, --out, --steps, --profile, --set\nusage:/);
  assert.doesNotMatch(bad.stderr, /at parseArgs/);
  assert.match(run(['--task', 'cartpole-swingup', '--out', os.tmpdir(), '--profile', 'huge']).stderr, /--profile must be one of smoke, quick, full, got 'huge'/);
});

test('export-expert writes expert/, half/, evaluations and a README block that a re-export replaces, keeping notes', async () => {
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-export-run-'));
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-export-dest-'));
  await trainPPO(TINY, run);
  fs.writeFileSync(path.join(dest, 'README.md'), '# cartpole notes\n\nHand-written history.\n');
  const cli = path.join(__dirname, '..', 'src', 'cli', 'export-expert.js');
  const exportOnce = () => execFileSync(process.execPath, [cli, '--task', 'cartpole-swingup', '--run', run, '--episodes', '2', '--dest', dest], { encoding: 'utf8' });
  exportOnce();
  for (const f of ['expert/manifest.json', 'half/manifest.json', 'evaluation.json', 'half/evaluation.json', 'curve.csv']) assert.ok(fs.existsSync(path.join(dest, f)), f);
  const evaluation = JSON.parse(fs.readFileSync(path.join(dest, 'evaluation.json'), 'utf8'));
  assert.deepEqual(evaluation.evaluations.map((e: { mode: string; episodes: number }) => [e.mode, e.episodes]), [['mean', 2], ['noise', 2]]);
  const first = fs.readFileSync(path.join(dest, 'README.md'), 'utf8');
  assert.match(first, /Hand-written history\./);
  assert.match(first, /\| expert\/ \(best\) \| \d+ \|/);
  exportOnce();
  const second = fs.readFileSync(path.join(dest, 'README.md'), 'utf8');
  assert.equal(second.split('export-expert: begin').length, 2, 'one generated block after two exports');
  assert.match(second, /Hand-written history\./);
  // --expert exports a named policy folder (here the newest checkpoint's) instead of best/.
  const ckpts = fs.readdirSync(path.join(run, 'checkpoints')).sort();
  const chosen = path.join(run, 'checkpoints', ckpts[ckpts.length - 1], 'policy');
  const step = JSON.parse(fs.readFileSync(path.join(chosen, 'manifest.json'), 'utf8')).step;
  execFileSync(process.execPath, [cli, '--task', 'cartpole-swingup', '--run', run, '--episodes', '2', '--dest', dest, '--expert', chosen, '--task-options', '{}'], { encoding: 'utf8' });
  assert.equal(JSON.parse(fs.readFileSync(path.join(dest, 'evaluation.json'), 'utf8')).policyStep, step);
  const readme = fs.readFileSync(path.join(dest, 'README.md'), 'utf8');
  assert.ok(readme.includes(`| expert/ (${chosen}) | ${step} |`));
  // The recorded command can be pasted into a shell: JSON arguments are quoted.
  assert.ok(readme.includes(`--expert ${chosen} --task-options '{}'\``), 'quoted command line');
  const fails = (extra: string[]) => {
    try {
      execFileSync(process.execPath, [cli, '--task', 'cartpole-swingup', '--run', run, '--dest', dest, ...extra], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      return String((e as { stderr: string }).stderr);
    }
    return '';
  };
  // --half names the half/ milestone by its env step (the run's milestones are at 0, 256, 512 and 640).
  const best = JSON.parse(fs.readFileSync(path.join(run, 'best', 'manifest.json'), 'utf8')).step;
  execFileSync(process.execPath, [cli, '--task', 'cartpole-swingup', '--run', run, '--episodes', '2', '--dest', dest, '--half', '256'], { encoding: 'utf8' });
  assert.equal(JSON.parse(fs.readFileSync(path.join(dest, 'half', 'evaluation.json'), 'utf8')).policyStep, 256);
  assert.ok(fs.readFileSync(path.join(dest, 'README.md'), 'utf8').includes('| half/ (milestone chosen with --half) | 256 |'));
  assert.match(fails(['--half', String(best + 1)]), new RegExp(`--half ${best + 1} is not a milestone of .* those are 0`));
  assert.match(fails(['--episodes', '0']), /--episodes must be a positive integer, got 0/);
  assert.match(fails(['--expert', run]), /is not a policy folder/);
  assert.match(fails(['--task-options', '[1]']), /--task-options must be a JSON object/);
  assert.match(fails(['--bogus', '1']), /unknown flag --bogus; accepted: --task, --run/);
});

test('initPolicy warm-starts a new run: its first evaluation is the source policy\'s', async () => {
  const a = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-warm-a-'));
  const b = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-warm-b-'));
  await trainPPO(TINY, a);
  const best = JSON.parse(fs.readFileSync(path.join(a, 'best', 'manifest.json'), 'utf8'));
  await trainPPO({ ...TINY, initPolicy: path.join(a, 'best'), totalSteps: 128 }, b);
  const first = readCurve(path.join(b, 'curve.csv'))[0];
  assert.equal(first['time/env_steps'], 0);
  assert.ok(Math.abs(first['eval/return']! - best.evalReturn) < 1e-4, `${first['eval/return']} vs ${best.evalReturn}`);
  assert.throws(() => resolvePPOConfig({ ...TINY, initPolicy: '' }), /initPolicy must be null or a checkpoint folder path/);
});

test('initPolicy reading exactly the run\'s view is fine-tuned as it is, with its own network settings', async () => {
  const a = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-tune-a-'));
  const b = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-tune-b-'));
  await trainPPO({ ...TINY, totalSteps: 128 }, a);
  const { policy: ppoPolicy } = await loadCheckpoint(path.join(a, 'best'));
  // A student-like source: another torso and a state-dependent std, which a fresh PPO policy never has.
  const source = new GaussianMLP(ppoPolicy.spec, { torso: [8], stateDependentStd: true, activation: 'elu' }, new Rng('tune'));
  const src = path.join(a, 'student');
  saveCheckpointSync(src, source);
  const lines: string[] = [];
  await trainPPO({ ...TINY, initPolicy: src, totalSteps: 256 }, b, { log: (l: string) => lines.push(l) });
  const tuned = (await loadCheckpoint(path.join(b, 'best'))).policy;
  assert.deepEqual([tuned.config.torso, tuned.config.stateDependentStd, tuned.config.activation], [[8], true, 'elu']);
  assert.ok(lines.some((l) => /fine-tuning the policy .* as it is/.test(l)), lines.join('\n'));
  [ppoPolicy, source, tuned].forEach((p) => p.dispose());
});

test('valueView: the value net reads its own view (an asymmetric critic) with its own statistics, and resumes bitwise', async () => {
  // reacher-easy: the policy reads position and velocity ('common'), the value net also the privileged to_target.
  const cfg = { ...TINY, task: 'reacher-easy', view: 'common', valueView: 'expert', taskOptions: { camera: false }, evalTaskOptions: { camera: false } };
  const straight = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-critic-'));
  const resumed = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-critic-r-'));
  await trainPPO(cfg, straight);
  await trainPPO(cfg, resumed, { stopAfterIterations: 2 });
  await trainPPO(cfg, resumed);
  const strip = (d: string) => readCurve(path.join(d, 'curve.csv')).map((r) => ({ ...r, 'time/wall_s': 0, 'time/fps': 0, 'time/collect_s': 0 }));
  assert.deepEqual(strip(resumed), strip(straight));
  const last = (d: string) => { const c = path.join(d, 'checkpoints'); return path.join(c, fs.readdirSync(c).sort().at(-1)!); };
  const json = JSON.parse(fs.readFileSync(path.join(last(straight), 'trainer.json'), 'utf8'));
  // Its statistics cover the 6 values of position, to_target and velocity, over every collected row.
  assert.equal(json.valueNormalizer.mean.length, 6);
  assert.ok(Math.abs(json.valueNormalizer.count - 4 * 32 * 5) < 1);
  // The value net's first kernel reads 6 inputs (state.bin's first array); the policy still reads 4.
  assert.equal(json.floatLengths[0], 6 * 16);
  const { policy } = await loadCheckpoint(path.join(straight, 'best'));
  assert.deepEqual([policy.view, policy.featureSize], [['position', 'velocity'], 4]);
  policy.dispose();
  // A different critic changes the run (the same policy seed otherwise).
  const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-critic-p-'));
  await trainPPO({ ...cfg, valueView: null }, plain);
  assert.notDeepEqual(strip(plain), strip(straight));
  await assert.rejects(trainPPO({ ...cfg, valueView: 'nope' }, fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-critic-x-'))), /has no view 'nope' \(valueView\)/);
  assert.throws(() => resolvePPOConfig({ ...cfg, valueView: '' }), /valueView must be null or a view name/);
});

test('valueWarmupIterations: the policy is frozen while the value function trains, and the adaptive rate waits', async () => {
  assert.throws(() => resolvePPOConfig({ ...TINY, valueWarmupIterations: -1 }), /valueWarmupIterations must be an integer >= 0/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-warmup-'));
  await trainPPO({ ...TINY, valueWarmupIterations: 2, targetKl: 1e-12, totalSteps: 4 * 32 * 3 }, dir);
  const rows = readCurve(path.join(dir, 'curve.csv')).filter((r) => r['train/lr'] != null);
  assert.equal(rows.length, 3);
  // Warm-up iterations: no policy change (KL 0, nothing clipped) and the rate kept; then the rate falls.
  for (const r of rows.slice(0, 2)) {
    assert.ok(Math.abs(r['loss/approx_kl']!) < 1e-6, `kl ${r['loss/approx_kl']}`);
    assert.equal(r['loss/clip_fraction'], 0);
    assert.ok(Math.abs(r['train/lr']! - 3e-4) < 1e-12);
  }
  assert.ok(Math.abs(rows[2]['train/lr']! - 3e-4) < 1e-12, 'the first real update still uses the base rate');
  assert.ok(rows[2]['loss/approx_kl']! !== 0);
});

test('curriculum stages switch task options at their env step; a resume lands in its stage; bad stages are named', async () => {
  assert.throws(() => resolvePPOConfig({ ...TINY, curriculum: [{ fromSteps: 0 }] }), /curriculum\[0\]\.fromSteps must be an integer above 0/);
  assert.throws(() => resolvePPOConfig({ ...TINY, curriculum: [{ fromSteps: 256 }, { fromSteps: 128 }] }), /curriculum\[1\]\.fromSteps must be an integer above 256/);
  assert.throws(() => resolvePPOConfig({ ...TINY, curriculum: [{ fromSteps: 5, options: {} } as any] }), /unknown field\(s\) options/);
  const cfg = { ...TINY, curriculum: [{ fromSteps: 384, taskOptions: { episodeLength: 40 } }, { fromSteps: 512, evalTaskOptions: { episodeLength: 30 } }] };
  assert.deepEqual(stageAt(resolvePPOConfig(cfg), 383), { index: 0, taskOptions: { episodeLength: 50 }, evalTaskOptions: {}, boundsLossCoef: 0, entCoef: 0 });
  assert.deepEqual(stageAt(resolvePPOConfig(cfg), 600), { index: 2, taskOptions: { episodeLength: 40 }, evalTaskOptions: { episodeLength: 30 }, boundsLossCoef: 0, entCoef: 0 });
  const straight = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-curriculum-'));
  await trainPPO(cfg, straight);
  const events = fs.readFileSync(path.join(straight, 'config-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => [e.event, e.envSteps, e.stage]), [['start', 0, undefined], ['stage', 384, 1], ['stage', 512, 2]]);
  // Training episodes are 40 steps long from stage 1 on: 4 envs x 128 steps hold 12 of them (the first ends at 40).
  // Evaluations: every 256 steps, and at once when the evaluation setting changes (512, already due).
  const rows = readCurve(path.join(straight, 'curve.csv'));
  assert.deepEqual(rows.filter((r) => r['eval/return'] !== null).map((r) => r['time/env_steps']), [0, 256, 512, 640]);
  const best = JSON.parse(fs.readFileSync(path.join(straight, 'best', 'manifest.json'), 'utf8'));
  assert.ok(best.step >= 512, 'best restarts with the new evaluation setting');
  // Interrupted inside stage 1 and resumed: same stage events, same counters.
  const resumed = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-curriculum-resume-'));
  await trainPPO(cfg, resumed, { stopAfterIterations: 4 });
  const done = await trainPPO(cfg, resumed);
  assert.equal(done.envSteps, 640);
  const events2 = fs.readFileSync(path.join(resumed, 'config-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events2.map((e) => [e.event, e.envSteps]), [['start', 0], ['stage', 384], ['stage', 512]]);
  // A stage may switch the bounds loss on: logged in the history, and its value in the curve from then on.
  assert.throws(() => resolvePPOConfig({ ...TINY, curriculum: [{ fromSteps: 5, boundsLossCoef: -1 }] }), /curriculum\[0\]\.boundsLossCoef must be a finite number >= 0/);
  assert.throws(() => resolvePPOConfig({ ...TINY, boundsLossCoef: NaN }), /boundsLossCoef must be a finite number >= 0/);
  const bounded = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-bounds-'));
  await trainPPO({ ...TINY, curriculum: [{ fromSteps: 256, boundsLossCoef: 0.5 }] }, bounded);
  const events3 = fs.readFileSync(path.join(bounded, 'config-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events3.map((e) => [e.event, e.envSteps, e.boundsLossCoef]), [['start', 0, undefined], ['stage', 256, 0.5]]);
  // A stage may switch an entropy bonus on: in force from its step, and it widens the policy against a run without.
  assert.throws(() => resolvePPOConfig({ ...TINY, curriculum: [{ fromSteps: 5, entCoef: -0.1 }] }), /curriculum\[0\]\.entCoef must be a finite number >= 0/);
  assert.throws(() => resolvePPOConfig({ ...TINY, entCoef: -1 }), /PPO config entCoef must be a finite number >= 0, got -1/);
  const entCfg = { ...TINY, curriculum: [{ fromSteps: 256, entCoef: 0.5 }] };
  assert.equal(stageAt(resolvePPOConfig(entCfg), 255).entCoef, 0);
  assert.equal(stageAt(resolvePPOConfig(entCfg), 256).entCoef, 0.5);
  const withBonus = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-ent-'));
  await trainPPO(entCfg, withBonus);
  const eventsEnt = fs.readFileSync(path.join(withBonus, 'config-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(eventsEnt.map((e) => [e.event, e.envSteps, e.entCoef]), [['start', 0, undefined], ['stage', 256, 0.5]]);
  const stdBonus = readCurve(path.join(withBonus, 'curve.csv')).at(-1)!['train/std']!;
  const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-plain-'));
  await trainPPO(TINY, plain);
  const stdPlain = readCurve(path.join(plain, 'curve.csv')).at(-1)!['train/std']!;
  assert.ok(stdBonus > stdPlain, `entropy bonus std ${stdBonus} should exceed ${stdPlain} without it`);
  // A stage may reset action means once, when it begins.
  assert.throws(() => resolvePPOConfig({ ...TINY, curriculum: [{ fromSteps: 5, resetActionMeans: [-1] }] }), /resetActionMeans must be a list of action indices/);
  const reset = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-reset-'));
  await trainPPO({ ...TINY, curriculum: [{ fromSteps: 256, resetActionMeans: [0] }] }, reset);
  const events4 = fs.readFileSync(path.join(reset, 'config-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events4.map((e) => [e.event, e.envSteps, e.dims]), [['start', 0, undefined], ['stage', 256, undefined], ['reset-action-means', 256, [0]]]);
  // ... or set the action std once, when it begins.
  assert.throws(() => resolvePPOConfig({ ...TINY, curriculum: [{ fromSteps: 5, resetStd: 2 }] }), /curriculum\[0\]\.resetStd must be a number strictly between minStd \(0\.01\) and maxStd \(1\), got 2/);
  assert.throws(() => resolvePPOConfig({ ...TINY, minStd: 0.1, curriculum: [{ fromSteps: 5, resetStd: 0.05 }] }), /resetStd must be a number strictly between minStd \(0\.1\) and maxStd \(1\), got 0\.05/);
  const widened = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-std-'));
  await trainPPO({ ...TINY, curriculum: [{ fromSteps: 256, resetStd: 0.3 }] }, widened);
  const events5 = fs.readFileSync(path.join(widened, 'config-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events5.map((e) => [e.event, e.envSteps, e.std]), [['start', 0, undefined], ['stage', 256, undefined], ['reset-std', 256, 0.3]]);
  const stds = readCurve(path.join(widened, 'curve.csv')).filter((r) => r['time/env_steps']! > 256).map((r) => r['train/std'] as number);
  assert.ok(stds.length > 0 && stds.every((s) => Math.abs(s - 0.3) < 0.05), `std after the stage: ${stds}`);
  const rows3 = readCurve(path.join(bounded, 'curve.csv'));
  for (const r of rows3) {
    if (r['time/env_steps']! <= 256) assert.equal(r['loss/bounds'], null);
    else assert.ok(typeof r['loss/bounds'] === 'number' && r['loss/bounds'] >= 0, `row at ${r['time/env_steps']}: ${r['loss/bounds']}`);
  }
});

test('peg-probe CLI: counts reached, lifted and inserted starts per start type; bad input is named', () => {
  const run = cliRunner('training/cli/peg-probe', /usage: npm run training:peg-probe -- --policy DIR \[--starts floor,in-hand,/);
  assert.match(run([]).stderr, /--policy is required/);
  assert.match(run(['--policy', 'x', '--starts', 'floor,moon']).stderr, /--starts: unknown start 'moon'; accepted: floor, in-hand, in-hand-closed/);
  assert.match(run(['--policy', 'x', '--episodes', '0']).stderr, /--episodes must be a positive integer/);
  assert.match(run(['--policy', 'x', '--noise', '-1']).stderr, /--noise must be a finite number >= 0/);
  const policy = path.join(__dirname, '..', '..', 'data', 'experts', 'manipulator-insert-peg', 'ppo-run', 'policy-36.2M');
  const out = run(['--policy', policy, '--starts', 'floor-grip-closed,floor', '--episodes', '2', '--steps', '30']);
  assert.equal(out.status, 0, out.stderr);
  const rows = [...out.stdout.matchAll(/^([\w-]+): return ([\d.]+); reached the peg (\d)\/2; held it lifted > 100 steps (\d)\/2; inserted > 100 steps (\d)\/2; peg to slot at the end ([\d.]+) cm \(mean\)$/gm)];
  assert.deepEqual(rows.map((r) => r[1]), ['floor-grip-closed', 'floor']);
  // A hand closed around the peg starts at it, and earns the grasping third (1/3 a step) while it holds on; in 30
  // steps nothing can have been held for more than 100.
  assert.equal(rows[0][3], '2');
  assert.ok(Number(rows[0][2]) > 1, `closed-grip return ${rows[0][2]}`);
  assert.ok(rows.every((r) => r[4] === '0' && r[5] === '0'));
  // Each type's starts, split by distance to the slot, add up to its episodes; floor pegs start > 10 cm away.
  const bins = [...out.stdout.matchAll(/^  ([\w-]+) inserted by start distance: (.*)$/gm)];
  assert.deepEqual(bins.map((b) => b[1]), ['floor-grip-closed', 'floor']);
  for (const b of bins) assert.equal([...b[2].matchAll(/(\d+)\/(\d+)/g)].reduce((a, m) => a + Number(m[2]), 0), 2);
  assert.match(bins[1][2], /^> 10 cm 0\/2$/);
  // Noise changes the actions: with --noise the peg ends elsewhere, and the run says how it acted.
  const noisy = run(['--policy', policy, '--starts', 'floor-grip-closed', '--episodes', '2', '--steps', '30', '--noise', '0.5']);
  assert.equal(noisy.status, 0, noisy.stderr);
  assert.match(noisy.stdout, /mean action \+ noise 0\.5/);
  assert.notEqual(noisy.stdout.match(/peg to slot at the end ([\d.]+) cm/)![1], rows[0][6]);
  // dm_control's in-slot start begins inserted: within 3 cm of the slot.
  const slot = run(['--policy', policy, '--starts', 'in-slot', '--episodes', '1', '--steps', '5']);
  assert.equal(slot.status, 0, slot.stderr);
  assert.match(slot.stdout, /^  in-slot inserted by start distance: < 3 cm [01]\/1$/m);
});

test('peg-probe distance bins: labels and edges', () => {
  assert.deepEqual(distanceBinLabels(), ['< 3 cm', '3-6 cm', '6-10 cm', '> 10 cm']);
  assert.deepEqual([0, 0.0299, 0.03, 0.07, 0.1, 2].map((d) => distanceBin(d)), [0, 0, 1, 2, 3, 3]);
});

test('peg-census bins: counts per |x| bin and in all; unsettled pegs count as starts only', () => {
  const rows = [
    { seed: 1, outcome: 'grip' as const, x: 0.05, z: 0.03, nearest: 0.4 },
    { seed: 2, outcome: 'no-grip' as const, x: -0.38, z: 0.03, nearest: 0.53 },
    { seed: 3, outcome: 'no-grip' as const, x: 0.32, z: 0.03, nearest: 0.5 },
    { seed: 4, outcome: 'unsettled' as const, x: 0, z: 0.6, nearest: 0.2 },
  ];
  const bins = censusBins(rows, 0.515, [0.1, 0.35]);
  assert.deepEqual(bins.map((b) => b.label), ['|x| < 0.1', '0.1 <= |x| < 0.35', '|x| >= 0.35', 'all']);
  assert.deepEqual(bins.map((b) => [b.starts, b.onFloor, b.grip, b.inReach]), [[2, 1, 1, 1], [1, 1, 0, 1], [1, 1, 0, 0], [4, 3, 1, 2]]);
});

test('getup-probe CLI: counts risen starts per blend share; bad input is named', () => {
  const cli = path.join(__dirname, '..', 'src', 'training', 'cli', 'getup-probe.js');
  const run = (args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.throws(() => run([]), /--policy is required/);
  assert.throws(() => run(['--policy', 'x', '--poses', '0']), /--poses must be a positive integer/);
  const out = run(['--policy', path.join(__dirname, '..', '..', 'data', 'experts', 'humanoid-run', 'half'), '--poses', '2', '--steps', '20']);
  const counts = [...out.matchAll(/alpha ([\d.]+): (\d+)\/2/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.deepEqual(counts.map((c) => c[0]), [0, 0.25, 0.5, 0.75, 1]);
  // Within 20 steps of an upright start (alpha 0) nobody has fallen yet; the random pose on the floor (1) is down.
  assert.equal(counts[0][1], 2);
  assert.equal(counts[4][1], 0);
});
