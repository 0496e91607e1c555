/**
 * The one cloning update loop shared by offline cloning, DAgger and the toy problem (paper Algorithm 1):
 * sample L recorded states, build the strategy's rows (strategies.ts), take an Adam step on the weighted NLL or
 * cross-entropy (losses.ts), and keep the weights with the best validation NLL (early stopping, as the paper).
 */
import * as tf from '@tensorflow/tfjs';
import type { Expert } from '../policies/types';
import { Adam } from '../rl/adam';
import { GaussianMLP } from '../policies';
import { Rng } from '../util/rng';
import { inBlasPhase } from '../policies/native-blas';
import { DivergenceError, DIVERGED_MAGNITUDE, checkFiniteWeights, diverged } from '../util/finite';
import type { CloningConfig } from './config';
import { cloningCrossEntropy, cloningNll } from './losses';
import { gaussianNll } from '../policies/distributions';
import { buildBatch, checkViews, type SampleSet } from './strategies';

export interface TrainStudentArgs {
  student: GaussianMLP;
  /** Queried by 'apc'; may be null for 'bc' and 'naive-abc'. */
  expert: Expert | null;
  train: SampleSet;
  /** Validation states for early stopping / model selection; null: keep the last weights. */
  validation: SampleSet | null;
  config: CloningConfig;
  rng: Rng;
  /** Called after every validation. */
  onValidate?: (update: number, validationNll: number) => void;
}

/**
 * What trainStudent returns: updates run, the best validation update and NLL, whether validation was still improving
 * where training stopped, the validation history, expert queries.
 */
export interface TrainStudentResult {
  updates: number;
  /** The budget in force at the end (numUpdates, or more where extendWhileImproving extended it). */
  budget: number;
  /** What ended training: patience (validation stopped improving) or the (final) budget. */
  stoppedBy: 'patience' | 'budget';
  /** Training stopped at its (final) budget with the last validation the best so far; false without validation. */
  endedImproving: boolean;
  bestUpdate: number;
  bestValidationNll: number | null;
  history: { update: number; validationNll: number; trainLoss: number }[];
  /** Mean training loss over all updates of this call (the strategy's weighted loss per batch). */
  meanTrainLoss: number;
  expertQueries: number;
}

/** Student view rows of `data` as an observation batch. */
export function viewBatch(data: SampleSet, view: string[], from: number, to: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const g of view) {
    const w = data.groupShapes[g].reduce((a, b) => a * b, 1);
    out[g] = data.groups[g].subarray(from * w, to * w);
  }
  return out;
}

/** Mean NLL of the expert's mean actions under the student on `data` (the paper's validation metric). */
export function validationNll(student: GaussianMLP, data: SampleSet, chunk = 4096): number {
  let total = 0;
  const A = data.actionDim;
  for (let from = 0; from < data.size; from += chunk) {
    const to = Math.min(data.size, from + chunk);
    const inputs = student.toTensors({ batch: to - from, groups: viewBatch(data, student.view, from, to) });
    total += tf.tidy(() => {
      const { mean, logStd } = student.apply(inputs);
      const target = tf.tensor2d(data.expertMean.subarray(from * A, to * A), [to - from, A]);
      return tf.sum(gaussianNll(mean, logStd, target)).dataSync()[0];
    });
    tf.dispose(Object.values(inputs));
  }
  return total / data.size;
}

/**
 * Initialise the student's observation normaliser (state groups only; image groups are never normalised): each
 * state group the expert also reads takes the expert's running statistics (it has seen far more states than a few
 * trajectories); groups only the student reads (if any) are estimated from the training states. With identical
 * views this is a plain copy of the expert's normaliser.
 */
export function initStudentNormalizer(student: GaussianMLP, expert: Expert | null, data: SampleSet): void {
  if (!student.normalizer) return;
  const source = expert instanceof GaussianMLP && expert.normalizer ? expert : null;
  const sizeOfGroup = (p: GaussianMLP, g: string) => p.spec.groupShapes[g].reduce((a, b) => a * b, 1);
  // Offset of every state group inside the expert's normalised feature vector.
  const expertOffset = new Map<string, number>();
  if (source) {
    let o = 0;
    for (const g of source.stateGroups) {
      expertOffset.set(g, o);
      o += sizeOfGroup(source, g);
    }
  }
  const shared = new Set(student.stateGroups.filter((g) => expertOffset.has(g) && sizeOfGroup(student, g) === sizeOfGroup(source!, g)));
  const allShared = shared.size === student.stateGroups.length;
  if (!allShared) student.updateNormalizer(viewBatch(data, student.stateGroups, 0, data.size));
  if (shared.size === 0) return;
  const own = student.normalizer.getState();
  const theirs = source!.normalizer!.getState();
  let o = 0;
  for (const g of student.stateGroups) {
    const n = sizeOfGroup(student, g);
    if (shared.has(g)) {
      const from = expertOffset.get(g)!;
      own.mean.splice(o, n, ...theirs.mean.slice(from, from + n));
      own.var.splice(o, n, ...theirs.var.slice(from, from + n));
    }
    o += n;
  }
  // Every group from the expert: its count; otherwise the count of the groups estimated here.
  if (allShared) own.count = theirs.count;
  student.normalizer.setState(own);
}

