/**
 * Policy evaluation on the TRUE task (full-length episodes, no early termination), batched over a VecEnv.
 * Paper section 5: students are evaluated over 150 episodes with Gaussian action noise 0.2 around the mean;
 * experts also with the mean action. Episode seeds and noise are fixed by `seed`, so two policies evaluated with
 * the same options meet the same initial states and noise draws (paired episodes).
 */
import type { Expert } from '../policies/types';
import { Rng } from '../util/rng';
import '../training/variants'; // training configs name the variants' options (curricula, shaping)
import { EVAL_SEED } from '../util/seeds';
import { VecEnv } from '../envs/vec-env';
import { inBlasPhase } from '../policies/native-blas';

export interface EvaluateOptions {
  /** Registered task name. Required. */
  task: string;
  /** Episodes to run. Default 150 (paper section 5). */
  episodes: number;
  /** 'mean': act with the Gaussian mean; 'noise': mean + N(0, noiseStd^2) per action dim. Default 'noise'. */
  mode: 'mean' | 'noise';
  /** Action noise std in 'noise' mode. Default 0.2 (paper section 5). */
  noiseStd: number;
  /** Seed of the episode initial states and of the noise. Default EVAL_SEED (12345). */
  seed: number;
  /** Envs run side by side; part of the pairing (keep it fixed). Default min(episodes, 50). */
  numEnvs?: number;
  /** Worker threads (0 = this thread). Default 2. */
  workers: number;
  /** Optional task options (tests only: the true task has none). Default {}. */
  taskOptions: Record<string, unknown>;
}

export const DEFAULT_EVALUATE: Omit<EvaluateOptions, 'task'> = {
  episodes: 150,
  mode: 'noise',
  noiseStd: 0.2,
  seed: EVAL_SEED,
  workers: 2,
  taskOptions: {},
};

/** An evaluation: every episode return (paired order), their mean, std and standard error, and the task's metric. */
export interface EvaluationResult {
  task: string;
  mode: 'mean' | 'noise';
  noiseStd: number;
  seed: number;
  numEnvs: number;
  episodes: number;
  /** Episode returns, ordered (round, env): index r * numEnvs + i. Same order for every policy. */
  returns: number[];
  mean: number;
  std: number;
  /** Standard error of the mean. */
  sem: number;
  /** The task's episode metric (spec.episodeMetric, e.g. forward progress), in the same episode order as returns. */
  metric?: { name: string; unit: string; values: number[]; mean: number; std: number; sem: number };
}

/** Mean and (population) std of a list. */
export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std };
}

/**
 * Run `policy` for `episodes` episodes; `env` may be passed to reuse an open VecEnv with matching numEnvs. Runs in
 * the 'act' BLAS phase (one OpenBLAS thread while actor threads step).
 */
export function evaluatePolicy(policy: Expert, options: Partial<EvaluateOptions> & { task: string }, env?: VecEnv): Promise<EvaluationResult> {
  return inBlasPhase('act', () => evaluateIn(policy, options, env));
}

async function evaluateIn(policy: Expert, options: Partial<EvaluateOptions> & { task: string }, env?: VecEnv): Promise<EvaluationResult> {
  const o: EvaluateOptions = { ...DEFAULT_EVALUATE, ...options };
  if (!Number.isInteger(o.episodes) || o.episodes <= 0) throw new RangeError(`episodes must be a positive integer, got ${o.episodes}`);
  if (o.mode !== 'mean' && o.mode !== 'noise') throw new RangeError(`mode must be 'mean' or 'noise', got '${o.mode}'`);
  if (!(o.noiseStd >= 0)) throw new RangeError(`noiseStd must be >= 0, got ${o.noiseStd}`);
  const numEnvs = o.numEnvs ?? Math.min(o.episodes, 50);
  const ownEnv = env === undefined;
  const vec = env ?? (await VecEnv.create({ task: o.task, numEnvs, workers: o.workers, seed: o.seed, taskOptions: o.taskOptions }));
  if (vec.numEnvs !== numEnvs) throw new RangeError(`env has ${vec.numEnvs} envs, evaluation asks for numEnvs = ${numEnvs}`);
  const A = policy.actionDim;
  const rounds = Math.ceil(o.episodes / numEnvs);
  const finished = new Int32Array(numEnvs);
  const byRound: number[][] = Array.from({ length: rounds }, () => new Array(numEnvs).fill(NaN));
  const metricByRound: number[][] = Array.from({ length: rounds }, () => new Array(numEnvs).fill(NaN));
  const noiseRng = new Rng(`${o.seed}/eval-noise`);
  const noise = new Float32Array(numEnvs * A);
  try {
    let obs = await vec.reset();
    const need = (i: number) => finished[i] < rounds && finished[i] * numEnvs + i < o.episodes;
    while ([...Array(numEnvs).keys()].some(need)) {
      const groups: Record<string, Float32Array> = {};
      for (const g of policy.view) groups[g] = obs[g];
      const { mean } = policy.distribution({ batch: numEnvs, groups });
      const action = Float32Array.from(mean);
      if (o.mode === 'noise') {
        noiseRng.fillNormal(noise, 0, o.noiseStd);
        for (let k = 0; k < action.length; k++) action[k] += noise[k];
      }
      const step = await vec.step(action, { resetOnFailure: false });
      obs = step.obs;
      for (let i = 0; i < numEnvs; i++) {
        if (!step.done[i]) continue;
        if (finished[i] < rounds) {
          byRound[finished[i]][i] = step.episodeReturn[i];
          metricByRound[finished[i]][i] = step.episodeMetric[i];
        }
        finished[i] += 1;
      }
    }
  } finally {
    if (ownEnv) await vec.close();
  }
  const returns = byRound.flat().slice(0, o.episodes);
  const { mean, std } = meanStd(returns);
  const result: EvaluationResult = { task: o.task, mode: o.mode, noiseStd: o.mode === 'noise' ? o.noiseStd : 0, seed: o.seed, numEnvs, episodes: o.episodes, returns, mean, std, sem: std / Math.sqrt(returns.length) };
  const declared = vec.spec.episodeMetric;
  if (declared) {
    const values = metricByRound.flat().slice(0, o.episodes);
    const m = meanStd(values);
    result.metric = { name: declared.name, unit: declared.unit, values, mean: m.mean, std: m.std, sem: m.std / Math.sqrt(values.length) };
  }
  return result;
}
