/**
 * Per-task PPO presets for training the experts that the cloning experiments query (paper section 5 uses
 * experts trained by RL; we train ours with PPO). A preset is a typed base (a partial PPOConfig) and a training
 * curriculum written as changes: each stage changes a few task options or loss terms over the stage before, with
 * one line of why. `ppoPreset` resolves the changes into PPOConfig.curriculum's full stages; `profile` picks a
 * budget. What each stage was a response to, measured, is in data/experts/<task>/README.md ("Preset history").
 */
import type { CurriculumStage, PPOConfig } from './config';

/**
 * The training budget of a preset (train's --profile): 'full' as listed, 'quick' a tenth, 'smoke' a tiny check.
 * Not the experiments' compute profile (ProfileName: quick | paper, APC_PROFILE), which scales figure cells.
 */
export type TrainingBudget = 'smoke' | 'quick' | 'full';
export const TRAINING_BUDGETS: TrainingBudget[] = ['smoke', 'quick', 'full'];
/** @deprecated the old names of TrainingBudget / TRAINING_BUDGETS (src/index.ts still exports them). */
export type Profile = TrainingBudget;
/** @deprecated see TRAINING_BUDGETS. */
export const PROFILES = TRAINING_BUDGETS;

// -------------------------------------------------------------------- typed task options of the presets

/** dm_control-style shaping term weight x (1 - tanh(scale x distance)). */
interface Shaping { weight: number; scale: number }

/** The humanoid-run options its curriculum sets (training-only unless said otherwise; see src/envs/humanoid.ts). */
interface HumanoidRunOptions {
  initialPose: 'random' | 'upright' | 'mixed';
  randomPoseFraction: number;
  blendPoseFraction: number;
  getUpSteps: number;
  regetUpSteps: number;
  headHeightBonus: number;
  headRiseShaping: number;
  assistForce: number;
}
const HUMANOID_RUN_KEYS: (keyof HumanoidRunOptions)[] = ['initialPose', 'randomPoseFraction', 'blendPoseFraction', 'getUpSteps', 'regetUpSteps', 'headHeightBonus', 'headRiseShaping', 'assistForce'];

/** The humanoid-walls options its curriculum sets (src/envs/humanoid-walls.ts). */
interface HumanoidWallsOptions {
  camera: boolean;
  uprightShaping: boolean;
  gapShaping: boolean | 'centre' | 'nearest';
  gapEdgeMargin: number;
  wallContactPenalty: number;
}
const HUMANOID_WALLS_KEYS: (keyof HumanoidWallsOptions)[] = ['camera', 'uprightShaping', 'gapShaping', 'gapEdgeMargin', 'wallContactPenalty'];

/** The manipulator-insert-peg options its curriculum sets (src/envs/manipulator.ts). */
interface InsertPegOptions {
  camera: boolean;
  shapedReward: boolean | 'carry' | 'staged';
  pInHand: number;
  graspInHand: boolean | number;
  gripBonus: number;
  gripMargin: number;
  inHandTargetBlend: number;
  inHandTargetAlpha: [number, number];
  reachShaping: Shaping;
  insertShaping: Shaping;
  fineReachShaping: Shaping;
  alignShaping: Shaping;
  nearPegStart: number;
  pregraspShare: number;
  floorGraspStart: number;
  floorGraspClosed: number;
  floorGraspBackoff: number;
}
const INSERT_PEG_KEYS: (keyof InsertPegOptions)[] = [
  'camera', 'shapedReward', 'pInHand', 'graspInHand', 'gripBonus', 'gripMargin', 'inHandTargetBlend', 'inHandTargetAlpha',
  'reachShaping', 'insertShaping', 'fineReachShaping', 'alignShaping', 'nearPegStart', 'pregraspShare', 'floorGraspStart',
  'floorGraspClosed', 'floorGraspBackoff',
];

interface CameraOnly { camera: boolean }

// -------------------------------------------------------------------- presets as base + stage changes

/** Changes to task options: a key set to a value sets it, a key set to undefined drops it (the task's default). */
type OptionChange<O> = { [K in keyof O]?: O[K] | undefined };

/** One curriculum stage, as a change over the stage before it. */
interface StageChange<O> {
  fromSteps: number;
  /** Why the stage exists, in one line (the measurements behind it: the expert's README). */
  why: string;
  /** The policy's action std is set to this once, when the stage begins. */
  resetStd?: number;
  entCoef?: number;
  taskOptions?: OptionChange<O>;
  evalTaskOptions?: OptionChange<O>;
  boundsLossCoef?: number;
  /** Action dimensions whose policy mean is reset to 0 once, when the stage begins. */
  resetActionMeans?: number[];
}

