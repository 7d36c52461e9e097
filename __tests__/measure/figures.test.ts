/**
 * What report.html is given per model stays bounded and says what happened: the changed samples
 * (both directions, capped, with the source image downscaled), memory series thinned but fitted on
 * every sample, and nothing invented where the baseline has no per-sample record.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { figuresOf } from '../../src/measure/figures.js';
import { parseRunResult } from '../../src/runners/result.js';
import { BASELINE_SCHEMA, type Baseline, type DatasetPlan, type ModelMetrics, type RunResult } from '../../src/types.js';

const ROOT = resolve('examples/data/ocr-rec');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-figures-'));
  await writeFile(join(dir, 'broken.png'), 'not an image');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function run(rss: number[]): RunResult {
  return parseRunResult(
    {
      schema: 'paddle-perf-gate/run@1',
      model: { name: 'rec', format: 'onnx', files: [{ path: 'm.onnx', sha256: 'a'.repeat(64), bytes: 1 }] },
      engine: { name: 'onnxruntime', version: '1.30.0', device: 'cpu', precision: 'fp32', options: {} },
      env: { runner: 'embedded' },
      timing: { warmupIterations: 1, batchSize: 1, rounds: [[1, 2, 3]], measureSeconds: 1, startupSeconds: 0 },
      memory: { gpuIdleMb: null, gpu: null, rss: { iteration: rss.map((_, i) => i * 10), mb: rss } },
      outputs: { ids: [], predictions: [] },
    },
    'test',
  );
}

/** Metrics of an OCR run: sample i is right when ok[i] is 1; predictions are the label or 'x'. */
function metrics(ids: string[], ok: number[], labels: string[], rounds = [4, 5, 6]): ModelMetrics {
  return {
    model: 'rec',
    task: 'ocr-rec',
    samples: ids.length,
    iterations: 30,
    metrics: [
      { id: 'accuracy.line', label: 'line accuracy', unit: '%', better: 'higher', value: 50, perSample: { ids, ok } },
      { id: 'latency.p50', label: 'latency p50', unit: 'ms', better: 'lower', value: 5, rounds },
    ],
    decoded: ids.map((id, i) => ({ id, label: labels[i]!, prediction: ok[i] ? labels[i]! : `${labels[i]!}x` })),
  };
}

function baseline(m: ModelMetrics): Baseline {
  return {
    schema: BASELINE_SCHEMA,
    gate: 'g',
    model: 'rec',
    repo: 'o/r',
    commit: 'b'.repeat(40),
    branch: 'main',
    createdAt: '2026-11-01T00:00:00Z',
    fingerprint: {},
    fingerprintHash: 'h',
    metrics: m,
  };
}

const DATASET: DatasetPlan = {
  format: 'ppocr-rec',
  labels: join(ROOT, 'rec_gt.txt'),
  root: ROOT,
  dictionary: 'unused',
  preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320] },
};

it('lists the samples that broke, then those that were fixed, with a small PNG of each', async () => {
  const ids = ['images/0001.png', 'images/0002.png', 'images/0003.png', 'images/0004.png'];
  const labels = ['合格：异常', '油温 7.8℃', 'Model YJ-717A', '合计￥9843.65'];
  const head = metrics(ids, [1, 0, 1, 0], labels, [7, 8, 9]);
  const base = baseline(metrics(ids, [0, 1, 1, 0], labels));
  const f = await figuresOf({ run: run([100, 101]), metrics: head, baseline: base, dataset: DATASET });
  expect(f.latency).toEqual({ head: [7, 8, 9], base: [4, 5, 6] });
  expect(f.flips.map(({ image: _, ...rest }) => rest)).toEqual([
    { id: 'images/0002.png', label: '油温 7.8℃', now: '油温 7.8℃x', before: '油温 7.8℃', kind: 'broke' },
    { id: 'images/0001.png', label: '合格：异常', now: '合格：异常', before: '合格：异常x', kind: 'fixed' },
  ]);
  for (const flip of f.flips) {
    const png = decode(Buffer.from(flip.image!.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect(png.height).toBeLessThanOrEqual(32);
    expect(png.width).toBeLessThanOrEqual(240);
    expect(png.width).toBeGreaterThan(png.height); // a text line keeps its shape
  }
  expect(f.flipsOmitted).toBe(0);
});

it('caps the list at 40 and counts the rest; an unreadable image leaves the row without a picture', async () => {
  const ids = Array.from({ length: 50 }, () => 'broken.png').map((p, i) => (i === 0 ? p : `missing-${i}.png`));
  const labels = ids.map((_, i) => `line ${i}`);
  const f = await figuresOf({
    run: run([1]),
    metrics: metrics(
      ids,
      ids.map(() => 0),
      labels,
    ),
    baseline: baseline(
      metrics(
        ids,
        ids.map(() => 1),
        labels,
      ),
    ),
    dataset: { ...DATASET, root: dir },
  });
  expect(f.flips).toHaveLength(40);
  expect(f.flipsOmitted).toBe(10);
  expect(f.flips.every((x) => x.image === undefined)).toBe(true);
});

it('no baseline: no base side and no flips; memory thinned to 400 points, fitted on the window peaks of all samples', async () => {
  const rss = Array.from({ length: 2000 }, (_, i) => 100 + i / 100 + (i % 7 === 0 ? 5 : 0));
  const f = await figuresOf({ run: run(rss), metrics: metrics(['a'], [1], ['a']), dataset: DATASET });
  expect(f.latency.base).toBeNull();
  expect(f.flips).toEqual([]);
  expect(f.memory.gpu).toBeNull();
  expect(f.memory.rss!.iteration.length).toBeLessThanOrEqual(400);
  expect(f.memory.rss!.iteration[0]).toBe(0);
  // 8 windows over the 2,000 samples: each peak is its window's highest sample (a saw-tooth top).
  expect(f.memory.rss!.peaks).toHaveLength(8);
  for (const [, mb] of f.memory.rss!.peaks) expect(mb).toBeGreaterThan(105);
});
