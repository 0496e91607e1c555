/**
 * Sweep runner: computes a grid of cells through the result cache, one at a time, each stored atomically as it
 * finishes. Interrupted and rerun, it recomputes nothing that had finished (only missing cells run). A cell in
 * progress is claimed by a lock file with the sweep's PID (<cell>.json.claim): a second sweep of the same figure
 * skips it, and at the end waits for its result (or computes it, should the claiming process die).
 */
import { ResultCache, type CellConfig, type StoredResult } from './cache';
import { tryLock, type Lock } from '../util/lock';

/** What the runner tells about its progress (a progress bar, a log, or a test's counter). */
export interface SweepProgress {
  /** Called once before the first cell, with how many cells must be computed (the rest are cached). */
  start(total: number, label: string): void;
  /** Called after each computed cell. */
  tick(info: { done: number; total: number; config: CellConfig; wallSeconds: number }): void;
  /** Called once after the last cell. */
  finish(): void;
}

/** Options of `runSweep`. */
export interface SweepOptions {
  /** Recompute every cell. Default false. */
  force: boolean;
  /** Label shown on the progress line. Default: the first cell's figure. */
  label?: string;
  /** Default: a text progress line on stderr. */
  progress?: SweepProgress;
  cache?: ResultCache;
  /** How often (ms) to look for the result of a cell another process has claimed. Default 2000. */
  claimPollMs?: number;
}

/** What `runSweep` returns: every cell's stored result and rows, and how many were computed or reused. */
export interface SweepResult<R> {
  results: StoredResult<R>[];
  /** Flat rows of every cell, in grid order. */
  rows: R[];
  computed: number;
  reused: number;
  /** Cells another process was computing when this sweep reached them (their results were waited for). */
  waitedFor: number;
}

/** A one-line text progress report on stderr (works in a terminal and in a Jupyter stream). */
export function textProgress(stream: NodeJS.WritableStream = process.stderr): SweepProgress {
  let t0 = 0;
  let label = '';
  return {
    start(total, l) {
      t0 = Date.now();
      label = l;
      stream.write(`${label}: ${total} cell(s) to compute\n`);
    },
    tick({ done, total, wallSeconds }) {
      const elapsed = (Date.now() - t0) / 1000;
      const eta = (elapsed / done) * (total - done);
      const width = 20;
      const filled = Math.round((done / total) * width);
      stream.write(`${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} last ${wallSeconds.toFixed(1)} s, eta ${eta.toFixed(0)} s\n`);
    },
    finish() {},
  };
}

/**
 * The cells of `grid` that process `index` of `count` computes: every count-th cell from `index` on, counted over the
 * whole grid (cached cells included), so that processes started at different times never pick the same cell.
 * `spec` is "INDEX/COUNT" (0 <= INDEX < COUNT), e.g. "0/2" and "1/2" for two processes; "" keeps every cell.
 */
export function shardGrid<T>(grid: T[], spec: string): T[] {
  if (spec === '') return grid;
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index >= 0 && index < count)) {
    throw new RangeError(`--shard must be INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 0/2 and 1/2 for two processes), got '${spec}'`);
  }
  return grid.filter((_, i) => i % count === index);
}

