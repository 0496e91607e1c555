/**
 * The native BLAS learner path (src/policies/native-blas.ts) against the tfjs-wasm kernels in one process: the
 * products themselves (all transpose cases, batched, fused bias + activation, fallbacks), forward and gradients of
 * the MLP and the conv encoder, one cloning update and one PPO iteration. Float32 sums in another order differ by
 * a few ulps per product: errors are relative, on the norm of the whole tensor, ||native - wasm|| / ||wasm||.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/util/rng';
import { backendInfo, initBackend } from '../src/policies/backend';
import { learnerPath, loadErrorMessage, nativeCounts, setLearnerPath, threadControlUnavailable, type LearnerPath } from '../src/policies/native-blas';
import { DenseStack } from '../src/policies/mlp';
import { ConvEncoder } from '../src/policies/encoder';
import { GaussianMLP } from '../src/policies/gaussian-mlp';
import { loadCheckpoint } from '../src/policies/checkpoint';
import { trainStudent } from '../src/cloning/trainer';
import { resolveCloningConfig } from '../src/cloning/config';
import type { SampleSet } from '../src/cloning/strategies';
import { trainPPO } from '../src/rl/ppo';

let native = false;
const skipReason = () => `native BLAS path not in use here (${loadErrorMessage() ?? 'APC_LEARNER=wasm'}): install libopenblas-dev and rebuild nblas, or unset APC_LEARNER`;

before(async () => {
  await initBackend();
  native = backendInfo().matmul === 'native';
});

/** ||a - b|| / ||b|| over the whole array. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  assert.ok(n > 0, 'reference is all zeros');
  return Math.sqrt(d / n);
}

/** f's outputs (flattened, read back) on one path. */
function on(p: LearnerPath, f: () => tf.Tensor[]): Float32Array[] {
  const before = learnerPath();
  setLearnerPath(p);
  try {
    return tf.tidy(f).map((t) => {
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return Float32Array.from(v);
    });
  } finally {
    setLearnerPath(before);
  }
}

/** f on native against ref (default f) on the wasm kernels. */
function compare(label: string, f: () => tf.Tensor[], tol: number, ref: () => tf.Tensor[] = f): number[] {
  const w = on('wasm', ref);
  const n = on('native', f);
  return w.map((ref, i) => {
    const e = relErr(n[i], ref);
    assert.ok(e <= tol, `${label} output ${i}: relative error ${e.toExponential(2)} > ${tol}`);
    return e;
  });
}

// 1e-6 on single products (K <= 1280 float32 terms); 1e-5 through networks and their gradients (the bound).
const PRODUCT_TOL = 1e-6;
const NET_TOL = 1e-5;

test('CI runs the native BLAS path', (t) => {
  if (process.env.CI !== 'true') {
    t.skip('not under CI (CI !== "true"): the native path is optional on a developer machine');
    return;
  }
  assert.equal(backendInfo().matmul, 'native', `CI must run matrix products on native BLAS; nblas: ${loadErrorMessage()}`);
});

