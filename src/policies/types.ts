/**
 * The policy contract: a batched Gaussian N(mu(s), sigma(s)) over actions (paper section 3).
 * An expert is any policy that can be queried; cloning code queries thousands of states per update.
 */

/** A batch of observations: for each group name, a Float32Array of batch * groupSize (row-major). */
export interface ObservationBatch {
  batch: number;
  groups: Record<string, Float32Array>;
}

/** Batched Gaussian parameters, each batch * actionDim, row-major. */
export interface GaussianParams {
  mean: Float32Array;
  std: Float32Array;
}

/** Anything that can be queried for a Gaussian over actions at a batch of states. */
export interface Expert {
  /** Observation groups this policy reads, in order. */
  readonly view: string[];
  readonly actionDim: number;
  /** Gaussian mean and std for every row of the batch (no gradient, no tensors leaked). */
  distribution(obs: ObservationBatch): GaussianParams;
}
