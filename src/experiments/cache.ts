/**
 * The result cache (DESIGN "Run config" and "Result"): every computed cell is stored as
 * data/results/<figure>/<key>.json holding the fully resolved config, the code version and the result rows.
 * key = sha256(canonical JSON of { config, codeVersion }), so a changed config or code version recomputes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resultsRoot, writeFileAtomic } from './paths';
import { canonicalJson, readJsonFile } from '../util/json';

/**
 * Bump when a code change alters what a stored result would contain (learner, env, evaluation); every cached
 * result is then recomputed. Stored next to each result.
 */
export const CODE_VERSION = 'apc-repro/results-v1';

/** One measured row (DESIGN "Result"); figures are drawn only from these. */
export interface ResultRow {
  figure: string;
  task: string;
  method: string;
  /** The x axis of the figure: trajectories, env steps, ... (named by the figure's config). */
  x: number;
  seed: number;
  return: number;
  [extra: string]: string | number | boolean | null;
}

/** A config that can key the cache: plain JSON data naming its figure. */
export interface CellConfig {
  figure: string;
  [field: string]: unknown;
}

/** A stored result cell: its key, figure, code version, config and rows, with when and how long it took. */
export interface StoredResult<R = ResultRow> {
  key: string;
  figure: string;
  codeVersion: string;
  config: CellConfig;
  rows: R[];
  /** ISO time the computation finished, and how long it took. */
  finishedAt: string;
  wallSeconds: number;
}

export { canonicalJson } from '../util/json';

/** The cache key of a cell: a hash of its canonical JSON config and the code version. */
export function configKey(config: CellConfig, codeVersion: string = CODE_VERSION): string {
  return createHash('sha256').update(canonicalJson({ config, codeVersion })).digest('hex');
}

function checkFigure(figure: unknown): string {
  if (typeof figure !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(figure)) {
    throw new TypeError(`config.figure must be a folder-safe name (letters, digits, . _ -), got ${JSON.stringify(figure)}`);
  }
  return figure;
}

/**
 * Fields that may hold null, by figure: what a cell does not measure. The validation-only choice of sigma_s and M
 * (select-cloning) evaluates no return; its rows carry validationMse / validationNll instead.
 */
const NOT_MEASURED: Record<string, string[]> = { 'select-cloning': ['return'] };

/**
 * What is wrong with `rows` as result rows of `figure`, or null: a row must be an object, and none of its values may
 * be NaN, +-Infinity or null (JSON writes NaN as null, which would read back as "not measured"), except a field the
 * figure does not measure (NOT_MEASURED).
 */
export function badRows(figure: string, rows: unknown[]): string | null {
  const allowed = NOT_MEASURED[figure] ?? [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return `row ${i} is not an object (${JSON.stringify(r)})`;
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      if (v === null && !allowed.includes(k)) return `row ${i} field '${k}' is null (a NaN written as JSON, or not measured)`;
      if (typeof v === 'number' && !Number.isFinite(v)) return `row ${i} field '${k}' is ${v}`;
    }
  }
  return null;
}

/** What a cache file holds: a result, or why it cannot be used (damaged), or nothing (no file). */
export type CacheEntry<R> = { stored: StoredResult<R>; damaged: null } | { stored: null; damaged: string } | null;

/** The result cache: one JSON file per cell under <root>/<figure>/<key>.json, written atomically. */
export class ResultCache {
  /** Where damaged cells are reported (they are then recomputed). Default: stderr. */
  warn: (line: string) => void = (line) => process.stderr.write(line + '\n');

  constructor(readonly root: string = resultsRoot(), readonly codeVersion: string = CODE_VERSION) {}

