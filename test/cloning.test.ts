/** Tests of the cloning library: losses, strategies (Algorithm 1), DAgger's mixture, datasets, and the toy problem. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveCloningConfig } from '../src/cloning/config';
import { gaussianCrossEntropy as gaussianCrossEntropyRows, gaussianNll as gaussianNllRows } from '../src/policies/distributions';
import { buildBatch, checkViews, perturbedGroups, type SampleSet } from '../src/cloning/strategies';
import { kickstartLoss, runKickstart } from '../src/cloning/kickstart';
import { evaluatePolicy } from '../src/rl/evaluate';
import { expertStdScale } from '../src/cloning/experiment';
import { expertSha256 } from '../src/util/experts';
import { trainStudent } from '../src/cloning/trainer';
import { BetaMixture, GrowingRelabelBuffer, mixtureActions, runDagger, type RelabelBuffer } from '../src/cloning/dagger';
import { ToyExpert, runToy } from '../src/cloning/toy';
import { readNpy, writeNpy } from '../src/cloning/npy';
import { collectDataset, loadDataset, saveDataset } from '../src/cloning/dataset';
import { GaussianMLP, initBackend, saveCheckpointSync } from '../src/policies';
import type { Expert, GaussianParams, ObservationBatch } from '../src/policies/types';
import { Rng } from '../src/util/rng';
import '../src/envs';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** 3 recorded states with a state group x (2), an image group img (2x2x1) and a privileged group target (1). */
function tinySet(): SampleSet {
  return {
    size: 3, actionDim: 1,
    groups: { x: Float32Array.from([0, 1, 2, 3, 4, 5]), img: Float32Array.from({ length: 12 }, (_, i) => i / 12), target: Float32Array.from([7, 8, 9]) },
    groupShapes: { x: [2], img: [2, 2, 1], target: [1] },
    groupKinds: { x: 'state', img: 'image', target: 'state' },
    expertMean: Float32Array.from([0.1, 0.2, 0.3]), expertStd: Float32Array.from([0.2, 0.2, 0.2]),
  };
}

/** An expert that records what it was asked: mean = sum of its inputs. */
class SpyExpert implements Expert {
  calls: ObservationBatch[] = [];
  rows = 0;
  constructor(readonly view: string[], readonly actionDim = 1) {}
  distribution(obs: ObservationBatch): GaussianParams {
    this.calls.push({ batch: obs.batch, groups: Object.fromEntries(Object.entries(obs.groups).map(([k, v]) => [k, Float32Array.from(v)])) });
    this.rows += obs.batch;
    const mean = new Float32Array(obs.batch);
    for (let b = 0; b < obs.batch; b++) for (const g of this.view) {
      const w = obs.groups[g].length / obs.batch;
      for (let k = 0; k < w; k++) mean[b] += obs.groups[g][b * w + k];
    }
    return { mean, std: new Float32Array(obs.batch).fill(0.3) };
  }
}

test('Gaussian NLL and closed-form cross-entropy equal hand-computed values', () => {
  // NLL of target 1 under N(0, 1): 0.5 * 1 + 0 + 0.5 log(2 pi) = 1.418939.
  const nll = tf.tidy(() => gaussianNllRows(tf.tensor2d([[0]]), tf.tensor2d([[0]]), tf.tensor2d([[1]])).dataSync()[0]);
  close(nll, 0.5 + 0.5 * Math.log(2 * Math.PI), 1e-5, 'nll');
  // H[N(1, 0.5^2) || N(0, 2^2)] = log 2 + 0.5 log(2 pi) + (0.25 + 1) / 8 = 1.768336.
  const ce = tf.tidy(() => gaussianCrossEntropyRows(tf.tensor2d([[1]]), tf.tensor2d([[0.5]]), tf.tensor2d([[0]]), tf.tensor2d([[Math.log(2)]])).dataSync()[0]);
  close(ce, Math.log(2) + 0.5 * Math.log(2 * Math.PI) + 1.25 / 8, 1e-5, 'cross-entropy');
});

