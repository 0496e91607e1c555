/**
 * dm_control `tolerance`: golden values for every sigmoid (computed by hand in the comments), the value at the
 * margin, in-bounds = 1, infinite bounds, margin 0, and the argument errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tolerance, SIGMOIDS, type Sigmoid } from '../src/envs/rewards';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

test('defaults: bounds [0, 0], margin 0 -> hard indicator of x == 0', () => {
  assert.equal(tolerance(0), 1);
  assert.equal(tolerance(1e-9), 0);
  assert.equal(tolerance(-0.3), 0);
});

test('margin 0: 1 inside inclusive bounds, 0 outside, whatever the sigmoid', () => {
  for (const sigmoid of SIGMOIDS) {
    assert.equal(tolerance(1, { bounds: [1, 2], sigmoid }), 1);
    assert.equal(tolerance(2, { bounds: [1, 2], sigmoid }), 1);
    assert.equal(tolerance(2.0001, { bounds: [1, 2], sigmoid }), 0);
    assert.equal(tolerance(0.9999, { bounds: [1, 2], sigmoid }), 0);
  }
});

test('every sigmoid: 1 in bounds, valueAtMargin at the margin on both sides, decreasing outside', () => {
  const vams: Record<Sigmoid, number> = {
    gaussian: 0.1, hyperbolic: 0.2, long_tail: 0.3, reciprocal: 0.4,
    cosine: 0.5, linear: 0.6, quadratic: 0.7, tanh_squared: 0.8,
  };
  for (const sigmoid of SIGMOIDS) {
    const opts = { bounds: [1, 2] as [number, number], margin: 0.5, sigmoid, valueAtMargin: vams[sigmoid] };
    assert.equal(tolerance(1.5, opts), 1, sigmoid);
    assert.equal(tolerance(1, opts), 1, sigmoid);
    close(tolerance(2.5, opts), vams[sigmoid], 1e-12);
    close(tolerance(0.5, opts), vams[sigmoid], 1e-12);
    const a = tolerance(2.2, opts), b = tolerance(2.4, opts);
    assert.ok(1 > a && a > b && b > vams[sigmoid], `${sigmoid}: ${a} ${b}`);
  }
});

// Hand-computed values at distance d = 0.5 margins (bounds [0, 0], margin 1, x = 0.5), valueAtMargin v.
test('gaussian: exp(-(d s)^2/2), s = sqrt(-2 ln v)', () => {
  // v = 0.1, d = 0.5: exp(-0.25 * (-2 ln 0.1) / 2) = exp(0.25 ln 0.1) = 0.1^0.25 = 0.56234132519...
  close(tolerance(0.5, { margin: 1, sigmoid: 'gaussian', valueAtMargin: 0.1 }), 0.5623413251903491);
  // d = 2: 0.1^(4) = 1e-4
  close(tolerance(-2, { margin: 1 }), 1e-4, 1e-15);
});

test('hyperbolic: sech(d s), s = acosh(1/v)', () => {
  // v = 0.1: cosh(s) = 10; cosh(s/2) = sqrt((cosh s + 1)/2) = sqrt(5.5); value = 1/sqrt(5.5) = 0.42640143271...
  close(tolerance(0.5, { margin: 1, sigmoid: 'hyperbolic', valueAtMargin: 0.1 }), 1 / Math.sqrt(5.5));
  close(1 / Math.sqrt(5.5), 0.4264014327112209);
});

test('long_tail: 1/((d s)^2 + 1), s = sqrt(1/v - 1)', () => {
  // v = 0.1: s = 3; d = 0.5 -> 1/(2.25 + 1) = 1/3.25 = 0.307692307...
  close(tolerance(0.5, { margin: 1, sigmoid: 'long_tail', valueAtMargin: 0.1 }), 0.3076923076923077);
  // d = 2 -> 1/(36 + 1)
  close(tolerance(3, { bounds: [0, 1], margin: 1, sigmoid: 'long_tail', valueAtMargin: 0.1 }), 1 / 37);
});

test('reciprocal: 1/(|d| s + 1), s = 1/v - 1', () => {
  // v = 0.1: s = 9; d = 0.5 -> 1/5.5 = 0.181818...
  close(tolerance(0.5, { margin: 1, sigmoid: 'reciprocal', valueAtMargin: 0.1 }), 1 / 5.5);
  // v = 0.5: s = 1; d = 3 -> 1/4
  close(tolerance(-3, { margin: 1, sigmoid: 'reciprocal', valueAtMargin: 0.5 }), 0.25);
});

test('cosine: (1 + cos(pi d s))/2 while d s < 1, else 0; s = acos(2v - 1)/pi', () => {
  // v = 0.5: s = acos(0)/pi = 0.5; d = 0.5 -> (1 + cos(pi/4))/2 = (1 + 0.70710678)/2 = 0.85355339...
  close(tolerance(0.5, { margin: 1, sigmoid: 'cosine', valueAtMargin: 0.5 }), 0.8535533905932737);
  // d = 2 -> d s = 1 -> 0 (support ends)
  assert.equal(tolerance(2, { margin: 1, sigmoid: 'cosine', valueAtMargin: 0.5 }), 0);
  // v = 0 allowed: s = 1; d = 0.5 -> (1 + cos(pi/2))/2 = 0.5; d = 1 -> 0
  close(tolerance(0.5, { margin: 1, sigmoid: 'cosine', valueAtMargin: 0 }), 0.5, 1e-12);
  assert.equal(tolerance(1, { margin: 1, sigmoid: 'cosine', valueAtMargin: 0 }), 0);
});

test('linear: 1 - d s while d s < 1, else 0; s = 1 - v', () => {
  // v = 0: s = 1; d = 0.25 -> 0.75; d = 1 -> 0
  close(tolerance(0.25, { margin: 1, sigmoid: 'linear', valueAtMargin: 0 }), 0.75);
  assert.equal(tolerance(1, { margin: 1, sigmoid: 'linear', valueAtMargin: 0 }), 0);
  // v = 0.5: s = 0.5; d = 1.5 -> 1 - 0.75 = 0.25; d = 2 -> 0
  close(tolerance(1.5, { margin: 1, sigmoid: 'linear', valueAtMargin: 0.5 }), 0.25);
  assert.equal(tolerance(2, { margin: 1, sigmoid: 'linear', valueAtMargin: 0.5 }), 0);
  // cheetah-run's reward: bounds [10, inf], margin 10, v = 0: speed 5 -> d = 0.5 -> 0.5; speed 0 -> 0; 12 -> 1
  const run = { bounds: [10, Infinity] as [number, number], margin: 10, sigmoid: 'linear' as const, valueAtMargin: 0 };
  close(tolerance(5, run), 0.5);
  assert.equal(tolerance(0, run), 0);
  assert.equal(tolerance(-3, run), 0);
  assert.equal(tolerance(12, run), 1);
});

test('quadratic: 1 - (d s)^2 while d s < 1, else 0; s = sqrt(1 - v)', () => {
  // v = 0.75: s = 0.5; d = 1.5 -> 1 - 0.5625 = 0.4375; d = 2 -> 0
  close(tolerance(1.5, { margin: 1, sigmoid: 'quadratic', valueAtMargin: 0.75 }), 0.4375);
  assert.equal(tolerance(2, { margin: 1, sigmoid: 'quadratic', valueAtMargin: 0.75 }), 0);
  // v = 0: s = 1; d = 0.5 -> 0.75
  close(tolerance(-0.5, { margin: 1, sigmoid: 'quadratic', valueAtMargin: 0 }), 0.75);
});

test('tanh_squared: 1 - tanh(d s)^2, s = atanh(sqrt(1 - v))', () => {
  // v = 0.1: tanh(s) = t = sqrt(0.9); tanh(s/2) = t / (1 + sqrt(1 - t^2)) = sqrt(0.9)/(1 + sqrt(0.1));
  // squared = 0.9 / (1.1 + 2 sqrt(0.1)) = 0.9 / 1.73245553 = 0.51949385; value = 0.48050615
  close(tolerance(0.5, { margin: 1, sigmoid: 'tanh_squared', valueAtMargin: 0.1 }), 1 - 0.9 / (1.1 + 2 * Math.sqrt(0.1)));
  close(1 - 0.9 / (1.1 + 2 * Math.sqrt(0.1)), 0.48050615, 1e-8);
});

test('infinite bounds on either side', () => {
  assert.equal(tolerance(-1e9, { bounds: [-Infinity, 0] }), 1);
  // humanoid-style upright: bounds [0.9, inf], margin 1.9, linear, v = 0: x = -0.05 -> d = 0.5 -> 0.5
  close(tolerance(-0.05, { bounds: [0.9, Infinity], margin: 1.9, sigmoid: 'linear', valueAtMargin: 0 }), 0.5);
});

test('argument errors are RangeErrors naming the argument', () => {
  assert.throws(() => tolerance(0, { bounds: [1, 0] }), (e: unknown) => e instanceof RangeError && /bounds/.test(e.message));
  assert.throws(() => tolerance(0, { margin: -1 }), (e: unknown) => e instanceof RangeError && /margin/.test(e.message));
  assert.throws(() => tolerance(0, { margin: NaN }), RangeError);
  assert.throws(() => tolerance(0, { sigmoid: 'sigmoidal' as Sigmoid }), (e: unknown) => e instanceof RangeError && /sigmoid must be one of .*gaussian/.test(e.message));
  // value 0 is only allowed for finite-support sigmoids; 1 never.
  for (const sigmoid of ['gaussian', 'hyperbolic', 'long_tail', 'reciprocal', 'tanh_squared'] as Sigmoid[]) {
    assert.throws(() => tolerance(2, { margin: 1, sigmoid, valueAtMargin: 0 }), (e: unknown) => e instanceof RangeError && /valueAtMargin/.test(e.message), sigmoid);
    assert.throws(() => tolerance(2, { margin: 1, sigmoid, valueAtMargin: 1 }), RangeError);
  }
  for (const sigmoid of ['cosine', 'linear', 'quadratic'] as Sigmoid[]) {
    assert.doesNotThrow(() => tolerance(2, { margin: 1, sigmoid, valueAtMargin: 0 }));
    assert.throws(() => tolerance(2, { margin: 1, sigmoid, valueAtMargin: 1 }), (e: unknown) => e instanceof RangeError && /valueAtMargin/.test(e.message), sigmoid);
    assert.throws(() => tolerance(2, { margin: 1, sigmoid, valueAtMargin: -0.1 }), RangeError);
  }
  // As in dm_control, value_at_margin is validated whenever margin > 0 (even for x in bounds), ignored at margin 0.
  assert.throws(() => tolerance(0, { margin: 1, valueAtMargin: 2 }), RangeError);
  assert.equal(tolerance(0, { margin: 0, valueAtMargin: 2 }), 1);
});
