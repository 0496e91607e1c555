/**
 * The three cloning strategies of Algorithm 1 as one batch builder: given L recorded states (with the expert's
 * Gaussian at each), produce the student's training rows, targets and per-row weights.
 *   bc        : the L recorded rows, target = recorded expert mean (eqn 3).
 *   naive-abc : + M perturbed copies s + ds of each row, target = the RECORDED action (the paper's baseline).
 *   apc       : + M perturbed copies, target = expert mean re-queried at s + ds (eqn 10); exactly L*M queries.
 * Perturbations touch only the state-kind groups that the student and the expert both read (perturbedGroups); when
 * the expert is re-queried, groups it reads that the student does not (privileged ones, section 5.3) keep their
 * recorded values, and image groups are never perturbed. Random-shift augmentation (config.imageShift) applies to
 * the student's image groups only, on every row (recorded and perturbed).
 */
import type { Expert } from '../policies/types';
import type { Rng } from '../util/rng';
import type { CloningConfig } from './config';

/** Recorded states with the expert's Gaussian at each (a dataset, or DAgger's relabelled buffer). */
export interface SampleSet {
  size: number;
  /** Every observation group, size * groupSize, row-major. */
  groups: Record<string, Float32Array>;
  groupShapes: Record<string, number[]>;
  groupKinds: Record<string, 'state' | 'image'>;
  /** Expert mean at each state, size * actionDim. */
  expertMean: Float32Array;
  /** Expert std at each state, size * actionDim. */
  expertStd: Float32Array;
  actionDim: number;
}

/** The rows of one cloning update: the student's inputs, targets and per-row weights (eqn 10). */
export interface TrainingBatch {
  rows: number;
  /** The student's view groups, rows * groupSize. */
  groups: Record<string, Float32Array>;
  targetMean: Float32Array;
  targetStd: Float32Array;
  /** 1 for recorded rows, 1/M for perturbed rows (eqn 10). */
  weights: Float32Array;
  /** L: the loss is sum(weights * rowLoss) / L. */
  normaliser: number;
  /** Rows the expert was queried on while building this batch. */
  expertQueries: number;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Refuse a dataset that lacks a group the student or the expert reads. */
export function checkViews(data: SampleSet, studentView: string[], expert: Expert | null): void {
  for (const g of studentView) {
    if (!data.groups[g]) throw new RangeError(`student/expert observation mismatch: the student reads group '${g}', which the dataset lacks (it has ${Object.keys(data.groups).join(', ')})`);
  }
  if (expert) {
    for (const g of expert.view) {
      if (!data.groups[g]) throw new RangeError(`student/expert observation mismatch: the expert reads group '${g}', which the dataset lacks (it has ${Object.keys(data.groups).join(', ')})`);
    }
    if (expert.actionDim !== data.actionDim) throw new RangeError(`expert actionDim ${expert.actionDim} differs from the dataset's ${data.actionDim}`);
  }
}

/**
 * The groups a perturbation ds ~ N(0, sigmaS^2) is added to: the student's state groups that the expert also reads
 * (every student state group when no expert is given). A state group only the student reads is left as recorded:
 * the expert, re-queried at s + ds, would not see its perturbation, so the target would not follow it.
 */
export function perturbedGroups(groupKinds: Record<string, 'state' | 'image'>, studentView: string[], expertView: string[] | null): string[] {
  return studentView.filter((g) => groupKinds[g] === 'state' && (expertView === null || expertView.includes(g)));
}

/** Gather rows `idx` of a row-major array with `width` columns. */
export function gatherRows(x: Float32Array, width: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * width);
  for (let r = 0; r < idx.length; r++) out.set(x.subarray(idx[r] * width, (idx[r] + 1) * width), r * width);
  return out;
}

