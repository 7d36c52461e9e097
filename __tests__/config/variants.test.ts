/**
 * gate.yml `variants:`: a model entry expanded into one plan per variant, each with its own name
 * (the baseline key), engine and fingerprint inputs; bad variants name their own line and field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { makeProject, type Project } from './fixtures.js';

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project.cleanup());

const gate = (model: string, variants: string, top = '') => `gate: matrix
models:
  - name: det
    path: ${model}
    task: ocr-rec
    dataset:
      labels: data/rec/rec_gt.txt
      dictionary: ppocr_keys_v1.txt
    variants:
${variants}
${top}`;

function problems(text: string): string {
  try {
    parseConfig(text, project.file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

describe('variants:', () => {
  it('expands a Paddle model into one plan per variant: name, label and engine from each variant over the model and top-level engine', () => {
    const plan = parseConfig(
      gate(
        'models/pir',
        `      - { precision: fp16, engine: tensorrt, device: gpu }
      - { name: int8-cpu, precision: int8, engine: paddle, device: cpu, threads: 4, batch: 8 }
      - {}`,
        'engine: { device: gpu, threads: 2 }\nrunner: { kind: docker, image: paddle:3 }\n',
      ),
      project.file,
    );
    expect(plan.models.map((m) => [m.name, m.variant])).toEqual([
      ['det[tensorrt-fp16-gpu]', { of: 'det', label: 'tensorrt-fp16-gpu' }],
      ['det[int8-cpu]', { of: 'det', label: 'int8-cpu' }],
      ['det[default]', { of: 'det', label: 'default' }],
    ]);
    const [trt, int8, plain] = plan.models.map((m) => m.engine);
    expect(trt).toMatchObject({ name: 'paddle', tensorrt: true, precision: 'fp16', device: 'gpu', threads: 2, batchSize: 1 });
    // int8 on CPU goes through oneDNN (the engine rules apply per variant)
    expect(int8).toMatchObject({
      name: 'paddle',
      tensorrt: false,
      precision: 'int8',
      device: 'cpu',
      mkldnn: true,
      threads: 4,
      batchSize: 8,
    });
    expect(plain).toMatchObject({ tensorrt: false, precision: 'fp32', device: 'gpu', threads: 2 });
  });

  it('a variant breaking an engine rule is named by its own line and key', () => {
    const message = problems(gate('models/rec.onnx', `      - { batch: 4 }\n      - { precision: fp16 }`));
    expect(message).toMatch(/gate\.yml:11:\d+: models\[0\]\.variants\[1\]\.precision: fp16 with onnxruntime is not supported/);
  });

  it('TensorRT on a CPU variant, and two variants with one label, are errors naming the variant', () => {
    const message = problems(gate('models/pir', `      - { engine: tensorrt, device: cpu }\n      - { batch: 2 }\n      - { batch: 2 }`));
    expect(message).toMatch(/models\[0\]\.variants\[0\]\.engine: TensorRT needs device gpu/);
    expect(message).toMatch(/models\[0\]\.variants\[2\]: duplicate variant "b2" \(also variants\[1\]\) of model "det"/);
  });

  it('an unknown key or a bad label in a variant is refused by the schema', () => {
    expect(problems(gate('models/rec.onnx', `      - { batch: 2, tensorrt: true }`))).toMatch(/variants\[0\]\.tensorrt/);
    expect(problems(gate('models/rec.onnx', `      - { name: "a b" }`))).toMatch(/variants\[0\]\.name/);
    expect(problems(gate('models/rec.onnx', `      []`))).toMatch(/variants/);
  });
});

describe('examples/matrix/gate.yml', () => {
  it('loads: two models in three variants each, six baseline keys', async () => {
    const plan = await loadConfig(join(process.cwd(), 'examples/matrix/gate.yml'));
    expect(plan.models.map((m) => m.name)).toEqual([
      'PP-OCRv4-rec[b1]',
      'PP-OCRv4-rec[b4]',
      'PP-OCRv4-rec[b8]',
      'PP-OCR-direction-cls[b1]',
      'PP-OCR-direction-cls[b4]',
      'PP-OCR-direction-cls[b8]',
    ]);
    expect(plan.models.map((m) => m.engine.batchSize)).toEqual([1, 4, 8, 1, 4, 8]);
  });
});
