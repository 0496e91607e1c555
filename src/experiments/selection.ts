/**
 * Choosing APC's sigma_s and M on validation data only (issue: "never on evaluation seeds"). For a task, APC
 * students are trained on the figure's dataset (seed 0, 2 trajectories) for every (sigma_s, M) of a small grid and
 * measured on the held-out validation trajectories (cloning/experiment.ts runCloningSelection). The offline figures
 * then use the pair with the lowest validation error of the mean action, for APC and Naive ABC alike.
 */
import { ResultCache, type CellConfig } from './cache';
import type { ProfileName } from './profiles';
import { expertFields } from '../util/experts';

export const SELECTION_FIGURE = 'select-cloning';

/** The candidates: sigma_s in observation units, M perturbed copies per recorded state. */
export const SELECTION_GRID = { sigmaS: [0.01, 0.03, 0.1, 0.3], numAugmented: [2, 8] } as const;

/** What the offline cells share besides sigma_s and M (paper section 5: dataset and evaluation noise 0.2). */
export interface SelectionBase {
  datasetNoise: number;
  evalNoise: number;
  batchSize: number;
  trainSteps: number;
}

/** Selection cells of `task`: APC on seed 0's 2-trajectory dataset, one cell per (sigma_s, M). */
export function selectionGrid(task: string, base: SelectionBase): CellConfig[] {
  const cells: CellConfig[] = [];
  for (const sigmaS of SELECTION_GRID.sigmaS) {
    for (const numAugmented of SELECTION_GRID.numAugmented) {
      cells.push({ figure: SELECTION_FIGURE, kind: 'select', task, method: 'apc', trajectories: 2, seed: 0, ...base, sigmaS, numAugmented, ...expertFields(task) });
    }
  }
  return cells;
}

export interface Selected {
  sigmaS: number;
  numAugmented: number;
  /** 'validation': chosen from a complete stored selection; 'default': none stored (the value is the default). */
  source: 'validation' | 'default';
  /** Validation MSE of every candidate, when selected. */
  candidates?: { sigmaS: number; numAugmented: number; validationMse: number }[];
}

/**
 * The (sigma_s, M) of `task`: the lowest validation MSE among the stored selection cells when all of them are
 * stored (quick profile: always the defaults, so tests stay fast), else the defaults.
 */
export function selectedCloning(task: string, base: SelectionBase, profile: ProfileName, defaults: { sigmaS: number; numAugmented: number }, cache = new ResultCache()): Selected {
  if (profile === 'quick') return { ...defaults, source: 'default' };
  const stored = selectionGrid(task, base).map((c) => cache.get<Record<string, unknown>>(c));
  if (stored.some((s) => s === null)) return { ...defaults, source: 'default' };
  const candidates = stored.map((s) => {
    const r = s!.rows[0];
    return { sigmaS: Number(r.sigmaS), numAugmented: Number(r.numAugmented), validationMse: Number(r.validationMse) };
  });
  const best = candidates.reduce((a, b) => (b.validationMse < a.validationMse ? b : a));
  return { sigmaS: best.sigmaS, numAugmented: best.numAugmented, source: 'validation', candidates };
}
