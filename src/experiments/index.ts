/** src/experiments: result cache, sweep runner, compute profiles and per-figure plans. */
export * from './paths';
export * from './cache';
export * from './profiles';
export * from './sweep';
export * from './selection';
export * from './figures';
export * from './compute';
export { expertSha256, expertCheckpointDir, checkpointSha256, expertFields, EXPERT_HASHED_FILES } from '../util/experts';
export * from './rekey';
