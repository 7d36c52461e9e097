/**
 * Datasets as users have them → the prepared dataset every runner feeds (see prepared.ts).
 * Preparation runs once per content: the directory name is a sha256 over the label file, every
 * image's bytes, the dictionary and the preprocessing settings, so an unchanged dataset is a
 * cache hit and any changed byte is a miss.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeUtf8 } from '../config/text.js';
import { ConfigError, DataError } from '../errors.js';
import type { Progress } from '../ports.js';
import type { DatasetPlan, Preprocess } from '../types.js';
import { parseDictionary, parseImageList, parsePlainLabels, parsePpocrRec, type LabelEntry } from './labels.js';
import { npyHeader, readNpy, toFloat32 } from './npy.js';
import {
  DATASET_SCHEMA,
  INPUTS_FILE,
  MANIFEST_FILE,
  PIXELS_FILE,
  type PixelEncoding,
  type PreparedDataset,
  type RandomEncoding,
} from './prepared.js';
import { RANDOM_GENERATOR } from './random.js';
import { decodeImage } from './image.js';
import { pixelLut, preprocessPixels, preprocessShape } from './preprocess.js';
import { evictDatasets, touchDataset } from './cache-limit.js';
import { preparePixels } from './workers.js';
import { readAllSamples } from './samples.js';
import { counted, isSingular } from '../plural.js';

/**
 * Bump when preprocessing code changes its output, so old caches are not reused. Not bumped for
 * the compact storage (8-bit pixels): the tensors are bit-identical, so the content hash (recorded
 * in baselines' run specs as dataset.sha256) stays; an image set cached as float32 by an older
 * version is prepared again in the compact form (below).
 */
const PREPARE_VERSION = 2;

interface Manifest extends Omit<PreparedDataset, 'dir'> {
  schema: typeof DATASET_SCHEMA;
  /** For people reading the cache: where the set came from and how it was preprocessed. */
  source?: { format: DatasetPlan['format']; file: string; samples: number; preprocess?: Preprocess };
}

export async function prepareDataset(plan: DatasetPlan, cacheDir: string, progress: Progress): Promise<PreparedDataset> {
  if (plan.limit !== undefined && (!Number.isInteger(plan.limit) || plan.limit < 1)) {
    throw new ConfigError(`dataset.limit must be a positive integer, got ${plan.limit}`);
  }
  if (plan.format === 'random') return prepareRandom(plan, cacheDir, progress);
  return plan.format === 'npy' ? prepareNpy(plan, cacheDir, progress) : prepareImages(plan, cacheDir, progress);
}

// ───────────────────────────── images + label file ─────────────────────────────

type ImagePlan = Extract<DatasetPlan, { format: 'ppocr-rec' | 'image-list' }>;

