/**
 * Cloning losses as pure functions returning { loss, metrics } (acme style). Both are per-row weighted means, so
 * APC's eqn 10 -[log pi(a_i|s_i) + (1/M) sum_j log pi(a'_ij | s_i + ds_ij)] is the NLL with weight 1 on the
 * recorded rows and 1/M on the perturbed rows, divided by L.
 */
import * as tf from '@tensorflow/tfjs';

const LOG_2PI = Math.log(2 * Math.PI);

/** -log N(target | mean, exp(logStd)^2), summed over action dims: [B]. */
export function gaussianNllRows(mean: tf.Tensor2D, logStd: tf.Tensor2D, target: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(target, mean), tf.exp(logStd));
    return tf.sum(tf.add(tf.add(tf.mul(0.5, tf.square(z)), logStd), 0.5 * LOG_2PI), 1) as tf.Tensor1D;
  });
}

/**
 * Closed-form cross-entropy H[pi_E || pi] = E_{a ~ pi_E}[-log pi(a)] for diagonal Gaussians, summed over dims:
 * sum_d log sigma + 0.5 log 2pi + (sigma_E^2 + (mu_E - mu)^2) / (2 sigma^2). [B].
 */
export function gaussianCrossEntropyRows(expertMean: tf.Tensor2D, expertStd: tf.Tensor2D, mean: tf.Tensor2D, logStd: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const var_ = tf.exp(tf.mul(2, logStd));
    const num = tf.add(tf.square(expertStd), tf.square(tf.sub(expertMean, mean)));
    return tf.sum(tf.add(tf.add(logStd, 0.5 * LOG_2PI), tf.div(num, tf.mul(2, var_))), 1) as tf.Tensor1D;
  });
}

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
  const loss = weighted(gaussianNllRows(mean, logStd, target), weights, normaliser);
  return { loss, metrics: { 'loss/nll': loss } };
}

/** Weighted closed-form cross-entropy to the expert's Gaussian. */
export function cloningCrossEntropy(
  mean: tf.Tensor2D, logStd: tf.Tensor2D, expertMean: tf.Tensor2D, expertStd: tf.Tensor2D, weights: tf.Tensor1D, normaliser: number,
): LossResult {
  const loss = weighted(gaussianCrossEntropyRows(expertMean, expertStd, mean, logStd), weights, normaliser);
  return { loss, metrics: { 'loss/cross_entropy': loss } };
}
