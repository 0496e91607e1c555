/** src/experiments: result cache, sweep runner, compute profiles and per-figure plans. */
export * from './paths';
export * from './cache';
export * from './profiles';
export * from './sweep';
export * from './pieces';
export * from './selection';
export * from './figures';
export * from './compute';