/** Random shift of H x W x C images: replicate-pad by `pad` pixels, then crop at a random offset (per image). */
export function randomShift(images: Float32Array, shape: number[], pad: number, rng: Rng): Float32Array {
  const [H, W, C] = shape;
  const n = images.length / (H * W * C);
  const out = new Float32Array(images.length);
  for (let b = 0; b < n; b++) {
    const dy = rng.int(2 * pad + 1) - pad;
    const dx = rng.int(2 * pad + 1) - pad;
    const base = b * H * W * C;
    for (let y = 0; y < H; y++) {
      const sy = Math.min(H - 1, Math.max(0, y + dy));
      for (let x = 0; x < W; x++) {
        const sx = Math.min(W - 1, Math.max(0, x + dx));
        for (let c = 0; c < C; c++) out[base + (y * W + x) * C + c] = images[base + (sy * W + sx) * C + c];
      }
    }
  }
  return out;
}

/** Build the training rows of one update from recorded rows `idx` (length L). */
export function buildBatch(
  config: CloningConfig, data: SampleSet, idx: ArrayLike<number>, studentView: string[], expert: Expert | null, rng: Rng,
): TrainingBatch {
  const L = idx.length;
  const A = data.actionDim;
  const M = config.strategy === 'bc' ? 0 : config.numAugmented;
  if (config.strategy === 'apc' && M > 0 && !expert) throw new RangeError("strategy 'apc' needs an expert to re-query");
  const rows = L * (1 + M);
  const perturbed = new Set(perturbedGroups(data.groupKinds, studentView, expert ? expert.view : null));
  const readGroups = new Set([...studentView, ...(config.strategy === 'apc' && M > 0 && expert ? expert.view : [])]);

  // Recorded rows first, then copy j of every row (j = 1..M); perturbed groups get + N(0, sigmaS^2).
  const groups: Record<string, Float32Array> = {};
  for (const g of readGroups) {
    const w = sizeOf(data.groupShapes[g]);
    const base = gatherRows(data.groups[g], w, idx);
    const out = new Float32Array(rows * w);
    for (let j = 0; j <= M; j++) out.set(base, j * L * w);
    if (perturbed.has(g) && M > 0 && config.sigmaS > 0) {
      const scale = config.perturbScale?.[g];
      if (scale) {
        // Per-dimension form: dimension d of the group gets sigmaS x scale[d] (the same draws as the raw form).
        if (scale.length !== w) throw new RangeError(`perturbScale.${g} has ${scale.length} entries, the group has ${w} dimensions`);
        for (let k = L * w; k < out.length; k++) out[k] += config.sigmaS * scale[k % w] * rng.normal();
      } else {
        for (let k = L * w; k < out.length; k++) out[k] += config.sigmaS * rng.normal();
      }
    }
    groups[g] = out;
  }

  const recMean = gatherRows(data.expertMean, A, idx);
  const recStd = gatherRows(data.expertStd, A, idx);
  const targetMean = new Float32Array(rows * A);
  const targetStd = new Float32Array(rows * A);
  targetMean.set(recMean, 0);
  targetStd.set(recStd, 0);
  let expertQueries = 0;
  if (M > 0 && config.strategy === 'naive-abc') {
    for (let j = 1; j <= M; j++) {
      targetMean.set(recMean, j * L * A);
      targetStd.set(recStd, j * L * A);
    }
  } else if (M > 0 && config.strategy === 'apc' && expert) {
    const q: Record<string, Float32Array> = {};
    for (const g of expert.view) {
      const w = sizeOf(data.groupShapes[g]);
      q[g] = groups[g].subarray(L * w);
    }
    const d = expert.distribution({ batch: L * M, groups: q });
    expertQueries = L * M;
    targetMean.set(d.mean, L * A);
    targetStd.set(d.std, L * A);
  }

  const weights = new Float32Array(rows);
  weights.fill(1, 0, L);
  if (M > 0) weights.fill(1 / M, L);

  const studentGroups: Record<string, Float32Array> = {};
  for (const g of studentView) {
    studentGroups[g] = data.groupKinds[g] === 'image' && config.imageShift > 0
      ? randomShift(groups[g], data.groupShapes[g], config.imageShift, rng)
      : groups[g];
  }
  return { rows, groups: studentGroups, targetMean, targetStd, weights, normaliser: L, expertQueries };
}
