/**
 * Reading JSON files so that a damaged one is named: every parse error says which file it was and what kind of file
 * (a truncated result cell, trainer.json, a manifest), never just "position 100". Not a paper component.
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
