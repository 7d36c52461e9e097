import { describe, expect, it } from 'vitest';
import { bootstrapRatioCI, compareModel as judgeKeys, gateVerdict, mcnemarExact, type CompareOptions } from '../../src/compare/index.js';
import { describe as inWords } from '../../src/text/index.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import type { Band, MetricValue, ModelComparison, ModelMetrics } from '../../src/types.js';

/** compare/ says why in keys; what a user reads is text/'s English (the gate writes it the same way). */
const compareModel = (...args: Parameters<typeof judgeKeys>) => inWords(judgeKeys(...args));

const TH = { ...DEFAULT_THRESHOLDS };

function model(metrics: MetricValue[], samples = 1000): ModelMetrics {
  return { model: 'm', task: 'ocr-rec', samples, iterations: 100, metrics };
}

/** Line accuracy over `n` samples where the listed indices are wrong. */
function acc(n: number, wrong: number[], prefix = 's'): MetricValue {
  const bad = new Set(wrong);
  const ok: number[] = Array.from({ length: n }, (_, i) => (bad.has(i) ? 0 : 1));
  return {
    id: 'accuracy.line',
    label: 'line accuracy',
    unit: '%',
    better: 'higher',
    value: (100 * ok.reduce((s: number, v) => s + v, 0)) / n,
    perSample: { ids: ok.map((_, i) => `${prefix}${i}`), ok },
  };
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function lat(rounds: number[] | null, value?: number, id = 'latency.p50'): MetricValue {
  const sorted = rounds ? [...rounds].sort((a, b) => a - b) : [];
  const med = rounds ? (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2 : 0;
  return { id, label: id, unit: 'ms', better: 'lower', value: value ?? med, ...(rounds ? { rounds } : {}) };
}
const scaled = (xs: number[], k: number) => xs.map((x) => x * k);
const BASE_ROUNDS = [10, 10.1, 9.9, 10, 10.05, 9.95, 10.02, 9.98];

function value(
  id: string,
  unit: MetricValue['unit'],
  better: MetricValue['better'],
  v: number | null,
  extra: Partial<MetricValue> = {},
): MetricValue {
  return { id, label: id, unit, better, value: v, ...extra };
}

function one(base: MetricValue | undefined, head: MetricValue | undefined, opts: CompareOptions = {}) {
  const c = compareModel(model(base ? [base] : []), model(head ? [head] : []), TH, opts);
  expect(c.rows).toHaveLength(1);
  return { row: c.rows[0]!, verdict: c.verdict };
}

describe('statistics', () => {
  it.each([
    [3, 1, 0.625],
    [10, 2, 0.03857421875],
    [20, 10, 0.09873714670538905],
    [0, 0, 1],
    [500, 450, 0.11183864514157894],
  ])('McNemar exact: b=%d c=%d → p=%d (scipy binomtest)', (b, c, p) => {
    const base = [...Array(b).fill(1), ...Array(c).fill(0), 1, 0];
    const head = [...Array(b).fill(0), ...Array(c).fill(1), 1, 0];
    const r = mcnemarExact(base, head);
    expect([r.b, r.c]).toEqual([b, c]);
    expect(r.pValue).toBeCloseTo(p, 9);
  });

  it('bootstrap ratio of medians: deterministic, contains the point, degenerate when constant', () => {
    const head = scaled(BASE_ROUNDS, 1.2);
    const a = bootstrapRatioCI(BASE_ROUNDS, head);
    expect(bootstrapRatioCI(BASE_ROUNDS, head)).toEqual(a);
    expect(a.ratio).toBeCloseTo(1.2, 12);
    expect(a.lo).toBeLessThanOrEqual(a.ratio);
    expect(a.hi).toBeGreaterThanOrEqual(a.ratio);
    expect(a.lo).toBeGreaterThan(1.15);
    expect(bootstrapRatioCI([5, 5, 5], [5, 5])).toEqual({ ratio: 1, lo: 1, hi: 1 });
    expect(bootstrapRatioCI(BASE_ROUNDS, head, { seed: 7 })).not.toEqual(a);
  });
});

describe('compareModel: accuracy with per-sample results', () => {
  it.each<{ name: string; base: MetricValue; head: MetricValue; band: Band; reason: RegExp; p?: number }>([
    {
      name: 'drop 1.1 pp, significant',
      base: acc(1000, range(0, 81)),
      head: acc(1000, range(0, 92)),
      band: 'fail',
      reason: /^drop > 0\.5 pp$/,
      p: 0.0009765625,
    },
    {
      name: 'drop 0.3 pp',
      base: acc(1000, range(0, 80)),
      head: acc(1000, range(0, 83)),
      band: 'warn',
      reason: /^0\.2–0\.5 pp; could be chance \(p = 0\.25\)$/,
    },
    {
      name: 'exactly 0.5 pp is not a fail',
      base: acc(1000, range(0, 100)),
      head: acc(1000, range(0, 105)),
      band: 'warn',
      reason: /^0\.2–0\.5 pp/,
    },
    {
      name: 'exactly 0.2 pp is not a warning',
      base: acc(1000, range(0, 100)),
      head: acc(1000, range(0, 102)),
      band: 'pass',
      reason: /^within 0\.2 pp$/,
    },
    // 20 newly wrong, 10 newly right: −1 pp, p = 0.099
    {
      name: 'drop 1 pp that could be chance',
      base: acc(1000, range(0, 10)),
      head: acc(1000, range(10, 30)),
      band: 'fail',
      reason: /drop > 0\.5 pp; could be chance \(p = 0\.099\)/,
    },
    {
      name: 'improvement beyond the fail level',
      base: acc(1000, range(0, 50)),
      head: acc(1000, range(0, 30)),
      band: 'pass',
      reason: /^improvement$/,
    },
    {
      name: 'a set too small to resolve 0.5 pp',
      base: acc(100, []),
      head: acc(100, [3]),
      band: 'fail',
      reason: /100 samples: 1 sample = 1 pp > 0\.5 pp, ≥ 200 needed/,
    },
    {
      name: 'different samples: no paired test',
      base: acc(1000, range(0, 10)),
      head: acc(1000, range(0, 30), 'other'),
      band: 'fail',
      reason: /different samples: no paired test/,
    },
  ])('$name → $band', ({ base, head, band, reason, p }) => {
    const { row, verdict } = one(base, head);
    expect(row.band).toBe(band);
    expect(row.reason).toMatch(reason);
    if (p !== undefined) expect(row.pValue).toBeCloseTo(p, 9);
    expect(verdict).toBe(band === 'pass' ? 'pass' : band);
    if (!/different/.test(reason.source)) {
      expect(row.interval?.of).toBe('absolute');
      expect(row.interval!.lo).toBeLessThanOrEqual(row.deltaAbs!);
      expect(row.interval!.hi).toBeGreaterThanOrEqual(row.deltaAbs!);
    }
  });

  it('reports the drop in percentage points', () => {
    const { row } = one(acc(1000, range(0, 81)), acc(1000, range(0, 92)));
    expect(row.deltaAbs).toBeCloseTo(-1.1, 9);
    expect(row.baseline).toBeCloseTo(91.9, 9);
    expect(row.current).toBeCloseTo(90.8, 9);
  });
});

describe('compareModel: latency and throughput', () => {
  const jitter = [1.0, 1.01, 0.99, 1.0, 1.005, 0.995, 1.002, 0.998];
  it.each<{ name: string; base: MetricValue; head: MetricValue; band: Band; reason: RegExp; opts?: CompareOptions }>([
    {
      name: '+20 %, tight',
      base: lat(BASE_ROUNDS),
      head: lat(scaled(BASE_ROUNDS, 1.2)),
      band: 'fail',
      reason: /^whole interval > 10 %: \+1\d\.\d % … \+2\d\.\d %$/,
    },
    { name: '+7 %, tight', base: lat(BASE_ROUNDS), head: lat(scaled(BASE_ROUNDS, 1.07)), band: 'warn', reason: /^5–10 %$/ },
    {
      name: '+40 % point, the last rounds swing by > 10 %',
      base: lat(BASE_ROUNDS),
      head: lat([10.6, 10.7, 14, 15, 16, 13, 10.8, 14.5]),
      band: 'inconclusive',
      reason: /^rounds unstable \(this run\): last 3 round medians differ by 34\.3 % > 10 %$/,
    },
    {
      name: 'unstable, but the whole interval is beyond 10 %: still a fail',
      base: lat(BASE_ROUNDS),
      head: lat([20, 20, 20, 20, 20, 20, 20, 23]),
      band: 'fail',
      reason: /^whole interval > 10 %/,
    },
    {
      name: 'baseline rounds unstable',
      base: lat([10, 10, 10, 10, 10, 10, 11.5, 10]),
      head: lat(scaled(BASE_ROUNDS, 1.08)),
      band: 'inconclusive',
      reason: /^rounds unstable \(baseline\)/,
    },
    {
      name: '+30 %, beyond noise and reaching 10 %',
      base: lat(BASE_ROUNDS),
      head: lat([12.2, 12.4, 13, 14, 13.5, 13, 13.4, 13.2]),
      band: 'fail',
      reason: /^whole interval > 10 %|^beyond noise, reaching > 10 %/,
    },
    {
      name: '+2 % with the default 2 % run-to-run floor: no slowdown shown',
      base: lat(BASE_ROUNDS),
      head: lat(scaled(BASE_ROUNDS, 1.02)),
      band: 'pass',
      reason: /^no slowdown shown: interval reaches −\d\.\d %$/,
    },
    {
      name: '+2 %, 1 % floor',
      base: lat(BASE_ROUNDS),
      head: lat(scaled(BASE_ROUNDS, 1.02)),
      opts: { runToRun: 0.01 },
      band: 'pass',
      reason: /^noise \(≤ 5 %\)$/,
    },
    {
      name: '+4 %: surely slower, may exceed the noise level (1 % run-to-run floor)',
      base: lat(BASE_ROUNDS),
      head: lat(scaled(BASE_ROUNDS, 1.04)),
      opts: { runToRun: 0.01 },
      band: 'warn',
      reason: /^slower, may exceed 5 %: \+\d\.\d % … \+\d\.\d %$/,
    },
    {
      name: '+4 % without the run-to-run floor: within noise',
      base: lat(BASE_ROUNDS),
      head: lat(scaled(BASE_ROUNDS, 1.04)),
      opts: { runToRun: 0 },
      band: 'pass',
      reason: /^noise \(≤ 5 %\)$/,
    },
    {
      name: '+9.5 %, tight: reaches 10 %, beyond noise',
      base: lat(BASE_ROUNDS),
      head: lat(scaled(BASE_ROUNDS, 1.095)),
      opts: { runToRun: 0.01 },
      band: 'fail',
      reason: /^beyond noise, reaching > 10 %: \+\d\.\d % … \+1\d\.\d %$/,
    },
    {
      name: '+8 % without the floor: whole interval within 5–10 %',
      base: lat(BASE_ROUNDS),
      head: lat(scaled(BASE_ROUNDS, 1.08)),
      opts: { runToRun: 0 },
      band: 'warn',
      reason: /^whole interval > 5 %/,
    },
    {
      name: '+20 %, interval from below 0 to beyond 10 %',
      base: lat(BASE_ROUNDS),
      head: lat([9.6, 9.8, 12.5, 13, 9.7, 13.5, 13.0, 13.4]),
      band: 'inconclusive',
      reason: /^interval too wide: [−+]\d+\.\d % … \+\d+\.\d %$/,
    },
    {
      name: '+7 % point, interval reaching below 0',
      base: lat(BASE_ROUNDS),
      head: lat([9.5, 9.8, 9.7, 10.7, 10.7, 10.8, 10.8, 10.75]),
      opts: { runToRun: 0 },
      band: 'pass',
      reason: /^no slowdown shown: interval reaches [−+]/,
    },
    { name: '−20 %: improvement', base: lat(BASE_ROUNDS), head: lat(scaled(BASE_ROUNDS, 0.8)), band: 'pass', reason: /^improvement$/ },
    { name: 'exactly +10 % without rounds is not a fail', base: lat(null, 10), head: lat(null, 11), band: 'warn', reason: /^5–10 %$/ },
    { name: 'exactly +5 % without rounds is noise', base: lat(null, 10), head: lat(null, 10.5), band: 'pass', reason: /^noise/ },
    { name: '+12 % without rounds', base: lat(null, 10), head: lat(null, 11.2), band: 'fail', reason: /^increase > 10 %$/ },
    {
      name: 'throughput −15 % (higher is better)',
      base: value('throughput', '/s', 'higher', 100, { rounds: scaled(jitter, 100) }),
      head: value('throughput', '/s', 'higher', 85, { rounds: scaled(jitter, 85) }),
      band: 'fail',
      reason: /^whole interval > 10 %: −1\d\.\d % … −1\d\.\d %$/,
    },
    {
      name: 'throughput +15 % is an improvement',
      base: value('throughput', '/s', 'higher', 100, { rounds: scaled(jitter, 100) }),
      head: value('throughput', '/s', 'higher', 115, { rounds: scaled(jitter, 115) }),
      band: 'pass',
      reason: /^improvement$/,
    },
    {
      name: 'throughput −12 % without rounds',
      base: value('throughput', '/s', 'higher', 100),
      head: value('throughput', '/s', 'higher', 88),
      band: 'fail',
      reason: /^drop > 10 %$/,
    },
  ])('$name → $band', ({ base, head, band, reason, opts }) => {
    const { row } = one(base, head, opts);
    expect(row.band).toBe(band);
    expect(row.reason).toMatch(reason);
    if (base.rounds && head.rounds) {
      expect(row.interval?.of).toBe('relative');
      expect(row.interval!.lo).toBeLessThanOrEqual(row.interval!.hi);
    }
  });

  it('the interval is of the relative change, in the metric’s own direction', () => {
    const { row } = one(lat(BASE_ROUNDS), lat(scaled(BASE_ROUNDS, 1.2)));
    expect(row.deltaRel).toBeCloseTo(0.2, 9);
    expect(row.interval!.lo).toBeGreaterThan(0.1);
    expect(row.interval!.hi).toBeLessThan(0.3);
  });
});

describe('compareModel: memory', () => {
  const peak = (v: number | null) => value('memory.gpu.peak', 'MB', 'lower', v);
  const growth = (v: number, lo: number, hi: number) => value('memory.rss.growth', 'MB/1k', 'lower', v, { interval: [lo, hi] });
  it.each<{ name: string; base: MetricValue; head: MetricValue; band: Band; reason: RegExp }>([
    { name: '+15 % and +150 MB', base: peak(1000), head: peak(1150), band: 'warn', reason: /^increase > 10 %$/ },
    { name: '+50 % but only +50 MB', base: peak(100), head: peak(150), band: 'pass', reason: /^only \+50\.0 MB \(≤ 64 MB\)$/ },
    { name: '+6 %', base: peak(1000), head: peak(1060), band: 'pass', reason: /^within 10 %$/ },
    {
      name: 'baseline 0: judged on the absolute change',
      base: peak(0),
      head: peak(100),
      band: 'warn',
      reason: /^baseline 0: relative change undefined, judged on the absolute change; increase > 10 %$/,
    },
    { name: 'baseline 0, small change', base: peak(0), head: peak(10), band: 'pass', reason: /^baseline 0: .*; only \+10\.0 MB/ },
    {
      name: 'growth whose interval is above 1 MB/1k: leak suspect',
      base: growth(0, -0.1, 0.1),
      head: growth(3, 2, 4),
      band: 'warn',
      reason: /^leak suspect: ≥ 2\.00 MB\/1k > 1 MB\/1k$/,
    },
    {
      name: 'growth of 3 MB/1k but an interval reaching 0.5',
      base: growth(0, -0.1, 0.1),
      head: growth(3, 0.5, 5.5),
      band: 'pass',
      reason: /^no leak shown: the slope’s 95 % interval 0\.50 MB\/1k … 5\.50 MB\/1k reaches below 1 MB\/1k$/,
    },
  ])('$name → $band', ({ base, head, band, reason }) => {
    const { row } = one(base, head);
    expect(row.band).toBe(band);
    expect(row.reason).toMatch(reason);
  });

  it('a baseline of 0 leaves the relative change null', () => {
    expect(one(peak(0), peak(100)).row.deltaRel).toBeNull();
  });
});

describe('compareModel: missing and broken values never fail', () => {
  it.each<{ name: string; base?: MetricValue; head?: MetricValue; reason: RegExp }>([
    { name: 'only in this run', head: lat(null, 5), reason: /^not in the baseline$/ },
    { name: 'only in the baseline', base: lat(null, 5), reason: /^not measured in this run$/ },
    { name: 'null in this run', base: lat(null, 5), head: value('latency.p50', 'ms', 'lower', null), reason: /^not measured in this run$/ },
    { name: 'NaN in this run', base: lat(null, 5), head: lat(null, Number.NaN), reason: /this run is not a finite number \(NaN\)/ },
    {
      name: 'Infinity in the baseline',
      base: lat(null, Number.POSITIVE_INFINITY),
      head: lat(null, 5),
      reason: /baseline is not a finite number \(Infinity\)/,
    },
  ])('$name → missing', ({ base, head, reason }) => {
    const { row, verdict } = one(base, head);
    expect(row.band).toBe('missing');
    expect(row.reason).toMatch(reason);
    expect(verdict).toBe('pass');
    expect(JSON.parse(JSON.stringify(row)).band).toBe('missing');
  });

  it('a metric without a threshold passes and says so', () => {
    const c = compareModel(model([value('custom', 'ms', 'lower', 1)]), model([value('custom', 'ms', 'lower', 100)]), TH);
    expect(c.rows[0]).toMatchObject({ band: 'pass', reason: 'no threshold' });
  });
});

describe('verdicts', () => {
  it('no baseline: verdict no-baseline, every row with baseline null', () => {
    const head = model([acc(10, [1]), lat(BASE_ROUNDS), value('memory.rss.growth', 'MB/1k', 'lower', 5, { interval: [4, 6] })]);
    const c = compareModel(undefined, head, TH);
    expect(c.verdict).toBe('no-baseline');
    expect(c.rows.map((r) => r.baseline)).toEqual([null, null, null]);
    expect(c.rows.map((r) => r.band)).toEqual(['missing', 'missing', 'warn']); // a leak needs no baseline
    expect(c.rows[0]!.current).toBe(90);
  });

  it('model verdict: fail > inconclusive > warn > pass, with a one-line reason', () => {
    const base = model([acc(1000, range(0, 81)), lat(BASE_ROUNDS)]);
    const c = compareModel(base, model([acc(1000, range(0, 92)), lat(scaled(BASE_ROUNDS, 1.07))]), TH);
    expect(c.verdict).toBe('fail');
    expect(c.reason).toBe('1 regressed: line accuracy (drop > 0.5 pp)');
    const w = compareModel(base, model([acc(1000, range(0, 81)), lat(scaled(BASE_ROUNDS, 1.07))]), TH);
    expect(w.verdict).toBe('warn');
    expect(w.reason).not.toMatch(/\n/);
    const p = compareModel(base, model([acc(1000, range(0, 81)), lat(BASE_ROUNDS)]), TH);
    expect(p).toMatchObject({ verdict: 'pass', reason: 'all 2 metrics within thresholds' });
  });

  const mc = (verdict: ModelComparison['verdict'], bands: Band[] = []): ModelComparison => ({
    model: verdict,
    verdict,
    reason: '',
    rows: bands.map((band) => ({
      metric: 'x',
      label: 'x',
      unit: 'ms',
      better: 'lower',
      baseline: 1,
      current: 1,
      deltaAbs: 0,
      deltaRel: 0,
      band,
      reason: '',
    })),
  });
  it.each<{
    models: ModelComparison[];
    failOn?: Array<'fail' | 'warn' | 'inconclusive'>;
    verdict: string;
    failed: boolean;
    regressions: number;
    warnings: number;
    inconclusive: number;
  }>([
    {
      models: [mc('pass', ['pass']), mc('fail', ['fail', 'warn'])],
      verdict: 'fail',
      failed: true,
      regressions: 1,
      warnings: 1,
      inconclusive: 0,
    },
    {
      models: [mc('warn', ['warn']), mc('no-baseline', ['missing'])],
      verdict: 'warn',
      failed: false,
      regressions: 0,
      warnings: 1,
      inconclusive: 0,
    },
    {
      models: [mc('warn', ['warn'])],
      failOn: ['fail', 'warn'],
      verdict: 'warn',
      failed: true,
      regressions: 0,
      warnings: 1,
      inconclusive: 0,
    },
    {
      models: [mc('inconclusive', ['inconclusive'])],
      verdict: 'inconclusive',
      failed: false,
      regressions: 0,
      warnings: 0,
      inconclusive: 1,
    },
    {
      models: [mc('inconclusive', ['inconclusive'])],
      failOn: ['inconclusive'],
      verdict: 'inconclusive',
      failed: true,
      regressions: 0,
      warnings: 0,
      inconclusive: 1,
    },
    {
      models: [mc('pass', ['pass']), mc('no-baseline')],
      verdict: 'no-baseline',
      failed: false,
      regressions: 0,
      warnings: 0,
      inconclusive: 0,
    },
    { models: [mc('pass'), mc('incomparable')], verdict: 'incomparable', failed: false, regressions: 0, warnings: 0, inconclusive: 0 },
    { models: [mc('pass'), mc('unreadable')], verdict: 'unreadable', failed: false, regressions: 0, warnings: 0, inconclusive: 0 },
    // numbers of a model in another environment are shown, not judged: they count neither way
    {
      models: [mc('pass', ['pass']), mc('incomparable', ['fail', 'warn'])],
      verdict: 'incomparable',
      failed: false,
      regressions: 0,
      warnings: 0,
      inconclusive: 0,
    },
    // the headline names the worst actionable verdict: a warning row under an inconclusive model is a warning,
    // and each band is counted as itself
    {
      models: [mc('inconclusive', ['warn', 'inconclusive', 'inconclusive', 'pass'])],
      verdict: 'warn',
      failed: false,
      regressions: 0,
      warnings: 1,
      inconclusive: 2,
    },
    // ... and fails under fail-on: warn, which it did not while the model read "inconclusive"
    {
      models: [mc('inconclusive', ['warn', 'inconclusive'])],
      failOn: ['fail', 'warn'],
      verdict: 'warn',
      failed: true,
      regressions: 0,
      warnings: 1,
      inconclusive: 1,
    },
    {
      models: [mc('warn', ['warn']), mc('inconclusive', ['inconclusive'])],
      verdict: 'warn',
      failed: false,
      regressions: 0,
      warnings: 1,
      inconclusive: 1,
    },
    {
      models: [mc('fail', ['fail', 'inconclusive']), mc('warn', ['warn'])],
      verdict: 'fail',
      failed: true,
      regressions: 1,
      warnings: 1,
      inconclusive: 1,
    },
    { models: [], verdict: 'pass', failed: false, regressions: 0, warnings: 0, inconclusive: 0 },
  ])('gateVerdict → $verdict (failOn $failOn)', ({ models, failOn, ...want }) => {
    expect(gateVerdict(models, failOn)).toEqual({ ...want, accepted: 0 });
  });
});
