/**
 * One offline-cloning measurement (paper section 5, Figures 2-4): load the task's expert, collect (or load) N
 * expert trajectories with action noise 0.2 plus separate validation trajectories, train a student with one
 * strategy, and evaluate it with action noise 0.2 on seeded episodes shared by every method (paired comparison).
 * Privileged experts (section 5.3, Figure 4): with `studentView` the student reads another view of the task (shared
 * state groups plus a camera image, through the policy's conv encoder) and `imageShift` adds random-shift
 * augmentation of its images, alone (strategy 'bc': "image only") or with Naive ABC / APC ("with image").
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalJson } from '../util/json';
import { makeTask } from '../envs'; // also registers every task
import { evaluatePolicy } from '../rl/evaluate';
import { GaussianMLP, initBackend, loadCheckpoint } from '../policies';
import { datasetsRoot, writeFileAtomic } from '../util/paths';
import { expertCheckpointDir, expertSha256 } from '../util/experts';
import { Rng } from '../util/rng';
import { EVAL_SEED, trainDatasetSeed, validationDatasetSeed } from '../util/seeds';
import { resolveCloningConfig, type CloningConfig, type Strategy } from './config';
import { STRATEGY_LABELS, methodName } from './labels';
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
  /** M and sigma_s of the perturbing methods; BC's cells omit them (it perturbs nothing). */
  numAugmented?: number;
  sigmaS?: number;
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
  /** The expert checkpoint cloned ('expert' unless set). */
  expertCheckpoint?: string;
  /** sha256 of that checkpoint when the cell was planned (util/experts.ts); computing refuses other weights. */
  expertSha256?: string;
  /**
   * Train past `trainSteps` while validation still improves at the budget's end, up to this multiple of it
   * (trainer.ts extendWhileImproving). Absent: trainSteps is final (the cells stored before this field).
   */
  extendWhileImproving?: number;
  /** Form of sigmaS: absent / 'raw' (observation units, the paper's) or 'expert-std' (x the expert normaliser's std per dimension). */
  sigmaScale?: 'raw' | 'expert-std';
  [key: string]: unknown;
}

/** Validation trajectories per dataset (separate seed), for early stopping and model selection. */
const VALIDATION_TRAJECTORIES = 2;

/** The strategies' legend names (src/cloning/labels.ts). */
export const METHOD_NAMES = STRATEGY_LABELS;
export { methodName };

/**
 * Load `task`'s expert checkpoint ('expert' unless named) from the experts root, with its sha256. With `expectedSha256`
 * (a planned cell's `expertSha256`) other weights are refused: the cell's key names the weights it was planned for.
 */
export async function loadTaskExpert(task: string, checkpoint = 'expert', expectedSha256?: string): Promise<{ expert: GaussianMLP; manifest: Record<string, unknown>; sha256: string; checkpoint: string }> {
  const dir = expertCheckpointDir(task, checkpoint);
  if (!fs.existsSync(dir)) throw new Error(`no expert for task '${task}' at ${dir}; train one with npm run train -- --task ${task}`);
  const sha256 = expertSha256(task, checkpoint);
  if (expectedSha256 !== undefined && expectedSha256 !== sha256) {
    throw new Error(`the cell was planned for the ${task} '${checkpoint}' expert with sha256 ${expectedSha256}, but ${dir} now hashes to ${sha256}; ` +
      'plan the figure again (its cells then have new keys) instead of computing with other weights');
  }
  const { policy, manifest } = await loadCheckpoint(dir);
  return { expert: policy, manifest, sha256, checkpoint };
}

/** What an expert's cached return is keyed by: the weights and every setting of the evaluation. */
export interface ExpertReturnOptions {
  task: string;
  /** Checkpoint name ('expert', 'half'); default 'expert'. */
  checkpoint?: string;
  /** sha256 of the checkpoint (loadTaskExpert). */
  expertSha256: string;
  episodes: number;
  /** Action noise std in 'noise' mode. */
  noise: number;
  /** 'noise' (mean + N(0, noise^2), the students' protocol) or 'mean'. Default 'noise'. */
  mode?: 'noise' | 'mean';
  /** Task options of the evaluation ({}: the true task). Default {}. */
  taskOptions?: Record<string, unknown>;
}

