/**
 * Guards of the PPO trainer against silent wrong results: task options checked before anything is written, a
 * non-finite loss, gradient or weight stopping the run with the update and its loss terms (its last checkpoint,
 * written before, stays the last finite one), and the resume path's checks (a damaged newest checkpoint falls back
 * to the newest intact one; temporary folders of killed runs are removed). Not a paper component.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { checkOptionsOf } from '../envs/registry';
import '../training/variants'; // training configs name the variants' options (curricula, shaping)
import { readManifest, loadCheckpoint } from '../policies';
import { DivergenceError, DIVERGED_MAGNITUDE, checkFiniteWeights, diverged, formatTerms } from '../util/finite';
import { readJsonFile } from '../util/json';
import type { PPOConfig } from './config';
import { listCheckpoints } from './trainer-state';

export { DivergenceError, checkFiniteWeights };

/** Refuse unknown or mistyped task options of the run, its evaluation and every curriculum stage, up front. */
export function checkRunTaskOptions(config: PPOConfig): void {
  const at = (where: string, o: Record<string, unknown> | undefined) => {
    if (o === undefined) return;
    try {
      checkOptionsOf(config.task, o);
    } catch (e) {
      throw new RangeError(`PPO config ${where}: ${(e as Error).message}`);
    }
  };
  at('taskOptions', config.taskOptions);
  at('evalTaskOptions', config.evalTaskOptions);
  config.curriculum.forEach((st, i) => {
    at(`curriculum[${i}].taskOptions`, st.taskOptions);
    at(`curriculum[${i}].evalTaskOptions`, st.evalTaskOptions);
  });
}

/** Scalar value of a metric (a number or a one-element tensor). */
const valueOf = (v: number | tf.Tensor) => (typeof v === 'number' ? v : (v.dataSync()[0] as number));

/**
 * Throw a DivergenceError when the minibatch's total loss, any loss term or the gradient norm (non-finite when any
 * gradient entry is) is NaN, infinite or beyond DIVERGED_MAGNITUDE. `where` names the update (iteration, epoch,
 * minibatch).
 */
export function checkFiniteUpdate(where: string, total: number | tf.Tensor, terms: Record<string, number | tf.Tensor>, gradNorm: number): void {
  const values: Record<string, number> = { 'loss/total': valueOf(total) };
  for (const [k, v] of Object.entries(terms)) values[k] = valueOf(v);
  values['loss/grad_norm'] = gradNorm;
  const bad = Object.entries(values).filter(([, v]) => diverged(v)).map(([k]) => k);
  if (bad.length > 0) {
    throw new DivergenceError(`training diverged at ${where}: ${bad.join(', ')} non-finite or beyond ${DIVERGED_MAGNITUDE.toExponential()} (${formatTerms(values)}); ` +
      'no row or checkpoint was written for it; lower the learning rate (lr) or the gradient clip (maxGradNorm)');
  }
}


/** Remove temporary and half-moved folders/files (.tmp-*, .old-*) that killed runs left in `dirs`. */
export function removeStaleTemporaries(dirs: string[], log: (line: string) => void): void {
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      if (!/^\.(tmp|old)-/.test(name) && !/\.tmp(-\d+.*)?$/.test(name)) continue;
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      log(`removed ${path.join(dir, name)}, left by a run that was killed`);
    }
  }
}

/** Why checkpoint folder `dir` cannot be resumed from, or null when it is whole. */
export async function checkpointProblem(dir: string, floatFile = 'state.bin'): Promise<string | null> {
  try {
    const saved = readJsonFile<{ floatLengths?: number[] }>(path.join(dir, 'trainer.json'), 'trainer state');
    if (!Array.isArray(saved.floatLengths)) return `${path.join(dir, 'trainer.json')} lacks floatLengths`;
    const bytes = fs.statSync(path.join(dir, floatFile)).size;
    const need = 4 * saved.floatLengths.reduce((a, b) => a + b, 0);
    if (bytes !== need) return `${path.join(dir, floatFile)} has ${bytes} bytes, trainer.json lists ${need}`;
    readManifest(path.join(dir, 'policy'));
    const { policy } = await loadCheckpoint(path.join(dir, 'policy'));
    policy.dispose();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The newest checkpoint under `root` that is whole (trainer.json parses, state.bin has its length, the policy loads
 * with its sha256); each damaged newer one is reported through `log`. Null when there is none; throws when there
 * are checkpoints but every one is damaged.
 */
export async function newestIntactCheckpoint(root: string, log: (line: string) => void): Promise<string | null> {
  const all = listCheckpoints(root);
  const problems: string[] = [];
  for (let k = all.length - 1; k >= 0; k--) {
    const problem = await checkpointProblem(all[k]);
    if (problem === null) {
      if (problems.length > 0) log(`resuming from ${all[k]}, the newest intact checkpoint, instead`);
      return all[k];
    }
    problems.push(`${all[k]}: ${problem}`);
    log(`checkpoint ${all[k]} is damaged (${problem}); falling back to an older one`);
  }
  if (all.length > 0) throw new Error(`every checkpoint under ${root} is damaged: ${problems.join('; ')}`);
  return null;
}
