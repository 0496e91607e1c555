/**
 * Kickstarting with APC (paper section 6.2, eqn 6, Figure 6): the RL objective plus lambda * H[pi_E || pi] on the
 * states the learner visits. With the 'apc' strategy the cross-entropy is also taken at M perturbed copies
 * s + ds of each visited state, with the expert re-queried there (weight 1/M each, as eqn 10); 'bc' uses the
 * visited states only; 'rl' (lambda = 0) is RL from scratch. The RL trainer is src/rl/ppo.ts through its auxLoss hook.
 * The perturbed rows come from the cloning library's batch builder (strategies.ts buildBatch): only the state groups
 * that the learner and the expert both read are perturbed, image groups never.
 *
 * Protocol (Figure 6): the teacher is the task's `half/` checkpoint (about half of the expert's return, as the
 * paper's kickstarting expert); every arm trains on the cell's training task options ({}: the true task, with no
 * curriculum stage and no early termination unless the cell says so) and is evaluated on the true task with the
 * students' protocol (action noise 0.2, 150 paired episodes, seed 12345) at `curvePoints` points after the start;
 * the teacher's return is measured with exactly that protocol.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../envs'; // registers every task
import type { Expert } from '../policies/types';
import { trainPPO, type AuxLoss } from '../rl/ppo';
import { ppoPreset } from '../rl/presets';
import { evaluatePolicy } from '../rl/evaluate';
import { initBackend, loadCheckpoint } from '../policies';
import { Rng } from '../util/rng';
import { EVAL_SEED } from '../util/seeds';
import { resolveCloningConfig } from './config';
import { kickstartLabel as armLabel } from './labels';
import { gaussianCrossEntropy } from '../policies/distributions';
import { buildBatch, type SampleSet } from './strategies';
import { expertReturn, loadTaskExpert } from './experiment';

export interface KickstartLossConfig {
  /** lambda of eqn 6. */
  lambda: number;
  /** 'bc': visited states only; 'apc': plus M perturbed copies with the expert re-queried. */
  strategy: 'bc' | 'apc';
  sigmaS: number;
  numAugmented: number;
}

/** Kickstarting's lambda in Figure 6; the control arm uses twice it. */
export const KICKSTART_LAMBDA = 1;

/**
 * The auxiliary loss lambda * [H(s) + (1/M) sum_j H(s + ds_j)] averaged over the minibatch (eqns 6 and 10). The
 * rows are the batch builder's for the minibatch's visited states (recorded = visited, expert Gaussian queried
 * there): so kickstarting perturbs exactly what offline APC perturbs.
 */
