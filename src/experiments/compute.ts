/**
 * Compute functions of the figure cells (figures.ts): each runs one cell through the cloning / RL layers and
 * returns measured result rows.
 */
import type { CellConfig, ResultRow } from './cache';
import { methodLabel } from './figures';
import { runToy, type ToyConfig } from '../cloning/toy';
import { runCloningSelection, runOfflineCloning, type OfflineCell } from '../cloning/experiment';
import { runDagger, type DaggerCell } from '../cloning/dagger';
import { runKickstart, type KickstartCell } from '../cloning/kickstart';

// A cell is plain JSON keyed by the cache (CellConfig); the plans of figures.ts build each kind with the fields of
// its runner's cell type, and each runner validates what it reads. The casts below name that contract.

async function toyCell(cell: CellConfig): Promise<ResultRow[]> {
  const { figure: _f, ...config } = cell;
  const out = await runToy(config as Partial<ToyConfig>);
  const error = out.studentError;
  if (typeof error !== 'number') throw new Error(`runToy returned no numeric studentError; keys: ${Object.keys(out).join(', ')}`);
  return [{ figure: cell.figure, task: 'toy', method: methodLabel(cell.figure, String(cell.method)), x: Number(cell.datasetSize), seed: Number(cell.seed), return: error }];
}

/** Compute one cell of any figure plan. */
export async function computeCell(cell: CellConfig): Promise<ResultRow[]> {
  if (cell.figure === 'fig1-toy') return toyCell(cell);
  switch (cell.kind) {
    case 'offline':
      return (await runOfflineCloning(cell as unknown as OfflineCell)) as ResultRow[];
    case 'dagger':
      return (await runDagger(cell as unknown as DaggerCell)) as ResultRow[];
    case 'kickstart':
      return (await runKickstart(cell as unknown as KickstartCell)) as ResultRow[];
    case 'select':
      return (await runCloningSelection(cell as unknown as OfflineCell)) as ResultRow[];
    default:
      throw new RangeError(`cell.kind must be one of offline, dagger, kickstart, select (or figure fig1-toy), got '${String(cell.kind)}'`);
  }
}
