/**
 * compare/: metrics of this run vs the baseline's, under thresholds → one band per metric and a
 * verdict per model and per gate.
 *
 * ## The band rules (plain words, for the README)
 *
 * Every change is read in the metric's bad direction: for "lower is better" metrics (latency,
 * memory) a rise is bad, for "higher is better" ones (accuracy, throughput) a fall is bad.
 * The relative change is (this run − baseline) / |baseline|; the absolute change is in the
 * metric's unit (percentage points for accuracy). A threshold level is either relative (`10%`)
 * or absolute (`0.5pp`, `2ms`, `64MB`). "More than" is strict: a change exactly at a level does
 * not cross it (10 % against "more than 10 %" is not a fail).
 *
 * - Latency and throughput, with at least two rounds on both sides: the ratio of the medians of
 *   the per-round values gets a 95 % bootstrap interval (10,000 resamples, seeded, so the same
 *   data always gives the same answer), widened for run-to-run noise: two runs made at different
 *   times differ by more than their rounds show, so z·√2·σ (σ = 1.5 % per run by default, or the
 *   spread learned from history) is added in quadrature in log space. Read in the bad direction,
 *   the interval is [L, H] and the point w; "noise" is the noise level (5 %), "fail" the fail
 *   level (10 %). In order:
 *   0. inconclusive when either side's rounds are unstable: the last 3 round medians differ by
 *      more than 10 % (max/min), as perf_analyzer's stability window — unless the whole interval
 *      is beyond the fail level (L > 10 %), which still fails, or wholly on the good side (H < 0),
 *      which is an improvement whatever the stability;
 *   1. fail when the whole interval is beyond the noise level and it reaches beyond the fail
 *      level (L > 5 % and H > 10 %): surely more than noise, plausibly more than 10 %;
 *   2. inconclusive when the interval reaches from no change (L ≤ 0) to beyond the fail level
 *      (H > 10 %) with the point on the bad side ("interval too wide");
 *   3. warn when the interval is entirely on the bad side and reaches beyond the noise level
 *      (L > 0 and H > 5 %): surely slower, possibly more than noise;
 *   4. otherwise pass: within noise (H ≤ 5 %, or the point is an improvement), or "not
 *      confirmed" (the interval reaches back to no change or better).
 *   A point estimate within the noise level can never fail (rule 1 needs L > 5 %).
 *   Same-runner A/B confirmation (confirm.ts) applies rules 1–4 to the paired interval of
 *   interleaved pairs (no run-to-run widening: both sides share the runner and the moment).
 *   With a single value per side the point estimate alone is checked against the levels.
 * - Accuracy with per-sample results on both sides (the same samples): the drop in percentage
 *   points is exact for this test set, so it fails when it is more than the fail level (0.5 pp)
 *   and warns above the warn level (0.2 pp). McNemar's exact test gives a p-value as evidence
 *   (a reason says "could be chance" when p ≥ 0.05), with a 95 % interval of the paired
 *   difference. When one sample is worth more than the level (100/N pp > 0.5 pp) the reason says
 *   how many samples would be needed.
 * - Memory peaks: a change must exceed both the relative level (10 %) and the absolute floor
 *   (`minAbsolute`, 64 MB) to warn.
 * - Memory growth (MB per 1,000 iterations, from this run alone): warn as a leak suspect when
 *   the low end of the slope's 95 % interval is above the level (1 MB/1k).
 * - A baseline of 0 leaves the relative change undefined: relative levels are then judged on the
 *   absolute change (any worsening beyond the absolute floor, if any, crosses them), and the
 *   reason says so.
 * - A metric missing on either side, or not a finite number, is `missing` and never fails.
 * - An improvement beyond a level passes, labelled as an improvement.
 *
 * A model fails when any metric fails; otherwise it is inconclusive when any is; otherwise it
 * warns when any warns; otherwise it passes. Without a baseline its verdict is `no-baseline`.
 */
import { fingerprintDifferences } from '../fingerprint.js';
import type {
  Band,
  ComparisonRow,
  Level,
  MetricValue,
  ModelComparison,
  ModelMetrics,
  ReasonPart,
  Threshold,
  Unit,
  Verdict,
} from '../types.js';
import { median, normalQuantile } from '../measure/stats.js';
import { roundInstability } from '../measure/stopping.js';
import { bootstrapRatioCI, mcnemarExact, pairedDiffInterval } from './stats.js';
import { driftRows } from './drift.js';

