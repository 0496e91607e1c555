/**
 * Dense layers and stacks for every network in the library (policy torsos, value networks, encoder heads).
 * The layer carries its own gradient, dX = dZ W^T and dW = X^T dZ. On native BLAS (native-blas.ts) these are
 * matMuls with the transpose flags, which sgemm takes as they are. On the tfjs-wasm kernels they are written with an
 * explicit `tf.transpose` and a plain `tf.matMul` instead: the wasm backend sends matMuls with transposeA/transposeB
 * to a naive loop (measured here for a 256x256 layer at batch 256: dW 28.9 ms with the flag vs 1.9 ms transpose +
 * plain matMul; dX 22.5 vs 2.0 ms).
 */
import * as tf from '@tensorflow/tfjs';
import { learnerPath } from './native-blas';
import type { Rng } from '../util/rng';

export type Activation = 'elu' | 'relu' | 'tanh' | 'linear';
export const ACTIVATIONS: readonly Activation[] = ['elu', 'relu', 'tanh', 'linear'];

export function checkActivation(a: unknown, argName = 'activation'): Activation {
  if (!ACTIVATIONS.includes(a as Activation)) {
    throw new RangeError(`${argName} must be one of ${ACTIVATIONS.join(', ')}; got ${JSON.stringify(a)}`);
  }
  return a as Activation;
}

/**
 * dL/dz from dL/dy and the layer's OUTPUT y = f(z) (so z need not be kept): elu'(z) = 1 for z > 0 and
 * exp(z) = y + 1 otherwise (tfjs's EluGrad kernel, one pass; min(y, 0) + 1 with a broadcast scalar takes a slow
 * path on wasm); relu'(z) = step(y); tanh'(z) = 1 - y^2.
 */
export function activationGrad(dy: tf.Tensor, y: tf.Tensor, a: Activation): tf.Tensor {
  switch (a) {
    case 'elu':
      return tf.engine().runKernel('EluGrad', { dy, y }) as tf.Tensor;
    case 'relu':
      return tf.mul(dy, tf.step(y));
    case 'tanh':
      return tf.mul(dy, tf.sub(1, tf.square(y)));
    case 'linear':
      return dy;
  }
}

/**
 * Forward of one layer: f(x W + b) as ONE fused kernel. The kernel is called directly because tf.fused.matMul
 * un-fuses (matMul, add, activation as three ops) whenever a gradient is being recorded; inside this custom-gradient
 * op nothing is recorded, so fusing is safe. tanh is not fusable on wasm and is applied after.
 */
function denseForward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, a: Activation): tf.Tensor2D {
  const fused = a === 'tanh' ? 'linear' : a;
  // The kernel takes rank-3 (batched) operands, as tfjs-core's own fused.matMul passes them; reshapes are free.
  const [B, I] = x.shape;
  const O = w.shape[1];
  const z3 = tf.engine().runKernel(
    '_FusedMatMul',
    { a: tf.reshape(x, [1, B, I]), b: tf.reshape(w, [1, I, O]), bias: b },
    { transposeA: false, transposeB: false, activation: fused, leakyreluAlpha: 0 } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor3D;
  const z = tf.reshape(z3, [B, O]) as tf.Tensor2D;
  return a === 'tanh' ? tf.tanh(z) : z;
}

const onesRows = new Map<number, tf.Tensor2D>();
/**
 * Column sums of [B, n] as the plain matMul ones[1, B] . dz: reducing over axis 0 makes the wasm backend transpose
 * first; the matMul runs on XNNPACK. The ones row is kept per batch size.
 */
function sumRows(dz: tf.Tensor2D): tf.Tensor1D {
  const B = dz.shape[0];
  let ones = onesRows.get(B);
  if (!ones) {
    ones = tf.keep(tf.ones([1, B]) as tf.Tensor2D);
    onesRows.set(B, ones);
  }
  return tf.reshape(tf.matMul(ones, dz), [dz.shape[1]]) as tf.Tensor1D;
}

type DenseOp = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
const denseOps = new Map<string, DenseOp>();

/** One custom-gradient op per (activation, needInputGrad) pair, built once. */
function denseOp(a: Activation, needInputGrad: boolean): DenseOp {
  const key = `${a}/${needInputGrad}`;
  let op = denseOps.get(key);
  if (!op) {
    const f = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
      const y = denseForward(x, w, b, a);
      save([x, w, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ws, ys] = saved as tf.Tensor2D[];
          const dz = activationGrad(dy, ys, a) as tf.Tensor2D;
          let dx: tf.Tensor2D;
          let dw: tf.Tensor2D;
          if (learnerPath() === 'native') {
            dx = needInputGrad ? tf.matMul(dz, ws, false, true) : tf.zerosLike(xs);
            dw = tf.matMul(xs, dz, true, false);
          } else {
            // Explicit transposes + plain matMuls for the wasm kernels: see the module comment.
            dx = needInputGrad ? tf.matMul(dz, tf.transpose(ws)) : tf.zerosLike(xs);
            dw = tf.matMul(tf.transpose(xs), dz);
          }
          const db = sumRows(dz);
          return [dx, dw, db];
        },
      };
    };
    op = tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as DenseOp;
    denseOps.set(key, op);
  }
  return op;
}

