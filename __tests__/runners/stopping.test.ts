/**
 * The Python harness's measurement loop (bench.py timed_rounds) driven by a scripted clock: each
 * "inference" advances the clock by a scripted latency and nothing else does, so the rounds, the
 * stop reason and the stop round are exact and independent of how busy the machine is. The same
 * round medians through TypeScript's stopDecision must stop at the same round: the docker and
 * local runners (harness) and the embedded runner (TypeScript) share one rule.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stopDecision } from '../../src/measure/stopping.js';
import { median } from '../../src/measure/stats.js';
import { buildJob, defaultHarnessPath } from '../../src/runners/job.js';
import type { MeasurePlan } from '../../src/types.js';
import { QUICK, recModel } from './fixtures.js';

const DRIVER = `
import json, sys, importlib.util
spec = importlib.util.spec_from_file_location("bench", sys.argv[1])
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
req = json.load(sys.stdin)
now = [1000.0]
lat = req["latencies"]
i = [0]
def infer_next():
    ms = lat[i[0] % len(lat)]
    i[0] += 1
    def call():
        now[0] += ms / 1000.0
    return call
before = []
rounds, stop, seconds = bench.timed_rounds(req["measure"], req["stopping"], infer_next, lambda total: before.append(total), lambda: now[0])
print("RESULT " + json.dumps({"rounds": rounds, "stop": stop, "seconds": seconds, "before": before}))
`;

interface Loop {
  rounds: number[][];
  stop: 'precise' | 'max-seconds' | 'max-rounds';
  seconds: number;
  before: number[];
  progress: string[];
}

/** The stopping table exactly as the runners hand it to the harness (job.ts buildJob). */
function stoppingFor(measure: MeasurePlan): unknown {
  const job = buildJob(
    { model: recModel(), measure, dataset: { dir: '/d', ids: ['a'] } as never, workDir: '/w' },
    { dir: '/m', entry: 'm.onnx' },
    { modelDir: '/m', datasetDir: '/d', output: '/o/run.json' },
  );
  return job['stopping'];
}

function runLoop(measure: MeasurePlan, latencies: number[]): Promise<Loop> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', DRIVER, defaultHarnessPath()], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) return reject(new Error(`python3 driver exited ${code}: ${err || out}`));
      const progress = out
        .split('\n')
        .filter((l) => l.startsWith('PPG-PROGRESS '))
        .map((l) => l.slice(13));
      resolve({ ...(JSON.parse(line.slice(7)) as Omit<Loop, 'progress'>), progress });
    });
    child.stdin.end(JSON.stringify({ measure, stopping: stoppingFor(measure), latencies }));
  });
}

const M = (over: Partial<MeasurePlan>): MeasurePlan => ({
  ...QUICK,
  rounds: 8,
  minRounds: 3,
  precision: 0.01,
  minIterationsPerRound: 4,
  minRoundSeconds: 0,
  maxSeconds: 600,
  ...over,
});

/** The round at which stopDecision first says stop, and why (maxSeconds never reached here). */
function tsStop(rounds: number[][], m: MeasurePlan): { n: number; reason: string } {
  const medians: number[] = [];
  for (const r of rounds) {
    medians.push(median(r));
    const d = stopDecision(medians, { minRounds: m.minRounds, maxRounds: m.rounds, precision: m.precision });
    if (d.stop) return { n: medians.length, reason: d.reason };
  }
  return { n: medians.length, reason: 'continue' };
}

