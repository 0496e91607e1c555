/**
 * Tests for src/policies: Gaussian formulas against hand-computed closed forms and a Monte-Carlo estimate, the
 * custom-gradient dense and conv layers against tfjs's own gradients, deterministic init, the running normaliser,
 * and checkpoint round trips / refusals.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/util/rng';
import { initBackend } from '../src/policies/backend';
import { gaussianCrossEntropy, gaussianEntropy, gaussianKl, gaussianLogProb, gaussianNll } from '../src/policies/distributions';
import { denseLayer, DenseStack, orthogonalMatrix, type Activation } from '../src/policies/mlp';
import { conv2dLayer, ConvEncoder } from '../src/policies/encoder';
import { RunningNormalizer } from '../src/policies/normalizer';
import { GaussianMLP, type PolicySpec } from '../src/policies/gaussian-mlp';
import { loadCheckpoint, loadExpert, saveCheckpoint } from '../src/policies/checkpoint';
import { warmStartFrom, resetActionMeans, setActionStd, WARM_START_COUNT } from '../src/policies/warm-start';
import { expertsRoot } from '../src/util/paths';

const LOG_2PI = Math.log(2 * Math.PI);
const tmpDir = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `policies-${label}-`));
const arr = (rng: Rng, n: number, scale = 1, offset = 0) => Float32Array.from({ length: n }, () => offset + scale * rng.normal());
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

before(async () => {
  await initBackend();
});

test('initBackend is idempotent and picks wasm here (no native backend registered)', async () => {
  const a = await initBackend();
  const b = await initBackend();
  assert.equal(a, b);
  assert.equal(tf.getBackend(), a);
  if (tf.findBackendFactory('tensorflow') == null) assert.equal(a, 'wasm');
});

test('gaussianLogProb, gaussianNll and gaussianEntropy match the closed forms computed by hand', () => {
  const rng = new Rng(1);
  const B = 5;
  const A = 3;
  const mean = arr(rng, B * A);
  const logStd = arr(rng, B * A, 0.5, -0.5);
  const action = arr(rng, B * A, 2);
  const [lp, nll, ent] = tf.tidy(() => {
    const m = tf.tensor2d(mean, [B, A]);
    const s = tf.tensor2d(logStd, [B, A]);
    const a = tf.tensor2d(action, [B, A]);
    return [gaussianLogProb(m, s, a).arraySync(), gaussianNll(m, s, a).arraySync(), gaussianEntropy(s).arraySync()];
  });
  for (let r = 0; r < B; r++) {
    let wantLp = 0;
    let wantEnt = 0;
    for (let d = 0; d < A; d++) {
      const i = r * A + d;
      const sigma = Math.exp(logStd[i]);
      // log N(x; mu, sigma) = -(x - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2
      wantLp += -((action[i] - mean[i]) ** 2) / (2 * sigma * sigma) - Math.log(sigma) - 0.5 * LOG_2PI;
      // H = log(sigma sqrt(2 pi e))
      wantEnt += Math.log(sigma * Math.sqrt(2 * Math.PI * Math.E));
    }
    assert.ok(Math.abs(lp[r] - wantLp) < 1e-4 * Math.max(1, Math.abs(wantLp)), `row ${r}: logProb ${lp[r]} vs ${wantLp}`);
    assert.ok(Math.abs(nll[r] + wantLp) < 1e-4 * Math.max(1, Math.abs(wantLp)), `row ${r}: nll ${nll[r]} vs ${-wantLp}`);
    assert.ok(Math.abs(ent[r] - wantEnt) < 1e-5 * Math.max(1, Math.abs(wantEnt)), `row ${r}: entropy ${ent[r]} vs ${wantEnt}`);
  }
});

test('gaussianCrossEntropy H[p_E || p] matches a Monte-Carlo estimate and equals entropy when p = p_E', () => {
  const rng = new Rng(2);
  const A = 4;
  const muE = [0.3, -1.0, 0.0, 0.7];
  const sigE = [0.2, 0.5, 1.0, 0.05];
  const mu = [0.0, -0.5, 0.4, 0.7];
  const sig = [0.4, 0.3, 1.5, 0.1];
  const ce = tf.tidy(() =>
    gaussianCrossEntropy(tf.tensor2d([muE]), tf.tensor2d([sigE]), tf.tensor2d([mu]), tf.log(tf.tensor2d([sig]))).dataSync()[0],
  );
  // -E_{a ~ p_E} log p(a), by sampling.
  const N = 200_000;
  let sum = 0;
  let sumSq = 0;
  for (let n = 0; n < N; n++) {
    let nlp = 0;
    for (let d = 0; d < A; d++) {
      const a = muE[d] + sigE[d] * rng.normal();
      nlp += ((a - mu[d]) ** 2) / (2 * sig[d] ** 2) + Math.log(sig[d]) + 0.5 * LOG_2PI;
    }
    sum += nlp;
    sumSq += nlp * nlp;
  }
  const mc = sum / N;
  const se = Math.sqrt((sumSq / N - mc * mc) / N);
  assert.ok(Math.abs(ce - mc) < 4 * se + 1e-4, `closed form ${ce} vs Monte Carlo ${mc} +- ${se}`);
  const [self, ent, kl] = tf.tidy(() => {
    const m = tf.tensor2d([mu]);
    const s = tf.tensor2d([sig]);
    return [gaussianCrossEntropy(m, s, m, tf.log(s)).dataSync()[0], gaussianEntropy(tf.log(s)).dataSync()[0], gaussianKl(m, s, m, tf.log(s)).dataSync()[0]];
  });
  assert.ok(Math.abs(self - ent) < 1e-5, `H[p || p] ${self} should equal H[p] ${ent}`);
  assert.ok(Math.abs(kl) < 1e-5, `KL(p || p) = ${kl}`);
  assert.throws(() => gaussianLogProb(tf.zeros([2, 3]), tf.zeros([2, 2]), tf.zeros([2, 3])), /logStd has shape \[2,2\], expected \[2,3\]/);
});

test('dense layer custom gradient equals tfjs built-in gradients (tf.grads on tf.matMul) to 1e-5', () => {
  const rng = new Rng(3);
  const B = 17;
  const I = 11;
  const O = 7;
  for (const act of ['elu', 'relu', 'tanh', 'linear'] as Activation[]) {
    tf.tidy(() => {
      const x = tf.tensor2d(arr(rng, B * I), [B, I]);
      const w = tf.tensor2d(arr(rng, I * O, 0.5), [I, O]);
      const b = tf.tensor1d(arr(rng, O, 0.3));
      const upstream = tf.tensor2d(arr(rng, B * O), [B, O]);
      const ref = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
        const z = tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), bb);
        const y = act === 'elu' ? tf.elu(z) : act === 'relu' ? tf.relu(z) : act === 'tanh' ? tf.tanh(z) : z;
        return tf.sum(tf.mul(y, upstream));
      };
      const mine = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(denseLayer(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, act), upstream));
      assert.ok(Math.abs(ref(x, w, b).dataSync()[0] - mine(x, w, b).dataSync()[0]) < 1e-4, `${act}: forward differs`);
      const gRef = tf.grads(ref)([x, w, b]);
      const gMine = tf.grads(mine)([x, w, b]);
      ['dx', 'dw', 'db'].forEach((name, i) => {
        const r = gRef[i].dataSync();
        const d = maxAbsDiff(r, gMine[i].dataSync());
        assert.ok(d <= 1e-5 * Math.max(1, maxAbs(r)), `${act} ${name}: max |diff| ${d}`);
      });
      // needInputGrad = false: same dW, db; dX reported as zeros.
      const gNoX = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(denseLayer(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, act, false), upstream)))([x, w, b]);
      assert.equal(maxAbs(gNoX[0].dataSync()), 0);
      assert.ok(maxAbsDiff(gNoX[1].dataSync(), gMine[1].dataSync()) === 0);
    });
  }
});

test('DenseStack gradients through several layers equal the built-in ones', () => {
  const rng = new Rng(4);
  const net = new DenseStack(6, [16, 16, 3], 'elu', rng);
  tf.tidy(() => {
    const x = tf.tensor2d(arr(rng, 9 * 6), [9, 6]);
    const vars = net.trainableVariables();
    const mine = tf.variableGrads(() => tf.sum(tf.square(net.apply(x))) as tf.Scalar, vars);
    const ref = tf.variableGrads(() => {
      let h: tf.Tensor = x;
      net.weights.forEach((w, l) => {
        h = tf.add(tf.matMul(h as tf.Tensor2D, w), net.biases[l]);
        if (l < net.weights.length - 1) h = tf.elu(h);
      });
      return tf.sum(tf.square(h)) as tf.Scalar;
    }, vars);
    for (const v of vars) {
      const r = ref.grads[v.name].dataSync();
      const d = maxAbsDiff(r, mine.grads[v.name].dataSync());
      assert.ok(d <= 1e-5 * Math.max(1, maxAbs(r)), `${v.name}: max |diff| ${d}`);
    }
  });
  net.dispose();
});

test('conv layer custom gradient equals tfjs built-in conv2d gradients (computed on the cpu backend)', async () => {
  const rng = new Rng(5);
  // [B, H, W, C, kernel, stride, Cout]: leftover rows/columns past the last window, stride > kernel, stride 1.
  for (const [B, H, W, C, K, S, O] of [[2, 9, 8, 3, 3, 2, 4], [2, 8, 7, 2, 2, 3, 3], [1, 5, 6, 2, 3, 1, 2]]) {
    const Ho = Math.floor((H - K) / S) + 1;
    const Wo = Math.floor((W - K) / S) + 1;
    const xv = arr(rng, B * H * W * C);
    const wv = arr(rng, K * K * C * O, 0.3);
    const bv = arr(rng, O, 0.1);
    const uv = arr(rng, B * Ho * Wo * O);
    const run = (useMine: boolean) =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [B, H, W, C]);
        const w = tf.tensor4d(wv, [K, K, C, O]);
        const b = tf.tensor1d(bv);
        const up = tf.tensor4d(uv, [B, Ho, Wo, O]);
        const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
          const y = useMine ? conv2dLayer(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D, S, 'elu') : tf.elu(tf.add(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, S, 'valid'), bb));
          return tf.sum(tf.mul(y, up));
        };
        return tf.grads(f)([x, w, b]).map((g) => Float32Array.from(g.dataSync() as Float32Array));
      });
    const mine = run(true);
    const backend = tf.getBackend();
    await tf.setBackend('cpu'); // wasm has no Conv2DBackpropFilter kernel, so the reference runs on cpu
    const ref = run(false);
    await tf.setBackend(backend);
    ['dx', 'dw', 'db'].forEach((name, i) => {
      const d = maxAbsDiff(ref[i], mine[i]);
      assert.ok(d <= 1e-5 * Math.max(1, maxAbs(ref[i])), `[${H}x${W}x${C}, k ${K}, s ${S}] ${name}: max |diff| ${d}`);
    });
  }
});

test('init is deterministic given the seed; orthogonal init has orthonormal columns times the gain', () => {
  const spec: PolicySpec = { view: ['a', 'b'], groupShapes: { a: [3], b: [2] }, groupKinds: { a: 'state', b: 'state' }, actionDim: 2 };
  const p1 = new GaussianMLP(spec, { torso: [8, 8] }, new Rng(7));
  const p2 = new GaussianMLP(spec, { torso: [8, 8] }, new Rng(7));
  const p3 = new GaussianMLP(spec, { torso: [8, 8] }, new Rng(8));
  const w1 = p1.getWeights();
  const w2 = p2.getWeights();
  const w3 = p3.getWeights();
  w1.forEach((w, i) => assert.deepEqual(w, w2[i], `tensor ${i} differs for the same seed`));
  assert.notDeepEqual(w1[0], w3[0]);
  [p1, p2, p3].forEach((p) => p.dispose());
  for (const [fi, fo] of [[12, 5], [5, 12]]) {
    const m = orthogonalMatrix(fi, fo, 2, new Rng(9));
    // Gram matrix of the shorter side: 4 I.
    const small = Math.min(fi, fo);
    for (let a = 0; a < small; a++) {
      for (let b = 0; b < small; b++) {
        let dot = 0;
        for (let k = 0; k < Math.max(fi, fo); k++) dot += fi >= fo ? m[k * fo + a] * m[k * fo + b] : m[a * fo + k] * m[b * fo + k];
        assert.ok(Math.abs(dot - (a === b ? 4 : 0)) < 1e-5, `[${fi}x${fo}] gram[${a},${b}] = ${dot}`);
      }
    }
  }
});

test('RunningNormalizer: batch updates equal the statistics of all rows; clipping; state round trip', () => {
  const rng = new Rng(10);
  const d = 3;
  const n = new RunningNormalizer(d, { priorCount: 0 });
  const all: number[] = [];
  for (const size of [5, 1, 40, 7]) {
    const rows = Float32Array.from({ length: size * d }, (_, i) => 100 + (i % d) * 3 + rng.normal() * (1 + (i % d)));
    all.push(...rows);
    n.update(rows);
  }
  const N = all.length / d;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let r = 0; r < N; r++) m += all[r * d + j] / N;
    let v = 0;
    for (let r = 0; r < N; r++) v += (all[r * d + j] - m) ** 2 / N;
    assert.ok(Math.abs(n.mean[j] - m) < 1e-9 * Math.abs(m), `mean[${j}] ${n.mean[j]} vs ${m}`);
    assert.ok(Math.abs(n.var[j] - v) < 1e-9 * v, `var[${j}] ${n.var[j]} vs ${v}`);
  }
  const out = tf.tidy(() => n.normalize(tf.tensor2d([[1e6, 100, 103]])).dataSync());
  assert.equal(out[0], 10);
  const copy = RunningNormalizer.fromState(JSON.parse(JSON.stringify(n.getState())));
  assert.deepEqual(Array.from(copy.mean), Array.from(n.mean));
  assert.deepEqual(Array.from(copy.var), Array.from(n.var));
  assert.throws(() => n.update(new Float32Array(4)), /not a multiple of dim 3/);
});

const imageSpec: PolicySpec = {
  view: ['joints', 'depth', 'target'],
  groupShapes: { joints: [4], depth: [8, 8, 1], target: [2] },
  groupKinds: { joints: 'state', depth: 'image', target: 'state' },
  actionDim: 3,
};

function sampleObs(rng: Rng, spec: PolicySpec, batch: number) {
  const groups: Record<string, Float32Array> = {};
  for (const g of spec.view) groups[g] = arr(rng, batch * spec.groupShapes[g].reduce((a, b) => a * b, 1));
  return { batch, groups };
}

test('GaussianMLP: shapes, std bounds, initial std, gradients reach the encoder, clone is independent', () => {
  const rng = new Rng(11);
  const policy = new GaussianMLP(imageSpec, { torso: [16, 16], imageEncoder: { channels: [4, 8], kernel: 3, stride: 1, outDim: 8 }, initStd: 0.3 }, rng);
  const obs = sampleObs(rng, imageSpec, 6);
  policy.updateNormalizer(obs.groups);
  const d = policy.distribution(obs);
  assert.equal(d.mean.length, 18);
  assert.ok(d.std.every((s) => s >= 0.01 && s <= 1), 'std within [minStd, maxStd]');
  assert.ok(d.std.every((s) => Math.abs(s - 0.3) < 0.05), `initial std near initStd 0.3: ${Array.from(d.std).slice(0, 3)}`);
  const inputs = policy.toTensors(obs);
  const vars = policy.trainableVariables();
  const { grads } = tf.variableGrads(() => {
    const { mean, logStd } = policy.apply(inputs);
    return tf.mean(gaussianNll(mean, logStd, tf.zerosLike(mean))) as tf.Scalar;
  }, vars);
  const names = policy.weightNames();
  vars.forEach((v, i) => assert.ok(grads[v.name], `no gradient for ${names[i]}`));
  assert.ok(maxAbs(grads[vars[0].name].dataSync()) > 0, 'first conv layer receives a gradient');
  tf.dispose(Object.values(grads));
  tf.dispose(Object.values(inputs));
  const copy = policy.clone();
  assert.deepEqual(copy.distribution(obs), d);
  copy.setWeights(copy.getWeights().map((w) => w.map((x) => x + 0.1)));
  assert.deepEqual(policy.distribution(obs), d, 'changing the clone leaves the original alone');
  assert.throws(() => policy.toTensors({ batch: 6, groups: { ...obs.groups, target: new Float32Array(5) } }), /observation group 'target' has 5 values, expected batch 6 x size 2 = 12/);
  assert.throws(() => new GaussianMLP(imageSpec, { minStd: 0.5, maxStd: 0.2 }, rng), /minStd < maxStd/);
  copy.dispose();
  policy.dispose();
});

test('checkpoint round trip is exact: weights bitwise, normaliser, outputs, metadata', async () => {
  const rng = new Rng(12);
  const policy = new GaussianMLP(imageSpec, { torso: [16, 8], imageEncoder: { channels: [4], kernel: 3, stride: 2, outDim: 8 } }, rng);
  const obs = sampleObs(rng, imageSpec, 5);
  policy.updateNormalizer(obs.groups);
  // Move the weights off their init so the test sees trained-looking values.
  policy.setWeights(policy.getWeights().map((w) => w.map((x, i) => x + 0.01 * Math.sin(i))));
  const dir = tmpDir('roundtrip');
  await saveCheckpoint(dir, policy, { task: 'walls', step: 1234, evalReturn: 56.5 });
  const { policy: loaded, manifest } = await loadCheckpoint(dir, { task: 'walls', view: imageSpec.view, groupShapes: imageSpec.groupShapes, actionDim: 3 });
  assert.equal(manifest.task, 'walls');
  assert.equal(manifest.step, 1234);
  assert.deepEqual(manifest.extra, { evalReturn: 56.5 });
  // Extra keys sit at the top level of manifest.json (tools such as src/cli/export-expert.ts read them there).
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).evalReturn, 56.5);
  await assert.rejects(saveCheckpoint(tmpDir('reserved'), policy, { view: 'x' }), /extra may not use the manifest's own keys 'view'/);
  const a = policy.getWeights();
  const b = loaded.getWeights();
  a.forEach((w, i) => assert.ok(Buffer.from(w.buffer).equals(Buffer.from(b[i].buffer)), `tensor ${i} not bitwise equal`));
  assert.deepEqual(loaded.normalizer!.getState(), policy.normalizer!.getState());
  assert.deepEqual(loaded.distribution(obs), policy.distribution(obs));
  assert.deepEqual(loaded.config, policy.config);
  const expert = await loadExpert(dir);
  assert.deepEqual(expert.distribution(obs), policy.distribution(obs));
  [loaded, expert, policy].forEach((p) => p.dispose());
});

test('checkpoint refusals: corrupted weights, wrong task, wrong observation size, missing file', async () => {
  const spec: PolicySpec = { view: ['pos', 'vel'], groupShapes: { pos: [3], vel: [4] }, groupKinds: { pos: 'state', vel: 'state' }, actionDim: 2 };
  const policy = new GaussianMLP(spec, { torso: [8] }, new Rng(13));
  const dir = tmpDir('refuse');
  await saveCheckpoint(dir, policy, { task: 'cartpole-swingup' });
  await assert.rejects(loadCheckpoint(dir, { task: 'humanoid-run' }), /wrong task 'cartpole-swingup', expected 'humanoid-run'/);
  await assert.rejects(loadCheckpoint(dir, { groupShapes: { vel: [5] } }), /observation group 'vel' has size 4, expected 5/);
  await assert.rejects(loadCheckpoint(dir, { view: ['pos'] }), /view \[pos, vel\], expected \[pos\]/);
  await assert.rejects(loadCheckpoint(dir, { actionDim: 3 }), /action dimension 2, expected 3/);
  const wfile = path.join(dir, 'weights.bin');
  const bytes = fs.readFileSync(wfile);
  bytes[17] ^= 0x01;
  fs.writeFileSync(wfile, bytes);
  await assert.rejects(loadCheckpoint(dir), /weights\.bin is corrupted/);
  fs.unlinkSync(wfile);
  await assert.rejects(loadCheckpoint(dir), /missing file weights\.bin/);
  await assert.rejects(loadCheckpoint(path.join(dir, 'nope')), /no such directory/);
  policy.dispose();
});

test('checkpoints in the stand-in format (rl/policy-adapter GaussianMLP v1) load with identical outputs', async () => {
  // Write the former stand-in's layout (src/rl/policy-adapter.ts, since removed) by hand: manifest { format, spec, config, normalizer, shapes, sha256, ...extra } and
  // weights.bin = [w0, b0, w1, b1, ..., rawStd] as float32; every data/experts checkpoint uses it.
  const spec: PolicySpec = { view: ['pos', 'vel'], groupShapes: { pos: [3], vel: [2] }, groupKinds: { pos: 'state', vel: 'state' }, actionDim: 1 };
  const config = { torso: [8, 8], activation: 'tanh' as const, minStd: 0.01, maxStd: 1, stateDependentStd: false, initStd: 0.5, normalize: true };
  const old = new GaussianMLP(spec, config, new Rng(14));
  const rng = new Rng(15);
  const obs = sampleObs(rng, spec, 7);
  old.updateNormalizer(obs.groups);
  old.setWeights(old.getWeights().map((w) => w.map((x, i) => x + 0.05 * Math.cos(i))));
  const flat = old.getWeights();
  const bytes = Buffer.concat(flat.map((w) => Buffer.from(w.buffer, w.byteOffset, w.byteLength)));
  const dir = tmpDir('legacy');
  fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
  const { count, mean, var: variance } = old.normalizer!.getState();
  const manifest = {
    format: 'rl/policy-adapter GaussianMLP v1', spec, config, normalizer: { count, mean, var: variance }, shapes: old.weightShapes(),
    sha256: createHash('sha256').update(bytes).digest('hex'), task: 'cartpole-swingup', step: 99, evalReturn: 12.5,
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const { policy, manifest: m } = await loadCheckpoint(dir, { task: 'cartpole-swingup' });
  assert.equal(m.step, 99);
  assert.deepEqual(m.extra, { evalReturn: 12.5, legacyFormat: 'rl/policy-adapter GaussianMLP v1' });
  assert.deepEqual(policy.distribution(obs), old.distribution(obs));
  old.dispose();
  policy.dispose();
});

test('the committed data/experts/cartpole-swingup/expert loads and answers like its own weights say', async () => {
  const dir = path.join(expertsRoot(), 'cartpole-swingup', 'expert');
  const expert = await loadExpert(dir, { task: 'cartpole-swingup', groupShapes: { position: [3], velocity: [2] }, actionDim: 1 });
  assert.deepEqual(expert.view, ['position', 'velocity']);
  const obs = sampleObs(new Rng(17), expert.spec, 4);
  const d = expert.distribution(obs);
  assert.equal(d.mean.length, 4);
  assert.ok(d.std.every((s) => s > 0.01 && s < 1), 'std within [minStd, maxStd]');
  // Hand forward pass of the stored weights in float64 (tanh torso, linear head, learned std vector).
  const w = expert.getWeights();
  const norm = expert.normalizer!;
  const x = norm.normalizeRows(Float32Array.from([...obs.groups.position.subarray(0, 3), ...obs.groups.velocity.subarray(0, 2)]));
  let h: number[] = Array.from(x);
  const layers = (w.length - 1) / 2;
  for (let l = 0; l < layers; l++) {
    const W = w[2 * l];
    const b = w[2 * l + 1];
    const out = b.length;
    const next = Array.from(b, (bj, j) => bj + h.reduce((acc, hi, i) => acc + hi * W[i * out + j], 0));
    h = l < layers - 1 ? next.map(Math.tanh) : next;
  }
  assert.ok(Math.abs(h[0] - d.mean[0]) < 1e-4, `mean ${d.mean[0]} vs hand ${h[0]}`);
  expert.dispose();
});

test('encoder: valid-padding output shapes and a readable error for too-small images', () => {
  const enc = new ConvEncoder([32, 32, 1], { channels: [16, 32], kernel: 3, stride: 2, outDim: 64 }, 'elu', new Rng(16));
  assert.deepEqual(enc.layerShapes, [[15, 15, 16], [7, 7, 32]]);
  const y = tf.tidy(() => enc.apply(tf.zeros([2, 32, 32, 1]) as tf.Tensor4D).shape);
  assert.deepEqual(y, [2, 64]);
  enc.dispose();
  assert.throws(() => new ConvEncoder([4, 4, 1], { channels: [8, 8, 8], kernel: 3, stride: 2, outDim: 4 }, 'elu', new Rng(0)), /too small/);
});

test('warmStartFrom: a policy on a larger view starts with the source distribution; mismatches are named', () => {
  const rng = new Rng('warm');
  const src: PolicySpec = { view: ['a', 'b'], groupShapes: { a: [3], b: [2] }, groupKinds: { a: 'state', b: 'state' }, actionDim: 2 };
  // The target reads a new group between the shared ones, so rows must be moved, not just padded.
  const dst: PolicySpec = { view: ['a', 'walls', 'b'], groupShapes: { a: [3], walls: [4], b: [2] }, groupKinds: { a: 'state', walls: 'state', b: 'state' }, actionDim: 2 };
  const cfg = { torso: [8, 8], stateDependentStd: false };
  const source = new GaussianMLP(src, cfg, new Rng('s'));
  // Give the source non-trivial weights and normaliser statistics.
  source.setWeights(source.getWeights().map((w) => Float32Array.from(w, () => 0.5 * rng.normal())));
  source.updateNormalizer({ a: arr(rng, 3 * 50, 2, 1), b: arr(rng, 2 * 50, 3, -1) });
  const target = new GaussianMLP(dst, cfg, new Rng('t'));
  warmStartFrom(target, source);
  const obs = { a: arr(rng, 3 * 5), b: arr(rng, 2 * 5), walls: arr(rng, 4 * 5, 5) };
  const p = source.distribution({ batch: 5, groups: obs });
  const q = target.distribution({ batch: 5, groups: obs });
  assert.ok(maxAbsDiff(p.mean, q.mean) < 1e-5, `means differ by ${maxAbsDiff(p.mean, q.mean)}`);
  assert.ok(maxAbsDiff(p.std, q.std) < 1e-6);
  assert.equal(target.normalizer!.count, Math.min(source.normalizer!.count, WARM_START_COUNT));
  // The new group's input weights are trainable zeros, not absent.
  assert.equal(maxAbs(target.getWeights()[0].subarray(3 * 8, 7 * 8)), 0);
  assert.throws(() => warmStartFrom(new GaussianMLP(dst, { ...cfg, torso: [8] }, new Rng('x')), source), /policy config 'torso' differs/);
  assert.throws(() => warmStartFrom(new GaussianMLP({ ...dst, view: ['a', 'walls'] }, cfg, new Rng('y')), source), /target view lacks the source's group 'b'/);
  assert.throws(() => warmStartFrom(new GaussianMLP({ ...dst, actionDim: 3 }, cfg, new Rng('z')), source), /action sizes differ/);
});

test('resetActionMeans: the listed action means become 0 in every state, the others and the std are untouched', () => {
  const rng = new Rng('reset');
  const spec: PolicySpec = { view: ['a'], groupShapes: { a: [4] }, groupKinds: { a: 'state' }, actionDim: 3 };
  const p = new GaussianMLP(spec, { torso: [8, 8], stateDependentStd: false }, new Rng('p'));
  p.setWeights(p.getWeights().map((w) => Float32Array.from(w, () => 0.5 * rng.normal())));
  const obs = { a: arr(rng, 4 * 6) };
  const before = p.distribution({ batch: 6, groups: obs });
  resetActionMeans(p, [1]);
  const after = p.distribution({ batch: 6, groups: obs });
  for (let b = 0; b < 6; b++) {
    assert.equal(after.mean[b * 3 + 1], 0);
    assert.ok(Math.abs(before.mean[b * 3 + 1]) > 1e-3, 'the mean was not 0 before');
    for (const j of [0, 2]) assert.equal(after.mean[b * 3 + j], before.mean[b * 3 + j]);
  }
  assert.deepEqual(Array.from(after.std), Array.from(before.std));
  assert.throws(() => resetActionMeans(p, [3]), /action dimension must be an integer in \[0, 2\], got 3/);
  const sd = new GaussianMLP(spec, { torso: [8], stateDependentStd: true }, new Rng('q'));
  assert.throws(() => resetActionMeans(sd, [0]), /state-dependent std/);
});

test('setActionStd: every dimension gets the std in every state, the means are untouched; bad std is named', () => {
  const rng = new Rng('std');
  const spec: PolicySpec = { view: ['a'], groupShapes: { a: [4] }, groupKinds: { a: 'state' }, actionDim: 3 };
  const p = new GaussianMLP(spec, { torso: [8], stateDependentStd: false, initStd: 0.5 }, new Rng('p'));
  p.setWeights(p.getWeights().map((w) => Float32Array.from(w, () => 0.5 * rng.normal())));
  const obs = { a: arr(rng, 4 * 5) };
  const before = p.distribution({ batch: 5, groups: obs });
  assert.ok(before.std.some((s) => Math.abs(s - 0.2) > 0.01), 'the std was not already 0.2');
  setActionStd(p, 0.2);
  const after = p.distribution({ batch: 5, groups: obs });
  for (const s of after.std) assert.ok(Math.abs(s - 0.2) < 1e-5, `std ${s}`);
  assert.deepEqual(Array.from(after.mean), Array.from(before.mean));
  assert.throws(() => setActionStd(p, 1.5), /std must lie strictly between the policy's minStd \(0\.01\) and maxStd \(1\), got 1\.5/);
  const sd = new GaussianMLP(spec, { torso: [8], stateDependentStd: true }, new Rng('q'));
  assert.throws(() => setActionStd(sd, 0.2), /state-dependent std/);
});
