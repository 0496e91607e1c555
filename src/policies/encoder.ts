/**
 * Small convolutional encoder for 'image' observation groups (the egocentric depth camera of the vision humanoid,
 * paper section 5.3): conv layers (valid padding) then a dense layer to `outDim` features that join the state
 * vector in the policy torso. Convolutions carry a custom gradient: the wasm backend has no Conv2DBackpropFilter
 * kernel at all and its Conv2DBackpropInput is a plain loop, so both gradients are rewritten as ordinary (XNNPACK)
 * convolutions: see convFilterGrad and convInputGrad.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng';
import { type Activation, activationGrad, checkActivation, DenseStack, initMatrix, type WeightInit } from './mlp';

/** Architecture of the conv encoder of image groups. */
export interface ImageEncoderConfig {
  /** Output channels of each conv layer (default [16, 32]). */
  channels: number[];
  /** Square kernel size (default 3). */
  kernel: number;
  /** Stride of every conv layer (default 2). */
  stride: number;
  /** Features out of the final dense layer (default 64). */
  outDim: number;
}

export const DEFAULT_IMAGE_ENCODER: ImageEncoderConfig = { channels: [16, 32], kernel: 3, stride: 2, outDim: 64 };

/** Output height / width of a valid-padding convolution. */
export function convOutSize(n: number, kernel: number, stride: number): number {
  return Math.floor((n - kernel) / stride) + 1;
}

/**
 * dL/dW of a valid-padding conv with stride s, as ONE dilated convolution: dW[kh, kw, c, o] =
 * sum_{b,i,j} x[b, i s + kh, j s + kw, c] dz[b, i, j, o] is the conv of x with batch and channel axes swapped
 * ([C, H, W, B]) by the filter dz as [Ho, Wo, B, O] dilated by s. (Strided slices for an im2col run ~300 ms on
 * wasm for a 256 x 15 x 15 x 16 input; this takes ~16 ms.)
 */
export function convFilterGrad(x: tf.Tensor4D, dz: tf.Tensor4D, kernel: number, stride: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, Ho, Wo] = dz.shape;
    const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
    const dzt = tf.transpose(dz, [1, 2, 0, 3]) as tf.Tensor4D;
    let g = stride === 1 ? tf.conv2d(xt, dzt, 1, 'valid') : tf.conv2d(xt, dzt, 1, 'valid', 'NHWC', [stride, stride]);
    // Rows / columns of x past the last window give extra outputs (beyond k) that are not part of dW: crop them
    // here, on the small result, rather than cropping x.
    if (g.shape[1] !== kernel || g.shape[2] !== kernel) g = tf.slice(g, [0, 0, 0, 0], [g.shape[0], kernel, kernel, g.shape[3]]);
    return tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D; // [C, k, k, O] -> [k, k, C, O]
  });
}

/**
 * dL/dx of a valid-padding conv with stride s: dz dilated by s (zeros between rows / columns, by reshape + pad),
 * padded by k - 1 (plus the rows past the last window), then a stride-1 conv with the 180-degree-rotated filter,
 * in/out channels swapped. ~3x faster than tf.conv2dTranspose (Conv2DBackpropInput is a plain loop on wasm).
 */
export function convInputGrad(dz: tf.Tensor4D, filter: tf.Tensor4D, xShape: [number, number, number, number], stride: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, W] = xShape;
    const [k] = filter.shape;
    const [, Ho, Wo, O] = dz.shape;
    // Full padding k - 1 on both sides, plus the rows / columns of x past the last window at the end.
    const endH = k - 1 + H - ((Ho - 1) * stride + k);
    const endW = k - 1 + W - ((Wo - 1) * stride + k);
    let d: tf.Tensor4D = dz;
    let [padH, padW] = [endH, endW];
    if (stride > 1) {
      const d6 = tf.reshape(dz, [B, Ho, 1, Wo, 1, O]);
      const padded = tf.pad(d6, [[0, 0], [0, 0], [0, stride - 1], [0, 0], [0, stride - 1], [0, 0]]);
      d = tf.reshape(padded, [B, Ho * stride, Wo * stride, O]);
      // The reshape leaves stride - 1 zero rows / columns at the end: count them as part of the end padding.
      [padH, padW] = [endH - (stride - 1), endW - (stride - 1)];
      if (padH < 0 || padW < 0) {
        d = tf.slice(d, [0, 0, 0, 0], [B, Ho * stride + Math.min(padH, 0), Wo * stride + Math.min(padW, 0), O]);
        [padH, padW] = [Math.max(padH, 0), Math.max(padW, 0)];
      }
    }
    d = tf.pad(d, [[0, 0], [k - 1, padH], [k - 1, padW], [0, 0]]);
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(d, rotated, 1, 'valid');
  });
}

type ConvOp = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D;
const convOps = new Map<string, ConvOp>();

function convOp(stride: number, a: Activation, needInputGrad: boolean): ConvOp {
  const key = `${stride}/${a}/${needInputGrad}`;
  let op = convOps.get(key);
  if (!op) {
    const f = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
      const fusedAct = a === 'tanh' ? 'linear' : a;
      let y = tf.fused.conv2d({ x, filter: w, strides: stride, pad: 'valid', bias: b, activation: fusedAct }) as tf.Tensor4D;
      if (a === 'tanh') y = tf.tanh(y);
      save([x, w, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ws, ys] = saved as tf.Tensor4D[];
          const [k, , , cout] = ws.shape;
          const dz = activationGrad(dy, ys, a) as tf.Tensor4D;
          const dw = convFilterGrad(xs, dz, k, stride);
          const db = tf.sum(tf.reshape(dz, [-1, cout]), 0);
          const dx = needInputGrad ? convInputGrad(dz, ws, xs.shape as [number, number, number, number], stride) : tf.zerosLike(xs);
          return [dx, dw, db];
        },
      };
    };
    op = tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as ConvOp;
    convOps.set(key, op);
  }
  return op;
}

