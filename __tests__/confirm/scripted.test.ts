/**
 * Same-runner A/B confirmation, exactly: a scripted runner (the Runner port, returning validated
 * run-result documents) gives every call scripted latencies, so the interleaving, the paired
 * interval and the verdicts are the same on any machine, however busy. The real-engine tests in
 * confirm.test.ts only check what holds under any load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareModel } from '../../src/compare/index.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { confirmComparison } from '../../src/confirm.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { measure } from '../../src/measure/index.js';
import type { Progress, RunRequest, Runner } from '../../src/ports.js';
import { parseRunResult } from '../../src/runners/result.js';
import type { MeasurePlan, ModelComparison, ModelPlan, RunResult } from '../../src/types.js';

const DATASET: PreparedDataset = { dir: '/unused', hash: 'h', shape: [1, 3, 4, 4], ids: ['#0'], labels: [null] };
const MEASURE: MeasurePlan = {
  warmupIterations: 5,
  warmupSeconds: 0,
  rounds: 3,
  minRounds: 3,
  minIterationsPerRound: 10,
  minRoundSeconds: 0,
  maxSeconds: 10,
  precision: 0.01,
};
const MODEL: ModelPlan = {
  name: 'm',
  path: '/models/head.onnx',
  baselinePath: '/models/base.onnx',
  format: 'onnx',
  task: 'generic',
  dataset: { format: 'npy', inputs: '/unused' },
  engine: {
    name: 'onnxruntime',
    device: 'cpu',
    precision: 'fp32',
    threads: 1,
    batchSize: 1,
    tensorrt: false,
    mkldnn: false,
    irOptim: true,
    memoryOptim: false,
    deviceId: 0,
  },
} as ModelPlan;

type Side = 'base' | 'head';

// confirmComparison makes a work directory per call; the scripted runner writes nothing there.
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'ppg-scripted-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** A document as any runner writes it, validated by the same parser the gate uses. */
function doc(name: string, rounds: number[][]): RunResult {
  return parseRunResult(
    {
      schema: 'paddle-perf-gate/run@1',
      model: { name, format: 'onnx', files: [{ path: 'm.onnx', sha256: 'a'.repeat(64), bytes: 10 }] },
      engine: { name: 'onnxruntime', version: '1.30.0', device: 'cpu', precision: 'fp32', options: { threads: 1 } },
      env: { runner: 'scripted', cpuModel: 'scripted' },
      timing: { warmupIterations: 5, batchSize: 1, rounds, measureSeconds: 1, startupSeconds: 0.1 },
      memory: { gpuIdleMb: null, gpu: null, rss: { iteration: [0], mb: [100] } },
      outputs: { ids: [], predictions: [] },
    },
    'scripted',
  );
}

/**
 * Each call's latencies come from `script(side, call)`, `call` counting that side's calls from 0
 * (the priming call is the head's call 0). Records the order of the calls it served.
 */
function scriptedRunner(script: (side: Side, call: number) => number[]): Runner & { order: string[]; requests: RunRequest[] } {
  const count = { base: 0, head: 0 };
  const order: string[] = [];
  const requests: RunRequest[] = [];
  return {
    kind: 'embedded',
    order,
    requests,
    run(request) {
      const side: Side = request.model.path === MODEL.baselinePath ? 'base' : 'head';
      order.push(side);
      requests.push(request);
      const rounds = Array.from({ length: request.measure.rounds }, () => script(side, count[side]));
      count[side]++;
      return Promise.resolve(doc(request.model.name, rounds));
    },
  };
}

/** Ten iterations whose minimum is `own` ms; a busy spell slows the rest (interference only adds time). */
const call = (own: number, busy = 1.17) => [
  own * busy,
  own * 1.02,
  own,
  own * busy,
  own * 1.05,
  own * busy,
  own * 1.01,
  own * busy,
  own * 1.03,
  own * busy,
];

function storedComparison(base: number, head: number): ModelComparison {
  const run = (ms: number) => doc('m', [call(ms), call(ms * 1.001), call(ms * 0.999)]);
  return compareModel(measure(run(base), DATASET, 'generic'), measure(run(head), DATASET, 'generic'), DEFAULT_THRESHOLDS);
}

async function confirm(runner: Runner, stored: ModelComparison, pairs = 6): Promise<{ out: ModelComparison; lines: string[] }> {
  const lines: string[] = [];
  const progress: Progress = { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) };
  const out = await confirmComparison(
    runner,
    { model: MODEL, measure: MEASURE, dataset: DATASET, workDir, pairs, thresholds: DEFAULT_THRESHOLDS },
    stored,
    progress,
  );
  return { out, lines };
}

const row = (c: ModelComparison, id: string) => c.rows.find((r) => r.metric === id)!;

