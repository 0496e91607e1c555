/**
 * Reading JSON files so that a damaged one is named: every parse error says which file it was and what kind of file
 * (a truncated result cell, trainer.json, a manifest), never just "position 100"; and canonical JSON (sorted keys),
 * the stable hash input of cache keys and dataset ids. Not a paper component.
 */
import * as fs from 'node:fs';

/** A file that exists but cannot be read as what it claims to be (truncated, edited, half-written). */
export class CorruptFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
    this.name = 'CorruptFileError';
  }
}

/** JSON.parse of `file`; a parse error becomes a CorruptFileError naming the file (and `what` it should be). */
export function readJsonFile<T = unknown>(file: string, what = 'JSON file'): T {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new CorruptFileError(file, `${what} ${file} is damaged (not valid JSON: ${(e as Error).message}; ${text.length} bytes)`);
  }
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
