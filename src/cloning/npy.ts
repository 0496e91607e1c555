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

export function readNpy(file: string): { data: Arr; shape: number[] } {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file} is not a .npy file`);
  const hlen = buf[6] === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = buf[6] === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: fortran-ordered arrays are not supported`);
  const bytes = buf.subarray(start + hlen);
  const copy = new Uint8Array(bytes).buffer;
  const data = descr === '<f4' ? new Float32Array(copy) : descr === '|u1' ? new Uint8Array(copy) : descr === '<i4' ? new Int32Array(copy) : null;
  if (!data) throw new Error(`${file}: unsupported dtype ${descr}`);
  return { data, shape };
}
