/**
 * models[].dataset: the label format of the task, the files it names, and the preprocessing.
 */
import { dirname } from 'node:path';
import type { DatasetPlan, Preprocess, Task } from '../../types.js';
import {
  DEFAULT_FORMAT_OF_TASK,
  DEFAULT_IMAGENET_CROP,
  DEFAULT_IMAGENET_RESIZE_SHORT,
  DEFAULT_RANDOM,
  DEFAULT_REC_BATCH,
} from '../defaults.js';
import { type BuildContext, type RawDataset, type RawPreprocess } from './context.js';

export function buildDataset(ctx: BuildContext, raw: RawDataset, path: string, task: Task): DatasetPlan | undefined {
  if (raw.random !== undefined) return buildRandom(ctx, raw, path, task);
  const format = raw.format ?? DEFAULT_FORMAT_OF_TASK[task];
  if (!format) {
    ctx.error(`${path}.format`, 'required for task generic: one of ppocr-rec, image-list, npy (or random: {shape: [...]} for no files)');
    return undefined;
  }
  const fits: Record<Exclude<DatasetPlan['format'], 'random'>, readonly Task[]> = {
    'ppocr-rec': ['ocr-rec'],
    'image-list': ['classification', 'generic'],
    npy: ['ocr-rec', 'classification', 'generic'],
  };
  if (!fits[format].includes(task)) {
    ctx.error(`${path}.format`, `format ${format} is for task ${fits[format].join(' or ')}, but the model's task is ${task}`);
  }
  const notFor = (key: keyof RawDataset, reason: string): void => {
    if (raw[key] !== undefined) ctx.error(`${path}.${key}`, reason);
  };
  const need = <K extends keyof RawDataset>(key: K, reason: string): RawDataset[K] => {
    if (raw[key] === undefined) ctx.error(`${path}.${key}`, `required ${reason}`);
    return raw[key];
  };

  if (task === 'ocr-rec') {
    notFor('class-names', 'only for classification (ocr-rec decodes with the dictionary)');
    need('dictionary', 'for task ocr-rec: the character dictionary, e.g. ppocr_keys_v1.txt');
  } else {
    notFor('dictionary', `only for task ocr-rec, but the model's task is ${task}`);
  }
  const dictionary =
    raw.dictionary !== undefined ? ctx.dataPath(`${path}.dictionary`, raw.dictionary, 'file', 'dictionary file') : undefined;
  const classNames = raw['class-names']?.filter((name): name is string => name !== undefined);
  const limit = raw.limit;

  if (format === 'npy') {
    notFor('root', 'not used by format npy (the inputs are already tensors)');
    notFor('preprocess', 'not used by format npy (the inputs are already preprocessed)');
    const inputs = need('inputs', 'for format npy: a float32 NPY array [N, C, H, W]');
    const inputsPath = inputs !== undefined ? ctx.dataPath(`${path}.inputs`, inputs, 'file', 'inputs file') : undefined;
    const labels = raw.labels !== undefined ? ctx.dataPath(`${path}.labels`, raw.labels, 'file', 'labels file') : undefined;
    if (inputsPath === undefined) return undefined;
    return {
      format: 'npy',
      inputs: inputsPath,
      ...(labels !== undefined && { labels }),
      ...(dictionary !== undefined && { dictionary }),
      ...(classNames !== undefined && { classNames }),
      ...(limit !== undefined && { limit }),
    };
  }

  notFor('inputs', `only for format npy, but the format is ${format}`);
  const labelsText = need(
    'labels',
    format === 'ppocr-rec'
      ? 'for format ppocr-rec: a label file of `image<TAB>text` lines'
      : 'for format image-list: a label file of `image label` lines',
  );
  const labels = labelsText !== undefined ? ctx.dataPath(`${path}.labels`, labelsText, 'file', 'labels file') : undefined;
  const root =
    raw.root !== undefined
      ? ctx.dataPath(`${path}.root`, raw.root, 'dir', 'image root directory')
      : labels !== undefined
        ? dirname(labels)
        : undefined;
  const preprocess = buildPreprocess(ctx, raw.preprocess, `${path}.preprocess`, task, path);
  if (labels === undefined || root === undefined || preprocess === undefined) return undefined;
  const common = { labels, root, preprocess, ...(limit !== undefined && { limit }) };
  if (format === 'ppocr-rec') {
    if (dictionary === undefined) return undefined;
    return { format, dictionary, ...common };
  }
  return { format, ...common, ...(classNames !== undefined && { classNames }) };
}