/**
 * y = f(x W + b) with the fast gradient. `x` [B, in], `w` [in, out], `b` [out].
 * `needInputGrad: false` skips dX (first layer of a network whose input is data, not a parameter).
 */
export function denseLayer(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: Activation = 'linear', needInputGrad = true): tf.Tensor2D {
  if (x.rank !== 2) throw new RangeError(`denseLayer: x must be rank 2 [batch, in], got shape [${x.shape}]`);
  if (w.rank !== 2 || w.shape[0] !== x.shape[1]) throw new RangeError(`denseLayer: w must be [${x.shape[1]}, out], got [${w.shape}]`);
  if (b.rank !== 1 || b.shape[0] !== w.shape[1]) throw new RangeError(`denseLayer: b must be [${w.shape[1]}], got [${b.shape}]`);
  return denseOp(activation, needInputGrad)(x, w, b);
}

/** Weight initialisations, both deterministic given the Rng. */
export type WeightInit = 'orthogonal' | 'variance-scaling';

/**
 * A [fanIn, fanOut] matrix with orthonormal columns (fanIn >= fanOut) or rows (fanIn < fanOut), times `gain`
 * (Saxe et al. 2014): Gram-Schmidt in float64 on a standard-normal matrix; the sign convention diag(R) > 0 makes
 * it the Q of the QR decomposition, i.e. Haar-distributed.
 */