export { bootstrapRatioCI, mcnemarExact, pairedDiffInterval, runToRunSpread, historyNoise, pairedRatioCI } from './stats.js';

/** A reason: a message key of text/ with raw arguments; judging never renders (text/ does, in either language). */
export type Part = ReasonPart;
type Judged = { band: Band; parts: Part[]; interval?: ComparisonRow['interval']; pValue?: number };

const LEVEL = 0.95;

/** Strictly beyond a level, with a tolerance so 1.10/1.00 − 1 (= 0.1000…0009) is "exactly 10 %". */
function beyond(x: number, level: number): boolean {
  return x > level + 1e-9 * Math.max(1, Math.abs(level));
}

function row(
  id: string,
  meta: Pick<MetricValue, 'label' | 'unit' | 'better'>,
  baseline: number | null,
  current: number | null,
  judged: Judged,
): ComparisonRow {
  const finite = baseline !== null && current !== null && Number.isFinite(baseline) && Number.isFinite(current);
  const deltaAbs = finite ? current - baseline : null;
  return {
    metric: id,
    label: meta.label,
    unit: meta.unit,
    better: meta.better,
    baseline: baseline !== null && Number.isFinite(baseline) ? baseline : null,
    current: current !== null && Number.isFinite(current) ? current : null,
    deltaAbs,
    deltaRel: deltaAbs !== null && baseline !== 0 ? deltaAbs / Math.abs(baseline!) : null,
    ...(judged.interval ? { interval: judged.interval } : {}),
    ...(judged.pValue !== undefined ? { pValue: judged.pValue } : {}),
    band: judged.band,
    reason: '',
    reasonParts: judged.parts,
  };
}

/** Compares one model's metrics with its baseline's (see the band rules above). */
export function compareModel(
  base: ModelMetrics | undefined,
  head: ModelMetrics,
  thresholds: Record<string, Threshold>,
  opts: CompareOptions = {},
): ModelComparison {
  if (!base) {
    const rows = head.metrics.map((m) => {
      const th = thresholds[m.id];
      const judged: Judged =
        m.value !== null && Number.isFinite(m.value) && isGrowth(m.unit, th)
          ? judgeGrowth(m, th!)
          : { band: 'missing', parts: [{ key: 'reason.noBaseline' }] };
      return row(m.id, m, null, m.value, judged);
    });
    return { model: head.model, verdict: 'no-baseline', reason: '', reasonParts: [{ key: 'verdict.no-baseline' }], rows };
  }

  const byId = (ms: MetricValue[]) => new Map(ms.map((m) => [m.id, m] as const));
  const b = byId(base.metrics);
  const h = byId(head.metrics);
  const ids = [...h.keys(), ...[...b.keys()].filter((id) => !h.has(id))];
  const unstable = unstableSide(base, head);
  const rows = ids.map((id) => {
    const o = { ...opts, ...(opts.runToRunByMetric?.[id] !== undefined ? { runToRun: opts.runToRunByMetric[id] } : {}) };
    const r = compareMetric(id, b.get(id), h.get(id), thresholds[id], { ...o, headIds: h });
    // Unstable rounds on either side: a timing row cannot be trusted either way (perf_analyzer's rule).
    // Only a whole interval beyond the fail level survives it: a swing of the machine does not explain that.
    const wholeBeyondFail = r.band === 'fail' && r.reasonParts?.[0]?.key === 'reason.intervalOver';
    // Nor does it explain an interval wholly on the good side: that is an improvement whatever the stability.
    if (unstable && isTimingMetric(id) && r.band !== 'missing' && !wholeBeyondFail && !wholeGood(r)) {
      const reasonParts = [unstable];
      return { ...r, band: 'inconclusive' as const, reason: '', reasonParts };
    }
    return r;
  });
  // Output drift against the baseline's golden outputs: rows beside accuracy (compare/drift.ts).
  const lastAccuracy = rows.findLastIndex((r) => r.metric.startsWith('accuracy.'));
  rows.splice(lastAccuracy + 1, 0, ...driftRows(base.golden, head.golden, thresholds['drift']));
  const { verdict, reasonParts } = modelVerdict(rows);
  return { model: head.model, verdict, reason: '', reasonParts, rows };
}

