/**
 * The package root (the folder holding apc-repro's package.json), found by walking up from this compiled file, so
 * paths do not depend on the working directory (notebooks run with notebooks/ as their cwd).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';

let root: string | null = null;

/** The package root: the folder holding apc-repro's package.json. */
export function packageRoot(): string {
  if (root !== null) return root;
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'apc-repro') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json of apc-repro above ${__dirname}`);
    dir = up;
  }
}

/** Trained experts: $APC_EXPERTS_DIR or <package>/data/experts; the checkpoint of `task` is <dir>/<task>/expert. */
export function expertsRoot(): string {
  return process.env.APC_EXPERTS_DIR ? path.resolve(process.env.APC_EXPERTS_DIR) : path.join(packageRoot(), 'data', 'experts');
}

/** Cached expert datasets: $APC_DATASETS_DIR or <package>/data/datasets. */
export function datasetsRoot(): string {
  return process.env.APC_DATASETS_DIR ? path.resolve(process.env.APC_DATASETS_DIR) : path.join(packageRoot(), 'data', 'datasets');
}

/** Evaluations written by `evaluate` without --out: $APC_EVALUATIONS_DIR or <package>/data/evaluations (git ignores it). */
export function evaluationsRoot(): string {
  return process.env.APC_EVALUATIONS_DIR ? path.resolve(process.env.APC_EVALUATIONS_DIR) : path.join(packageRoot(), 'data', 'evaluations');
}

let tmpCount = 0;

/** A suffix for a temporary name that no concurrent writer shares: pid, thread id and a per-thread counter. */
export function tmpSuffix(): string {
  return `${process.pid}.${threadId}.${++tmpCount}`;
}

/**
 * Write `text` to `file` atomically: a temporary file in the same folder (tmpSuffix), then rename. Readers see the
 * old file or the new one, never a part.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${tmpSuffix()}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
