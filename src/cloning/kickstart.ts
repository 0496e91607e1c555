/**
 * Kickstarting with APC (paper section 6.2, eqn 6, Figure 6): the RL objective plus lambda * H[pi_E || pi] on the
 * states the learner visits. With the 'apc' strategy the cross-entropy is also taken at M perturbed copies
 * s + ds of each visited state, with the expert re-queried there (weight 1/M each, as eqn 10); 'bc' uses the
 * visited states only; 'rl' (lambda = 0) is RL from scratch. The RL trainer is src/rl/ppo.ts through its auxLoss hook.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../envs'; // registers every task
import type { Expert } from '../policies/types';
import { readCurve } from '../rl/curve';
import { trainPPO, type AuxLoss } from '../rl/ppo';
import { ppoPreset } from '../rl/presets';
import { initBackend } from '../policies';
import { Rng } from '../util/rng';
import { gaussianCrossEntropyRows } from './losses';
import { expertReturn, loadTaskExpert } from './experiment';

export interface KickstartLossConfig {
  /** lambda of eqn 6. */
  lambda: number;
  /** 'bc': visited states only; 'apc': plus M perturbed copies with the expert re-queried. */
  strategy: 'bc' | 'apc';
  sigmaS: number;
  numAugmented: number;
}

/** The auxiliary loss lambda * [H(s) + (1/M) sum_j H(s + ds_j)] averaged over the minibatch (eqns 6 and 10). */
export function kickstartLoss(expert: Expert, c: KickstartLossConfig, rng: Rng): AuxLoss {
  if (!(c.lambda >= 0)) throw new RangeError(`lambda must be >= 0, got ${c.lambda}`);
  return ({ obs, mean, logStd, policy }) => {
    const B = mean.shape[0];
    const query = (groups: Record<string, Float32Array>, n: number) => {
      const d = expert.distribution({ batch: n, groups });
      return { m: tf.tensor2d(d.mean, [n, expert.actionDim]), s: tf.tensor2d(d.std, [n, expert.actionDim]) };
    };
    const raw: Record<string, Float32Array> = {};
    for (const g of expert.view) raw[g] = obs[g].dataSync() as Float32Array;
    const e0 = query(raw, B);
    let total = tf.mean(gaussianCrossEntropyRows(e0.m, e0.s, mean, logStd));
    const M = c.strategy === 'apc' ? c.numAugmented : 0;
    if (M > 0) {
      const pert: Record<string, Float32Array> = {};
      for (const g of expert.view) {
        const x = raw[g];
        const out = new Float32Array(x.length * M);
        for (let j = 0; j < M; j++) for (let k = 0; k < x.length; k++) out[j * x.length + k] = x[k] + c.sigmaS * rng.normal();
        pert[g] = out;
      }
      const e1 = query(pert, B * M);
      const inputs: Record<string, tf.Tensor> = {};
      for (const g of policy.view) inputs[g] = tf.tensor2d(pert[g], [B * M, pert[g].length / (B * M)]);
      const p = policy.apply(inputs);
      // (1/M) sum_j over B*M rows, then mean over B == mean over all B*M rows.
      total = tf.add(total, tf.mean(gaussianCrossEntropyRows(e1.m, e1.s, p.mean, p.logStd)));
    }
    const loss = tf.mul(c.lambda, total) as tf.Scalar;
    return { loss, metrics: { 'loss/kickstart_cross_entropy': total as tf.Scalar } };
  };
}

export interface KickstartCell {
  figure: string;
  task: string;
  /** 'rl' (from scratch), 'bc' (kickstarting), 'apc' (kickstarting + APC). */
  method: 'rl' | 'bc' | 'apc';
  lambda: number;
  seed: number;
  envSteps: number;
  curvePoints: number;
  evalEpisodes: number;
  evalNoise: number;
  numAugmented: number;
  sigmaS: number;
  [key: string]: unknown;
}

const LABELS = { rl: 'RL only', bc: 'Kickstarting', apc: 'Kickstarting + APC' } as const;

/**
 * Run one kickstarting cell: PPO (the task's preset, shortened to envSteps) with the auxiliary loss; one row per
 * evaluation of the training curve (mean action, the trainer's paired evaluation episodes).
 */
export async function runKickstart(cell: KickstartCell): Promise<Record<string, unknown>[]> {
  await initBackend();
  if (!(cell.method in LABELS)) throw new RangeError(`method must be one of ${Object.keys(LABELS).join(', ')}, got '${cell.method}'`);
  const { expert } = await loadTaskExpert(cell.task);
  const expertRet = await expertReturn(cell.task, expert, cell.evalEpisodes, cell.evalNoise);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-kickstart-'));
  try {
    const aux = cell.method === 'rl' ? undefined : kickstartLoss(expert, { lambda: cell.lambda, strategy: cell.method, sigmaS: cell.sigmaS, numAugmented: cell.numAugmented }, new Rng(`kickstart/${cell.seed}`));
    const preset = ppoPreset(cell.task, 'full');
    await trainPPO({
      ...preset, seed: cell.seed, totalSteps: cell.envSteps, evalEvery: Math.max(1, Math.floor(cell.envSteps / cell.curvePoints)),
      evalEpisodes: cell.evalEpisodes, checkpointEvery: 1e9, workers: 0,
      numEnvs: Math.min(preset.numEnvs ?? 16, 16), rolloutLength: Math.min(preset.rolloutLength ?? 128, Math.max(8, Math.floor(cell.envSteps / cell.curvePoints / 16))),
    }, out, { auxLoss: aux });
    const curve = readCurve(path.join(out, 'curve.csv')).filter((r) => r['eval/return'] !== null && r['eval/return'] !== undefined);
    return curve.map((r) => ({
      figure: cell.figure, task: cell.task, method: LABELS[cell.method], x: r['time/env_steps'], seed: cell.seed,
      return: r['eval/return'], expertReturn: expertRet, lambda: cell.lambda,
    }));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
    expert.dispose();
  }
}
