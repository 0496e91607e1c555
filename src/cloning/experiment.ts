/**
 * One offline-cloning measurement (paper section 5, Figures 2-4): load the task's expert, collect (or load) N
 * expert trajectories with action noise 0.2 plus separate validation trajectories, train a student with one
 * strategy, and evaluate it with action noise 0.2 on seeded episodes shared by every method (paired comparison).
 * Privileged experts (section 5.3, Figure 4): with `studentView` the student reads another view of the task (shared
 * state groups plus a camera image, through the policy's conv encoder) and `imageShift` adds random-shift
 * augmentation of its images, alone (strategy 'bc': "image only") or with Naive ABC / APC ("with image").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTask } from '../envs'; // also registers every task
import { evaluatePolicy } from '../rl/evaluate';
import { GaussianMLP, initBackend, loadCheckpoint } from '../policies';
import { datasetsRoot, expertsRoot } from '../util/paths';
import { Rng } from '../util/rng';
import { resolveCloningConfig, type CloningConfig, type Strategy } from './config';
import { cachedDataset, type Dataset } from './dataset';
import { initStudentNormalizer, trainStudent, viewBatch } from './trainer';
import { resolveStudentView } from './views';

/** A figure cell as built by src/experiments/figures.ts (plain JSON). */
export interface OfflineCell {
  figure: string;
  task: string;
  /** Cloning strategy: 'bc', 'naive-abc' or 'apc'. */
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
  /**
   * Named task view the student reads (privileged experts, Figure 4), e.g. 'student' of manipulator-insert-peg:
   * the shared state groups plus the depth camera. Default: the expert's own view.
   */
  studentView?: string;
  /** Random-shift augmentation of the student's image groups, in pixels (0: off). Default 0. */
  imageShift?: number;
  /** Control steps per episode for datasets and evaluation (tests only; default the task's own length). */
  episodeLength?: number;
  [key: string]: unknown;
}

/** Validation trajectories per dataset (separate seed), for early stopping and model selection. */
const VALIDATION_TRAJECTORIES = 2;
/** Evaluation episode seed, shared by every method and student (paired episodes). */
const EVAL_SEED = 12345;

export const METHOD_NAMES: Record<Strategy, string> = { bc: 'BC', 'naive-abc': 'Naive ABC', apc: 'APC' };

/**
 * The legend label of a strategy with or without image augmentation (Figure 4's rows): 'BC', 'Naive ABC', 'APC';
 * with imageShift > 0 'Image shift only' (BC on the recorded states plus shifted images), 'Naive ABC + image shift'
 * and 'APC + image shift'.
 */
export function methodName(method: Strategy, imageShift = 0): string {
  const name = METHOD_NAMES[method];
  if (name === undefined) throw new RangeError(`method must be one of ${Object.keys(METHOD_NAMES).join(', ')}, got '${String(method)}'`);
  if (!(imageShift > 0)) return name;
  return method === 'bc' ? 'Image shift only' : `${name} + image shift`;
}

/** Load a task's expert checkpoint from the experts root. */
export async function loadTaskExpert(task: string): Promise<{ expert: GaussianMLP; manifest: Record<string, unknown> }> {
  const dir = path.join(expertsRoot(), task, 'expert');
  if (!fs.existsSync(dir)) throw new Error(`no expert for task '${task}' at ${dir}; train one with npm run train -- --task ${task}`);
  const { policy, manifest } = await loadCheckpoint(dir);
  return { expert: policy, manifest };
}

