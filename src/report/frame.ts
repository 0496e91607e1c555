/**
 * Danfo aggregation of result rows: mean and spread of a value across seeds for each (task, method, x, ...)
 * group, as the paper's figures draw them (a mean curve with a shaded band across seeds).
 * danfojs-node is loaded lazily so that importing the library does not load it.
 */
import type * as Danfo from 'danfojs-node';
import type { ResultRow } from '../experiments/cache';
import { tQuantile } from './stats';

let danfo: typeof Danfo | null = null;
/** The danfojs-node module (loaded on first use). */
export function dfd(): typeof Danfo {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (danfo ??= require('danfojs-node') as typeof Danfo);
}

/**
 * 'ci95': the 95% confidence interval of the mean across seeds (t distribution, n - 1 degrees of freedom);
 * 'std': mean ± sample std; 'minmax': min to max; 'sem': mean ± standard error.
 */
export type Spread = 'std' | 'minmax' | 'sem' | 'ci95';
/** The bands that can be drawn around a mean. */
export const SPREADS: readonly Spread[] = ['std', 'minmax', 'sem', 'ci95'];
/** How each spread is named on a figure. */
export const SPREAD_NAMES: Record<Spread, string> = {
  ci95: '95% CI of the mean over seeds (t distribution)', std: 'mean ± std over seeds', minmax: 'min to max over seeds', sem: 'mean ± standard error over seeds',
};

/** Options of `aggregateSeeds`. */
export interface AggregateOptions {
  /** Columns that identify a curve point. Default ['task', 'method', 'x']. */
  by: string[];
  /** Column averaged across seeds. Default 'return'. */
  value: string;
  /** Band drawn around the mean. Default 'std'. */
  spread: Spread;
}

/** One aggregated point: the group's keys plus mean, band [lo, hi] and the number of seeds n. */
export interface AggregatePoint {
  keys: Record<string, string | number>;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/** Rows as a Danfo DataFrame (columns: the union of the rows' keys). */
export function toFrame(rows: ResultRow[]): Danfo.DataFrame {
  if (rows.length === 0) throw new RangeError('rows must not be empty (nothing to aggregate)');
  return new (dfd().DataFrame)(rows as unknown as Record<string, unknown>[]);
}

/** Mean and spread of `value` across seeds for each group of `by`, sorted by the group keys. */
export function aggregateSeeds(rows: ResultRow[], options: Partial<AggregateOptions> = {}): AggregatePoint[] {
  const o: AggregateOptions = { by: ['task', 'method', 'x'], value: 'return', spread: 'std', ...options };
  if (!SPREADS.includes(o.spread)) throw new RangeError(`spread must be one of ${SPREADS.join(', ')}, got '${o.spread}'`);
  for (const c of [...o.by, o.value]) {
    if (!rows.every((r) => c in r)) throw new RangeError(`column '${c}' is missing from some rows; columns: ${Object.keys(rows[0] ?? {}).join(', ')}`);
  }
  const frame = toFrame(rows.map((r) => Object.fromEntries([...o.by, o.value].map((c) => [c, r[c]])) as ResultRow));
  const agg = frame.groupby(o.by).agg({ [o.value]: ['mean', 'std', 'min', 'max', 'count'] });
  const records = dfd().toJSON(agg) as Record<string, number | string>[];
  const v = o.value;
  const points = records.map((rec): AggregatePoint => {
    const mean = Number(rec[`${v}_mean`]);
    const n = Number(rec[`${v}_count`]);
    // Danfo's std is the sample std (n - 1); with one seed there is no spread.
    const std = n > 1 ? Number(rec[`${v}_std`]) : 0;
    const half = o.spread === 'sem' ? std / Math.sqrt(n) : o.spread === 'ci95' ? (n > 1 ? tQuantile(0.975, n - 1) * (std / Math.sqrt(n)) : 0) : std;
    const [lo, hi] = o.spread === 'minmax' ? [Number(rec[`${v}_min`]), Number(rec[`${v}_max`])] : [mean - half, mean + half];
    return { keys: Object.fromEntries(o.by.map((c) => [c, rec[c]])), mean, lo, hi, n };
  });
  const cmp = (a: string | number, b: string | number) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)));
  return points.sort((p, q) => {
    for (const c of o.by) {
      const d = cmp(p.keys[c], q.keys[c]);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/** A small text table of aggregated points (for the notebooks' "what this run shows" cells). */
export function summaryTable(points: AggregatePoint[], digits = 1): string {
  if (points.length === 0) return '(no points)';
  const cols = Object.keys(points[0].keys);
  const lines = [[...cols, 'mean', 'lo', 'hi', 'n'].join('\t')];
  for (const p of points) lines.push([...cols.map((c) => String(p.keys[c])), p.mean.toFixed(digits), p.lo.toFixed(digits), p.hi.toFixed(digits), String(p.n)].join('\t'));
  return lines.join('\n');
}
