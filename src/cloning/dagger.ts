/**
 * DAgger with APC (paper section 6.1, eqn 5, Figure 5): act in the environment with a mixture of the frozen student
 * and the expert, relabel every visited state with the expert's Gaussian, and train the student on the growing
 * buffer with the closed-form cross-entropy H[pi_E || pi] (the paper found it better than the NLL) using any
 * cloning strategy (BC = plain DAgger, APC = DAgger + APC on perturbed relabelled states).
 *
 * beta is the EXPERT's share of acting, following the paper's Figure 5 ("beta = 0: no expert during acting",
 * "beta = 0.3: 30% expert"); eqn 5 writes the mixture the other way round (beta * student + (1 - beta) * expert).
 * The mixture is drawn per environment step: each step, each environment acts with the expert with probability beta.
 */
import '../envs'; // registers every task
import type { Expert, GaussianParams } from '../policies/types';
import { VecEnv } from '../rl/env-adapter';
import { evaluatePolicy } from '../rl/evaluate';
import { GaussianMLP, initBackend } from '../policies';
import { Rng } from '../util/rng';
import { resolveCloningConfig, type Strategy } from './config';
import { expertReturn, loadTaskExpert } from './experiment';
import type { SampleSet } from './strategies';
import { trainStudent } from './trainer';

/** The acting mixture of eqn 5 with beta = the expert's share (Figure 5's convention). */
export class BetaMixture {
  constructor(readonly beta: number) {
    if (!(beta >= 0 && beta <= 1)) throw new RangeError(`beta (the expert's share of acting) must be in [0, 1], got ${beta}`);
  }
  /** Which policy acts for each of `n` environments this step: true = expert. */
  draw(n: number, rng: Rng): boolean[] {
    // beta 0 and 1 draw nothing random, so they are exactly student-only and expert-only.
    return Array.from({ length: n }, () => (this.beta === 0 ? false : this.beta === 1 ? true : rng.uniform() < this.beta));
  }
}

/** Sampled actions of the mixture: rows from the expert's or the student's Gaussian per `useExpert`. */
export function mixtureActions(student: GaussianParams, expert: GaussianParams, useExpert: boolean[], actionDim: number, rng: Rng): Float32Array {
  const out = new Float32Array(student.mean.length);
  for (let i = 0; i < useExpert.length; i++) {
    const d = useExpert[i] ? expert : student;
    for (let a = 0; a < actionDim; a++) {
      const k = i * actionDim + a;
      out[k] = d.mean[k] + d.std[k] * rng.normal();
    }
  }
  return out;
}

export interface DaggerCell {
  figure: string;
  task: string;
  /** Strategy on relabelled states: 'bc' (plain DAgger) or 'apc' (DAgger + APC); 'naive-abc' also accepted. */
  method: Strategy;
  beta: number;
  seed: number;
  /** Environment steps of the whole run. */
  envSteps: number;
  /** Rounds (act, relabel, train, evaluate): points of the curve. */
  curvePoints: number;
  evalEpisodes: number;
  evalNoise: number;
  numAugmented: number;
  sigmaS: number;
  batchSize: number;
  /** Cloning updates per round. Default 500. */
  updatesPerRound?: number;
  /** Parallel acting environments. Default 8. */
  numEnvs?: number;
  [key: string]: unknown;
}

const LABELS: Record<Strategy, string> = { bc: 'DAgger', apc: 'DAgger + APC', 'naive-abc': 'DAgger + Naive ABC' };

