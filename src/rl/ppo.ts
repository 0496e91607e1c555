/**
 * PPO trainer (Schulman et al. 2017) for the RL experts the cloning experiments query (paper section 5), and the
 * RL half of kickstarting (paper section 4.3): an optional auxiliary loss is added to the policy loss.
 * `trainLocked` reads top to bottom like the algorithm: open the run (fresh or resumed), then per iteration collect a
 * rollout, compute GAE targets, update, step the curriculum, evaluate and log, checkpoint. Each step is a named
 * function below it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng, type RngState } from '../util/rng';
import { VecEnv } from '../envs/vec-env';
import { GaussianMLP, DenseStack, saveCheckpoint, loadCheckpoint, initBackend, warmStartFrom, resetActionMeans, setActionStd } from '../policies';
import { RunningNormalizer, type NormalizerState } from '../policies/normalizer';
import { Adam } from './adam';
import { resolvePPOConfig, DEFAULT_PPO, RESUMABLE_OVERRIDES, stageAt, type PPOConfig, type StageSettings } from './config';
import { CurveWriter, type CurveRow } from './curve';
import { evaluatePolicy, type EvaluationResult } from './evaluate';
import { computeGae, clippedSurrogateLoss, valueLoss, normalizeAdvantages, gaussianLogProb, gaussianEntropy, boundsLoss, RewardScaler, type Metrics } from './ppo-losses';
import { writeDirAtomically, checkpointName, pruneCheckpoints, writeFloatArrays, readFloatArrays } from './trainer-state';
import { checkRunTaskOptions, checkFiniteUpdate, checkFiniteWeights, newestIntactCheckpoint, removeStaleTemporaries } from './guards';
import { EpisodeRecorder, type EnvState } from './episode-record';
import { lockRunFolder } from './run-lock';
import { inBlasPhase } from '../policies/native-blas';
import { readJsonFile } from '../util/json';

/** Auxiliary loss added to the PPO loss (kickstarting: lambda * H[pi_E || pi] on the minibatch's states). */
export type AuxLoss = (batch: { obs: Record<string, tf.Tensor>; mean: tf.Tensor2D; logStd: tf.Tensor2D; policy: GaussianMLP }) => { loss: tf.Scalar; metrics: Metrics };

export interface TrainOptions {
  /** Added to the policy loss on every minibatch. Default none. */
  auxLoss?: AuxLoss;
  /** Stop (after writing a checkpoint) once this call has run this many iterations; for tests. Default none. */
  stopAfterIterations?: number;
  /** Install SIGINT/SIGTERM handlers that checkpoint and stop at the end of the iteration. Default false. */
  handleSignals?: boolean;
  /** Where progress lines go. Default: nowhere. */
  log?: (line: string) => void;
  /** Called after every iteration with its curve row (progress bars, tests). */
  onIteration?: (row: CurveRow, config: PPOConfig) => void;
}

export interface TrainResult {
  /** 'done': totalSteps reached; 'stopped': stopAfterIterations or a signal ended the call (resumable). */
  status: 'done' | 'stopped';
  envSteps: number;
  iteration: number;
  resumedFrom: string | null;
  bestEvalReturn: number | null;
  lastEval: EvaluationResult | null;
}

/** Everything besides the policy and the float arrays that a resumable checkpoint holds (trainer.json). */
interface TrainerJson {
  version: 1;
  config: PPOConfig;
  iteration: number;
  envSteps: number;
  wallSeconds: number;
  curveRows: number;
  bestEvalReturn: number | null;
  nextEvalAt: number;
  resumes: number;
  rng: { actions: RngState; minibatches: RngState };
  adamStep: number;
  floatLengths: number[];
  rewardScaler: ReturnType<RewardScaler['getState']> | null;
  /** The adapted learning rate (targetKl); absent in checkpoints written before it existed. */
  adaptiveLr?: number;
  /** The envs' seed and in-flight episodes (episodes.bin); absent in checkpoints written before resume replayed them. */
  envState?: EnvState;
  /** The value net's input statistics when it reads its own view (valueView); absent otherwise. */
  valueNormalizer?: NormalizerState;
}

/** Refuse to resume a checkpoint written by a different command (other than the fields allowed to change). */
function checkSameRun(saved: PPOConfig, now: PPOConfig, where: string): void {
  for (const k of Object.keys(now) as (keyof PPOConfig)[]) {
    if (RESUMABLE_OVERRIDES.includes(k)) continue;
    const before = saved[k];
    if (JSON.stringify(before) !== JSON.stringify(now[k])) {
      throw new Error(
        `cannot resume ${where}: config field '${k}' was ${JSON.stringify(before)} and is now ${JSON.stringify(now[k])}; ` +
          `use the same command (only ${RESUMABLE_OVERRIDES.join(', ')} may change) or a new output folder`,
      );
    }
  }
}

/**
 * Train (or resume) PPO on `config.task`, writing under `outDir`: config.json, curve.csv, checkpoints/ (resumable
 * state), best/ (policy with the best evaluation), milestones/<envSteps>/ (policy at every evaluation, or every `milestoneEvery` env steps).
 */
