/**
 * The Gaussian MLP policy pi(a|s) = N(mu(s), diag sigma(s)^2) used for experts and students (paper section 3 and
 * appendix: MLP torso, Gaussian head with state-dependent sigma). State groups are concatenated in view order and
 * normalised by a running mean/std; image groups go through a small conv encoder and join the torso input.
 * The mean is unbounded (environments clip actions to [-1, 1]); sigma = minStd + (maxStd - minStd) * sigmoid(raw).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import type { Expert, GaussianParams, ObservationBatch } from './types';
import { ConvEncoder, DEFAULT_IMAGE_ENCODER, type ImageEncoderConfig } from './encoder';
import { type Activation, checkActivation, DenseStack, type WeightInit } from './mlp';
import { RunningNormalizer } from './normalizer';
import { firstNonFinite } from '../util/finite';

/** Architecture of a Gaussian MLP policy; every field has a default (DEFAULT_GAUSSIAN_MLP). */
export interface GaussianMLPConfig {
  /** Hidden layer sizes (default [256, 256, 256], the paper's student and expert torso). */
  torso: number[];
  /** Hidden activation (default 'elu'). */
  activation: 'elu' | 'relu' | 'tanh';
  /** sigma = minStd + (maxStd - minStd) * sigmoid(raw); defaults 0.01 and 1.0. */
  minStd: number;
  maxStd: number;
  /** sigma(s) from the network (default true, as in the paper); false: a learned vector (PPO experts). */
  stateDependentStd: boolean;
  /** Initial sigma (default 0.5): the raw std bias (or vector) starts at logit((initStd - minStd) / (maxStd - minStd)). */
  initStd?: number;
  /** Conv encoder for 'image' groups (default DEFAULT_IMAGE_ENCODER when the view has an image group). */
  imageEncoder?: ImageEncoderConfig;
  /** Running mean/std normaliser on the state vector (default true). */
  normalize: boolean;
  /** Weight init (default 'orthogonal'). */
  init?: WeightInit;
}

export const DEFAULT_GAUSSIAN_MLP: Required<Omit<GaussianMLPConfig, 'imageEncoder'>> & { imageEncoder?: ImageEncoderConfig } = {
  torso: [256, 256, 256],
  activation: 'elu',
  minStd: 0.01,
  maxStd: 1.0,
  stateDependentStd: true,
  initStd: 0.5,
  normalize: true,
  init: 'orthogonal',
};

/** What a policy reads and emits. */
export interface PolicySpec {
  view: string[];
  groupShapes: Record<string, number[]>;
  groupKinds: Record<string, 'state' | 'image'>;
  actionDim: number;
}

export type ResolvedGaussianMLPConfig = typeof DEFAULT_GAUSSIAN_MLP;

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Fill defaults and validate; errors name the field and the accepted values. */
export function resolveGaussianMLPConfig(config: Partial<GaussianMLPConfig>, hasImages: boolean): ResolvedGaussianMLPConfig {
  const c = { ...DEFAULT_GAUSSIAN_MLP, ...config } as ResolvedGaussianMLPConfig;
  for (const k of Object.keys(config)) {
    if (!(k in DEFAULT_GAUSSIAN_MLP) && k !== 'imageEncoder') throw new RangeError(`unknown GaussianMLP config field '${k}' (fields: ${[...Object.keys(DEFAULT_GAUSSIAN_MLP), 'imageEncoder'].join(', ')})`);
  }
  if (!Array.isArray(c.torso) || !c.torso.every((n) => Number.isInteger(n) && n > 0)) throw new RangeError(`torso must be a list of positive integers, got ${JSON.stringify(c.torso)}`);
  checkActivation(c.activation);
  if (c.activation === ('linear' as Activation)) throw new RangeError(`activation must be one of elu, relu, tanh; got 'linear'`);
  if (!(c.minStd > 0) || !(c.maxStd > c.minStd)) throw new RangeError(`need 0 < minStd < maxStd, got minStd ${c.minStd}, maxStd ${c.maxStd}`);
  if (!(c.initStd > c.minStd && c.initStd < c.maxStd)) throw new RangeError(`initStd must lie strictly between minStd ${c.minStd} and maxStd ${c.maxStd}, got ${c.initStd}`);
  if (typeof c.stateDependentStd !== 'boolean') throw new RangeError(`stateDependentStd must be true or false, got ${JSON.stringify(c.stateDependentStd)}`);
  if (typeof c.normalize !== 'boolean') throw new RangeError(`normalize must be true or false, got ${JSON.stringify(c.normalize)}`);
  if (hasImages) c.imageEncoder = { ...DEFAULT_IMAGE_ENCODER, ...(c.imageEncoder ?? {}) };
  return c;
}