  /** Read and check one cache file: valid JSON, a result's fields, rows without NaN / null; never throws for damage. */
  private readFile<R>(f: string): CacheEntry<R> {
    if (!fs.existsSync(f)) return null;
    let stored: StoredResult<R>;
    try {
      stored = readJsonFile<StoredResult<R>>(f, 'result cell');
    } catch (e) {
      return { stored: null, damaged: (e as Error).message };
    }
    if (!stored || typeof stored !== 'object' || !Array.isArray(stored.rows) || !stored.config || typeof stored.codeVersion !== 'string') {
      return { stored: null, damaged: `result cell ${f} is damaged (it lacks rows, config or codeVersion)` };
    }
    const bad = badRows(String(stored.figure ?? stored.config.figure), stored.rows);
    if (bad) return { stored: null, damaged: `result cell ${f} is damaged: ${bad}` };
    return { stored, damaged: null };
  }

  /** The stored result of `config`, or why its file cannot be used; null when none is stored. */
  inspect<R = ResultRow>(config: CellConfig): CacheEntry<R> {
    const f = this.file(config);
    const entry = this.readFile<R>(f);
    if (entry?.stored && canonicalJson(entry.stored.config) !== canonicalJson(config)) {
      return { stored: null, damaged: `result cell ${f} holds a different config (hash collision or edited file)` };
    }
    return entry;
  }

  /** The file that holds (or will hold) the result of `config`. */
  file(config: CellConfig): string {
    return path.join(this.root, checkFigure(config.figure), `${configKey(config, this.codeVersion)}.json`);
  }

  /**
   * The stored result of `config`, or null when none is stored. A damaged file (truncated, edited, rows holding NaN
   * or null) is reported through `warn` and read as missing, so that it is recomputed; it is never loaded.
   */
  get<R = ResultRow>(config: CellConfig): StoredResult<R> | null {
    const entry = this.inspect<R>(config);
    if (entry === null) return null;
    if (entry.damaged !== null) {
      this.warn(`${entry.damaged}; it will be recomputed`);
      return null;
    }
    return entry.stored;
  }

  /** Store `rows` of `config`. Rows holding NaN, +-Infinity or null are refused (no result row holds them). */
  put<R>(config: CellConfig, rows: R[], wallSeconds: number): StoredResult<R> {
    const bad = badRows(config.figure, rows);
    if (bad) throw new RangeError(`refusing to store the rows of ${canonicalJson(config)}: ${bad}`);
    const stored: StoredResult<R> = {
      key: configKey(config, this.codeVersion),
      figure: config.figure,
      codeVersion: this.codeVersion,
      config,
      rows,
      finishedAt: new Date().toISOString(),
      wallSeconds,
    };
    writeFileAtomic(this.file(config), JSON.stringify(stored, null, 1) + '\n');
    return stored;
  }

  /** Every stored result of `figure` under the current code version; throws naming the first damaged cell file. */
  list<R = ResultRow>(figure: string): StoredResult<R>[] {
    const dir = path.join(this.root, checkFigure(figure));
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => {
        const entry = this.readFile<R>(path.join(dir, f))!;
        if (entry.damaged !== null) throw new Error(`${entry.damaged}; recompute it with npm run sweep -- --figure ${figure}`);
        return entry.stored;
      })
      .filter((s) => s.codeVersion === this.codeVersion);
  }
}

/** Options of `cached`. */
export interface CachedOptions {
  /** Recompute even when a stored result exists (it is then overwritten). Default false. */
  force: boolean;
  /** Default: a ResultCache at resultsRoot(). */
  cache?: ResultCache;
}

/** The stored rows of `config`, computing and storing them first when missing (or when `force`). */
export async function cached<R>(config: CellConfig, compute: (config: CellConfig) => Promise<R[]>, options: Partial<CachedOptions> = {}): Promise<R[]> {
  const cache = options.cache ?? new ResultCache();
  if (!options.force) {
    const hit = cache.get<R>(config);
    if (hit) return hit.rows;
  }
  const t0 = Date.now();
  const rows = await compute(config);
  if (!Array.isArray(rows)) throw new TypeError(`compute for figure '${config.figure}' must return an array of rows`);
  cache.put(config, rows, (Date.now() - t0) / 1000);
  return rows;
}
