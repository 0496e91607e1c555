/**
 * Late-bound access to library pieces that other layers provide (cloning trainers, RL trainers). A figure whose
 * piece is not in this build fails with a message naming the missing file and export, never with invented data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Thrown when a figure needs a library piece that is not built yet. */
export class MissingPieceError extends Error {
  constructor(readonly piece: string, readonly exportName: string, readonly purpose: string, detail = '') {
    super(`${purpose} needs \`${exportName}\` from src/${piece}.ts, which is not in this build${detail ? ` (${detail})` : ''}. ` +
      'No numbers are drawn without it.');
    this.name = 'MissingPieceError';
  }
}

/** `exportName` of src/<piece> (compiled next to this folder), or a MissingPieceError. */
export function requirePiece<T = unknown>(piece: string, exportName: string, purpose: string): T {
  const file = path.join(__dirname, '..', `${piece}.js`);
  if (!fs.existsSync(file)) throw new MissingPieceError(piece, exportName, purpose);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mod = require(file) as Record<string, unknown>;
  if (!(exportName in mod)) throw new MissingPieceError(piece, exportName, purpose, `the module exports ${Object.keys(mod).join(', ') || 'nothing'}`);
  return mod[exportName] as T;
}
