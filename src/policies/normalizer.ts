/**
 * Running mean / variance of the policy's state vector, for input normalisation (standard in the RL experts the
 * paper clones; not a paper equation). Batches are merged with the parallel-variance formula of Chan et al. (1979)
 * in float64; normalised inputs are clipped to +-clip. Its state is plain JSON and goes into every checkpoint.
 */
import * as tf from '@tensorflow/tfjs';

/** A normaliser's statistics as plain data (count, per-dimension mean and variance). */
export interface NormalizerState {
  /** Number of rows seen, plus the tiny prior count (keeps the first update well defined). */
  count: number;
  mean: number[];
  /** Population variance per dimension. */
  var: number[];
  /** Normalised values are clipped to [-clip, clip] (default 10). */
  clip?: number;
  /** Added to the variance before the square root (default 1e-8). */
  epsilon?: number;
}

/** Settings of a running normaliser; defaults in DEFAULT_NORMALIZER. */
export interface NormalizerOptions {
  /** Clip normalised values to [-clip, clip] (default 10). */
  clip: number;
  /** Variance floor inside the square root (default 1e-8). */
  epsilon: number;
  /** Prior count: the statistics start as mean 0, variance 1 with this weight (default 1e-4). */
  priorCount: number;
}

export const DEFAULT_NORMALIZER: NormalizerOptions = { clip: 10, epsilon: 1e-8, priorCount: 1e-4 };

/** Running mean / variance of the state vector; policies normalise (and clip) their state inputs with it. */
export class RunningNormalizer {
  readonly clip: number;
  readonly epsilon: number;
  count: number;
  mean: Float64Array;
  var: Float64Array;
  private meanT: tf.Tensor1D | null = null;
  private invStdT: tf.Tensor1D | null = null;

  constructor(readonly dim: number, options: Partial<NormalizerOptions> = {}) {
    if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`dim must be a positive integer, got ${dim}`);
    const o = { ...DEFAULT_NORMALIZER, ...options };
    if (!(o.clip > 0)) throw new RangeError(`clip must be > 0, got ${o.clip}`);
    if (!(o.epsilon >= 0)) throw new RangeError(`epsilon must be >= 0, got ${o.epsilon}`);
    this.clip = o.clip;
    this.epsilon = o.epsilon;
    this.count = o.priorCount;
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
  }

  /** Standard deviation sqrt(var + epsilon) per dimension. */
  get std(): Float64Array {
    return Float64Array.from(this.var, (v) => Math.sqrt(v + this.epsilon));
  }

  /** Merge a batch of rows (n * dim values, row-major) into the statistics. */
  update(rows: Float32Array | Float64Array): void {
    const d = this.dim;
    if (rows.length % d !== 0) throw new RangeError(`update: rows has ${rows.length} values, not a multiple of dim ${d}`);
    const n = rows.length / d;
    if (n === 0) return;
    // Batch mean and M2 by two passes in float64, then Chan et al.'s merge.
    const bm = new Float64Array(d);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) bm[j] += rows[r * d + j];
    for (let j = 0; j < d; j++) bm[j] /= n;
    const bM2 = new Float64Array(d);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < d; j++) {
        const e = rows[r * d + j] - bm[j];
        bM2[j] += e * e;
      }
    }
    const total = this.count + n;
    for (let j = 0; j < d; j++) {
      const delta = bm[j] - this.mean[j];
      const m2 = this.var[j] * this.count + bM2[j] + (delta * delta * this.count * n) / total;
      this.mean[j] += (delta * n) / total;
      this.var[j] = m2 / total;
    }
    if (!Number.isFinite(total) || this.mean.some((m) => !Number.isFinite(m))) {
      throw new RangeError('update: rows contain non-finite values');
    }
    this.count = total;
    this.invalidate();
  }

  /** (x - mean) / std clipped to +-clip, for a [B, dim] tensor (differentiable, no state change). */
  normalize(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.dim) throw new RangeError(`normalize: x must be [batch, ${this.dim}], got [${x.shape}]`);
    if (!this.meanT || !this.invStdT) {
      // tf.keep: the cache may be built inside someone's tf.tidy and must outlive it.
      this.meanT = tf.keep(tf.tensor1d(Float32Array.from(this.mean)));
      this.invStdT = tf.keep(tf.tensor1d(Float32Array.from(this.var, (v) => 1 / Math.sqrt(v + this.epsilon))));
    }
    return tf.clipByValue(tf.mul(tf.sub(x, this.meanT), this.invStdT), -this.clip, this.clip) as tf.Tensor2D;
  }

  /** The same normalisation on plain rows (n * dim), in float64 arithmetic, returned as float32. */
  normalizeRows(rows: Float32Array): Float32Array {
    const d = this.dim;
    const out = new Float32Array(rows.length);
    const std = this.std;
    for (let i = 0; i < rows.length; i++) {
      const j = i % d;
      out[i] = Math.min(this.clip, Math.max(-this.clip, (rows[i] - this.mean[j]) / std[j]));
    }
    return out;
  }

  /** The statistics as plain data. */
  getState(): NormalizerState {
    return { count: this.count, mean: Array.from(this.mean), var: Array.from(this.var), clip: this.clip, epsilon: this.epsilon };
  }

  /** Replace the statistics (same dimension). */
  setState(s: NormalizerState): void {
    if (!s || !Array.isArray(s.mean) || !Array.isArray(s.var)) throw new RangeError('setState: expected { count, mean: number[], var: number[] }');
    if (s.mean.length !== this.dim || s.var.length !== this.dim) {
      throw new RangeError(`setState: normaliser state has ${s.mean.length} means and ${s.var.length} variances, expected ${this.dim}`);
    }
    if (s.clip !== undefined && s.clip !== this.clip) throw new RangeError(`setState: state clip ${s.clip} differs from this normaliser's ${this.clip}`);
    if (s.epsilon !== undefined && s.epsilon !== this.epsilon) throw new RangeError(`setState: state epsilon ${s.epsilon} differs from this normaliser's ${this.epsilon}`);
    this.count = s.count;
    this.mean = Float64Array.from(s.mean);
    this.var = Float64Array.from(s.var);
    this.invalidate();
  }

  /** A normaliser holding these statistics. */
  static fromState(s: NormalizerState): RunningNormalizer {
    const n = new RunningNormalizer(s.mean.length, { clip: s.clip ?? DEFAULT_NORMALIZER.clip, epsilon: s.epsilon ?? DEFAULT_NORMALIZER.epsilon });
    n.setState(s);
    return n;
  }

  private invalidate(): void {
    if (this.meanT) this.meanT.dispose();
    if (this.invStdT) this.invStdT.dispose();
    this.meanT = null;
    this.invStdT = null;
  }

  /** Free its tensors. */
  dispose(): void {
    this.invalidate();
  }
}
