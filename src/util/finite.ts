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