type Base<O> = Omit<Partial<PPOConfig>, 'taskOptions' | 'evalTaskOptions' | 'curriculum'> & {
  taskOptions?: Partial<O>;
  evalTaskOptions?: Partial<O>;
  totalSteps: number;
  evalEvery: number;
};

interface PresetSpec<O> {
  /** Key order of the resolved task options (stable JSON: resumes compare task options as JSON). */
  keys: (keyof O)[];
  base: Base<O>;
  stages: StageChange<O>[];
}

type Preset = Partial<PPOConfig> & { totalSteps: number; evalEvery: number };

function applyChange<O>(keys: (keyof O)[], before: Record<string, unknown>, change: OptionChange<O>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...before, ...change };
  const unlisted = Object.keys(merged).filter((k) => !(keys as string[]).includes(k));
  if (unlisted.length > 0) throw new Error(`preset key order misses ${unlisted.join(', ')}`);
  return Object.fromEntries((keys as string[]).filter((k) => merged[k] !== undefined).map((k) => [k, merged[k]]));
}

/** The preset as PPOConfig data: every stage's changes applied to the stage before (task options in full). */
function resolve<O>({ keys, base, stages }: PresetSpec<O>): Preset {
  if (stages.length === 0) return base as Preset;
  let taskOptions = (base.taskOptions ?? {}) as Record<string, unknown>;
  let evalTaskOptions = (base.evalTaskOptions ?? {}) as Record<string, unknown>;
  const curriculum: CurriculumStage[] = stages.map((st) => {
    const out: CurriculumStage = { fromSteps: st.fromSteps };
    if (st.resetStd !== undefined) out.resetStd = st.resetStd;
    if (st.entCoef !== undefined) out.entCoef = st.entCoef;
    if (st.taskOptions) out.taskOptions = taskOptions = applyChange(keys, taskOptions, st.taskOptions);
    if (st.evalTaskOptions) out.evalTaskOptions = evalTaskOptions = applyChange(keys, evalTaskOptions, st.evalTaskOptions);
    if (st.boundsLossCoef !== undefined) out.boundsLossCoef = st.boundsLossCoef;
    if (st.resetActionMeans !== undefined) out.resetActionMeans = st.resetActionMeans;
    return out;
  });
  // The curriculum follows the evaluation options, as PPOConfig lists them.
  const entries = Object.entries(base).flatMap(([k, v]) => (k === 'evalTaskOptions' ? [[k, v], ['curriculum', curriculum]] : [[k, v]]));
  return Object.fromEntries(entries) as Preset;
}

/** The shared network and update settings of the three long-horizon tasks (humanoids and the peg). */
const LARGE: Pick<PPOConfig, 'numEnvs' | 'rolloutLength' | 'epochs' | 'minibatches' | 'lr'> = { numEnvs: 64, rolloutLength: 64, epochs: 5, minibatches: 8, lr: 3e-4 };
/** Their networks (fresh arrays for each preset). */
const largeNets = (): Pick<PPOConfig, 'policyTorso' | 'valueTorso' | 'activation'> => ({ policyTorso: [256, 256, 256], valueTorso: [256, 256], activation: 'elu' });

const HUMANOID_RUN: PresetSpec<HumanoidRunOptions> = {
  keys: HUMANOID_RUN_KEYS,
  base: {
    // ManiSkill's PPO port of dm_control humanoid-run advises gamma 0.97; the rate adapts to KL 0.008 (rl_games).
    ...LARGE, targetKl: 0.008, gamma: 0.97, ...largeNets(),
    earlyTerminationOnFailure: true,
    // Stage 0 learns to run from the upright keyframe (dm_control's dropped random pose taught nothing at 2M steps).
    taskOptions: { initialPose: 'upright' }, evalTaskOptions: { initialPose: 'upright' },
    totalSteps: 100_000_000, evalEvery: 500_000, milestoneEvery: 1_000_000,
  },
  stages: [
    { fromSteps: 4_808_704, why: 'learn to get up: a quarter of starts from the random pose, a head-height bonus; evaluate the true task',
      taskOptions: { initialPose: 'mixed', randomPoseFraction: 0.25, getUpSteps: 200, headHeightBonus: 0.05 }, evalTaskOptions: { initialPose: undefined } },
    { fromSteps: 6_516_736, why: 'no random start rose: half of the starts random, more time and a larger bonus',
      taskOptions: { randomPoseFraction: 0.5, getUpSteps: 300, headHeightBonus: 0.2 } },
    { fromSteps: 16_384_000, why: 'reverse curriculum: 70% of starts blend the keyframe with a random pose',
      taskOptions: { randomPoseFraction: 0.3, blendPoseFraction: 0.7 } },
    { fromSteps: 20_070_400, why: 'means beyond the action bounds get no gradient from their noise: bounds loss',
      boundsLossCoef: 0.01 },
    { fromSteps: 27_131_904, why: 'the get-up is within reach with help: an assist force of up to 0.8 body weight',
      taskOptions: { assistForce: 0.8 } },
    { fromSteps: 38_236_160, why: 'the bonus paid sitting still: potential-based head-rise shaping replaces it',
      taskOptions: { headHeightBonus: undefined, headRiseShaping: 5 } },
    { fromSteps: 48_234_496, why: 'it gets up unassisted: the assist shrinks, half of the starts are the true task\'s',
      taskOptions: { randomPoseFraction: 0.5, blendPoseFraction: 0.5, assistForce: 0.3 } },
    { fromSteps: 49_610_752, why: 'a fallen runner was never trained: 200 steps to get up again after a fall',
      taskOptions: { regetUpSteps: 200 } },
  ],
};

