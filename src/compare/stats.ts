/**
 * The statistics of a comparison: a bootstrap interval for timings (rounds are the unit, because
 * run-to-run noise dominates within-run spread), an exact paired test for accuracy, and how many
 * samples a given accuracy change needs.
 */
import { binomialHalfCdf, normalQuantile, percentile } from '../measure/stats.js';

/** mulberry32: a tiny seeded PRNG so the same data always gives the same interval. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function medianOf(values: number[], scratch: number[]): number {
  for (let i = 0; i < values.length; i++) scratch[i] = values[i]!;
  scratch.sort((a, b) => a - b);
  return percentile(scratch, 50);
}

/**
 * Ratio of medians head/base of per-round values with a percentile-bootstrap interval: each side
 * resampled independently with replacement (`resamples` times, default 10,000; level default
 * 0.95; seed default 1). Deterministic for a given seed. Throws on an empty side; a base median
 * of 0 gives an infinite ratio, which callers must not feed (compare/ falls back to the point rule).
 */
export function bootstrapRatioCI(
  base: number[],
  head: number[],
  opts: { level?: number; resamples?: number; seed?: number } = {},
): { ratio: number; lo: number; hi: number } {
  if (base.length === 0 || head.length === 0) throw new RangeError('bootstrapRatioCI needs values on both sides');
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 10_000;
  const next = prng(opts.seed ?? 1);
  const sb = new Array<number>(base.length);
  const sh = new Array<number>(head.length);
  const ratio = medianOf(head, sh) / medianOf(base, sb);
  const rb = new Array<number>(base.length);
  const rh = new Array<number>(head.length);
  const ratios = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < base.length; i++) rb[i] = base[Math.floor(next() * base.length)]!;
    for (let i = 0; i < head.length; i++) rh[i] = head[Math.floor(next() * head.length)]!;
    ratios[r] = medianOf(rh, sh) / medianOf(rb, sb);
  }
  ratios.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { ratio, lo: percentile(ratios, 100 * tail), hi: percentile(ratios, 100 * (1 - tail)) };
}

/**
 * McNemar's exact test on paired 0/1 outcomes: b = right in base and wrong in head, c = wrong in
 * base and right in head; two-sided p = min(1, 2·P(X ≤ min(b, c))) with X ~ Binomial(b + c, ½).
 */
export function mcnemarExact(base: number[], head: number[]): { b: number; c: number; pValue: number } {
  if (base.length !== head.length) throw new RangeError(`mcnemarExact: ${base.length} base samples vs ${head.length} head samples`);
  let b = 0;
  let c = 0;
  for (let i = 0; i < base.length; i++) {
    const x = base[i] ? 1 : 0;
    const y = head[i] ? 1 : 0;
    if (x === 1 && y === 0) b++;
    else if (x === 0 && y === 1) c++;
  }
  const n = b + c;
  const pValue = n === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(b, c), n));
  return { b, c, pValue };
}

/**
 * How many samples an accuracy change of `dropPp` percentage points needs to be resolvable.
 * - Always at least the granularity bound ⌈100 / dropPp⌉: one sample moves accuracy by 100/N pp,
 *   so a smaller set cannot even express a change of that size.
 * - With `discordant` (the expected share of samples whose outcome flips between the two models,
 *   0–1), also Connor's (1987) sample size for McNemar's test at two-sided `alpha` (default 0.05)
 *   and `power` (default 0.8): n = (z₁₋α/₂·√ψ + z_power·√(ψ − δ²))² / δ², δ = dropPp / 100.
 */
export function samplesNeeded(dropPp: number, opts: { discordant?: number; alpha?: number; power?: number } = {}): number {
  if (!(dropPp > 0)) throw new RangeError(`samplesNeeded: dropPp must be > 0, got ${dropPp}`);
  const granularity = Math.ceil(100 / dropPp - 1e-9);
  const psi = opts.discordant;
  if (psi === undefined) return granularity;
  const delta = dropPp / 100;
  // A flip rate below the change itself is impossible (δ ≤ ψ); clamp so the formula stays real.
  const p = Math.max(psi, delta);
  const za = normalQuantile(1 - (opts.alpha ?? 0.05) / 2);
  const zb = normalQuantile(opts.power ?? 0.8);
  const n = (za * Math.sqrt(p) + zb * Math.sqrt(p - delta * delta)) ** 2 / (delta * delta);
  return Math.max(granularity, Math.ceil(n));
}

/**
 * 95 % (or `level`) Wald interval of the paired difference in accuracy, in percentage points:
 * d = (c − b)/n, se = √((b + c) − (c − b)²/n) / n.
 */
export function pairedDiffInterval(b: number, c: number, n: number, level = 0.95): { lo: number; hi: number } {
  const d = (c - b) / n;
  const se = Math.sqrt(Math.max(0, b + c - (c - b) ** 2 / n)) / n;
  const z = normalQuantile(1 - (1 - level) / 2);
  return { lo: 100 * (d - z * se), hi: 100 * (d + z * se) };
}
