/**
 * The Runner port's contract, one test for every implementation: the embedded engine in process,
 * the local runner (the Python harness as a subprocess; here the test image's Python through a
 * `docker run` wrapper, since the host has no onnxruntime for Python) and the docker runner. The
 * same tiny job (PP-OCRv4 rec, four rendered lines, a short measurement) must give a run-result
 * document that passes the same checks, timing-only calls must skip predictions, a cancelled run
 * must end promptly with a RunnerError, and the same mistakes must give the same errors.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { DataError, GateError, RunnerError } from '../../src/errors.js';
import { measure } from '../../src/measure/index.js';
import type { Progress, RunRequest, Runner } from '../../src/ports.js';
import { createDockerRunner } from '../../src/runners/docker.js';
import { dockerFromEnv, dockerodeEngine } from '../../src/runners/dockerode-engine.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { defaultHarnessPath } from '../../src/runners/job.js';
import { createLocalRunner } from '../../src/runners/local.js';
import { parseRunResult } from '../../src/runners/result.js';
import { RUN_SCHEMA } from '../../src/types.js';
import {
  ctcText,
  dockerHostOrSkip,
  makeOcrDataset,
  QUICK,
  REC_MODEL,
  recModel,
  recordingProgress,
  TEST_IMAGE,
  TEXTS,
  dockerPlan,
} from './fixtures.js';

// The local and docker runners' contract needs an engine: skipped loudly without one, a failure in CI.
const dockerHost = dockerHostOrSkip();
/** Labels this file's containers (the local runner's wrapper and the docker runner) so it removes only its own. */
const TAG = `contract-${process.pid}`;
const GATE = `contract-test-${process.pid}`;

let root: string;
let dataset: PreparedDataset;