/** dataset.random: seeded inputs, no files; labels, inputs and preprocessing do not apply. */
function buildRandom(ctx: BuildContext, raw: RawDataset, path: string, task: Task): DatasetPlan | undefined {
  const random = raw.random!;
  for (const key of ['format', 'labels', 'root', 'inputs', 'preprocess'] as const) {
    if (raw[key] !== undefined) ctx.error(`${path}.${key}`, 'not used with dataset.random (the inputs are generated)');
  }
  if (task === 'ocr-rec' && raw.dictionary === undefined) {
    ctx.error(`${path}.dictionary`, 'required for task ocr-rec: the character dictionary, e.g. ppocr_keys_v1.txt');
  }
  if (task !== 'ocr-rec' && raw.dictionary !== undefined)
    ctx.error(`${path}.dictionary`, `only for task ocr-rec, but the model's task is ${task}`);
  const dictionary =
    raw.dictionary !== undefined ? ctx.dataPath(`${path}.dictionary`, raw.dictionary, 'file', 'dictionary file') : undefined;
  const shape = random.shape?.filter((d): d is number => d !== undefined);
  if (shape === undefined || shape.length !== random.shape?.length) return undefined;
  if (shape[0] !== 1) {
    ctx.error(
      `${path}.random.shape`,
      `the first axis is the batch axis: expected 1 (engine.batch-size batches the samples), got ${shape[0]} in [${shape.join(', ')}]`,
    );
  }
  const range = random.range ?? DEFAULT_RANDOM.range;
  const [lo, hi] = range;
  if (lo === undefined || hi === undefined) return undefined;
  if (!(lo < hi)) ctx.error(`${path}.random.range`, `expected [low, high] with low < high, got [${lo}, ${hi}]`);
  const classNames = raw['class-names']?.filter((name): name is string => name !== undefined);
  return {
    format: 'random',
    shape,
    dtype: random.dtype ?? DEFAULT_RANDOM.dtype,
    range: [lo, hi],
    count: random.count ?? DEFAULT_RANDOM.count,
    seed: random.seed ?? DEFAULT_RANDOM.seed,
    ...(dictionary !== undefined && { dictionary }),
    ...(classNames !== undefined && { classNames }),
    ...(raw.limit !== undefined && { limit: raw.limit }),
  };
}

function buildPreprocess(
  ctx: BuildContext,
  raw: RawPreprocess | undefined,
  path: string,
  task: Task,
  datasetPath: string,
): Preprocess | undefined {
  if (raw === undefined) {
    if (task === 'ocr-rec') return { kind: 'ppocr-rec', shape: [3, 48, 320] };
    if (task === 'classification') return { kind: 'imagenet', resizeShort: 256, crop: 224 };
    ctx.error(`${datasetPath}.preprocess`, 'required for task generic with image files: {kind: ppocr-rec | ppocr-cls | imagenet, ...}');
    return undefined;
  }
  const kind = raw.kind;
  if (kind === undefined) return undefined; // reported by the reader (required)
  if (task === 'ocr-rec' && kind === 'imagenet')
    ctx.error(`${path}.kind`, 'imagenet preprocessing does not fit an ocr-rec model: use ppocr-rec');
  if (kind === 'imagenet') {
    if (raw.shape !== undefined) ctx.error(`${path}.shape`, 'not used by kind imagenet: set resize-short and crop');
    const resizeShort = raw['resize-short'] ?? DEFAULT_IMAGENET_RESIZE_SHORT;
    const crop = raw.crop ?? DEFAULT_IMAGENET_CROP;
    if (crop > resizeShort) ctx.error(`${path}.crop`, `the crop (${crop}) must fit in the resized image (resize-short ${resizeShort})`);
    return { kind, resizeShort, crop };
  }
  for (const key of ['resize-short', 'crop'] as const) {
    if (raw[key] !== undefined) ctx.error(`${path}.${key}`, `not used by kind ${kind}: set shape [3, H, W]`);
  }
  if (kind !== 'ppocr-rec') {
    for (const key of ['width', 'batch'] as const) {
      if (raw[key] !== undefined) ctx.error(`${path}.${key}`, `only for kind ppocr-rec (predict_rec.py's dynamic width), got kind ${kind}`);
    }
  } else if (raw.batch !== undefined && raw.width !== 'dynamic') {
    ctx.error(`${path}.batch`, 'only with width: dynamic (the fixed width feeds every line at the same shape)');
  }
  const [c, h, w] = raw.shape ?? (kind === 'ppocr-rec' ? [3, 48, 320] : [3, 48, 192]);
  if (c === undefined || h === undefined || w === undefined) return undefined;
  if (kind === 'ppocr-rec' && raw.width === 'dynamic')
    return { kind, shape: [c, h, w], dynamic: { batch: raw.batch ?? DEFAULT_REC_BATCH } };
  return { kind, shape: [c, h, w] };
}
