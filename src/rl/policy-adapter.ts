/**
 * Stand-in for src/policies (gaussian-mlp, mlp, checkpoint, backend; contract in TEAM.md) while those modules are
 * being written, so PPO experts could start training: a Gaussian MLP with a state-independent learned std
 * (std = minStd + (maxStd - minStd) * sigmoid(raw)), a running observation normaliser, dense layers with the
 * explicit-transpose gradient (fast on the wasm backend), and a JSON+float32 checkpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import type { Expert, GaussianParams, ObservationBatch } from '../policies/types';

/** Sets the tfjs backend: 'tensorflow' if registered, else 'wasm'. Returns its name. */
export async function initBackend(): Promise<string> {
  await tf.ready();
  if (tf.getBackend() === 'tensorflow') return 'tensorflow';
  if (tf.getBackend() !== 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
  }
  return tf.getBackend();
}

/** x W + b whose gradient uses explicit transposes (the wasm backend's transposed matMul is a slow naive loop). */
const denseOp = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D), tf.sum(dy, 0)];
    },
  };
}) as any) as (x: tf.Tensor2D, w: tf.Variable, b: tf.Variable) => tf.Tensor2D;

type Activation = 'elu' | 'relu' | 'tanh';
const act = (x: tf.Tensor2D, a: Activation): tf.Tensor2D => (a === 'elu' ? tf.elu(x) : a === 'relu' ? tf.relu(x) : tf.tanh(x));

/** A stack of dense layers, activation between them, linear output. Orthogonal-ish (scaled normal) init. */
export class DenseStack {
  readonly weights: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  constructor(readonly inputDim: number, readonly sizes: number[], readonly activation: Activation, rng: Rng, outputScale = 1) {
    let fanIn = inputDim;
    sizes.forEach((n, l) => {
      const scale = (l === sizes.length - 1 ? outputScale : Math.SQRT2) / Math.sqrt(fanIn);
      const w = new Float32Array(fanIn * n);
      rng.fillNormal(w, 0, scale);
      this.weights.push(tf.variable(tf.tensor2d(w, [fanIn, n]), true));
      this.biases.push(tf.variable(tf.zeros([n]), true));
      fanIn = n;
    });
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    for (let l = 0; l < this.weights.length; l++) {
      h = denseOp(h, this.weights[l], this.biases[l]);
      if (l < this.weights.length - 1) h = act(h, this.activation);
    }
    return h;
  }
  trainableVariables(): tf.Variable[] {
    return this.weights.flatMap((w, l) => [w, this.biases[l]]);
  }
  dispose(): void {
    for (const v of this.trainableVariables()) v.dispose();
  }
}

/** Running mean / variance of the policy's state vector (Chan et al. parallel update); inputs clipped to +-10 std. */
export class RunningNormalizer {
  count = 1e-4;
  mean: Float64Array;
  var: Float64Array;
  private meanT: tf.Tensor1D;
  private stdT: tf.Tensor1D;
  constructor(readonly dim: number) {
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
    this.meanT = tf.zeros([dim]);
    this.stdT = tf.ones([dim]);
  }
  /** Update from `rows` (batch * dim, row-major). */
  updateRows(rows: Float32Array): void {
    const d = this.dim;
    const n = rows.length / d;
    const bm = new Float64Array(d);
    const bv = new Float64Array(d);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) bm[j] += rows[r * d + j] / n;
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) bv[j] += (rows[r * d + j] - bm[j]) ** 2 / n;
    const total = this.count + n;
    for (let j = 0; j < d; j++) {
      const delta = bm[j] - this.mean[j];
      const m2 = this.var[j] * this.count + bv[j] * n + (delta * delta * this.count * n) / total;
      this.mean[j] += (delta * n) / total;
      this.var[j] = m2 / total;
    }
    this.count = total;
    this.refresh();
  }
  setState(s: { count: number; mean: number[]; var: number[] }): void {
    this.count = s.count;
    this.mean = Float64Array.from(s.mean);
    this.var = Float64Array.from(s.var);
    this.refresh();
  }
  getState(): { count: number; mean: number[]; var: number[] } {
    return { count: this.count, mean: Array.from(this.mean), var: Array.from(this.var) };
  }
  private refresh(): void {
    tf.dispose([this.meanT, this.stdT]);
    this.meanT = tf.tensor1d(Float32Array.from(this.mean));
    this.stdT = tf.tensor1d(Float32Array.from(this.var, (v) => Math.sqrt(v + 1e-8)));
  }
  normalize(x: tf.Tensor2D): tf.Tensor2D {
    return tf.clipByValue(tf.div(tf.sub(x, this.meanT), this.stdT), -10, 10) as tf.Tensor2D;
  }
  dispose(): void {
    tf.dispose([this.meanT, this.stdT]);
  }
}

export interface GaussianMLPConfig {
  torso: number[];
  activation: Activation;
  minStd: number;
  maxStd: number;
  stateDependentStd: boolean;
  initStd: number;
  normalize: boolean;
}
export interface PolicySpec {
  view: string[];
  groupShapes: Record<string, number[]>;
  groupKinds: Record<string, 'state' | 'image'>;
  actionDim: number;
}
const DEFAULT_CONFIG: GaussianMLPConfig = { torso: [256, 256, 256], activation: 'elu', minStd: 0.01, maxStd: 1.0, stateDependentStd: false, initStd: 0.5, normalize: true };

