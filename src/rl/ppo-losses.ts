/**
 * PPO maths as pure functions (Schulman et al. 2017, "Proximal Policy Optimization Algorithms"):
 * generalised advantage estimation (GAE(lambda), Schulman et al. 2016, eqn 16), the clipped surrogate
 * (PPO eqn 7), the (optionally clipped) value loss and the entropy bonus. Losses return { loss, metrics }.
 */
import * as tf from '@tensorflow/tfjs';

/** Scalars a loss reports next to its value; tensors are read after the gradient step. */
export type Metrics = Record<string, number | tf.Scalar>;

export interface LossOutput {
  loss: tf.Scalar;
  metrics: Metrics;
}

export interface GaeInput {
  /** Rollout length T and number of envs N; arrays below are time-major, index t * N + i. */
  steps: number;
  numEnvs: number;
  rewards: Float32Array;
  /** V(s_t) under the network that collected the batch. */
  values: Float32Array;
  /** The episode ended after step t (time limit or failure); the next stored state belongs to a new episode. */
  dones: Uint8Array;
  /**
   * The episode ended by failure (a true terminal state: no bootstrap). A done that is not a failure is a
   * time-limit truncation: the return is bootstrapped with `truncationValues[t*N+i]`, the value of the
   * state the episode was cut at.
   */
  failures: Uint8Array;
  truncationValues: Float32Array;
  /** V(s_T) of the observation after the last step, per env (bootstraps the unfinished episodes). */
  lastValues: Float32Array;
  gamma: number;
  lambda: number;
}

/**
 * GAE: delta_t = r_t + gamma * V(s_{t+1}) * (1 - terminal_t) - V(s_t),
 *      A_t = delta_t + gamma * lambda * (1 - done_t) * A_{t+1},   returns R_t = A_t + V(s_t).
 * On a truncation V(s_{t+1}) is the value at the cut (not the next episode's first state).
 */
export function computeGae(x: GaeInput): { advantages: Float32Array; returns: Float32Array } {
  const { steps: T, numEnvs: N, gamma, lambda } = x;
  const n = T * N;
  for (const [name, arr] of Object.entries({ rewards: x.rewards, values: x.values, dones: x.dones, failures: x.failures, truncationValues: x.truncationValues })) {
    if (arr.length !== n) throw new RangeError(`computeGae: ${name} has length ${arr.length}, expected steps*numEnvs = ${n}`);
  }
  if (x.lastValues.length !== N) throw new RangeError(`computeGae: lastValues has length ${x.lastValues.length}, expected numEnvs = ${N}`);
  const advantages = new Float32Array(n);
  const returns = new Float32Array(n);
  for (let i = 0; i < N; i++) {
    let nextAdv = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      let nextValue: number;
      if (x.dones[k]) nextValue = x.failures[k] ? 0 : x.truncationValues[k];
      else nextValue = t === T - 1 ? x.lastValues[i] : x.values[k + N];
      const delta = x.rewards[k] + gamma * nextValue - x.values[k];
      const adv = delta + (x.dones[k] ? 0 : gamma * lambda * nextAdv);
      advantages[k] = adv;
      returns[k] = adv + x.values[k];
      nextAdv = adv;
    }
  }
  return { advantages, returns };
}

/** Advantages shifted to mean 0 and scaled to std 1 (over the minibatch), the usual PPO normalisation. */
export function normalizeAdvantages(adv: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(adv);
    return tf.div(tf.sub(adv, mean), tf.add(tf.sqrt(variance), 1e-8)) as tf.Tensor1D;
  });
}

/**
 * Clipped surrogate (PPO eqn 7), as a loss to minimise:
 *   L = -mean( min(rho * A, clip(rho, 1 - eps, 1 + eps) * A) ),  rho = exp(logp - oldLogp).
 * Metrics: approximate KL (mean of (rho - 1) - log rho, Schulman's low-variance estimator) and the fraction of
 * clipped ratios.
 */