test('native products match the wasm kernels: transposes, batches, broadcast, fused bias and activations', (t) => {
  if (!native) return t.skip(skipReason());
  const rng = new Rng(1);
  const r = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal()), shape);
  const a = r([300, 70]);
  const b = r([70, 50]);
  const bt = r([50, 70]);
  const at = r([70, 300]);
  const counts0 = { ...nativeCounts };
  compare('plain', () => [tf.matMul(a, b)], PRODUCT_TOL);
  compare('transposeA', () => [tf.matMul(at, b, true, false)], PRODUCT_TOL);
  compare('transposeB', () => [tf.matMul(a, bt, false, true)], PRODUCT_TOL);
  compare('both', () => [tf.matMul(at, bt, true, true)], PRODUCT_TOL);
  const a3 = r([4, 9, 7]);
  const b3 = r([4, 7, 5]);
  compare('batched', () => [tf.matMul(a3, b3)], PRODUCT_TOL);
  const b2 = r([7, 5]);
  const a1 = r([1, 7, 9]);
  const b4 = r([4, 5, 7]);
  compare('batched, b broadcast', () => [tf.matMul(a3, b2)], PRODUCT_TOL);
  compare('batched, a broadcast, transposed', () => [tf.matMul(a1, b4, true, true)], PRODUCT_TOL);
  const bias = r([50]);
  for (const activation of ['linear', 'relu', 'elu', 'relu6', 'sigmoid'] as const) {
    compare(`fused ${activation}`, () => [tf.fused.matMul({ a, b, bias, activation })], PRODUCT_TOL);
    // The reference is unfused here: tfjs-wasm 4.22's own fused kernel gets relu without a bias wrong (relative
    // error 0.28 against relu(matMul) on this case), the native kernel does not.
    const unfused = () => {
      const z = tf.matMul(at, bt, true, true);
      return [activation === 'linear' ? z : activation === 'relu' ? tf.relu(z) : activation === 'elu' ? tf.elu(z) : activation === 'relu6' ? tf.relu6(z) : tf.sigmoid(z)];
    };
    compare(`fused ${activation}, no bias, transposed`, () => [tf.fused.matMul({ a: at, b: bt, transposeA: true, transposeB: true, activation })], PRODUCT_TOL, unfused);
  }
  const bias1 = r([1]);
  // Against the unfused reference: tfjs-wasm's fused kernel does not broadcast a size-1 bias.
  compare('fused scalar bias', () => [tf.fused.matMul({ a, b, bias: bias1, activation: 'elu' })], PRODUCT_TOL, () => [tf.elu(tf.add(tf.matMul(a, b), bias1))]);
  // 7 plain products, 10 fused, 1 scalar bias: each ran natively once.
  assert.equal(nativeCounts.native - counts0.native, 18);
  assert.equal(nativeCounts.fallback, counts0.fallback);
  // leakyrelu / prelu go to the wasm kernel: same numbers exactly, counted as fallbacks.
  const fb = nativeCounts.fallback;
  const e = compare('fused leakyrelu (fallback)', () => [tf.fused.matMul({ a, b, bias, activation: 'leakyrelu', leakyreluAlpha: 0.1 })], PRODUCT_TOL);
  assert.equal(e[0], 0);
  assert.equal(nativeCounts.fallback, fb + 1);
});

test('MLP forward and gradients: native vs wasm within 1e-5 (relative)', (t) => {
  if (!native) return t.skip(skipReason());
  const rng = new Rng(2);
  for (const activation of ['elu', 'relu', 'tanh'] as const) {
    const net = new DenseStack(67, [256, 256, 42], activation, new Rng(3));
    const x = tf.tensor2d(Float32Array.from({ length: 640 * 67 }, () => rng.normal()), [640, 67]);
    const errs = compare(`MLP ${activation}`, () => {
      const vars = net.trainableVariables();
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(net.apply(x))) as tf.Scalar, vars);
      const gx = tf.grad((xi: tf.Tensor) => tf.sum(tf.sin(net.apply(xi as tf.Tensor2D))))(x);
      return [net.apply(x), value, gx, ...vars.map((v) => grads[v.name])];
    }, NET_TOL);
    assert.equal(errs.length, 3 + 6);
    t.diagnostic(`MLP ${activation}: max relative error ${Math.max(...errs).toExponential(2)}`);
    x.dispose();
    net.dispose();
  }
});

test('conv encoder forward and gradients: native vs wasm within 1e-5 (relative)', (t) => {
  if (!native) return t.skip(skipReason());
  const rng = new Rng(4);
  const enc = new ConvEncoder([32, 32, 1], { channels: [16, 32], kernel: 3, stride: 2, outDim: 64 }, 'elu', new Rng(5));
  const x = tf.tensor4d(Float32Array.from({ length: 16 * 32 * 32 }, () => rng.uniform()), [16, 32, 32, 1]);
  const counts0 = nativeCounts.native;
  const errs = compare('encoder', () => {
    const vars = enc.trainableVariables();
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(enc.apply(x))) as tf.Scalar, vars);
    return [enc.apply(x), value, ...vars.map((v) => grads[v.name])];
  }, NET_TOL);
  assert.ok(nativeCounts.native > counts0, 'the encoder head ran on native BLAS');
  t.diagnostic(`encoder: max relative error ${Math.max(...errs).toExponential(2)}`);
  x.dispose();
  enc.dispose();
});

