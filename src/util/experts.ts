/**
 * Identity of an expert checkpoint: what produced a dataset, a result cell or a cached expert return. The
 * checkpoints of a task live in <experts root>/<task>/<checkpoint>/ (`expert`: the trained expert; `half`: one at
 * about half of its return, the kickstarting teacher), each with manifest.json (config, normaliser) and weights.bin.
 * expertSha256 = sha256 of manifest.json's bytes followed by weights.bin's, i.e. what
 * `cat manifest.json weights.bin | sha256sum` prints in that folder: everything that decides the expert's actions.
 * Caches put it in their keys, so replacing an expert's weights can never reuse rows computed with other weights.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expertsRoot } from './paths';

/** The files hashed, in this order. */
export const EXPERT_HASHED_FILES = ['manifest.json', 'weights.bin'] as const;

/** The folder of `task`'s `checkpoint` ('expert', 'half', ...) under the experts root ($APC_EXPERTS_DIR). */
export function expertCheckpointDir(task: string, checkpoint = 'expert'): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(task)) throw new RangeError(`task must be a folder-safe name, got ${JSON.stringify(task)}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(checkpoint)) throw new RangeError(`expert checkpoint must be a folder-safe name such as 'expert' or 'half', got ${JSON.stringify(checkpoint)}`);
  return path.join(expertsRoot(), task, checkpoint);
}

const memo = new Map<string, { stamp: string; sha: string }>();

/** sha256 of the checkpoint folder `dir` (manifest.json then weights.bin); the error names a missing file. */
export function checkpointSha256(dir: string): string {
  const files = EXPERT_HASHED_FILES.map((f) => path.join(dir, f));
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) throw new Error(`no expert checkpoint at ${dir}: missing ${missing.map((f) => path.basename(f)).join(', ')} (a checkpoint holds ${EXPERT_HASHED_FILES.join(' and ')})`);
  const stamp = files.map((f) => { const s = fs.statSync(f); return `${s.size}:${s.mtimeMs}:${s.ino}`; }).join('|');
  const hit = memo.get(dir);
  if (hit && hit.stamp === stamp) return hit.sha;
  const h = createHash('sha256');
  for (const f of files) h.update(fs.readFileSync(f));
  const sha = h.digest('hex');
  memo.set(dir, { stamp, sha });
  return sha;
}

/** sha256 of `task`'s `checkpoint` under the experts root. */
export function expertSha256(task: string, checkpoint = 'expert'): string {
  return checkpointSha256(expertCheckpointDir(task, checkpoint));
}

/**
 * What every expert-reading result cell carries besides its settings: the checkpoint it reads and that checkpoint's
 * sha256. Both are in the cell's key, so replacing an expert's weights gives its cells new keys.
 */
export function expertFields(task: string, checkpoint = 'expert'): { expertCheckpoint: string; expertSha256: string } {
  return { expertCheckpoint: checkpoint, expertSha256: expertSha256(task, checkpoint) };
}
