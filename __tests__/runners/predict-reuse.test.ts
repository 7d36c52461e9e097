/**
 * The accuracy workers' batch loop reuses its input chunk and output tensors from range to range
 * (runners/predict.ts BatchLoop.input, .outputs), so a worker's memory stays flat: the raw
 * predictions must be exactly those of a loop that allocates everything afresh, and with
 * `width: dynamic` — a width per batch, batches sorted by width — the loop keeps only the output
 * tensors of the widths in use, not one per width seen (the shipped set has 20: 6.4–11 MB each).
 * Real PP-OCRv4 rec, real prepared sets (fixed and dynamic width), ranges of uneven length.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDataset } from '../../src/dataset/prepare.js';
import { feedOf, type PreparedDataset } from '../../src/dataset/prepared.js';
import { openSamples } from '../../src/dataset/samples.js';
import { predictRange, type BatchLoop } from '../../src/runners/predict.js';
import type { RawOutput } from '../../src/types.js';
import { DICTIONARY, REC_MODEL } from './fixtures.js';

process.env['ORT_DISABLE_TELEMETRY'] = '1';
const ort = await import('onnxruntime-node');
let root: string;
let session: InferenceSession;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ppg-predict-reuse-'));
  session = await ort.InferenceSession.create(REC_MODEL, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
}, 60_000);
afterAll(async () => {
  await session.release();
  await rm(root, { recursive: true, force: true });
});

async function prepared(dynamic: boolean): Promise<PreparedDataset> {
  return prepareDataset(
    {
      format: 'ppocr-rec',
      labels: 'examples/data/ocr-rec/rec_gt.txt',
      root: 'examples/data/ocr-rec',
      dictionary: DICTIONARY,
      limit: 96,
      preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320], ...(dynamic ? { dynamic: { batch: 6 } } : {}) },
    },
    join(root, 'cache'),
    { info: () => {}, warn: () => {} },
  );
}

/** Every sample's raw prediction, in ranges of `chunk` samples, with or without the reused buffers. */
async function predictAll(ds: PreparedDataset, batch: number, chunk: number, reuse: boolean) {
  const reader = await openSamples(ds);
  const feed = feedOf(ds);
  const loop: BatchLoop = {
    ort,
    session,
    reader,
    task: 'ocr-rec',
    modelName: 'rec',
    ids: ds.ids,
    ...(feed ? { feed } : {}),
    ...(reuse ? { outputs: new Map<string, Tensor>(), input: {} } : {}),
  };
  const predictions: RawOutput[] = [];
  let most = 0;
  try {
    for (let first = 0; first < reader.count; first += chunk) {
      const got = await predictRange(loop, first, Math.min(chunk, reader.count - first), batch);
      predictions.push(...got.predictions);
      most = Math.max(most, loop.outputs?.size ?? 0);
    }
  } finally {
    await reader.close();
  }
  return { predictions, most };
}

describe('the batch loop with reused buffers', () => {
  it('fixed width: the same raw predictions as fresh buffers, for ranges of uneven length (the last one short)', async () => {
    const ds = await prepared(false);
    const fresh = await predictAll(ds, 4, 20, false);
    const reused = await predictAll(ds, 4, 20, true);
    expect(reused.predictions).toHaveLength(96);
    expect(reused.predictions).toEqual(fresh.predictions);
    // Batches of 4 and the last range's short batch: never more than two output tensors held.
    expect(reused.most).toBeLessThanOrEqual(2);
  }, 120_000);

  it("width: dynamic: predict_rec.py's batches at their widths, the same predictions, at most two output tensors held", async () => {
    const ds = await prepared(true);
    const widths = new Set(feedOf(ds)!.widths);
    expect(widths.size).toBeGreaterThan(3); // several widths, or the cap is not exercised
    const fresh = await predictAll(ds, 6, 24, false);
    const reused = await predictAll(ds, 6, 24, true);
    expect(reused.predictions).toEqual(fresh.predictions);
    expect(reused.most).toBeLessThanOrEqual(2);
  }, 120_000);
});
