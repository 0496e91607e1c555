/**
 * Cloning a privileged expert into an image-reading student (paper section 5.3, Figure 4) on manipulator-insert-peg:
 * the expert reads the 'expert' view (shared state groups + privileged target_pos), the student the 'student' view
 * (shared state groups + 32 x 32 depth camera). The expert is a tiny randomly initialised policy (no training).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveCloningConfig, type Strategy } from '../src/cloning/config';
import { collectDataset, type Dataset } from '../src/cloning/dataset';
import { methodName, runOfflineCloning, type OfflineCell } from '../src/cloning/experiment';
import { buildBatch, perturbedGroups, type SampleSet } from '../src/cloning/strategies';
import { initStudentNormalizer, trainStudent } from '../src/cloning/trainer';
import { resolveStudentView } from '../src/cloning/views';
import { makeTask, type TaskSpec } from '../src/envs';
import { GaussianMLP, initBackend, saveCheckpointSync } from '../src/policies';
import type { Expert, GaussianParams, ObservationBatch } from '../src/policies/types';
import { Rng } from '../src/util/rng';

const TASK = 'manipulator-insert-peg';
const TINY_ENCODER = { channels: [4], kernel: 3, stride: 4, outDim: 8 };
let spec: TaskSpec;
let expert: GaussianMLP;
let data: Dataset;

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Delegates to a real expert and keeps a copy of every query. */
class SpyExpert implements Expert {
  calls: ObservationBatch[] = [];
  constructor(readonly inner: Expert) {}
  get view() {
    return this.inner.view;
  }
  get actionDim() {
    return this.inner.actionDim;
  }
  distribution(obs: ObservationBatch): GaussianParams {
    this.calls.push({ batch: obs.batch, groups: Object.fromEntries(Object.entries(obs.groups).map(([k, v]) => [k, Float32Array.from(v)])) });
    return this.inner.distribution(obs);
  }
}

function policyOn(view: string[], config: Record<string, unknown>, seed: string): GaussianMLP {
  const groupShapes = Object.fromEntries(view.map((g) => [g, spec.observationGroups.find((s) => s.name === g)!.shape]));
  const groupKinds = Object.fromEntries(view.map((g) => [g, spec.observationGroups.find((s) => s.name === g)!.kind]));
  return new GaussianMLP({ view, groupShapes, groupKinds, actionDim: spec.actionDim }, { torso: [16], ...config }, new Rng(seed));
}

/** A student on the task's 'student' view with a tiny conv encoder. */
const makeStudent = (seed = 'student') => policyOn(spec.views.student, { imageEncoder: TINY_ENCODER, initStd: 0.3 }, seed);

before(async () => {
  await initBackend();
  const task = await makeTask(TASK, { episodeLength: 12 });
  spec = task.spec;
  task.close();
  expert = policyOn(spec.views.expert, {}, 'expert');
  data = await collectDataset(expert, { task: TASK, trajectories: 2, seed: 3, episodeLength: 12 });
  // A non-trivial expert normaliser, as a trained expert would have.
  expert.updateNormalizer(Object.fromEntries(expert.view.map((g) => [g, data.groups[g]])));
});

after(() => expert.dispose());

test('datasets of a camera task store the image group with its shape and kind', () => {
  assert.equal(data.size, 24);
  assert.deepEqual(data.groupShapes.camera, [32, 32, 1]);
  assert.equal(data.groupKinds.camera, 'image');
  assert.equal(data.groups.camera.length, 24 * 32 * 32);
  assert.ok(data.groups.camera.some((v) => v !== data.groups.camera[0]), 'camera pixels vary');
  assert.ok(data.groups.target_pos.length === 24 * 4);
});