/** The expert's return under the evaluation protocol (cached next to the expert, keyed by episodes and noise). */
export async function expertReturn(task: string, expert: GaussianMLP, episodes: number, noise: number, episodeLength?: number): Promise<number> {
  const len = episodeLength ? `-len${episodeLength}` : '';
  const file = path.join(datasetsRoot(), task, `expert-eval-noise${noise}-episodes${episodes}-seed${EVAL_SEED}${len}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')).mean;
  const taskOptions = episodeLength ? { episodeLength } : {};
  const r = await evaluatePolicy(expert, { task, episodes, mode: 'noise', noiseStd: noise, seed: EVAL_SEED, taskOptions });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ mean: r.mean, std: r.std, episodes, noise, seed: EVAL_SEED, returns: r.returns }) + '\n');
  return r.mean;
}

/** The student's view: the expert's, or the cell's `studentView` checked against the task (views.ts). */
async function studentViewOf(cell: OfflineCell, expert: GaussianMLP): Promise<{ view: string[]; name: string | null }> {
  if (cell.studentView === undefined) return { view: [...expert.view], name: null };
  const probe = await makeTask(cell.task, cell.episodeLength ? { episodeLength: cell.episodeLength } : {});
  const spec = probe.spec;
  probe.close();
  return { view: resolveStudentView(spec, cell.studentView, expert.view).view, name: cell.studentView };
}

/** A cell's expert, datasets, fresh student and cloning config, before training. */
interface PreparedCell {
  expert: GaussianMLP;
  train: Dataset;
  validation: Dataset;
  student: GaussianMLP;
  torso: number[];
  config: CloningConfig;
  studentView: string | null;
  imageShift: number;
  rngKey: string;
}

async function prepareCell(cell: OfflineCell): Promise<PreparedCell> {
  await initBackend();
  const imageShift = cell.imageShift ?? 0;
  const { expert } = await loadTaskExpert(cell.task);
  // -- student view (checked before any data is collected) --
  const { view, name: studentView } = await studentViewOf(cell, expert);
  // -- datasets: every observation group, the student's images included --
  const dsOpts = { task: cell.task, actionNoise: cell.datasetNoise, workers: 0, episodeLength: cell.episodeLength };
  const train = await cachedDataset(datasetsRoot(), expert, { ...dsOpts, trajectories: cell.trajectories, seed: 1000 + cell.seed });
  const validation = await cachedDataset(datasetsRoot(), expert, { ...dsOpts, trajectories: VALIDATION_TRAJECTORIES, seed: 9000 + cell.seed });
  const absent = view.filter((g) => !train.groups[g]);
  if (absent.length > 0) {
    throw new RangeError(`the ${cell.task} dataset lacks the student's group(s) ${absent.join(', ')} (it has ${Object.keys(train.groups).join(', ')}); ` +
      'delete the cached dataset so it is collected again with every group');
  }
  // -- student: state groups through the normalised MLP torso, image groups through the conv encoder --
  const groupShapes = Object.fromEntries(view.map((g) => [g, train.groupShapes[g]]));
  const groupKinds = Object.fromEntries(view.map((g) => [g, train.groupKinds[g]]));
  const torso = cell.studentTorso ?? expert.config.torso;
  const student = new GaussianMLP({ view, groupShapes, groupKinds, actionDim: train.actionDim }, { torso, initStd: 0.2 }, new Rng(`student/${cell.seed}`));
  initStudentNormalizer(student, expert, train);
  const config = resolveCloningConfig({
    strategy: cell.method, sigmaS: cell.sigmaS, numAugmented: cell.numAugmented, batchSize: cell.batchSize,
    numUpdates: cell.trainSteps, validateEvery: Math.max(1, Math.min(250, Math.floor(cell.trainSteps / 4))), studentTorso: torso, imageShift,
  });
  // Student-view and image-shift runs get their own stream; the key of a plain cell is unchanged (results reproduce).
  const rngKey = `clone/${cell.task}/${cell.method}/${cell.seed}${studentView ? `/${studentView}` : ''}${imageShift > 0 ? `/shift${imageShift}` : ''}`;
  return { expert, train, validation, student, torso, config, studentView, imageShift, rngKey };
}

/** Run one offline cloning cell; returns its result row(s). */
export async function runOfflineCloning(cell: OfflineCell): Promise<Record<string, unknown>[]> {
  const { expert, train, validation, student, torso, config, studentView, imageShift, rngKey } = await prepareCell(cell);
  const fit = trainStudent({ student, expert, train, validation, config, rng: new Rng(rngKey) });
  // -- evaluation: the env serves every group; the student's view picks its own (camera included) --
  const taskOptions = cell.episodeLength ? { episodeLength: cell.episodeLength } : {};
  const evalResult = await evaluatePolicy(student, { task: cell.task, episodes: cell.evalEpisodes, mode: 'noise', noiseStd: cell.evalNoise, seed: EVAL_SEED, taskOptions });
  const expertRet = await expertReturn(cell.task, expert, cell.evalEpisodes, cell.evalNoise, cell.episodeLength);
  const studentParams = student.trainableVariables().reduce((n, v) => n + v.size, 0);
  const expertParams = expert.trainableVariables().reduce((n, v) => n + v.size, 0);
  student.dispose();
  expert.dispose();
  return [{
    figure: cell.figure, task: cell.task, method: methodName(cell.method, imageShift), x: cell.trajectories, seed: cell.seed,
    return: evalResult.mean, returnStd: evalResult.std, expertReturn: expertRet,
    student: torso.join('x'), compressionRatio: studentParams / expertParams,
    ...(studentView ? { studentView } : {}), ...(imageShift > 0 ? { imageShift } : {}),
    bestUpdate: fit.bestUpdate, validationNll: fit.bestValidationNll, expertQueries: fit.expertQueries,
  }];
}

/**
 * Hyperparameter selection on VALIDATION data only (never on evaluation episodes): train the cell's student exactly
 * as runOfflineCloning does, then measure it on the held-out validation trajectories (other initial states than the
 * training ones): the NLL of the expert's mean actions and their mean squared error per action dimension. The
 * students act with their mean plus fixed noise at evaluation, so the mean's error is the selection criterion
 * (src/experiments/selection.ts).
 */
export async function runCloningSelection(cell: OfflineCell): Promise<Record<string, unknown>[]> {
  const { expert, train, validation, student, config, rngKey } = await prepareCell(cell);
  const fit = trainStudent({ student, expert, train, validation, config, rng: new Rng(rngKey) });
  const A = validation.actionDim;
  let sq = 0;
  const chunk = 4096;
  for (let from = 0; from < validation.size; from += chunk) {
    const to = Math.min(validation.size, from + chunk);
    const { mean } = student.distribution({ batch: to - from, groups: viewBatch(validation, student.view, from, to) });
    for (let k = 0; k < (to - from) * A; k++) sq += (mean[k] - validation.expertMean[from * A + k]) ** 2;
  }
  student.dispose();
  expert.dispose();
  return [{
    figure: cell.figure, task: cell.task, method: methodName(cell.method, config.imageShift), x: cell.trajectories, seed: cell.seed,
    sigmaS: cell.sigmaS, numAugmented: cell.numAugmented, validationMse: sq / (validation.size * A),
    validationNll: fit.bestValidationNll, bestUpdate: fit.bestUpdate, expertQueries: fit.expertQueries,
    // The cache's row type wants a return; selection has none (NaN is not JSON): null marks it absent.
    return: null,
  }];
}