async function prepareImages(plan: ImagePlan, cacheDir: string, progress: Progress): Promise<PreparedDataset> {
  validatePreprocess(plan.preprocess);
  const labelsFile = path.resolve(plan.labels);
  const labelBytes = await readSource(labelsFile, 'label file');
  const labelText = utf8(labelBytes, labelsFile);

  let entries: LabelEntry[];
  let dictionary: string[] | undefined;
  let dictBytes: Uint8Array | undefined;
  if (plan.format === 'ppocr-rec') {
    entries = parsePpocrRec(labelText, labelsFile);
    const dictFile = path.resolve(plan.dictionary);
    dictBytes = await readSource(dictFile, 'dictionary');
    dictionary = parseDictionary(utf8(dictBytes, dictFile), dictFile);
  } else {
    entries = parseImageList(labelText, labelsFile, plan.classNames?.length);
  }
  if (entries.length === 0) {
    const expected = plan.format === 'ppocr-rec' ? '"image<TAB>text"' : '"image label"';
    throw new DataError(`${labelsFile}: the dataset is empty (expected lines ${expected})`);
  }
  if (plan.limit !== undefined) entries = entries.slice(0, plan.limit);
  if (dictionary) warnUnknownCharacters(entries, dictionary, labelsFile, progress);

  const root = path.resolve(plan.root);
  const images = entries.map((e) => ({ ...e, file: path.resolve(root, e.image) }));

  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      v: PREPARE_VERSION,
      format: plan.format,
      preprocess: plan.preprocess,
      limit: plan.limit ?? null,
      classNames: plan.format === 'image-list' ? (plan.classNames ?? null) : null,
    }),
  );
  hashPart(hash, labelBytes);
  if (dictBytes) hashPart(hash, dictBytes);
  // Every image is read for the key; the bytes are not kept (a set can be larger than memory).
  for (const img of images) hashPart(hash, await readImage(img.file, labelsFile, img.line));
  const key = hash.digest('hex');

  const dir = path.join(path.resolve(cacheDir), key);
  const name = path.basename(labelsFile);
  let cached = await tryLoad(dir, key);
  if (cached && cached.encoding?.kind !== 'u8-lut') {
    // Cached as float32 by an older version: four times the size; prepare it again, compact.
    await rm(dir, { recursive: true, force: true });
    cached = undefined;
  }
  if (cached) {
    progress.info(`dataset ${name}: cache hit, ${counted(images.length, 'sample', 'samples')} prepared in ${dir}`);
    await touchDataset(dir);
    await evictDatasets(path.resolve(cacheDir), dir, progress);
    return cached;
  }

  if (plan.preprocess.kind === 'ppocr-rec' && plan.preprocess.dynamic) {
    const { shape, dynamic } = plan.preprocess;
    return prepareDynamicRec(
      plan,
      { kind: 'ppocr-rec', shape, dynamic },
      images,
      { dir, key, name, labelsFile, dictionary },
      cacheDir,
      progress,
    );
  }
  const [c, h, w] = preprocessShape(plan.preprocess);
  const shape = [images.length, c, h, w];
  progress.info(
    `dataset ${name}: preparing ${counted(images.length, 'image', 'images')} → ${shape.join('×')}, stored as 8-bit pixels (${plan.preprocess.kind})`,
  );
  const started = Date.now();
  const table = pixelLut(plan.preprocess);
  const encoding: PixelEncoding = { kind: 'u8-lut', widths: [], lut: table.lut.map((t) => Array.from(t)), pad: table.pad };
  const manifest: Manifest = {
    schema: DATASET_SCHEMA,
    hash: key,
    shape,
    ids: images.map((i) => i.image),
    labels: images.map((i) => i.label),
    ...(plan.format === 'image-list' && plan.classNames ? { classNames: plan.classNames } : {}),
    ...(dictionary ? { dictionary } : {}),
    source: { format: plan.format, file: labelsFile, samples: images.length, preprocess: plan.preprocess },
    encoding,
  };
  const meter = progressMeter(`dataset ${name}`, images.length, progress);
  const jobs = images.map((img) => ({ file: img.file, where: `${labelsFile}:${img.line}`, line: img.line, labelsFile }));
  const ds = await writePrepared(dir, manifest, PIXELS_FILE, async function* () {
    for await (const px of preparePixels(jobs, plan.preprocess)) {
      encoding.widths.push(px.width);
      meter.tick();
      yield px.data;
    }
  });
  progress.info(
    `dataset ${name}: prepared ${counted(images.length, 'sample', 'samples')} in ${((Date.now() - started) / 1000).toFixed(1)} s → ${dir}`,
  );
  await evictDatasets(path.resolve(cacheDir), ds.dir, progress);
  return ds;
}

/**
 * PaddleOCR tools/infer/predict_rec.py, TextRecognizer.__call__ — the inference path (preprocess
 * width: dynamic), as it builds its batches:
 *   width_list = [w / h per image]; indices = np.argsort(width_list)   (stable here: ties keep file order)
 *   per batch of rec_batch_num: max_wh_ratio = max(imgW / imgH, w / h of each of its images)
 *   resize_norm_img(img, max_wh_ratio): imgW = int(imgH · max_wh_ratio); resized_w =
 *     min(imgW, ceil(imgH · w / h)); cv2.resize to (resized_w, imgH); zero-padded to imgW.
 * The samples are stored in that order (ids and labels with them), each with its batch's width
 * (encoding.feed); the runners feed those batches (the accuracy pass) at those widths.
 */