test('closed-form cross-entropy matches a Monte-Carlo estimate', () => {
  const rng = new Rng(3);
  const muE = [0.3, -0.5], sE = [0.2, 0.7], mu = [0.1, 0.2], ls = [Math.log(0.5), Math.log(1.1)];
  let sum = 0;
  const N = 200000;
  for (let i = 0; i < N; i++) {
    for (let d = 0; d < 2; d++) {
      const a = muE[d] + sE[d] * rng.normal();
      const z = (a - mu[d]) / Math.exp(ls[d]);
      sum += 0.5 * z * z + ls[d] + 0.5 * Math.log(2 * Math.PI);
    }
  }
  const closed = tf.tidy(() => gaussianCrossEntropyRows(tf.tensor2d([muE]), tf.tensor2d([sE]), tf.tensor2d([mu]), tf.tensor2d([ls])).dataSync()[0]);
  close(closed, sum / N, 0.01, 'MC vs closed form');
});

test('bad cloning configs are refused with the field and the accepted values', () => {
  assert.throws(() => resolveCloningConfig({ sigmaS: -0.1 }), /sigmaS must be a finite number >= 0/);
  assert.throws(() => resolveCloningConfig({ numAugmented: 1.5 }), /numAugmented \(M\) must be a non-negative integer/);
  assert.throws(() => resolveCloningConfig({ strategy: 'dart' as never }), /strategy must be one of bc, naive-abc, apc/);
  assert.throws(() => resolveCloningConfig({ sigma: 1 } as never), /unknown cloning config field 'sigma'/);
  assert.throws(() => checkViews(tinySet(), ['x', 'camera'], null), /student\/expert observation mismatch: the student reads group 'camera'/);
  assert.throws(() => checkViews(tinySet(), ['x'], new SpyExpert(['x', 'wall'])), /the expert reads group 'wall'/);
});

test('APC with M = 0 builds exactly the BC batch', () => {
  const idx = [2, 0, 1];
  const bc = buildBatch(resolveCloningConfig({ strategy: 'bc' }), tinySet(), idx, ['x'], null, new Rng(1));
  const apc0 = buildBatch(resolveCloningConfig({ strategy: 'apc', numAugmented: 0 }), tinySet(), idx, ['x'], new SpyExpert(['x']), new Rng(1));
  assert.deepEqual(apc0, bc);
  assert.equal(bc.rows, 3);
  assert.deepEqual(Array.from(bc.targetMean), [0.3, 0.1, 0.2].map(Math.fround));
});

test('naive-abc never queries the expert; apc queries it exactly L*M times per update', async () => {
  await initBackend();
  const L = 8, M = 5, K = 3;
  const data = tinySet();
  for (const [strategy, expected] of [['naive-abc', 0], ['apc', L * M * K]] as const) {
    const expert = new SpyExpert(['x']);
    const student = new GaussianMLP({ view: ['x'], groupShapes: { x: [2] }, groupKinds: { x: 'state' }, actionDim: 1 }, { torso: [8], normalize: false }, new Rng(0));
    const fit = trainStudent({ student, expert, train: data, validation: null, config: resolveCloningConfig({ strategy, numAugmented: M, batchSize: L, numUpdates: K }), rng: new Rng(0) });
    assert.equal(expert.rows, expected, `${strategy} expert rows`);
    assert.equal(fit.expertQueries, expected);
    student.dispose();
  }
});

