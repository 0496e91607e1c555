/**
 * Minimal NumPy .npy (format 1.0) writer and reader for float32 / uint8 / int32 arrays, so datasets open in Python
 * with `numpy.load` and no conversion.
 */
import * as fs from 'node:fs';

type Arr = Float32Array | Uint8Array | Int32Array;
const DTYPES: Record<string, string> = { Float32Array: '<f4', Uint8Array: '|u1', Int32Array: '<i4' };

export function writeNpy(file: string, data: Arr, shape: number[]): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`shape ${JSON.stringify(shape)} holds ${n} values, the array has ${data.length}`);
  const descr = DTYPES[data.constructor.name];
  if (!descr) throw new RangeError(`unsupported array type ${data.constructor.name}; accepted: ${Object.keys(DTYPES).join(', ')}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

/** A .npy file whose bytes do not hold what its header says (truncated, cut inside the header, edited). */
export class NpyFormatError extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
    this.name = 'NpyFormatError';
  }
}

const ITEM_BYTES: Record<string, number> = { '<f4': 4, '|u1': 1, '<i4': 4 };

/**
 * Read a .npy file. The header must be whole and name a supported dtype and a shape, and the data must hold exactly
 * shape's product of values (a truncated or padded file is refused, naming the file and both byte counts).
 */
export function readNpy(file: string): { data: Arr; shape: number[] } {
  const buf = fs.readFileSync(file);
  const bad = (why: string) => new NpyFormatError(file, `${file} is not a valid .npy file: ${why}`);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw bad(buf.length < 10 ? `only ${buf.length} bytes` : 'no \\x93NUMPY magic');
  const major = buf[6];
  if (major !== 1 && major !== 2 && major !== 3) throw bad(`format version ${major}.${buf[7]} (read: 1.0-3.0)`);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start) throw bad(`only ${buf.length} bytes, cut inside the preamble`);
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  if (buf.length < start + hlen) throw bad(`the header declares ${hlen} bytes, the file ends ${start + hlen - buf.length} bytes early (cut inside the header)`);
  const header = buf.toString('latin1', start, start + hlen);
  if (!header.trimEnd().endsWith('}')) throw bad(`the header does not end in '}' (damaged): ${JSON.stringify(header.slice(0, 80))}`);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeMatch = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!shapeMatch) throw bad(`the header has no shape: ${JSON.stringify(header.slice(0, 80))}`);
  const shape = shapeMatch[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!shape.every((n) => Number.isInteger(n) && n >= 0)) throw bad(`the header's shape (${shapeMatch[1]}) is not a list of sizes`);
  if (/'fortran_order':\s*True/.test(header)) throw new NpyFormatError(file, `${file}: fortran-ordered arrays are not supported`);
  const item = descr === undefined ? undefined : ITEM_BYTES[descr];
  if (item === undefined) throw new NpyFormatError(file, `${file}: unsupported dtype ${descr}; accepted: ${Object.keys(ITEM_BYTES).join(', ')}`);
  const bytes = buf.subarray(start + hlen);
  const want = shape.reduce((a, b) => a * b, 1) * item;
  if (bytes.length !== want) {
    throw bad(`shape (${shape.join(', ')}) of ${descr} needs ${want} data bytes, the file holds ${bytes.length} (${bytes.length < want ? 'truncated' : 'extra bytes'})`);
  }
  const copy = new Uint8Array(bytes).buffer;
  const data = descr === '<f4' ? new Float32Array(copy) : descr === '|u1' ? new Uint8Array(copy) : new Int32Array(copy);
  return { data, shape };
}
