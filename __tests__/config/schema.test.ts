import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_THRESHOLDS, METRIC_UNITS } from '../../src/config/defaults.js';
import { parseConfig } from '../../src/config/load.js';
import { SCHEMA_FILE, schemaText } from '../../scripts/write-schema.js';
import { makeProject, type Project } from './fixtures.js';

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project.cleanup());

type Json = Record<string, unknown>;

/** `models[].dataset.labels`-style paths of every key the schema allows. */
function schemaKeys(schema: Json, prefix = ''): string[] {
  const out: string[] = [];
  const properties = schema['properties'] as Record<string, Json> | undefined;
  for (const [key, child] of Object.entries(properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push(path, ...schemaKeys(child, path));
  }
  if (schema['items']) out.push(...schemaKeys(schema['items'] as Json, `${prefix}[]`));
  for (const variant of (schema['oneOf'] as Json[] | undefined) ?? []) out.push(...schemaKeys(variant, prefix));
  return out;
}

/** The same paths for the keys a document uses. */
function documentKeys(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => documentKeys(item, `${prefix}[]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return [path, ...documentKeys(child, path)];
  });
}

/** Each mapping in a document, with its field path (`models[0].dataset`). */
function mappings(value: unknown, path = ''): Array<{ path: string; target: Json }> {
  if (Array.isArray(value)) return value.flatMap((item, index) => mappings(item, `${path}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return [
    { path, target: value as Json },
    ...Object.entries(value).flatMap(([key, child]) => mappings(child, path === '' ? key : `${path}.${key}`)),
  ];
}

const FLOOR: Record<string, string> = { '%': '0.1pp', ms: '1ms', '/s': '1/s', MB: '1MB', 'MB/1k': '1MB/1k' };

/** Valid documents that together use every key gate.yml has. */
const FULL: Json[] = [
  {
    gate: 'full-docker',
    models: [
      {
        name: 'rec',
        path: 'models/pir',
        format: 'paddle-pir',
        task: 'ocr-rec',
        'baseline-path': 'models/pir/inference.json',
        engine: {
          name: 'paddle',
          device: 'gpu',
          precision: 'fp16',
          threads: 2,
          'batch-size': 4,
          tensorrt: true,
          mkldnn: false,
          'ir-optim': true,
          'memory-optim': false,
          'device-id': 1,
          'trt-shapes': { min: [1, 3, 48, 160], opt: [4, 3, 48, 320], max: [4, 3, 48, 1280] },
        },
        dataset: {
          format: 'ppocr-rec',
          labels: 'data/rec/rec_gt.txt',
          root: 'data/images',
          dictionary: 'ppocr_keys_v1.txt',
          limit: 100,
          preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320], width: 'dynamic', batch: 6 },
        },
        variants: [
          { name: 'trt-fp16', engine: 'tensorrt', precision: 'fp16', device: 'gpu', 'device-id': 1, batch: 4, threads: 2 },
          { engine: 'paddle', precision: 'fp32', device: 'gpu', batch: 1 },
        ],
      },
    ],
    runner: {
      kind: 'docker',
      image: 'paddlepaddle/paddle:3.0.0-gpu-cuda11.8-cudnn8.9-trt8.6',
      pull: 'never',
      gpus: [0],
      network: false,
      python: '/usr/bin/python3',
      command: ['python3', 'bench.py'],
      limits: { memory: '16g', cpus: 8, pids: 1024, timeout: '20m', 'pull-timeout': '10m' },
    },
    engine: {
      name: 'paddle',
      device: 'gpu',
      precision: 'fp32',
      threads: 1,
      'batch-size': 1,
      tensorrt: false,
      mkldnn: false,
      'ir-optim': true,
      'memory-optim': true,
      'device-id': 0,
      'trt-shapes': { min: [1, 3, 48, 320], opt: [1, 3, 48, 320], max: [1, 3, 48, 320] },
    },
    measure: {
      warmup: 10,
      'warmup-seconds': 1,
      rounds: 5,
      iterations: 10,
      'round-seconds': 1,
      'max-seconds': 60,
      'min-rounds': 3,
      precision: '2%',
      'golden-bytes': '1m',
      accuracy: { batch: 8, threads: 'auto' },
    },
    confirm: { pairs: 6 },
    'thresholds-from-history': 10,
    parallel: 'per-device',
    thresholds: Object.fromEntries(
      Object.entries(DEFAULT_THRESHOLDS).map(([id, threshold]) => [
        id,
        id === 'drift'
          ? { better: threshold.better, noise: '0pp', warn: '0.5pp', fail: '2pp', min: FLOOR['%'], atol: 1e-4, rtol: 1e-3 }
          : { better: threshold.better, noise: '1%', warn: '2%', fail: '3%', min: FLOOR[METRIC_UNITS[id] ?? 'MB'] },
      ]),
    ),
    fingerprint: ['gpuName', 'cuda'],
    'fail-on': ['fail', 'warn', 'unreadable'],
    'promote-on': ['pass', 'no-baseline'],
    'promote-failure': 'warn',
    store: {
      s3: {
        bucket: 'perf-baselines',
        prefix: 'p',
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9000',
        'path-style': true,
        'unsafe-unconditional-writes': false,
      },
    },
    output: { dir: 'out' },
    'data-dirs': ['/srv/datasets'],
  },
  {
    gate: 'full-classification',
    models: [
      {
        name: 'cls',
        path: 'models/cls.onnx',
        task: 'classification',
        dataset: {
          format: 'image-list',
          labels: 'data/cls/cls_gt.txt',
          'class-names': ['0', '180'],
          preprocess: { kind: 'imagenet', 'resize-short': 256, crop: 224 },
        },
      },
    ],
    store: { file: { dir: 'baselines' } },
  },
  {
    gate: 'full-npy',
    models: [
      {
        name: 'npy',
        path: 'models/cls.onnx',
        task: 'generic',
        dataset: { format: 'npy', inputs: 'data/x.npy', labels: 'data/x_labels.txt' },
      },
    ],
    runner: { kind: 'local', command: 'python3 bench.py' },
    store: { 'actions-cache': { prefix: 'perf-gate', dir: '.cache/baselines' } },
  },
  {
    gate: 'full-random',
    models: [
      {
        name: 'det',
        path: 'models/cls.onnx',
        task: 'generic',
        dataset: { random: { shape: [1, 3, 64, 64], dtype: 'float32', range: [-1, 1], count: 4, seed: 7 } },
      },
    ],
  },
];

