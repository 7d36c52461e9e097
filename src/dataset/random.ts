/**
 * Seeded random inputs (gate.yml `dataset: { random: { shape, dtype, range, count, seed } }`): any
 * model measurable with no files. The values are never written: every reader generates them on
 * the fly, TypeScript here and the Python harness (harness/bench.py `random_values`) with the same
 * counter-based generator, so both feed byte-identical tensors and any chunk is generated without
 * the ones before it.
 *
 * The generator (version 1), for element i of the whole set (sample s, offset j: i = s·size + j,
 * i < 2^32) and a seed 0 ≤ seed < 2^32, all in unsigned 32-bit arithmetic:
 *   fmix32(x)  = murmur3's finaliser: x ^= x >> 16; x *= 0x85EBCA6B; x ^= x >> 13; x *= 0xC2B2AE35; x ^= x >> 16
 *   h          = fmix32(fmix32(i + seed · 0x9E3779B9) ^ seed)
 *   u          = (h >> 8) · 2^−24                       (24 bits: uniform on [0, 1), float64)
 *   value      = float32(lo + u · (hi − lo))            (float64 arithmetic, then rounded once)
 */
import { DataError } from '../errors.js';

export const RANDOM_GENERATOR = 'fmix32-counter@1';

export interface RandomSpec {
  range: [number, number];
  seed: number;
}

function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Elements first … first + out.length − 1 of the set into `out`. */
export function randomValues(spec: RandomSpec, first: number, out: Float32Array): void {
  const [lo, hi] = spec.range;
  const span = hi - lo;
  if (first + out.length > 2 ** 32) throw new DataError(`random inputs: more than 2^32 values (element ${first + out.length - 1})`);
  const seed = spec.seed >>> 0;
  const offset = Math.imul(seed, 0x9e3779b9) >>> 0;
  for (let k = 0; k < out.length; k++) {
    const h = fmix32(fmix32(((first + k + offset) >>> 0) | 0) ^ seed);
    out[k] = lo + (h >>> 8) * 2 ** -24 * span;
  }
}