/** Whether a row's relative interval lies wholly on the good side of no change (a speed-up, surely). */
function wholeGood(r: ComparisonRow): boolean {
  if (r.interval?.of !== 'relative') return false;
  return r.better === 'lower' ? r.interval.hi < 0 : r.interval.lo > 0;
}

/** The first side whose round medians (latency.p50 per round) fail the stability window, as a reason part. */
function unstableSide(base: ModelMetrics, head: ModelMetrics): Part | null {
  const sides: Array<[ModelMetrics, string]> = [
    [head, 'reason.unstableCurrent'],
    [base, 'reason.unstableBaseline'],
  ];
  for (const [m, side] of sides) {
    const medians = m.metrics.find((x) => x.id === 'latency.p50')?.rounds;
    const bad = medians && roundInstability(medians);
    if (bad) {
      return {
        key: side,
        args: { n: bad.n, spread: { percent: bad.spread, digits: 1 }, limit: { level: { kind: 'relative', value: 0.1 }, unit: 'ms' } },
      };
    }
  }
  return null;
}

/** A model's verdict from its rows' bands (compare/accept.ts re-derives it after acceptance). */
function modelVerdict(rows: ComparisonRow[]): { verdict: Verdict; reasonParts: Part[] } {
  const list = (band: Band) => rows.filter((r) => r.band === band);
  const order: Array<[Band, Verdict, string]> = [
    ['fail', 'fail', 'reason.rowsFailed'],
    ['accepted', 'accepted', 'reason.rowsAccepted'],
    ['inconclusive', 'inconclusive', 'reason.rowsInconclusive'],
    ['warn', 'warn', 'reason.rowsWarned'],
  ];
  for (const [band, verdict, key] of order) {
    const rs = list(band);
    if (rs.length > 0) return { verdict, reasonParts: [{ key, args: { n: rs.length, what: { rows: rs.map((r) => r.metric) } } }] };
  }
  return { verdict: 'pass', reasonParts: [{ key: 'reason.allWithin', args: { n: rows.filter((r) => r.band !== 'missing').length } }] };
}

function isGrowth(unit: Unit, th: Threshold | undefined): boolean {
  const level = th?.fail ?? th?.warn;
  return unit === 'MB/1k' && level?.kind === 'absolute';
}

function compareMetric(
  id: string,
  base: MetricValue | undefined,
  head: MetricValue | undefined,
  th: Threshold | undefined,
  opts: CompareOptions,
): ComparisonRow {
  const meta = (head ?? base)!;
  const bv = base?.value ?? null;
  const hv = head?.value ?? null;
  const missing = (parts: Part[]) => row(id, meta, bv, hv, { band: 'missing', parts });
  if (bv === null) return missing([{ key: 'reason.missingBaseline' }]);
  if (hv === null) return missing([notMeasured(id, opts.headIds)]);
  if (!Number.isFinite(bv)) return missing([{ key: 'reason.notFiniteBaseline', args: { value: String(bv) } }]);
  if (!Number.isFinite(hv)) return missing([{ key: 'reason.notFiniteCurrent', args: { value: String(hv) } }]);
  if (!th) return row(id, meta, bv, hv, { band: 'pass', parts: [{ key: 'reason.noThreshold' }] });

  const ctx = new Ctx(meta, bv, hv, th);
  let judged: Judged;
  if (isGrowth(meta.unit, th)) judged = judgeGrowth(head!, th);
  else if (base!.perSample && head!.perSample) judged = ctx.accuracy(base!.perSample, head!.perSample);
  else judged = ctx.timing(base!.rounds, head!.rounds, opts) ?? ctx.point();
  return row(id, meta, bv, hv, judged);
}

/**
 * Why a metric of the baseline is not in this run. Memory growth is the one measure/ leaves out
 * on purpose: its peak is there but the samples were too few for a slope (fewer than 9).
 */
function notMeasured(id: string, headIds: ReadonlyMap<string, unknown> | undefined): Part {
  const growth = /^memory\.(\w+)\.growth$/.exec(id);
  if (growth) {
    return headIds?.has(`memory.${growth[1]}.peak`) ? { key: 'reason.growthTooFew', args: { n: 9 } } : { key: 'reason.noMemorySamples' };
  }
  return { key: 'reason.missingCurrent' };
}