export function clippedSurrogateLoss(logProb: tf.Tensor1D, oldLogProb: tf.Tensor1D, advantages: tf.Tensor1D, clip: number): LossOutput {
  const logRatio = tf.sub(logProb, oldLogProb);
  const ratio = tf.exp(logRatio);
  const unclipped = tf.mul(ratio, advantages);
  const clipped = tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), advantages);
  const loss = tf.neg(tf.mean(tf.minimum(unclipped, clipped))) as tf.Scalar;
  const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar;
  const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), clip), 'float32')) as tf.Scalar;
  return { loss, metrics: { 'loss/approx_kl': approxKl, 'loss/clip_fraction': clipFraction } };
}

/**
 * Value regression 0.5 * mean((V - R)^2); with `clip` (the PPO2 variant) the new value is kept within `clip` of
 * the old one and the larger of the two squared errors is used.
 */
export function valueLoss(values: tf.Tensor1D, returns: tf.Tensor1D, oldValues: tf.Tensor1D, clip: number | null): LossOutput {
  const err = tf.square(tf.sub(values, returns));
  let loss: tf.Scalar;
  if (clip === null) {
    loss = tf.mul(0.5, tf.mean(err)) as tf.Scalar;
  } else {
    const vClipped = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clip, clip));
    const errClipped = tf.square(tf.sub(vClipped, returns));
    loss = tf.mul(0.5, tf.mean(tf.maximum(err, errClipped))) as tf.Scalar;
  }
  return { loss, metrics: {} };
}

// Diagonal-Gaussian log-density and entropy, summed over action dims ([B]): one definition, in src/policies.
export { gaussianLogProb, gaussianEntropy } from '../policies/distributions';

/**
 * Running standard deviation of the discounted return, used to scale rewards (r / std(R)), as in
 * openai-baselines' VecNormalize. Not a pure function: holds (count, mean, var) and a return per env.
 */
export class RewardScaler {
  private count = 1e-4;
  private mean = 0;
  private var = 1;
  private ret: Float64Array;
  constructor(readonly numEnvs: number, readonly gamma: number) {
    this.ret = new Float64Array(numEnvs);
  }
  /** Update with one vector step of raw rewards and done flags; returns the scaled rewards. */
  scale(reward: Float32Array, done: Uint8Array): Float32Array {
    const n = this.numEnvs;
    let bMean = 0;
    for (let i = 0; i < n; i++) {
      this.ret[i] = this.ret[i] * this.gamma + reward[i];
      bMean += this.ret[i] / n;
    }
    let bVar = 0;
    for (let i = 0; i < n; i++) bVar += (this.ret[i] - bMean) ** 2 / n;
    // Chan et al. parallel variance update.
    const total = this.count + n;
    const delta = bMean - this.mean;
    const m2 = this.var * this.count + bVar * n + (delta * delta * this.count * n) / total;
    this.mean += (delta * n) / total;
    this.var = m2 / total;
    this.count = total;
    const std = Math.sqrt(this.var + 1e-8);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = reward[i] / std;
      if (done[i]) this.ret[i] = 0;
    }
    return out;
  }
  getState(): { count: number; mean: number; var: number; ret: number[] } {
    return { count: this.count, mean: this.mean, var: this.var, ret: Array.from(this.ret) };
  }
  setState(s: { count: number; mean: number; var: number; ret: number[] }): void {
    if (s.ret.length !== this.numEnvs) throw new RangeError(`reward scaler state has ${s.ret.length} envs, expected ${this.numEnvs}`);
    this.count = s.count;
    this.mean = s.mean;
    this.var = s.var;
    this.ret = Float64Array.from(s.ret);
  }
}

/**
 * rl_games' bounds loss with soft bound 1: the batch mean of sum_j relu(|mu_j| - 1)^2 over the action dims of
 * `mean` [batch, A]. Zero while every mean lies inside the action range [-1, 1].
 */
export function boundsLoss(mean: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.sum(tf.square(tf.relu(tf.sub(tf.abs(mean), 1))), 1)) as tf.Scalar;
}
