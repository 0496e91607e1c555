/**
 * PPO run configuration: plain typed data with a documented default on every field (STYLE habit 2).
 * The fully resolved config is written next to every run's results (outDir/config.json).
 */
import { EVAL_SEED } from '../util/seeds';

/** One stage of PPOConfig.curriculum. */
export interface CurriculumStage {
  /** Env step from which the stage applies (> 0, increasing across stages). */
  fromSteps: number;
  /** Training task options from then on (replacing the previous ones); absent = unchanged. */
  taskOptions?: Record<string, unknown>;
  /** Evaluation task options from then on; absent = unchanged. */
  evalTaskOptions?: Record<string, unknown>;
  /** `boundsLossCoef` from then on; absent = unchanged. */
  boundsLossCoef?: number;
  /** `entCoef` (the entropy bonus's weight) from then on; absent = unchanged. */
  entCoef?: number;
  /**
   * Action dimensions whose policy mean is reset to 0 when the stage begins during training (`resetActionMeans`),
   * once. A resume that lands inside the stage does not reset them again.
   */
  resetActionMeans?: number[];
  /**
   * Action std (every dimension) the policy is set to when the stage begins during training (`setActionStd`),
   * once, like resetActionMeans; strictly between minStd and maxStd.
   */
  resetStd?: number;
}

function checkCurriculum(stages: unknown, minStd: number, maxStd: number): void {
  if (!Array.isArray(stages)) throw new RangeError(`PPO config curriculum must be a list of stages, got ${JSON.stringify(stages)}`);
  let last = 0;
  stages.forEach((st, i) => {
    if (!st || typeof st !== 'object') throw new RangeError(`PPO config curriculum[${i}] must be an object`);
    const unknown = Object.keys(st).filter((k) => !['fromSteps', 'taskOptions', 'evalTaskOptions', 'boundsLossCoef', 'entCoef', 'resetActionMeans', 'resetStd'].includes(k));
    if (unknown.length) throw new RangeError(`PPO config curriculum[${i}] has unknown field(s) ${unknown.join(', ')}; accepted: fromSteps, taskOptions, evalTaskOptions, boundsLossCoef, entCoef, resetActionMeans, resetStd`);
    const sd = (st as CurriculumStage).resetStd;
    if (sd !== undefined && !(typeof sd === 'number' && sd > minStd && sd < maxStd)) throw new RangeError(`PPO config curriculum[${i}].resetStd must be a number strictly between minStd (${minStd}) and maxStd (${maxStd}), got ${JSON.stringify(sd)}`);
    const r = (st as CurriculumStage).resetActionMeans;
    if (r !== undefined && !(Array.isArray(r) && r.every((d) => Number.isInteger(d) && d >= 0))) throw new RangeError(`PPO config curriculum[${i}].resetActionMeans must be a list of action indices (integers >= 0), got ${JSON.stringify(r)}`);
    const b = (st as CurriculumStage).boundsLossCoef;
    if (b !== undefined && !(typeof b === 'number' && b >= 0 && Number.isFinite(b))) throw new RangeError(`PPO config curriculum[${i}].boundsLossCoef must be a finite number >= 0, got ${b}`);
    const e = (st as CurriculumStage).entCoef;
    if (e !== undefined && !(typeof e === 'number' && e >= 0 && Number.isFinite(e))) throw new RangeError(`PPO config curriculum[${i}].entCoef must be a finite number >= 0, got ${e}`);
    const from = (st as CurriculumStage).fromSteps;
    if (!Number.isInteger(from) || from <= last) throw new RangeError(`PPO config curriculum[${i}].fromSteps must be an integer above ${last} (stages in increasing order), got ${from}`);
    last = from;
  });
}

/** What a curriculum stage sets: the task options and the bounds-loss and entropy coefficients in force. */
export interface StageSettings { index: number; taskOptions: Record<string, unknown>; evalTaskOptions: Record<string, unknown>; boundsLossCoef: number; entCoef: number }