/** Leak check on this run alone: the low end of the slope's interval against the level. */
function judgeGrowth(m: MetricValue, th: Threshold): Judged {
  const lo = m.interval?.[0] ?? m.value!;
  for (const [band, level] of [
    ['fail', th.fail],
    ['warn', th.warn],
  ] as const) {
    if (level && beyond(lo, level.value)) {
      return { band, parts: [{ key: 'reason.leak', args: { lo: { value: lo, unit: m.unit }, level: { level, unit: m.unit } } }] };
    }
  }
  const level = { level: (th.warn ?? th.fail)!, unit: m.unit };
  // A point above the level whose interval reaches below it is not shown to be a leak: say so, not "within".
  if (m.value !== null && beyond(m.value, (th.warn ?? th.fail)!.value)) {
    const hi = m.interval?.[1] ?? m.value;
    return {
      band: 'pass',
      parts: [{ key: 'reason.leakNotShown', args: { lo: { value: lo, unit: m.unit }, hi: { value: hi, unit: m.unit }, level } }],
    };
  }
  return { band: 'pass', parts: [{ key: 'reason.within', args: { level } }] };
}

/** One metric's comparison: the worsening (in the bad direction) and the levels it is judged against. */
class Ctx {
  readonly sign: number;
  /** Worsening, relative (null when the baseline is 0) and absolute. */
  readonly worseRel: number | null;
  readonly worseAbs: number;
  readonly scale: number;

  constructor(
    readonly meta: Pick<MetricValue, 'label' | 'unit' | 'better'>,
    readonly bv: number,
    readonly hv: number,
    readonly th: Threshold,
  ) {
    this.sign = meta.better === 'lower' ? 1 : -1;
    this.scale = Math.abs(bv);
    this.worseAbs = this.sign * (hv - bv);
    this.worseRel = bv === 0 ? null : this.worseAbs / this.scale;
  }

  /**
   * Whether a worsening crosses `level`, given as a relative worsening (null: baseline 0, use
   * the absolute one). With `floor`, the memory floor `minAbsolute` must be crossed too.
   */
  crosses(level: Level | undefined, rel: number | null, abs = rel === null ? this.worseAbs : rel * this.scale, floor = true): boolean {
    if (!level) return false;
    if (floor && this.th.minAbsolute !== undefined && !beyond(abs, this.th.minAbsolute)) return false;
    if (level.kind === 'absolute') return beyond(abs, level.value);
    return rel === null ? beyond(abs, 0) : beyond(rel, level.value);
  }

  lvl(level: Level): { level: Level; unit: Unit } {
    return { level, unit: this.meta.unit };
  }

  overPart(level: Level): Part {
    return { key: this.meta.better === 'higher' ? 'reason.dropOver' : 'reason.riseOver', args: { level: this.lvl(level) } };
  }

  warnPart(): Part {
    const { warn, fail } = this.th;
    if (warn && fail && warn.kind === fail.kind) {
      const from = warn.kind === 'relative' ? Number((warn.value * 100).toFixed(4)) : warn.value;
      return { key: 'reason.between', args: { from, to: this.lvl(fail) } };
    }
    return this.overPart(warn!);
  }

  /** The pass reason: improvement, under the absolute floor, noise, or within the lowest level. */
  passParts(rel: number | null): Part[] {
    const { noise, warn, fail, minAbsolute } = this.th;
    const lowest = warn ?? fail;
    const parts: Part[] = [];
    if (this.bv === 0) parts.push({ key: 'reason.baselineZero' });
    if (this.worseAbs < 0 && this.crosses(lowest, rel === null ? null : -rel, -this.worseAbs, false)) {
      parts.push({ key: 'reason.improvement' });
    } else if (minAbsolute !== undefined && this.crosses(lowest, rel, undefined, false)) {
      parts.push({
        key: 'reason.belowFloor',
        args: { change: { change: this.hv - this.bv, unit: this.meta.unit }, floor: { amount: minAbsolute, unit: this.meta.unit } },
      });
    } else if (noise) {
      parts.push({ key: 'reason.noise', args: { level: this.lvl(noise) } });
    } else if (lowest) {
      parts.push({ key: 'reason.within', args: { level: this.lvl(lowest) } });
    }
    return parts;
  }

