/**
 * The result cache (DESIGN "Run config" and "Result"): every computed cell is stored as
 * data/results/<figure>/<key>.json holding the fully resolved config, the code version and the result rows.
 * key = sha256(canonical JSON of { config, codeVersion }), so a changed config or code version recomputes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resultsRoot, writeFileAtomic } from './paths';

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

/** JSON with object keys sorted at every level (a stable hash input); rejects non-JSON values. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`config holds a non-finite number (${v})`);
    if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') {
      throw new TypeError(`config holds a ${typeof v}; configs must be plain JSON data`);
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

export function configKey(config: CellConfig, codeVersion: string = CODE_VERSION): string {
  return createHash('sha256').update(canonicalJson({ config, codeVersion })).digest('hex');
}

function checkFigure(figure: unknown): string {
  if (typeof figure !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(figure)) {
    throw new TypeError(`config.figure must be a folder-safe name (letters, digits, . _ -), got ${JSON.stringify(figure)}`);
  }
  return figure;
}

export class ResultCache {
  constructor(readonly root: string = resultsRoot(), readonly codeVersion: string = CODE_VERSION) {}

  file(config: CellConfig): string {
    return path.join(this.root, checkFigure(config.figure), `${configKey(config, this.codeVersion)}.json`);
  }

  get<R = ResultRow>(config: CellConfig): StoredResult<R> | null {
    const f = this.file(config);
    if (!fs.existsSync(f)) return null;
    const stored = JSON.parse(fs.readFileSync(f, 'utf8')) as StoredResult<R>;
    if (canonicalJson(stored.config) !== canonicalJson(config)) throw new Error(`cache file ${f} holds a different config (hash collision or edited file)`);
    return stored;
  }

  put<R>(config: CellConfig, rows: R[], wallSeconds: number): StoredResult<R> {
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

  /** Every stored result of `figure` under the current code version. */
  list<R = ResultRow>(figure: string): StoredResult<R>[] {
    const dir = path.join(this.root, checkFigure(figure));
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as StoredResult<R>)
      .filter((s) => s.codeVersion === this.codeVersion);
  }
}

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