export async function trainPPO(partial: Partial<PPOConfig> & { task: string }, outDir: string, options: TrainOptions = {}): Promise<TrainResult> {
  // Task options are checked before anything is written; one trainer per run folder (a second one refuses).
  checkRunTaskOptions(resolvePPOConfig(partial));
  fs.mkdirSync(outDir, { recursive: true });
  const runLock = lockRunFolder(outDir);
  try {
    return await trainLocked(partial, outDir, options);
  } finally {
    runLock.release();
  }
}

async function trainLocked(partial: Partial<PPOConfig> & { task: string }, outDir: string, options: TrainOptions): Promise<TrainResult> {
  const config = resolvePPOConfig(partial);
  const log = options.log ?? (() => {});
  await initBackend();
  const run = await openRun(config, outDir, log);
  const { learner, rollout } = run;

  let stopRequested = false;
  const onSignal = (sig: string) => {
    log(`${sig}: checkpointing at the end of this iteration`);
    stopRequested = true;
  };
  if (options.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let itersThisCall = 0;
  let lastCheckpointTime = Date.now();
  try {
    if (!run.resumeFrom) {
      // The untrained policy's evaluation is the curve's first row (the random-policy baseline).
      run.curve.append({ 'time/env_steps': 0, 'time/wall_s': run.wallSeconds(), 'time/iteration': 0, ...(await evaluateAndSnapshot(run)) });
    }
    while (run.envSteps < config.totalSteps) {
      const iterStart = Date.now();
      const { episodeReturns } = await inBlasPhase('act', () => collectRollout(run));
      const collectSeconds = (Date.now() - iterStart) / 1000;
      const { advantages, returns } = computeTargets(run);
      const lr = learningRate(run);
      const { sums, nUpdates } = inBlasPhase('learn', () => ppoUpdate(run, advantages, returns, lr, options.auxLoss));
      // Observation statistics move after the update, so the update saw the statistics the batch was collected with.
      learner.policy.updateNormalizer(rollout.obs);
      if (learner.valueInput) learner.valueInput.normalizer.update(valueRows(learner.valueInput, rollout.obs, rollout.size));
      checkFiniteWeights(`PPO iteration ${run.iteration + 1} (from env step ${run.envSteps})`, learner.vars, [...learner.policy.weightNames(), ...learner.valueNet.variableNames('value')]);
      adaptLearningRate(run, sums, nUpdates);
      run.iteration += 1;
      run.envSteps += rollout.size;
      itersThisCall += 1;
      await curriculumStep(run);

      // ---------------------------------------------------------------- evaluate, log
      const iterSeconds = (Date.now() - iterStart) / 1000;
      const evalRow = run.envSteps >= run.nextEvalAt || run.envSteps >= config.totalSteps ? await evaluateAndSnapshot(run) : {};
      const row: CurveRow = {
        'time/env_steps': run.envSteps,
        'time/wall_s': run.wallSeconds(),
        'time/iteration': run.iteration,
        ...evalRow,
        'train/episode_return': episodeReturns.length > 0 ? episodeReturns.reduce((a, b) => a + b, 0) / episodeReturns.length : null,
        'train/lr': lr,
        'time/fps': rollout.size / iterSeconds,
        'time/collect_s': collectSeconds,
      };
      for (const [k, v] of Object.entries(sums)) row[k] = v / nUpdates;
      run.curve.append(row);
      options.onIteration?.(row, config);

      // ---------------------------------------------------------------- checkpoint
      // Give the event loop a turn (signals are delivered there; an in-thread VecEnv never yields otherwise).
      await new Promise((resolve) => setImmediate(resolve));
      const stopHere = stopRequested || (options.stopAfterIterations !== undefined && itersThisCall >= options.stopAfterIterations);
      if (stopHere || Date.now() - lastCheckpointTime > config.checkpointEvery * 60_000) {
        await saveTrainerCheckpoint(run);
        lastCheckpointTime = Date.now();
      }
      if (stopHere) return result(run, 'stopped');
    }
    await saveTrainerCheckpoint(run);
    return result(run, 'done');
  } finally {
    if (options.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await run.env.close();
    learner.adam.dispose();
    learner.valueNet.dispose();
    learner.policy.dispose();
  }
}

function result(run: Run, status: TrainResult['status']): TrainResult {
  return { status, envSteps: run.envSteps, iteration: run.iteration, resumedFrom: run.resumeFrom, bestEvalReturn: run.bestEvalReturn, lastEval: run.lastEval };
}

// ==================================================================== the run's parts

/** The policy, the value network on the policy's features, Adam over both, and the optional reward scaler. */
interface Learner {
  policy: GaussianMLP;
  /** What the value net reads when it has its own view (config.valueView); null: the policy's normalised state groups. */
  valueInput: ValueInput | null;
  valueNet: DenseStack;
  vars: tf.Variable[];
  adam: Adam;
  rewardScaler: RewardScaler | null;
}

/** The value net's own input (config.valueView): these state groups, concatenated and normalised with their own statistics. */
interface ValueInput {
  groups: string[];
  sizes: number[];
  size: number;
  normalizer: RunningNormalizer;
}

/** One iteration's rollout buffers, time-major (index t * N + i), reused from iteration to iteration. */
interface Rollout {
  /** T * N: the batch of one iteration. */
  size: number;
  obs: Record<string, Float32Array>;
  actions: Float32Array;
  logp: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
  dones: Uint8Array;
  failures: Uint8Array;
  /** V of the state an episode was cut at by its time limit (bootstrapped by GAE). */
  truncationValues: Float32Array;
  /** The action noise of one step, N * A. */
  eps: Float32Array;
}

/** A training run: what is fixed once it is open, and the counters and state (marked mutable) that the loop moves. */
interface Run {
  config: PPOConfig;
  outDir: string;
  ckptRoot: string;
  log: (line: string) => void;
  /** Appends an entry to config-history.jsonl. */
  history: (entry: Record<string, unknown>) => void;
  /** The checkpoint this run resumed from, or null. */
  resumeFrom: string | null;
  resumes: number;
  view: string[];
  /** The groups the rollout stores: the policy's view, then the value view's groups it lacks. */
  stored: string[];
  groupSize: (group: string) => number;
  /** Action dimensions, envs, steps per rollout. */
  A: number;
  N: number;
  T: number;
  learner: Learner;
  rollout: Rollout;
  actRng: Rng;
  mbRng: Rng;
  envSeed: number;
  makeEnv: (stageIndex: number, taskOptions: Record<string, unknown>, restore?: EpisodeRecorder) => Promise<VecEnv>;
  recorder: EpisodeRecorder;
  curve: CurveWriter;
  wallSeconds: () => number;
  // mutable
  env: VecEnv;
  obs: Record<string, Float32Array>;
  stage: StageSettings;
  iteration: number;
  envSteps: number;
  bestEvalReturn: number | null;
  nextEvalAt: number;
  adaptiveLr: number;
  lastEval: EvaluationResult | null;
}

// -------------------------------------------------------------------- setup / resume

/**
 * Open the run in `outDir`: resume from its newest intact checkpoint (refusing another command's), record the
 * config history, and build the envs, the learner and the rollout buffers.
 */
async function openRun(config: PPOConfig, outDir: string, log: (line: string) => void): Promise<Run> {
  const ckptRoot = path.join(outDir, 'checkpoints');
  removeStaleTemporaries([ckptRoot, path.join(outDir, 'milestones'), outDir], log);
  const resumeFrom = await newestIntactCheckpoint(ckptRoot, log);
  const saved: TrainerJson | null = resumeFrom ? readJsonFile<TrainerJson>(path.join(resumeFrom, 'trainer.json'), 'trainer state') : null;
  // A field added after the checkpoint was written holds its default there.
  const savedConfig = saved ? ({ ...DEFAULT_PPO, ...saved.config } as PPOConfig) : null;
  if (savedConfig) checkSameRun(savedConfig, config, resumeFrom!);
  // The run's record of its stages: the first config, then every resumable field a resume changed and every
  // change of the task options in force (a resume with another schedule, or a curriculum stage beginning).
  const history = (entry: Record<string, unknown>) =>
    fs.appendFileSync(path.join(outDir, 'config-history.jsonl'), JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  let evalSettingChanged = false;
  if (saved && savedConfig) {
    for (const k of RESUMABLE_OVERRIDES) {
      if (JSON.stringify(savedConfig[k]) !== JSON.stringify(config[k])) changed[k] = { from: savedConfig[k], to: config[k] };
    }
    const before = stageAt(savedConfig, saved.envSteps);
    const now = stageAt(config, saved.envSteps);
    const inForce: Record<string, { from: unknown; to: unknown }> = {};
    for (const k of ['taskOptions', 'evalTaskOptions', 'boundsLossCoef', 'entCoef'] as const) {
      if (JSON.stringify(before[k]) !== JSON.stringify(now[k])) inForce[k] = { from: before[k], to: now[k] };
    }
    evalSettingChanged = 'evalTaskOptions' in inForce;
    if (Object.keys(changed).length > 0) history({ envSteps: saved.envSteps, event: 'resume', changed, inForce });
  } else {
    history({ envSteps: 0, event: 'start', config });
  }
  fs.writeFileSync(path.join(outDir, 'config.json'), JSON.stringify({ algorithm: 'ppo', ...config }, null, 2) + '\n');

  const rootRng = new Rng(config.seed);
  const initRng = rootRng.child('init');
  const actRng = saved ? Rng.fromState(saved.rng.actions) : rootRng.child('actions');
  const mbRng = saved ? Rng.fromState(saved.rng.minibatches) : rootRng.child('minibatches');
  const resumes = saved ? saved.resumes + 1 : 0;
  // A resumed run replays its in-flight episodes (same env seed): bitwise the run it continues. A checkpoint without
  // them (written before they were stored, or under other task options) starts fresh episodes with a new env seed.
  const stage = stageAt(config, saved ? saved.envSteps : 0);
  const replay = saved?.envState && JSON.stringify(saved.envState.taskOptions) === JSON.stringify(stage.taskOptions) ? saved.envState : null;
  const drawnSeed = rootRng.int32();
  const envSeed = replay ? replay.envSeed : (drawnSeed + 7919 * resumes) >>> 0;
  const makeEnv = (stageIndex: number, taskOptions: Record<string, unknown>, restore?: EpisodeRecorder) =>
    VecEnv.create({ task: config.task, numEnvs: config.numEnvs, workers: config.workers, seed: (envSeed + 104729 * stageIndex) >>> 0, taskOptions, restore: restore?.replay() });
  const restored = replay ? EpisodeRecorder.load(resumeFrom!, replay, config.numEnvs) : null;
  const env = await makeEnv(stage.index, stage.taskOptions, restored ?? undefined);
  const spec = env.spec;
  const view = spec.views[config.view];
  if (!view) throw new RangeError(`task ${spec.name} has no view '${config.view}'; views: ${Object.keys(spec.views).join(', ')}`);
  const valueGroups = config.valueView === null ? [] : spec.views[config.valueView];
  if (!valueGroups) throw new RangeError(`task ${spec.name} has no view '${config.valueView}' (valueView); views: ${Object.keys(spec.views).join(', ')}`);
  const stored = [...view, ...valueGroups.filter((g) => !view.includes(g))];
  const groupShapes: Record<string, number[]> = {};
  const groupKinds: Record<string, 'state' | 'image'> = {};
  for (const g of view) {
    const gs = spec.observationGroups.find((x) => x.name === g)!;
    groupShapes[g] = gs.shape;
    groupKinds[g] = gs.kind;
  }
  const allShapes: Record<string, number[]> = {};
  for (const g of stored) {
    const gs = spec.observationGroups.find((x) => x.name === g)!;
    if (valueGroups.includes(g) && gs.kind !== 'state') throw new RangeError(`valueView '${config.valueView}' has the image group '${g}'; the value net reads state groups only`);
    allShapes[g] = gs.shape;
  }
  const groupSize = (g: string) => allShapes[g].reduce((a, b) => a * b, 1);
  const A = spec.actionDim;
  const N = config.numEnvs;
  const T = config.rolloutLength;
  const recorder = restored ?? new EpisodeRecorder(N, A);

  const valueSizes = valueGroups.map(groupSize);
  const valueShape = valueGroups.length > 0 ? { groups: valueGroups, sizes: valueSizes, size: valueSizes.reduce((a, b) => a + b, 0) } : null;
  const learner = await buildLearner(config, { view, groupShapes, groupKinds, actionDim: A }, valueShape, initRng, resumeFrom, log);
  const counters = { iteration: 0, envSteps: 0, wallOffset: 0, bestEvalReturn: null as number | null, nextEvalAt: 0, adaptiveLr: config.lr };
  if (saved) {
    restoreLearner(learner, resumeFrom!, saved);
    if (learner.valueInput) {
      if (!saved.valueNormalizer) throw new Error(`cannot resume ${resumeFrom}: its trainer.json lacks the value view's normaliser (valueNormalizer)`);
      learner.valueInput.normalizer.setState(saved.valueNormalizer);
    }
    counters.iteration = saved.iteration;
    counters.envSteps = saved.envSteps;
    counters.wallOffset = saved.wallSeconds;
    // A new evaluation setting starts a new 'best': returns measured under different settings do not compare.
    counters.bestEvalReturn = evalSettingChanged ? null : saved.bestEvalReturn;
    counters.nextEvalAt = evalSettingChanged ? counters.envSteps : saved.nextEvalAt;
    for (const [k, c] of Object.entries(changed)) log(`resume changes ${k}: ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`);
    counters.adaptiveLr = saved.adaptiveLr ?? config.lr;
    log(`resumed ${resumeFrom} at iteration ${counters.iteration}, ${counters.envSteps} env steps`);
  }
  const curve = CurveWriter.open(path.join(outDir, 'curve.csv'), [], saved ? saved.curveRows : undefined);
  const startTime = Date.now();
  const { wallOffset, ...state } = counters;
  return {
    config, outDir, ckptRoot, log, history, resumeFrom, resumes, view, stored, groupSize, A, N, T,
    learner, rollout: allocateRollout(stored, groupSize, N, T, A), actRng, mbRng, envSeed, makeEnv, recorder, curve,
    wallSeconds: () => wallOffset + (Date.now() - startTime) / 1000,
    env, obs: restored ? env.observations() : await env.reset(), stage, lastEval: null, ...state,
  };
}

/** A new policy (or the checkpoint's, on a resume; warm-started from `initPolicy` if set), its value net and Adam. */
async function buildLearner(config: PPOConfig, shape: ConstructorParameters<typeof GaussianMLP>[0], valueShape: Omit<ValueInput, 'normalizer'> | null, initRng: Rng, resumeFrom: string | null, log: (line: string) => void): Promise<Learner> {
  let policy = resumeFrom
    ? (await loadCheckpoint(path.join(resumeFrom, 'policy'))).policy
    : new GaussianMLP(
        shape,
        { torso: config.policyTorso, activation: config.activation, minStd: config.minStd, maxStd: config.maxStd, stateDependentStd: false, initStd: config.initStd, normalize: config.normalizeObs },
        initRng,
      );
  if (!resumeFrom && config.initPolicy !== null) {
    const source = (await loadCheckpoint(config.initPolicy)).policy;
    if (readsTheSame(source, shape)) {
      // Fine-tuning: the source reads exactly this view (camera policies included), so it is trained as it is, with
      // its own network settings (torso, activation, state-dependent std, encoder) and normaliser.
      policy.dispose();
      policy = source;
      log(`fine-tuning the policy ${config.initPolicy} as it is (its own settings: ${JSON.stringify(source.config)})`);
    } else {
      warmStartFrom(policy, source);
      source.dispose();
      log(`warm-started the policy from ${config.initPolicy}`);
    }
  }
  const valueInput = valueShape ? { ...valueShape, normalizer: new RunningNormalizer(valueShape.size) } : null;
  const valueNet = new DenseStack(valueInput ? valueInput.size : policy.featureSize, [...config.valueTorso, 1], config.activation, initRng.child('value'));
  const vars = [...policy.trainableVariables(), ...valueNet.trainableVariables()];
  return { policy, valueInput, valueNet, vars, adam: new Adam(vars), rewardScaler: config.scaleRewards ? new RewardScaler(config.numEnvs, config.gamma) : null };
}

/** Whether `p` reads exactly the view, group shapes and kinds, and action size of `shape` (then PPO fine-tunes it as it is). */
function readsTheSame(p: GaussianMLP, shape: ConstructorParameters<typeof GaussianMLP>[0]): boolean {
  return JSON.stringify(p.view) === JSON.stringify(shape.view) && p.actionDim === shape.actionDim &&
    shape.view.every((g) => JSON.stringify(p.spec.groupShapes[g]) === JSON.stringify(shape.groupShapes[g]) && p.spec.groupKinds[g] === shape.groupKinds[g]);
}

/** The value net's weights, Adam's moments and the reward scaler's statistics from a checkpoint's state.bin. */
function restoreLearner(learner: Learner, resumeFrom: string, saved: TrainerJson): void {
  const floats = readFloatArrays(path.join(resumeFrom, 'state.bin'), saved.floatLengths);
  const nv = learner.valueNet.trainableVariables();
  nv.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(floats[i], v.shape))));
  const nm = learner.vars.length;
  learner.adam.setState({ step: saved.adamStep, m: floats.slice(nv.length, nv.length + nm), v: floats.slice(nv.length + nm, nv.length + 2 * nm) });
  if (learner.rewardScaler && saved.rewardScaler) learner.rewardScaler.setState(saved.rewardScaler);
}