/** The settings in force at `envSteps`: stage 0 from the config, then every stage that has begun. */
export function stageAt(config: Pick<PPOConfig, 'taskOptions' | 'evalTaskOptions' | 'curriculum'> & { boundsLossCoef?: number; entCoef?: number }, envSteps: number): StageSettings {
  let out: StageSettings = { index: 0, taskOptions: config.taskOptions, evalTaskOptions: config.evalTaskOptions, boundsLossCoef: config.boundsLossCoef ?? 0, entCoef: config.entCoef ?? 0 };
  (config.curriculum ?? []).forEach((st, i) => {
    if (st.fromSteps <= envSteps) {
      out = {
        index: i + 1, taskOptions: st.taskOptions ?? out.taskOptions, evalTaskOptions: st.evalTaskOptions ?? out.evalTaskOptions,
        boundsLossCoef: st.boundsLossCoef ?? out.boundsLossCoef, entCoef: st.entCoef ?? out.entCoef,
      };
    }
  });
  return out;
}

export interface PPOConfig {
  /** Registered task name (e.g. 'cartpole-swingup'). No default: required. */
  task: string;
  /** Observation view of the policy (a key of the task's `views`). Default 'default'. */
  view: string;
  /**
   * A view (key of the task's `views`, state groups only) that the value net reads instead of the policy's state
   * groups, with its own normaliser: an asymmetric critic, e.g. the privileged wall features for a camera policy,
   * whose value would otherwise be blind to what ends its episodes. The policy is unchanged. Default null.
   */
  valueView: string | null;
  /** Master seed; every random stream (init, env seeds, action noise, minibatches) derives from it. Default 0. */
  seed: number;
  /** Total environment steps (summed over envs) to train for. Default 1_000_000. */
  totalSteps: number;

  // ---- collection
  /** Parallel environments. Default 32. */
  numEnvs: number;
  /** Worker threads that step the envs (0 = this thread). Default 2. */
  workers: number;
  /** Steps per env per iteration; the batch is numEnvs * rolloutLength. Default 128. */
  rolloutLength: number;
  /**
   * End a training episode when the task reports `failed()` (e.g. the humanoid fell) and treat it as terminal.
   * Training only: evaluation always runs the true task. Default false.
   */
  earlyTerminationOnFailure: boolean;
  /** Optional task options for training envs (e.g. a shorter episode length in tests). Default {}. */
  taskOptions: Record<string, unknown>;
  /**
   * Task options of the evaluations written to the curve (which also pick `best/`). Default {}: the true task.
   * A training curriculum may evaluate from its own start states here (humanoid: the upright keyframe); the
   * expert's reported return always comes from the true task (cli/export-expert).
   */
  evalTaskOptions: Record<string, unknown>;

  // ---- targets
  /** Discount. Default 0.99 (0.97 advised for humanoid-run by ManiSkill's PPO port of dm_control). */
  gamma: number;
  /** GAE lambda. Default 0.95. */
  gaeLambda: number;
  /** Divide rewards by a running std of the discounted return. Default true. */
  scaleRewards: boolean;

  // ---- update
  /** Passes over each batch. Default 10. */
  epochs: number;
  /** Minibatches per epoch. Default 8. */
  minibatches: number;
  /** Adam learning rate. Default 3e-4. */
  lr: number;
  /** Anneal the learning rate linearly to 0 over totalSteps. Default false. */
  annealLr: boolean;
  /**
   * Adaptive learning rate (as rl_games' PPO for IsaacGym humanoids): after each iteration the rate is divided by
   * 1.5 when the iteration's mean approximate KL exceeded 2 x targetKl and multiplied by 1.5 when it stayed below
   * targetKl / 2, within [1e-6, 1e-2]. null: off. Default null. Exclusive with annealLr.
   */
  targetKl: number | null;
  /** PPO ratio clip epsilon. Default 0.2. */
  clip: number;
  /** Clip the value update to +-this around the old value (PPO2 style); null = no clipping. Default null. */
  valueClip: number | null;
  /** Entropy bonus coefficient. Default 0. */
  entCoef: number;
  /**
   * Weight of a penalty on policy means outside the action range: boundsLossCoef x the batch mean of
   * sum_j relu(|mu_j| - 1)^2 (rl_games' bounds loss, soft bound 1). Actions are clipped to [-1, 1], so a mean far
   * beyond a bound gets no policy gradient from its noise and cannot come back. Default 0 (off).
   */
  boundsLossCoef: number;
  /** Value loss coefficient. Default 0.5. */
  vfCoef: number;
  /** Global gradient-norm clip. Default 0.5. */
  maxGradNorm: number;
  /** Normalise advantages per minibatch. Default true. */
  normalizeAdvantages: boolean;