function expertReturnId(o: ExpertReturnOptions): Record<string, unknown> {
  const mode = o.mode ?? 'noise';
  return {
    task: o.task, checkpoint: o.checkpoint ?? 'expert', expertSha256: o.expertSha256, episodes: o.episodes, mode, noise: mode === 'noise' ? o.noise : 0,
    seed: EVAL_SEED, numEnvs: Math.min(o.episodes, 50), taskOptions: o.taskOptions ?? {},
  };
}

/** The file an expert return is cached in (datasets root): its name carries a hash of everything it depends on. */
export function expertReturnFile(o: ExpertReturnOptions): string {
  const id = expertReturnId(o);
  const h = createHash('sha256').update(canonicalJson(id)).digest('hex').slice(0, 16);
  return path.join(datasetsRoot(), o.task, 'expert-returns', `${id.checkpoint}-${id.mode}${id.noise}-episodes${o.episodes}-${h}.json`);
}

/**
 * The expert's return under an evaluation protocol (paired episodes, seed EVAL_SEED), cached under the datasets root
 * keyed by the checkpoint's sha256, episodes, mode, noise and task options.
 */
export async function expertReturn(expert: GaussianMLP, o: ExpertReturnOptions): Promise<number> {
  const file = expertReturnFile(o);
  const id = expertReturnId(o);
  if (fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (canonicalJson(stored.id) === canonicalJson(id)) return stored.mean;
  }
  const r = await evaluatePolicy(expert, { task: o.task, episodes: o.episodes, mode: id.mode as 'noise' | 'mean', noiseStd: o.noise, seed: EVAL_SEED, taskOptions: o.taskOptions ?? {}, workers: 0 });
  // Atomic: concurrent cells (two notebooks, two sweeps) may read it while it is written.
  writeFileAtomic(file, JSON.stringify({ id, mean: r.mean, std: r.std, sem: r.sem, returns: r.returns }) + '\n');
  return r.mean;
}

/**
 * The expert normaliser's std of every dimension of its state groups, by group: sigma_s's per-dimension multipliers
 * in the 'expert-std' form (sqrt(var + epsilon), what the normaliser divides by).
 */
export function expertStdScale(expert: GaussianMLP): Record<string, number[]> {
  if (!expert.normalizer) throw new RangeError("sigmaScale 'expert-std' needs an expert with an observation normaliser; this one has none");
  const st = expert.normalizer.getState();
  const eps = 1e-8;
  const out: Record<string, number[]> = {};
  let o = 0;
  for (const g of expert.stateGroups) {
    const n = expert.spec.groupShapes[g].reduce((a, b) => a * b, 1);
    out[g] = st.var.slice(o, o + n).map((v) => Math.sqrt(v + eps));
    o += n;
  }
  return out;
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
  expertSha256: string;
  train: Dataset;
  validation: Dataset;
  student: GaussianMLP;
  torso: number[];
  config: CloningConfig;
  studentView: string | null;
  imageShift: number;
  rngKey: string;
}

/** A numeric field of the cell (sigma_s and M: the perturbing methods' cells must carry them, BC's omit them). */
function requiredNumber(cell: OfflineCell, field: 'sigmaS' | 'numAugmented' | 'extendWhileImproving'): number {
  const v = cell[field];
  if (typeof v !== 'number') throw new RangeError(`a ${cell.method} cell needs ${field} (a number), got ${JSON.stringify(v)}`);
  return v;
}