function toySet(rng: Rng, n: number): SampleSet {
  const x = Float32Array.from({ length: n * 12 }, () => rng.normal());
  const mean = Float32Array.from({ length: n * 3 }, (_, i) => Math.tanh(x[Math.floor(i / 3) * 12 + (i % 3)]));
  return { size: n, actionDim: 3, groups: { x }, groupShapes: { x: [12] }, groupKinds: { x: 'state' }, expertMean: mean, expertStd: new Float32Array(n * 3).fill(0.2) };
}

test('one APC cloning update: the same student weights on both paths', (t) => {
  if (!native) return t.skip(skipReason());
  const data = toySet(new Rng(6), 64);
  const expert = new GaussianMLP({ view: ['x'], groupShapes: { x: [12] }, groupKinds: { x: 'state' }, actionDim: 3 }, { torso: [32, 32] }, new Rng(7));
  const weights: Float32Array[][] = [];
  for (const p of ['wasm', 'native'] as const) {
    setLearnerPath(p);
    const student = new GaussianMLP({ view: ['x'], groupShapes: { x: [12] }, groupKinds: { x: 'state' }, actionDim: 3 }, { torso: [64, 64] }, new Rng(8));
    trainStudent({ student, expert, train: data, validation: null, config: resolveCloningConfig({ strategy: 'apc', numAugmented: 4, batchSize: 32, numUpdates: 1 }), rng: new Rng(9) });
    weights.push(student.trainableVariables().map((v) => Float32Array.from(v.dataSync() as Float32Array)));
    student.dispose();
  }
  setLearnerPath('native');
  expert.dispose();
  const errs = weights[0].map((w, i) => {
    const e = relErr(weights[1][i], w);
    assert.ok(e <= NET_TOL, `variable ${i}: relative error ${e.toExponential(2)}`);
    return e;
  });
  t.diagnostic(`cloning update: max relative error ${Math.max(...errs).toExponential(2)}`);
});

test('one PPO iteration: the same policy on both paths', async (t) => {
  if (!native) return t.skip(skipReason());
  const config = {
    task: 'cartpole-swingup', seed: 3, numEnvs: 4, workers: 0, rolloutLength: 32, epochs: 2, minibatches: 2,
    policyTorso: [32, 32], valueTorso: [32, 32], totalSteps: 128, evalEvery: 1280, evalEpisodes: 1,
    taskOptions: { episodeLength: 50 }, checkpointEvery: 60,
  };
  const weights: Float32Array[][] = [];
  for (const p of ['wasm', 'native'] as const) {
    setLearnerPath(p);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `native-blas-ppo-${p}-`));
    try {
      const r = await trainPPO(config, dir);
      assert.equal(r.envSteps, 128);
      const ckpts = path.join(dir, 'checkpoints');
      const last = fs.readdirSync(ckpts).sort().pop();
      assert.ok(last, 'a checkpoint was written');
      const { policy } = await loadCheckpoint(path.join(ckpts, last, 'policy'));
      weights.push(policy.trainableVariables().map((v) => Float32Array.from(v.dataSync() as Float32Array)));
      policy.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  setLearnerPath('native');
  // The rollout's actions differ by float32 rounding (policy forward on both paths), the environment integrates
  // them, and 4 Adam steps follow; still within the same bound (measured here: 2.1e-7).
  const errs = weights[0].map((w, i) => {
    const e = relErr(weights[1][i], w);
    assert.ok(e <= NET_TOL, `policy variable ${i}: relative error ${e.toExponential(2)}`);
    return e;
  });
  t.diagnostic(`PPO iteration: max relative error ${Math.max(...errs).toExponential(2)}`);
});