  // ---- networks
  /** Policy torso layer sizes. Default [256, 256]. */
  policyTorso: number[];
  /** Value torso layer sizes. Default [256, 256]. */
  valueTorso: number[];
  /** Hidden activation for both networks. Default 'tanh'. */
  activation: 'elu' | 'relu' | 'tanh';
  /** Initial action std of the state-independent log-std. Default 0.5. */
  initStd: number;
  /** Std range of the policy (std = minStd + (maxStd - minStd) * sigmoid(raw)). Defaults 0.01 and 1.0. */
  minStd: number;
  maxStd: number;
  /** Running mean/std observation normalisation (stored in checkpoints). Default true. */
  normalizeObs: boolean;
  /**
   * Policy checkpoint folder to start a new run from. A policy that reads exactly this view (camera groups
   * included) is fine-tuned as it is, with its own network settings; otherwise it warm-starts a new policy
   * (policies/warm-start.ts: same torso, the source's state groups a subset of this view's; new groups start
   * ignored). Used only when the run starts; null = a fresh policy. Default null.
   */
  initPolicy: string | null;
  /**
   * PPO iterations at the start of a run that train only the value function (the policy loss is left out), so a
   * warm-started policy is not updated by a fresh value function's advantages. Default 0.
   */
  valueWarmupIterations: number;
  /**
   * Training curriculum: later stages, each replacing taskOptions and/or evalTaskOptions from `fromSteps` env steps
   * on (stage 0 is taskOptions / evalTaskOptions). A run switches stage between iterations (new envs; a new
   * evaluation setting evaluates at once and starts a new 'best'), so one command replays the whole schedule from
   * scratch, and a resume lands in the stage of its step. Default [].
   */
  curriculum: CurriculumStage[];

  // ---- evaluation, checkpoints, logging
  /** Evaluate (mean action, true task) every this many env steps. Default 100_000. */
  evalEvery: number;
  /**
   * Keep a milestone policy (milestones/<envSteps>/) at an evaluation only when the newest one is at least this
   * many env steps older; 0 (default) keeps one at every evaluation. Long runs commit their milestones, and a
   * coarser spacing keeps the repository small.
   */
  milestoneEvery: number;
  /** Episodes per training-time evaluation. Default 10. */
  evalEpisodes: number;
  /** Seed of the evaluation episodes (the same for every evaluation, so evaluations are paired). Default EVAL_SEED (12345). */
  evalSeed: number;
  /** Minutes between resumable checkpoints. Default 5. */
  checkpointEvery: number;
  /**
   * Resumable checkpoints kept (oldest deleted). Default 3: the newest and two older ones, so that a damaged newest
   * checkpoint falls back to an intact one.
   */
  keepCheckpoints: number;
}

export const DEFAULT_PPO: Omit<PPOConfig, 'task'> = {
  view: 'default',
  valueView: null,
  seed: 0,
  totalSteps: 1_000_000,
  numEnvs: 32,
  workers: 2,
  rolloutLength: 128,
  earlyTerminationOnFailure: false,
  taskOptions: {},
  evalTaskOptions: {},
  gamma: 0.99,
  gaeLambda: 0.95,
  scaleRewards: true,
  epochs: 10,
  minibatches: 8,
  lr: 3e-4,
  annealLr: false,
  targetKl: null,
  clip: 0.2,
  valueClip: null,
  entCoef: 0,
  boundsLossCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  normalizeAdvantages: true,
  policyTorso: [256, 256],
  valueTorso: [256, 256],
  activation: 'tanh',
  initStd: 0.5,
  minStd: 0.01,
  maxStd: 1.0,
  normalizeObs: true,
  initPolicy: null,
  valueWarmupIterations: 0,
  curriculum: [],
  evalEvery: 100_000,
  milestoneEvery: 0,
  evalEpisodes: 10,
  evalSeed: EVAL_SEED,
  checkpointEvery: 5,
  keepCheckpoints: 3,
};