/** The raw std parameter giving `std`, the inverse of std = minStd + (maxStd - minStd) x sigmoid(raw). */
export function rawStdFor(std: number, minStd: number, maxStd: number): number {
  const p = (std - minStd) / (maxStd - minStd);
  return Math.log(p / (1 - p));
}

/** A Gaussian MLP policy (paper section 3): normalised state groups (and conv-encoded images) through a torso to the action mean and std. Experts and students are both GaussianMLPs. */
export class GaussianMLP implements Expert {
  readonly view: string[];
  readonly actionDim: number;
  readonly spec: PolicySpec;
  readonly config: ResolvedGaussianMLPConfig;
  /** State groups of the view, in view order, and the length of their concatenation. */
  readonly stateGroups: string[];
  readonly imageGroups: string[];
  readonly featureSize: number;
  readonly normalizer: RunningNormalizer | null;
  private readonly encoders: Map<string, ConvEncoder>;
  private readonly net: DenseStack;
  private readonly rawStd: tf.Variable | null;
  /** The task this policy was trained for, when known (set from a checkpoint's manifest); named in shape errors. */
  trainedFor: string | null = null;

  constructor(spec: PolicySpec, config: Partial<GaussianMLPConfig>, rng: Rng) {
    if (!spec || !Array.isArray(spec.view) || spec.view.length === 0) throw new RangeError('spec.view must be a non-empty list of observation group names');
    if (!Number.isInteger(spec.actionDim) || spec.actionDim <= 0) throw new RangeError(`spec.actionDim must be a positive integer, got ${spec.actionDim}`);
    for (const g of spec.view) {
      const shape = spec.groupShapes?.[g];
      if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n > 0)) throw new RangeError(`spec.groupShapes['${g}'] must be a list of positive integers, got ${JSON.stringify(shape)}`);
      const kind = spec.groupKinds?.[g];
      if (kind !== 'state' && kind !== 'image') throw new RangeError(`spec.groupKinds['${g}'] must be 'state' or 'image', got ${JSON.stringify(kind)}`);
      if (kind === 'image' && shape.length !== 3) throw new RangeError(`image group '${g}' must have shape [H, W, C], got [${shape}]`);
    }
    if (new Set(spec.view).size !== spec.view.length) throw new RangeError(`spec.view lists a group twice: ${spec.view.join(', ')}`);
    this.view = [...spec.view];
    this.actionDim = spec.actionDim;
    this.stateGroups = this.view.filter((g) => spec.groupKinds[g] === 'state');
    this.imageGroups = this.view.filter((g) => spec.groupKinds[g] === 'image');
    // Keep only the view's groups, so the spec stored in checkpoints is exactly what the policy reads.
    const pick = <T>(r: Record<string, T>) => Object.fromEntries(this.view.map((g) => [g, r[g]])) as Record<string, T>;
    this.spec = { view: this.view, groupShapes: pick(spec.groupShapes), groupKinds: pick(spec.groupKinds), actionDim: spec.actionDim };
    this.config = resolveGaussianMLPConfig(config, this.imageGroups.length > 0);
    const c = this.config;

    this.featureSize = this.stateGroups.reduce((n, g) => n + sizeOf(spec.groupShapes[g]), 0);
    this.normalizer = c.normalize && this.featureSize > 0 ? new RunningNormalizer(this.featureSize) : null;
    this.encoders = new Map();
    for (const g of this.imageGroups) this.encoders.set(g, new ConvEncoder(spec.groupShapes[g], c.imageEncoder!, c.activation, rng.child(`encoder/${g}`), c.init));
    const inputDim = this.featureSize + this.imageGroups.length * (c.imageEncoder?.outDim ?? 0);
    const A = spec.actionDim;
    // One stack: torso, then a linear head with A mean outputs (+ A raw-std outputs when sigma depends on s).
    // Small head init (gain 0.01): initial means near 0 and initial sigma near initStd for every state.
    this.net = new DenseStack(inputDim, [...c.torso, c.stateDependentStd ? 2 * A : A], c.activation, rng, {
      outputScale: 0.01,
      init: c.init,
      inputIsData: this.imageGroups.length === 0,
    });
    const rawInit = rawStdFor(c.initStd, c.minStd, c.maxStd);
    if (c.stateDependentStd) {
      const b = this.net.biases[this.net.biases.length - 1];
      tf.tidy(() => b.assign(tf.concat([tf.zeros([A]), tf.fill([A], rawInit)]) as tf.Tensor1D));
      this.rawStd = null;
    } else {
      this.rawStd = tf.variable(tf.fill([A], rawInit), true);
    }
  }

  /** Observation batch -> tensors: state groups [B, n], image groups [B, H, W, C]. The caller disposes them. */
  toTensors(obs: ObservationBatch): Record<string, tf.Tensor> {
    if (!obs || !Number.isInteger(obs.batch) || obs.batch <= 0) throw new RangeError(`obs.batch must be a positive integer, got ${obs?.batch}`);
    const B = obs.batch;
    const forTask = this.trainedFor ? `; this policy was trained for task '${this.trainedFor}'` : '';
    for (const g of this.view) {
      const x = obs.groups[g];
      if (!x) throw new RangeError(`observation batch lacks group '${g}' (policy view: ${this.view.join(', ')}${forTask})`);
      const n = sizeOf(this.spec.groupShapes[g]);
      if (x.length !== B * n) throw new RangeError(`observation group '${g}' has ${x.length} values, expected batch ${B} x size ${n} = ${B * n}${forTask}`);
      const bad = firstNonFinite(x);
      if (bad >= 0) throw new RangeError(`observation group '${g}' holds ${x[bad]} at row ${Math.floor(bad / n)}, entry ${bad % n}; a policy reads only finite observations`);
    }
    const out: Record<string, tf.Tensor> = {};
    for (const g of this.view) {
      const shape = this.spec.groupShapes[g];
      out[g] = this.spec.groupKinds[g] === 'image' ? tf.tensor4d(obs.groups[g], [B, shape[0], shape[1], shape[2]]) : tf.tensor2d(obs.groups[g], [B, sizeOf(shape)]);
    }
    return out;
  }

  /** Normalised, concatenated state groups [B, featureSize] (what a value network built on this policy reads). */
  features(inputs: Record<string, tf.Tensor>): tf.Tensor2D {
    if (this.featureSize === 0) throw new RangeError(`policy view ${this.view.join(', ')} has no state groups`);
    for (const g of this.stateGroups) if (!inputs[g]) throw new RangeError(`inputs lack group '${g}' (policy view: ${this.view.join(', ')})`);
    const x = this.stateGroups.length === 1 ? (inputs[this.stateGroups[0]] as tf.Tensor2D) : tf.concat(this.stateGroups.map((g) => inputs[g] as tf.Tensor2D), 1);
    return this.normalizer ? this.normalizer.normalize(x) : x;
  }

  /** Differentiable forward pass (call inside tf.tidy / tf.variableGrads): mean and log-std, both [B, A]. */
  apply(inputs: Record<string, tf.Tensor>): { mean: tf.Tensor2D; logStd: tf.Tensor2D } {
    const parts: tf.Tensor2D[] = [];
    if (this.featureSize > 0) parts.push(this.features(inputs));
    for (const g of this.imageGroups) {
      const img = inputs[g];
      if (!img) throw new RangeError(`inputs lack image group '${g}' (policy view: ${this.view.join(', ')})`);
      parts.push(this.encoders.get(g)!.apply(img as tf.Tensor4D));
    }
    const x = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
    const out = this.net.apply(x);
    const A = this.actionDim;
    const B = out.shape[0];
    const { minStd, maxStd } = this.config;
    let mean: tf.Tensor2D;
    let raw: tf.Tensor;
    if (this.rawStd) {
      mean = out;
      raw = tf.mul(tf.onesLike(out), this.rawStd);
    } else {
      mean = tf.slice(out, [0, 0], [B, A]);
      raw = tf.slice(out, [0, A], [B, A]);
    }
    const logStd = tf.log(tf.add(minStd, tf.mul(maxStd - minStd, tf.sigmoid(raw)))) as tf.Tensor2D;
    return { mean, logStd };
  }

  /** Expert interface: mean and std for every row, as plain arrays (no gradient, no tensors left behind). */
  distribution(obs: ObservationBatch): GaussianParams {
    const inputs = this.toTensors(obs);
    // Return tensors (not typed arrays) from tidy: tf.tidy walks a returned typed array element by element.
    const [mean, std] = tf.tidy(() => {
      const { mean, logStd } = this.apply(inputs);
      return [mean, tf.exp(logStd)];
    });
    tf.dispose(Object.values(inputs));
    const out = { mean: mean.dataSync() as Float32Array, std: std.dataSync() as Float32Array };
    tf.dispose([mean, std]);
    return { mean: Float32Array.from(out.mean), std: Float32Array.from(out.std) };
  }

  /** Merge a batch of observation groups (each batch * groupSize) into the state normaliser; no-op without one. */
  updateNormalizer(groups: Record<string, Float32Array>): void {
    if (!this.normalizer) return;
    const sizes = this.stateGroups.map((g) => sizeOf(this.spec.groupShapes[g]));
    const first = groups[this.stateGroups[0]];
    if (!first) throw new RangeError(`updateNormalizer: groups lack '${this.stateGroups[0]}'`);
    const n = first.length / sizes[0];
    const F = this.featureSize;
    const rows = new Float32Array(n * F);
    this.stateGroups.forEach((g, k) => {
      const x = groups[g];
      if (!x || x.length !== n * sizes[k]) throw new RangeError(`updateNormalizer: group '${g}' has ${x?.length ?? 0} values, expected ${n} x ${sizes[k]}`);
    });
    for (let r = 0; r < n; r++) {
      let o = r * F;
      this.stateGroups.forEach((g, k) => {
        rows.set(groups[g].subarray(r * sizes[k], (r + 1) * sizes[k]), o);
        o += sizes[k];
      });
    }
    this.normalizer.update(rows);
  }

  /** Every trained tensor: encoders (view order), torso + head, then the std vector when state-independent. */
  trainableVariables(): tf.Variable[] {
    return [...this.imageGroups.flatMap((g) => this.encoders.get(g)!.trainableVariables()), ...this.net.trainableVariables(), ...(this.rawStd ? [this.rawStd] : [])];
  }

  /** Names matching trainableVariables() (stored in checkpoints). */
  weightNames(): string[] {
    return [...this.imageGroups.flatMap((g) => this.encoders.get(g)!.variableNames(`encoder/${g}`)), ...this.net.variableNames('mlp'), ...(this.rawStd ? ['std/raw'] : [])];
  }

  /** Shape of every trainable weight, in `weightNames` order. */
  weightShapes(): number[][] {
    return this.trainableVariables().map((v) => [...v.shape]);
  }

  /** Copies of every trained tensor's values, in trainableVariables() order. */
  getWeights(): Float32Array[] {
    return this.trainableVariables().map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  /** Overwrite the weights (same order and sizes as getWeights()). */
  setWeights(weights: Float32Array[]): void {
    const vars = this.trainableVariables();
    const names = this.weightNames();
    if (!Array.isArray(weights) || weights.length !== vars.length) throw new RangeError(`setWeights: got ${weights?.length} arrays, the policy has ${vars.length} tensors (${names.join(', ')})`);
    vars.forEach((v, i) => {
      if (weights[i].length !== v.size) throw new RangeError(`setWeights: '${names[i]}' has ${weights[i].length} values, expected ${v.size} (shape [${v.shape}])`);
    });
    vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(weights[i], v.shape))));
  }

  /** Independent copy: same spec, config, weights and normaliser statistics. */
  clone(): GaussianMLP {
    const copy = new GaussianMLP(this.spec, this.config, new Rng('clone'));
    copy.setWeights(this.getWeights());
    if (this.normalizer) copy.normalizer!.setState(this.normalizer.getState());
    return copy;
  }

  /** Multiply-adds of the dense layers per row (conv layers not included). */
  macsPerRow(): number {
    return this.net.macsPerRow();
  }

  /** Free the weights' tensors (the policy is unusable afterwards). */
  dispose(): void {
    for (const v of this.trainableVariables()) v.dispose();
    this.normalizer?.dispose();
  }
}