const HUMANOID_WALLS: PresetSpec<HumanoidWallsOptions> = {
  keys: HUMANOID_WALLS_KEYS,
  base: {
    // The expert reads the privileged wall features (camera off); learned from scratch with upright shaping.
    ...LARGE, targetKl: 0.008, gamma: 0.97, view: 'expert', ...largeNets(),
    taskOptions: { camera: false, uprightShaping: true }, evalTaskOptions: { camera: false },
    earlyTerminationOnFailure: true, totalSteps: 50_000_000, evalEvery: 500_000,
  },
  stages: [
    { fromSteps: 14_069_760, why: 'it fell at walls whose gap lay to the side: shaping aims at the next gap', taskOptions: { gapShaping: true } },
    { fromSteps: 19_742_720, why: 'gap centres ask for too much sideways running: aim at the nearest point of the gap', taskOptions: { gapShaping: 'nearest' } },
    { fromSteps: 22_294_528, why: 'a fall 30 steps after a touch weighs little: charge the wall touch itself', taskOptions: { wallContactPenalty: 0.5 } },
    { fromSteps: 27_013_120, why: 'the path lags the aim by ~1 m at gap edges: aim 1.25 m inside the gap', taskOptions: { gapEdgeMargin: 1.25 } },
  ],
};

const INSERT_PEG: PresetSpec<InsertPegOptions> = {
  keys: INSERT_PEG_KEYS,
  base: {
    // The expert observes the privileged slot pose (camera off); the true reward is sparse, so training is shaped.
    ...LARGE, targetKl: 0.01, gamma: 0.99, view: 'expert', ...largeNets(),
    taskOptions: { camera: false, shapedReward: true }, evalTaskOptions: { camera: false },
    totalSteps: 100_000_000, evalEvery: 500_000, milestoneEvery: 1_000_000,
  },
  stages: [
    { fromSteps: 1_593_344, why: 'carrying and inserting before grasping: half of the starts with the peg in hand', taskOptions: { pInHand: 0.5 } },
    { fromSteps: 2_129_920, why: 'it pushed the peg along the floor: pay bringing only while held', taskOptions: { shapedReward: 'carry' } },
    { fromSteps: 6_578_176, why: 'hovering paid as much as holding: staged shaping pays holding above hovering', taskOptions: { shapedReward: 'staged' } },
    { fromSteps: 7_077_888, why: 'most in-hand pegs fell out of the open fingers: close the hand first', taskOptions: { graspInHand: true } },
    { fromSteps: 7_700_480, why: 'a grasp mean far below -1 gets no gradient: bounds loss', boundsLossCoef: 0.01 },
    { fromSteps: 8_081_408, why: 'the mean stayed out of range: stronger bounds loss, and pay closing on a held peg', taskOptions: { gripBonus: 0.2 }, boundsLossCoef: 0.1 },
    { fromSteps: 8_294_400, why: 'the grasp mean was still -2 to -4: reset it to 0 once', resetActionMeans: [4] },
    { fromSteps: 10_260_480, why: 'reverse curriculum for inserting: slots placed relative to the held peg', taskOptions: { inHandTargetBlend: 0.6 } },
    { fromSteps: 11_304_960, why: 'from floor starts the hand never reached the peg: a wider, heavier reach term', taskOptions: { reachShaping: { weight: 0.3, scale: 4 } } },
    { fromSteps: 13_221_888, why: 'grasping from the floor is missing: 60% of floor starts lay the peg by a low hand', taskOptions: { pInHand: 0.4, nearPegStart: 0.6 } },
    { fromSteps: 15_400_960, why: 'closing had never paid: half of the near-peg starts lay it between the open fingers', taskOptions: { pregraspShare: 0.5 } },
    { fromSteps: 26_419_200, why: 'the last centimetres of inserting and reaching paid too little: fine insert and reach terms',
      taskOptions: { insertShaping: { weight: 0.5, scale: 20 }, fineReachShaping: { weight: 0.3, scale: 20 } } },
    { fromSteps: 36_204_544, why: 'grasping from the floor as a reverse curriculum: floor-grasp starts, hand backed off up to 8 cm',
      taskOptions: { nearPegStart: 0.1, pregraspShare: undefined, floorGraspStart: 0.7, floorGraspClosed: 0.2, floorGraspBackoff: 0.08 } },
    { fromSteps: 50_003_968, why: 'slot blends sat where it succeeds or almost never does: alpha spans 0.15-0.75', taskOptions: { inHandTargetAlpha: [0.15, 0.75] } },
    { fromSteps: 54_001_664, why: 'it hovered half closed: pay closing only within 1.5 cm, and the hand along the peg\'s axis',
      taskOptions: { gripMargin: 0.015, alignShaping: { weight: 0.3, scale: 20 } } },
    { fromSteps: 65_495_040, why: 'it lifted 3 of 8 from up to 8 cm: back off at most 3 cm, to widen again', taskOptions: { floorGraspBackoff: 0.03 } },
    { fromSteps: 69_222_400, why: 'the std had shrunk to 0.07: set it back to 0.2; alpha up to 1 trains carrying to a drawn slot',
      resetStd: 0.2, taskOptions: { inHandTargetAlpha: [0.15, 1] } },
    { fromSteps: 82_948_096, why: 'the std fell again: an entropy bonus holds it; 30% of in-hand starts stay open as dm_control draws them',
      resetStd: 0.2, entCoef: 0.005, taskOptions: { graspInHand: 0.7 } },
  ],
};