test('extendWhileImproving trains past the budget while validation may still improve, up to its cap', async () => {
  await initBackend();
  const fit = (extra: Record<string, unknown>) => {
    const student = new GaussianMLP({ view: ['x'], groupShapes: { x: [2] }, groupKinds: { x: 'state' }, actionDim: 1 }, { torso: [8], normalize: false }, new Rng(0));
    const config = resolveCloningConfig({ strategy: 'bc', numAugmented: 0, batchSize: 3, numUpdates: 8, validateEvery: 4, patience: null, learningRate: 1e-3, ...extra });
    const out = trainStudent({ student, expert: null, train: tinySet(), validation: tinySet(), config, rng: new Rng(0) });
    student.dispose();
    return out;
  };
  const ends = (f: ReturnType<typeof fit>) => [f.updates, f.budget, f.stoppedBy, f.endedImproving];
  // A small learning rate on its own training set: the NLL falls at every validation.
  const fixed = fit({});
  assert.deepEqual([...ends(fixed), fixed.bestUpdate], [8, 8, 'budget', true, 8]);
  // Extended by half the budget (rounded to whole validation intervals) at a time: 8 -> 12 -> 16 -> ... -> 32 (4 x 8).
  const extended = fit({ extendWhileImproving: 4 });
  assert.deepEqual(ends(extended), [32, 32, 'budget', true]);
  assert.deepEqual(extended.history.map((h) => h.update), [4, 8, 12, 16, 20, 24, 28, 32]);
  // The first 8 updates are the same run (a cell that stops within its budget is the same with or without the field).
  assert.deepEqual(extended.history.slice(0, 2), fixed.history);
  // Nothing improves at learning rate ~0. Without patience: no extension. With patience 3: extended while it has
  // not run out, stopped by it at the third validation without improvement (update 12 < the 32 cap).
  assert.deepEqual(ends(fit({ extendWhileImproving: 4, learningRate: 1e-30 })), [8, 8, 'budget', false]);
  assert.deepEqual(ends(fit({ extendWhileImproving: 4, learningRate: 1e-30, patience: 3 })), [12, 12, 'patience', false]);
  assert.deepEqual(ends(fit({ learningRate: 1e-30, patience: 3 })), [8, 8, 'budget', false]);
  // A run that patience stops before its budget is the same run with the field (what rekeyToUntilConverged relies on).
  const early = fit({ learningRate: 1e-30, patience: 1 });
  const earlyExtended = fit({ learningRate: 1e-30, patience: 1, extendWhileImproving: 4 });
  assert.deepEqual(ends(early), [4, 8, 'patience', false]);
  assert.deepEqual([ends(earlyExtended), earlyExtended.history, earlyExtended.bestUpdate], [ends(early), early.history, early.bestUpdate]);
  assert.throws(() => resolveCloningConfig({ extendWhileImproving: 0.5 }), /extendWhileImproving must be a number >= 1/);
});

test('perturbations touch state groups only; images and the expert-only privileged group are left as recorded', () => {
  const data = tinySet();
  const expert = new SpyExpert(['x', 'target']);
  const M = 4;
  const b = buildBatch(resolveCloningConfig({ strategy: 'apc', numAugmented: M, sigmaS: 0.5 }), data, [0, 1, 2], ['x', 'img'], expert, new Rng(2));
  assert.equal(b.rows, 3 * (1 + M));
  for (let j = 0; j <= M; j++) assert.deepEqual(b.groups.img.subarray(j * 12, (j + 1) * 12), data.groups.img, `image copy ${j}`);
  assert.deepEqual(b.groups.x.subarray(0, 6), data.groups.x);
  assert.ok(b.groups.x.subarray(6).some((v, k) => v !== data.groups.x[k % 6]), 'state group perturbed');
  // The expert saw the perturbed x but the recorded target (privileged, not in the student's view).
  const q = expert.calls[0];
  assert.equal(q.batch, 3 * M);
  assert.deepEqual(Array.from(q.groups.target), Array.from({ length: M }, () => [7, 8, 9]).flat());
  assert.deepEqual(Array.from(q.groups.x), Array.from(b.groups.x.subarray(6)));
  // eqn 10 weights: 1 on recorded rows, 1/M on perturbed rows, normalised by L.
  assert.deepEqual(Array.from(b.weights.subarray(0, 3)), [1, 1, 1]);
  assert.ok(b.weights.subarray(3).every((w) => w === Math.fround(1 / M)));
  assert.equal(b.normaliser, 3);
  // naive-abc keeps the recorded action on every copy.
  const n = buildBatch(resolveCloningConfig({ strategy: 'naive-abc', numAugmented: M }), data, [0, 1, 2], ['x'], null, new Rng(2));
  for (let j = 0; j <= M; j++) assert.deepEqual(n.targetMean.subarray(j * 3, (j + 1) * 3), data.expertMean);
});

