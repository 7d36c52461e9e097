/**
 * Same-runner A/B confirmation, exactly: a scripted runner (the Runner port, returning validated
 * run-result documents) gives every call scripted latencies and predictions, so the interleaving,
 * the base side's checks (run spec, predictions, own cost), the sequential stopping, the paired
 * interval and the verdicts are the same on any machine, however busy. The real-engine tests in
 * confirm.test.ts and base-commit.test.ts only check what holds under any load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareModel as judgeKeys } from '../../src/compare/index.js';
import { describe as inWords } from '../../src/text/index.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { confirmComparison as confirmKeys, type BaseSide } from '../../src/confirm.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { measure } from '../../src/measure/index.js';
import type { Progress, RunRequest, Runner } from '../../src/ports.js';
import { RunnerError } from '../../src/errors.js';
import { parseRunResult } from '../../src/runners/result.js';
import { predictionsDigest, runSpecOf } from '../../src/run-spec.js';
import type { BaselineRun, MeasurePlan, ModelComparison, ModelPlan, PairsFigure, RunResult, RunnerPlan } from '../../src/types.js';

/** compare/ says why in keys; what a user reads is text/'s English (the gate writes it the same way). */
const compareModel = (...args: Parameters<typeof judgeKeys>) => inWords(judgeKeys(...args));
/** confirm says why in keys; what a user reads is text/'s English (the gate writes it the same way). */
const confirmComparison = async (...args: Parameters<typeof confirmKeys>) => inWords(await confirmKeys(...args));

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
  accuracy: { batch: 6, threads: 'auto' },
};
const MODEL: ModelPlan = {
  name: 'm',
  path: '/models/head.onnx',
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
};

type Side = 'base' | 'head';
const BASE_MODEL: ModelPlan = { ...MODEL, path: '/models/base.onnx' };
const BASE: BaseSide = { model: BASE_MODEL, measure: MEASURE, dataset: DATASET, from: 'base checkout of 0123456789ab' };
const RUNNER: RunnerPlan = { kind: 'embedded' };
const FILES = [{ path: 'm.onnx', sha256: 'a'.repeat(64), bytes: 10 }];
const PREDICTED = { ids: ['#0'], predictions: [{ kind: 'digest' as const, sha256: 'b'.repeat(64) }] };
/** The baseline's run record as promotion writes it: the base side's spec and predictions, its own cost. */
const RECORD: BaselineRun = {
  spec: runSpecOf(BASE_MODEL, DATASET, MEASURE, RUNNER, FILES),
  predictions: predictionsDigest(PREDICTED),
  ownMs: 10,
};

// confirmComparison makes a work directory per call; the scripted runner writes nothing there.
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'ppg-scripted-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** A document as any runner writes it, validated by the same parser the gate uses. */
function doc(name: string, rounds: number[][], outputs: RunResult['outputs'] = { ids: [], predictions: [] }): RunResult {
  return parseRunResult(
    {
      schema: 'paddle-perf-gate/run@1',
      model: { name, format: 'onnx', files: FILES },
      engine: { name: 'onnxruntime', version: '1.30.0', device: 'cpu', precision: 'fp32', options: { threads: 1 } },
      env: { runner: 'scripted', cpuModel: 'scripted' },
      timing: { warmupIterations: 5, batchSize: 1, rounds, measureSeconds: 1, startupSeconds: 0.1 },
      memory: { gpuIdleMb: null, gpu: null, rss: { iteration: [0], mb: [100] } },
      outputs,
    },
    'scripted',
  );
}

/**
 * Each call's latencies come from `script(side, call)`, `call` counting that side's calls from 0
 * (the priming call is the base side's call 0; it alone has the prediction pass, answered with
 * `predicted`). Records the order of the calls it served.
 */
