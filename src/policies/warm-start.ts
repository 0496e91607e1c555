/**
 * Warm-starting a policy from one trained on a related task whose observations are a subset of the new one's
 * (e.g. the humanoid-run expert -> the walls corridor expert, which also reads the privileged wall features).
 * The new policy computes exactly the source's distribution at first: every shared layer is copied, the first
 * layer's rows for the source's state groups are copied into their new positions, and the rows for the new
 * groups are zero (the new inputs are ignored until training gives them weight). Normaliser statistics of the
 * shared groups are copied; new groups start at mean 0, variance 1, and the count is capped at WARM_START_COUNT.
 */
import { GaussianMLP, rawStdFor } from './gaussian-mlp';

/** Normaliser count after a warm start (see warmStartFrom). */
export const WARM_START_COUNT = 10_000;

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Offsets of each state group in the policy's concatenated state vector. */
function offsets(p: GaussianMLP): Map<string, { at: number; size: number }> {
  const out = new Map<string, { at: number; size: number }>();
  let at = 0;
  for (const g of p.stateGroups) {
    const size = sizeOf(p.spec.groupShapes[g]);
    out.set(g, { at, size });
    at += size;
  }
  return out;
}

/** Overwrite `target`'s weights and normaliser from `source` (see the file comment); throws naming any mismatch. */
export function warmStartFrom(target: GaussianMLP, source: GaussianMLP): void {
  if (target.imageGroups.length > 0 || source.imageGroups.length > 0) throw new RangeError('warmStartFrom: only state-only policies can be warm-started (a view has image groups)');
  if (target.actionDim !== source.actionDim) throw new RangeError(`warmStartFrom: action sizes differ (${source.actionDim} -> ${target.actionDim})`);
  for (const k of ['torso', 'activation', 'stateDependentStd', 'minStd', 'maxStd', 'normalize'] as const) {
    if (JSON.stringify(target.config[k]) !== JSON.stringify(source.config[k])) {
      throw new RangeError(`warmStartFrom: policy config '${k}' differs: source ${JSON.stringify(source.config[k])}, target ${JSON.stringify(target.config[k])}`);
    }
  }
  const src = offsets(source);
  const dst = offsets(target);
  for (const [g, o] of src) {
    const d = dst.get(g);
    if (!d) throw new RangeError(`warmStartFrom: the target view lacks the source's group '${g}' (target: ${target.view.join(', ')})`);
    if (d.size !== o.size) throw new RangeError(`warmStartFrom: group '${g}' has ${o.size} values in the source and ${d.size} in the target`);
  }
  const sw = source.getWeights();
  const tw = target.getWeights();
  const names = target.weightNames();
  if (names[0] !== 'mlp/0/w') throw new Error(`warmStartFrom: expected the first tensor to be mlp/0/w, got ${names[0]}`);
  const width = target.config.torso[0];
  const first = new Float32Array(target.featureSize * width);
  for (const [g, o] of src) {
    const d = dst.get(g)!;
    first.set(sw[0].subarray(o.at * width, (o.at + o.size) * width), d.at * width);
  }
  const weights = [first, ...sw.slice(1)];
  weights.forEach((w, i) => {
    if (w.length !== tw[i].length) throw new RangeError(`warmStartFrom: '${names[i]}' has ${w.length} values in the source, ${tw[i].length} in the target`);
  });
  target.setWeights(weights);
  if (target.normalizer && source.normalizer) {
    const s = source.normalizer.getState();
    const t = target.normalizer.getState();
    for (const [g, o] of src) {
      const d = dst.get(g)!;
      for (let j = 0; j < o.size; j++) {
        t.mean[d.at + j] = s.mean[o.at + j];
        t.var[d.at + j] = s.var[o.at + j];
      }
    }
    // The count is capped so that the new groups' statistics (which start at 0 / 1) adapt within a few PPO
    // iterations; the shared groups' statistics move little, their data being alike on the two tasks.
    target.normalizer.setState({ ...t, count: Math.min(s.count, WARM_START_COUNT) });
  }
}

/**
 * Reset the mean of the listed action dimensions to 0 in every state: zero their columns of the last layer's
 * kernel and their biases (policies with a state-independent std, whose last layer outputs the means). A training
 * curriculum uses it when a mean has drifted far outside the clipped action range, where its noise no longer
 * changes the action and so yields no gradient (see PPOConfig.boundsLossCoef).
 */
export function resetActionMeans(policy: GaussianMLP, dims: number[]): void {
  if (policy.config.stateDependentStd) throw new RangeError('resetActionMeans: the policy has a state-dependent std (its last layer also outputs log-stds)');
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d >= policy.actionDim) throw new RangeError(`resetActionMeans: action dimension must be an integer in [0, ${policy.actionDim - 1}], got ${d}`);
  }
  const names = policy.weightNames();
  const weights = policy.getWeights();
  const last = policy.config.torso.length;
  const wi = names.indexOf(`mlp/${last}/w`), bi = names.indexOf(`mlp/${last}/b`);
  if (wi < 0 || bi < 0) throw new Error(`resetActionMeans: no mlp/${last}/w and mlp/${last}/b among ${names.join(', ')}`);
  const A = policy.actionDim;
  if (weights[bi].length !== A) throw new Error(`resetActionMeans: mlp/${last}/b has ${weights[bi].length} values, expected ${A}`);
  const rows = weights[wi].length / A;
  for (const d of dims) {
    for (let r = 0; r < rows; r++) weights[wi][r * A + d] = 0;
    weights[bi][d] = 0;
  }
  policy.setWeights(weights);
}

/**
 * Set the action std of every dimension to `std` in every state (policies with a state-independent std): the raw
 * std parameter becomes logit((std - minStd) / (maxStd - minStd)). A training curriculum uses it to restore
 * exploration after PPO without an entropy bonus has shrunk the std (Insert Peg: 0.34 at 8M steps, 0.07 at 65M).
 */
export function setActionStd(policy: GaussianMLP, std: number): void {
  if (policy.config.stateDependentStd) throw new RangeError('setActionStd: the policy has a state-dependent std (its last layer outputs log-stds)');
  const { minStd, maxStd } = policy.config;
  if (!(typeof std === 'number' && std > minStd && std < maxStd)) throw new RangeError(`setActionStd: std must lie strictly between the policy's minStd (${minStd}) and maxStd (${maxStd}), got ${std}`);
  const names = policy.weightNames();
  const weights = policy.getWeights();
  const i = names.indexOf('std/raw');
  if (i < 0) throw new Error(`setActionStd: no std/raw among ${names.join(', ')}`);
  weights[i].fill(rawStdFor(std, minStd, maxStd));
  policy.setWeights(weights);
}