describe('harness measurement loop with a scripted clock (exact)', () => {
  it('steady 10 ms iterations: precise after exactly min-rounds rounds', async () => {
    const m = M({});
    const loop = await runLoop(m, [10, 10, 10, 10]);
    expect(loop.stop).toBe('precise');
    expect(loop.rounds).toEqual(
      [
        [10, 10, 10, 10],
        [10, 10, 10, 10],
        [10, 10, 10, 10],
      ].map((r) => r.map((v) => expect.closeTo(v, 6))),
    );
    expect(loop.seconds).toBeCloseTo(0.12, 9);
    // Memory sampling and bookkeeping run before every timed iteration, outside the timing.
    expect(loop.before).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(loop.progress).toEqual([
      'round 1/8: 4 iterations, median 10.000 ms',
      'round 2/8: 4 iterations, median 10.000 ms',
      'round 3/8: 4 iterations, median 10.000 ms',
    ]);
    expect(tsStop(loop.rounds, m)).toEqual({ n: 3, reason: 'precise' });
  });

  it('round medians alternating 10 / 12 ms (a machine switching states): never stable, runs all rounds', async () => {
    const m = M({ rounds: 6 });
    const loop = await runLoop(m, [10, 10, 10, 10, 12, 12, 12, 12]);
    expect(loop.stop).toBe('max-rounds');
    expect(loop.rounds.map((r) => median(r))).toEqual([10, 12, 10, 12, 10, 12].map((v) => expect.closeTo(v, 6)));
    expect(tsStop(loop.rounds, m)).toEqual({ n: 6, reason: 'max-rounds' });
  });

  it('a slow first round, then steady: waits for the last three medians to agree, then stops', async () => {
    // Round 1 at 20 ms, then 10 ms: the window is stable from round 4 on, but the interval over
    // [20, 10, 10, …] narrows only as steady rounds accumulate: ±79.6 % at 4 rounds, ±20.3 % at 11,
    // ±18.3 % at 12 — the first within ±20 %.
    const m = M({ rounds: 20, precision: 0.2 });
    const loop = await runLoop(m, [20, 20, 20, 20, ...Array<number>(400).fill(10)]);
    expect(loop.stop).toBe('precise');
    expect(loop.rounds.length).toBe(12);
    expect(tsStop(loop.rounds, m)).toEqual({ n: 12, reason: 'precise' });
  });

  it('max-seconds ends the measurement inside a round, with the rounds done so far', async () => {
    // 125 ms iterations (binary-exact, like every scripted time here), 5 per round, 1.5 s allowed:
    // rounds 1 and 2 take 1.25 s, round 3 starts and is cut after 2 iterations. min-rounds 10 keeps
    // the precision rule out of it.
    const m = M({ rounds: 8, minRounds: 10, minIterationsPerRound: 5, maxSeconds: 1.5 });
    const loop = await runLoop(m, [125]);
    expect(loop.stop).toBe('max-seconds');
    expect(loop.rounds.map((r) => r.length)).toEqual([5, 5, 2]);
    expect(loop.seconds).toBe(1.5);
  });

  it('min-round-seconds lengthens a round beyond min-iterations', async () => {
    // 15.625 ms = 1/64 s: four iterations make exactly the 1/16 s a round must last.
    const m = M({ rounds: 3, minRounds: 3, minIterationsPerRound: 2, minRoundSeconds: 0.0625 });
    const loop = await runLoop(m, [15.625]);
    expect(loop.rounds.map((r) => r.length)).toEqual([4, 4, 4]);
  });

  it.each<{ name: string; medians: number[] }>([
    { name: 'tight', medians: [10, 10.02, 9.98, 10.01] },
    { name: '±3 %', medians: [10, 10.3, 9.7, 10.2, 9.9] },
    { name: 'exactly 10 % window', medians: [10, 11, 10.5, 10.4] },
    { name: 'spike in the window', medians: [10, 10, 10, 11.5, 10] },
    { name: 'drifting up', medians: [10, 10.2, 10.4, 10.6, 10.8, 11] },
  ])('bench.py precise_enough agrees with stopDecision round by round: $name', async ({ medians }) => {
    // One iteration per round at the median's latency: the round median is exactly that value.
    const m = M({ rounds: medians.length, minRounds: 3, precision: 0.02, minIterationsPerRound: 1 });
    const loop = await runLoop(m, medians);
    const ts = tsStop(loop.rounds, m);
    expect(loop.rounds.length).toBe(ts.n);
    expect(loop.stop === 'precise').toBe(ts.reason === 'precise');
  });
});
