/** The policies layer: Gaussian MLP policies, their layers, losses' distributions, normaliser and checkpoints. */
export * from './types';
export * from './backend';
export * from './mlp';
export * from './distributions';
export * from './normalizer';
export * from './encoder';
export * from './gaussian-mlp';
export * from './checkpoint';
export * from './warm-start';
export { learnerPath, setLearnerPath, type LearnerPath } from './native-blas';
