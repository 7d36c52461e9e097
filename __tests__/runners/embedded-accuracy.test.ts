/**
 * The embedded runner's accuracy pass (batched, all cores, streamed from the compact cache) on the
 * shipped sets with the real PP-OCR models: its raw predictions must be exactly those of today's
 * path (every sample at batch 1, one thread, on tensors preprocessed straight to float32), so the
 * accuracy figures stay 98.33 % (rec lines) and 99.58 % (direction classifier).
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { decodeImage } from '../../src/dataset/image.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { preprocessImage } from '../../src/dataset/preprocess.js';
import { measure } from '../../src/measure/index.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { rawOutput } from '../../src/runners/outputs.js';
import type { ModelPlan, RawOutput } from '../../src/types.js';
import { QUICK, recordingProgress } from './fixtures.js';

let dir: string;
let models: ModelPlan[];
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ppg-embedded-accuracy-'));
  models = (await loadConfig(path.resolve('examples/demo/gate.yml'))).models;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Today's path: each image preprocessed straight to float32 and run alone on a 1-thread session. */
async function batchOne(model: ModelPlan, ds: PreparedDataset): Promise<RawOutput[]> {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(model.path, { intraOpNumThreads: 1 });
  const root = (model.dataset as { root: string }).root;
  const p = (model.dataset as { preprocess: Parameters<typeof preprocessImage>[1] }).preprocess;
  const out: RawOutput[] = [];
  try {
    for (const id of ds.ids) {
      const x = preprocessImage(decodeImage(await readFile(path.resolve(root, id)), id), p);
      const y = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [1, ...ds.shape.slice(1)]) }))[
        session.outputNames[0]!
      ]!;
      out.push(rawOutput(model.task, y.data as Float32Array, y.dims.slice(1)));
    }
  } finally {
    await session.release();
  }
  return out;
}

describe('embedded runner: the batched accuracy pass', () => {
  it.each([
    { name: 'PP-OCRv4-rec', metric: 'accuracy.line', expected: 98.33 },
    { name: 'PP-OCR-direction-cls', metric: 'accuracy.top1', expected: 99.58 },
  ])(
    '$name: predictions identical to batch 1, $metric $expected %',
    async ({ name, metric, expected }) => {
      const model = models.find((m) => m.name === name)!;
      const ds = await prepareDataset(model.dataset, path.join(dir, 'cache'), { info: () => {}, warn: () => {} });
      const progress = recordingProgress();
      const run = await createEmbeddedRunner().run({ model, measure: QUICK, dataset: ds, workDir: path.join(dir, 'work') }, progress);

      expect(run.outputs.ids).toEqual(ds.ids);
      expect(run.outputs.predictions).toEqual(await batchOne(model, ds));
      expect(run.notes?.join('\n')).toMatch(
        /accuracy pass: batch (6|auto → [6421] \(a line at [^)]*\)|6 \(auto: too few samples to compare batches\)), \d+ threads?; the first 12 predictions checked equal to batch 1/,
      );
      expect(progress.infos.join('\n')).toMatch(new RegExp(`predictions for ${ds.ids.length} samples in [0-9.]+ s \\(batch [6421]`));
      expect(progress.warns).toEqual([]);

      const value = measure(run, ds, model.task).metrics.find((m) => m.id === metric)!.value!;
      expect(value.toFixed(2)).toBe(expected.toFixed(2));
    },
    180_000,
  );
});