function allocateRollout(view: string[], groupSize: (g: string) => number, N: number, T: number, A: number): Rollout {
  const obs: Record<string, Float32Array> = {};
  for (const g of view) obs[g] = new Float32Array(T * N * groupSize(g));
  return {
    size: T * N, obs, actions: new Float32Array(T * N * A), logp: new Float32Array(T * N), values: new Float32Array(T * N),
    rewards: new Float32Array(T * N), dones: new Uint8Array(T * N), failures: new Uint8Array(T * N),
    truncationValues: new Float32Array(T * N), eps: new Float32Array(N * A),
  };
}

/**
 * V(s) for a batch, [B]: from the policy's already-built inputs, or with a value view from `groups` (the raw
 * observation groups of the same B rows). Call inside tf.tidy / tf.variableGrads.
 */
function valueOf(learner: Learner, inputs: Record<string, tf.Tensor>, groups: Record<string, Float32Array>, batch: number): tf.Tensor1D {
  const v = learner.valueInput;
  const x = v ? v.normalizer.normalize(tf.tensor2d(valueRows(v, groups, batch), [batch, v.size])) : learner.policy.features(inputs);
  return tf.squeeze(learner.valueNet.apply(x), [1]) as tf.Tensor1D;
}

/** The value view's groups of `batch` rows side by side, [batch * size]. */
function valueRows(v: Omit<ValueInput, 'normalizer'>, groups: Record<string, Float32Array>, batch: number): Float32Array {
  const out = new Float32Array(batch * v.size);
  v.groups.forEach((g, k) => {
    const x = groups[g];
    if (!x || x.length !== batch * v.sizes[k]) throw new RangeError(`value view group '${g}' has ${x?.length ?? 0} values, expected ${batch} x ${v.sizes[k]}`);
  });
  for (let r = 0; r < batch; r++) {
    let o = r * v.size;
    v.groups.forEach((g, k) => {
      out.set(groups[g].subarray(r * v.sizes[k], (r + 1) * v.sizes[k]), o);
      o += v.sizes[k];
    });
  }
  return out;
}

