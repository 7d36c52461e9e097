import { describe, expect, it } from 'vitest';
import { historyNoise, pairedRatioCI, runToRunSpread } from '../../src/compare/stats.js';
import { roundInstability, roundPrecision, stopDecision } from '../../src/measure/stopping.js';
import { thresholdsFromHistory } from '../../src/compare/history.js';
import { compareModel as judgeKeys } from '../../src/compare/index.js';
import { describe as inWords } from '../../src/text/index.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { BASELINE_SCHEMA, type Baseline, type MetricValue, type ModelMetrics } from '../../src/types.js';

/** compare/ says why in keys; what a user reads is text/'s English (the gate writes it the same way). */
const compareModel = (...args: Parameters<typeof judgeKeys>) => inWords(judgeKeys(...args));

describe('stability window (last 3 round medians within 10 %)', () => {
  it.each<{ name: string; medians: number[]; unstable: number | null }>([
    { name: 'steady', medians: [10, 10.2, 9.9, 10.1], unstable: null },
    { name: 'an early spike outside the window', medians: [14, 10, 10.2, 10.1], unstable: null },
    { name: 'a spike inside the window', medians: [10, 10, 11.5, 10], unstable: 0.15 },
    { name: 'exactly 10 % is stable', medians: [10, 11, 10.5], unstable: null },
    { name: 'two rounds, 20 % apart', medians: [10, 12], unstable: 0.2 },
    { name: 'one round', medians: [10], unstable: null },
  ])('$name', ({ medians, unstable }) => {
    const r = roundInstability(medians);
    if (unstable === null) expect(r).toBeNull();
    else expect(r!.spread).toBeCloseTo(unstable, 9);
  });
});

