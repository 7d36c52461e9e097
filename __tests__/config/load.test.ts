import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIRM_PAIRS, DEFAULT_FINGERPRINT_FIELDS, DEFAULT_MEASURE, DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { MINIMAL, makeProject, type Project } from './fixtures.js';

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project.cleanup());

const at = (path: string): string => join(project.dir, path);
const parse = (text: string, overrides = {}) => parseConfig(text, project.file, overrides);

describe('gate.yml happy paths', () => {
  it('fills every default for the smallest gate', () => {
    const plan = parse(MINIMAL);
    expect(plan.gate).toBe('ppocr-rec');
    expect(plan.configPath).toBe(project.file);
    expect(plan.baseDir).toBe(project.dir);
    expect(plan.models).toEqual([
      {
        name: 'PP-OCRv4-rec',
        path: at('models/rec.onnx'),
        format: 'onnx',
        task: 'ocr-rec',
        dataset: {
          format: 'ppocr-rec',
          labels: at('data/rec/rec_gt.txt'),
          root: at('data/rec'),
          dictionary: at('ppocr_keys_v1.txt'),
          preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320] },
        },
        engine: {
          name: 'onnxruntime',
          device: 'cpu',
          precision: 'fp32',
          threads: 1,
          batchSize: 1,
          tensorrt: false,
          mkldnn: false,
          irOptim: true,
          memoryOptim: true,
          deviceId: 0,
        },
      },
    ]);
    expect(plan.runner).toEqual({ kind: 'embedded' });
    expect(plan.measure).toEqual(DEFAULT_MEASURE);
    expect(plan.thresholds).toEqual(DEFAULT_THRESHOLDS);
    expect(plan.store).toEqual({ kind: 'file', dir: at('.perf-gate/baselines') });
    expect(plan.output).toEqual({ dir: at('perf-gate-out') });
    expect(plan.fingerprintFields).toEqual(DEFAULT_FINGERPRINT_FIELDS);
    expect(plan.failOn).toEqual(['fail']);
  });

  it('merges a threshold entry field by field with the defaults', () => {
    const plan = parse(
      `${MINIMAL}thresholds:
  latency.p90: { fail: 15% }
  accuracy.line: { fail: 1pp, warn: 0.3pp }
  memory.gpu.peak: { min: 1GB, warn: 20% }
  memory.rss.growth: { warn: 512KB/1k }
  throughput: { noise: 2%, better: higher }
  latency.p99: { fail: 5ms, warn: 2ms, noise: 500us }
`,
    );
    expect(plan.thresholds['latency.p90']).toEqual({
      better: 'lower',
      noise: { value: 0.05, kind: 'relative' },
      warn: { value: 0.05, kind: 'relative' },
      fail: { value: 0.15, kind: 'relative' },
    });
    expect(plan.thresholds['accuracy.line']).toEqual({
      better: 'higher',
      warn: { value: 0.3, kind: 'absolute' },
      fail: { value: 1, kind: 'absolute' },
    });
    expect(plan.thresholds['memory.gpu.peak']).toEqual({ better: 'lower', warn: { value: 0.2, kind: 'relative' }, minAbsolute: 1024 });
    expect(plan.thresholds['memory.rss.growth']).toEqual({ better: 'lower', warn: { value: 0.5, kind: 'absolute' } });
    expect(plan.thresholds['throughput']?.noise).toEqual({ value: 0.02, kind: 'relative' });
    expect(plan.thresholds['latency.p99']).toMatchObject({
      fail: { value: 5, kind: 'absolute' },
      warn: { value: 2, kind: 'absolute' },
      noise: { value: 0.5, kind: 'absolute' },
    });
    // Untouched metrics keep their defaults, and the shared defaults are not mutated.
    expect(plan.thresholds['latency.p50']).toEqual(DEFAULT_THRESHOLDS['latency.p50']);
    expect(DEFAULT_THRESHOLDS['latency.p90']?.fail).toEqual({ value: 0.1, kind: 'relative' });
  });

  it.each([
    { name: 'an inference.json directory (Paddle 3 PIR)', path: 'models/pir', file: 'models/pir/inference.json', format: 'paddle-pir' },
    { name: 'an inference.json file', path: 'models/pir/inference.json', file: 'models/pir/inference.json', format: 'paddle-pir' },
    { name: 'a .pdmodel directory', path: 'models/pd', file: 'models/pd/model.pdmodel', format: 'paddle-pdmodel' },
    { name: 'a .pdmodel file', path: 'models/pd/model.pdmodel', file: 'models/pd/model.pdmodel', format: 'paddle-pdmodel' },
    { name: 'an ONNX directory', path: 'models/onnx-dir', file: 'models/onnx-dir/rec.onnx', format: 'onnx' },
    { name: 'an ONNX file', path: './models/../models/rec.onnx', file: 'models/rec.onnx', format: 'onnx' },
    { name: 'a mixed directory with format onnx', path: 'models/mixed\n    format: onnx', file: 'models/mixed/rec.onnx', format: 'onnx' },
    {
      name: 'a mixed directory with format paddle-pir',
      path: 'models/mixed\n    format: paddle-pir',
      file: 'models/mixed/inference.json',
      format: 'paddle-pir',
    },
  ])('infers the format from $name', ({ path, file, format }) => {
    const plan = parse(`${MINIMAL.replace('models/rec.onnx', path)}runner: { kind: local }\n`);
    const [model] = plan.models;
    expect(model?.path).toBe(at(file));
    expect(model?.format).toBe(format);
    expect(model?.engine.name).toBe(format === 'onnx' ? 'onnxruntime' : 'paddle');
  });

  it.each([
    {
      name: 'no format: the .json, with the .pdmodel as the alternative for Paddle 2.x',
      format: '',
      alternative: 'models/both/inference.pdmodel',
    },
    { name: 'format paddle-pir: the .json alone', format: '\n    format: paddle-pir', alternative: undefined },
  ])('a directory with inference.json and inference.pdmodel, $name', ({ format, alternative }) => {
    const plan = parse(`${MINIMAL.replace('models/rec.onnx', `models/both${format}`)}runner: { kind: local }\n`);
    const [model] = plan.models;
    expect(model).toMatchObject({ path: at('models/both/inference.json'), format: 'paddle-pir' });
    expect(model?.alternative).toBe(alternative === undefined ? undefined : at(alternative));
  });

  it('a directory with inference.json and inference.pdmodel, format paddle-pdmodel: the .pdmodel alone', () => {
    const plan = parse(`${MINIMAL.replace('models/rec.onnx', 'models/both\n    format: paddle-pdmodel')}runner: { kind: local }\n`);
    expect(plan.models[0]).toMatchObject({ path: at('models/both/inference.pdmodel'), format: 'paddle-pdmodel' });
    expect(plan.models[0]?.alternative).toBeUndefined();
  });

  it('builds a docker GPU gate with per-model engine overrides', () => {
    const plan = parse(`gate: ppocr
models:
  - name: rec-pir
    path: models/pir
    task: ocr-rec
    baseline-path: models/pir/inference.json
    engine: { precision: fp16, tensorrt: true }
    dataset:
      labels: data/rec/rec_gt.txt
      root: data/images
      dictionary: ppocr_keys_v1.txt
      limit: 300
  - name: cls
    path: models/cls.onnx
    task: classification
    engine: { device: cpu, threads: 4 }
    dataset:
      labels: data/cls/cls_gt.txt
      class-names: ['0', 180]
      preprocess: { kind: ppocr-cls }
runner:
  kind: docker
  image: paddlepaddle/paddle:3.0.0-gpu-cuda11.8-cudnn8.9-trt8.6
  limits: { memory: 16g, cpus: 8, pids: 1024, timeout: 20m }
  command: python3 bench.py --out "$PPG_OUTPUT"
engine: { device: gpu, batch-size: 2 }
measure: { warmup: 50, rounds: 10, max-seconds: 120 }
fingerprint: [gpuName, cuda, precision, driver]
fail-on: [fail, inconclusive]
`);
    const [rec, cls] = plan.models;
    expect(rec?.engine).toMatchObject({ name: 'paddle', device: 'gpu', precision: 'fp16', tensorrt: true, batchSize: 2, threads: 1 });
    expect(rec?.baselinePath).toBe(at('models/pir/inference.json'));
    expect(rec?.dataset).toMatchObject({ root: at('data/images'), limit: 300 });
    expect(cls?.engine).toMatchObject({ name: 'onnxruntime', device: 'cpu', threads: 4, batchSize: 2, tensorrt: false });
    expect(cls?.dataset).toEqual({
      format: 'image-list',
      labels: at('data/cls/cls_gt.txt'),
      root: at('data/cls'),
      classNames: ['0', '180'],
      preprocess: { kind: 'ppocr-cls', shape: [3, 48, 192] },
    });
    expect(plan.runner).toEqual({
      kind: 'docker',
      image: 'paddlepaddle/paddle:3.0.0-gpu-cuda11.8-cudnn8.9-trt8.6',
      pull: 'missing',
      gpus: 'all',
      network: false,
      limits: { memory: 16 * 1024 ** 3, cpus: 8, pids: 1024, timeoutSeconds: 1200, pullTimeoutSeconds: 1800 },
      python: 'python3',
      command: ['sh', '-c', 'python3 bench.py --out "$PPG_OUTPUT"'],
    });
    expect(plan.measure).toEqual({ ...DEFAULT_MEASURE, warmupIterations: 50, rounds: 10, maxSeconds: 120 });
    expect(plan.fingerprintFields).toEqual(['gpuName', 'cuda', 'precision', 'driver']);
    expect(plan.failOn).toEqual(['fail', 'inconclusive']);
    // baseline-path turns the A/B confirmation on with the default pairs.
    expect(plan.confirm).toEqual({ pairs: DEFAULT_CONFIRM_PAIRS });
  });

  it('confirmation: off without baseline-path or confirm, on with either, pairs as given', () => {
    expect(parse(MINIMAL).confirm).toBeUndefined();
    expect(parse(`${MINIMAL}confirm: {}\n`).confirm).toEqual({ pairs: DEFAULT_CONFIRM_PAIRS });
    expect(parse(`${MINIMAL}confirm: { pairs: 8 }\n`).confirm).toEqual({ pairs: 8 });
  });

  it.each([
    { engine: 'cpu', gpus: undefined, expected: 'none' },
    { engine: 'gpu', gpus: undefined, expected: 'all' },
    { engine: 'gpu', gpus: '[0, 1]', expected: ['0', '1'] },
    { engine: 'gpu', gpus: '[GPU-5a1b]', expected: ['GPU-5a1b'] },
  ])('docker gpus: device $engine, gpus $gpus → $expected', ({ engine, gpus, expected }) => {
    const plan = parse(
      `${MINIMAL}runner:\n  kind: docker\n  image: paddle:3${gpus ? `\n  gpus: ${gpus}` : ''}\nengine: { device: ${engine} }\n`,
    );
    expect(plan.runner.kind === 'docker' && plan.runner.gpus).toEqual(expected);
  });

  it('reads a local runner with an argv command', () => {
    const plan = parse(
      `${MINIMAL}runner:\n  kind: local\n  python: /opt/py/bin/python\n  command: [python, bench.py, 3]\n  limits: { timeout: 1h30m }\n`,
    );
    expect(plan.runner).toEqual({
      kind: 'local',
      python: '/opt/py/bin/python',
      timeoutSeconds: 5400,
      command: ['python', 'bench.py', '3'],
    });
  });

  it('reads an npy dataset for a generic model', () => {
    const plan = parse(`gate: g
models:
  - name: m
    path: models/cls.onnx
    task: generic
    dataset: { format: npy, inputs: data/x.npy, labels: data/x_labels.txt, limit: 2 }
`);
    expect(plan.models[0]?.dataset).toEqual({ format: 'npy', inputs: at('data/x.npy'), labels: at('data/x_labels.txt'), limit: 2 });
  });

  it.each([
    {
      store: 'store: { s3: { bucket: perf-baselines, endpoint: "http://127.0.0.1:9000" } }',
      expected: {
        kind: 's3',
        bucket: 'perf-baselines',
        prefix: 'paddle-perf-gate',
        region: 'eu-west-3',
        endpoint: 'http://127.0.0.1:9000',
        forcePathStyle: true,
      },
    },
    {
      store: 'store: { s3: { bucket: perf-baselines, prefix: /paddle/, region: us-east-2 } }',
      expected: { kind: 's3', bucket: 'perf-baselines', prefix: 'paddle', region: 'us-east-2', forcePathStyle: false },
    },
    {
      store: 'store: { actions-cache: { prefix: perf-gate } }',
      expected: { kind: 'actions-cache', prefix: 'perf-gate' },
    },
    { store: 'store: { file: }', expected: { kind: 'file', dir: 'ABS:.perf-gate/baselines' } },
    { store: 'store: { file: { dir: ../shared-baselines } }', expected: { kind: 'file', dir: 'ABS:../shared-baselines' } },
  ])('store: $store', ({ store, expected }) => {
    const saved = process.env['AWS_REGION'];
    process.env['AWS_REGION'] = 'eu-west-3';
    try {
      const plan = parse(`${MINIMAL}${store}\n`);
      const want =
        'dir' in expected && typeof expected.dir === 'string'
          ? { ...expected, dir: resolve(project.dir, expected.dir.replace('ABS:', '')) }
          : expected;
      expect(plan.store).toEqual(want);
    } finally {
      if (saved === undefined) delete process.env['AWS_REGION'];
      else process.env['AWS_REGION'] = saved;
    }
  });

  it('applies the inputs over gate.yml', () => {
    const yaml = `${MINIMAL}runner:\n  kind: docker\n  image: paddle:2.6\n  gpus: all\noutput: { dir: out }\nstore: { s3: { bucket: perf-baselines } }\n`;
    const plan = parse(yaml, {
      runner: 'docker',
      image: 'paddle:3.0',
      model: at('models/cls.onnx'),
      outputDir: 'report-dir',
      store: { kind: 'file', dir: resolve('local-baselines') },
      failOn: ['fail', 'warn'],
    });
    expect(plan.runner).toMatchObject({ kind: 'docker', image: 'paddle:3.0', gpus: 'all' });
    // CLI paths resolve from the working directory, gate.yml paths from gate.yml's directory.
    expect(plan.models[0]?.path).toBe(at('models/cls.onnx'));
    expect(plan.output.dir).toBe(resolve('report-dir'));
    expect(plan.store).toEqual({ kind: 'file', dir: resolve('local-baselines') });
    expect(plan.failOn).toEqual(['fail', 'warn']);
  });

  it('a model path input re-infers the format; the runner input switches kinds', () => {
    const yaml = `${MINIMAL}runner:\n  kind: docker\n  image: paddle:3\n  limits: { timeout: 10m }\n`;
    const local = parse(yaml, { runner: 'local', model: at('models/pir') });
    expect(local.models[0]).toMatchObject({ path: at('models/pir/inference.json'), format: 'paddle-pir', engine: { name: 'paddle' } });
    expect(local.runner).toEqual({ kind: 'local', python: 'python3', timeoutSeconds: 600 });
    const embedded = parse(yaml, { runner: 'embedded' });
    expect(embedded.runner).toEqual({ kind: 'embedded' });
  });

  it('loadConfig reads the file and names a missing one', async () => {
    writeFileSync(project.file, MINIMAL);
    await expect(loadConfig(project.file)).resolves.toMatchObject({ gate: 'ppocr-rec', configPath: project.file });
    const missing = join(project.dir, 'nope', 'gate.yml');
    await expect(loadConfig(missing)).rejects.toThrow(ConfigError);
    await expect(loadConfig(missing)).rejects.toThrow(`config file not found (resolved: ${missing})`);
  });

  it('resolves paths from a gate.yml in a subdirectory', () => {
    mkdirSync(join(project.dir, 'ci'), { recursive: true });
    const text = `${MINIMAL.replaceAll('models/', '../models/').replaceAll('data/', '../data/').replace('ppocr_keys', '../ppocr_keys')}data-dirs: [..]\n`;
    const plan = parseConfig(text, join(project.dir, 'ci', 'gate.yml'));
    expect(plan.baseDir).toBe(join(project.dir, 'ci'));
    expect(plan.models[0]?.path).toBe(at('models/rec.onnx'));
    expect(plan.store).toEqual({ kind: 'file', dir: at('ci/.perf-gate/baselines') });
  });

  it("data paths outside the workspace, gate.yml's directory and data-dirs are refused, links followed; the error quotes no content", () => {
    mkdirSync(join(project.dir, 'ci'), { recursive: true });
    const text = MINIMAL.replaceAll('models/', '../models/').replaceAll('data/', '../data/').replace('ppocr_keys', '../ppocr_keys');
    expect(() => parseConfig(text, join(project.dir, 'ci', 'gate.yml'))).toThrow(
      /models\[0\]\.dataset\.labels: labels file .*rec_gt\.txt is outside the workspace and gate\.yml's directory; name its directory in `data-dirs`/,
    );
    // A link inside gate.yml's directory to a file outside it is outside.
    symlinkSync(at('data/rec/rec_gt.txt'), join(project.dir, 'ci', 'labels.txt'));
    const linked = text.replace('../data/rec/rec_gt.txt', 'labels.txt');
    expect(() => parseConfig(linked, join(project.dir, 'ci', 'gate.yml'))).toThrow(/dataset\.labels: labels file .*labels\.txt is outside/);
  });

  it('accepts YAML anchors and aliases', () => {
    const second = MINIMAL.split('\n').slice(2, 5).join('\n').replace('PP-OCRv4-rec', 'copy');
    const yaml = `${MINIMAL.replace('    dataset:', '    dataset: &ds')}${second}\n    dataset: *ds\n`;
    const plan = parse(yaml);
    expect(plan.models.map((model) => model.name)).toEqual(['PP-OCRv4-rec', 'copy']);
    expect(plan.models[1]?.dataset).toEqual(plan.models[0]?.dataset);
  });
});