function pick(run: Run, o: Record<string, Float32Array>): Record<string, Float32Array> {
  return Object.fromEntries(run.view.map((g) => [g, o[g]]));
}

// -------------------------------------------------------------------- collect

/** T steps of the N envs under the current policy (a ~ N(mean, std)), into the rollout buffers. */
async function collectRollout(run: Run): Promise<{ episodeReturns: number[] }> {
  const { config, stored, groupSize, A, N, T, learner, rollout: r } = run;
  const { policy, rewardScaler } = learner;
  const episodeReturns: number[] = [];
  for (let t = 0; t < T; t++) {
    for (const g of stored) r.obs[g].set(run.obs[g], t * N * groupSize(g));
    const inputs = policy.toTensors({ batch: N, groups: pick(run, run.obs) });
    const [meanT, logStdT, valueT] = tf.tidy(() => {
      const { mean, logStd } = policy.apply(inputs);
      return [mean, logStd, valueOf(learner, inputs, run.obs, N)];
    });
    const mean = meanT.dataSync() as Float32Array;
    const logStd = logStdT.dataSync() as Float32Array;
    r.values.set(valueT.dataSync() as Float32Array, t * N);
    tf.dispose([meanT, logStdT, valueT, ...Object.values(inputs)]);
    run.actRng.fillNormal(r.eps);
    for (let i = 0; i < N; i++) {
      let lp = 0;
      for (let j = 0; j < A; j++) {
        const k = i * A + j;
        r.actions[t * N * A + k] = mean[k] + Math.exp(logStd[k]) * r.eps[k];
        lp += -0.5 * r.eps[k] * r.eps[k] - logStd[k] - 0.5 * Math.log(2 * Math.PI);
      }
      r.logp[t * N + i] = lp;
    }
    const step = await run.env.step(r.actions.subarray(t * N * A, (t + 1) * N * A), { resetOnFailure: config.earlyTerminationOnFailure });
    run.recorder.record(r.actions.subarray(t * N * A, (t + 1) * N * A), step.done);
    const reward = rewardScaler ? rewardScaler.scale(step.reward, step.done) : step.reward;
    r.rewards.set(reward, t * N);
    for (let i = 0; i < N; i++) {
      const k = t * N + i;
      r.dones[k] = step.done[i];
      r.failures[k] = step.done[i] && step.failed[i] && config.earlyTerminationOnFailure ? 1 : 0;
      // The VecEnv returns the next episode's first observation after a time limit, not the state the episode
      // was cut at; V(s_t) of the last state stands in for V(s_{t+1}) (one control step apart).
      r.truncationValues[k] = r.values[k];
      if (step.done[i]) episodeReturns.push(step.episodeReturn[i]);
    }
    run.obs = step.obs;
  }
  return { episodeReturns };
}

