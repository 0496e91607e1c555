/**
 * The named seeds of the experiments. Their values key the committed results (a dataset's file name, a cell's
 * evaluation episodes), so they never change; a new protocol gets a new name.
 */

/** Episode seed of every evaluation: the same initial states and noise for every method, student and checkpoint (paired). */
export const EVAL_SEED = 12345;

/** Seed of the training dataset of a cell with seed `seed` (its expert trajectories). */
export function trainDatasetSeed(seed: number): number {
  return 1000 + seed;
}

/** Seed of the validation dataset of a cell with seed `seed` (held-out trajectories for sigma_s / M selection). */
export function validationDatasetSeed(seed: number): number {
  return 9000 + seed;
}

/** Seed of the envs a DAgger cell with seed `seed` acts in. */
export function daggerEnvSeed(seed: number): number {
  return 5000 + seed;
}

/**
 * Episode seed of distillation's training-time evaluations (src/training/distill.ts): apart from EVAL_SEED, so that
 * choosing the best round never looks at the episodes the final 150-episode evaluation reports.
 */
export const DISTILL_EVAL_SEED = 777;