describe('A/B confirmation with a scripted runner (exact)', () => {
  it('runs a discarded priming call, then counterbalanced pairs (A B, B A, …), one timing-only round each', async () => {
    const runner = scriptedRunner(() => call(10));
    await confirm(runner, storedComparison(10, 12));
    expect(runner.order).toEqual(['head', 'base', 'head', 'head', 'base', 'base', 'head', 'head', 'base', 'base', 'head', 'head', 'base']);
    for (const r of runner.requests) {
      expect(r.timingOnly).toBe(true);
      expect(r.measure).toMatchObject({ rounds: 1, minRounds: 1, warmupIterations: 5, warmupSeconds: 0 });
    }
  });

  it('A/A: identical own costs pass with a zero change, even when busy spells hit whole calls of either side', async () => {
    // Pair 2's base call and pair 5's head call ran entirely inside a busy spell (+17 % on every
    // iteration, minimum included): the trimmed mean drops those two pairs, the estimate stays 1.
    const runner = scriptedRunner((side, n) => {
      const whole = (side === 'base' && n === 1) || (side === 'head' && n === 5);
      return call(whole ? 11.7 : 10);
    });
    const stored = storedComparison(10, 13);
    expect(stored.verdict).toBe('fail');
    const { out, lines } = await confirm(runner, stored);
    const p50 = row(out, 'latency.p50');
    expect(p50.band).toBe('pass');
    expect(p50.deltaRel).toBeCloseTo(0, 12);
    expect(p50.interval!.lo).toBeLessThanOrEqual(0);
    expect(p50.interval!.hi).toBeGreaterThanOrEqual(0);
    expect(p50.reason).toMatch(/not confirmed by 6 interleaved A\/B pairs on this runner$/);
    expect(out.verdict).toBe('pass');
    for (const id of ['latency.p90', 'latency.p99', 'latency.mean', 'throughput']) expect(row(out, id).band).toBe('pass');
    expect(lines[0]).toBe('m: confirming on this runner with 6 interleaved A/B pairs (baseline /models/base.onnx)');
    expect(lines.some((l) => /^m: latency p50: stored-baseline fail → A\/B pass/.test(l))).toBe(true);
  });

  it('+20 % own cost in every pair is confirmed: fail, the same interval on every latency row, throughput inverted', async () => {
    const runner = scriptedRunner((side, n) => call(side === 'head' ? 12 : 10, n % 2 ? 1.3 : 1.1));
    const { out } = await confirm(runner, storedComparison(10, 12));
    const p50 = row(out, 'latency.p50');
    expect(p50.band).toBe('fail');
    expect(p50.deltaRel).toBeCloseTo(0.2, 12);
    expect(p50.interval!.lo).toBeCloseTo(0.2, 12);
    expect(p50.interval!.hi).toBeCloseTo(0.2, 12);
    expect(p50.reason).toMatch(/confirmed by 6 interleaved A\/B pairs on this runner$/);
    for (const id of ['latency.p90', 'latency.p99', 'latency.mean']) expect(row(out, id).interval).toEqual(p50.interval);
    const tp = row(out, 'throughput');
    expect(tp.band).toBe('fail');
    expect(tp.interval!.hi).toBeCloseTo(1 / 1.2 - 1, 12);
    expect(out.verdict).toBe('fail');
  });

  it('+20 % in only half the pairs (the machine, not the model) is inconclusive, never a confirmed fail', async () => {
    // Pairs 1, 3, 5: head +20 %; pairs 2, 4, 6: no change. Trimmed mean of the log ratios
    // ≈ +9.5 %, and the interval reaches from no change to beyond the fail level.
    const runner = scriptedRunner((side, n) => call(side === 'head' && n > 0 && n % 2 === 1 ? 12 : 10));
    const { out } = await confirm(runner, storedComparison(10, 12));
    const p50 = row(out, 'latency.p50');
    expect(p50.band).toBe('inconclusive');
    expect(p50.deltaRel).toBeCloseTo(Math.sqrt(1.2) - 1, 12);
    expect(p50.interval!.lo).toBeLessThan(0);
    expect(p50.interval!.hi).toBeGreaterThan(0.1);
    expect(p50.reason).toMatch(/^interval too wide: .*; not confirmed by 6 interleaved A\/B pairs on this runner$/);
    expect(out.verdict).toBe('inconclusive');
  });

  it('fewer than 3 pairs, or no baseline-path: the stored comparison is returned untouched and nothing runs', async () => {
    const runner = scriptedRunner(() => call(10));
    const stored = storedComparison(10, 12);
    expect((await confirm(runner, stored, 2)).out).toBe(stored);
    const lines: string[] = [];
    const out = await confirmComparison(
      runner,
      {
        model: { ...MODEL, baselinePath: undefined },
        measure: MEASURE,
        dataset: DATASET,
        workDir,
        pairs: 6,
        thresholds: DEFAULT_THRESHOLDS,
      } as never,
      stored,
      { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
    );
    expect(out).toBe(stored);
    expect(runner.order).toEqual([]);
    expect(lines).toEqual([]);
  });
});