/** Fill defaults and check every field; errors name the field and the accepted values. */
export function resolvePPOConfig(partial: Partial<PPOConfig> & { task: string }): PPOConfig {
  const unknown = Object.keys(partial).filter((k) => k !== 'task' && !(k in DEFAULT_PPO));
  if (unknown.length > 0) {
    throw new RangeError(`unknown PPO config field(s): ${unknown.join(', ')}; accepted: task, ${Object.keys(DEFAULT_PPO).join(', ')}`);
  }
  const c: PPOConfig = { ...DEFAULT_PPO, ...partial };
  const posInt = ['numEnvs', 'rolloutLength', 'epochs', 'minibatches', 'totalSteps', 'evalEvery', 'evalEpisodes', 'keepCheckpoints'] as const;
  for (const k of posInt) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new RangeError(`PPO config ${k} must be a positive integer, got ${c[k]}`);
  }
  if (!Number.isInteger(c.milestoneEvery) || c.milestoneEvery < 0) throw new RangeError(`PPO config milestoneEvery must be an integer >= 0, got ${c.milestoneEvery}`);
  if (!Number.isInteger(c.workers) || c.workers < 0) throw new RangeError(`PPO config workers must be an integer >= 0, got ${c.workers}`);
  if (!(c.gamma > 0 && c.gamma <= 1)) throw new RangeError(`PPO config gamma must be in (0, 1], got ${c.gamma}`);
  if (!(c.gaeLambda >= 0 && c.gaeLambda <= 1)) throw new RangeError(`PPO config gaeLambda must be in [0, 1], got ${c.gaeLambda}`);
  if (!(c.lr > 0)) throw new RangeError(`PPO config lr must be > 0, got ${c.lr}`);
  if (!(c.clip > 0)) throw new RangeError(`PPO config clip must be > 0, got ${c.clip}`);
  if ((c.numEnvs * c.rolloutLength) % c.minibatches !== 0) {
    throw new RangeError(`PPO config minibatches (${c.minibatches}) must divide numEnvs * rolloutLength (${c.numEnvs * c.rolloutLength})`);
  }
  if (!['elu', 'relu', 'tanh'].includes(c.activation)) throw new RangeError(`PPO config activation must be 'elu', 'relu' or 'tanh', got '${c.activation}'`);
  if (!(c.initStd > c.minStd && c.initStd < c.maxStd)) {
    throw new RangeError(`PPO config initStd must lie strictly between minStd (${c.minStd}) and maxStd (${c.maxStd}), got ${c.initStd}`);
  }
  if (c.targetKl !== null && !(typeof c.targetKl === 'number' && c.targetKl > 0)) throw new RangeError(`PPO config targetKl must be null or > 0, got ${c.targetKl}`);
  if (c.targetKl !== null && c.annealLr) throw new RangeError('PPO config targetKl (adaptive learning rate) and annealLr cannot both be set');
  if (!(typeof c.boundsLossCoef === 'number' && c.boundsLossCoef >= 0 && Number.isFinite(c.boundsLossCoef))) throw new RangeError(`PPO config boundsLossCoef must be a finite number >= 0, got ${c.boundsLossCoef}`);
  if (!(typeof c.entCoef === 'number' && c.entCoef >= 0 && Number.isFinite(c.entCoef))) throw new RangeError(`PPO config entCoef must be a finite number >= 0, got ${c.entCoef}`);
  checkCurriculum(c.curriculum, c.minStd, c.maxStd);
  if (!Number.isInteger(c.valueWarmupIterations) || c.valueWarmupIterations < 0) throw new RangeError(`PPO config valueWarmupIterations must be an integer >= 0, got ${c.valueWarmupIterations}`);
  if (c.valueView !== null && (typeof c.valueView !== 'string' || c.valueView === '')) throw new RangeError(`PPO config valueView must be null or a view name, got ${JSON.stringify(c.valueView)}`);
  if (c.initPolicy !== null && (typeof c.initPolicy !== 'string' || c.initPolicy === '')) throw new RangeError(`PPO config initPolicy must be null or a checkpoint folder path, got ${JSON.stringify(c.initPolicy)}`);
  if (!(c.checkpointEvery > 0)) throw new RangeError(`PPO config checkpointEvery (minutes) must be > 0, got ${c.checkpointEvery}`);
  return c;
}

/**
 * Fields a resumed run may change. taskOptions and evalTaskOptions are the training curriculum's stages (e.g. the
 * humanoid's start pose); every change is appended to the run's config-history.jsonl with the env step it began at.
 */
export const RESUMABLE_OVERRIDES: (keyof PPOConfig)[] = ['totalSteps', 'workers', 'checkpointEvery', 'keepCheckpoints', 'milestoneEvery', 'taskOptions', 'evalTaskOptions', 'curriculum'];