async function prepareDynamicRec(
  plan: ImagePlan,
  preprocess: Extract<Preprocess, { kind: 'ppocr-rec' }> & { dynamic: { batch: number } },
  images: Array<LabelEntry & { file: string }>,
  at: { dir: string; key: string; name: string; labelsFile: string; dictionary: string[] | undefined },
  cacheDir: string,
  progress: Progress,
): Promise<PreparedDataset> {
  const [c, imgH, imgW] = preprocess.shape;
  const { batch } = preprocess.dynamic;
  const started = Date.now();
  const sizes: Array<{ width: number; height: number }> = [];
  for (const img of images) {
    const decoded = decodeImage(await readImage(img.file, at.labelsFile, img.line), `${at.labelsFile}:${img.line}: ${img.file}`);
    sizes.push({ width: decoded.width, height: decoded.height });
  }
  const ratios = sizes.map((z) => z.width / z.height);
  const order = ratios.map((_, i) => i).sort((a, b) => ratios[a]! - ratios[b]! || a - b);
  const feedOf = new Array<number>(images.length);
  for (let beg = 0; beg < order.length; beg += batch) {
    const members = order.slice(beg, beg + batch);
    const maxRatio = Math.max(imgW / imgH, ...members.map((i) => ratios[i]!));
    const width = Math.trunc(imgH * maxRatio);
    for (const i of members) feedOf[i] = width;
  }
  const maxW = Math.max(...order.map((i) => feedOf[i]!));
  const table = pixelLut(preprocess);
  const encoding: PixelEncoding = {
    kind: 'u8-lut',
    widths: [],
    lut: table.lut.map((t) => Array.from(t)),
    pad: table.pad,
    feed: { batch, widths: order.map((i) => feedOf[i]!) },
  };
  const shape = [images.length, c, imgH, maxW];
  progress.info(
    `dataset ${at.name}: preparing ${counted(images.length, 'image', 'images')} in predict_rec.py's batches of ${batch} (widths ${Math.min(...encoding.feed!.widths)}–${maxW}), stored as 8-bit pixels`,
  );
  const manifest: Manifest = {
    schema: DATASET_SCHEMA,
    hash: at.key,
    shape,
    ids: order.map((i) => images[i]!.image),
    labels: order.map((i) => images[i]!.label),
    ...(at.dictionary ? { dictionary: at.dictionary } : {}),
    source: { format: plan.format, file: at.labelsFile, samples: images.length, preprocess },
    encoding,
  };
  const ds = await writePrepared(at.dir, manifest, PIXELS_FILE, async function* () {
    for (const i of order) {
      const img = images[i]!;
      const decoded = decodeImage(await readImage(img.file, at.labelsFile, img.line), `${at.labelsFile}:${img.line}: ${img.file}`);
      // resize_norm_img at this batch's width: resized_w = min(imgW, ceil(imgH · w / h)).
      const px = preprocessPixels(decoded, { kind: 'ppocr-rec', shape: [c, imgH, feedOf[i]!] });
      encoding.widths.push(px.width);
      yield px.data;
    }
  });
  progress.info(
    `dataset ${at.name}: prepared ${counted(images.length, 'sample', 'samples')} in ${((Date.now() - started) / 1000).toFixed(1)} s → ${at.dir}`,
  );
  await evictDatasets(path.resolve(cacheDir), ds.dir, progress);
  return ds;
}

/**
 * One progress line every 10 s at most: count, rate and time left (a large set takes minutes;
 * a line per 100 samples buried the log).
 */
function progressMeter(what: string, total: number, progress: Progress): { tick(): void } {
  const started = Date.now();
  let done = 0;
  let last = started;
  return {
    tick() {
      done++;
      const now = Date.now();
      if (now - last < 10_000 || done === total) return;
      last = now;
      const rate = done / ((now - started) / 1000);
      const left = (total - done) / rate;
      progress.info(`${what}: ${done}/${total} images, ${rate.toFixed(0)}/s, about ${formatSeconds(left)} left`);
    },
  };
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 90) return `${Math.ceil(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function validatePreprocess(p: Preprocess): void {
  const dims = p.kind === 'imagenet' ? [p.resizeShort, p.crop] : p.shape;
  if (!dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ConfigError(`dataset preprocessing ${p.kind}: sizes must be positive integers, got [${dims.join(', ')}]`);
  }
  if (p.kind === 'imagenet' && p.crop > p.resizeShort) {
    throw new ConfigError(`dataset preprocessing imagenet: crop ${p.crop} is larger than resize-short ${p.resizeShort}`);
  }
  if (p.kind !== 'imagenet' && p.shape[0] !== 3 && p.shape[0] !== 1) {
    throw new ConfigError(`dataset preprocessing ${p.kind}: shape [${p.shape.join(', ')}] must have 1 or 3 channels`);
  }
}

function warnUnknownCharacters(entries: LabelEntry[], dictionary: string[], file: string, progress: Progress): void {
  const known = new Set(dictionary);
  known.add(' '); // the decoder's use_space_char class
  const bad = entries.filter((e) => [...e.label].some((ch) => !known.has(ch)));
  if (bad.length === 0) return;
  const first = bad[0]!;
  const chars = [...new Set([...first.label].filter((ch) => !known.has(ch)))].join('');
  progress.warn(
    `${file}: ${bad.length} of ${counted(entries.length, 'label', 'labels')} ${isSingular('en', bad.length) ? 'has' : 'have'} characters outside the dictionary (e.g. line ${first.line}: ${JSON.stringify(chars)}); as PaddleOCR's label encoding does, they are dropped from the labels before scoring`,
  );
}

