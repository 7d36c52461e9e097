/**
 * NumPy .npy files (format versions 1.0, 2.0, 3.0), little-endian, C order.
 * Layout (numpy/lib/format.py): magic `\x93NUMPY`, major, minor, header length (uint16 for
 * v1, uint32 for v2/v3), a Python dict literal header padded with spaces and ended by '\n',
 * then the raw array data.
 */
import { DataError } from '../errors.js';

export type NpyDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8';
export type NpyData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy `descr` → our dtype; '|' and '=' are byte-order neutral only for 1-byte types. */
const DESCR: Record<string, { dtype: NpyDtype; bytes: number }> = {
  '<f4': { dtype: 'float32', bytes: 4 },
  '<f8': { dtype: 'float64', bytes: 8 },
  '<i8': { dtype: 'int64', bytes: 8 },
  '<i4': { dtype: 'int32', bytes: 4 },
  '|u1': { dtype: 'uint8', bytes: 1 },
  '<u1': { dtype: 'uint8', bytes: 1 },
};

export function readNpy(buf: Uint8Array, file: string): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    throw new DataError(`${file}: not an NPY file (expected the magic bytes "\\x93NUMPY" at the start)`);
  }
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new DataError(`${file}: truncated NPY header`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new DataError(`${file}: unsupported NPY format version ${major}.${buf[7]} (expected 1.0, 2.0 or 3.0)`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) throw new DataError(`${file}: truncated NPY header`);
  // v3 headers are UTF-8, v1/v2 latin1; the fields we read are ASCII either way.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(headerStart, dataStart));

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(`${file}: malformed NPY header (expected 'descr', 'fortran_order' and 'shape'): ${header.trim()}`);
  }
  const type = DESCR[descr];
  if (!type) {
    throw new DataError(
      `${file}: unsupported NPY dtype '${descr}' (expected little-endian float32 '<f4', float64 '<f8', int64 '<i8', int32 '<i4' or uint8 '|u1')`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw new DataError(`${file}: bad NPY shape (${shapeText})`);
      return n;
    });
  // Fortran order only differs from C order when more than one axis is longer than 1.
  if (fortran === 'True' && shape.filter((d) => d > 1).length > 1) {
    throw new DataError(`${file}: NPY array is in Fortran order (expected C order: save it with numpy.ascontiguousarray)`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = count * type.bytes;
  if (buf.length - dataStart < bytes) {
    throw new DataError(
      `${file}: NPY data truncated: shape (${shape.join(', ')}) of ${type.dtype} needs ${bytes} bytes, file has ${buf.length - dataStart}`,
    );
  }
  return { dtype: type.dtype, shape, data: typedView(buf, buf.byteOffset + dataStart, count, type.dtype) };
}

/** A typed view when the data is aligned (the usual case for a file read whole), else a copy. */
function typedView(buf: Uint8Array, offset: number, count: number, dtype: NpyDtype): NpyData {
  const Ctor = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array, uint8: Uint8Array }[dtype];
  const size = Ctor.BYTES_PER_ELEMENT;
  if (offset % size === 0) return new Ctor(buf.buffer as ArrayBuffer, offset, count);
  const copy = new Uint8Array(count * size);
  copy.set(buf.subarray(offset - buf.byteOffset, offset - buf.byteOffset + count * size));
  return new Ctor(copy.buffer, 0, count);
}

/** The v1.0 header for a float32 C-order array, padded so the data starts at a multiple of 64. */
export function npyHeader(shape: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads to 64 bytes (format.py ARRAY_ALIGN) so the data can be memory-mapped aligned.
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, ' ') + '\n';
  if (dict.length > 0xffff) throw new DataError(`NPY header too long for format 1.0 (shape ${shapeText})`);
  const out = new Uint8Array(10 + dict.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  return out;
}

/** Any numeric NPY array as float32 (prepared datasets are float32 throughout). */
export function toFloat32(arr: NpyArray): Float32Array {
  if (arr.data instanceof Float32Array) return arr.data;
  if (arr.data instanceof BigInt64Array) return Float32Array.from(arr.data, (v) => Number(v));
  return Float32Array.from(arr.data);
}