export function kickstartLoss(expert: Expert, c: KickstartLossConfig, rng: Rng): AuxLoss {
  if (!(c.lambda >= 0)) throw new RangeError(`lambda must be >= 0, got ${c.lambda}`);
  if (c.strategy !== 'bc' && c.strategy !== 'apc') throw new RangeError(`kickstarting strategy must be 'bc' or 'apc', got '${String(c.strategy)}'`);
  const config = resolveCloningConfig({ strategy: c.strategy, sigmaS: c.sigmaS, numAugmented: c.strategy === 'apc' ? c.numAugmented : 0, imageShift: 0 });
  return ({ obs, mean, logStd, policy }) => {
    const B = mean.shape[0];
    const missing = expert.view.filter((g) => !policy.view.includes(g));
    if (missing.length > 0) {
      throw new RangeError(`kickstarting needs every group the expert reads in the learner's view; the learner (${policy.view.join(', ')}) lacks ${missing.join(', ')}`);
    }
    const groups: Record<string, Float32Array> = {};
    for (const g of policy.view) groups[g] = obs[g].dataSync() as Float32Array;
    const e0 = expert.distribution({ batch: B, groups: Object.fromEntries(expert.view.map((g) => [g, groups[g]])) });
    const visited: SampleSet = {
      size: B, groups, groupShapes: policy.spec.groupShapes, groupKinds: policy.spec.groupKinds, expertMean: e0.mean, expertStd: e0.std, actionDim: expert.actionDim,
    };
    const idx = Int32Array.from({ length: B }, (_, i) => i);
    const batch = buildBatch(config, visited, idx, policy.view, expert, rng);
    const A = expert.actionDim;
    const target = (from: number, to: number) => ({
      m: tf.tensor2d(batch.targetMean.subarray(from * A, to * A), [to - from, A]),
      s: tf.tensor2d(batch.targetStd.subarray(from * A, to * A), [to - from, A]),
    });
    // Rows 0..B-1 are the visited states as recorded: the PPO forward pass's mean and log-std are the student there.
    const t0 = target(0, B);
    let total = tf.div(tf.sum(gaussianCrossEntropy(t0.m, t0.s, mean, logStd)), batch.normaliser);
    if (batch.rows > B) {
      const n = batch.rows - B;
      const pert: Record<string, Float32Array> = {};
      for (const g of policy.view) {
        const w = batch.groups[g].length / batch.rows;
        pert[g] = batch.groups[g].subarray(B * w);
      }
      const inputs = policy.toTensors({ batch: n, groups: pert });
      const p = policy.apply(inputs);
      const t1 = target(B, batch.rows);
      const w = tf.tensor1d(batch.weights.subarray(B));
      // sum_j (1/M) H over the B*M perturbed rows, over L = B: (1/M) sum_j mean_b H(s_b + ds_bj).
      total = tf.add(total, tf.div(tf.sum(tf.mul(w, gaussianCrossEntropy(t1.m, t1.s, p.mean, p.logStd))), batch.normaliser));
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
  /** Evaluations along the curve, evenly spaced after the start (the untrained policy is not evaluated). */
  curvePoints: number;
  evalEpisodes: number;
  evalNoise: number;
  /** 'noise' (the students' protocol, default) or 'mean'. */
  evalMode?: 'noise' | 'mean';
  /** Task options of every evaluation, the teacher's included. Default {}: the true task. */
  evalTaskOptions?: Record<string, unknown>;
  /** Task options of the training environments, the same for every arm. Default {}: the true task. */
  trainTaskOptions?: Record<string, unknown>;
  /** End training episodes at the task's failure (training only). Default false. */
  earlyTermination?: boolean;
  numAugmented: number;
  sigmaS: number;
  /** The teacher checkpoint. Default 'half'. */
  expertCheckpoint?: string;
  /** Its sha256 when planned; computing refuses other weights. */
  expertSha256?: string;
  [key: string]: unknown;
}

/** The legend label of an arm: 'RL only', 'Kickstarting', 'Kickstarting (2 lambda)', 'Kickstarting + APC'. */
export function kickstartLabel(method: string, lambda: number): string {
  return armLabel(method, lambda / KICKSTART_LAMBDA);
}

/**
 * Run one kickstarting cell: PPO (the task's preset hyperparameters, shortened to envSteps, with the cell's training
 * task options instead of the preset's curriculum) with the auxiliary loss; one row per evaluation of the curve.
 */
export async function runKickstart(cell: KickstartCell): Promise<Record<string, unknown>[]> {
  await initBackend();
  if (!['rl', 'bc', 'apc'].includes(cell.method)) throw new RangeError(`method must be one of rl, bc, apc, got '${cell.method}'`);
  if (cell.method === 'rl' ? cell.lambda !== 0 : !(cell.lambda > 0)) throw new RangeError(`lambda must be 0 for 'rl' and > 0 for 'bc' / 'apc', got ${cell.lambda} for '${cell.method}'`);
  if (!Number.isInteger(cell.curvePoints) || cell.curvePoints <= 0) throw new RangeError(`curvePoints must be a positive integer, got ${cell.curvePoints}`);
  const checkpoint = cell.expertCheckpoint ?? 'half';
  const { expert, sha256 } = await loadTaskExpert(cell.task, checkpoint, cell.expertSha256);
  const evalMode = cell.evalMode ?? 'noise';
  const evalTaskOptions = cell.evalTaskOptions ?? {};
  const protocol = { task: cell.task, episodes: cell.evalEpisodes, mode: evalMode, noiseStd: cell.evalNoise, seed: EVAL_SEED, taskOptions: evalTaskOptions, workers: 0 } as const;
  const expertRet = await expertReturn(expert, { task: cell.task, checkpoint, expertSha256: sha256, episodes: cell.evalEpisodes, noise: cell.evalNoise, mode: evalMode, taskOptions: evalTaskOptions });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-kickstart-'));
  try {
    const aux = cell.method === 'rl' ? undefined : kickstartLoss(expert, { lambda: cell.lambda, strategy: cell.method, sigmaS: cell.sigmaS, numAugmented: cell.numAugmented }, new Rng(`kickstart/${cell.seed}`));
    const preset = ppoPreset(cell.task, 'full');
    const every = Math.max(1, Math.floor(cell.envSteps / cell.curvePoints));
    await trainPPO({
      ...preset, seed: cell.seed, totalSteps: cell.envSteps, evalEvery: every,
      // The trainer's own evaluations only mark the milestones evaluated below: one episode each.
      evalEpisodes: 1, evalTaskOptions: {}, milestoneEvery: 0, checkpointEvery: 1e9, workers: 0,
      taskOptions: cell.trainTaskOptions ?? {}, earlyTerminationOnFailure: cell.earlyTermination ?? false, curriculum: [],
      numEnvs: Math.min(preset.numEnvs ?? 16, 16), rolloutLength: Math.min(preset.rolloutLength ?? 128, Math.max(8, Math.floor(every / 16))),
    }, out, { auxLoss: aux });
    const dir = path.join(out, 'milestones');
    const steps = fs.readdirSync(dir).filter((n) => /^\d+$/.test(n)).map(Number).filter((s) => s > 0).sort((a, b) => a - b);
    const rows: Record<string, unknown>[] = [];
    for (const s of steps) {
      const { policy } = await loadCheckpoint(path.join(dir, String(s).padStart(10, '0')));
      try {
        const ev = await evaluatePolicy(policy, protocol);
        rows.push({
          figure: cell.figure, task: cell.task, method: kickstartLabel(cell.method, cell.lambda), x: s, seed: cell.seed,
          return: ev.mean, returnStd: ev.std, expertReturn: expertRet, expertCheckpoint: checkpoint, lambda: cell.lambda,
        });
      } finally {
        policy.dispose();
      }
    }
    return rows;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
    expert.dispose();
  }
}
