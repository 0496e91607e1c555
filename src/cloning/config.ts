/**
 * Configuration of one offline cloning run (paper Algorithm 1): the strategy (BC, Naive ABC, APC), the state
 * perturbation sigma_s, the number M of perturbed copies per recorded state, batch size L, learning rate and number
 * of updates K. Plain data with a documented default on every field; `resolveCloningConfig` validates it.
 */

/** The cloning strategies of Algorithm 1. */
export const STRATEGIES = ['bc', 'naive-abc', 'apc'] as const;
/** `bc`: eqn 3. `naive-abc`: perturbed states, recorded action. `apc`: perturbed states, expert re-queried (eqn 10). */
export type Strategy = (typeof STRATEGIES)[number];
/** The cloning losses. */
export const LOSSES = ['nll', 'cross-entropy'] as const;
/** `nll`: -log pi(mu_E | s) (eqn 3 / 10). `cross-entropy`: closed-form H[pi_E || pi] (used by DAgger, kickstarting). */
export type CloningLoss = (typeof LOSSES)[number];

/** Settings of one cloning run (Algorithm 1); defaults in DEFAULT_CLONING. */
export interface CloningConfig {
  /** Default 'apc'. */
  strategy: Strategy;
  /** Std of the Gaussian state perturbation ds ~ N(0, sigmaS^2), in observation units. Default 0.1. */
  sigmaS: number;
  /** M, perturbed copies per recorded state (ignored by 'bc'). Default 16. */
  numAugmented: number;
  /** L, recorded states per update. Default 256. */
  batchSize: number;
  /** Adam learning rate. Default 3e-4. */
  learningRate: number;
  /** K, gradient updates. Default 5000. */
  numUpdates: number;
  /** Loss on (state, expert) pairs. Default 'nll'. */
  loss: CloningLoss;
  /** Validate (NLL of expert means on validation states) every this many updates. Default 250. */
  validateEvery: number;
  /** Stop after this many validations without improvement (null: never). The best-validation weights are kept. Default 8. */
  patience: number | null;
  /**
   * Where validation may still improve at the end of `numUpdates` (patience has not run out; without patience, the
   * last validation is the best so far), train on: the budget grows by half at a time, up to this multiple of
   * `numUpdates` (null: never; the budget is final). With patience, training thus runs until validation stops
   * improving or the cap. The result's `stoppedBy` and `endedImproving` say how it ended. Default null.
   */
  extendWhileImproving: number | null;
  /**
   * Random-shift augmentation of the student's image groups: replicate-pad by this many pixels then crop (0: off).
   * Combines with any strategy; with 'bc' it is Figure 4's "image only" variant. Needs a student with an image group.
   * Default 0.
   */
  imageShift: number;
  /**
   * Per-dimension multipliers of sigmaS, by observation group: ds_k ~ N(0, (sigmaS x scale_k)^2). null (default): the
   * paper's raw form, one sigmaS for every dimension. The 'expert-std' form sets each to the expert normaliser's std of
   * that dimension (experiment.ts expertStdScale).
   */
  perturbScale: Record<string, number[]> | null;
}

/** The default of every cloning setting (documented on CloningConfig). */
export const DEFAULT_CLONING: CloningConfig = {
  strategy: 'apc',
  sigmaS: 0.1,
  numAugmented: 16,
  batchSize: 256,
  learningRate: 3e-4,
  numUpdates: 5000,
  loss: 'nll',
  validateEvery: 250,
  patience: 8,
  extendWhileImproving: null,
  imageShift: 0,
  perturbScale: null,
};

/** Fill defaults and refuse bad values, naming the field and the accepted values. */
export function resolveCloningConfig(partial: Partial<CloningConfig> = {}): CloningConfig {
  for (const k of Object.keys(partial)) {
    if (!(k in DEFAULT_CLONING)) throw new RangeError(`unknown cloning config field '${k}'; accepted: ${Object.keys(DEFAULT_CLONING).join(', ')}`);
  }
  const c: CloningConfig = { ...DEFAULT_CLONING, ...partial };
  if (!(STRATEGIES as readonly string[]).includes(c.strategy)) {
    throw new RangeError(`strategy must be one of ${STRATEGIES.join(', ')}, got '${c.strategy}'`);
  }
  if (!(LOSSES as readonly string[]).includes(c.loss)) throw new RangeError(`loss must be one of ${LOSSES.join(', ')}, got '${c.loss}'`);
  if (typeof c.sigmaS !== 'number' || !(c.sigmaS >= 0) || !Number.isFinite(c.sigmaS)) {
    throw new RangeError(`sigmaS must be a finite number >= 0, got ${c.sigmaS}`);
  }
  if (!Number.isInteger(c.numAugmented) || c.numAugmented < 0) {
    throw new RangeError(`numAugmented (M) must be a non-negative integer, got ${c.numAugmented}`);
  }
  for (const k of ['batchSize', 'numUpdates', 'validateEvery'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new RangeError(`${k} must be a positive integer, got ${c[k]}`);
  }
  if (!(c.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${c.learningRate}`);
  if (c.patience !== null && (!Number.isInteger(c.patience) || c.patience <= 0)) {
    throw new RangeError(`patience must be a positive integer or null, got ${c.patience}`);
  }
  if (c.extendWhileImproving !== null && !(typeof c.extendWhileImproving === 'number' && c.extendWhileImproving >= 1 && Number.isFinite(c.extendWhileImproving))) {
    throw new RangeError(`extendWhileImproving must be a number >= 1 (the largest multiple of numUpdates) or null, got ${c.extendWhileImproving}`);
  }
  if (!Number.isInteger(c.imageShift) || c.imageShift < 0) throw new RangeError(`imageShift must be a non-negative integer, got ${c.imageShift}`);
  if (c.perturbScale !== null) {
    const bad = typeof c.perturbScale !== 'object' || Array.isArray(c.perturbScale)
      || Object.values(c.perturbScale).some((v) => !Array.isArray(v) || v.some((x) => typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x)));
    if (bad) throw new RangeError('perturbScale must be null or an object of per-group lists of finite numbers >= 0 (one per dimension)');
  }
  return c;
}