export async function readImage(file: string, labelsFile: string, line: number): Promise<Uint8Array> {
  try {
    // A device or a FIFO (`/dev/zero`, `/dev/stdin`) would be read for ever.
    if (!(await stat(file)).isFile())
      throw new DataError(`${labelsFile}:${line}: expected an image file, got a directory or device: ${file}`);
    return await readFile(file);
  } catch (error) {
    if (error instanceof DataError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new DataError(`${labelsFile}:${line}: image not found: ${file}`);
    throw new DataError(`${labelsFile}:${line}: cannot read image ${file}: ${(error as Error).message}`, { cause: error });
  }
}

// ───────────────────────────── NPY + labels ─────────────────────────────

type NpyPlan = Extract<DatasetPlan, { format: 'npy' }>;

async function prepareNpy(plan: NpyPlan, cacheDir: string, progress: Progress): Promise<PreparedDataset> {
  const inputsFile = path.resolve(plan.inputs);
  const npyBytes = await readSource(inputsFile, 'NPY inputs');
  const arr = readNpy(npyBytes, inputsFile);
  if (arr.shape.length < 2) {
    throw new DataError(
      `${inputsFile}: NPY inputs must have a sample axis and at least one more, [N, ...]; got shape (${arr.shape.join(', ')})`,
    );
  }
  const rows = arr.shape[0]!;
  if (rows === 0) throw new DataError(`${inputsFile}: the dataset is empty (0 rows)`);

  let labels: Array<string | null> = new Array<string | null>(rows).fill(null);
  let labelBytes: Uint8Array | undefined;
  if (plan.labels !== undefined) {
    const labelsFile = path.resolve(plan.labels);
    labelBytes = await readSource(labelsFile, 'label file');
    const parsed = parsePlainLabels(utf8(labelBytes, labelsFile), labelsFile, plan.classNames);
    if (parsed.length !== rows) {
      throw new DataError(
        `${labelsFile}: has ${counted(parsed.length, 'label', 'labels')}, but ${inputsFile} has ${rows} rows (expected one label per row)`,
      );
    }
    labels = parsed.map((p) => p.label);
  }
  let dictionary: string[] | undefined;
  let dictBytes: Uint8Array | undefined;
  if (plan.dictionary !== undefined) {
    const dictFile = path.resolve(plan.dictionary);
    dictBytes = await readSource(dictFile, 'dictionary');
    dictionary = parseDictionary(utf8(dictBytes, dictFile), dictFile);
  }

  const n = Math.min(rows, plan.limit ?? rows);
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ v: PREPARE_VERSION, format: 'npy', limit: plan.limit ?? null, classNames: plan.classNames ?? null }));
  hashPart(hash, npyBytes);
  hashPart(hash, labelBytes ?? new Uint8Array());
  hashPart(hash, dictBytes ?? new Uint8Array());
  const key = hash.digest('hex');
  const dir = path.join(path.resolve(cacheDir), key);
  const name = path.basename(inputsFile);
  const cached = await tryLoad(dir, key);
  if (cached) {
    progress.info(`dataset ${name}: cache hit, ${counted(n, 'sample', 'samples')} prepared in ${dir}`);
    await touchDataset(dir);
    await evictDatasets(path.resolve(cacheDir), dir, progress);
    return cached;
  }
  if (arr.dtype !== 'float32') progress.warn(`${inputsFile}: ${arr.dtype} inputs are converted to float32`);
  const shape = [n, ...arr.shape.slice(1)];
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const data = toFloat32(arr).subarray(0, n * per);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const row = Math.floor(bad / per);
    throw new DataError(
      `${inputsFile}: row ${row} holds ${data[bad]} (flat index ${bad}): expected finite numbers as model inputs${arr.dtype === 'float32' ? '' : ` (after converting ${arr.dtype} to float32)`}`,
    );
  }
  const manifest: Manifest = {
    schema: DATASET_SCHEMA,
    hash: key,
    shape,
    ids: Array.from({ length: n }, (_, i) => `#${i}`),
    labels: labels.slice(0, n),
    ...(plan.classNames ? { classNames: plan.classNames } : {}),
    ...(dictionary ? { dictionary } : {}),
    source: { format: 'npy', file: inputsFile, samples: n },
  };
  const ds = await writePrepared(dir, manifest, INPUTS_FILE, function* () {
    yield data;
  });
  progress.info(`dataset ${name}: prepared ${counted(n, 'sample', 'samples')} → ${dir}`);
  await evictDatasets(path.resolve(cacheDir), ds.dir, progress);
  return ds;
}