  /** The point estimate alone against the levels (one value per side). */
  point(extra: Part[] = []): Judged {
    const { fail, warn, noise } = this.th;
    const rel = this.worseRel;
    const zero: Part[] = this.bv === 0 ? [{ key: 'reason.baselineZero' }] : [];
    if (this.crosses(fail, rel)) return { band: 'fail', parts: [...zero, this.overPart(fail!), ...extra] };
    if (this.crosses(warn, rel) && !(noise && !this.crosses(noise, rel))) {
      return { band: 'warn', parts: [...zero, this.warnPart(), ...extra] };
    }
    return { band: 'pass', parts: [...this.passParts(rel), ...extra] };
  }

  /** Accuracy with per-sample outcomes: exact drop on the same samples, McNemar p as evidence. */
  accuracy(base: NonNullable<MetricValue['perSample']>, head: NonNullable<MetricValue['perSample']>): Judged {
    const headOk = new Map(head.ids.map((id, i) => [id, head.ok[i] ?? 0] as const));
    const same = base.ids.length === head.ids.length && base.ids.every((id) => headOk.has(id));
    const n = head.ids.length;
    const extra: Part[] = [];
    const level = this.th.fail ?? this.th.warn;
    if (level?.kind === 'absolute' && n > 0 && beyond(100 / n, level.value)) {
      extra.push({
        key: 'reason.smallSet',
        args: {
          n,
          step: { amount: Number((100 / n).toFixed(2)), unit: '%' },
          level: this.lvl(level),
          need: Math.ceil(100 / level.value - 1e-9),
        },
      });
    }
    if (!same) return this.point([{ key: 'reason.unpaired' }, ...extra]);
    const mc = mcnemarExact(
      base.ok,
      base.ids.map((id) => headOk.get(id)!),
    );
    const ci = pairedDiffInterval(mc.b, mc.c, n, LEVEL);
    const judged = this.point();
    if ((judged.band === 'fail' || judged.band === 'warn') && mc.pValue >= 0.05) {
      judged.parts.push({ key: 'reason.chance', args: { p: { p: mc.pValue } } });
    }
    judged.parts.push(...extra);
    return { ...judged, pValue: mc.pValue, interval: { lo: ci.lo, hi: ci.hi, of: 'absolute', level: LEVEL } };
  }

  /** Timings with rounds on both sides: bootstrap interval of the ratio of medians, widened by the run-to-run floor. */
  timing(baseRounds: number[] | undefined, headRounds: number[] | undefined, opts: CompareOptions): Judged | null {
    const br = (baseRounds ?? []).filter(Number.isFinite);
    const hr = (headRounds ?? []).filter(Number.isFinite);
    if (br.length < 2 || hr.length < 2 || !(median(br) > 0) || this.worseRel === null) return null;
    const ci = bootstrapRatioCI(br, hr, { level: LEVEL });
    return this.ratioInterval(widen(ci, opts.runToRun ?? RUN_TO_RUN));
  }