export function orthogonalMatrix(fanIn: number, fanOut: number, gain: number, rng: Rng): Float32Array {
  const rows = Math.max(fanIn, fanOut);
  const cols = Math.min(fanIn, fanOut);
  // Column-major q: column j is q[j*rows .. (j+1)*rows).
  const q = new Float64Array(rows * cols);
  rng.fillNormal(q);
  for (let j = 0; j < cols; j++) {
    const cj = q.subarray(j * rows, (j + 1) * rows);
    for (let pass = 0; pass < 2; pass++) {
      // Modified Gram-Schmidt, twice for numerical orthogonality.
      for (let k = 0; k < j; k++) {
        const ck = q.subarray(k * rows, (k + 1) * rows);
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += ck[i] * cj[i];
        for (let i = 0; i < rows; i++) cj[i] -= dot * ck[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += cj[i] * cj[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < rows; i++) cj[i] /= norm;
  }
  const out = new Float32Array(fanIn * fanOut);
  for (let r = 0; r < fanIn; r++) {
    for (let c = 0; c < fanOut; c++) {
      // fanIn >= fanOut: W[r, c] = Q[r, c]; otherwise W = Q^T, W[r, c] = Q[c, r].
      out[r * fanOut + c] = gain * (fanIn >= fanOut ? q[c * rows + r] : q[r * rows + c]);
    }
  }
  return out;
}

/** N(0, gain^2 / fanIn) entries (variance scaling, fan-in mode). */
export function varianceScalingMatrix(fanIn: number, fanOut: number, gain: number, rng: Rng): Float32Array {
  const out = new Float32Array(fanIn * fanOut);
  rng.fillNormal(out, 0, gain / Math.sqrt(fanIn));
  return out;
}

export function initMatrix(init: WeightInit, fanIn: number, fanOut: number, gain: number, rng: Rng): Float32Array {
  if (init === 'orthogonal') return orthogonalMatrix(fanIn, fanOut, gain, rng);
  if (init === 'variance-scaling') return varianceScalingMatrix(fanIn, fanOut, gain, rng);
  throw new RangeError(`init must be 'orthogonal' or 'variance-scaling', got ${JSON.stringify(init)}`);
}

export interface DenseStackOptions {
  /** Gain of the hidden layers' init (default sqrt(2), for elu / relu). */
  hiddenGain: number;
  /** Gain of the last layer's init (default 1; use 0.01 for a policy mean head, cleanrl style). */
  outputScale: number;
  /** Apply the activation after the last layer too (default false: linear output). */
  activateOutput: boolean;
  /** Weight init (default 'orthogonal'); biases start at 0. */
  init: WeightInit;
  /**
   * The input is data, not the output of something trained: skip dL/dinput in the first layer (its gradient is
   * returned as zeros). Default false (always correct); set true for a small saving when the input is observations.
   */
  inputIsData: boolean;
}

export const DEFAULT_DENSE_STACK: DenseStackOptions = { hiddenGain: Math.SQRT2, outputScale: 1, activateOutput: false, init: 'orthogonal', inputIsData: false };

/**
 * Dense layers `inputDim -> sizes[0] -> ... -> sizes[n-1]` with `activation` between them (and after the last one
 * if `activateOutput`). Weights are tf.Variables, initialised from `rng` in layer order (w then b), so the same
 * seed gives the same network.
 */
export class DenseStack {
  readonly weights: tf.Variable<tf.Rank.R2>[] = [];
  readonly biases: tf.Variable<tf.Rank.R1>[] = [];
  readonly options: DenseStackOptions;
  readonly activation: Activation;

  constructor(readonly inputDim: number, readonly sizes: number[], activation: Activation, rng: Rng, options: Partial<DenseStackOptions> = {}) {
    if (!Number.isInteger(inputDim) || inputDim <= 0) throw new RangeError(`inputDim must be a positive integer, got ${inputDim}`);
    if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((n) => Number.isInteger(n) && n > 0)) {
      throw new RangeError(`sizes must be a non-empty list of positive integers, got ${JSON.stringify(sizes)}`);
    }
    this.activation = checkActivation(activation);
    this.options = { ...DEFAULT_DENSE_STACK, ...options };
    let fanIn = inputDim;
    sizes.forEach((n, l) => {
      const last = l === sizes.length - 1;
      const gain = last ? this.options.outputScale : this.options.hiddenGain;
      const w = initMatrix(this.options.init, fanIn, n, gain, rng);
      this.weights.push(tf.variable(tf.tensor2d(w, [fanIn, n]), true));
      this.biases.push(tf.variable(tf.zeros([n]), true));
      fanIn = n;
    });
  }

  get outputDim(): number {
    return this.sizes[this.sizes.length - 1];
  }

  /** Forward pass [B, inputDim] -> [B, outputDim]; differentiable w.r.t. the variables (call inside tf.tidy). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inputDim) throw new RangeError(`DenseStack.apply: x must be [batch, ${this.inputDim}], got [${x.shape}]`);
    let h = x;
    const n = this.weights.length;
    for (let l = 0; l < n; l++) {
      const act = l < n - 1 || this.options.activateOutput ? this.activation : 'linear';
      h = denseLayer(h, this.weights[l], this.biases[l], act, l > 0 || !this.options.inputIsData);
    }
    return h;
  }

  /** [w0, b0, w1, b1, ...]. */
  trainableVariables(): tf.Variable[] {
    return this.weights.flatMap((w, l) => [w, this.biases[l]]);
  }

  /** Names matching trainableVariables(), e.g. `${prefix}/0/w`. */
  variableNames(prefix: string): string[] {
    return this.weights.flatMap((_, l) => [`${prefix}/${l}/w`, `${prefix}/${l}/b`]);
  }

  /** Multiply-adds of one forward pass per row (sum of in * out). */
  macsPerRow(): number {
    let fanIn = this.inputDim;
    let n = 0;
    for (const s of this.sizes) {
      n += fanIn * s;
      fanIn = s;
    }
    return n;
  }

  dispose(): void {
    for (const v of this.trainableVariables()) v.dispose();
  }
}
