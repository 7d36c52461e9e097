/**
 * Seeded random inputs and golden outputs through the Python harness in a container (the docker
 * runner, the test image's onnxruntime) against the embedded runner (onnxruntime-node), on the
 * PP-OCRv4 detection model: the harness generates the same inputs from the seed and keeps its
 * golden outputs by the same rule, so the two runs pair sample by sample and value by value, and
 * what is left between them is the two engines' own float differences — a real, small drift.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftRows } from '../../src/compare/drift.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { createDockerRunner } from '../../src/runners/docker.js';
import { dockerFromEnv, dockerodeEngine } from '../../src/runners/dockerode-engine.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import type { ModelPlan } from '../../src/types.js';
import { ASSETS, dockerHostOrSkip, dockerPlan, ENGINE, QUICK, recordingProgress } from './fixtures.js';

const host = dockerHostOrSkip();
let root: string;
let dataset: PreparedDataset;
const model: ModelPlan = {
  name: 'det',
  path: join(ASSETS, 'ch_PP-OCRv4_det_infer.onnx'),
  format: 'onnx',
  task: 'generic',
  dataset: { format: 'random', shape: [1, 3, 64, 96], dtype: 'float32', range: [-2, 2.5], count: 3, seed: 11 },
  engine: ENGINE,
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ppg-golden-harness-'));
  dataset = await prepareDataset(model.dataset, join(root, 'cache'), recordingProgress());
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe.skipIf(!host)('golden outputs of random inputs: the Python harness in a container vs the embedded runner', () => {
  it('pairs sample by sample, value by value, within the default tolerance', async () => {
    const request = (name: string) => ({ model, measure: QUICK, dataset, workDir: join(root, name), goldenBytes: 16 * 1024 });
    const embedded = await createEmbeddedRunner().run(request('embedded'), recordingProgress());
    const docker = await createDockerRunner(dockerPlan({ limits: { timeoutSeconds: 300, pullTimeoutSeconds: 1800 } }), {
      engine: dockerodeEngine(dockerFromEnv()),
    }).run(request('docker'), recordingProgress());

    const a = embedded.outputs.golden!;
    const b = docker.outputs.golden!;
    expect(b.ids).toEqual(['#0', '#1', '#2']);
    expect(b.ids).toEqual(a.ids);
    expect(b.outputs.map((o) => [o.name, o.kept])).toEqual(a.outputs.map((o) => [o.name, o.kept]));
    // 16 KiB over 3 samples and 1 output: 1,365 of each sample's 64 × 96 = 6,144 values.
    expect(a.outputs[0]!.kept).toEqual([1365, 1365, 1365]);
    expect(a.outputs[0]!.summary.map((s) => s[0])).toEqual([6144, 6144, 6144]);

    const [row] = driftRows(a, b, DEFAULT_THRESHOLDS['drift']);
    const d = row!.drift!;
    expect(d.samples).toBe(3);
    expect(d.values).toBe(3 * 1365);
    // Two builds of onnxruntime on the same inputs: close, not identical (measured: max abs. diff
    // 1.2e-7 on a probability map of noise whose largest value is 5.4e-5, cosine 0.99999).
    expect(d.maxAbs).toBeLessThan(1e-6);
    expect(d.cosine).toBeGreaterThan(0.9999);
    expect(d.outside).toBe(0);
    expect(row!.band).toBe('pass');
  }, 300_000);
});
