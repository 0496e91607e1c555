/**
 * One offline-cloning measurement (paper section 5, Figures 2-4): load the task's expert, collect (or load) N
 * expert trajectories with action noise 0.2 plus separate validation trajectories, train a student with one
 * strategy, and evaluate it with action noise 0.2 on seeded episodes shared by every method (paired comparison).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../envs'; // registers every task
import { evaluatePolicy } from '../rl/evaluate';
import { GaussianMLP, initBackend, loadCheckpoint } from '../policies';
import { datasetsRoot, expertsRoot } from '../util/paths';
import { Rng } from '../util/rng';
import { resolveCloningConfig, type Strategy } from './config';
import { cachedDataset } from './dataset';
import { initStudentNormalizer, trainStudent } from './trainer';

/** A figure cell as built by src/experiments/figures.ts (plain JSON). */
export interface OfflineCell {
  figure: string;
  task: string;
  method: Strategy;
  trajectories: number;
  seed: number;
  trainSteps: number;
  evalEpisodes: number;
  datasetNoise: number;
  evalNoise: number;
  numAugmented: number;
  sigmaS: number;
  batchSize: number;
  /** Student torso (compression); default the expert's. */
  studentTorso?: number[];
  /** Named task view the student reads (privileged experts); default the expert's view. */
  studentView?: string;
  [key: string]: unknown;
}

/** Validation trajectories per dataset (separate seed), for early stopping and model selection. */
const VALIDATION_TRAJECTORIES = 2;
/** Evaluation episode seed, shared by every method and student (paired episodes). */
const EVAL_SEED = 12345;

export const METHOD_NAMES: Record<Strategy, string> = { bc: 'BC', 'naive-abc': 'Naive ABC', apc: 'APC' };

/** Load a task's expert checkpoint from the experts root. */
export async function loadTaskExpert(task: string): Promise<{ expert: GaussianMLP; manifest: Record<string, unknown> }> {
  const dir = path.join(expertsRoot(), task, 'expert');
  if (!fs.existsSync(dir)) throw new Error(`no expert for task '${task}' at ${dir}; train one with npm run train -- --task ${task}`);
  const { policy, manifest } = await loadCheckpoint(dir);
  return { expert: policy, manifest };
}

/** The expert's return under the evaluation protocol (cached next to the expert, keyed by episodes and noise). */
export async function expertReturn(task: string, expert: GaussianMLP, episodes: number, noise: number): Promise<number> {
  const file = path.join(datasetsRoot(), task, `expert-eval-noise${noise}-episodes${episodes}-seed${EVAL_SEED}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')).mean;
  const r = await evaluatePolicy(expert, { task, episodes, mode: 'noise', noiseStd: noise, seed: EVAL_SEED });
  fs.writeFileSync(file, JSON.stringify({ mean: r.mean, std: r.std, episodes, noise, seed: EVAL_SEED, returns: r.returns }) + '\n');
  return r.mean;
}

/** Run one offline cloning cell; returns its result row(s). */
export async function runOfflineCloning(cell: OfflineCell): Promise<Record<string, unknown>[]> {
  await initBackend();
  const { expert } = await loadTaskExpert(cell.task);
  const dsOpts = { task: cell.task, actionNoise: cell.datasetNoise, workers: 0 };
  const train = await cachedDataset(datasetsRoot(), expert, { ...dsOpts, trajectories: cell.trajectories, seed: 1000 + cell.seed });
  const validation = await cachedDataset(datasetsRoot(), expert, { ...dsOpts, trajectories: VALIDATION_TRAJECTORIES, seed: 9000 + cell.seed });
  if (cell.studentView !== undefined) {
    // Privileged-expert students read a camera image instead of the privileged groups (Figure 4); that needs the
    // image encoder in the student policy, which the current policy class does not have.
    throw new RangeError(`studentView '${cell.studentView}' needs a student policy that reads image groups; the current GaussianMLP reads state groups only`);
  }
  const view = expert.view;
  const groupShapes = Object.fromEntries(view.map((g) => [g, train.groupShapes[g]]));
  const groupKinds = Object.fromEntries(view.map((g) => [g, train.groupKinds[g]]));
  const torso = cell.studentTorso ?? expert.config.torso;
  const student = new GaussianMLP({ view, groupShapes, groupKinds, actionDim: train.actionDim }, { torso, initStd: 0.2 }, new Rng(`student/${cell.seed}`));
  initStudentNormalizer(student, expert, train);
  const config = resolveCloningConfig({
    strategy: cell.method, sigmaS: cell.sigmaS, numAugmented: cell.numAugmented, batchSize: cell.batchSize,
    numUpdates: cell.trainSteps, validateEvery: Math.max(1, Math.min(250, Math.floor(cell.trainSteps / 4))), studentTorso: torso,
  });
  const fit = trainStudent({ student, expert, train, validation, config, rng: new Rng(`clone/${cell.task}/${cell.method}/${cell.seed}`) });
  const evalResult = await evaluatePolicy(student, { task: cell.task, episodes: cell.evalEpisodes, mode: 'noise', noiseStd: cell.evalNoise, seed: EVAL_SEED });
  const expertRet = await expertReturn(cell.task, expert, cell.evalEpisodes, cell.evalNoise);
  const studentParams = student.trainableVariables().reduce((n, v) => n + v.size, 0);
  const expertParams = expert.trainableVariables().reduce((n, v) => n + v.size, 0);
  student.dispose();
  expert.dispose();
  return [{
    figure: cell.figure, task: cell.task, method: METHOD_NAMES[cell.method], x: cell.trajectories, seed: cell.seed,
    return: evalResult.mean, returnStd: evalResult.std, expertReturn: expertRet,
    student: torso.join('x'), compressionRatio: studentParams / expertParams,
    bestUpdate: fit.bestUpdate, validationNll: fit.bestValidationNll, expertQueries: fit.expertQueries,
  }];
}