// -------------------------------------------------------------------- targets

/** GAE(lambda) advantages and returns of the rollout, bootstrapped from V of the state after its last step. */
function computeTargets(run: Run): { advantages: Float32Array; returns: Float32Array } {
  const { config, N, T, learner, rollout: r } = run;
  const lastValues = tf.tidy(() => {
    const inputs = learner.policy.toTensors({ batch: N, groups: pick(run, run.obs) });
    return valueOf(learner, inputs, run.obs, N).dataSync() as Float32Array;
  });
  return computeGae({
    steps: T, numEnvs: N, rewards: r.rewards, values: r.values, dones: r.dones, failures: r.failures, truncationValues: r.truncationValues,
    lastValues, gamma: config.gamma, lambda: config.gaeLambda,
  });
}

// -------------------------------------------------------------------- update

/** This iteration's learning rate: annealed linearly, KL-adapted (targetKl), or fixed. */
function learningRate(run: Run): number {
  const { config } = run;
  return config.annealLr ? config.lr * Math.max(0, 1 - run.envSteps / config.totalSteps) : config.targetKl !== null ? run.adaptiveLr : config.lr;
}

/** Whether this iteration trains the value function only (policy frozen). */
function warmingUp(run: Run): boolean {
  return run.iteration < run.config.valueWarmupIterations;
}

