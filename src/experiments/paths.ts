/**
 * Where results and figures live. Paths resolve from the package root (the folder holding this package's
 * package.json), not from the working directory, because notebooks run with notebooks/ as their cwd.
 * APC_RESULTS_DIR and APC_FIGURES_DIR override the defaults (tests point them at temporary folders).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { packageRoot, writeFileAtomic } from '../util/paths';

export { packageRoot };

/**
 * Root of the result cache: $APC_RESULTS_DIR, else <package>/data/results for the paper profile (the committed
 * cells) and <package>/data/results-<profile> for another (git ignores it: a quick run never lands beside them).
 */
export function resultsRoot(profile = 'paper'): string {
  if (process.env.APC_RESULTS_DIR) return path.resolve(process.env.APC_RESULTS_DIR);
  return path.join(packageRoot(), 'data', profile === 'paper' ? 'results' : `results-${profile}`);
}

/**
 * Where figures are written: $APC_FIGURES_DIR, else <package>/figures for the paper profile and
 * <package>/figures/quick for the quick one (a quick run never overwrites the committed paper figures).
 */
export function figuresDir(profile: string): string {
  if (process.env.APC_FIGURES_DIR) return path.resolve(process.env.APC_FIGURES_DIR);
  return profile === 'paper' ? path.join(packageRoot(), 'figures') : path.join(packageRoot(), 'figures', profile);
}

export { writeFileAtomic };