async function prepareCell(cell: OfflineCell): Promise<PreparedCell> {
  await initBackend();
  const imageShift = cell.imageShift ?? 0;
  const { expert, sha256 } = await loadTaskExpert(cell.task, cell.expertCheckpoint ?? 'expert', cell.expertSha256);
  // -- student view (checked before any data is collected) --
  const { view, name: studentView } = await studentViewOf(cell, expert);
  // -- datasets: every observation group, the student's images included --
  const dsOpts = { task: cell.task, actionNoise: cell.datasetNoise, workers: 0, episodeLength: cell.episodeLength };
  const train = await cachedDataset(datasetsRoot(), expert, { ...dsOpts, trajectories: cell.trajectories, seed: trainDatasetSeed(cell.seed) }, sha256);
  const validation = await cachedDataset(datasetsRoot(), expert, { ...dsOpts, trajectories: VALIDATION_TRAJECTORIES, seed: validationDatasetSeed(cell.seed) }, sha256);
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
  const sigmaScale = cell.sigmaScale ?? 'raw';
  if (sigmaScale !== 'raw' && sigmaScale !== 'expert-std') throw new RangeError(`sigmaScale must be one of raw, expert-std, got '${String(sigmaScale)}'`);
  const config = resolveCloningConfig({
    strategy: cell.method, batchSize: cell.batchSize,
    ...(cell.method === 'bc' ? { numAugmented: 0 } : { sigmaS: requiredNumber(cell, 'sigmaS'), numAugmented: requiredNumber(cell, 'numAugmented') }),
    numUpdates: cell.trainSteps, validateEvery: offlineValidateEvery(cell.trainSteps), imageShift,
    ...(cell.extendWhileImproving !== undefined ? { extendWhileImproving: requiredNumber(cell, 'extendWhileImproving') } : {}),
    perturbScale: sigmaScale === 'expert-std' ? expertStdScale(expert) : null,
  });
  // Student-view and image-shift runs get their own stream; the key of a plain cell is unchanged (results reproduce).
  const rngKey = `clone/${cell.task}/${cell.method}/${cell.seed}${studentView ? `/${studentView}` : ''}${imageShift > 0 ? `/shift${imageShift}` : ''}`;
  return { expert, expertSha256: sha256, train, validation, student, torso, config, studentView, imageShift, rngKey };
}

/** Updates between validations of an offline cell with `trainSteps` updates: 250, or a quarter of a shorter budget. */
export function offlineValidateEvery(trainSteps: number): number {
  return Math.max(1, Math.min(250, Math.floor(trainSteps / 4)));
}

/** Run one offline cloning cell; returns its result row(s). */
export async function runOfflineCloning(cell: OfflineCell): Promise<Record<string, unknown>[]> {
  const { expert, expertSha256: sha, train, validation, student, torso, config, studentView, imageShift, rngKey } = await prepareCell(cell);
  const fit = trainStudent({ student, expert, train, validation, config, rng: new Rng(rngKey) });
  // -- evaluation: the env serves every group; the student's view picks its own (camera included) --
  const taskOptions = cell.episodeLength ? { episodeLength: cell.episodeLength } : {};
  const evalResult = await evaluatePolicy(student, { task: cell.task, episodes: cell.evalEpisodes, mode: 'noise', noiseStd: cell.evalNoise, seed: EVAL_SEED, taskOptions });
  const expertRet = await expertReturn(expert, { task: cell.task, checkpoint: cell.expertCheckpoint ?? 'expert', expertSha256: sha, episodes: cell.evalEpisodes, noise: cell.evalNoise, taskOptions });
  const studentParams = student.trainableVariables().reduce((n, v) => n + v.size, 0);
  const expertParams = expert.trainableVariables().reduce((n, v) => n + v.size, 0);
  student.dispose();
  expert.dispose();
  return [{
    figure: cell.figure, task: cell.task, method: methodName(cell.method, imageShift), x: cell.trajectories, seed: cell.seed,
    return: evalResult.mean, returnStd: evalResult.std, expertReturn: expertRet,
    student: torso.join('x'), compressionRatio: studentParams / expertParams,
    // The paper's compression ratio r (Figure 3): product of the expert's torso widths / product of the student's.
    ...(cell.studentTorso ? { r: expert.config.torso.reduce((a, b) => a * b, 1) / torso.reduce((a, b) => a * b, 1) } : {}),
    ...(studentView ? { studentView } : {}), ...(imageShift > 0 ? { imageShift } : {}),
    bestUpdate: fit.bestUpdate, updates: fit.updates, stoppedBy: fit.stoppedBy, endedImproving: fit.endedImproving, validationNll: fit.bestValidationNll, expertQueries: fit.expertQueries,
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
    sigmaS: cell.sigmaS, numAugmented: cell.numAugmented, ...(cell.sigmaScale ? { sigmaScale: cell.sigmaScale } : {}), validationMse: sq / (validation.size * A),
    validationNll: fit.bestValidationNll, bestUpdate: fit.bestUpdate, updates: fit.updates, stoppedBy: fit.stoppedBy, endedImproving: fit.endedImproving, expertQueries: fit.expertQueries,
    // The cache's row type wants a return; selection has none (NaN is not JSON): null marks it absent.
    return: null,
  }];
}
