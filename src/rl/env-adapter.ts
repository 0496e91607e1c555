/** The RL layer's batched environments are the envs layer's VecEnv (kept as a module so existing imports stay valid). */
export { VecEnv, type VecEnvOptions, type VecStep } from '../envs/vec-env';