/**
 * `epochs` passes of shuffled minibatches over the rollout: clipped surrogate + entropy bonus + bounds loss (+ the
 * auxiliary loss) for the policy, clipped value loss for V. Returns the metrics summed over the minibatches.
 */
function ppoUpdate(run: Run, advantages: Float32Array, returns: Float32Array, lr: number, auxLoss: AuxLoss | undefined): { sums: Record<string, number>; nUpdates: number } {
  const { config, stored, groupSize, A, learner, rollout: r, stage } = run;
  const { policy, vars, adam } = learner;
  const B = r.size;
  const mbSize = B / config.minibatches;
  const valueOnly = warmingUp(run);
  const order = new Int32Array(B).map((_, k) => k);
  const sums: Record<string, number> = {};
  let nUpdates = 0;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    run.mbRng.shuffle(order);
    for (let m = 0; m < config.minibatches; m++) {
      const rows = order.subarray(m * mbSize, (m + 1) * mbSize);
      const gather = (src: Float32Array, width: number) => {
        const out = new Float32Array(mbSize * width);
        for (let q = 0; q < mbSize; q++) out.set(src.subarray(rows[q] * width, (rows[q] + 1) * width), q * width);
        return out;
      };
      const mbGroups: Record<string, Float32Array> = {};
      for (const g of stored) mbGroups[g] = gather(r.obs[g], groupSize(g));
      const inputs = policy.toTensors({ batch: mbSize, groups: mbGroups });
      const act = tf.tensor2d(gather(r.actions, A), [mbSize, A]);
      const oldLogp = tf.tensor1d(gather(r.logp, 1));
      const advRaw = tf.tensor1d(gather(advantages, 1));
      const ret = tf.tensor1d(gather(returns, 1));
      const oldV = tf.tensor1d(gather(r.values, 1));
      let kept: Metrics = {};
      const { value: total, grads } = tf.variableGrads(() => {
        const { mean, logStd } = policy.apply(inputs);
        const adv = config.normalizeAdvantages ? normalizeAdvantages(advRaw) : advRaw;
        const pg = clippedSurrogateLoss(gaussianLogProb(mean, logStd, act), oldLogp, adv, config.clip);
        const vl = valueLoss(valueOf(learner, inputs, mbGroups, mbSize), ret, oldV, config.valueClip);
        const entropy = tf.mean(gaussianEntropy(logStd)) as tf.Scalar;
        let policyTerms = tf.add(pg.loss, tf.mul(-stage.entCoef, entropy));
        const boundsCoef = stage.boundsLossCoef;
        let bounds: tf.Scalar | null = null;
        if (boundsCoef > 0) {
          bounds = boundsLoss(mean as tf.Tensor2D);
          policyTerms = tf.add(policyTerms, tf.mul(boundsCoef, bounds));
        }
        let loss = (valueOnly ? tf.mul(config.vfCoef, vl.loss) : tf.add(policyTerms, tf.mul(config.vfCoef, vl.loss))) as tf.Scalar;
        kept = { 'loss/policy': pg.loss, 'loss/value': vl.loss, 'loss/entropy': entropy, 'train/std': tf.mean(tf.exp(logStd)) as tf.Scalar, ...pg.metrics };
        if (bounds) kept['loss/bounds'] = bounds;
        if (auxLoss) {
          const aux = auxLoss({ obs: inputs, mean, logStd, policy });
          loss = tf.add(loss, aux.loss) as tf.Scalar;
          kept = { ...kept, 'loss/aux': aux.loss, ...aux.metrics };
        }
        for (const v of Object.values(kept)) if (typeof v !== 'number') tf.keep(v);
        return loss;
      }, vars);
      // Variables outside the loss (the policy's, in a value-only warm-up iteration) get zero gradients.
      const gradList = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
      const gradNorm = adam.apply(gradList, lr, config.maxGradNorm);
      for (const [k, v] of Object.entries(kept)) sums[k] = (sums[k] ?? 0) + (typeof v === 'number' ? v : v.dataSync()[0]);
      sums['loss/grad_norm'] = (sums['loss/grad_norm'] ?? 0) + gradNorm;
      checkFiniteUpdate(`PPO iteration ${run.iteration + 1} (from env step ${run.envSteps}), epoch ${epoch + 1}, minibatch ${m + 1}`, total, kept, gradNorm);
      tf.dispose([total, ...Object.values(grads), ...gradList, ...Object.values(kept).filter((v): v is tf.Scalar => typeof v !== 'number'), ...Object.values(inputs), act, oldLogp, advRaw, ret, oldV]);
      nUpdates += 1;
    }
  }
  return { sums, nUpdates };
}