test('student view plan: shared state groups perturbed, camera never, target_pos expert-only', () => {
  const plan = resolveStudentView(spec, 'student', expert.view);
  assert.deepEqual(plan.shared, ['arm_pos', 'arm_vel', 'touch', 'hand_pos', 'object_pos', 'object_vel']);
  assert.deepEqual(plan.images, ['camera']);
  assert.deepEqual(plan.expertOnly, ['target_pos']);
  // A state group only the student reads is not perturbed (the re-queried expert would not see it).
  assert.deepEqual(perturbedGroups({ x: 'state', own: 'state', img: 'image' }, ['x', 'own', 'img'], ['x', 'target']), ['x']);
  assert.deepEqual(perturbedGroups({ x: 'state', own: 'state', img: 'image' }, ['x', 'own', 'img'], null), ['x', 'own']);
});

test('bad student views are refused with the accepted views', () => {
  assert.throws(() => resolveStudentView(spec, 'pixels', expert.view), /studentView 'pixels' is not a view of task manipulator-insert-peg; its views: common, expert, default, student/);
  assert.throws(() => resolveStudentView(spec, 'default', expert.view), /studentView 'default' reads the privileged group\(s\) target_pos.*without privileged groups: common, student/);
  const camOnly: TaskSpec = { ...spec, views: { ...spec.views, camonly: ['camera'] } };
  assert.throws(() => resolveStudentView(camOnly, 'camonly', expert.view), /studentView 'camonly' \(camera\) shares no state group with the expert's view/);
  assert.throws(() => resolveStudentView(spec, 'student', ['arm_pos', 'walls']), /the expert reads walls, which task manipulator-insert-peg does not serve/);
});

test('the student normaliser takes the expert statistics of the shared state groups and ignores the camera', () => {
  const student = makeStudent();
  initStudentNormalizer(student, expert, data);
  const F = student.featureSize;
  assert.equal(F, 16 + 8 + 5 + 4 + 4 + 3);
  // The shared groups come first in the expert's view, in the same order: the first F expert dimensions.
  assert.deepEqual(Array.from(student.normalizer!.mean), Array.from(expert.normalizer!.mean.subarray(0, F)));
  assert.deepEqual(Array.from(student.normalizer!.var), Array.from(expert.normalizer!.var.subarray(0, F)));
  assert.equal(student.normalizer!.count, expert.normalizer!.count);
  student.dispose();
});

test('APC re-queries the expert with perturbed shared groups and the recorded target_pos; images are never perturbed', () => {
  const L = 5, M = 3;
  const idx = [0, 7, 13, 23, 7];
  const spy = new SpyExpert(expert);
  const b = buildBatch(resolveCloningConfig({ strategy: 'apc', numAugmented: M, sigmaS: 0.2 }), data, idx, spec.views.student, spy, new Rng(4));
  assert.equal(spy.calls.length, 1);
  const q = spy.calls[0];
  assert.equal(q.batch, L * M);
  assert.deepEqual(Object.keys(q.groups).sort(), [...expert.view].sort(), 'the expert gets exactly its own view (no camera)');
  // Privileged group: exactly the recorded rows, M times.
  const recordedTarget = idx.flatMap((i) => Array.from(data.groups.target_pos.subarray(i * 4, (i + 1) * 4)));
  assert.deepEqual(Array.from(q.groups.target_pos), Array.from({ length: M }, () => recordedTarget).flat());
  // Shared groups: the student's perturbed rows, which differ from the recorded ones.
  for (const g of resolveStudentView(spec, 'student', expert.view).shared) {
    const w = sizeOf(data.groupShapes[g]);
    assert.deepEqual(Array.from(q.groups[g]), Array.from(b.groups[g].subarray(L * w)), `${g}: expert saw the student's perturbed rows`);
    const recorded = idx.flatMap((i) => Array.from(data.groups[g].subarray(i * w, (i + 1) * w)));
    assert.deepEqual(Array.from(b.groups[g].subarray(0, L * w)), recorded, `${g}: recorded rows untouched`);
    assert.ok(q.groups[g].some((v, k) => v !== Math.fround(recorded[k % (L * w)])), `${g} perturbed`);
  }
  // Camera: every copy (recorded and perturbed) is the recorded image.
  const P = 32 * 32;
  for (let j = 0; j <= M; j++) {
    for (let r = 0; r < L; r++) {
      const row = j * L + r;
      assert.deepEqual(b.groups.camera.subarray(row * P, (row + 1) * P), data.groups.camera.subarray(idx[r] * P, (idx[r] + 1) * P), `camera row ${row}`);
    }
  }
  // The targets of the perturbed rows are the expert's answers.
  assert.deepEqual(Array.from(b.targetMean.subarray(L * spec.actionDim)), Array.from(expert.distribution(q).mean));
});

/** True when `out` is `img` (H x W x 1) shifted by some (dy, dx) in [-pad, pad]^2 with replicate padding. */
function isShiftOf(out: Float32Array, img: Float32Array, H: number, W: number, pad: number): boolean {
  for (let dy = -pad; dy <= pad; dy++) {
    for (let dx = -pad; dx <= pad; dx++) {
      let ok = true;
      for (let y = 0; y < H && ok; y++) {
        for (let x = 0; x < W && ok; x++) {
          const sy = Math.min(H - 1, Math.max(0, y + dy));
          const sx = Math.min(W - 1, Math.max(0, x + dx));
          ok = out[y * W + x] === img[sy * W + sx];
        }
      }
      if (ok) return true;
    }
  }
  return false;
}

test('imageShift shifts only the student images, each by at most imageShift pixels; the expert and state groups are unaffected', () => {
  const L = 6, M = 2, pad = 2;
  const idx = [1, 2, 3, 4, 5, 6];
  const spy = new SpyExpert(expert);
  const plain = buildBatch(resolveCloningConfig({ strategy: 'apc', numAugmented: M }), data, idx, spec.views.student, expert, new Rng(9));
  const shifted = buildBatch(resolveCloningConfig({ strategy: 'apc', numAugmented: M, imageShift: pad }), data, idx, spec.views.student, spy, new Rng(9));
  // Same perturbations (shift draws come after them), same expert queries and targets.
  assert.deepEqual(shifted.groups.arm_pos, plain.groups.arm_pos);
  assert.deepEqual(shifted.targetMean, plain.targetMean);
  assert.equal(spy.calls[0].groups.camera, undefined);
  const P = 32 * 32;
  let moved = 0;
  for (let row = 0; row < shifted.rows; row++) {
    const out = shifted.groups.camera.subarray(row * P, (row + 1) * P);
    const img = plain.groups.camera.subarray(row * P, (row + 1) * P);
    assert.ok(isShiftOf(out, img, 32, 32, pad), `row ${row} is a shift of its recorded image`);
    if (out.some((v, k) => v !== img[k])) moved++;
  }
  assert.ok(moved > shifted.rows / 2, `most rows shifted (${moved} of ${shifted.rows})`);
  // "Image only": BC on the recorded states with shifted images.
  const bc = buildBatch(resolveCloningConfig({ strategy: 'bc', imageShift: pad }), data, idx, spec.views.student, null, new Rng(9));
  assert.equal(bc.rows, L);
  assert.deepEqual(Array.from(bc.groups.arm_pos), idx.flatMap((i) => Array.from(data.groups.arm_pos.subarray(i * 16, (i + 1) * 16))));
  assert.ok(bc.groups.camera.some((v, k) => v !== plain.groups.camera[k]));
});

test('an image student trains with every strategy, with and without image shift: finite, decreasing validation NLL', () => {
  const variants: [Strategy, number][] = [['bc', 0], ['naive-abc', 0], ['apc', 0], ['bc', 2], ['apc', 2]];
  for (const [strategy, imageShift] of variants) {
    const student = makeStudent(`student/${strategy}`);
    initStudentNormalizer(student, expert, data);
    const spy = new SpyExpert(expert);
    const config = resolveCloningConfig({ strategy, imageShift, numAugmented: 2, batchSize: 8, numUpdates: 8, validateEvery: 4, patience: null, learningRate: 3e-3 });
    const fit = trainStudent({ student, expert: spy, train: data, validation: data, config, rng: new Rng(`fit/${strategy}`) });
    const what = methodName(strategy, imageShift);
    assert.equal(fit.history.length, 2, what);
    for (const h of fit.history) assert.ok(Number.isFinite(h.trainLoss) && Number.isFinite(h.validationNll), `${what}: ${JSON.stringify(h)}`);
    assert.ok(fit.history[1].validationNll < fit.history[0].validationNll, `${what}: validation NLL decreases ${JSON.stringify(fit.history)}`);
    assert.equal(fit.expertQueries, strategy === 'apc' ? 8 * 2 * 8 : 0, `${what} expert queries`);
    for (const c of spy.calls) {
      // Every query's target_pos rows are recorded rows of the dataset.
      for (let r = 0; r < c.batch; r++) {
        const row = c.groups.target_pos.subarray(r * 4, (r + 1) * 4);
        let found = false;
        for (let i = 0; i < data.size && !found; i++) found = data.groups.target_pos.subarray(i * 4, (i + 1) * 4).every((v, k) => v === row[k]);
        assert.ok(found, `${what}: queried target_pos row ${r} was recorded`);
      }
    }
    student.dispose();
  }
  assert.deepEqual(['bc', 'naive-abc', 'apc'].map((m) => methodName(m as Strategy, 2)), ['Image shift only', 'Naive ABC + image shift', 'APC + image shift']);
  assert.throws(() => trainStudent({ student: policyOn(spec.views.expert, {}, 's'), expert, train: data, validation: null, config: resolveCloningConfig({ strategy: 'bc', imageShift: 2, numUpdates: 1 }), rng: new Rng(0) }),
    /imageShift 2 needs a student that reads an image group/);
});

test('runOfflineCloning end to end: a vision student of a privileged expert, evaluated on its own view', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-privileged-'));
  const saved = { experts: process.env.APC_EXPERTS_DIR, datasets: process.env.APC_DATASETS_DIR };
  process.env.APC_EXPERTS_DIR = path.join(root, 'experts');
  process.env.APC_DATASETS_DIR = path.join(root, 'datasets');
  try {
    saveCheckpointSync(path.join(root, 'experts', TASK, 'expert'), expert, { task: TASK });
    const cell: OfflineCell = {
      figure: 'fig4-privileged', task: TASK, method: 'apc', trajectories: 1, seed: 0, trainSteps: 2, evalEpisodes: 2, datasetNoise: 0.2,
      evalNoise: 0.2, numAugmented: 2, sigmaS: 0.1, batchSize: 4, studentView: 'student', imageShift: 2, episodeLength: 6,
    };
    await assert.rejects(runOfflineCloning({ ...cell, studentView: 'pixels' }), /studentView 'pixels' is not a view of task manipulator-insert-peg; its views: common, expert, default, student/);
    // Evaluation would throw 'observation batch lacks group camera' if the VecEnv did not pass the image through.
    const [row] = await runOfflineCloning(cell);
    assert.equal(row.method, 'APC + image shift');
    assert.equal(row.studentView, 'student');
    assert.equal(row.imageShift, 2);
    assert.equal(row.expertQueries, 2 * 4 * 2);
    assert.ok(Number.isFinite(row.return as number) && Number.isFinite(row.expertReturn as number), JSON.stringify(row));
    assert.ok((row.compressionRatio as number) > 1, 'the student carries a conv encoder the expert lacks');
  } finally {
    if (saved.experts === undefined) delete process.env.APC_EXPERTS_DIR; else process.env.APC_EXPERTS_DIR = saved.experts;
    if (saved.datasets === undefined) delete process.env.APC_DATASETS_DIR; else process.env.APC_DATASETS_DIR = saved.datasets;
    fs.rmSync(root, { recursive: true, force: true });
  }
});