// ───────────────────────────── seeded random inputs ─────────────────────────────

type RandomPlan = Extract<DatasetPlan, { format: 'random' }>;

/**
 * A manifest and no data file: readers generate the values (dataset/random.ts). The shape's first
 * axis is the model's batch axis (1); the samples are the rest.
 */
async function prepareRandom(plan: RandomPlan, cacheDir: string, progress: Progress): Promise<PreparedDataset> {
  const [lo, hi] = plan.range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new ConfigError(`dataset.random.range: expected [low, high] with low < high, got [${lo}, ${hi}]`);
  }
  if (plan.shape.length < 2 || plan.shape[0] !== 1 || !plan.shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ConfigError(
      `dataset.random.shape: expected the model input's shape with the batch axis first and every dimension fixed, [1, ...], got [${plan.shape.join(', ')}]`,
    );
  }
  if (!Number.isInteger(plan.seed) || plan.seed < 0 || plan.seed >= 2 ** 32) {
    throw new ConfigError(`dataset.random.seed: expected an integer 0 … 4294967295, got ${plan.seed}`);
  }
  const n = Math.min(plan.count, plan.limit ?? plan.count);
  const shape = [n, ...plan.shape.slice(1)];
  if (shape.reduce((a, b) => a * b, 1) > 2 ** 32) {
    throw new ConfigError(
      `dataset.random: ${counted(n, 'sample', 'samples')} of [${plan.shape.join(', ')}] are more than 2^32 values: lower count`,
    );
  }
  let dictionary: string[] | undefined;
  let dictBytes: Uint8Array | undefined;
  if (plan.dictionary !== undefined) {
    const dictFile = path.resolve(plan.dictionary);
    dictBytes = await readSource(dictFile, 'dictionary');
    dictionary = parseDictionary(utf8(dictBytes, dictFile), dictFile);
  }
  const encoding: RandomEncoding = { kind: 'random', generator: RANDOM_GENERATOR, range: [lo, hi], seed: plan.seed };
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ v: PREPARE_VERSION, format: 'random', shape, encoding, classNames: plan.classNames ?? null }));
  hashPart(hash, dictBytes ?? new Uint8Array());
  const key = hash.digest('hex');
  const dir = path.join(path.resolve(cacheDir), key);
  const cached = await tryLoad(dir, key);
  if (cached) {
    await touchDataset(dir);
    return cached;
  }
  const manifest: Manifest = {
    schema: DATASET_SCHEMA,
    hash: key,
    shape,
    ids: Array.from({ length: n }, (_, i) => `#${i}`),
    labels: new Array<string | null>(n).fill(null),
    ...(plan.classNames ? { classNames: plan.classNames } : {}),
    ...(dictionary ? { dictionary } : {}),
    encoding,
  };
  const ds = await writePrepared(dir, manifest, null, () => []);
  progress.info(
    `dataset: ${n} seeded random samples [${shape.slice(1).join(', ')}] in [${lo}, ${hi}], seed ${plan.seed} (${RANDOM_GENERATOR})`,
  );
  return ds;
}

