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
import { VecEnv } from '../envs/vec-env';
import { evaluatePolicy } from '../rl/evaluate';
import { GaussianMLP, initBackend } from '../policies';
import { Rng } from '../util/rng';
import { EVAL_SEED, daggerEnvSeed } from '../util/seeds';
import { resolveCloningConfig, type Strategy } from './config';
import { DAGGER_LABELS } from './labels';
import { expertReturn, loadTaskExpert } from './experiment';
import type { SampleSet } from './strategies';
import { trainStudent } from './trainer';
import { inBlasPhase } from '../policies/native-blas';

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

/** What DAgger's relabelled buffer offers its loop: append a step's rows, view every row so far. */
export interface RelabelBuffer {
  /** Append `n` rows: the observation groups and the expert's Gaussian at them. */
  append(groups: Record<string, Float32Array>, d: GaussianParams, n: number): void;
  /** Every row appended so far as a sample set (views, not copies). */
  view(): SampleSet;
  readonly size: number;
  /** Rows copied so far (appended rows plus any moved by a growth); linear in the rows appended. */
  readonly copiedRows: number;
}

/**
 * The buffer of relabelled states: arrays allocated for `capacity` rows (the run's total when known) that double when
 * full, so appending copies each new row once (plus at most as many again across growths) instead of the whole buffer.
 */
export class GrowingRelabelBuffer implements RelabelBuffer {
  size = 0;
  copiedRows = 0;
  private capacity: number;
  private groups: Record<string, Float32Array>;
  private mean: Float32Array;
  private std: Float32Array;
  private readonly widths: Record<string, number>;

  constructor(readonly shapes: Record<string, number[]>, readonly kinds: Record<string, 'state' | 'image'>, readonly actionDim: number, capacity = 1024) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`buffer capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.widths = Object.fromEntries(Object.entries(shapes).map(([g, s]) => [g, s.reduce((a, b) => a * b, 1)]));
    this.groups = Object.fromEntries(Object.entries(this.widths).map(([g, w]) => [g, new Float32Array(capacity * w)]));
    this.mean = new Float32Array(capacity * actionDim);
    this.std = new Float32Array(capacity * actionDim);
  }

  private grow(need: number): void {
    let cap = this.capacity;
    while (cap < need) cap *= 2;
    const move = (x: Float32Array, w: number) => {
      const y = new Float32Array(cap * w);
      y.set(x.subarray(0, this.size * w));
      return y;
    };
    for (const g of Object.keys(this.groups)) this.groups[g] = move(this.groups[g], this.widths[g]);
    this.mean = move(this.mean, this.actionDim);
    this.std = move(this.std, this.actionDim);
    this.copiedRows += this.size;
    this.capacity = cap;
  }

  append(groups: Record<string, Float32Array>, d: GaussianParams, n: number): void {
    if (this.size + n > this.capacity) this.grow(this.size + n);
    for (const g of Object.keys(this.groups)) {
      const x = groups[g];
      if (!x || x.length !== n * this.widths[g]) throw new RangeError(`relabelled rows of group '${g}' must hold ${n} x ${this.widths[g]} values, got ${x ? x.length : 'none'}`);
      this.groups[g].set(x, this.size * this.widths[g]);
    }
    this.mean.set(d.mean.subarray(0, n * this.actionDim), this.size * this.actionDim);
    this.std.set(d.std.subarray(0, n * this.actionDim), this.size * this.actionDim);
    this.size += n;
    this.copiedRows += n;
  }

  view(): SampleSet {
    const groups = Object.fromEntries(Object.entries(this.groups).map(([g, x]) => [g, x.subarray(0, this.size * this.widths[g])]));
    const A = this.actionDim;
    return { size: this.size, groups, groupShapes: this.shapes, groupKinds: this.kinds, expertMean: this.mean.subarray(0, this.size * A), expertStd: this.std.subarray(0, this.size * A), actionDim: A };
  }
}

export interface DaggerOptions {
  /** The relabelled buffer (tests compare implementations). Default: a GrowingRelabelBuffer sized for the whole run. */
  buffer?: (shapes: Record<string, number[]>, kinds: Record<string, 'state' | 'image'>, actionDim: number, capacity: number) => RelabelBuffer;
}

/** Run DAgger for one cell; one result row per round (x = environment steps so far). */
export async function runDagger(cell: DaggerCell, options: DaggerOptions = {}): Promise<Record<string, unknown>[]> {
  await initBackend();
  const checkpoint = typeof cell.expertCheckpoint === 'string' ? cell.expertCheckpoint : 'expert';
  const { expert, sha256 } = await loadTaskExpert(cell.task, checkpoint, typeof cell.expertSha256 === 'string' ? cell.expertSha256 : undefined);
  const mixture = new BetaMixture(cell.beta);
  const numEnvs = cell.numEnvs ?? 8;
  const rng = new Rng(`dagger/${cell.task}/${cell.method}/${cell.beta}/${cell.seed}`);
  const vec = await VecEnv.create({ task: cell.task, numEnvs, workers: 0, seed: daggerEnvSeed(cell.seed) });
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
  const makeBuffer = options.buffer ?? ((sh, ki, A, capacity) => new GrowingRelabelBuffer(sh, ki, A, capacity));
  const buffer = makeBuffer(shapes, kinds, spec.actionDim, stepsPerRound * cell.curvePoints * numEnvs);
  let envSteps = 0;
  let expertActed = 0;
  try {
    let obs = await vec.reset();
    for (let round = 0; round < cell.curvePoints; round++) {
      // -- act with the mixture, relabel with the expert (BLAS phase 'act') --
      obs = await inBlasPhase('act', async () => {
        for (let t = 0; t < stepsPerRound; t++) {
          const groups: Record<string, Float32Array> = {};
          for (const g of expert.view) groups[g] = obs[g];
          const e = expert.distribution({ batch: numEnvs, groups });
          const s = student.distribution({ batch: numEnvs, groups });
          const useExpert = mixture.draw(numEnvs, rng);
          expertActed += useExpert.filter(Boolean).length;
          const action = mixtureActions(s, e, useExpert, spec.actionDim, rng);
          buffer.append(groups, e, numEnvs);
          obs = (await vec.step(action)).obs;
          envSteps += numEnvs;
        }
        return obs;
      });
      // -- train on all relabelled states --
      trainStudent({ student, expert, train: buffer.view(), validation: null, config, rng });
      // -- evaluate --
      const ev = await evaluatePolicy(student, { task: cell.task, episodes: cell.evalEpisodes, mode: 'noise', noiseStd: cell.evalNoise, seed: EVAL_SEED });
      rows.push({ figure: cell.figure, task: cell.task, method: DAGGER_LABELS[cell.method], beta: cell.beta, x: envSteps, seed: cell.seed, return: ev.mean, returnStd: ev.std, expertReturn: expertRet, expertShare: expertActed / envSteps });
    }
  } finally {
    await vec.close();
    student.dispose();
    expert.dispose();
  }
  return rows;
}