describe('schema/gate.schema.json', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Json;

  it('is what spec.ts generates (regenerate: ./node_modules/.bin/tsx src/config/write-schema.ts)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaText());
  });

  it('is a draft 2020-12 schema that closes every object', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    const open = (node: unknown, path: string): string[] => {
      if (node === null || typeof node !== 'object') return [];
      const here = (node as Json)['type'] === 'object' && (node as Json)['additionalProperties'] !== false ? [path] : [];
      return [...here, ...Object.entries(node).flatMap(([key, child]) => open(child, `${path}/${key}`))];
    };
    expect(open(schema, '#')).toEqual([]);
  });

  it.each(FULL.map((document) => [document['gate'] as string, document]))('the validator accepts the full document %s', (_, document) => {
    expect(() => parseConfig(stringify(document), project.file)).not.toThrow();
  });

  it('has exactly the keys the validator accepts', () => {
    const inSchema = new Set(schemaKeys(schema));
    const inDocuments = new Set(FULL.flatMap((document) => documentKeys(document)));
    expect([...inSchema].filter((key) => !inDocuments.has(key))).toEqual([]);
    expect([...inDocuments].filter((key) => !inSchema.has(key))).toEqual([]);
  });

  it('the validator rejects a key the schema does not have, in every mapping', () => {
    let checked = 0;
    for (const document of FULL) {
      for (const { path } of mappings(document)) {
        const copy = structuredClone(document);
        const target = mappings(copy).find((entry) => entry.path === path)?.target as Json;
        target['zz-extra'] = 1;
        const keyPath = path === '' ? 'zz-extra' : `${path}.zz-extra`;
        expect(() => parseConfig(stringify(copy), project.file)).toThrow(`${keyPath}: unknown key`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(25);
  });
});