/** A "python3" that is the test image's, with the host paths the job names mounted at the same place. */
async function pythonInImage(): Promise<string> {
  const wrapper = join(root, 'python-in-image.sh');
  const harnessDir = dirname(defaultHarnessPath());
  const mounts = [`-v ${root}:${root}`, `-v ${harnessDir}:${harnessDir}:ro`, `-v ${dirname(REC_MODEL)}:${dirname(REC_MODEL)}:ro`];
  await writeFile(
    wrapper,
    `#!/bin/sh\nexec docker run --rm --network none -e PYTHONUNBUFFERED=1 -e PYTHONDONTWRITEBYTECODE=1 --label ppg-contract=${TAG} ${mounts.join(' ')} ${TEST_IMAGE} python3 "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  return wrapper;
}

/** Removes the containers this file started (a killed `docker run` client leaves its container running). */
async function removeOwnContainers(): Promise<void> {
  if (!dockerHost) return;
  const docker = dockerFromEnv();
  for (const label of [`ppg-contract=${TAG}`, `paddle-perf-gate.gate=${GATE}`]) {
    const list = await docker.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(
      list.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  }
}

const kinds: Array<{ kind: Runner['kind']; needsDocker: boolean; make: () => Promise<Runner> }> = [
  { kind: 'embedded', needsDocker: false, make: () => Promise.resolve(createEmbeddedRunner()) },
  {
    kind: 'local',
    needsDocker: true,
    make: async () => createLocalRunner({ kind: 'local', python: await pythonInImage(), timeoutSeconds: 300 }),
  },
  {
    kind: 'docker',
    needsDocker: true,
    make: () =>
      Promise.resolve(
        createDockerRunner(dockerPlan({ limits: { timeoutSeconds: 300, pullTimeoutSeconds: 1800 } }), {
          engine: dockerodeEngine(dockerFromEnv()),
          gateId: GATE,
        }),
      ),
  },
];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ppg-contract-'));
  dataset = await makeOcrDataset(join(root, 'data'), 4);
});
afterAll(async () => {
  await removeOwnContainers();
  await rm(root, { recursive: true, force: true });
});

const failure = (p: Promise<unknown>): Promise<Error> =>
  p.then(
    () => {
      throw new Error('expected the run to fail');
    },
    (e: unknown) => e as Error,
  );

describe.each(kinds)('the $kind runner keeps the Runner contract', ({ kind, needsDocker, make }) => {
  let runner: Runner;
  let n = 0;
  const request = (over: Partial<RunRequest> = {}): RunRequest => ({
    model: recModel(),
    measure: QUICK,
    dataset,
    workDir: join(root, `${kind}-${++n}`),
    ...over,
  });

  beforeAll(async () => {
    if (!needsDocker || dockerHost) runner = await make();
  });

  it.skipIf(needsDocker && !dockerHost)('a tiny job gives a valid run-result document with real predictions and timings', async () => {
    const progress = recordingProgress();
    const result = await runner.run(request(), progress);
    expect(runner.kind).toBe(kind);
    // The same document a user's own script writes: it passes the validator the harness's output goes through.
    expect(parseRunResult(JSON.parse(JSON.stringify(result)), `${kind} result`)).toEqual(result);
    expect(result.schema).toBe(RUN_SCHEMA);
    const bytes = await readFile(REC_MODEL);
    expect(result.model).toMatchObject({ name: 'PP-OCRv4-rec', format: 'onnx' });
    expect(result.model.files).toHaveLength(1);
    expect(result.model.files[0]).toMatchObject({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
    expect(result.engine).toMatchObject({ device: 'cpu', precision: 'fp32' });
    expect(result.env.runner).toBe(kind);
    expect(result.env.inputShape).toBe('3x48x320');
    // Timing: every round at least min-iterations-per-round, at most `rounds` rounds, every latency a positive number.
    expect(result.timing.batchSize).toBe(1);
    expect(result.timing.warmupIterations).toBeGreaterThanOrEqual(QUICK.warmupIterations);
    expect(result.timing.rounds.length).toBeGreaterThanOrEqual(1);
    expect(result.timing.rounds.length).toBeLessThanOrEqual(QUICK.rounds);
    for (const round of result.timing.rounds) expect(round.length).toBeGreaterThanOrEqual(QUICK.minIterationsPerRound);
    expect(result.timing.rounds.flat().every((ms) => Number.isFinite(ms) && ms > 0)).toBe(true);
    expect(result.memory.gpu).toBeNull();
    expect(result.memory.rss.mb.length).toBeGreaterThan(0);
    expect(result.memory.rss.mb.every((mb) => mb > 0)).toBe(true);
    // Predictions: one per sample, in dataset order, and the model reads the rendered lines.
    expect(result.outputs.ids).toEqual(dataset.ids);
    expect(result.outputs.predictions.map((p) => p.kind)).toEqual(['ctc', 'ctc', 'ctc', 'ctc']);
    const texts = result.outputs.predictions.map((p) => (p.kind === 'ctc' ? ctcText(p.ids, dataset.dictionary!) : ''));
    expect(texts.filter((t, i) => t === TEXTS[i]).length).toBeGreaterThanOrEqual(2);
    // And measure/ turns it into the gate's metrics.
    const ids = measure(result, dataset, 'ocr-rec').metrics.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['accuracy.line', 'latency.p50', 'latency.p99', 'throughput', 'memory.rss.peak']));
  });

  it.skipIf(needsDocker && !dockerHost)('a timing-only call skips the predictions and honours the plan', async () => {
    const result = await runner.run(request({ timingOnly: true, measure: { ...QUICK, rounds: 1, minRounds: 1 } }), recordingProgress());
    expect(result.outputs).toEqual({ ids: [], predictions: [] });
    expect(result.timing.rounds).toHaveLength(1);
    expect(result.timing.rounds[0]!.length).toBeGreaterThanOrEqual(QUICK.minIterationsPerRound);
  });

  it.skipIf(needsDocker && !dockerHost)('an already cancelled run does not start', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failure(runner.run(request({ signal: controller.signal }), recordingProgress()));
    expect(error).toBeInstanceOf(RunnerError);
    expect(error.message).toMatch(/^run of PP-OCRv4-rec cancelled before it started/);
  });

  it.skipIf(needsDocker && !dockerHost)(
    'cancelled mid-measurement, the run ends with a RunnerError instead of measuring on',
    async () => {
      const controller = new AbortController();
      const progress: Progress = {
        info: (m) => {
          if (m.includes('warm-up') && !controller.signal.aborted) controller.abort();
        },
        warn: () => undefined,
      };
      // Left alone this measurement would take 10 minutes; the test's own timeout is far shorter.
      const long = { ...QUICK, rounds: 200, minRounds: 200, minRoundSeconds: 3, maxSeconds: 600 };
      const error = await failure(runner.run(request({ measure: long, signal: controller.signal }), progress));
      expect(controller.signal.aborted).toBe(true);
      expect(error).toBeInstanceOf(RunnerError);
      expect(error.message).toMatch(/cancelled/);
      await removeOwnContainers();
    },
    90_000,
  );

  it.skipIf(needsDocker && !dockerHost)('a model file that is not there: a DataError naming models[<name>].path', async () => {
    const error = await failure(runner.run(request({ model: recModel({ path: join(root, 'gone.onnx') }) }), recordingProgress()));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toMatch(/^models\[PP-OCRv4-rec\]\.path: file or directory not found: .*gone\.onnx/);
  });

  it.skipIf(needsDocker && !dockerHost)('a model file the engine cannot load: a RunnerError naming the model', async () => {
    const broken = join(root, `broken-${kind}.onnx`);
    await writeFile(broken, 'not an onnx model');
    const error = await failure(runner.run(request({ model: recModel({ path: broken }) }), recordingProgress()));
    expect(error).toBeInstanceOf(GateError);
    expect(error).toBeInstanceOf(RunnerError);
    expect(error.message).toContain('PP-OCRv4-rec');
    expect(error.message).toMatch(/load|protobuf|parse|INVALID/i);
  });
});