/** targetKl: the rate falls by 1.5 after an update whose mean approx KL exceeds twice the target, rises below half. */
function adaptLearningRate(run: Run, sums: Record<string, number>, nUpdates: number): void {
  const { config } = run;
  // The KL of a value-only warm-up iteration is ~0 and says nothing about the step size: keep the rate.
  if (config.targetKl === null || warmingUp(run)) return;
  const kl = (sums['loss/approx_kl'] ?? 0) / nUpdates;
  if (kl > 2 * config.targetKl) run.adaptiveLr = Math.max(1e-6, run.adaptiveLr / 1.5);
  else if (kl < config.targetKl / 2) run.adaptiveLr = Math.min(1e-2, run.adaptiveLr * 1.5);
}

// -------------------------------------------------------------------- curriculum

/**
 * Enter the curriculum stage that begins at the current env step, if any: new envs (fresh episodes) for new task
 * options; for a new evaluation setting, an evaluation now and a new 'best'; and the stage's one-off policy edits.
 */
async function curriculumStep(run: Run): Promise<void> {
  const { config, envSteps, stage, log, history } = run;
  const next = stageAt(config, envSteps);
  if (next.index === stage.index) return;
  const newEval = JSON.stringify(next.evalTaskOptions) !== JSON.stringify(stage.evalTaskOptions);
  log(`curriculum stage ${next.index} begins at ${envSteps} env steps: taskOptions ${JSON.stringify(next.taskOptions)}, evalTaskOptions ${JSON.stringify(next.evalTaskOptions)}, boundsLossCoef ${next.boundsLossCoef}, entCoef ${next.entCoef}`);
  history({ envSteps, event: 'stage', stage: next.index, taskOptions: next.taskOptions, evalTaskOptions: next.evalTaskOptions, boundsLossCoef: next.boundsLossCoef, entCoef: next.entCoef });
  if (JSON.stringify(next.taskOptions) !== JSON.stringify(stage.taskOptions)) {
    await run.env.close();
    run.env = await run.makeEnv(next.index, next.taskOptions);
    run.obs = await run.env.reset();
    run.recorder.reset();
  }
  if (newEval) {
    run.bestEvalReturn = null;
    run.nextEvalAt = envSteps;
  }
  // One-off policy edits of a stage entered here (not of one a resume landed in).
  const begun = next.index > stage.index ? config.curriculum[next.index - 1] : undefined;
  const reset = begun?.resetActionMeans;
  if (reset && reset.length > 0) {
    resetActionMeans(run.learner.policy, reset);
    log(`reset the policy mean of action dimension(s) ${reset.join(', ')} to 0`);
    history({ envSteps, event: 'reset-action-means', stage: next.index, dims: reset });
  }
  const std = begun?.resetStd;
  if (std !== undefined) {
    setActionStd(run.learner.policy, std);
    log(`set the policy's action std to ${std}`);
    history({ envSteps, event: 'reset-std', stage: next.index, std });
  }
  run.stage = next;
}

