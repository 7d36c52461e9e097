/** Writes a float32 NPY file the way numpy.save does: the fixtures' datasets, checked byte for byte against numpy in npy.test.ts. */
import { DataError } from '../../src/errors.js';
import { npyHeader } from '../../src/dataset/npy.js';

export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new DataError(`encodeNpy: shape (${shape.join(', ')}) holds ${count} values, data has ${data.length}`);
  }
  const header = npyHeader(shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  // Float32Array is platform-endian; every platform Node supports is little-endian.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}
