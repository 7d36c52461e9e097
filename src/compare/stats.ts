/**
 * The statistics of a comparison: a bootstrap interval for timings (rounds are the unit, because
 * run-to-run noise dominates within-run spread), an exact paired test for accuracy, the paired
 * ratio of A/B pairs and the noise band learned from history.
 */
import { binomialHalfCdf, mean, median, normalQuantile, percentile, prng, studentTQuantile } from '../measure/stats.js';
import { counted } from '../plural.js';

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
  if (base.length !== head.length)
    throw new RangeError(
      `mcnemarExact: ${counted(base.length, 'base sample', 'base samples')} vs ${counted(head.length, 'head sample', 'head samples')}`,
    );
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
 * 95 % (or `level`) Wald interval of the paired difference in accuracy, in percentage points:
 * d = (c − b)/n, se = √((b + c) − (c − b)²/n) / n.
 */
export function pairedDiffInterval(b: number, c: number, n: number, level = 0.95): { lo: number; hi: number } {
  const d = (c - b) / n;
  const se = Math.sqrt(Math.max(0, b + c - (c - b) ** 2 / n)) / n;
  const z = normalQuantile(1 - (1 - level) / 2);
  return { lo: 100 * (d - z * se), hi: 100 * (d + z * se) };
}

// ───────────────────────────── rounds: stability, adaptive stopping, pairs, history ─────────────────────────────

/** Share of pairs trimmed from each end by pairedRatioCI. */
const PAIRED_TRIM = 0.2;

/**
 * Paired ratio of interleaved A/B values (base[i] and head[i] measured back to back on the same
 * runner): Yuen's 20 % trimmed mean of the log ratios log(head/base) with its Student-t interval
 * (winsorized variance, n − 2g − 1 degrees of freedom), back-transformed. Pairing cancels drift
 * that hits both sides of a pair alike; trimming keeps the pairs that a busy spell hit on one side
 * only (a shared 2-core runner switches between a fast and a ~17 % slower state for seconds at a
 * time) from widening the interval or moving the estimate, which a plain mean's t interval does.
 */
export function pairedRatioCI(base: number[], head: number[], level = 0.95): { ratio: number; lo: number; hi: number; pairs: number } {
  const n = Math.min(base.length, head.length);
  if (n < 3) throw new RangeError(`pairedRatioCI needs at least 3 pairs, got ${n}`);
  const d: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = base[i]!;
    const b = head[i]!;
    if (!(a > 0 && b > 0)) throw new RangeError(`pairedRatioCI: pair ${i} has a non-positive value (${a}, ${b})`);
    d.push(Math.log(b / a));
  }
  d.sort((x, y) => x - y);
  const g = Math.floor(PAIRED_TRIM * n);
  const kept = d.slice(g, n - g);
  const m = mean(kept);
  const w = d.map((x) => Math.min(Math.max(x, d[g]!), d[n - g - 1]!));
  const wm = mean(w);
  const wv = w.reduce((s, x) => s + (x - wm) ** 2, 0) / (n - 1);
  const se = Math.sqrt(wv) / ((1 - (2 * g) / n) * Math.sqrt(n));
  const half = studentTQuantile(1 - (1 - level) / 2, n - 2 * g - 1) * se;
  return { ratio: Math.exp(m), lo: Math.exp(m - half), hi: Math.exp(m + half), pairs: n };
}

/**
 * Run-to-run spread of one metric over recent baselines: the relative standard deviation of the
 * values, estimated robustly as 1.4826 · MAD / median (one wild baseline, e.g. a run on a loaded
 * machine, does not blow the band up). null with fewer than 3 finite positive values.
 */
export function runToRunSpread(values: number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length < 3) return null;
  const med = median(v);
  const mad = median(v.map((x) => Math.abs(x - med)));
  return (1.4826 * mad) / med;
}

/**
 * The noise band learned from history: max(configured, k · spread). k = 3: the difference of two
 * independent runs has a standard deviation of √2 · spread, and 3 · spread ≈ 2.1 standard
 * deviations of that difference, so an unchanged model stays inside the band ~96 % of the time
 * on the point estimate alone, and the interval rules push false alarms further down.
 */
export const HISTORY_K = 3;
export function historyNoise(configured: number, spread: number | null, k = HISTORY_K): number {
  return spread === null ? configured : Math.max(configured, k * spread);
}
