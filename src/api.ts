/**
 * The documented public API: the few calls a reader makes to clone an expert (paper Algorithm 1) and to run the
 * interactive methods of section 6. Each is a thin, typed wrapper over the library's layers (src/envs,
 * src/policies, src/cloning, src/rl), with every default written down; no algorithm lives here.
 *
 *   make a task          {@link makeTask}, {@link taskNames}
 *   load / query expert  {@link loadExpert}, {@link queryExpert}, {@link rollout}
 *   collect a dataset    {@link collectDataset}
 *   build a batch        {@link buildCloningBatch} (BC / Naive ABC / APC, eqns 3 and 10)
 *   train a student      {@link makeStudent}, {@link trainStudent}, {@link validationNll}
 *   evaluate it          {@link evaluate}
 *   DAgger               {@link runDagger}, {@link BetaMixture}, {@link mixtureActions}, {@link GrowingRelabelBuffer}
 *   kickstarting         {@link runKickstart}, {@link kickstartAuxLoss}
 *   pictures             {@link renderPng}
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { makeTask as makeRegisteredTask, listTasks } from './envs';
import type { Task, TaskOptions } from './envs/types';
import type { Physics } from './physics/mujoco';
import { GaussianMLP, initBackend } from './policies';
import type { GaussianParams } from './policies/types';
import { resolveCloningConfig, type CloningConfig, type Strategy } from './cloning/config';
import { collectDataset as collectExpertDataset, type Dataset } from './cloning/dataset';
import { buildBatch, type SampleSet, type TrainingBatch } from './cloning/strategies';
import { initStudentNormalizer, trainStudent as trainStudentLoop, validationNll as studentValidationNll, type TrainStudentResult } from './cloning/trainer';
import { loadTaskExpert } from './cloning/experiment';
import { runDagger as runDaggerCell } from './cloning/dagger';
import { kickstartLoss, runKickstart as runKickstartCell } from './cloning/kickstart';
import { evaluatePolicy, type EvaluationResult } from './rl/evaluate';
import { renderStatic } from './report/export';
import type { PlotlyFigure } from './report/figure';
import { Rng } from './util/rng';
import { EVAL_SEED } from './util/seeds';

export type { Task, TaskSpec, TaskOptions, ObservationGroupSpec, ObservationGroups, ObservationKind, StepResult } from './envs/types';
export type { Expert, GaussianParams, ObservationBatch } from './policies/types';
export { GaussianMLP, type GaussianMLPConfig, type PolicySpec } from './policies/gaussian-mlp';
export { RunningNormalizer, type NormalizerState, type NormalizerOptions } from './policies/normalizer';
export type { ImageEncoderConfig } from './policies/encoder';
export type { WeightInit } from './policies/mlp';
export { STRATEGIES, LOSSES, DEFAULT_CLONING, resolveCloningConfig, type Strategy, type CloningConfig, type CloningLoss } from './cloning/config';
export type { Dataset } from './cloning/dataset';
export type { SampleSet, TrainingBatch } from './cloning/strategies';
export type { TrainStudentResult } from './cloning/trainer';
export { BetaMixture, mixtureActions, GrowingRelabelBuffer, type RelabelBuffer } from './cloning/dagger';
export type { EvaluationResult } from './rl/evaluate';
export type { PlotlyFigure } from './report/figure';
export { Rng, type RngState } from './util/rng';

// ---------------------------------------------------------------------------------------------------------------
// Tasks

/**
 * Build a registered task by name, e.g. `'cartpole-swingup'` or `'humanoid-run'` (see {@link taskNames}). Loads the
 * MuJoCo WebAssembly module on first use. Options: `episodeLength` (control steps; default the task's dm_control
 * time limit, e.g. 1000 steps of 10 ms on cartpole) and the task's own typed options; an unknown or mistyped option
 * is refused, naming the accepted ones. Close the task with `task.close()` when done.
 */
export function makeTask(name: string, options: TaskOptions = {}): Promise<Task> {
  return makeRegisteredTask(name, options);
}