test('DAgger mixture: beta = 0 acts only with the student, beta = 1 only with the expert (beta = expert share)', () => {
  const rng = new Rng(5);
  assert.ok(new BetaMixture(0).draw(1000, rng).every((e) => !e));
  assert.ok(new BetaMixture(1).draw(1000, rng).every((e) => e));
  const share = new BetaMixture(0.3).draw(20000, rng).filter(Boolean).length / 20000;
  close(share, 0.3, 0.02, 'expert share at beta 0.3');
  const s = { mean: Float32Array.from([1, 1]), std: Float32Array.from([0, 0]) };
  const e = { mean: Float32Array.from([-1, -1]), std: Float32Array.from([0, 0]) };
  assert.deepEqual(Array.from(mixtureActions(s, e, [false, false], 1, rng)), [1, 1]);
  assert.deepEqual(Array.from(mixtureActions(s, e, [true, true], 1, rng)), [-1, -1]);
  assert.throws(() => new BetaMixture(1.5), /beta \(the expert's share of acting\) must be in \[0, 1\]/);
});

test('.npy files round-trip and datasets are deterministic and round-trip', async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-ds-'));
  const arr = Float32Array.from([1.5, -2, 3, 4, 5, 6]);
  writeNpy(path.join(dir, 'a.npy'), arr, [2, 3]);
  const back = readNpy(path.join(dir, 'a.npy'));
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual(back.data, arr);
  const expert = new GaussianMLP({ view: ['position', 'velocity'], groupShapes: { position: [3], velocity: [2] }, groupKinds: { position: 'state', velocity: 'state' }, actionDim: 1 }, { torso: [8] }, new Rng(0));
  const opts = { task: 'cartpole-swingup', trajectories: 2, seed: 4, episodeLength: 15 };
  const d1 = await collectDataset(expert, opts);
  const d2 = await collectDataset(expert, opts);
  assert.equal(d1.size, 30);
  assert.deepEqual(d1.groups.position, d2.groups.position);
  assert.deepEqual(d1.actions, d2.actions);
  assert.deepEqual(Array.from(d1.episode.subarray(13, 17)), [0, 0, 1, 1]);
  // executed action = expert mean + noise 0.2: residual std close to 0.2.
  let ss = 0;
  for (let k = 0; k < d1.actions.length; k++) ss += (d1.actions[k] - d1.expertMean[k]) ** 2;
  assert.ok(Math.sqrt(ss / d1.actions.length) > 0.1 && Math.sqrt(ss / d1.actions.length) < 0.3);
  saveDataset(path.join(dir, 'ds'), d1);
  const d3 = loadDataset(path.join(dir, 'ds'));
  assert.deepEqual(d3.groups.velocity, d1.groups.velocity);
  assert.deepEqual(d3.expertMean, d1.expertMean);
  expert.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('toy problem (Figure 1): from one trajectory APC matches the expert within 5% near it, BC and Naive ABC do not', async () => {
  const r = await runToy({ seed: 0 });
  assert.ok(r.relativeError.apc < 0.05, `APC relative error ${r.relativeError.apc}`);
  assert.ok(r.relativeError.bc > 0.05, `BC relative error ${r.relativeError.bc}`);
  assert.ok(r.relativeError['naive-abc'] > 0.05, `Naive ABC relative error ${r.relativeError['naive-abc']}`);
  assert.equal(r.expertQueries.bc, 0);
  assert.equal(r.expertQueries['naive-abc'], 0);
  assert.equal(r.expertQueries.apc, r.config.numUpdates * r.config.batchSize * r.config.numAugmented);
  assert.ok(new ToyExpert().view.includes('x'));
});

test('kickstarting perturbs exactly the groups the batch builder perturbs: shared state groups; images and learner-only groups as visited', async () => {
  await initBackend();
  const set = tinySet();
  // The learner reads x, img and target; the expert reads x and img. Only x is a state group both read.
  const spec = { view: ['x', 'img', 'target'], groupShapes: set.groupShapes, groupKinds: set.groupKinds, actionDim: 1 };
  const policy = new GaussianMLP(spec, { torso: [4], imageEncoder: { channels: [2], kernel: 1, stride: 1, outDim: 2 } }, new Rng(0));
  assert.deepEqual(perturbedGroups(set.groupKinds, spec.view, ['x', 'img']), ['x']);
  const seen: Record<string, Float32Array>[] = [];
  const apply = policy.apply.bind(policy);
  policy.apply = (inputs) => {
    seen.push(Object.fromEntries(Object.entries(inputs).map(([g, t]) => [g, Float32Array.from(t.dataSync() as Float32Array)])));
    return apply(inputs);
  };
  const obs = policy.toTensors({ batch: set.size, groups: set.groups });
  const { mean, logStd } = apply(obs);
  const spy = new SpyExpert(['x', 'img']);
  const c = { lambda: 0.5, strategy: 'apc' as const, sigmaS: 0.5, numAugmented: 2 };
  const out = kickstartLoss(spy, c, new Rng('ks'))({ obs, mean, logStd, policy });
  // The batch builder with the same stream, on the same visited rows.
  const ref = new SpyExpert(['x', 'img']);
  const expected = buildBatch(resolveCloningConfig({ strategy: 'apc', sigmaS: 0.5, numAugmented: 2, imageShift: 0 }), set, [0, 1, 2], spec.view, ref, new Rng('ks'));
  const L = set.size;
  assert.equal(seen.length, 1, 'the learner is applied once, to the perturbed rows');
  for (const g of spec.view) {
    const w = expected.groups[g].length / expected.rows;
    assert.deepEqual(seen[0][g], expected.groups[g].subarray(L * w), `learner's perturbed rows of ${g}`);
    const tiled = Float32Array.from({ length: 2 * L * w }, (_, k) => set.groups[g][k % (L * w)]);
    assert.equal(seen[0][g].some((v, k) => v !== tiled[k]), g === 'x', `${g} perturbed iff the batch builder perturbs it`);
  }
  // The expert is queried at the visited states, then at exactly the builder's perturbed rows.
  assert.equal(spy.calls.length, 2);
  assert.deepEqual(spy.calls[0].groups.x, set.groups.x);
  assert.deepEqual(spy.calls[1].groups, ref.calls[0].groups);
  // Loss = lambda * [mean_b H(s_b) + (1/M) sum_j mean_b H(s_b + ds_bj)], the batch builder's weights over L.
  const targets = tf.tensor2d(expected.targetMean.subarray(L), [2 * L, 1]);
  const sds = tf.tensor2d(expected.targetStd.subarray(L), [2 * L, 1]);
  const pert = apply(policy.toTensors({ batch: 2 * L, groups: Object.fromEntries(spec.view.map((g) => [g, seen[0][g]])) }));
  const atVisited = new SpyExpert(['x', 'img']).distribution({ batch: L, groups: { x: set.groups.x, img: set.groups.img } });
  const h0 = tf.mean(gaussianCrossEntropyRows(tf.tensor2d(atVisited.mean, [L, 1]), tf.tensor2d(atVisited.std, [L, 1]), mean, logStd)).dataSync()[0];
  const h1 = tf.mean(gaussianCrossEntropyRows(targets, sds, pert.mean, pert.logStd)).dataSync()[0];
  close(out.loss.dataSync()[0], 0.5 * (h0 + h1), 1e-5, 'kickstart loss');
  // 'bc' kickstarting draws no perturbation and queries the expert once.
  const bcSpy = new SpyExpert(['x', 'img']);
  kickstartLoss(bcSpy, { ...c, strategy: 'bc' }, new Rng('ks'))({ obs, mean, logStd, policy });
  assert.equal(bcSpy.calls.length, 1);
  assert.equal(seen.length, 1, 'bc applies the learner to no extra rows');
  // An expert that reads a group the learner does not is refused by name.
  assert.throws(() => kickstartLoss(new SpyExpert(['x', 'secret']), c, new Rng(0))({ obs, mean, logStd, policy }), /learner .* lacks secret/);
  policy.dispose();
});

test('a kickstarting cell evaluates every curve point and its half-expert teacher with one protocol (true task, noise, paired episodes)', async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-kick-'));
  const saved = { experts: process.env.APC_EXPERTS_DIR, datasets: process.env.APC_DATASETS_DIR };
  process.env.APC_EXPERTS_DIR = path.join(root, 'experts');
  process.env.APC_DATASETS_DIR = path.join(root, 'datasets');
  try {
    const teacher = new GaussianMLP({ view: ['position', 'velocity'], groupShapes: { position: [3], velocity: [2] }, groupKinds: { position: 'state', velocity: 'state' }, actionDim: 1 }, { torso: [8] }, new Rng(5));
    saveCheckpointSync(path.join(root, 'experts', 'cartpole-swingup', 'half'), teacher, { task: 'cartpole-swingup' });
    const cell = {
      figure: 'fig6-kickstart', task: 'cartpole-swingup', method: 'bc' as const, lambda: 2, seed: 0, envSteps: 512, curvePoints: 2, evalEpisodes: 2,
      evalNoise: 0.2, numAugmented: 2, sigmaS: 0.1, expertCheckpoint: 'half', expertSha256: expertSha256('cartpole-swingup', 'half'),
    };
    const rows = await runKickstart(cell);
    assert.deepEqual(rows.map((r) => r.x), [256, 512], 'evaluated after the start only, at evenly spaced points');
    assert.ok(rows.every((r) => r.method === 'Kickstarting (2 lambda)' && r.expertCheckpoint === 'half' && r.lambda === 2));
    const line = await evaluatePolicy(teacher, { task: 'cartpole-swingup', episodes: 2, mode: 'noise', noiseStd: 0.2, seed: 12345, workers: 0 });
    assert.equal(rows[0].expertReturn, line.mean, "the teacher's line is its return under the students' protocol");
    await assert.rejects(runKickstart({ ...cell, method: 'rl' }), /lambda must be 0 for 'rl'/);
    teacher.dispose();
  } finally {
    if (saved.experts === undefined) delete process.env.APC_EXPERTS_DIR; else process.env.APC_EXPERTS_DIR = saved.experts;
    if (saved.datasets === undefined) delete process.env.APC_DATASETS_DIR; else process.env.APC_DATASETS_DIR = saved.datasets;
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** DAgger's buffer before it grew in place: the whole buffer copied at every append (the reference implementation). */
class WholeCopyBuffer implements RelabelBuffer {
  private buf: SampleSet | null = null;
  copiedRows = 0;
  constructor(readonly shapes: Record<string, number[]>, readonly kinds: Record<string, 'state' | 'image'>, readonly actionDim: number) {}
  get size(): number {
    return this.buf?.size ?? 0;
  }
  append(groups: Record<string, Float32Array>, d: GaussianParams, n: number): void {
    const cat = (a: Float32Array | undefined, b: Float32Array) => {
      if (!a) return Float32Array.from(b);
      const out = new Float32Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return out;
    };
    const buf = this.buf;
    const g: Record<string, Float32Array> = {};
    for (const k of Object.keys(groups)) g[k] = cat(buf?.groups[k], groups[k]);
    this.copiedRows += this.size + n;
    this.buf = { size: this.size + n, groups: g, groupShapes: this.shapes, groupKinds: this.kinds, expertMean: cat(buf?.expertMean, d.mean), expertStd: cat(buf?.expertStd, d.std), actionDim: this.actionDim };
  }
  view(): SampleSet {
    return this.buf!;
  }
}

test("DAgger's buffer appends in linear time: each row copied once, at most twice with growth", () => {
  const shapes = { x: [2] };
  const kinds = { x: 'state' as const };
  const steps = 100, n = 4;
  const row = (t: number) => ({ groups: { x: Float32Array.from({ length: 2 * n }, (_, k) => t * 100 + k) }, d: { mean: Float32Array.from({ length: n }, (_, k) => t + k / 10), std: new Float32Array(n).fill(0.2) } });
  for (const capacity of [steps * n, 1]) {
    const grow = new GrowingRelabelBuffer(shapes, kinds, 1, capacity);
    const whole = new WholeCopyBuffer(shapes, kinds, 1);
    for (let t = 0; t < steps; t++) {
      const r = row(t);
      grow.append(r.groups, r.d, n);
      whole.append(r.groups, r.d, n);
    }
    assert.equal(grow.size, steps * n);
    assert.deepEqual(grow.view().groups.x, whole.view().groups.x);
    assert.deepEqual(grow.view().expertMean, whole.view().expertMean);
    if (capacity === steps * n) assert.equal(grow.copiedRows, steps * n, 'sized for the run: each row copied exactly once');
    else assert.ok(grow.copiedRows <= 3 * steps * n, `grown from 1 row: ${grow.copiedRows} copies for ${steps * n} rows`);
  }
  // The whole-copy buffer copied 4 + 8 + ... + 400 rows: quadratic in the steps.
  const whole = new WholeCopyBuffer(shapes, kinds, 1);
  for (let t = 0; t < steps; t++) whole.append(row(t).groups, row(t).d, n);
  assert.equal(whole.copiedRows, (n * steps * (steps + 1)) / 2);
  assert.throws(() => new GrowingRelabelBuffer(shapes, kinds, 1, 1).append({ x: new Float32Array(3) }, row(0).d, 2), /group 'x' must hold 2 x 2 values/);
});

test('a tiny DAgger run gives the same rows with the growing buffer as with the whole-copy buffer', async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-dagger-'));
  const saved = { experts: process.env.APC_EXPERTS_DIR, datasets: process.env.APC_DATASETS_DIR };
  process.env.APC_EXPERTS_DIR = path.join(root, 'experts');
  process.env.APC_DATASETS_DIR = path.join(root, 'datasets');
  try {
    const e = new GaussianMLP({ view: ['position', 'velocity'], groupShapes: { position: [3], velocity: [2] }, groupKinds: { position: 'state', velocity: 'state' }, actionDim: 1 }, { torso: [8] }, new Rng(5));
    saveCheckpointSync(path.join(root, 'experts', 'cartpole-swingup', 'expert'), e, { task: 'cartpole-swingup' });
    e.dispose();
    const cell = { figure: 'fig5-dagger', task: 'cartpole-swingup', method: 'apc' as const, beta: 0.3, seed: 1, envSteps: 96, curvePoints: 3, evalEpisodes: 2, evalNoise: 0.2, numAugmented: 2, sigmaS: 0.1, batchSize: 16, updatesPerRound: 4, numEnvs: 4 };
    let used: GrowingRelabelBuffer | null = null;
    const grown = await runDagger(cell, { buffer: (sh, ki, A, cap) => (used = new GrowingRelabelBuffer(sh, ki, A, cap)) });
    const reference = await runDagger(cell, { buffer: (sh, ki, A) => new WholeCopyBuffer(sh, ki, A) });
    assert.deepEqual(grown, reference);
    assert.equal(grown.length, 3);
    assert.equal(used!.copiedRows, 96, 'each of the 96 relabelled rows copied once');
  } finally {
    if (saved.experts === undefined) delete process.env.APC_EXPERTS_DIR; else process.env.APC_EXPERTS_DIR = saved.experts;
    if (saved.datasets === undefined) delete process.env.APC_DATASETS_DIR; else process.env.APC_DATASETS_DIR = saved.datasets;
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("sigma_s in units of the expert's std: each dimension's perturbation is the raw one times that dimension's std", async () => {
  await initBackend();
  const set = tinySet();
  const raw = resolveCloningConfig({ strategy: 'naive-abc', sigmaS: 0.3, numAugmented: 3, imageShift: 0 });
  const scaled = resolveCloningConfig({ ...raw, perturbScale: { x: [0.5, 4] } });
  const a = buildBatch(raw, set, [0, 1, 2], ['x', 'img', 'target'], null, new Rng('p'));
  const b = buildBatch(scaled, set, [0, 1, 2], ['x', 'img', 'target'], null, new Rng('p'));
  const L = 3;
  for (let k = 2 * L; k < a.groups.x.length; k++) {
    const rec = set.groups.x[k % (2 * L)];
    close(b.groups.x[k] - rec, (a.groups.x[k] - rec) * [0.5, 4][k % 2], 1e-5, `x value ${k}`);
  }
  assert.deepEqual(b.groups.img, a.groups.img, 'images are never perturbed');
  assert.throws(() => buildBatch(resolveCloningConfig({ ...raw, perturbScale: { x: [1] } }), set, [0], ['x'], null, new Rng(0)), /perturbScale.x has 1 entries, the group has 2 dimensions/);
  assert.throws(() => resolveCloningConfig({ perturbScale: { x: [-1] } }), /perturbScale must be null or/);
  // The 'expert-std' multipliers are the expert normaliser's std per dimension, group by group.
  const expert = new GaussianMLP({ view: ['x', 'target'], groupShapes: { x: [2], target: [1] }, groupKinds: { x: 'state', target: 'state' }, actionDim: 1 }, { torso: [4] }, new Rng(1));
  expert.normalizer!.setState({ ...expert.normalizer!.getState(), mean: [0, 0, 0], var: [4, 0.01, 9] });
  const s = expertStdScale(expert);
  assert.deepEqual(Object.keys(s), ['x', 'target']);
  close(s.x[0], 2, 1e-6, 'std x0');
  close(s.x[1], 0.1, 1e-6, 'std x1');
  close(s.target[0], 3, 1e-6, 'std target');
  expert.dispose();
});