const snapshot = (vars: tf.Variable[]) => vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
function restore(vars: tf.Variable[], values: Float32Array[]): void {
  vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(values[i], v.shape))));
}

/**
 * Run K cloning updates (with early stopping on validation NLL) and leave the best weights in `student`. Runs in the
 * 'learn' BLAS phase (APC_BLAS_THREADS OpenBLAS threads).
 */
export function trainStudent(args: TrainStudentArgs): TrainStudentResult {
  return inBlasPhase('learn', () => trainStudentIn(args));
}

function trainStudentIn(args: TrainStudentArgs): TrainStudentResult {
  const { student, expert, train, validation, config, rng } = args;
  checkViews(train, student.view, config.strategy === 'apc' ? expert : null);
  if (train.size === 0) throw new RangeError('the training set is empty');
  if (config.imageShift > 0 && student.imageGroups.length === 0) {
    throw new RangeError(`imageShift ${config.imageShift} needs a student that reads an image group; its view (${student.view.join(', ')}) has none`);
  }
  const vars = student.trainableVariables();
  const adam = new Adam(vars);
  const L = config.batchSize;
  const A = train.actionDim;
  const history: TrainStudentResult['history'] = [];
  let best = { update: 0, nll: validation ? validationNll(student, validation) : Infinity, weights: snapshot(vars) };
  let sinceBest = 0;
  let expertQueries = 0;
  let lossSum = 0;
  let lossCount = 0;
  let lossTotal = 0;
  let update = 0;
  const idx = new Int32Array(L);
  // The budget: numUpdates, extended by half at a time while validation still improves at its end (up to
  // extendWhileImproving x numUpdates), each extension a whole number of validation intervals.
  let budget = config.numUpdates;
  const maxBudget = config.extendWhileImproving === null ? budget : Math.floor(config.extendWhileImproving * config.numUpdates);
  let endedImproving = false;
  let stoppedBy: 'patience' | 'budget' = 'patience';
  for (update = 1; update <= budget; update++) {
    // -- batch: L recorded states (with replacement), the strategy's rows --
    for (let i = 0; i < L; i++) idx[i] = rng.int(train.size);
    const batch = buildBatch(config, train, idx, student.view, expert, rng);
    expertQueries += batch.expertQueries;
    // -- update --
    const inputs = student.toTensors({ batch: batch.rows, groups: batch.groups });
    let gradNorm = 0;
    const lossValue = tf.tidy(() => {
      const targetMean = tf.tensor2d(batch.targetMean, [batch.rows, A]);
      const weights = tf.tensor1d(batch.weights);
      const { value, grads } = tf.variableGrads(() => {
        const { mean, logStd } = student.apply(inputs);
        const out = config.loss === 'nll'
          ? cloningNll(mean, logStd, targetMean, weights, batch.normaliser)
          : cloningCrossEntropy(mean, logStd, targetMean, tf.tensor2d(batch.targetStd, [batch.rows, A]), weights, batch.normaliser);
        return out.loss;
      }, vars);
      gradNorm = adam.apply(vars.map((v) => grads[v.name]), config.learningRate);
      return value.dataSync()[0];
    });
    tf.dispose(Object.values(inputs));
    if (diverged(lossValue) || diverged(gradNorm)) {
      throw new DivergenceError(`cloning diverged at update ${update}: loss/${config.loss}=${lossValue}, loss/grad_norm=${gradNorm} (non-finite or beyond ${DIVERGED_MAGNITUDE.toExponential()}; learning rate ${config.learningRate}); no result was written`);
    }
    lossSum += lossValue;
    lossCount += 1;
    lossTotal += lossValue;
    // -- validate, keep the best weights, stop early --
    if (validation && (update % config.validateEvery === 0 || update === budget)) {
      const nll = validationNll(student, validation);
      if (diverged(nll)) throw new DivergenceError(`cloning diverged at update ${update}: validation NLL ${nll} (mean train loss ${lossSum / lossCount}); no result was written`);
      checkFiniteWeights(`cloning update ${update}`, vars, student.weightNames());
      history.push({ update, validationNll: nll, trainLoss: lossSum / lossCount });
      lossSum = 0;
      lossCount = 0;
      args.onValidate?.(update, nll);
      if (nll < best.nll) {
        best = { update, nll, weights: snapshot(vars) };
        sinceBest = 0;
      } else if (config.patience !== null && ++sinceBest >= config.patience) {
        break;
      }
      if (update === budget) {
        // Validation may still improve: with patience, it has not run out (else the loop broke above); without,
        // the last validation is the best so far.
        const mayImprove = config.patience !== null || best.update === update;
        if (mayImprove && budget < maxBudget) {
          const step = Math.max(config.validateEvery, Math.round(budget / 2 / config.validateEvery) * config.validateEvery);
          budget = Math.min(maxBudget, budget + step);
        } else {
          stoppedBy = 'budget';
          endedImproving = best.update === update;
        }
      }
    }
  }
  const updates = Math.min(update, budget);
  checkFiniteWeights(`cloning update ${updates}`, vars, student.weightNames());
  if (validation) restore(vars, best.weights);
  adam.dispose();
  if (!validation) stoppedBy = 'budget';
  return { updates, budget, stoppedBy, endedImproving, bestUpdate: validation ? best.update : updates, bestValidationNll: validation ? best.nll : null, history, meanTrainLoss: lossTotal / Math.max(1, updates), expertQueries };
}