  /**
   * The latency rules on a ratio interval (head/base, 95 %). [L, H] is the worsening interval in
   * the bad direction, w the point (the ratio of the pooled values), n the noise level:
   *   fail          L > n and H > fail   (surely beyond noise, and reaching the fail level)
   *   inconclusive  L ≤ 0 and H > fail   (cannot tell no change from a failure: interval too wide)
   *   warn          L > 0 and H > n      (surely slower, and possibly beyond noise)
   *   pass          otherwise            (H ≤ n: within noise; L ≤ 0: no slowdown shown)
   */
  ratioInterval(ci: { lo: number; hi: number }, extra: Part[] = []): Judged {
    const lo = ci.lo - 1;
    const hi = ci.hi - 1;
    const interval = { lo, hi, of: 'relative' as const, level: LEVEL };
    const [L, H] = this.sign > 0 ? [lo, hi] : [-hi, -lo];
    const w = this.worseRel!;
    const { fail, warn, noise } = this.th;
    const noiseLevel = noise ?? warn ?? fail;
    const span = { lo: { rel: lo }, hi: { rel: hi } };
    const beyondNoise = (x: number) => (noiseLevel ? this.crosses(noiseLevel, x) : x > 0);
    if (fail && beyondNoise(L) && this.crosses(fail, H)) {
      const part: Part = this.crosses(fail, L)
        ? { key: 'reason.intervalOver', args: { level: this.lvl(fail), ...span } }
        : { key: 'reason.reachesFail', args: { level: this.lvl(fail), ...span } };
      return { band: 'fail', interval, parts: [part, ...extra] };
    }
    if (fail && L <= 0 && this.crosses(fail, H) && w > 0) {
      return { band: 'inconclusive', interval, parts: [{ key: 'reason.intervalWide', args: span }, ...extra] };
    }
    if ((warn || fail) && L > 0 && beyondNoise(H)) {
      const level = (warn ?? fail)!;
      let part: Part;
      if (warn && this.crosses(warn, L)) part = { key: 'reason.intervalOver', args: { level: this.lvl(warn), ...span } };
      else if (warn && this.crosses(warn, w) && !(fail && this.crosses(fail, w))) part = this.warnPart();
      else part = { key: 'reason.mayExceed', args: { level: this.lvl(noiseLevel ?? level), ...span } };
      return { band: 'warn', interval, parts: [part, ...extra] };
    }
    if (w <= 0 || H <= 0 || !beyondNoise(H)) return { band: 'pass', interval, parts: [...this.passParts(w), ...extra] };
    return {
      band: 'pass',
      interval,
      parts: [{ key: 'reason.noSlowdownShown', args: { lo: { rel: this.sign > 0 ? lo : hi } } }, ...extra],
    };
  }
}

/** Default run-to-run spread per side (relative sd) when history gives none: see the README, "How the gate decides". */
export const RUN_TO_RUN = 0.015;

export interface CompareOptions {
  /**
   * Relative standard deviation of a metric from one run to the next on the same machine (per
   * side). Rounds within one run share the process's luck (memory layout, the core it landed on,
   * the neighbours of the moment), so a bootstrap over rounds alone is too narrow for two runs
   * made at different times; this floor is added in quadrature. Default RUN_TO_RUN (1.5 %).
   */
  runToRun?: number;
  /** Per-metric override of runToRun (from history). */
  runToRunByMetric?: Record<string, number>;
  /** This run's metrics by id (compareModel sets it), to say why a baseline metric is missing. */
  headIds?: ReadonlyMap<string, unknown>;
}

/** Widen a ratio interval (in log space) by z·√2·σ in quadrature: two independent runs, σ each. */
function widen(ci: { ratio: number; lo: number; hi: number }, sigma: number, level = LEVEL): { ratio: number; lo: number; hi: number } {
  if (!(sigma > 0) || !(ci.ratio > 0)) return ci;
  const z = normalQuantile(1 - (1 - level) / 2);
  const extra = z * Math.SQRT2 * sigma;
  const c = Math.log(ci.ratio);
  const down = Math.hypot(c - Math.log(ci.lo), extra);
  const up = Math.hypot(Math.log(ci.hi) - c, extra);
  return { ratio: ci.ratio, lo: Math.exp(c - down), hi: Math.exp(c + up) };
}

/** Rows of latency and throughput, the timing metrics the round rules and A/B confirmation apply to. */
export function isTimingMetric(id: string): boolean {
  return id.startsWith('latency.') || id === 'throughput';
}

/**
 * One timing row judged on a paired A/B interval (confirm.ts): the same rules as a stored
 * comparison, on the interval of interleaved pairs; `extra` says how it was confirmed.
 */
export function judgeRatio(
  meta: Pick<MetricValue, 'label' | 'unit' | 'better'> & { id: string },
  baseline: number,
  current: number,
  th: Threshold,
  ci: { lo: number; hi: number },
  extra: Part[],
): ComparisonRow {
  const ctx = new Ctx(meta, baseline, current, th);
  const judged = ctx.worseRel === null ? ctx.point(extra) : ctx.ratioInterval(ci, extra);
  return row(meta.id, meta, baseline, current, judged);
}

/**
 * Whether a judged timing row's interval reaches, in the bad direction, beyond the noise level:
 * the comparison cannot rule out a slowdown worth reporting. True for every fail, warn and
 * inconclusive timing row, and for a pass that only says "no slowdown shown" (L ≤ 0 < n < H).
 * Rows without a relative interval (one value per side) fall back to their band.
 */
