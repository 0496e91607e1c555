/**
 * Cloning losses as pure functions returning { loss, metrics } (acme style). Both are per-row weighted means, so
 * APC's eqn 10 -[log pi(a_i|s_i) + (1/M) sum_j log pi(a'_ij | s_i + ds_ij)] is the NLL with weight 1 on the
 * recorded rows and 1/M on the perturbed rows, divided by L.
 */
import * as tf from '@tensorflow/tfjs';
import { gaussianCrossEntropy, gaussianNll } from '../policies/distributions';

export interface LossResult {
  loss: tf.Scalar;
  metrics: Record<string, tf.Scalar>;
}

/** sum_i w_i * rows_i / normaliser. */
function weighted(rows: tf.Tensor1D, weights: tf.Tensor1D, normaliser: number): tf.Scalar {
  return tf.div(tf.sum(tf.mul(rows, weights)), normaliser) as tf.Scalar;
}

/** Weighted Gaussian NLL of `target` (eqn 3 with uniform weights, eqn 10 with APC's weights). */
export function cloningNll(mean: tf.Tensor2D, logStd: tf.Tensor2D, target: tf.Tensor2D, weights: tf.Tensor1D, normaliser: number): LossResult {
  const loss = weighted(gaussianNll(mean, logStd, target), weights, normaliser);
  return { loss, metrics: { 'loss/nll': loss } };
}

/** Weighted closed-form cross-entropy to the expert's Gaussian. */
export function cloningCrossEntropy(
  mean: tf.Tensor2D, logStd: tf.Tensor2D, expertMean: tf.Tensor2D, expertStd: tf.Tensor2D, weights: tf.Tensor1D, normaliser: number,
): LossResult {
  const loss = weighted(gaussianCrossEntropy(expertMean, expertStd, mean, logStd), weights, normaliser);
  return { loss, metrics: { 'loss/cross_entropy': loss } };
}
