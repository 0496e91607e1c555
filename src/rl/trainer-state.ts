/**
 * Resumable trainer state on disk: numbered checkpoint folders written atomically (fill a temporary folder, then
 * rename it into place), so a run killed at any moment finds either the previous or the new checkpoint whole.
 * Float arrays (value-net weights, optimiser moments) go to one binary file; everything else to JSON.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Write a folder atomically: `fill` writes into a fresh temporary sibling, which then replaces `target`. */
export async function writeDirAtomically(target: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.tmp-${path.basename(target)}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  // A folder cannot be renamed over a non-empty one: move the old one aside first, then delete it.
  const old = path.join(parent, `.old-${path.basename(target)}-${process.pid}`);
  if (fs.existsSync(target)) fs.renameSync(target, old);
  fs.renameSync(tmp, target);
  fs.rmSync(old, { recursive: true, force: true });
}

/** Checkpoint folders are named by zero-padded iteration so that lexical order is numeric order. */
export function checkpointName(iteration: number): string {
  return String(iteration).padStart(9, '0');
}

/** Completed checkpoint folders under `dir`, oldest first (temporary and half-moved folders are skipped). */
export function listCheckpoints(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => /^\d{9}$/.test(n) && fs.existsSync(path.join(dir, n, 'trainer.json')))
    .sort()
    .map((n) => path.join(dir, n));
}

export function latestCheckpoint(dir: string): string | null {
  const all = listCheckpoints(dir);
  return all.length > 0 ? all[all.length - 1] : null;
}

/** Delete all but the newest `keep` checkpoints (and stale temporary folders of this process). */
export function pruneCheckpoints(dir: string, keep: number): void {
  const all = listCheckpoints(dir);
  for (const p of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(p, { recursive: true, force: true });
}

/** Several float arrays in one little-endian float32 file; returns the lengths to store alongside. */
export function writeFloatArrays(file: string, arrays: ArrayLike<number>[]): number[] {
  const total = arrays.reduce((a, x) => a + x.length, 0);
  const buf = new Float32Array(total);
  let o = 0;
  for (const x of arrays) {
    buf.set(x, o);
    o += x.length;
  }
  fs.writeFileSync(file, Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  return arrays.map((x) => x.length);
}

export function readFloatArrays(file: string, lengths: number[]): Float32Array[] {
  const b = fs.readFileSync(file);
  const total = lengths.reduce((a, n) => a + n, 0);
  if (b.byteLength !== total * 4) throw new Error(`${file} holds ${b.byteLength / 4} floats, its manifest lists ${total}`);
  const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const out: Float32Array[] = [];
  let o = 0;
  for (const n of lengths) {
    out.push(all.slice(o, o + n));
    o += n;
  }
  return out;
}
