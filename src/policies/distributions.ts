/**
 * Diagonal-Gaussian quantities for the policy pi(a|s) = N(mu(s), diag sigma(s)^2) (paper section 3): the
 * log-likelihood / NLL used by BC, Naive ABC and APC (Algorithm 1), and the closed-form cross-entropy
 * H[pi_E || pi] used by DAgger and kickstarting (eqn 5). Tensors in ([B, A]), one value per row out ([B]).
 */
import * as tf from '@tensorflow/tfjs';

export const LOG_2PI = Math.log(2 * Math.PI);

function check2d(name: string, t: tf.Tensor, like?: tf.Tensor): void {
  if (t.rank !== 2) throw new RangeError(`${name} must be a rank-2 [batch, actionDim] tensor, got shape [${t.shape}]`);
  if (like && (t.shape[0] !== like.shape[0] || t.shape[1] !== like.shape[1])) {
    throw new RangeError(`${name} has shape [${t.shape}], expected [${like.shape}]`);
  }
}

/** log N(action; mean, exp(logStd)^2), summed over action dimensions: [B]. */
export function gaussianLogProb(mean: tf.Tensor, logStd: tf.Tensor, action: tf.Tensor): tf.Tensor1D {
  check2d('mean', mean);
  check2d('logStd', logStd, mean);
  check2d('action', action, mean);
  return tf.tidy(() => {
    const z = tf.mul(tf.sub(action, mean), tf.exp(tf.neg(logStd)));
    // -(z^2 / 2 + log sigma + log(2 pi) / 2) per dimension.
    return tf.neg(tf.sum(tf.add(tf.add(tf.mul(0.5, tf.square(z)), logStd), 0.5 * LOG_2PI), 1)) as tf.Tensor1D;
  });
}

/**
 * Negative log-likelihood -log N(action; mean, sigma^2) per row: [B]; the cloning losses' NLL (eqns 3 and 10).
 * It divides by sigma where gaussianLogProb (PPO's ratio) multiplies by 1 / sigma: the two may differ in the last
 * bit, and each is kept as the committed results were computed with it.
 */
export function gaussianNll(mean: tf.Tensor, logStd: tf.Tensor, action: tf.Tensor): tf.Tensor1D {
  check2d('mean', mean);
  check2d('logStd', logStd, mean);
  check2d('action', action, mean);
  return tf.tidy(() => {
    const z = tf.div(tf.sub(action, mean), tf.exp(logStd));
    return tf.sum(tf.add(tf.add(tf.mul(0.5, tf.square(z)), logStd), 0.5 * LOG_2PI), 1) as tf.Tensor1D;
  });
}

/** Differential entropy sum_d (log sigma_d + (1 + log 2 pi) / 2) per row: [B]. */
export function gaussianEntropy(logStd: tf.Tensor): tf.Tensor1D {
  check2d('logStd', logStd);
  return tf.tidy(() => tf.sum(tf.add(logStd, 0.5 * (1 + LOG_2PI)), 1) as tf.Tensor1D);
}

/**
 * Cross-entropy H[p_E || p] = -E_{a ~ p_E} log p(a) for diagonal Gaussians p_E = N(mu_E, sigma_E^2) (expert) and
 * p = N(mu, sigma^2) (student), per row: sum_d log sigma + log(2 pi) / 2 + (sigma_E^2 + (mu_E - mu)^2) / (2 sigma^2).
 * Its gradient in the student's parameters equals that of KL(p_E || p), since H[p_E] does not depend on them.
 */
export function gaussianCrossEntropy(expertMean: tf.Tensor, expertStd: tf.Tensor, mean: tf.Tensor, logStd: tf.Tensor): tf.Tensor1D {
  check2d('mean', mean);
  check2d('logStd', logStd, mean);
  check2d('expertMean', expertMean, mean);
  check2d('expertStd', expertStd, mean);
  return tf.tidy(() => {
    const var_ = tf.exp(tf.mul(2, logStd));
    const num = tf.add(tf.square(expertStd), tf.square(tf.sub(expertMean, mean)));
    return tf.sum(tf.add(tf.add(logStd, 0.5 * LOG_2PI), tf.div(num, tf.mul(2, var_))), 1) as tf.Tensor1D;
  });
}

/** KL(p_E || p) = H[p_E || p] - H[p_E] per row: [B] (a diagnostic; the losses use the cross-entropy). */
export function gaussianKl(expertMean: tf.Tensor, expertStd: tf.Tensor, mean: tf.Tensor, logStd: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.sub(gaussianCrossEntropy(expertMean, expertStd, mean, logStd), gaussianEntropy(tf.log(expertStd))) as tf.Tensor1D);
}
