/**
 * dm_control's soft indicator `tolerance` (dm_control/utils/rewards.py), the building block of every suite
 * reward used by the paper's tasks: 1 inside [lower, upper], decaying with a chosen sigmoid outside so that
 * the value is exactly `valueAtMargin` at distance `margin` from the nearest bound.
 */

export type Sigmoid =
  | 'gaussian'
  | 'hyperbolic'
  | 'long_tail'
  | 'reciprocal'
  | 'cosine'
  | 'linear'
  | 'quadratic'
  | 'tanh_squared';

export const SIGMOIDS: readonly Sigmoid[] = [
  'gaussian', 'hyperbolic', 'long_tail', 'reciprocal', 'cosine', 'linear', 'quadratic', 'tanh_squared',
];

/** Sigmoids whose value may reach 0 (they have finite support), so valueAtMargin = 0 is allowed for them. */
const FINITE_SUPPORT: ReadonlySet<Sigmoid> = new Set<Sigmoid>(['cosine', 'linear', 'quadratic']);

export interface ToleranceOptions {
  /** Inclusive [lower, upper] target interval; either end may be infinite. Default [0, 0]. */
  bounds?: readonly [number, number];
  /** Distance from the interval over which the value decays; 0 gives a hard indicator. Default 0. */
  margin?: number;
  /** Shape of the decay. Default 'gaussian'. */
  sigmoid?: Sigmoid;
  /** Value at distance `margin` from the interval; ignored when margin = 0 (as in dm_control). Default 0.1. */
  valueAtMargin?: number;
}

function checkValueAtMargin(valueAtMargin: number, sigmoid: Sigmoid): void {
  if (FINITE_SUPPORT.has(sigmoid)) {
    if (!(valueAtMargin >= 0 && valueAtMargin < 1)) {
      throw new RangeError(`valueAtMargin must be in [0, 1) for sigmoid '${sigmoid}', got ${valueAtMargin}`);
    }
  } else if (!(valueAtMargin > 0 && valueAtMargin < 1)) {
    throw new RangeError(`valueAtMargin must be strictly between 0 and 1 for sigmoid '${sigmoid}', got ${valueAtMargin}`);
  }
}

/**
 * dm_control `_sigmoids`: 1 at x = 0 and `valueAt1` at |x| = 1. Each `scale` is chosen so that the
 * curve passes through (1, valueAt1); x here is always a non-negative distance in units of the margin.
 */
export function sigmoidValue(x: number, valueAt1: number, sigmoid: Sigmoid): number {
  checkValueAtMargin(valueAt1, sigmoid);
  switch (sigmoid) {
    case 'gaussian': {
      // exp(-(x s)^2 / 2) = v at x = 1  =>  s = sqrt(-2 ln v)
      const s = Math.sqrt(-2 * Math.log(valueAt1));
      return Math.exp(-0.5 * (x * s) ** 2);
    }
    case 'hyperbolic': {
      // sech(x s) = v  =>  s = acosh(1 / v)
      const s = Math.acosh(1 / valueAt1);
      return 1 / Math.cosh(x * s);
    }
    case 'long_tail': {
      // 1 / ((x s)^2 + 1) = v  =>  s = sqrt(1/v - 1)
      const s = Math.sqrt(1 / valueAt1 - 1);
      return 1 / ((x * s) ** 2 + 1);
    }
    case 'reciprocal': {
      // 1 / (|x| s + 1) = v  =>  s = 1/v - 1
      const s = 1 / valueAt1 - 1;
      return 1 / (Math.abs(x) * s + 1);
    }
    case 'cosine': {
      // (1 + cos(pi x s)) / 2 = v  =>  s = acos(2v - 1) / pi; zero beyond |x s| >= 1
      const sx = x * (Math.acos(2 * valueAt1 - 1) / Math.PI);
      return Math.abs(sx) < 1 ? (1 + Math.cos(Math.PI * sx)) / 2 : 0;
    }
    case 'linear': {
      // 1 - x s = v  =>  s = 1 - v (dm_control uses 1 - scaled_x, not 1 - |scaled_x|)
      const sx = x * (1 - valueAt1);
      return Math.abs(sx) < 1 ? 1 - sx : 0;
    }
    case 'quadratic': {
      // 1 - (x s)^2 = v  =>  s = sqrt(1 - v)
      const sx = x * Math.sqrt(1 - valueAt1);
      return Math.abs(sx) < 1 ? 1 - sx * sx : 0;
    }
    case 'tanh_squared': {
      // 1 - tanh(x s)^2 = v  =>  s = atanh(sqrt(1 - v))
      const s = Math.atanh(Math.sqrt(1 - valueAt1));
      return 1 - Math.tanh(x * s) ** 2;
    }
    default:
      throw new RangeError(`sigmoid must be one of ${SIGMOIDS.join(', ')}; got '${String(sigmoid)}'`);
  }
}

/**
 * 1 when lower <= x <= upper; otherwise the sigmoid of the distance to the nearest bound divided by `margin`
 * (0 outside when margin = 0). Throws a RangeError naming `bounds`, `margin`, `sigmoid` or `valueAtMargin`.
 */
export function tolerance(x: number, opts: ToleranceOptions = {}): number {
  const lower = opts.bounds ? opts.bounds[0] : 0;
  const upper = opts.bounds ? opts.bounds[1] : 0;
  const margin = opts.margin ?? 0;
  const sigmoid = opts.sigmoid ?? 'gaussian';
  const valueAtMargin = opts.valueAtMargin ?? 0.1;
  if (!(lower <= upper)) {
    throw new RangeError(`bounds must satisfy lower <= upper, got [${lower}, ${upper}]`);
  }
  if (!(margin >= 0)) throw new RangeError(`margin must be non-negative, got ${margin}`);
  if (!SIGMOIDS.includes(sigmoid)) {
    throw new RangeError(`sigmoid must be one of ${SIGMOIDS.join(', ')}; got '${String(sigmoid)}'`);
  }
  if (margin === 0) return lower <= x && x <= upper ? 1 : 0;
  // dm_control evaluates _sigmoids (and so validates value_at_margin) whenever margin > 0, in bounds or not.
  checkValueAtMargin(valueAtMargin, sigmoid);
  if (lower <= x && x <= upper) return 1;
  const d = (x < lower ? lower - x : x - upper) / margin;
  return sigmoidValue(d, valueAtMargin, sigmoid);
}