const PRESETS: Record<string, Preset> = {
  // 1 action, 5 observations; annealing the rate settles the return (a run without it oscillated).
  'cartpole-swingup': {
    numEnvs: 16, rolloutLength: 128, epochs: 10, minibatches: 4, lr: 3e-4, annealLr: true,
    policyTorso: [64, 64], valueTorso: [64, 64], gamma: 0.99, totalSteps: 2_000_000, evalEvery: 50_000,
  },
  // 6 actions, 17 observations; on-policy PPO needs several million steps (SAC ~0.5M in published logs).
  'cheetah-run': {
    numEnvs: 32, rolloutLength: 128, epochs: 10, minibatches: 8, lr: 3e-4, annealLr: true,
    policyTorso: [128, 128], valueTorso: [128, 128], gamma: 0.99, totalSteps: 8_000_000, evalEvery: 100_000,
  },
  'humanoid-run': resolve(HUMANOID_RUN),
  'humanoid-walls': resolve(HUMANOID_WALLS),
  'manipulator-insert-peg': resolve(INSERT_PEG),
  // The fast privileged-expert stand-in (Figure 4); the camera is off (the expert never reads the image).
  'reacher-easy': resolve<CameraOnly>({
    keys: ['camera'],
    base: {
      numEnvs: 16, rolloutLength: 128, epochs: 10, minibatches: 4, lr: 3e-4, annealLr: true, view: 'expert',
      policyTorso: [64, 64], valueTorso: [64, 64], gamma: 0.99,
      taskOptions: { camera: false }, evalTaskOptions: { camera: false }, totalSteps: 2_000_000, evalEvery: 50_000,
    },
    stages: [],
  }),
};

/** The preset of `task` scaled to `budget` ('full' as listed, 'quick' a tenth, 'smoke' a tiny check). */
export function ppoPreset(task: string, budget: TrainingBudget = 'full'): Partial<PPOConfig> & { task: string } {
  const p = PRESETS[task];
  if (!p) throw new RangeError(`no PPO preset for task '${task}'; presets exist for: ${Object.keys(PRESETS).join(', ')}`);
  if (!TRAINING_BUDGETS.includes(budget)) throw new RangeError(`profile must be one of ${TRAINING_BUDGETS.join(', ')}, got '${budget}'`);
  if (budget === 'full') return { ...p, task };
  if (budget === 'quick') return { ...p, task, totalSteps: Math.ceil(p.totalSteps / 10), evalEvery: Math.ceil(p.evalEvery / 10) };
  return { ...p, task, numEnvs: 4, rolloutLength: 32, minibatches: 2, epochs: 2, totalSteps: 4 * 32 * 3, evalEvery: 4 * 32, evalEpisodes: 2, taskOptions: { episodeLength: 50 } };
}

export function presetTasks(): string[] {
  return Object.keys(PRESETS);
}
