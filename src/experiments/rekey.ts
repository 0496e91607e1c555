/**
 * Migration of stored cells to expert-keyed configs (`npm run sweep -- --rekey`). Cells computed before result keys
 * named the expert's weights hold no `expertCheckpoint` / `expertSha256`; each is rewritten under the key its config
 * has with the sha256 of the checkpoint it read *as committed now* (data/experts/<task>/expert), and marked so:
 * `migratedSha: true`, `rekeyedAt`, `previousKey`. Its rows are kept as measured; Figure 3's rows gain the derived
 * label column `r` (the paper's compression ratio, from the config's torso widths), listed in `addedRowFields`.
 * Cells whose protocol has since changed (Figure 6's kickstarting) and cells that read no expert file (Figure 1's
 * toy) are left as they are. Offline BC cells planned with APC's sigma_s, M and form of sigma_s lose those fields
 * (`droppedConfigFields`): BC perturbs nothing, so its rows do not depend on them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResultCache, configKey, type CellConfig, type StoredResult } from './cache';
import { BC_IGNORED_FIELDS, compressionR, expertTorsoOf } from './figures';
import { writeFileAtomic } from './paths';
import { expertSha256 } from '../util/experts';
import { DEFAULT_CLONING } from '../cloning/config';
import { offlineValidateEvery } from '../cloning/experiment';

/** Cell kinds that read the task's `expert/` checkpoint and whose protocol is unchanged since they were stored. */
const MIGRATED_KINDS = ['offline', 'dagger', 'select'];

/** What happened to one stored cell in `rekeyStoredResults`. */
export interface RekeyOutcome {
  figure: string;
  file: string;
  action: 'rekeyed' | 'already-keyed' | 'skipped';
  reason?: string;
  newKey?: string;
}

/** Rewrite every stored cell under `cache.root` (or only `figures`) to its expert-keyed config; `dryRun` writes nothing. */
export function rekeyStoredResults(options: { cache?: ResultCache; figures?: string[]; dryRun?: boolean; now?: Date } = {}): RekeyOutcome[] {
  const cache = options.cache ?? new ResultCache();
  const root = cache.root;
  if (!fs.existsSync(root)) return [];
  const figures = options.figures ?? fs.readdirSync(root).filter((f) => fs.statSync(path.join(root, f)).isDirectory()).sort();
  const at = (options.now ?? new Date()).toISOString();
  const out: RekeyOutcome[] = [];
  for (const figure of figures) {
    const dir = path.join(root, figure);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const file = path.join(dir, name);
      let stored: StoredResult<Record<string, unknown>> & Record<string, unknown>;
      try {
        stored = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        out.push({ figure, file, action: 'skipped', reason: `unreadable (${e instanceof Error ? e.message : String(e)})` });
        continue;
      }
      const config = stored.config as CellConfig;
      const skip = (reason: string) => out.push({ figure, file, action: 'skipped', reason });
      if (stored.codeVersion !== cache.codeVersion) { skip(`code version ${stored.codeVersion}, not ${cache.codeVersion}`); continue; }
      const needsSha = typeof config?.expertSha256 !== 'string';
      // An offline BC cell planned with APC's sigma_s and M: BC perturbs nothing, so its rows stand without them.
      const dropped = config?.kind === 'offline' && config.method === 'bc' ? BC_IGNORED_FIELDS.filter((k) => k in config) : [];
      if (!needsSha && dropped.length === 0) { out.push({ figure, file, action: 'already-keyed' }); continue; }
      let next: CellConfig = { ...config };
      if (needsSha) {
        if (!MIGRATED_KINDS.includes(String(config?.kind))) {
          skip(config?.kind === 'kickstart' ? 'Figure 6 protocol changed (half expert, true task): recompute, not migrate' : 'reads no expert checkpoint');
          continue;
        }
        if (typeof config.task !== 'string') { skip('config names no task'); continue; }
        let sha: string;
        try {
          sha = expertSha256(config.task, 'expert');
        } catch (e) {
          skip(e instanceof Error ? e.message : String(e));
          continue;
        }
        next = { ...next, expertCheckpoint: 'expert', expertSha256: sha };
      }
      for (const k of dropped) delete next[k];
      const addedRowFields: string[] = [];
      let rows = stored.rows;
      if (Array.isArray(config.studentTorso)) {
        const r = compressionR(expertTorsoOf(String(config.task)), config.studentTorso.map(Number));
        if (rows.some((row) => row.r === undefined)) {
          rows = rows.map((row) => (row.r === undefined ? { ...row, r } : row));
          addedRowFields.push('r');
        }
      }
      const newKey = configKey(next, cache.codeVersion);
      const target = cache.file(next);
      if (!options.dryRun) {
        if (fs.existsSync(target)) {
          skip(`a cell with the new key already exists (${path.basename(target)}); the old file is left in place`);
          continue;
        }
        const migrated = {
          ...stored, key: newKey, config: next, rows, ...(needsSha ? { migratedSha: true } : {}), rekeyedAt: at, previousKey: stored.key,
          ...(addedRowFields.length > 0 ? { addedRowFields } : {}), ...(dropped.length > 0 ? { droppedConfigFields: dropped } : {}),
        };
        writeFileAtomic(target, JSON.stringify(migrated, null, 1) + '\n');
        if (path.resolve(target) !== path.resolve(file)) fs.rmSync(file);
      }
      out.push({ figure, file, action: 'rekeyed', newKey });
    }
  }
  return out;
}