describe('adaptive stopping decision', () => {
  const opts = { minRounds: 4, maxRounds: 8, precision: 0.01 };
  it.each<{ name: string; medians: number[]; timeLeft?: boolean; stop: boolean; reason: string }>([
    { name: 'too few rounds, however tight', medians: [10, 10, 10], stop: false, reason: 'continue' },
    { name: 'four tight rounds', medians: [10, 10.02, 9.98, 10.01], stop: true, reason: 'precise' },
    { name: 'four rounds, ±3 %: keep going', medians: [10, 10.3, 9.7, 10.2], stop: false, reason: 'continue' },
    {
      name: 'precise but the last window unstable',
      medians: [10, 10, 10, 10, 10, 10, 10, 11.5, 10, 10, 10].slice(0, 8),
      stop: true,
      reason: 'max-rounds',
    },
    { name: 'tight rounds but unstable window before max', medians: [10, 10, 10, 11.5, 10], stop: false, reason: 'continue' },
    { name: 'max rounds reached', medians: [10, 10.5, 9.5, 10.4, 9.6, 10.5, 9.5, 10.4], stop: true, reason: 'max-rounds' },
    { name: 'out of time', medians: [10, 10.5, 9.5], timeLeft: false, stop: true, reason: 'max-seconds' },
  ])('$name → $reason', ({ medians, timeLeft, stop, reason }) => {
    const d = stopDecision(medians, { ...opts, ...(timeLeft !== undefined ? { timeLeft } : {}) });
    expect(d.stop).toBe(stop);
    expect(d.reason).toBe(reason);
  });

  it('the half-width is the Student-t interval of the round medians, relative', () => {
    // mean 10, sd 0.2, n 4: t(0.975, 3) = 3.182446 → 3.182446 · 0.2 / 2 / 10
    expect(roundPrecision([9.8, 10.2, 9.8, 10.2])).toBeCloseTo((3.182446 * 0.2309401) / 2 / 10, 5);
    expect(roundPrecision([10])).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("paired A/B interval (Yuen's 20 % trimmed mean of the log ratios)", () => {
  it.each<{ name: string; base: number[]; head: number[]; ratio: number; lo?: number; excludesOne: boolean }>([
    { name: 'identical sides', base: [10, 11, 10.5, 10.2], head: [10, 11, 10.5, 10.2], ratio: 1, lo: 1, excludesOne: false },
    {
      name: '+10 % in every pair while the machine drifts: pairing keeps the drift out',
      base: [10, 12, 11, 13, 10.5, 12.5],
      head: [11, 13.2, 12.1, 14.3, 11.55, 13.75],
      ratio: 1.1,
      lo: 1.1,
      excludesOne: true,
    },
    {
      name: '+5 % in 9 of 10 pairs, one base call hit by a busy spell: trimmed away, the slowdown stays shown',
      base: [10, 10.1, 9.9, 10, 13, 10.05, 9.95, 10, 10.1, 9.9],
      head: [10.5, 10.605, 10.395, 10.5, 10.5, 10.5525, 10.4475, 10.5, 10.605, 10.395],
      ratio: 1.05,
      excludesOne: true,
    },
    {
      name: 'noise around no change',
      base: [10, 10.1, 9.9, 10, 10.2, 9.8],
      head: [10.1, 10, 9.95, 10.05, 10.1, 9.9],
      // n = 6, g = 1: the lowest (10 → 10.1 reversed) and highest (9.8 → 9.9) log ratios are trimmed
      ratio: Math.exp((Math.log(10.1 / 10) + Math.log(9.95 / 9.9) + Math.log(10.05 / 10) + Math.log(10.1 / 10.2)) / 4),
      excludesOne: false,
    },
  ])('$name', ({ base, head, ratio, lo, excludesOne }) => {
    const ci = pairedRatioCI(base, head);
    expect(ci.ratio).toBeCloseTo(ratio, 6);
    if (lo !== undefined) expect(ci.lo).toBeCloseTo(lo, 9);
    expect(ci.lo).toBeLessThanOrEqual(ci.ratio + 1e-12);
    expect(ci.hi).toBeGreaterThanOrEqual(ci.ratio - 1e-12);
    expect(ci.lo > 1 || ci.hi < 1).toBe(excludesOne);
  });

  it("the interval is Yuen's: trimmed mean ± t(n − 2g − 1) · winsorized sd / ((1 − 2g/n) √n)", () => {
    // n = 5, g = 1: sorted log ratios ln .99 < ln 1.01 < ln 1.02 < ln 1.03 < ln 1.1
    const ci = pairedRatioCI([10, 10, 10, 10, 10], [10.1, 10.3, 10.2, 11, 9.9]);
    const kept = [1.01, 1.02, 1.03].map(Math.log);
    const m = (kept[0]! + kept[1]! + kept[2]!) / 3;
    const w = [1.01, 1.01, 1.02, 1.03, 1.03].map(Math.log);
    const wm = w.reduce((a, b) => a + b, 0) / 5;
    const wsd = Math.sqrt(w.reduce((a, x) => a + (x - wm) ** 2, 0) / 4);
    expect(Math.log(ci.ratio)).toBeCloseTo(m, 12);
    expect(Math.log(ci.hi) - m).toBeCloseTo((4.302653 * wsd) / ((1 - 2 / 5) * Math.sqrt(5)), 5);
  });

  it('a plain mean would be dragged by the one wild pair; the trimmed mean is not', () => {
    const base = [10, 10, 10, 10, 10, 10, 10, 10, 10, 10];
    const head = [10.6, 10.5, 10.4, 10.5, 10.6, 10.4, 10.5, 10.5, 10.5, 20];
    expect(pairedRatioCI(base, head).ratio).toBeCloseTo(1.05, 2);
  });

  it('needs three pairs and positive values', () => {
    expect(() => pairedRatioCI([1, 1], [1, 1])).toThrow(/at least 3 pairs/);
    expect(() => pairedRatioCI([1, 0, 1], [1, 1, 1])).toThrow(/non-positive/);
  });
});

describe('noise band from history', () => {
  it.each<{ name: string; values: number[]; spread: number | null }>([
    { name: 'fewer than 3 baselines', values: [10, 11], spread: null },
    { name: '1 % robust spread', values: [10, 10.1, 9.9, 10, 10.1, 9.9], spread: (1.4826 * 0.1) / 10 },
    { name: 'one wild baseline does not blow it up', values: [10, 10.1, 9.9, 10, 30], spread: (1.4826 * 0.1) / 10 },
    { name: 'non-finite values ignored', values: [10, Number.NaN, 10, 10], spread: 0 },
  ])('$name', ({ values, spread }) => {
    const s = runToRunSpread(values);
    if (spread === null) expect(s).toBeNull();
    else expect(s).toBeCloseTo(spread, 9);
  });

  it.each([
    [0.05, null, 0.05],
    [0.05, 0.01, 0.05],
    [0.05, 0.03, 0.09],
  ])('noise(configured %d, spread %s) = %d', (configured, spread, band) => {
    expect(historyNoise(configured, spread)).toBeCloseTo(band, 12);
  });

  const baseline = (p50: number): Baseline => ({
    schema: BASELINE_SCHEMA,
    gate: 'g',
    model: 'm',
    repo: 'r',
    commit: 'c',
    branch: 'main',
    createdAt: '2026-01-01T00:00:00Z',
    fingerprint: {},
    fingerprintHash: 'h',
    metrics: {
      model: 'm',
      task: 'generic',
      samples: 0,
      iterations: 0,
      metrics: [{ id: 'latency.p50', label: 'p50', unit: 'ms', better: 'lower', value: p50 }],
    },
  });
  const lat = (rounds: number[]): ModelMetrics => {
    const m: MetricValue = {
      id: 'latency.p50',
      label: 'latency p50',
      unit: 'ms',
      better: 'lower',
      value: rounds.reduce((a, b) => a + b) / rounds.length,
      rounds,
    };
    return { model: 'm', task: 'generic', samples: 0, iterations: 0, metrics: [m] };
  };

  it('a noisy runner pool widens its own band: +7 % warns on the default band, is too uncertain to judge on the learned one', () => {
    const noisy = [10, 10.4, 9.6, 10.3, 9.7, 10.35, 9.65, 10].map(baseline); // ~3.5 % spread
    const learned = thresholdsFromHistory(DEFAULT_THRESHOLDS, noisy);
    expect(learned.thresholds['latency.p50']!.noise!.value).toBeGreaterThan(0.09);
    expect(learned.notes[0]).toMatch(/^latency\.p50: noise band \d+\.\d % \(= 3 × run-to-run spread/);
    const base = lat([10, 10.02, 9.98, 10, 10.01, 9.99]);
    const head = lat([10.7, 10.72, 10.68, 10.7, 10.71, 10.69]);
    expect(compareModel(base, head, DEFAULT_THRESHOLDS).rows[0]!.band).toBe('warn');
    const row = compareModel(base, head, learned.thresholds, learned.options).rows[0]!;
    expect(row.band).toBe('inconclusive');
    expect(row.reason).toMatch(/^interval too wide/);
    const quiet = thresholdsFromHistory(DEFAULT_THRESHOLDS, [10, 10.01, 9.99, 10].map(baseline));
    expect(quiet.thresholds['latency.p50']).toEqual(DEFAULT_THRESHOLDS['latency.p50']);
    expect(quiet.options.runToRunByMetric!['latency.p50']).toBe(0.005);
  });
});
