/**
 * The Python harness on a compact prepared dataset (8-bit pixels + lookup table), in the test
 * image through the docker runner: it rebuilds the same tensors as TypeScript (the predictions
 * match the embedded runner's), runs the batched accuracy pass with its batch-1 check, writes
 * the predictions incrementally (no part file is left), and a user's own command still finds
 * a float32 inputs.npy in PPG_DATASET.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { prepareDataset, readInputs } from '../../src/dataset/prepare.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { createDockerRunner, type DockerPlan } from '../../src/runners/docker.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import type { ModelPlan, RunResult } from '../../src/types.js';
import { dockerHostOrSkip, QUICK, recordingProgress, dockerPlan } from './fixtures.js';

const host = dockerHostOrSkip();
const GATE = `harness-compact-${process.pid}`;
const plan = (over: Partial<DockerPlan> = {}): DockerPlan =>
  dockerPlan({ pull: 'never', limits: { timeoutSeconds: 180, pullTimeoutSeconds: 1800 }, ...over });

describe.skipIf(!host)('harness on the compact dataset (real engine)', () => {
  let root: string;
  let dataset: PreparedDataset;
  let model: ModelPlan;
  let predicted: RunResult['outputs']['predictions'];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ppg-harness-compact-'));
    const rec = (await loadConfig(path.resolve('examples/demo/gate.yml'))).models.find((m) => m.task === 'ocr-rec')!;
    model = { ...rec, engine: { ...rec.engine, name: 'onnxruntime' } };
    dataset = await prepareDataset({ ...rec.dataset, limit: 40 }, join(root, 'cache'), {
      info: () => {},
      warn: () => {},
    });
    expect(dataset.encoding?.kind).toBe('u8-lut');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('predicts as the embedded runner does, batched and checked, with no part file left', async () => {
    const workDir = join(root, 'docker');
    const progress = recordingProgress();
    const run = await createDockerRunner(plan(), { gateId: GATE }).run({ model, measure: QUICK, dataset, workDir }, progress);
    const embedded = await createEmbeddedRunner().run({ model, measure: QUICK, dataset, workDir: join(root, 'emb') }, recordingProgress());
    expect(run.outputs.ids).toEqual(dataset.ids);
    expect(run.outputs.predictions).toHaveLength(40);
    run.outputs.predictions.forEach((q, i) => {
      const p = embedded.outputs.predictions[i]!;
      if (p.kind !== 'ctc' || q.kind !== 'ctc') throw new Error(`sample ${i}: expected ctc predictions`);
      expect(q.ids, `sample ${i}`).toEqual(p.ids);
      // Debian's ORT 1.21 vs onnxruntime-node 1.30: the same argmax, probabilities equal to ~1e-4.
      q.probs.forEach((v, k) => expect(Math.abs(v - p.probs[k]!)).toBeLessThan(1e-3));
    });
    expect(run.notes?.join('\n')).toMatch(/accuracy pass: batch 6, \d+ threads?; the first 12 predictions checked equal to batch 1/);
    expect(progress.infos.join('\n')).toMatch(/predictions for 40 samples in [0-9.]+ s \(batch 6/);
    expect((await readdir(workDir)).filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(run.engine.options).toMatchObject({ threads: 1, accuracyBatch: 6 });
    predicted = run.outputs.predictions;
  }, 240_000);

  it("runs the pass on measure.accuracy: batch 5, threads auto = the container's CPU limit, the same predictions", async () => {
    const progress = recordingProgress();
    const run = await createDockerRunner(plan({ limits: { cpus: 1, timeoutSeconds: 180, pullTimeoutSeconds: 1800 } }), {
      gateId: GATE,
    }).run({ model, measure: { ...QUICK, accuracy: { batch: 5, threads: 'auto' } }, dataset, workDir: join(root, 'one-cpu') }, progress);
    expect(run.engine.options).toMatchObject({ threads: 1, accuracyBatch: 5, accuracyThreads: 1 });
    expect(run.notes?.join('\n')).toMatch(/accuracy pass: batch 5, 1 thread; the first 12 predictions checked equal to batch 1/);
    expect(run.timing.batchSize).toBe(1);
    expect(run.outputs.predictions).toEqual(predicted);
  }, 240_000);

  it("a user's own command reads a float32 inputs.npy from PPG_DATASET", async () => {
    const script = `import json, os, numpy as np
x = np.load(os.path.join(os.environ["PPG_DATASET"], "inputs.npy"))
job = json.load(open(os.environ["PPG_JOB"]))
print("PPG-PROGRESS shape %s dtype %s sum %.6f" % (list(x.shape), x.dtype, float(x.astype(np.float64).sum())))
raise SystemExit(9)`;
    const progress = recordingProgress();
    await expect(
      createDockerRunner(plan({ command: ['python3', '-c', script] }), { gateId: GATE }).run(
        { model, measure: QUICK, dataset, workDir: join(root, 'own') },
        progress,
      ),
    ).rejects.toThrow(/exited with code 9/);
    const { data } = await readInputs(dataset);
    const sum = Array.from(data).reduce((a, b) => a + b, 0);
    const line = progress.infos.find((l) => l.includes('shape'))!;
    expect(line).toContain('shape [40, 3, 48, 320] dtype float32');
    expect(Number(/sum (-?[0-9.]+)/.exec(line)![1])).toBeCloseTo(sum, 2);
  }, 240_000);
});