// ───────────────────────────── the prepared directory ─────────────────────────────

/**
 * Writes inputs.npy (streamed, sample by sample) and manifest.json into a temporary sibling,
 * then renames it into place, so a crash or a concurrent preparation never leaves a half
 * written directory under the final name.
 */
async function writePrepared(
  dir: string,
  manifest: Manifest,
  file: typeof INPUTS_FILE | typeof PIXELS_FILE | null,
  chunks: () => AsyncIterable<Float32Array | Uint8Array> | Iterable<Float32Array | Uint8Array>,
): Promise<PreparedDataset> {
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    const fh = file === null ? null : await open(path.join(tmp, file), 'w');
    if (fh) {
      try {
        if (file === INPUTS_FILE) await fh.write(npyHeader(manifest.shape));
        for await (const chunk of chunks()) {
          await fh.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        }
      } finally {
        await fh.close();
      }
    }
    await writeFile(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest) + '\n');
    try {
      await rename(tmp, dir);
    } catch (error) {
      // Another preparation of the same content finished first: use its result.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  // loadPrepared checks the file sizes against the manifest: a short write cannot pass as a dataset.
  return loadPrepared(dir);
}

async function tryLoad(dir: string, hash: string): Promise<PreparedDataset | undefined> {
  try {
    const ds = await loadPrepared(dir);
    return ds.hash === hash ? ds : undefined;
  } catch {
    // Absent, or damaged by hand (a final directory is only ever created whole, by rename):
    // clear it so the fresh preparation can take its name.
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Reads and validates `<dir>/manifest.json`; checks that inputs.npy is there with the right size. */
export async function loadPrepared(dir: string): Promise<PreparedDataset> {
  const abs = path.resolve(dir);
  const file = path.join(abs, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${file}: not found (expected a prepared dataset directory)`);
    throw new DataError(`${file}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const m = raw as Record<string, unknown>;
  const bad = (field: string, expected: string): never => {
    throw new DataError(`${file}: field "${field}" ${expected}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('(root)', 'must be an object');
  if (m.schema !== DATASET_SCHEMA) bad('schema', `must be "${DATASET_SCHEMA}", got ${JSON.stringify(m.schema)}`);
  if (typeof m.hash !== 'string' || !/^[0-9a-f]{64}$/.test(m.hash)) bad('hash', 'must be a sha256 hex string');
  const shape = m.shape;
  if (!Array.isArray(shape) || shape.length < 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    bad('shape', 'must be an array of at least two positive integers [N, ...]');
  }
  const n = (shape as number[])[0]!;
  if (!Array.isArray(m.ids) || m.ids.length !== n || !m.ids.every((s) => typeof s === 'string')) {
    bad('ids', `must be an array of ${counted(n, 'string', 'strings')}`);
  }
  if (!Array.isArray(m.labels) || m.labels.length !== n || !m.labels.every((s) => typeof s === 'string' || s === null)) {
    bad('labels', `must be an array of ${counted(n, 'string', 'strings')} or nulls`);
  }
  for (const field of ['classNames', 'dictionary'] as const) {
    const v = m[field];
    if (v !== undefined && (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))) bad(field, 'must be an array of strings');
  }
  let encoding: PixelEncoding | undefined;
  let dataFile = path.join(abs, INPUTS_FILE);
  let needed = npyHeader(shape as number[]).length + (shape as number[]).reduce((a, b) => a * b, 1) * 4;
  const e = m.encoding as Record<string, unknown> | undefined;
  if (e !== undefined && typeof e === 'object' && e !== null && e.kind === 'random') {
    const range = e.range;
    if (e.generator !== RANDOM_GENERATOR) bad('encoding.generator', `must be "${RANDOM_GENERATOR}", got ${JSON.stringify(e.generator)}`);
    if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite)) bad('encoding.range', 'must be [low, high]');
    if (!Number.isInteger(e.seed) || (e.seed as number) < 0 || (e.seed as number) >= 2 ** 32)
      bad('encoding.seed', 'must be an integer 0 … 2^32 − 1');
    return {
      dir: abs,
      hash: m.hash as string,
      shape: shape as number[],
      ids: m.ids as string[],
      labels: m.labels as Array<string | null>,
      ...(m.classNames ? { classNames: m.classNames as string[] } : {}),
      ...(m.dictionary ? { dictionary: m.dictionary as string[] } : {}),
      encoding: { kind: 'random', generator: RANDOM_GENERATOR, range: range as [number, number], seed: e.seed as number },
    };
  }
  if (e !== undefined) {
    if (typeof e !== 'object' || e === null || e.kind !== 'u8-lut')
      bad('encoding', 'must be { kind: "u8-lut", widths, lut, pad } or { kind: "random", generator, range, seed }');
    const [, c, h, w] = shape as number[];
    if ((shape as number[]).length !== 4) bad('shape', 'must be [N, C, H, W] for 8-bit pixels');
    const widths = e.widths;
    if (!Array.isArray(widths) || widths.length !== n || !widths.every((x) => Number.isInteger(x) && x >= 1 && x <= w!)) {
      bad('encoding.widths', `must be an array of ${counted(n, 'integer', 'integers')} 1…${w}`);
    }
    const lut = e.lut;
    if (!Array.isArray(lut) || lut.length !== c || !lut.every((t) => Array.isArray(t) && t.length === 256 && t.every(Number.isFinite))) {
      bad('encoding.lut', `must be ${c} arrays of 256 finite numbers`);
    }
    if (typeof e.pad !== 'number' || !Number.isFinite(e.pad)) bad('encoding.pad', 'must be a finite number');
    let feed: PixelEncoding['feed'];
    if (e.feed !== undefined) {
      const f = e.feed as { batch?: unknown; widths?: unknown };
      const fw = f.widths;
      if (
        !Number.isInteger(f.batch) ||
        (f.batch as number) < 1 ||
        !Array.isArray(fw) ||
        fw.length !== n ||
        !fw.every((x, i) => Number.isInteger(x) && x >= (widths as number[])[i]! && x <= w!)
      ) {
        bad('encoding.feed', `must be { batch ≥ 1, widths: ${counted(n, 'integer', 'integers')}, each from the sample's width to ${w} }`);
      }
      feed = { batch: f.batch as number, widths: fw as number[] };
    }
    encoding = { kind: 'u8-lut', widths: widths as number[], lut: lut as number[][], pad: e.pad as number, ...(feed ? { feed } : {}) };
    dataFile = path.join(abs, PIXELS_FILE);
    needed = (widths as number[]).reduce((a, b) => a + b, 0) * c! * h!;
  }
  const size = await stat(dataFile).then(
    (s) => s.size,
    () => bad(path.basename(dataFile), `is missing: ${dataFile}`),
  );
  if (size < needed) bad(encoding ? 'encoding.widths' : 'shape', `say ${needed} bytes of samples but ${dataFile} has only ${size}`);

  return {
    dir: abs,
    hash: m.hash as string,
    shape: shape as number[],
    ids: m.ids as string[],
    labels: m.labels as Array<string | null>,
    ...(m.classNames ? { classNames: m.classNames as string[] } : {}),
    ...(m.dictionary ? { dictionary: m.dictionary as string[] } : {}),
    ...(encoding ? { encoding } : {}),
  };
}

/**
 * The prepared inputs as one float32 array [N, ...], whatever the encoding (small sets and tests;
 * the runners stream them in chunks with dataset/samples.ts).
 */
export async function readInputs(ds: PreparedDataset): Promise<{ data: Float32Array; shape: number[] }> {
  return readAllSamples(ds);
}

// ───────────────────────────── helpers ─────────────────────────────

async function readSource(file: string, what: string): Promise<Uint8Array> {
  try {
    if (!(await stat(file)).isFile()) throw new DataError(`${what} ${file}: expected a regular file, got a directory or device`);
    return await readFile(file);
  } catch (error) {
    if (error instanceof DataError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${what} not found: ${file}`);
    throw new DataError(`cannot read ${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** UTF-8 text, or a DataError naming the encoding found (UTF-16/32) or the first bad byte's line, column and offset. */
function utf8(bytes: Uint8Array, file: string): string {
  const decoded = decodeUtf8(bytes, file);
  if ('problem' in decoded) throw new DataError(decoded.problem);
  return decoded.text;
}

/** Length-prefixed so that moving bytes between parts changes the hash. */
function hashPart(hash: ReturnType<typeof createHash>, bytes: Uint8Array): void {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(bytes.length));
  hash.update(len);
  hash.update(bytes);
}
