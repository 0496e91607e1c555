/**
 * Compute functions of the figure cells (figures.ts): each runs one cell through the cloning / RL layers and
 * returns measured result rows. Pieces not yet in the build fail with MissingPieceError (pieces.ts).
 */
import type { CellConfig, ResultRow } from './cache';
import { methodLabel } from './figures';
import { requirePiece } from './pieces';

type Compute = (cell: CellConfig) => Promise<ResultRow[]>;


async function toyCell(cell: CellConfig): Promise<ResultRow[]> {
  const runToy = requirePiece<(config: Record<string, unknown>) => unknown>('cloning/toy', 'runToy', 'Figure 1 (toy problem)');
  const { figure: _f, ...config } = cell;
  const out = (await runToy(config)) as Record<string, unknown>;
  const error = out.studentError ?? out.error;
  if (typeof error !== 'number') throw new Error(`runToy returned no numeric studentError; keys: ${Object.keys(out).join(', ')}`);
  return [{ figure: cell.figure, task: 'toy', method: methodLabel(cell.figure, String(cell.method)), x: Number(cell.datasetSize), seed: Number(cell.seed), return: error }];
}

async function offlineCell(cell: CellConfig): Promise<ResultRow[]> {
  const run = requirePiece<Compute>('cloning/experiment', 'runOfflineCloning', `${cell.figure} (offline cloning)`);
  return run(cell);
}

async function daggerCell(cell: CellConfig): Promise<ResultRow[]> {
  const run = requirePiece<Compute>('cloning/dagger', 'runDagger', `${cell.figure} (DAgger)`);
  return run(cell);
}

async function kickstartCell(cell: CellConfig): Promise<ResultRow[]> {
  const run = requirePiece<Compute>('cloning/kickstart', 'runKickstart', `${cell.figure} (kickstarting)`);
  return run(cell);
}

async function selectionCell(cell: CellConfig): Promise<ResultRow[]> {
  const run = requirePiece<Compute>('cloning/experiment', 'runCloningSelection', `${cell.figure} (sigma_s / M selection on validation data)`);
  return run(cell);
}

/** Compute one cell of any figure plan. */
export async function computeCell(cell: CellConfig): Promise<ResultRow[]> {
  if (cell.figure === 'fig1-toy') return toyCell(cell);
  switch (cell.kind) {
    case 'offline':
      return offlineCell(cell);
    case 'dagger':
      return daggerCell(cell);
    case 'kickstart':
      return kickstartCell(cell);
    case 'select':
      return selectionCell(cell);
    default:
      throw new RangeError(`cell.kind must be one of offline, dagger, kickstart, select (or figure fig1-toy), got '${String(cell.kind)}'`);
  }
}