test('without nblas the learner runs on tfjs-wasm and says so once at start-up', () => {
  // A child process in which require('nblas') fails, as on a machine without libopenblas-dev.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'native-blas-missing-'));
  const preload = path.join(dir, 'no-nblas.js');
  fs.writeFileSync(preload, [
    "const M = require('module'); const orig = M._resolveFilename;",
    "M._resolveFilename = function (r, ...a) { if (r === 'nblas') throw Object.assign(new Error(\"Cannot find module 'nblas'\"), { code: 'MODULE_NOT_FOUND' }); return orig.call(this, r, ...a); };",
  ].join('\n'));
  const policies = path.join(__dirname, '..', 'src', 'policies');
  const script = `const p = require(${JSON.stringify(policies)}); p.initBackend().then(() => p.initBackend()).then(() => console.log(JSON.stringify(p.backendInfo())));`;
  const env = { ...process.env };
  delete env.APC_LEARNER;
  const r = spawnSync(process.execPath, ['-r', preload, '-e', script], { encoding: 'utf8', env });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim()).matmul, 'wasm');
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('learner:'));
  assert.deepEqual(lines, ["learner: matrix products on tfjs-wasm (native BLAS unavailable: Cannot find module 'nblas')"]);
});

test('CI switches BLAS threads by phase (the apc-blas-threads addon is built)', (t) => {
  if (process.env.CI !== 'true') {
    t.skip('not under CI (CI !== "true"): the thread-control addon is optional on a developer machine');
    return;
  }
  assert.equal(backendInfo().blasPhases, true, `CI must build native/blas-threads (npm ci): ${threadControlUnavailable()}`);
});

/**
 * A child process with APC_BLAS_THREADS=2 (the thread count is the library's, so it needs its own process): phases
 * set and restore OpenBLAS's count, and in a tiny PPO run the update's products run on 2 threads and collection's
 * and evaluation's on 1. Returns the child's report.
 */
