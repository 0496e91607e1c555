/**
 * Learning curves as CSV (STYLE habit 6: stable namespaced keys such as `time/env_steps`, `eval/return`).
 * Rows are appended and flushed as they are produced; a resumed run first cuts the file back to the rows its
 * checkpoint knew about, so no row is ever duplicated and `time/env_steps` stays strictly increasing.
 */
import * as fs from 'node:fs';

/** Columns every curve carries, in this order; other metric keys follow in the order first seen. */
export const CURVE_COLUMNS = [
  'time/env_steps',
  'time/wall_s',
  'eval/return',
  'train/episode_return',
  'loss/policy',
  'loss/value',
  'loss/entropy',
  'loss/aux',
  'loss/approx_kl',
  'loss/clip_fraction',
  'loss/grad_norm',
  'eval/return_std',
  'train/std',
  'train/lr',
  'time/iteration',
  'time/fps',
  'time/collect_s',
  'loss/bounds',
];

export type CurveRow = Record<string, number | null | undefined>;

/** An empty cell is "not measured"; a NaN is written as NaN (a measured value that went wrong, never hidden). */
function format(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (Number.isNaN(v)) return 'NaN';
  return Number.isInteger(v) ? String(v) : v.toPrecision(7);
}

export class CurveWriter {
  private rows = 0;
  private constructor(readonly path: string, readonly columns: string[]) {}

  /**
   * Open `path` for appending. `keepRows` (from a checkpoint) cuts an existing file back to its header plus that
   * many rows; without it an existing file is replaced. The header is fixed on creation (`extraColumns` after
   * the standard ones); a kept file keeps its header, extended by any standard column it lacks (a curve begun
   * before that column existed), whose cells in the earlier rows stay empty.
   */
  static open(path: string, extraColumns: string[] = [], keepRows?: number): CurveWriter {
    if (keepRows !== undefined && fs.existsSync(path)) {
      const lines = fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
      if (lines.length === 0) throw new Error(`curve ${path} is empty but its checkpoint expects ${keepRows} rows`);
      if (lines.length - 1 < keepRows) {
        throw new Error(`curve ${path} has ${lines.length - 1} rows but its checkpoint expects at least ${keepRows}`);
      }
      const columns = lines[0].split(',');
      const missing = CURVE_COLUMNS.filter((c) => !columns.includes(c));
      const pad = ','.repeat(missing.length);
      const kept = missing.length === 0 ? lines.slice(0, keepRows + 1)
        : [[...columns, ...missing].join(','), ...lines.slice(1, keepRows + 1).map((l) => l + pad)];
      columns.push(...missing);
      fs.writeFileSync(path + '.tmp', kept.join('\n') + '\n');
      fs.renameSync(path + '.tmp', path);
      const w = new CurveWriter(path, columns);
      w.rows = keepRows;
      return w;
    }
    const columns = [...CURVE_COLUMNS, ...extraColumns.filter((c) => !CURVE_COLUMNS.includes(c))];
    fs.writeFileSync(path, columns.join(',') + '\n');
    return new CurveWriter(path, columns);
  }

  /** Rows written so far (stored in checkpoints). */
  get rowCount(): number {
    return this.rows;
  }

  /** Append one row; keys not in the header are ignored (listed once in the resolved config instead). */
  append(row: CurveRow): void {
    fs.appendFileSync(this.path, this.columns.map((c) => format(row[c])).join(',') + '\n');
    this.rows += 1;
  }
}

/** Parse a curve CSV into rows of numbers (null for empty cells, NaN for NaN). */
export function readCurve(path: string): Record<string, number | null>[] {
  const lines = fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const cols = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    const row: Record<string, number | null> = {};
    cols.forEach((c, i) => (row[c] = cells[i] === '' || cells[i] === undefined ? null : Number(cells[i])));
    return row;
  });
}