/** Names of the registered tasks, optionally only those carrying every tag of `tags` (e.g. `['fast']`), sorted. */
export function taskNames(tags: string[] = []): string[] {
  return listTasks(tags).map((e) => e.name).sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Experts

/**
 * Load a committed expert: `data/experts/<task>/<checkpoint>/` (or `$APC_EXPERTS_DIR/<task>/<checkpoint>/`), a
 * Gaussian MLP with its observation normaliser. `checkpoint` is `'expert'` (default; the trained expert) or
 * `'half'` (about half its return: the kickstarting teacher). Starts the tensor backend first (wasm, with native
 * matrix products where the BLAS addon loads). Throws naming the folder when there is no such expert.
 */
export async function loadExpert(task: string, checkpoint = 'expert'): Promise<GaussianMLP> {
  await initBackend();
  return (await loadTaskExpert(task, checkpoint)).expert;
}

/**
 * Query a policy at `batch` states: its Gaussian's mean action and std, each `batch * actionDim` numbers, row-major.
 * `states` holds every observation group the policy reads (`policy.view`), each `batch * groupSize` numbers
 * (e.g. one cartpole state: `{ position: [x, cos, sin], velocity: [xdot, thetadot] }`). Actions lie in [-1, 1]
 * once the task clips them. `batch` default 1.
 */
export function queryExpert(policy: GaussianMLP, states: Record<string, ArrayLike<number>>, batch = 1): GaussianParams {
  const groups: Record<string, Float32Array> = {};
  for (const g of policy.view) {
    if (!states[g]) throw new RangeError(`states lacks group '${g}', which the policy reads (it reads ${policy.view.join(', ')})`);
    groups[g] = Float32Array.from(states[g]);
  }
  return policy.distribution({ batch, groups });
}

/** One body (or geom) position on the plane of motion: world x and z, in metres. */
export interface PlanePoint {
  /** The body's or geom's name in the MuJoCo model. */
  name: string;
  /** World x (m). */
  x: number;
  /** World z (m), up. */
  z: number;
}

/** Where the bodies and their geoms are at one step, projected on the x-z plane (the plane of motion). */
export interface Pose {
  /** Control step (0: the initial state). */
  step: number;
  /** Every body's frame origin (MuJoCo `xpos`), world body excluded. */
  bodies: PlanePoint[];
  /** Every geom's centre (MuJoCo `geom_xpos`) other than the floor and the world's own geoms. */
  geoms: (PlanePoint & { body: string })[];
}

/** One episode of a policy, as recorded by {@link rollout}. */
export interface Trajectory {
  task: string;
  /** Control steps taken. */
  steps: number;
  /** Every observation group at every step before acting, `steps * groupSize` numbers, row-major. */
  observations: Record<string, Float32Array>;
  /** Executed actions (before the task clips them to [-1, 1]), `steps * actionDim`. */
  actions: Float32Array;
  /** Reward of every step, each in [0, 1]. */
  rewards: number[];
  /** Sum of the rewards (the episode return). */
  return: number;
  /** Poses at the initial state and after every step (`steps + 1`), when asked for with `poses: true`. */
  poses?: Pose[];
}

/** Options of {@link rollout}. */
export interface RolloutOptions {
  /** Registered task name. Required. */
  task: string;
  /** Seed of the initial state (and of the action noise). Default 0. */
  seed?: number;
  /** `'mean'`: act with the Gaussian's mean; `'noise'`: mean + N(0, noiseStd^2). Default `'mean'`. */
  mode?: 'mean' | 'noise';
  /** Action noise std in `'noise'` mode. Default 0.2 (paper section 5). */
  noiseStd?: number;
  /** Control steps (default: the task's episode length, e.g. 1000 on cartpole). */
  steps?: number;
  /** Record body and geom positions after every step (for drawing poses). Default false. */
  poses?: boolean;
  /** Task options (see {@link makeTask}). Default {}. */
  taskOptions?: TaskOptions;
}

function namesOf(physics: Physics, objType: 'mjOBJ_BODY' | 'mjOBJ_GEOM', n: number): string[] {
  const mj = physics.mj as any;
  return Array.from({ length: n }, (_, i) => String(mj.mj_id2name(physics.model, mj.mjtObj[objType].value, i) ?? `${objType === 'mjOBJ_BODY' ? 'body' : 'geom'}${i}`));
}

function poseOf(physics: Physics, step: number, bodyNames: string[], geomNames: string[]): Pose {
  const m = physics.model as any;
  const d = physics.data as any;
  const xpos: Float64Array = d.xpos;
  const gxpos: Float64Array = d.geom_xpos;
  const bodies: PlanePoint[] = [];
  for (let b = 1; b < bodyNames.length; b++) bodies.push({ name: bodyNames[b], x: xpos[3 * b], z: xpos[3 * b + 2] });
  const geoms: Pose['geoms'] = [];
  for (let g = 0; g < geomNames.length; g++) {
    const body = m.geom_bodyid[g];
    if (body === 0) continue;
    geoms.push({ name: geomNames[g], body: bodyNames[body], x: gxpos[3 * g], z: gxpos[3 * g + 2] });
  }
  return { step, bodies, geoms };
}

/**
 * Roll out `policy` for one episode of `task` from the initial state drawn by `seed` (two rollouts with the same
 * seed start from the same state), acting with its mean (default) or mean + noise. Returns every observation,
 * action and reward, the return, and, with `poses: true`, where the bodies are at every step.
 */
export async function rollout(policy: GaussianMLP, options: RolloutOptions): Promise<Trajectory> {
  const seed = options.seed ?? 0;
  const mode = options.mode ?? 'mean';
  if (mode !== 'mean' && mode !== 'noise') throw new RangeError(`mode must be 'mean' or 'noise', got '${String(mode)}'`);
  const noiseStd = options.noiseStd ?? 0.2;
  if (!(noiseStd >= 0)) throw new RangeError(`noiseStd must be >= 0, got ${noiseStd}`);
  const task = await makeTask(options.task, options.taskOptions ?? {});
  try {
    const T = options.steps ?? task.spec.episodeLength;
    if (!Number.isInteger(T) || T <= 0) throw new RangeError(`steps must be a positive integer, got ${T}`);
    const A = task.spec.actionDim;
    const physics = (task as { physics?: Physics }).physics;
    if (options.poses && !physics) throw new RangeError(`task ${options.task} exposes no physics; poses cannot be recorded`);
    const bodyNames = options.poses ? namesOf(physics!, 'mjOBJ_BODY', (physics!.model as any).nbody) : [];
    const geomNames = options.poses ? namesOf(physics!, 'mjOBJ_GEOM', (physics!.model as any).ngeom) : [];
    task.reset(new Rng(`${seed}/rollout-start`));
    const noise = new Rng(`${seed}/rollout-noise`);
    const observations: Record<string, Float32Array> = {};
    for (const gs of task.spec.observationGroups) observations[gs.name] = new Float32Array(T * gs.shape.reduce((a, b) => a * b, 1));
    const actions = new Float32Array(T * A);
    const rewards: number[] = [];
    const poses: Pose[] = options.poses ? [poseOf(physics!, 0, bodyNames, geomNames)] : [];
    let steps = 0;
    for (let t = 0; t < T; t++) {
      const obs = task.observe();
      for (const [g, x] of Object.entries(obs)) observations[g]?.set(x, t * x.length);
      const { mean } = policy.distribution({ batch: 1, groups: Object.fromEntries(policy.view.map((g) => [g, obs[g]])) });
      const action = Float32Array.from(mean, (m) => (mode === 'noise' ? m + noiseStd * noise.normal() : m));
      actions.set(action, t * A);
      const r = task.step(action);
      rewards.push(r.reward);
      if (options.poses) poses.push(poseOf(physics!, t + 1, bodyNames, geomNames));
      steps = t + 1;
      if (r.timeLimit) break;
    }
    const trimmed = Object.fromEntries(Object.entries(observations).map(([g, x]) => [g, x.subarray(0, (x.length / T) * steps)]));
    return {
      task: options.task, steps, observations: trimmed, actions: actions.subarray(0, steps * A), rewards,
      return: rewards.reduce((a, b) => a + b, 0), ...(options.poses ? { poses } : {}),
    };
  } finally {
    task.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Datasets

/** Options of {@link collectDataset}. */
export interface DatasetOptions {
  /** Registered task name. Required. */
  task: string;
  /** Trajectories to record (full episodes). Required. */
  trajectories: number;
  /** Seed of the initial states and the action noise. Required: datasets with the same seed are identical. */
  seed: number;
  /** The expert's action noise sigma_E while recording. Default 0.2 (paper section 5). */
  actionNoise?: number;
  /** Control steps per trajectory (default: the task's episode length). */
  episodeLength?: number;
}

/**
 * Record `trajectories` episodes of `expert` acting with its mean plus N(0, actionNoise^2) noise (paper section 5):
 * every observation group at every step (so the expert can be re-queried at perturbed states), the expert's mean and
 * std there, the executed actions, rewards and episode boundaries. Deterministic given the seed. Runs in this thread.
 */
export function collectDataset(expert: GaussianMLP, options: DatasetOptions): Promise<Dataset> {
  return collectExpertDataset(expert, { ...options, workers: 0 });
}

// ---------------------------------------------------------------------------------------------------------------
// Cloning

/** Arguments of {@link buildCloningBatch}. */
export interface CloningBatchArgs {
  /** Recorded states with the expert's Gaussian at each (a {@link Dataset}, or any {@link SampleSet}). */
  data: SampleSet;
  /** Indices of the L recorded rows the batch is built from. */
  rows: ArrayLike<number>;
  /** The expert, re-queried by `'apc'` at the perturbed states; may be null for `'bc'` and `'naive-abc'`. */
  expert: GaussianMLP | null;
  /** Cloning settings (strategy, sigmaS, numAugmented = M, ...); unset fields take {@link DEFAULT_CLONING}'s. */
  config?: Partial<CloningConfig>;
  /** Groups the student reads. Default: the expert's view (or every state group of `data` without an expert). */
  view?: string[];
  /** Seed of the perturbations ds ~ N(0, sigmaS^2). Default 0. The same seed perturbs alike under every strategy. */
  seed?: number;
}

/**
 * The training rows of one cloning update under a strategy (paper Algorithm 1): `'bc'` keeps the L recorded rows
 * with the expert's recorded mean (eqn 3); `'naive-abc'` adds M perturbed copies s + ds of each, labelled with the
 * RECORDED action; `'apc'` adds the same copies labelled with the expert's mean RE-QUERIED at s + ds (eqn 10; L * M
 * queries). Rows: the recorded ones first, then copy j of every row; weights 1 and 1/M; normaliser L.
 */
export function buildCloningBatch(args: CloningBatchArgs): TrainingBatch {
  const config = resolveCloningConfig(args.config ?? {});
  const view = args.view ?? args.expert?.view ?? Object.keys(args.data.groups).filter((g) => args.data.groupKinds[g] === 'state');
  return buildBatch(config, args.data, args.rows, view, args.expert, new Rng(args.seed ?? 0));
}

/** Options of {@link makeStudent}. */
export interface StudentOptions {
  /** Hidden layer sizes. Default: the expert's torso (compression uses smaller ones, Figure 3). */
  torso?: number[];
  /** Initial action std. Default 0.2. */
  initStd?: number;
  /** Seed of the initial weights. Default 0. */
  seed?: number;
}

/**
 * A fresh student for `expert`: a Gaussian MLP reading the expert's view, with state-dependent std, whose
 * observation normaliser starts as the expert's (it has seen far more states than a few trajectories; groups the
 * expert does not read are estimated from `data`).
 */
export function makeStudent(expert: GaussianMLP, data: SampleSet, options: StudentOptions = {}): GaussianMLP {
  const view = [...expert.view];
  const spec = { view, groupShapes: Object.fromEntries(view.map((g) => [g, data.groupShapes[g]])), groupKinds: Object.fromEntries(view.map((g) => [g, data.groupKinds[g]])), actionDim: data.actionDim };
  const student = new GaussianMLP(spec, { torso: options.torso ?? expert.config.torso, initStd: options.initStd ?? 0.2 }, new Rng(`student/${options.seed ?? 0}`));
  initStudentNormalizer(student, expert, data);
  return student;
}

/** Arguments of {@link trainStudent}. */
export interface TrainArgs {
  /** The student; trained in place (it keeps the best-validation weights). */
  student: GaussianMLP;
  /** Re-queried by `'apc'`; may be null for `'bc'` and `'naive-abc'`. */
  expert: GaussianMLP | null;
  /** Training states (a dataset). */
  train: SampleSet;
  /** Validation states for early stopping and model selection; null (default): keep the last weights. */
  validation?: SampleSet | null;
  /**
   * Cloning settings; unset fields take {@link DEFAULT_CLONING}'s (strategy 'apc', sigmaS 0.1, M 16, L 256, Adam
   * 3e-4, K 5000 updates, NLL loss, validation every 250 updates, patience 8).
   */
  config?: Partial<CloningConfig>;
  /** Seed of the sampled rows and the perturbations. Default 0. */
  seed?: number;
  /** Called after every validation with the update number and the validation NLL (nats per state). */
  onValidate?: (update: number, validationNll: number) => void;
}

/**
 * Train `student` by the strategy's batches with Adam on the weighted NLL (or cross-entropy), validating every
 * `validateEvery` updates and keeping the weights with the best validation NLL (early stopping, as in the paper).
 * Returns the updates run, the best update and NLL, the validation history and the expert queries made.
 */
export function trainStudent(args: TrainArgs): TrainStudentResult {
  return trainStudentLoop({
    student: args.student, expert: args.expert, train: args.train, validation: args.validation ?? null,
    config: resolveCloningConfig(args.config ?? {}), rng: new Rng(args.seed ?? 0), onValidate: args.onValidate,
  });
}

/** Mean NLL of the expert's mean actions under `student` on `data` (the paper's validation metric), in nats per state. */
export function validationNll(student: GaussianMLP, data: SampleSet): number {
  return studentValidationNll(student, data);
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

/** Options of {@link evaluate}. */
export interface EvaluateArgs {
  /** Registered task name. Required. */
  task: string;
  /** Episodes (full length, the true task). Default 150 (paper section 5). */
  episodes?: number;
  /** `'noise'`: mean + N(0, noiseStd^2), the students' protocol; `'mean'`: the mean action. Default `'noise'`. */
  mode?: 'mean' | 'noise';
  /** Action noise std in `'noise'` mode. Default 0.2 (paper section 5). */
  noiseStd?: number;
  /** Seed of the initial states and noise; policies evaluated with one seed meet the same episodes. Default 12345. */
  seed?: number;
  /** Worker threads stepping the environments (0: this thread). Default 0. */
  workers?: number;
  /** Task options (tests only). Default {}. */
  taskOptions?: TaskOptions;
}

/**
 * Evaluate a policy on the true task: mean, std and standard error of the episode return over `episodes` seeded
 * episodes (and the task's episode metric, where it declares one).
 */
export function evaluate(policy: GaussianMLP, options: EvaluateArgs): Promise<EvaluationResult> {
  return evaluatePolicy(policy, {
    task: options.task, episodes: options.episodes ?? 150, mode: options.mode ?? 'noise', noiseStd: options.noiseStd ?? 0.2,
    seed: options.seed ?? EVAL_SEED, workers: options.workers ?? 0, taskOptions: options.taskOptions ?? {},
  });
}

// ---------------------------------------------------------------------------------------------------------------
// DAgger and kickstarting (paper section 6)

/** Options of {@link runDagger}. */
export interface DaggerOptions {
  /** Task whose committed expert (`data/experts/<task>/expert`) labels the visited states. Required. */
  task: string;
  /** `'bc'`: plain DAgger; `'apc'`: DAgger + APC on perturbed relabelled states. Default `'apc'`. */
  strategy?: Strategy;
  /** The expert's share of acting, in [0, 1] (the paper's Figure 5: 0 and 0.3). Default 0. */
  beta?: number;
  /** Seed of the run. Default 0. */
  seed?: number;
  /** Environment steps of the whole run. Required. */
  envSteps: number;
  /** Rounds of (act, relabel, train, evaluate). Default 5. */
  rounds?: number;
  /** Cloning updates (cross-entropy) per round. Default 500. */
  updatesPerRound?: number;
  /** Episodes of each round's evaluation (noise 0.2). Default 50. */
  evalEpisodes?: number;
  /** sigma_s of the perturbations. Default 0.1. */
  sigmaS?: number;
  /** M, perturbed copies per state. Default 2. */
  numAugmented?: number;
  /** L, states per update. Default 256. */
  batchSize?: number;
  /** Parallel acting environments. Default 8. */
  numEnvs?: number;
}

/** One round of DAgger. */
export interface DaggerRound {
  /** Environment steps so far. */
  envSteps: number;
  /** Mean evaluation return of the student after the round. */
  return: number;
  /** Its std over episodes. */
  returnStd: number;
  /** The expert's return under the same protocol. */
  expertReturn: number;
  /** Share of the steps so far on which the expert acted. */
  expertShare: number;
}

/**
 * DAgger (paper section 6.1, eqn 5): act with the beta-mixture of expert and student, relabel every visited state
 * with the expert's Gaussian, train the student on the growing buffer with the cross-entropy H[pi_E || pi] (with
 * APC also on perturbed copies), evaluate; one {@link DaggerRound} per round.
 */
export async function runDagger(options: DaggerOptions): Promise<DaggerRound[]> {
  const rows = await runDaggerCell({
    figure: 'api', task: options.task, method: options.strategy ?? 'apc', beta: options.beta ?? 0, seed: options.seed ?? 0,
    envSteps: options.envSteps, curvePoints: options.rounds ?? 5, evalEpisodes: options.evalEpisodes ?? 50, evalNoise: 0.2,
    numAugmented: options.numAugmented ?? 2, sigmaS: options.sigmaS ?? 0.1, batchSize: options.batchSize ?? 256,
    updatesPerRound: options.updatesPerRound ?? 500, numEnvs: options.numEnvs ?? 8,
  });
  return rows.map((r) => ({ envSteps: r.x as number, return: r.return as number, returnStd: r.returnStd as number, expertReturn: r.expertReturn as number, expertShare: r.expertShare as number }));
}

/** Settings of the kickstarting loss (eqn 6, with APC's perturbed copies as eqn 10). */
export interface KickstartSettings {
  /** lambda, the weight of the cloning term. Default 1 (Figure 6). */
  lambda?: number;
  /** `'bc'`: visited states only; `'apc'`: plus M perturbed copies with the teacher re-queried. Default `'apc'`. */
  strategy?: 'bc' | 'apc';
  /** sigma_s of the perturbations. Default 0.1. */
  sigmaS?: number;
  /** M, perturbed copies per visited state. Default 2. */
  numAugmented?: number;
  /** Seed of the perturbations. Default 0. */
  seed?: number;
}

/**
 * Kickstarting's auxiliary loss on one minibatch of visited states, as PPO adds it to its loss: lambda *
 * [H(s) + (1/M) sum_j H(s + ds_j)] averaged over the states, H the closed-form cross-entropy H[pi_teacher || pi]
 * (nats). `states` holds every group the learner reads, `batch * groupSize` numbers each. Returns the loss and the
 * cross-entropy term before lambda.
 */
export function kickstartAuxLoss(teacher: GaussianMLP, learner: GaussianMLP, states: Record<string, ArrayLike<number>>, batch: number, settings: KickstartSettings = {}): { loss: number; crossEntropy: number } {
  const aux = kickstartLoss(teacher, {
    lambda: settings.lambda ?? 1, strategy: settings.strategy ?? 'apc', sigmaS: settings.sigmaS ?? 0.1, numAugmented: settings.numAugmented ?? 2,
  }, new Rng(settings.seed ?? 0));
  const groups = Object.fromEntries(learner.view.map((g) => {
    if (!states[g]) throw new RangeError(`states lacks group '${g}', which the learner reads (it reads ${learner.view.join(', ')})`);
    return [g, Float32Array.from(states[g])];
  }));
  const inputs = learner.toTensors({ batch, groups });
  try {
    return tf.tidy(() => {
      const { mean, logStd } = learner.apply(inputs);
      const out = aux({ obs: inputs, mean, logStd, policy: learner });
      const ce = out.metrics['loss/kickstart_cross_entropy'];
      return { loss: out.loss.dataSync()[0], crossEntropy: typeof ce === 'number' ? ce : ce.dataSync()[0] };
    });
  } finally {
    tf.dispose(Object.values(inputs));
  }
}

/** Options of {@link runKickstart}. */
export interface KickstartOptions extends Omit<KickstartSettings, 'strategy' | 'seed'> {
  /** Task whose `half` checkpoint is the teacher and whose PPO preset trains the learner. Required. */
  task: string;
  /** `'rl'`: PPO alone (lambda 0); `'bc'`: kickstarting; `'apc'`: kickstarting + APC. Default `'apc'`. */
  method?: 'rl' | 'bc' | 'apc';
  /** Seed of the run. Default 0. */
  seed?: number;
  /** Environment steps of PPO. Required. */
  envSteps: number;
  /** Evaluations along the curve, evenly spaced after the start. Default 5. */
  curvePoints?: number;
  /** Episodes per evaluation (noise 0.2). Default 50. */
  evalEpisodes?: number;
}

/** One point of a kickstarting curve. */
export interface KickstartPoint {
  /** Environment steps of PPO so far. */
  envSteps: number;
  /** Mean evaluation return. */
  return: number;
  /** Its std over episodes. */
  returnStd: number;
  /** The teacher's return under the same protocol. */
  expertReturn: number;
}

/**
 * Kickstarting (paper section 6.2, eqn 6): PPO from scratch with the auxiliary loss of {@link kickstartAuxLoss}
 * towards the task's half-trained teacher, evaluated at `curvePoints` points; one {@link KickstartPoint} each.
 */
export async function runKickstart(options: KickstartOptions): Promise<KickstartPoint[]> {
  const method = options.method ?? 'apc';
  const rows = await runKickstartCell({
    figure: 'api', task: options.task, method, lambda: method === 'rl' ? 0 : options.lambda ?? 1, seed: options.seed ?? 0,
    envSteps: options.envSteps, curvePoints: options.curvePoints ?? 5, evalEpisodes: options.evalEpisodes ?? 50, evalNoise: 0.2,
    numAugmented: options.numAugmented ?? 2, sigmaS: options.sigmaS ?? 0.1,
  });
  return rows.map((r) => ({ envSteps: r.x as number, return: r.return as number, returnStd: r.returnStd as number, expertReturn: r.expertReturn as number }));
}

// ---------------------------------------------------------------------------------------------------------------
// Pictures

/**
 * Render a Plotly figure (`{ data, layout }`, plain JSON) to PNG bytes in headless Chromium (Debian's `chromium`, or
 * `$APC_CHROMIUM`), at `scale` times the layout's pixel size (default 2; layout default 800 x 500). In a tslab
 * notebook, `tslab.display.png(renderPng(figure))` stores the picture in the notebook as image/png.
 */
export function renderPng(figure: PlotlyFigure, scale = 2): Uint8Array {
  return renderStatic(figure, scale).png;
}