/** What happened to one planned cell in `rekeyToUntilConverged`. */
export interface UntilConvergedOutcome {
  figure: string;
  /** The stored cell's file under the old key (without extendWhileImproving). */
  file: string;
  /**
   * 'migrated': it stopped on patience, so training until convergence gives the same rows; stored under the new key.
   * 'recompute': it reached its budget, where the new rule trains on; left in place until the sweep recomputes it.
   * 'superseded': the new key's cell is stored; the old file was removed.
   */
  action: 'migrated' | 'recompute' | 'superseded';
  newKey: string;
}

/**
 * Move stored offline cells to the rule "train until validation stops improving" (figures.ts offlineBudget), which
 * adds `extendWhileImproving` to the configs of `plans`' cells. The trainer's extension acts only where training
 * reaches its budget with patience left (trainer.ts), so a cell that stopped on patience before its budget
 * (best validation at update b <= trainSteps - patience x validateEvery) has exactly the rows the new config
 * computes: it is rewritten under the new key with the row fields the trainer now reports (`updates` =
 * b + patience x validateEvery, `stoppedBy` 'patience', `endedImproving` false; listed in `addedRowFields`) and
 * marked `rekeyedAt`, `previousKey`, `addedConfigFields`. A cell that reached its budget must be recomputed: it is
 * left in place (not in the plan, so not drawn) and removed once its recomputed cell is stored. `dryRun` writes nothing.
 */
export function rekeyToUntilConverged(plans: { id: string; grid: CellConfig[] }[], options: { cache?: ResultCache; dryRun?: boolean; now?: Date } = {}): UntilConvergedOutcome[] {
  const cache = options.cache ?? new ResultCache();
  const at = (options.now ?? new Date()).toISOString();
  const patience = DEFAULT_CLONING.patience!;
  const out: UntilConvergedOutcome[] = [];
  for (const plan of plans) {
    for (const config of plan.grid) {
      if (config.kind !== 'offline' || config.extendWhileImproving === undefined) continue;
      const old: CellConfig = { ...config };
      delete old.extendWhileImproving;
      const oldFile = cache.file(old);
      const entry = cache.inspect<Record<string, unknown>>(old);
      if (!entry?.stored) continue;
      const newKey = configKey(config, cache.codeVersion);
      const base = { figure: plan.id, file: oldFile, newKey };
      if (cache.inspect(config)?.stored) {
        if (!options.dryRun) fs.rmSync(oldFile);
        out.push({ ...base, action: 'superseded' });
        continue;
      }
      const trainSteps = Number(config.trainSteps);
      const validateEvery = offlineValidateEvery(trainSteps);
      const rows = entry.stored.rows;
      const early = rows.length > 0 && rows.every((r) => typeof r.bestUpdate === 'number' && r.bestUpdate + patience * validateEvery <= trainSteps);
      if (!early) {
        out.push({ ...base, action: 'recompute' });
        continue;
      }
      if (!options.dryRun) {
        const migrated = {
          ...entry.stored, key: newKey, config,
          rows: rows.map((r) => ({ ...r, updates: (r.bestUpdate as number) + patience * validateEvery, stoppedBy: 'patience', endedImproving: false })),
          rekeyedAt: at, previousKey: entry.stored.key, addedConfigFields: ['extendWhileImproving'], addedRowFields: ['updates', 'stoppedBy', 'endedImproving'],
        };
        writeFileAtomic(cache.file(config), JSON.stringify(migrated, null, 1) + '\n');
        fs.rmSync(oldFile);
      }
      out.push({ ...base, action: 'migrated' });
    }
  }
  return out;
}
