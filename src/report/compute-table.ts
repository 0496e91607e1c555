/**
 * The README's compute table: what the committed figures cost here (the stored cells' measured wall seconds, one
 * process per cell) and what the `full` profile (the paper's own ranges) would cost, estimated from those
 * measurements. It sits between COMPUTE_BEGIN and COMPUTE_END in README.md; `npm run compute-table` rewrites that
 * block only, `-- --check` exits 1 when the README disagrees with the stored cells.
 *
 * Estimate of a full-profile cell: the mean measured cost of its paper-profile counterparts (same figure, task and
 * method; else same figure and method on another task; else the figure's mean), times the ratio of the work that
 * grows: gradient updates for offline cells, environment steps for DAgger and kickstarting. Recording larger
 * datasets and evaluation are not rescaled, so large-dataset cells are underestimated.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIGURE_IDS, figurePlan, type FigureId } from '../experiments/figures';
import { configKey, type CellConfig } from '../experiments/cache';
import { resultsRoot } from '../experiments/paths';
import { markedBlock, readmeBlockCommand } from './results-table';
import { SELECTION_FIGURE } from '../experiments/selection';

export const COMPUTE_BEGIN = '<!-- compute:begin -->';
export const COMPUTE_END = '<!-- compute:end -->';

/** Worker counts the table's wall-clock columns assume (one cell per worker at a time). */
export const WORKER_COUNTS = [16, 64] as const;

/** A stored cell's config and measured wall seconds. */
export interface MeasuredCell {
  config: CellConfig;
  wallSeconds: number;
}

/** The stored cells of `figure` under `root` that carry a finite `wallSeconds` (damaged files are skipped). */
export function measuredCells(figure: string, root: string = resultsRoot('paper')): MeasuredCell[] {
  const dir = path.join(root, figure);
  if (!fs.existsSync(dir)) return [];
  const out: MeasuredCell[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    try {
      const d = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { config?: CellConfig; wallSeconds?: unknown };
      if (d.config && typeof d.wallSeconds === 'number' && Number.isFinite(d.wallSeconds)) out.push({ config: d.config, wallSeconds: d.wallSeconds });
    } catch {
      // a damaged cell is reported (and recomputed) by the sweep; it does not count here
    }
  }
  return out;
}

/** The work of a cell that the estimate scales by: updates (offline, selection), environment steps (online), else 1. */
export function cellWork(c: CellConfig): number {
  if (c.kind === 'dagger' || c.kind === 'kickstart') return Number(c.envSteps);
  if (c.kind === 'offline' || c.kind === 'select') return Number(c.trainSteps);
  return 1;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Estimated seconds of `cell` from `measured` (paper-profile cells of the same figure): per measured counterpart
 * its seconds times work(cell) / work(counterpart), averaged. Null when the figure has no measured cell.
 */
export function estimateSeconds(cell: CellConfig, measured: MeasuredCell[]): number | null {
  const tiers = [
    measured.filter((m) => m.config.task === cell.task && m.config.method === cell.method),
    measured.filter((m) => m.config.method === cell.method),
    measured,
  ];
  const match = tiers.find((t) => t.length > 0);
  if (!match) return null;
  return mean(match.map((m) => m.wallSeconds * (cellWork(cell) / cellWork(m.config))));
}

/** One figure's row of the table. */
export interface ComputeRow {
  figure: string;
  planned: number;
  stored: number;
  measuredHours: number;
  fullCells: number | null;
  fullHours: number | null;
  longestFullHours: number | null;
}

/** The rows: every figure (paper profile measured, full profile estimated) and the sigma_s / M selection. */
export function computeRows(root: string = resultsRoot('paper')): ComputeRow[] {
  const rows: ComputeRow[] = [];
  for (const id of FIGURE_IDS) {
    const plan = figurePlan(id as FigureId, 'paper');
    const keys = new Set(plan.grid.map((c) => configKey(c)));
    const measured = measuredCells(id, root).filter((m) => keys.has(configKey(m.config)));
    const full = figurePlan(id as FigureId, 'full').grid;
    const est = full.map((c) => estimateSeconds(c, measured));
    const known = est.every((e) => e !== null);
    rows.push({
      figure: id, planned: keys.size, stored: measured.length, measuredHours: measured.reduce((a, m) => a + m.wallSeconds, 0) / 3600,
      fullCells: full.length, fullHours: known ? (est as number[]).reduce((a, b) => a + b, 0) / 3600 : null,
      longestFullHours: known && est.length > 0 ? Math.max(...(est as number[])) / 3600 : null,
    });
  }
  const sel = measuredCells(SELECTION_FIGURE, root);
  rows.push({ figure: SELECTION_FIGURE, planned: sel.length, stored: sel.length, measuredHours: sel.reduce((a, m) => a + m.wallSeconds, 0) / 3600, fullCells: null, fullHours: null, longestFullHours: null });
  return rows;
}

const h = (x: number | null) => (x === null ? '—' : x < 10 ? x.toFixed(1) : String(Math.round(x)));

/** Hours on `n` workers: the total spread over them, never below the longest cell. */
export function hoursOn(n: number, total: number, longest: number): number {
  return Math.max(total / n, longest);
}

/** The table's markdown (without the markers). */
export function computeTable(rows: ComputeRow[]): string {
  const lines = [
    `| figure | paper profile: cells stored / planned | measured core-hours | full profile: cells | estimated core-hours | ${WORKER_COUNTS.map((n) => `hours on ${n} workers`).join(' | ')} |`,
    `|---|---|---|---|---|${WORKER_COUNTS.map(() => '---|').join('')}`,
  ];
  for (const r of rows) {
    const workers = WORKER_COUNTS.map((n) => (r.fullHours === null || r.longestFullHours === null ? '—' : h(hoursOn(n, r.fullHours, r.longestFullHours))));
    lines.push(`| ${r.figure} | ${r.stored} / ${r.planned} | ${h(r.measuredHours)} | ${r.fullCells ?? '—'} | ${h(r.fullHours)} | ${workers.join(' | ')} |`);
  }
  const figs = rows.filter((r) => r.fullHours !== null);
  const total = rows.reduce((a, r) => a + r.measuredHours, 0);
  const fullTotal = figs.reduce((a, r) => a + (r.fullHours ?? 0), 0);
  const longest = Math.max(0, ...figs.map((r) => r.longestFullHours ?? 0));
  lines.push(`| **total** | ${rows.reduce((a, r) => a + r.stored, 0)} / ${rows.reduce((a, r) => a + r.planned, 0)} | ${h(total)} | ${figs.reduce((a, r) => a + (r.fullCells ?? 0), 0)} | ${h(fullTotal)} | ${WORKER_COUNTS.map((n) => h(hoursOn(n, fullTotal, longest))).join(' | ')} |`);
  return lines.join('\n');
}

export function computeBlock(rows: ComputeRow[]): string {
  return `${COMPUTE_BEGIN}\n${computeTable(rows)}\n${COMPUTE_END}`;
}

/** The compute block README.md holds now (markers included). */
export function readmeComputeBlock(readme: string): string {
  return markedBlock(readme, COMPUTE_BEGIN, COMPUTE_END, 'compute');
}

if (require.main === module) {
  process.exitCode = readmeBlockCommand('compute-table', 'compute', 'the stored cells', COMPUTE_BEGIN, COMPUTE_END, () => computeBlock(computeRows()), process.argv.slice(2));
}