function scriptedRunner(
  script: (side: Side, call: number) => number[],
  predicted: RunResult['outputs'] = PREDICTED,
): Runner & { order: string[]; requests: RunRequest[] } {
  const count = { base: 0, head: 0 };
  const order: string[] = [];
  const requests: RunRequest[] = [];
  return {
    kind: 'embedded',
    order,
    requests,
    run(request) {
      const side: Side = request.model.path === BASE_MODEL.path ? 'base' : 'head';
      order.push(side);
      requests.push(request);
      const rounds = Array.from({ length: request.measure.rounds }, () => script(side, count[side]));
      count[side]++;
      return Promise.resolve(doc(request.model.name, rounds, request.timingOnly ? undefined : predicted));
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

async function confirm(
  runner: Runner,
  stored: ModelComparison,
  pairs = 6,
  expected: BaselineRun = RECORD,
  onPairs?: (p: PairsFigure) => void,
): Promise<{ out: ModelComparison; lines: string[] }> {
  const lines: string[] = [];
  const progress: Progress = { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) };
  const out = await confirmComparison(
    runner,
    {
      model: MODEL,
      measure: MEASURE,
      dataset: DATASET,
      base: BASE,
      expected,
      runner: RUNNER,
      workDir,
      pairs,
      thresholds: DEFAULT_THRESHOLDS,
      ...(onPairs ? { onPairs } : {}),
    },
    stored,
    progress,
  );
  return { out, lines };
}

const row = (c: ModelComparison, id: string) => c.rows.find((r) => r.metric === id)!;

describe('A/B confirmation with a scripted runner (exact)', () => {
  it("runs the base side's priming call with predictions, then counterbalanced pairs (A B, B A, …), one timing-only round each", async () => {
    const runner = scriptedRunner(() => call(10));
    await confirm(runner, storedComparison(10, 12));
    expect(runner.order).toEqual(['base', 'base', 'head', 'head', 'base', 'base', 'head', 'head', 'base', 'base', 'head', 'head', 'base']);
    expect(runner.requests[0]!.timingOnly).toBeUndefined();
    for (const r of runner.requests.slice(1)) expect(r.timingOnly).toBe(true);
    for (const r of runner.requests) expect(r.measure).toMatchObject({ rounds: 1, minRounds: 1, warmupIterations: 5, warmupSeconds: 0 });
  });

  it('A/A: identical own costs pass with a zero change, even when busy spells hit whole calls of either side', async () => {
    // Pair 2's base call and pair 5's head call ran entirely inside a busy spell (+17 % on every
    // iteration, minimum included): the trimmed mean drops those two pairs, the estimate stays 1.
    const runner = scriptedRunner((side, n) => {
      const whole = (side === 'base' && n === 2) || (side === 'head' && n === 4);
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
    expect(lines[0]).toBe('m: confirming on this runner with up to 6 interleaved A/B pairs (base side: base checkout of 0123456789ab)');
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

  it("hands report.html each pair's own-cost ratio, the judged interval and the judged row's bands; nothing when void", async () => {
    const seen: PairsFigure[] = [];
    const runner = scriptedRunner((side, n) => call(side === 'head' && n % 2 === 0 ? 12 : 10));
    const { out } = await confirm(runner, storedComparison(10, 12), 6, RECORD, (p) => seen.push(p));
    expect(seen).toHaveLength(1);
    const [p] = seen;
    expect(p!.ratios.map((r) => Number(r.toFixed(12)))).toEqual([1.2, 1, 1.2, 1, 1.2, 1]);
    const p50 = row(out, 'latency.p50');
    expect(p!.lo - 1).toBeCloseTo(p50.interval!.lo, 12);
    expect(p!.hi - 1).toBeCloseTo(p50.interval!.hi, 12);
    const th = DEFAULT_THRESHOLDS[p!.bands.metric]!;
    expect(p!.bands).toEqual({ metric: p!.bands.metric, noise: th.noise!.value, warn: th.warn!.value, fail: th.fail!.value });

    const other = scriptedRunner(() => call(10), { ids: ['#0'], predictions: [{ kind: 'digest', sha256: 'c'.repeat(64) }] });
    await confirm(other, storedComparison(10, 12), 6, RECORD, (x) => seen.push(x));
    expect(seen).toHaveLength(1);
  });

  it('+20 % in only half the pairs (the machine, not the model) is inconclusive, never a confirmed fail', async () => {
    // Pairs 1, 3, 5: head +20 %; pairs 2, 4, 6: no change. Trimmed mean of the log ratios
    // ≈ +9.5 %, and the interval reaches from no change to beyond the fail level.
    const runner = scriptedRunner((side, n) => call(side === 'head' && n % 2 === 0 ? 12 : 10));
    const { out } = await confirm(runner, storedComparison(10, 12));
    const p50 = row(out, 'latency.p50');
    expect(p50.band).toBe('inconclusive');
    expect(p50.deltaRel).toBeCloseTo(Math.sqrt(1.2) - 1, 12);
    expect(p50.interval!.lo).toBeLessThan(0);
    expect(p50.interval!.hi).toBeGreaterThan(0.1);
    expect(p50.reason).toMatch(/^interval too wide: .*; not confirmed by 6 interleaved A\/B pairs on this runner$/);
    expect(out.verdict).toBe('inconclusive');
  });

  it('fewer than 3 pairs: the stored comparison is returned untouched and nothing runs', async () => {
    const runner = scriptedRunner(() => call(10));
    const stored = storedComparison(10, 12);
    const { out, lines } = await confirm(runner, stored, 2);
    expect(out).toEqual(stored);
    expect(runner.order).toEqual([]);
    expect(lines).toEqual([]);
  });
});

describe('sequential stopping (exact)', () => {
  it('an unchanged model stops at 8 of 20 pairs: the 99 % interval is inside the noise band', async () => {
    const runner = scriptedRunner(() => call(10));
    const { out, lines } = await confirm(runner, storedComparison(10, 12), 20);
    expect(runner.order).toHaveLength(1 + 2 * 8);
    expect(row(out, 'latency.p50').band).toBe('pass');
    expect(row(out, 'latency.p50').reason).toMatch(/not confirmed by 8 interleaved A\/B pairs on this runner$/);
    expect(lines).toContain('m: decisive after 8 pairs (+0.0 % … +0.0 % at 99 %): stopping early (pass)');
  });

  it('+20 % stops at 8 pairs as a fail: the 99 % interval is wholly past the fail level', async () => {
    const runner = scriptedRunner((side) => call(side === 'head' ? 12 : 10));
    const { out } = await confirm(runner, storedComparison(10, 12), 20);
    expect(runner.order).toHaveLength(1 + 2 * 8);
    expect(row(out, 'latency.p50').band).toBe('fail');
    expect(row(out, 'latency.p50').reason).toMatch(/; confirmed by 8 interleaved A\/B pairs on this runner$/);
  });

  it('+7 % is decisive neither way: all 20 pairs run, and it warns', async () => {
    const runner = scriptedRunner((side) => call(side === 'head' ? 10.7 : 10));
    const { out } = await confirm(runner, storedComparison(10, 10.7), 20);
    expect(runner.order).toHaveLength(1 + 2 * 20);
    expect(row(out, 'latency.p50').band).toBe('warn');
    expect(row(out, 'latency.p50').reason).toMatch(/; confirmed by 20 interleaved A\/B pairs on this runner$/);
  });
});

describe('the base side must prove it is the baseline (exact)', () => {
  const storedFail = () => {
    const stored = storedComparison(10, 13);
    // The whole stored interval is past the fail level.
    expect(row(stored, 'latency.p50').band).toBe('fail');
    expect(row(stored, 'latency.p50').interval!.lo).toBeGreaterThan(0.1);
    return stored;
  };

  it('other predictions: void after the priming call alone; a stored fail wholly past the fail level stays a fail', async () => {
    const runner = scriptedRunner(() => call(10), { ids: ['#0'], predictions: [{ kind: 'digest', sha256: 'c'.repeat(64) }] });
    const stored = storedFail();
    const { out, lines } = await confirm(runner, stored);
    expect(runner.order).toEqual(['base']);
    expect(out.verdict).toBe('fail');
    for (const id of ['latency.p50', 'latency.p90', 'latency.p99', 'latency.mean', 'throughput']) {
      expect(row(out, id).band).toBe(row(stored, id).band);
      expect(row(out, id).reason).toMatch(
        /; A\/B confirmation void: the base side's predictions on the 1 sample differ from the 1 recorded with the baseline; the stored verdict stands$/,
      );
    }
    expect(lines).toContain(
      "warn: m: A/B confirmation void, the stored verdict stands: the base side's predictions on the 1 sample differ from the 1 recorded with the baseline",
    );
  });

  it('a base side that does not run (its model fails to load): void, the stored fail stands', async () => {
    const scripted = scriptedRunner(() => call(10));
    const runner: Runner = {
      kind: 'embedded',
      run: (request, progress) =>
        request.model.path === BASE_MODEL.path
          ? Promise.reject(new RunnerError('onnxruntime: failed to load /models/base.onnx: protobuf parsing failed'))
          : scripted.run(request, progress),
    };
    const { out } = await confirm(runner, storedFail());
    expect(out.verdict).toBe('fail');
    expect(row(out, 'latency.p50').reason).toMatch(
      /A\/B confirmation void: the base side does not run: onnxruntime: failed to load \/models\/base\.onnx: protobuf parsing failed; the stored verdict stands$/,
    );
  });

  it('another run spec (the recorded threads differ): void, naming the field', async () => {
    const runner = scriptedRunner(() => call(10));
    const expected = { ...RECORD, spec: { ...RECORD.spec, engine: { ...RECORD.spec.engine, threads: 4 } } };
    const { out } = await confirm(runner, storedFail(), 6, expected);
    expect(runner.order).toEqual(['base']);
    expect(out.verdict).toBe('fail');
    expect(row(out, 'latency.p50').reason).toMatch(
      /A\/B confirmation void: the base side is not the baseline's run: engine\.threads 4 → 1;/,
    );
  });

  it('an own cost 23 % below the recorded one: void after the pairs, the stored fail stands', async () => {
    // The head is as fast as the base side: without the check the pairs would clear the stored fail.
    const runner = scriptedRunner(() => call(10));
    const { out } = await confirm(runner, storedFail(), 6, { ...RECORD, ownMs: 13 });
    expect(runner.order).toHaveLength(1 + 2 * 6);
    expect(out.verdict).toBe('fail');
    expect(row(out, 'latency.p50').reason).toMatch(
      /A\/B confirmation void: the base side's own cost 10\.00 ms is -23\.1 % from the baseline's 13\.00 ms, beyond the ±14\.7 % that the fail level and the runner's noise allow;/,
    );
  });

  it('an own cost within the tolerance (−9 %: a faster runner today) lets the pairs decide', async () => {
    const runner = scriptedRunner(() => call(10));
    const { out } = await confirm(runner, storedFail(), 6, { ...RECORD, ownMs: 11 });
    expect(out.verdict).toBe('pass');
    expect(row(out, 'latency.p50').reason).toMatch(/not confirmed by 6 interleaved A\/B pairs on this runner$/);
  });
});
