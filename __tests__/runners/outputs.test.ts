/**
 * Raw predictions of a generic model (runners/outputs.ts): sha256 over floor(v·1e4 + 0.5) as
 * little-endian int64, the same bytes as bench.py's numpy path. The int64 bytes are written as two
 * 32-bit halves for speed; here against the definition itself (a BigInt per value), on every kind
 * of float32 — tiny, negative, around the rounding point, and up to int64's range.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestBytes } from '../../src/runners/outputs.js';

function byDefinition(values: Float32Array): Uint8Array {
  const bytes = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => bytes.writeBigInt64LE(BigInt(Math.floor(v * 1e4 + 0.5)), i * 8));
  return new Uint8Array(bytes);
}

describe('digestBytes', () => {
  it('equals the BigInt definition for every float32 whose scaled value fits int64', () => {
    const limit = Math.fround(9.2e14); // ·1e4 stays below 2^63
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -limit, max: limit }), { maxLength: 64 }), (xs) => {
        const values = Float32Array.from(xs);
        expect(digestBytes(values)).toEqual(byDefinition(values));
      }),
      { numRuns: 2000 },
    );
    const edges = Float32Array.from([
      0, -0, 0.00005, -0.00005, -0.00015, 1e-30, -1e-30, 0.5, -0.5, 429496.7295, -429496.7296, 1e14, -1e14, 9e14, -9e14,
    ]);
    expect(digestBytes(edges)).toEqual(byDefinition(edges));
  });

  it('refuses what int64 cannot hold, as the BigInt write does', () => {
    expect(() => digestBytes(Float32Array.from([1e20]))).toThrow(RangeError);
    expect(() => byDefinition(Float32Array.from([1e20]))).toThrow(RangeError);
  });
});