// -------------------------------------------------------------------- evaluate, checkpoint

/** Evaluate with the mean action on the true task; snapshot the policy as a milestone and maybe as best. */
async function evaluateAndSnapshot(run: Run): Promise<CurveRow> {
  const { config, outDir, learner, log } = run;
  const lastEval = await evaluatePolicy(learner.policy, { task: config.task, taskOptions: run.stage.evalTaskOptions ?? {}, episodes: config.evalEpisodes, numEnvs: config.evalEpisodes, mode: 'mean', seed: config.evalSeed, workers: 0 });
  run.lastEval = lastEval;
  const milestones = path.join(outDir, 'milestones');
  const newest = fs.existsSync(milestones) ? Math.max(-Infinity, ...fs.readdirSync(milestones).filter((n) => /^\d+$/.test(n)).map(Number)) : -Infinity;
  if (config.milestoneEvery === 0 || run.envSteps - newest >= config.milestoneEvery) {
    await savePolicySnapshot(run, path.join(milestones, String(run.envSteps).padStart(10, '0')), lastEval);
  }
  if (run.bestEvalReturn === null || lastEval.mean > run.bestEvalReturn) {
    run.bestEvalReturn = lastEval.mean;
    await savePolicySnapshot(run, path.join(outDir, 'best'), lastEval);
  }
  run.nextEvalAt = run.envSteps + config.evalEvery;
  log(`eval at ${run.envSteps} steps: return ${lastEval.mean.toFixed(1)} +- ${lastEval.std.toFixed(1)} (best ${run.bestEvalReturn.toFixed(1)})`);
  return { 'eval/return': lastEval.mean, 'eval/return_std': lastEval.std };
}

function savePolicySnapshot(run: Run, dir: string, evalResult: EvaluationResult): Promise<void> {
  return writeDirAtomically(dir, (tmp) => saveCheckpoint(tmp, run.learner.policy, { task: run.config.task, step: run.envSteps, evalReturn: evalResult.mean, evalReturnStd: evalResult.std, evalEpisodes: evalResult.episodes, evalMode: evalResult.mode }));
}

/** A resumable checkpoint: the policy, state.bin (value net, Adam moments), trainer.json and the in-flight episodes. */
async function saveTrainerCheckpoint(run: Run): Promise<void> {
  const { config, learner } = run;
  const target = path.join(run.ckptRoot, checkpointName(run.iteration));
  await writeDirAtomically(target, async (tmp) => {
    await saveCheckpoint(path.join(tmp, 'policy'), learner.policy, { task: config.task, step: run.envSteps });
    const adamState = learner.adam.getState();
    const floatLengths = writeFloatArrays(path.join(tmp, 'state.bin'), [
      ...learner.valueNet.trainableVariables().map((v) => v.dataSync()),
      ...adamState.m,
      ...adamState.v,
    ]);
    const json: TrainerJson = {
      version: 1, config, iteration: run.iteration, envSteps: run.envSteps, wallSeconds: run.wallSeconds(), curveRows: run.curve.rowCount,
      bestEvalReturn: run.bestEvalReturn, nextEvalAt: run.nextEvalAt, resumes: run.resumes,
      rng: { actions: run.actRng.saveState(), minibatches: run.mbRng.saveState() }, adamStep: adamState.step, floatLengths,
      rewardScaler: learner.rewardScaler ? learner.rewardScaler.getState() : null, adaptiveLr: run.adaptiveLr, envState: run.recorder.save(tmp, run.envSeed, run.stage.taskOptions),
      ...(learner.valueInput ? { valueNormalizer: learner.valueInput.normalizer.getState() } : {}),
    };
    fs.writeFileSync(path.join(tmp, 'trainer.json'), JSON.stringify(json));
  });
  pruneCheckpoints(run.ckptRoot, config.keepCheckpoints);
}
