/**
 * Adam (Kingma & Ba 2015) with global gradient-norm clipping, written out so its moments are plain,
 * index-keyed state that goes into a checkpoint and comes back bit-for-bit (tf.train.adam keys its
 * moments by auto-generated variable names, which differ between processes and between instances).
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamConfig {
  /** Exponential decay of the first moment (default 0.9). */
  beta1: number;
  /** Exponential decay of the second moment (default 0.999). */
  beta2: number;
  /** Denominator fuzz (default 1e-5, as in the cleanrl / openai-baselines PPO). */
  epsilon: number;
}

export const DEFAULT_ADAM: AdamConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-5 };

export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  readonly config: AdamConfig;
  private readonly vars: tf.Variable[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  /** Number of updates applied so far (for bias correction). */
  step = 0;

  constructor(vars: tf.Variable[], config: Partial<AdamConfig> = {}) {
    this.config = { ...DEFAULT_ADAM, ...config };
    this.vars = vars;
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  /**
   * One update with learning rate `lr`; if `maxGradNorm` is finite the gradients are first scaled so that
   * their global L2 norm is at most `maxGradNorm`. Returns the global norm before clipping.
   */
  apply(grads: tf.Tensor[], lr: number, maxGradNorm = Infinity): number {
    if (grads.length !== this.vars.length) {
      throw new RangeError(`grads has ${grads.length} entries, the optimiser holds ${this.vars.length} variables`);
    }
    this.step += 1;
    const { beta1, beta2, epsilon } = this.config;
    const t = this.step;
    const norm = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
    const scale = Number.isFinite(maxGradNorm) && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1;
    // Bias-corrected step size, folded into one scalar (Kingma & Ba, end of section 2).
    const alpha = (lr * Math.sqrt(1 - Math.pow(beta2, t))) / (1 - Math.pow(beta1, t));
    tf.tidy(() => {
      for (let i = 0; i < this.vars.length; i++) {
        const g = scale === 1 ? grads[i] : tf.mul(grads[i], scale);
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        this.vars[i].assign(tf.sub(this.vars[i], tf.div(tf.mul(m, alpha), tf.add(tf.sqrt(v), epsilon))));
      }
    });
    return norm;
  }

  getState(): AdamState {
    return {
      step: this.step,
      m: this.m.map((x) => Float32Array.from(x.dataSync())),
      v: this.v.map((x) => Float32Array.from(x.dataSync())),
    };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.vars.length || state.v.length !== this.vars.length) {
      throw new RangeError(`optimiser state has ${state.m.length} moments, the optimiser holds ${this.vars.length} variables`);
    }
    for (let i = 0; i < this.vars.length; i++) {
      const size = this.vars[i].size;
      if (state.m[i].length !== size || state.v[i].length !== size) {
        throw new RangeError(`optimiser state moment ${i} has ${state.m[i].length} entries, variable has ${size}`);
      }
      tf.tidy(() => {
        this.m[i].assign(tf.tensor(state.m[i], this.vars[i].shape));
        this.v[i].assign(tf.tensor(state.v[i], this.vars[i].shape));
      });
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