export function mayExceedNoise(row: ComparisonRow, th: Threshold): boolean {
  if (row.band === 'fail' || row.band === 'warn' || row.band === 'inconclusive') return true;
  if (row.band !== 'pass' || row.interval?.of !== 'relative' || row.baseline === null || row.current === null) return false;
  const ctx = new Ctx(row, row.baseline, row.current, th);
  const H = ctx.sign > 0 ? row.interval.hi : -row.interval.lo;
  const level = th.noise ?? th.warn ?? th.fail;
  return level ? ctx.crosses(level, H) : H > 0;
}

export { modelVerdict };

/**
 * The gate's verdict over its models: the worst *actionable* one. Precedence: fail > unreadable >
 * warn > inconclusive > incomparable > no-baseline > pass (a model not compared keeps a clean pass
 * from showing). A model whose verdict is inconclusive but which has a warning row counts as a
 * warning here: a measured slowdown is something to act on, an unstable tail row is not.
 * `failed` when any model's verdict, or the warning it hides under inconclusive, is in `failOn`
 * (default: fail only). Each band is counted as itself: regressions count failing rows,
 * warnings warning rows, inconclusive inconclusive rows; rows of incomparable or unreadable
 * models count neither way.
 */
export function gateVerdict(
  models: ModelComparison[],
  failOn: Array<'fail' | 'warn' | 'inconclusive' | 'unreadable'> = ['fail'],
): { verdict: Verdict; regressions: number; warnings: number; inconclusive: number; accepted: number; failed: boolean } {
  const order: Verdict[] = ['fail', 'unreadable', 'accepted', 'warn', 'inconclusive', 'incomparable', 'no-baseline', 'pass'];
  const judged = (m: ModelComparison) => m.verdict !== 'incomparable' && m.verdict !== 'unreadable';
  const actionable = (m: ModelComparison): Verdict =>
    m.verdict === 'inconclusive' && m.rows.some((r) => r.band === 'warn') ? 'warn' : m.verdict;
  const verdicts = new Set(models.map(actionable));
  const verdict = order.find((v) => verdicts.has(v)) ?? 'pass';
  // Rows of a model that was not judged (environment differs, baseline unreadable) are shown for
  // information only and count neither way.
  const rows = models.filter(judged).flatMap((m) => m.rows);
  const fails = failOn as string[];
  return {
    verdict,
    regressions: rows.filter((r) => r.band === 'fail').length,
    warnings: rows.filter((r) => r.band === 'warn').length,
    inconclusive: rows.filter((r) => r.band === 'inconclusive').length,
    accepted: rows.filter((r) => r.band === 'accepted').length,
    // An accepted model still fails on its other rows when fail-on names their band (warn, inconclusive).
    failed: models.some(
      (m) =>
        fails.includes(m.verdict) ||
        fails.includes(actionable(m)) ||
        (m.verdict === 'accepted' && m.rows.some((r) => fails.includes(r.band))),
    ),
  };
}

/**
 * One model's comparison with its baseline: judged under the thresholds when the environments
 * match on the fingerprint fields, otherwise "incomparable" with the fields that differ (the
 * numbers are still shown, for information). Shared by the gate and `paddle-perf-gate compare`.
 */
export function judgeModel(
  base: { metrics: ModelMetrics; fingerprint: Record<string, string | null>; sameFingerprint?: boolean } | undefined,
  head: { metrics: ModelMetrics; fingerprint: Record<string, string | null> },
  plan: { thresholds: Record<string, Threshold>; fingerprintFields: readonly string[] },
  options: CompareOptions = {},
): ModelComparison {
  const compared = compareModel(base?.metrics, head.metrics, plan.thresholds, options);
  if (!base) return compared;
  const differences = fingerprintDifferences(base.fingerprint, head.fingerprint, plan.fingerprintFields);
  if (base.sameFingerprint !== false && differences.length === 0) return compared;
  return {
    ...compared,
    verdict: 'incomparable',
    reason: '',
    reasonParts: [{ key: 'reason.incomparable', args: { fields: differences.map((d) => d.field).join(', ') || 'fingerprint' } }],
    differences,
  };
}