/** Gaussian policy N(mu(s), sigma) over state groups (PPO flavour: sigma a learned vector). */
export class GaussianMLP implements Expert {
  readonly view: string[];
  readonly actionDim: number;
  readonly config: GaussianMLPConfig;
  readonly featureSize: number;
  readonly normalizer: RunningNormalizer | null;
  private readonly torso: DenseStack;
  private readonly rawStd: tf.Variable;
  constructor(readonly spec: PolicySpec, config: Partial<GaussianMLPConfig>, rng: Rng) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    if (this.config.stateDependentStd) throw new RangeError('this stand-in policy supports stateDependentStd=false only');
    for (const g of spec.view) if (spec.groupKinds[g] !== 'state') throw new RangeError(`group '${g}' is an image; this stand-in policy reads state groups only`);
    this.view = spec.view;
    this.actionDim = spec.actionDim;
    this.featureSize = spec.view.reduce((n, g) => n + spec.groupShapes[g].reduce((a, b) => a * b, 1), 0);
    this.normalizer = this.config.normalize ? new RunningNormalizer(this.featureSize) : null;
    // Small output scale: the initial mean is near 0 (cleanrl's 0.01-gain policy head).
    this.torso = new DenseStack(this.featureSize, [...this.config.torso, spec.actionDim], this.config.activation, rng, 0.01);
    const { minStd, maxStd, initStd } = this.config;
    const p = (initStd - minStd) / (maxStd - minStd);
    this.rawStd = tf.variable(tf.fill([spec.actionDim], Math.log(p / (1 - p))), true);
  }
  toTensors(obs: ObservationBatch): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const g of this.view) {
      const x = obs.groups[g];
      if (!x) throw new RangeError(`observation batch lacks group '${g}' (policy view: ${this.view.join(', ')})`);
      out[g] = tf.tensor2d(x, [obs.batch, x.length / obs.batch]);
    }
    return out;
  }
  /** Concatenated (normalised) state vector, [B, featureSize]; the value network reads it too. */
  features(inputs: Record<string, tf.Tensor>): tf.Tensor2D {
    const x = this.view.length === 1 ? (inputs[this.view[0]] as tf.Tensor2D) : tf.concat(this.view.map((g) => inputs[g] as tf.Tensor2D), 1);
    return this.normalizer ? this.normalizer.normalize(x) : x;
  }
  apply(inputs: Record<string, tf.Tensor>): { mean: tf.Tensor2D; logStd: tf.Tensor2D } {
    const mean = this.torso.apply(this.features(inputs));
    const { minStd, maxStd } = this.config;
    const std = tf.add(minStd, tf.mul(maxStd - minStd, tf.sigmoid(this.rawStd)));
    const logStd = tf.mul(tf.onesLike(mean), tf.log(std)) as tf.Tensor2D;
    return { mean, logStd };
  }
  distribution(obs: ObservationBatch): GaussianParams {
    const inputs = this.toTensors(obs);
    const [mean, std] = tf.tidy(() => {
      const { mean, logStd } = this.apply(inputs);
      return [mean.dataSync() as Float32Array, tf.exp(logStd).dataSync() as Float32Array];
    });
    tf.dispose(Object.values(inputs));
    return { mean: Float32Array.from(mean), std: Float32Array.from(std) };
  }
  /** Update the normaliser from a batch of groups (each batch * groupSize). */
  updateNormalizer(groups: Record<string, Float32Array>): void {
    if (!this.normalizer) return;
    const sizes = this.view.map((g) => this.spec.groupShapes[g].reduce((a, b) => a * b, 1));
    const n = groups[this.view[0]].length / sizes[0];
    const rows = new Float32Array(n * this.featureSize);
    for (let r = 0; r < n; r++) {
      let o = r * this.featureSize;
      this.view.forEach((g, k) => {
        rows.set(groups[g].subarray(r * sizes[k], (r + 1) * sizes[k]), o);
        o += sizes[k];
      });
    }
    this.normalizer.updateRows(rows);
  }
  trainableVariables(): tf.Variable[] {
    return [...this.torso.trainableVariables(), this.rawStd];
  }
  dispose(): void {
    this.torso.dispose();
    this.rawStd.dispose();
    this.normalizer?.dispose();
  }
}

/** Save: manifest.json (spec, config, normaliser, extra, shapes, sha256) + weights.bin (float32). */
export async function saveCheckpoint(dir: string, policy: GaussianMLP, extra: Record<string, unknown> = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const vars = policy.trainableVariables();
  const arrays = vars.map((v) => v.dataSync() as Float32Array);
  const buf = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    buf.set(a, o);
    o += a.length;
  }
  const bytes = Buffer.from(buf.buffer);
  fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
  const manifest = {
    format: 'rl/policy-adapter GaussianMLP v1', spec: policy.spec, config: policy.config,
    normalizer: policy.normalizer ? policy.normalizer.getState() : null, shapes: vars.map((v) => v.shape),
    sha256: createHash('sha256').update(bytes).digest('hex'), ...extra,
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
}

export async function loadCheckpoint(dir: string): Promise<{ policy: GaussianMLP; manifest: Record<string, unknown> }> {
  const mpath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(mpath)) throw new Error(`no policy checkpoint at ${dir} (missing manifest.json)`);
  const manifest = JSON.parse(fs.readFileSync(mpath, 'utf8'));
  const bytes = fs.readFileSync(path.join(dir, 'weights.bin'));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== manifest.sha256) throw new Error(`checkpoint ${dir}: weights.bin sha256 ${sha} does not match its manifest (${manifest.sha256})`);
  const policy = new GaussianMLP(manifest.spec, manifest.config, new Rng(0));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let o = 0;
  for (const v of policy.trainableVariables()) {
    const n = v.size;
    tf.tidy(() => v.assign(tf.tensor(all.subarray(o, o + n), v.shape)));
    o += n;
  }
  if (o !== all.length) throw new Error(`checkpoint ${dir}: ${all.length} weights stored, the policy has ${o}`);
  if (manifest.normalizer && policy.normalizer) policy.normalizer.setState(manifest.normalizer);
  return { policy, manifest };
}
