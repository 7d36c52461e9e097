import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { readNpy } from '../../src/dataset/npy.js';
import { encodeNpy } from '../helpers/npy.js';

// Bytes written by numpy 2.4 `np.save` (the format users' NPY files come in).
const NUMPY = {
  f4_2x3:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPgAAAD8AAEA/AACAPwAAoD8=',
  i8_2x2:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAAAAAP7/////////AwAAAAAAAAAEAAAAAAAAAA==',
  u1_3: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAv8=',
  bigEndian:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAA',
};
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** An NPY v1.0 file with an arbitrary header dict, for foreign inputs numpy can also write. */
function npyWithHeader(dict: string, data = new Uint8Array(16), major = 1): Uint8Array {
  const text = dict.padEnd(Math.ceil((dict.length + 13) / 64) * 64 - 11, ' ') + '\n';
  const pre = major === 1 ? 10 : 12;
  const out = new Uint8Array(pre + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(Buffer.from(text, 'latin1'), pre);
  out.set(data, pre + text.length);
  return out;
}

describe('readNpy', () => {
  it('reads what numpy wrote', () => {
    const f = readNpy(bytes(NUMPY.f4_2x3), 'a.npy');
    expect(f).toMatchObject({ dtype: 'float32', shape: [2, 3] });
    expect(Array.from(f.data as Float32Array)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);

    const i = readNpy(bytes(NUMPY.i8_2x2), 'b.npy');
    expect(i).toMatchObject({ dtype: 'int64', shape: [2, 2] });
    expect(Array.from(i.data as BigInt64Array)).toEqual([1n, -2n, 3n, 4n]);

    const u = readNpy(bytes(NUMPY.u1_3), 'c.npy');
    expect(u).toMatchObject({ dtype: 'uint8', shape: [3] });
    expect(Array.from(u.data as Uint8Array)).toEqual([1, 2, 255]);
  });

  it('writes byte for byte what numpy writes', () => {
    const data = Float32Array.from([0, 0.25, 0.5, 0.75, 1, 1.25]);
    expect(Buffer.from(encodeNpy(data, [2, 3])).toString('base64')).toBe(NUMPY.f4_2x3);
  });

  it.each([
    [[1], 1],
    [[3, 4], 12],
    [[2, 3, 48, 320], 2 * 3 * 48 * 320],
    [[5, 1, 1, 1], 5],
  ])('round-trips shape %j', (shape, count) => {
    const data = Float32Array.from({ length: count }, (_, k) => Math.sin(k) * 1e3);
    const file = encodeNpy(data, shape);
    expect((10 + new DataView(file.buffer).getUint16(8, true)) % 64).toBe(0); // data aligned like numpy's
    const back = readNpy(file, 'x.npy');
    expect(back.shape).toEqual(shape);
    expect(back.data).toEqual(data);
  });

  it('reads an unaligned buffer (a slice of a larger file)', () => {
    const file = encodeNpy(Float32Array.from([1.5, -2.5]), [2]);
    const holder = new Uint8Array(file.length + 3);
    holder.set(file, 3);
    expect(Array.from(readNpy(holder.subarray(3), 'x.npy').data as Float32Array)).toEqual([1.5, -2.5]);
  });

  it('reads format 2.0 headers', () => {
    const data = new Uint8Array(new Float32Array([7, 8]).buffer);
    const file = npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data, 2);
    expect(Array.from(readNpy(file, 'v2.npy').data as Float32Array)).toEqual([7, 8]);
  });

  it.each([
    ['big-endian float32', bytes(NUMPY.bigEndian), /unsupported NPY dtype '>f4'/],
    ['complex', npyWithHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }"), /unsupported NPY dtype '<c8'/],
    ['object arrays', npyWithHeader("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"), /unsupported NPY dtype '\|O'/],
    ['float16', npyWithHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }"), /unsupported NPY dtype '<f2'/],
    ['Fortran order', npyWithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), /Fortran order/],
    ['a missing shape', npyWithHeader("{'descr': '<f4', 'fortran_order': False, }"), /malformed NPY header/],
    ['truncated data', npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }"), /needs 36 bytes, file has 16/],
    ['not an NPY file', new TextEncoder().encode('image,label\n'), /not an NPY file/],
    ['format 9.0', npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8), 9), /version 9\.0/],
  ])('rejects %s with a DataError naming the file', (_name, buf, message) => {
    expect(() => readNpy(buf, 'inputs/foreign.npy')).toThrow(DataError);
    expect(() => readNpy(buf, 'inputs/foreign.npy')).toThrow(message);
    expect(() => readNpy(buf, 'inputs/foreign.npy')).toThrow(/^inputs\/foreign\.npy: /);
  });

  it('refuses to encode data that does not fill the shape', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/holds 6 values, data has 5/);
  });
});