function phaseReport(threads: number): {
  start: number; inAct: number; after: number; nested: number; afterThrow: number; afterReject: number; busyLearn: number; busyAct: number;
  evalOnly: Record<string, number>; ppo: Record<string, number>; weights: number[][];
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'native-blas-phases-'));
  const src = path.join(__dirname, '..', 'src');
  const script = `
    const nb = require(${JSON.stringify(path.join(src, 'policies', 'native-blas'))});
    const { initBackend } = require(${JSON.stringify(path.join(src, 'policies'))});
    const { evaluatePolicy } = require(${JSON.stringify(path.join(src, 'rl', 'evaluate'))});
    const { trainPPO } = require(${JSON.stringify(path.join(src, 'rl', 'ppo'))});
    const { loadCheckpoint } = require(${JSON.stringify(path.join(src, 'policies', 'checkpoint'))});
    const fs = require('node:fs'), path = require('node:path');
    (async () => {
      await initBackend();
      const out = {};
      out.start = nb.currentBlasThreads();
      out.inAct = nb.inBlasPhase('act', () => nb.currentBlasThreads());
      out.after = nb.currentBlasThreads();
      out.nested = nb.inBlasPhase('act', () => nb.inBlasPhase('learn', () => nb.currentBlasThreads()));
      try { nb.inBlasPhase('act', () => { throw new Error('boom'); }); } catch {}
      out.afterThrow = nb.currentBlasThreads();
      await nb.inBlasPhase('act', async () => { throw new Error('boom'); }).catch(() => {});
      out.afterReject = nb.currentBlasThreads();
      // OS threads that accrue CPU time (/proc, clock ticks) during large products through tfjs's kernels: the
      // count reaches nblas's sgemm, not just the addon's view of it.
      const tf = require('@tensorflow/tfjs');
      const ticks = () => Object.fromEntries(fs.readdirSync('/proc/self/task').map((t) => {
        const f = fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ');
        return [t, Number(f[11]) + Number(f[12])];
      }));
      const busy = (phase) => nb.inBlasPhase(phase, () => {
        const a = tf.ones([1024, 1024]);
        tf.matMul(a, a).dispose();
        const t0 = ticks();
        for (let i = 0; i < 8; i++) tf.matMul(a, a).dataSync();
        const t1 = ticks();
        a.dispose();
        // Busy: at least a quarter of the busiest thread's ticks (V8's helper threads accrue a few).
        const d = Object.keys(t1).map((k) => t1[k] - (t0[k] ?? 0));
        const top = Math.max(...d);
        return d.filter((x) => x >= Math.max(2, top / 4)).length;
      });
      out.busyAct = busy('act');
      out.busyLearn = busy('learn');
      const reset = () => { for (const k of Object.keys(nb.productsAtThreads)) delete nb.productsAtThreads[k]; };
      reset();
      const config = { task: 'cartpole-swingup', seed: 3, numEnvs: 4, workers: 0, rolloutLength: 32, epochs: 2, minibatches: 2,
        policyTorso: [32, 32], valueTorso: [32, 32], totalSteps: 128, evalEvery: 1280, evalEpisodes: 1,
        taskOptions: { episodeLength: 50 }, checkpointEvery: 60 };
      await trainPPO(config, ${JSON.stringify(dir)});
      out.ppo = { ...nb.productsAtThreads };
      const ckpts = path.join(${JSON.stringify(dir)}, 'checkpoints');
      const last = fs.readdirSync(ckpts).sort().pop();
      const { policy } = await loadCheckpoint(path.join(ckpts, last, 'policy'));
      out.weights = policy.trainableVariables().map((v) => Array.from(v.dataSync()));
      reset();
      await evaluatePolicy(policy, { task: 'cartpole-swingup', episodes: 2, seed: 1, workers: 0, taskOptions: { episodeLength: 20 } });
      out.evalOnly = { ...nb.productsAtThreads };
      console.log(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const env: NodeJS.ProcessEnv = { ...process.env, APC_BLAS_THREADS: String(threads), APC_LEARNER: 'native' };
  delete env.OPENBLAS_NUM_THREADS;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('BLAS phases: updates on APC_BLAS_THREADS threads, collection and evaluation on 1, same maths', (t) => {
  if (!native) return t.skip(skipReason());
  if (threadControlUnavailable() !== null) return t.skip(`BLAS thread control unavailable: ${threadControlUnavailable()}`);
  const two = phaseReport(2);
  assert.deepEqual([two.start, two.inAct, two.after, two.nested, two.afterThrow, two.afterReject], [2, 1, 2, 2, 2, 2]);
  if (process.platform === 'linux') {
    assert.ok(two.busyLearn >= 2, `threads busy in large products, learn phase: ${two.busyLearn} (expected >= 2)`);
    assert.equal(two.busyAct, 1, 'threads busy in large products, act phase');
  }
  assert.deepEqual(Object.keys(two.evalOnly), ['1'], `evaluation's products by thread count: ${JSON.stringify(two.evalOnly)}`);
  assert.ok((two.ppo['2'] ?? 0) > 0 && (two.ppo['1'] ?? 0) > 0, `PPO's products by thread count: ${JSON.stringify(two.ppo)}`);
  const one = phaseReport(1);
  assert.deepEqual(Object.keys(one.ppo), ['1']);
  const errs = two.weights.map((w, i) => relErr(w, one.weights[i]));
  assert.ok(Math.max(...errs) <= NET_TOL, `PPO weights, 2 vs 1 BLAS threads: relative error ${Math.max(...errs).toExponential(2)}`);
  t.diagnostic(`PPO products by threads ${JSON.stringify(two.ppo)}; weights 2 vs 1 threads: max relative error ${Math.max(...errs).toExponential(2)}`);
});