/** Compute every cell of `grid` missing from the cache (all when `force`), then return every cell's rows. */
export async function runSweep<R>(grid: CellConfig[], compute: (config: CellConfig) => Promise<R[]>, options: Partial<SweepOptions> = {}): Promise<SweepResult<R>> {
  const cache = options.cache ?? new ResultCache();
  const progress = options.progress ?? textProgress();
  const pollMs = options.claimPollMs ?? 2000;
  const slots: (StoredResult<R> | null)[] = grid.map((c) => (options.force ? null : cache.get<R>(c)));
  const todo = slots.flatMap((s, i) => (s === null ? [i] : []));
  const claim = (i: number) => tryLock(`${cache.file(grid[i])}.claim`, `sweep cell of ${grid[i].figure}`);
  let computed = 0;
  let waitedFor = 0;
  if (todo.length > 0) {
    progress.start(todo.length, options.label ?? String(grid[0].figure));
    let done = 0;
    const run = async (i: number, lock: Lock) => {
      try {
        const t0 = Date.now();
        const rows = await compute(grid[i]);
        if (!Array.isArray(rows)) throw new TypeError(`compute for figure '${grid[i].figure}' must return an array of rows`);
        slots[i] = cache.put(grid[i], rows, (Date.now() - t0) / 1000);
      } finally {
        lock.release();
      }
      computed += 1;
      done += 1;
      progress.tick({ done, total: todo.length, config: grid[i], wallSeconds: slots[i]!.wallSeconds });
    };
    // First pass: every cell no other process is computing (a cell stored meanwhile by another sweep is reused).
    const deferred: number[] = [];
    for (const i of todo) {
      const c = claim(i);
      if (c.lock === null) {
        deferred.push(i);
        continue;
      }
      const meanwhile = options.force ? null : cache.get<R>(grid[i]);
      if (meanwhile) {
        c.lock.release();
        slots[i] = meanwhile;
        continue;
      }
      await run(i, c.lock);
    }
    // Then the cells others claimed: wait for their results, or compute them once their claim is gone unfinished.
    for (const i of deferred) {
      waitedFor += 1;
      for (;;) {
        const stored = cache.get<R>(grid[i]);
        if (stored) {
          slots[i] = stored;
          break;
        }
        const c = claim(i);
        if (c.lock !== null) {
          const now = cache.get<R>(grid[i]);
          if (now) {
            c.lock.release();
            slots[i] = now;
            break;
          }
          await run(i, c.lock);
          break;
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    }
    progress.finish();
  }
  const results = slots as StoredResult<R>[];
  return { results, rows: results.flatMap((r) => r.rows), computed, reused: grid.length - computed - waitedFor, waitedFor };
}

/**
 * Rows of every cell of `grid`, read from the stored results only (STYLE habit 5: figures are made from stored
 * results). Throws naming the first missing cell's config.
 */
export function loadStoredRows<R>(grid: CellConfig[], cache: ResultCache = new ResultCache()): R[] {
  return grid.flatMap((c) => {
    const entry = cache.inspect<R>(c);
    if (entry?.damaged) throw new Error(`${entry.damaged}; recompute it with the sweep (it is then stored again)`);
    if (!entry) throw new Error(`no stored result for ${JSON.stringify(c)} under ${cache.root}; run the sweep first`);
    return entry.stored!.rows;
  });
}

/** A plan's stored cells: their rows, how many of the planned cells are stored, and the missing cells' configs. */
export interface StoredCells<R> {
  rows: R[];
  planned: number;
  stored: number;
  missing: CellConfig[];
  /**
   * Stored offline cells whose training stopped at its final budget with validation still improving (the row's
   * `endedImproving`; for cells stored before that field, best validation at the last update, `trainSteps`).
   */
  endedImproving: CellConfig[];
}

/** Whether a stored offline cell stopped at its budget with validation still improving (see StoredCells). */
export function cellEndedImproving(config: CellConfig, rows: readonly Record<string, unknown>[]): boolean {
  if (config.kind !== 'offline') return false;
  return rows.some((r) => (typeof r.endedImproving === 'boolean' ? r.endedImproving : typeof r.bestUpdate === 'number' && r.bestUpdate === config.trainSteps));
}

/**
 * The stored cells of `grid`, missing ones left out and counted (figures at a scale that is still being computed
 * draw what is stored and say how much that is). A damaged cell throws, naming it.
 */
export function loadStoredCells<R>(grid: CellConfig[], cache: ResultCache = new ResultCache()): StoredCells<R> {
  const out: StoredCells<R> = { rows: [], planned: grid.length, stored: 0, missing: [], endedImproving: [] };
  for (const c of grid) {
    const entry = cache.inspect<R>(c);
    if (entry?.damaged) throw new Error(`${entry.damaged}; recompute it with the sweep (it is then stored again)`);
    if (!entry) {
      out.missing.push(c);
      continue;
    }
    out.stored++;
    out.rows.push(...entry.stored!.rows);
    if (cellEndedImproving(c, entry.stored!.rows as unknown as Record<string, unknown>[])) out.endedImproving.push(c);
  }
  return out;
}

/**
 * Whether a notebook computes its figure's missing cells: always at the quick profile (minutes); at the paper and
 * full profiles only with APC_COMPUTE=1, since their cells take core-hours (`npm run sweep -- --figure ID`
 * computes them in the background, resumable). Without it the notebook draws the stored cells and says how many.
 */
export function computesMissing(profile: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.APC_COMPUTE !== undefined && env.APC_COMPUTE !== '' && env.APC_COMPUTE !== '0' && env.APC_COMPUTE !== '1') {
    throw new RangeError(`APC_COMPUTE must be 0 or 1, got '${env.APC_COMPUTE}'`);
  }
  return profile === 'quick' || env.APC_COMPUTE === '1';
}

/**
 * The cells of `grid` whose fields take one of the listed values (null: any). A value that no cell has is refused,
 * naming the values the plan has.
 */
export function filterGrid(grid: CellConfig[], filters: Record<string, (string | number)[] | null>): CellConfig[] {
  let out = grid;
  for (const [key, values] of Object.entries(filters)) {
    if (values === null) continue;
    const has = [...new Set(grid.map((c) => c[key]))];
    for (const v of values) {
      if (!has.includes(v)) throw new RangeError(`${key} ${v} is not in the plan; its values: ${has.map(String).join(', ')}`);
    }
    out = out.filter((c) => values.includes(c[key] as string | number));
  }
  return out;
}