/** y = f(conv2d(x, w, stride, valid) + b) with the custom gradient. x [B, H, W, C], w [k, k, C, Cout]. */
export function conv2dLayer(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, stride: number, activation: Activation = 'linear', needInputGrad = true): tf.Tensor4D {
  if (x.rank !== 4) throw new RangeError(`conv2dLayer: x must be rank 4 [batch, H, W, C], got [${x.shape}]`);
  if (w.rank !== 4 || w.shape[2] !== x.shape[3] || w.shape[0] !== w.shape[1]) throw new RangeError(`conv2dLayer: w must be [k, k, ${x.shape[3]}, out], got [${w.shape}]`);
  return convOp(stride, activation, needInputGrad)(x, w, b);
}

/** Conv stack + dense projection for one [H, W, C] image group. */
export class ConvEncoder {
  readonly config: ImageEncoderConfig;
  readonly filters: tf.Variable<tf.Rank.R4>[] = [];
  readonly biases: tf.Variable<tf.Rank.R1>[] = [];
  readonly head: DenseStack;
  readonly activation: Activation;
  /** [H, W, C] after each conv layer. */
  readonly layerShapes: [number, number, number][] = [];

  constructor(readonly imageShape: number[], config: Partial<ImageEncoderConfig>, activation: Activation, rng: Rng, init: WeightInit = 'orthogonal') {
    this.config = { ...DEFAULT_IMAGE_ENCODER, ...config };
    this.activation = checkActivation(activation);
    const { channels, kernel, stride, outDim } = this.config;
    if (!Array.isArray(imageShape) || imageShape.length !== 3 || !imageShape.every((n) => Number.isInteger(n) && n > 0)) {
      throw new RangeError(`imageShape must be [H, W, C] positive integers, got ${JSON.stringify(imageShape)}`);
    }
    if (!Array.isArray(channels) || channels.length === 0 || !channels.every((n) => Number.isInteger(n) && n > 0)) {
      throw new RangeError(`imageEncoder.channels must be a non-empty list of positive integers, got ${JSON.stringify(channels)}`);
    }
    if (!Number.isInteger(kernel) || kernel < 1) throw new RangeError(`imageEncoder.kernel must be a positive integer, got ${kernel}`);
    if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`imageEncoder.stride must be a positive integer, got ${stride}`);
    if (!Number.isInteger(outDim) || outDim < 1) throw new RangeError(`imageEncoder.outDim must be a positive integer, got ${outDim}`);
    let [h, w, c] = imageShape;
    for (const cout of channels) {
      const ho = convOutSize(h, kernel, stride);
      const wo = convOutSize(w, kernel, stride);
      if (ho < 1 || wo < 1) throw new RangeError(`image ${imageShape.join('x')} is too small for ${channels.length} conv layers of kernel ${kernel}, stride ${stride}`);
      const fanIn = kernel * kernel * c;
      const filt = initMatrix(init, fanIn, cout, Math.SQRT2, rng);
      this.filters.push(tf.variable(tf.tensor4d(filt, [kernel, kernel, c, cout]), true));
      this.biases.push(tf.variable(tf.zeros([cout]), true));
      [h, w, c] = [ho, wo, cout];
      this.layerShapes.push([h, w, c]);
    }
    // The flattened conv features are the output of trained layers: keep the head's input gradient.
    this.head = new DenseStack(h * w * c, [outDim], this.activation, rng, { init, outputScale: Math.SQRT2, activateOutput: true, inputIsData: false });
  }

  get outDim(): number {
    return this.config.outDim;
  }

  /** [B, H, W, C] -> [B, outDim]. */
  apply(x: tf.Tensor4D): tf.Tensor2D {
    const [H, W, C] = this.imageShape;
    if (x.rank !== 4 || x.shape[1] !== H || x.shape[2] !== W || x.shape[3] !== C) {
      throw new RangeError(`ConvEncoder.apply: x must be [batch, ${H}, ${W}, ${C}], got [${x.shape}]`);
    }
    let h = x;
    for (let l = 0; l < this.filters.length; l++) {
      // The first layer's input is the camera image: no gradient needed there.
      h = conv2dLayer(h, this.filters[l], this.biases[l], this.config.stride, this.activation, l > 0);
    }
    return this.head.apply(tf.reshape(h, [x.shape[0], -1]) as tf.Tensor2D);
  }

  trainableVariables(): tf.Variable[] {
    return [...this.filters.flatMap((f, l) => [f, this.biases[l]]), ...this.head.trainableVariables()];
  }

  variableNames(prefix: string): string[] {
    return [...this.filters.flatMap((_, l) => [`${prefix}/conv${l}/w`, `${prefix}/conv${l}/b`]), ...this.head.variableNames(`${prefix}/dense`)];
  }

  dispose(): void {
    for (const v of this.trainableVariables()) v.dispose();
  }
}
