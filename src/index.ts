/**
 * apc-repro: augmented policy cloning (Galashov, Merel, Heess, NeurIPS 2022) in TypeScript.
 *
 * The top level is the documented API of `src/api.ts`: make a task, load and query an expert, collect a dataset,
 * build a cloning batch with a strategy (BC, Naive ABC, APC), train a student, evaluate it, and run DAgger or
 * kickstarting. The machinery that regenerates the paper's figures (plans, result cache, sweeps; aggregation,
 * statistics, Plotly figures) is reached through the {@link experiments} and {@link report} namespaces.
 *
 * ```ts
 * import * as apc from 'apc-repro';
 * const expert = await apc.loadExpert('cartpole-swingup');
 * ```
 *
 * @packageDocumentation
 */
export * from './api';

/** Figure machinery: compute profiles, per-figure plans, the result cache and sweeps (src/experiments). */
export * as experiments from './experiments';

/** Figure drawing: Danfo aggregation, statistics over seeds, Plotly figures and their HTML/PNG/SVG export (src/report). */
export * as report from './report';
