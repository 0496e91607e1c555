/** Public entry point of the library (what notebooks import by package name). */
export * from './util/rng';
export * from './physics/mujoco';
export * from './envs';
export * from './policies/types';