function appendRows(buf: SampleSet | null, groups: Record<string, Float32Array>, d: GaussianParams, n: number, shapes: Record<string, number[]>, kinds: Record<string, 'state' | 'image'>, A: number): SampleSet {
  const cat = (a: Float32Array | undefined, b: Float32Array) => {
    if (!a) return Float32Array.from(b);
    const out = new Float32Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  const g: Record<string, Float32Array> = {};
  for (const k of Object.keys(groups)) g[k] = cat(buf?.groups[k], groups[k]);
  return { size: (buf?.size ?? 0) + n, groups: g, groupShapes: shapes, groupKinds: kinds, expertMean: cat(buf?.expertMean, d.mean), expertStd: cat(buf?.expertStd, d.std), actionDim: A };
}

/** Run DAgger for one cell; one result row per round (x = environment steps so far). */
export async function runDagger(cell: DaggerCell): Promise<Record<string, unknown>[]> {
  await initBackend();
  const checkpoint = typeof cell.expertCheckpoint === 'string' ? cell.expertCheckpoint : 'expert';
  const { expert, sha256 } = await loadTaskExpert(cell.task, checkpoint, typeof cell.expertSha256 === 'string' ? cell.expertSha256 : undefined);
  const mixture = new BetaMixture(cell.beta);
  const numEnvs = cell.numEnvs ?? 8;
  const rng = new Rng(`dagger/${cell.task}/${cell.method}/${cell.beta}/${cell.seed}`);
  const vec = await VecEnv.create({ task: cell.task, numEnvs, workers: 0, seed: 5000 + cell.seed });
  const spec = vec.spec;
  const shapes = Object.fromEntries(expert.view.map((g) => [g, spec.observationGroups.find((s) => s.name === g)!.shape]));
  const kinds = Object.fromEntries(expert.view.map((g) => [g, spec.observationGroups.find((s) => s.name === g)!.kind]));
  const student = new GaussianMLP({ view: expert.view, groupShapes: shapes, groupKinds: kinds, actionDim: spec.actionDim }, { torso: expert.config.torso, initStd: 0.2 }, new Rng(`student/${cell.seed}`));
  if (student.normalizer && expert.normalizer) student.normalizer.setState(expert.normalizer.getState());
  const config = resolveCloningConfig({
    strategy: cell.method, loss: 'cross-entropy', sigmaS: cell.sigmaS, numAugmented: cell.numAugmented,
    batchSize: cell.batchSize, numUpdates: cell.updatesPerRound ?? 500, patience: null,
  });
  const stepsPerRound = Math.max(1, Math.floor(cell.envSteps / cell.curvePoints / numEnvs));
  const expertRet = await expertReturn(expert, { task: cell.task, checkpoint, expertSha256: sha256, episodes: cell.evalEpisodes, noise: cell.evalNoise });
  const rows: Record<string, unknown>[] = [];
  let buffer: SampleSet | null = null;
  let envSteps = 0;
  let expertActed = 0;
  try {
    let obs = await vec.reset();
    for (let round = 0; round < cell.curvePoints; round++) {
      // -- act with the mixture, relabel with the expert --
      for (let t = 0; t < stepsPerRound; t++) {
        const groups: Record<string, Float32Array> = {};
        for (const g of expert.view) groups[g] = obs[g];
        const e = expert.distribution({ batch: numEnvs, groups });
        const s = student.distribution({ batch: numEnvs, groups });
        const useExpert = mixture.draw(numEnvs, rng);
        expertActed += useExpert.filter(Boolean).length;
        const action = mixtureActions(s, e, useExpert, spec.actionDim, rng);
        buffer = appendRows(buffer, groups, e, numEnvs, shapes, kinds, spec.actionDim);
        obs = (await vec.step(action)).obs;
        envSteps += numEnvs;
      }
      // -- train on all relabelled states --
      trainStudent({ student, expert, train: buffer!, validation: null, config, rng });
      // -- evaluate --
      const ev = await evaluatePolicy(student, { task: cell.task, episodes: cell.evalEpisodes, mode: 'noise', noiseStd: cell.evalNoise, seed: 12345 });
      rows.push({ figure: cell.figure, task: cell.task, method: LABELS[cell.method], beta: cell.beta, x: envSteps, seed: cell.seed, return: ev.mean, returnStd: ev.std, expertReturn: expertRet, expertShare: expertActed / envSteps });
    }
  } finally {
    await vec.close();
    student.dispose();
    expert.dispose();
  }
  return rows;
}

