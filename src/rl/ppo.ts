/**
 * PPO trainer (Schulman et al. 2017) for the RL experts the cloning experiments query (paper section 5), and the
 * RL half of kickstarting (paper section 4.3): an optional auxiliary loss is added to the policy loss.
 * The loop reads top to bottom in one function: setup / resume, then per iteration collect, targets, update, log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng, type RngState } from '../util/rng';
import { VecEnv } from './env-adapter';
import { GaussianMLP, DenseStack, saveCheckpoint, loadCheckpoint, initBackend, warmStartFrom, resetActionMeans, setActionStd } from '../policies';
import { Adam } from './adam';
import { resolvePPOConfig, DEFAULT_PPO, RESUMABLE_OVERRIDES, stageAt, type PPOConfig } from './config';
import { CurveWriter, type CurveRow } from './curve';
import { evaluatePolicy, type EvaluationResult } from './evaluate';
import { computeGae, clippedSurrogateLoss, valueLoss, normalizeAdvantages, gaussianLogProb, gaussianEntropy, boundsLoss, RewardScaler, type Metrics } from './ppo-losses';
import { writeDirAtomically, checkpointName, pruneCheckpoints, writeFloatArrays, readFloatArrays } from './trainer-state';
import { checkRunTaskOptions, checkFiniteUpdate, checkFiniteWeights, newestIntactCheckpoint, removeStaleTemporaries } from './guards';
import { EpisodeRecorder, type EnvState } from './episode-record';
import { lockRunFolder } from './run-lock';
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

  // ------------------------------------------------------------------ setup / resume
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
  let stage = stageAt(config, saved ? saved.envSteps : 0);
  const replay = saved?.envState && JSON.stringify(saved.envState.taskOptions) === JSON.stringify(stage.taskOptions) ? saved.envState : null;
  const drawnSeed = rootRng.int32();
  const envSeed = replay ? replay.envSeed : (drawnSeed + 7919 * resumes) >>> 0;
  const makeEnv = (stageIndex: number, taskOptions: Record<string, unknown>, restore?: EpisodeRecorder) =>
    VecEnv.create({ task: config.task, numEnvs: config.numEnvs, workers: config.workers, seed: (envSeed + 104729 * stageIndex) >>> 0, taskOptions, restore: restore?.replay() });
  const restored = replay ? EpisodeRecorder.load(resumeFrom!, replay, config.numEnvs) : null;
  let env = await makeEnv(stage.index, stage.taskOptions, restored ?? undefined);
  const spec = env.spec;
  const view = spec.views[config.view];
  if (!view) throw new RangeError(`task ${spec.name} has no view '${config.view}'; views: ${Object.keys(spec.views).join(', ')}`);
  const groupShapes: Record<string, number[]> = {};
  const groupKinds: Record<string, 'state' | 'image'> = {};
  for (const g of view) {
    const gs = spec.observationGroups.find((x) => x.name === g)!;
    groupShapes[g] = gs.shape;
    groupKinds[g] = gs.kind;
  }
  const groupSize = (g: string) => groupShapes[g].reduce((a, b) => a * b, 1);
  const A = spec.actionDim;
  const N = config.numEnvs;
  const T = config.rolloutLength;
  const recorder = restored ?? new EpisodeRecorder(N, A);

  const policy = saved
    ? (await loadCheckpoint(path.join(resumeFrom!, 'policy'))).policy
    : new GaussianMLP(
        { view, groupShapes, groupKinds, actionDim: A },
        { torso: config.policyTorso, activation: config.activation, minStd: config.minStd, maxStd: config.maxStd, stateDependentStd: false, initStd: config.initStd, normalize: config.normalizeObs },
        initRng,
      );
  if (!saved && config.initPolicy !== null) {
    const source = (await loadCheckpoint(config.initPolicy)).policy;
    warmStartFrom(policy, source);
    source.dispose();
    log(`warm-started the policy from ${config.initPolicy}`);
  }
  const valueNet = new DenseStack(policy.featureSize, [...config.valueTorso, 1], config.activation, initRng.child('value'));
  const vars = [...policy.trainableVariables(), ...valueNet.trainableVariables()];
  const adam = new Adam(vars);
  const rewardScaler = config.scaleRewards ? new RewardScaler(N, config.gamma) : null;

  let iteration = 0;
  let envSteps = 0;
  let wallOffset = 0;
  let bestEvalReturn: number | null = null;
  let nextEvalAt = 0;
  let adaptiveLr = config.lr;
  if (saved) {
    const floats = readFloatArrays(path.join(resumeFrom!, 'state.bin'), saved.floatLengths);
    const nv = valueNet.trainableVariables();
    nv.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(floats[i], v.shape))));
    const nm = vars.length;
    adam.setState({ step: saved.adamStep, m: floats.slice(nv.length, nv.length + nm), v: floats.slice(nv.length + nm, nv.length + 2 * nm) });
    if (rewardScaler && saved.rewardScaler) rewardScaler.setState(saved.rewardScaler);
    iteration = saved.iteration;
    envSteps = saved.envSteps;
    wallOffset = saved.wallSeconds;
    // A new evaluation setting starts a new 'best': returns measured under different settings do not compare.
    bestEvalReturn = evalSettingChanged ? null : saved.bestEvalReturn;
    nextEvalAt = evalSettingChanged ? envSteps : saved.nextEvalAt;
    for (const [k, c] of Object.entries(changed)) log(`resume changes ${k}: ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`);
    adaptiveLr = saved.adaptiveLr ?? config.lr;
    log(`resumed ${resumeFrom} at iteration ${iteration}, ${envSteps} env steps`);
  }
  const curve = CurveWriter.open(path.join(outDir, 'curve.csv'), [], saved ? saved.curveRows : undefined);
  const startTime = Date.now();
  const wallSeconds = () => wallOffset + (Date.now() - startTime) / 1000;

  /** V(s) for a batch of already-built policy inputs, [B]. */
  const valueOf = (inputs: Record<string, tf.Tensor>): tf.Tensor1D => tf.squeeze(valueNet.apply(policy.features(inputs)), [1]) as tf.Tensor1D;

  const saveTrainerCheckpoint = async (): Promise<void> => {
    const target = path.join(ckptRoot, checkpointName(iteration));
    await writeDirAtomically(target, async (tmp) => {
      await saveCheckpoint(path.join(tmp, 'policy'), policy, { task: config.task, step: envSteps });
      const adamState = adam.getState();
      const floatLengths = writeFloatArrays(path.join(tmp, 'state.bin'), [
        ...valueNet.trainableVariables().map((v) => v.dataSync()),
        ...adamState.m,
        ...adamState.v,
      ]);
      const json: TrainerJson = {
        version: 1, config, iteration, envSteps, wallSeconds: wallSeconds(), curveRows: curve.rowCount, bestEvalReturn, nextEvalAt, resumes,
        rng: { actions: actRng.saveState(), minibatches: mbRng.saveState() }, adamStep: adamState.step, floatLengths,
        rewardScaler: rewardScaler ? rewardScaler.getState() : null, adaptiveLr, envState: recorder.save(tmp, envSeed, stage.taskOptions),
      };
      fs.writeFileSync(path.join(tmp, 'trainer.json'), JSON.stringify(json));
    });
    pruneCheckpoints(ckptRoot, config.keepCheckpoints);
  };

  const savePolicySnapshot = (dir: string, evalResult: EvaluationResult) =>
    writeDirAtomically(dir, (tmp) => saveCheckpoint(tmp, policy, { task: config.task, step: envSteps, evalReturn: evalResult.mean, evalReturnStd: evalResult.std, evalEpisodes: evalResult.episodes, evalMode: evalResult.mode }));

  let stopRequested = false;
  const onSignal = (sig: string) => {
    log(`${sig}: checkpointing at the end of this iteration`);
    stopRequested = true;
  };
  if (options.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  // Rollout buffers, time-major (index t * N + i).
  const obsBuf: Record<string, Float32Array> = {};
  for (const g of view) obsBuf[g] = new Float32Array(T * N * groupSize(g));
  const actBuf = new Float32Array(T * N * A);
  const logpBuf = new Float32Array(T * N);
  const valBuf = new Float32Array(T * N);
  const rewBuf = new Float32Array(T * N);
  const doneBuf = new Uint8Array(T * N);
  const failBuf = new Uint8Array(T * N);
  const truncValBuf = new Float32Array(T * N);
  const eps = new Float32Array(N * A);

  let lastEval: EvaluationResult | null = null;
  let itersThisCall = 0;
  let lastCheckpointTime = Date.now();
  let obs = restored ? env.observations() : await env.reset();
  const pick = (o: Record<string, Float32Array>) => Object.fromEntries(view.map((g) => [g, o[g]]));

  /** Evaluate with the mean action on the true task; snapshot the policy as a milestone and maybe as best. */
  const evaluateAndSnapshot = async (): Promise<CurveRow> => {
    lastEval = await evaluatePolicy(policy, { task: config.task, taskOptions: stage.evalTaskOptions ?? {}, episodes: config.evalEpisodes, numEnvs: config.evalEpisodes, mode: 'mean', seed: config.evalSeed, workers: 0 });
    const milestones = path.join(outDir, 'milestones');
    const newest = fs.existsSync(milestones) ? Math.max(-Infinity, ...fs.readdirSync(milestones).filter((n) => /^\d+$/.test(n)).map(Number)) : -Infinity;
    if (config.milestoneEvery === 0 || envSteps - newest >= config.milestoneEvery) {
      await savePolicySnapshot(path.join(milestones, String(envSteps).padStart(10, '0')), lastEval);
    }
    if (bestEvalReturn === null || lastEval.mean > bestEvalReturn) {
      bestEvalReturn = lastEval.mean;
      await savePolicySnapshot(path.join(outDir, 'best'), lastEval);
    }
    nextEvalAt = envSteps + config.evalEvery;
    log(`eval at ${envSteps} steps: return ${lastEval.mean.toFixed(1)} +- ${lastEval.std.toFixed(1)} (best ${bestEvalReturn.toFixed(1)})`);
    return { 'eval/return': lastEval.mean, 'eval/return_std': lastEval.std };
  };

  try {
    if (!saved) {
      // The untrained policy's evaluation is the curve's first row (the random-policy baseline).
      curve.append({ 'time/env_steps': 0, 'time/wall_s': wallSeconds(), 'time/iteration': 0, ...(await evaluateAndSnapshot()) });
    }
    while (envSteps < config.totalSteps) {
      const iterStart = Date.now();

      // ---------------------------------------------------------------- collect
      const episodeReturns: number[] = [];
      for (let t = 0; t < T; t++) {
        for (const g of view) obsBuf[g].set(obs[g], t * N * groupSize(g));
        const inputs = policy.toTensors({ batch: N, groups: pick(obs) });
        const [meanT, logStdT, valueT] = tf.tidy(() => {
          const { mean, logStd } = policy.apply(inputs);
          return [mean, logStd, valueOf(inputs)];
        });
        const mean = meanT.dataSync() as Float32Array;
        const logStd = logStdT.dataSync() as Float32Array;
        valBuf.set(valueT.dataSync() as Float32Array, t * N);
        tf.dispose([meanT, logStdT, valueT, ...Object.values(inputs)]);
        actRng.fillNormal(eps);
        for (let i = 0; i < N; i++) {
          let lp = 0;
          for (let j = 0; j < A; j++) {
            const k = i * A + j;
            actBuf[t * N * A + k] = mean[k] + Math.exp(logStd[k]) * eps[k];
            lp += -0.5 * eps[k] * eps[k] - logStd[k] - 0.5 * Math.log(2 * Math.PI);
          }
          logpBuf[t * N + i] = lp;
        }
        const step = await env.step(actBuf.subarray(t * N * A, (t + 1) * N * A), { resetOnFailure: config.earlyTerminationOnFailure });
        recorder.record(actBuf.subarray(t * N * A, (t + 1) * N * A), step.done);
        const reward = rewardScaler ? rewardScaler.scale(step.reward, step.done) : step.reward;
        rewBuf.set(reward, t * N);
        for (let i = 0; i < N; i++) {
          const k = t * N + i;
          doneBuf[k] = step.done[i];
          failBuf[k] = step.done[i] && step.failed[i] && config.earlyTerminationOnFailure ? 1 : 0;
          // The VecEnv returns the next episode's first observation after a time limit, not the state the episode
          // was cut at; V(s_t) of the last state stands in for V(s_{t+1}) (one control step apart).
          truncValBuf[k] = valBuf[k];
          if (step.done[i]) episodeReturns.push(step.episodeReturn[i]);
        }
        obs = step.obs;
      }
      const collectSeconds = (Date.now() - iterStart) / 1000;

      // ---------------------------------------------------------------- targets
      const lastValues = tf.tidy(() => {
        const inputs = policy.toTensors({ batch: N, groups: pick(obs) });
        return valueOf(inputs).dataSync() as Float32Array;
      });
      const { advantages, returns } = computeGae({
        steps: T, numEnvs: N, rewards: rewBuf, values: valBuf, dones: doneBuf, failures: failBuf, truncationValues: truncValBuf,
        lastValues, gamma: config.gamma, lambda: config.gaeLambda,
      });

      // ---------------------------------------------------------------- update
      const lr = config.annealLr ? config.lr * Math.max(0, 1 - envSteps / config.totalSteps) : config.targetKl !== null ? adaptiveLr : config.lr;
      const B = T * N;
      const mbSize = B / config.minibatches;
      const warmingUp = iteration < config.valueWarmupIterations;
      const order = new Int32Array(B).map((_, k) => k);
      const sums: Record<string, number> = {};
      let nUpdates = 0;
      for (let epoch = 0; epoch < config.epochs; epoch++) {
        mbRng.shuffle(order);
        for (let m = 0; m < config.minibatches; m++) {
          const rows = order.subarray(m * mbSize, (m + 1) * mbSize);
          const gather = (src: Float32Array, width: number) => {
            const out = new Float32Array(mbSize * width);
            for (let r = 0; r < mbSize; r++) out.set(src.subarray(rows[r] * width, (rows[r] + 1) * width), r * width);
            return out;
          };
          const mbGroups: Record<string, Float32Array> = {};
          for (const g of view) mbGroups[g] = gather(obsBuf[g], groupSize(g));
          const inputs = policy.toTensors({ batch: mbSize, groups: mbGroups });
          const act = tf.tensor2d(gather(actBuf, A), [mbSize, A]);
          const oldLogp = tf.tensor1d(gather(logpBuf, 1));
          const advRaw = tf.tensor1d(gather(advantages, 1));
          const ret = tf.tensor1d(gather(returns, 1));
          const oldV = tf.tensor1d(gather(valBuf, 1));
          let kept: Metrics = {};
          const { value: total, grads } = tf.variableGrads(() => {
            const { mean, logStd } = policy.apply(inputs);
            const adv = config.normalizeAdvantages ? normalizeAdvantages(advRaw) : advRaw;
            const pg = clippedSurrogateLoss(gaussianLogProb(mean, logStd, act), oldLogp, adv, config.clip);
            const vl = valueLoss(valueOf(inputs), ret, oldV, config.valueClip);
            const entropy = tf.mean(gaussianEntropy(logStd)) as tf.Scalar;
            let policyTerms = tf.add(pg.loss, tf.mul(-stage.entCoef, entropy));
            const boundsCoef = stage.boundsLossCoef;
            let bounds: tf.Scalar | null = null;
            if (boundsCoef > 0) {
              bounds = boundsLoss(mean as tf.Tensor2D);
              policyTerms = tf.add(policyTerms, tf.mul(boundsCoef, bounds));
            }
            let loss = (warmingUp ? tf.mul(config.vfCoef, vl.loss) : tf.add(policyTerms, tf.mul(config.vfCoef, vl.loss))) as tf.Scalar;
            kept = { 'loss/policy': pg.loss, 'loss/value': vl.loss, 'loss/entropy': entropy, 'train/std': tf.mean(tf.exp(logStd)) as tf.Scalar, ...pg.metrics };
            if (bounds) kept['loss/bounds'] = bounds;
            if (options.auxLoss) {
              const aux = options.auxLoss({ obs: inputs, mean, logStd, policy });
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
          checkFiniteUpdate(`PPO iteration ${iteration + 1} (from env step ${envSteps}), epoch ${epoch + 1}, minibatch ${m + 1}`, total, kept, gradNorm);
          tf.dispose([total, ...Object.values(grads), ...gradList, ...Object.values(kept).filter((v): v is tf.Scalar => typeof v !== 'number'), ...Object.values(inputs), act, oldLogp, advRaw, ret, oldV]);
          nUpdates += 1;
        }
      }
      // Observation statistics move after the update, so the update saw the statistics the batch was collected with.
      policy.updateNormalizer(obsBuf);
      checkFiniteWeights(`PPO iteration ${iteration + 1} (from env step ${envSteps})`, vars, [...policy.weightNames(), ...valueNet.variableNames('value')]);
      // The KL of a value-only warm-up iteration is ~0 and says nothing about the step size: keep the rate.
      if (config.targetKl !== null && !warmingUp) {
        const kl = (sums['loss/approx_kl'] ?? 0) / nUpdates;
        if (kl > 2 * config.targetKl) adaptiveLr = Math.max(1e-6, adaptiveLr / 1.5);
        else if (kl < config.targetKl / 2) adaptiveLr = Math.min(1e-2, adaptiveLr * 1.5);
      }

      // ---------------------------------------------------------------- log
      iteration += 1;
      envSteps += B;
      itersThisCall += 1;
      // A curriculum stage that begins here: new envs (fresh episodes) and, for a new evaluation setting, an
      // evaluation now and a new 'best'.
      const next = stageAt(config, envSteps);
      if (next.index !== stage.index) {
        const newEval = JSON.stringify(next.evalTaskOptions) !== JSON.stringify(stage.evalTaskOptions);
        log(`curriculum stage ${next.index} begins at ${envSteps} env steps: taskOptions ${JSON.stringify(next.taskOptions)}, evalTaskOptions ${JSON.stringify(next.evalTaskOptions)}, boundsLossCoef ${next.boundsLossCoef}, entCoef ${next.entCoef}`);
        history({ envSteps, event: 'stage', stage: next.index, taskOptions: next.taskOptions, evalTaskOptions: next.evalTaskOptions, boundsLossCoef: next.boundsLossCoef, entCoef: next.entCoef });
        if (JSON.stringify(next.taskOptions) !== JSON.stringify(stage.taskOptions)) {
          await env.close();
          env = await makeEnv(next.index, next.taskOptions);
          obs = await env.reset();
          recorder.reset();
        }
        if (newEval) {
          bestEvalReturn = null;
          nextEvalAt = envSteps;
        }
        // One-off policy edits of a stage entered here (not of one a resume landed in).
        const begun = next.index > stage.index ? config.curriculum[next.index - 1] : undefined;
        const reset = begun?.resetActionMeans;
        if (reset && reset.length > 0) {
          resetActionMeans(policy, reset);
          log(`reset the policy mean of action dimension(s) ${reset.join(', ')} to 0`);
          history({ envSteps, event: 'reset-action-means', stage: next.index, dims: reset });
        }
        const std = begun?.resetStd;
        if (std !== undefined) {
          setActionStd(policy, std);
          log(`set the policy's action std to ${std}`);
          history({ envSteps, event: 'reset-std', stage: next.index, std });
        }
        stage = next;
      }
      const iterSeconds = (Date.now() - iterStart) / 1000;
      const evalRow = envSteps >= nextEvalAt || envSteps >= config.totalSteps ? await evaluateAndSnapshot() : {};
      const row: CurveRow = {
        'time/env_steps': envSteps,
        'time/wall_s': wallSeconds(),
        'time/iteration': iteration,
        ...evalRow,
        'train/episode_return': episodeReturns.length > 0 ? episodeReturns.reduce((a, b) => a + b, 0) / episodeReturns.length : null,
        'train/lr': lr,
        'time/fps': B / iterSeconds,
        'time/collect_s': collectSeconds,
      };
      for (const [k, v] of Object.entries(sums)) row[k] = v / nUpdates;
      curve.append(row);
      options.onIteration?.(row, config);

      // Give the event loop a turn (signals are delivered there; an in-thread VecEnv never yields otherwise).
      await new Promise((resolve) => setImmediate(resolve));
      const stopHere = stopRequested || (options.stopAfterIterations !== undefined && itersThisCall >= options.stopAfterIterations);
      if (stopHere || Date.now() - lastCheckpointTime > config.checkpointEvery * 60_000) {
        await saveTrainerCheckpoint();
        lastCheckpointTime = Date.now();
      }
      if (stopHere) {
        return { status: 'stopped', envSteps, iteration, resumedFrom: resumeFrom, bestEvalReturn, lastEval };
      }
    }
    await saveTrainerCheckpoint();
    return { status: 'done', envSteps, iteration, resumedFrom: resumeFrom, bestEvalReturn, lastEval };
  } finally {
    if (options.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await env.close();
    adam.dispose();
    valueNet.dispose();
    policy.dispose();
  }
}
