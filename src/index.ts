/** Public entry point of the library (what notebooks import by package name). */
export * from './util/rng';
export * from './physics/mujoco';
export * from './physics/raycam';
export * from './envs';
export * from './envs/humanoid';
export * from './envs/humanoid-walls';
export * from './envs/rewards';
export * from './envs/control-task';
export * from './envs/cartpole';
export * from './envs/cheetah';
export * from './envs/manipulator';
export * from './training/variants'; // the tasks' training variants (moved out of src/envs)
export * from './policies';
export * from './experiments';
export * from './report';
export { trainPPO, type AuxLoss, type TrainOptions, type TrainResult } from './rl/ppo';
export { DEFAULT_PPO, resolvePPOConfig, type PPOConfig } from './rl/config';
export { computeGae, clippedSurrogateLoss, valueLoss, RewardScaler, type GaeInput, type LossOutput, type Metrics } from './rl/ppo-losses';
export { evaluatePolicy, meanStd, DEFAULT_EVALUATE, type EvaluateOptions, type EvaluationResult } from './rl/evaluate';
export { ppoPreset, presetTasks, PROFILES, type Profile } from './rl/presets';
export { CurveWriter, readCurve, CURVE_COLUMNS, type CurveRow } from './rl/curve';
export { VecEnv, type VecEnvOptions, type VecStep } from './envs/vec-env';
export { ProgressBar, formatDuration, type ProgressBarOptions, type ProgressStream } from './util/progress';
