/**
 * Non-finite value detection (NaN, +-Infinity) for arrays and tensors: the guards that make a diverged training
 * run, a corrupt weight or a NaN observation fail loudly instead of producing a plausible number. Not a paper
 * component.
 */
import * as tf from '@tensorflow/tfjs';

/** Index of the first non-finite entry of `x`, or -1. */
export function firstNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}

/** Names of the tensors holding a non-finite entry (one reduction per tensor; disposes what it makes). */
export function nonFiniteTensors(tensors: tf.Tensor[], names: string[]): string[] {
  if (tensors.length === 0) return [];
  // sum(x * 0) is 0 when every entry is finite and NaN otherwise (NaN * 0 and Infinity * 0 are NaN): kernels every
  // backend has, one small read-back.
  const flags = tf.tidy(() => tf.stack(tensors.map((t) => tf.sum(tf.mul(t.cast('float32'), 0)))).dataSync());
  return names.filter((_, i) => !(flags[i] === 0));
}

/** `k=v` pairs of a metrics record, for error messages. */
export function formatTerms(terms: Record<string, number>): string {
  return Object.entries(terms).map(([k, v]) => `${k}=${v}`).join(', ');
}

/**
 * A loss term or gradient norm beyond this magnitude counts as diverged although finite: rewards lie in [0, 1] and
 * sigma >= minStd, so no sound run comes within many orders of it (value losses stay below ~1e6), while a run at an
 * absurd learning rate sits at 1e23-1e27 for many updates before (or instead of) reaching NaN.
 */
export const DIVERGED_MAGNITUDE = 1e20;

/** Whether `v` is NaN, infinite or beyond DIVERGED_MAGNITUDE. */
export const diverged = (v: number) => !(Math.abs(v) <= DIVERGED_MAGNITUDE);

/** Training stopped: a loss, gradient or weight became NaN or infinite. */
export class DivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DivergenceError';
  }
}

/** Throw a DivergenceError naming every tensor of `vars` that holds NaN or +-Infinity. */
export function checkFiniteWeights(where: string, vars: tf.Tensor[], names: string[]): void {
  const bad = nonFiniteTensors(vars, names);
  if (bad.length > 0) throw new DivergenceError(`training diverged at ${where}: non-finite weights in ${bad.join(', ')}; no result or checkpoint was written for it`);
}
