/**
 * The docker runner against a real Docker engine and the locally built test image
 * (scripts/docker-env.sh start): PP-OCRv4 rec end to end, the paddle engine path through the
 * stand-in paddle package, a user's own command, and every failure a user can meet.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRunner, type DockerPlan } from '../../src/runners/docker.js';
import { dockerFromEnv, dockerodeEngine } from '../../src/runners/dockerode-engine.js';
import { RunnerError } from '../../src/errors.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import type { RunResult } from '../../src/types.js';
import {
  ctcText,
  dockerHostOrSkip,
  makeOcrDataset,
  QUICK,
  recModel,
  recordingProgress,
  REC_MODEL,
  TEST_IMAGE,
  TEXTS,
  dockerPlan,
} from './fixtures.js';

const host = dockerHostOrSkip();
const docker = host ? dockerFromEnv() : undefined;

const plan = dockerPlan;

// Only this file's containers: local.test.ts runs `docker run --label paddle-perf-gate=1` in parallel.
const GATE = `docker-test-${process.pid}`;

async function leftovers(): Promise<number> {
  const list = await docker!.listContainers({
    all: true,
    filters: { label: ['paddle-perf-gate=1', `paddle-perf-gate.gate=${GATE}`] },
  });
  return list.length;
}

describe.skipIf(!host)('docker runner (real engine)', () => {
  let root: string;
  let dataset: PreparedDataset;
  let ortRun: RunResult;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ppg-docker-'));
    dataset = await makeOcrDataset(join(root, 'data'));
    await docker!
      .getImage(TEST_IMAGE)
      .inspect()
      .catch(() => {
        throw new Error(`test image ${TEST_IMAGE} is missing: run scripts/docker-env.sh start (it builds the image)`);
      });
  });

  afterAll(async () => {
    expect(await leftovers()).toBe(0);
    await rm(root, { recursive: true, force: true });
  });

  it('runs PP-OCRv4 rec end to end: real predictions, timings, fingerprint, logs', async () => {
    const progress = recordingProgress();
    const workDir = join(root, 'e2e');
    ortRun = await createDockerRunner(plan(), { engine: dockerodeEngine(docker), gateId: GATE }).run(
      { model: recModel(), measure: QUICK, dataset, workDir },
      progress,
    );

    expect(ortRun.outputs.ids).toEqual(dataset.ids);
    expect(ortRun.outputs.predictions).toHaveLength(TEXTS.length);
    const texts = ortRun.outputs.predictions.map((p) => (p.kind === 'ctc' ? ctcText(p.ids, dataset.dictionary!) : ''));
    // Real recognition: the rendered words come back (a font-less machine renders blanks: then only shapes count).
    const exact = texts.filter((t, i) => t.replace(/ /g, '') === TEXTS[i]!.replace(/ /g, '')).length;
    expect(exact).toBeGreaterThanOrEqual(TEXTS.length / 2);
    for (const p of ortRun.outputs.predictions) {
      expect(p.kind).toBe('ctc');
      if (p.kind === 'ctc') expect(p.ids).toHaveLength(40); // 320 px / 8 = 40 CTC steps
    }
    expect(ortRun.timing.rounds).toHaveLength(2);
    expect(ortRun.timing.rounds.every((r) => r.length >= 5 && r.every((ms) => ms > 0))).toBe(true);
    expect(ortRun.timing.startupSeconds).toBeGreaterThan(0);
    expect(Number.isFinite(ortRun.timing.startupSeconds)).toBe(true);
    expect(ortRun.engine).toMatchObject({ name: 'onnxruntime', device: 'cpu', precision: 'fp32' });
    expect(ortRun.env).toMatchObject({ runner: 'docker', image: TEST_IMAGE, gpuName: null, driver: null });
    expect(ortRun.env['imageDigest']).toMatch(/sha256:[0-9a-f]{64}/);
    expect(ortRun.env['dockerVersion']).toMatch(/^\d+\.\d+/);
    expect(ortRun.env['engineVersion']).toMatch(/^1\.\d+/);
    expect(ortRun.env['os']).toMatch(/Debian/);
    expect(ortRun.memory.gpu).toBeNull(); // no GPU here: null, never a fake 0
    expect(ortRun.memory.rss.mb.every((mb) => mb > 10)).toBe(true);
    expect(ortRun.model.files[0]).toMatchObject({ path: 'ch_PP-OCRv4_rec_infer.onnx', bytes: (await readFile(REC_MODEL)).length });
    expect(progress.infos.some((l) => l.includes('round 2/2'))).toBe(true);
    const log = await readFile(join(workDir, 'container.log'), 'utf8');
    expect(log).toContain('PPG-PROGRESS done');
  });

  it('gives the same predictions as the embedded runner on the same model and data', async () => {
    const { createEmbeddedRunner } = await import('../../src/runners/embedded.js');
    const embedded = await createEmbeddedRunner().run(
      { model: recModel(), measure: QUICK, dataset, workDir: join(root, 'emb') },
      recordingProgress(),
    );
    expect(embedded.outputs.ids).toEqual(ortRun.outputs.ids);
    embedded.outputs.predictions.forEach((p, i) => {
      const q = ortRun.outputs.predictions[i]!;
      expect(q.kind === 'ctc' && p.kind === 'ctc').toBe(true);
      if (p.kind !== 'ctc' || q.kind !== 'ctc') return;
      expect(q.ids, `sample ${i}`).toEqual(p.ids);
      // Debian's ORT 1.21 vs onnxruntime-node 1.30: the same argmax, probabilities equal to ~1e-4.
      q.probs.forEach((v, k) => expect(Math.abs(v - p.probs[k]!)).toBeLessThan(1e-3));
    });
  });

  it('timing-only jobs (A/B confirmation) skip the prediction pass; the stop rule is reported consistently', async () => {
    const run = await createDockerRunner(plan(), { engine: dockerodeEngine(docker), gateId: GATE }).run(
      {
        model: recModel(),
        measure: { ...QUICK, rounds: 12, minRounds: 3, precision: 0.5, minIterationsPerRound: 20, minRoundSeconds: 0.3 },
        dataset,
        workDir: join(root, 'timing-only'),
        timingOnly: true,
      },
      recordingProgress(),
    );
    expect(run.outputs).toEqual({ ids: [], predictions: [] });
    // When it stops depends on how busy the machine is (the rule itself is tested exactly with a
    // scripted clock in stopping.test.ts); what holds under any load: between 1 and 12 rounds of
    // positive timings, and the note names the reason that matches the rounds run.
    const n = run.timing.rounds.length;
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(12);
    expect(run.timing.rounds.flat().every((ms) => ms > 0 && Number.isFinite(ms))).toBe(true);
    const notes = run.notes?.join('\n') ?? '';
    const precise = /adaptive stopping: interval within the precision after (\d+) rounds/.exec(notes);
    const timeUp = /measurement stopped at maxSeconds=20(\.0)? after (\d+) rounds/.exec(notes);
    expect(precise && timeUp).toBeNull();
    if (precise) expect(Number(precise[1])).toBe(n);
    if (precise) expect(n).toBeGreaterThanOrEqual(3);
    if (timeUp) expect(Number(timeUp[2])).toBe(n);
    if (!precise && !timeUp) expect(n).toBe(12);
  });

  it("validates a user's own command and passes PPG_OUTPUT / PPG_JOB / PPG_DATASET", async () => {
    const workDir = join(root, 'byo');
    const script = [
      'import json, os',
      'job = json.load(open(os.environ["PPG_JOB"]))',
      'doc = json.load(open("/ppg/in/template.json"))',
      'doc["notes"] = [os.environ["PPG_DATASET"], job["model"]["entry"]]',
      'json.dump(doc, open(os.environ["PPG_OUTPUT"], "w"))',
    ].join('\n');
    const inDir = join(root, 'byo-in');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(inDir, { recursive: true });
    await writeFile(join(inDir, 'template.json'), JSON.stringify({ ...ortRun, env: { cpuModel: 'x' } }));
    const run = await createDockerRunner(plan({ command: ['python3', '-c', script] }), {
      engine: dockerodeEngine(docker),
      gateId: GATE,
      mounts: [{ host: inDir, container: '/ppg/in' }],
    }).run({ model: recModel(), measure: QUICK, dataset, workDir }, recordingProgress());
    expect(run.notes).toEqual(['/ppg/data', '/ppg/model/ch_PP-OCRv4_rec_infer.onnx']);
    expect(run.env).toMatchObject({ cpuModel: 'x', runner: 'docker', image: TEST_IMAGE });
  });

  const failures: Array<{ name: string; plan: Partial<DockerPlan>; model?: 'corrupt'; measure?: Partial<typeof QUICK>; message: RegExp }> =
    [
      {
        name: 'image missing and not pullable',
        plan: { image: 'ppg-test/absent:nope' },
        message: /^image ppg-test\/absent:nope is not present and cannot be pulled \(.+\)$/,
      },
      {
        name: 'image missing with pull never',
        plan: { image: 'ppg-test/absent:nope', pull: 'never' },
        message: /image ppg-test\/absent:nope is not present and runner.pull is never/,
      },
      {
        name: 'harness crash (a model ONNX Runtime cannot load)',
        plan: {},
        model: 'corrupt',
        message: /the harness exited with code 3: onnxruntime cannot load \/ppg\/model\/broken.onnx: .*\(log: .*container.log\)/,
      },
      {
        name: 'a command that crashes',
        plan: { command: ['python3', '-c', 'import sys; print("about to fail"); sys.exit(7)'] },
        message: /the command "python3 -c .*" exited with code 7; last log lines: about to fail/,
      },
      {
        name: 'OOM kill under a memory limit',
        plan: {
          limits: { memory: 64 * 1024 * 1024, timeoutSeconds: 60, pullTimeoutSeconds: 1800 },
          command: ['python3', '-c', 'x = b"\\x01" * (512 << 20)'],
        },
        message: /killed by the OOM killer under the 64 MB memory limit \(runner.limits.memory\)/,
      },
      {
        name: 'timeout',
        plan: { limits: { timeoutSeconds: 3, pullTimeoutSeconds: 1800 } },
        measure: { rounds: 1000, minRoundSeconds: 5, maxSeconds: 600 },
        message: /timed out after 3 s \(runner.limits.timeout\); the container was killed/,
      },
      {
        name: 'malformed run-result',
        plan: {
          command: [
            'python3',
            '-c',
            'import json, os; json.dump({"schema": "paddle-perf-gate/run@1", "model": {"name": "m", "format": "onnx", "files": []}}, open(os.environ["PPG_OUTPUT"], "w"))',
          ],
        },
        message: /^run-result document invalid: .*run.json: engine: expected an object, got nothing$/,
      },
      {
        name: 'a command that writes no document',
        plan: { command: ['true'] },
        message: /exited with code 0 but wrote no run-result document/,
      },
    ];

  it.each(failures)('fails with a clear message: $name, leaving no container', async (f) => {
    let model = recModel();
    if (f.model === 'corrupt') {
      const dir = join(root, 'corrupt');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'broken.onnx'), 'this is not an ONNX model');
      model = recModel({ path: join(dir, 'broken.onnx') });
    }
    const run = createDockerRunner(plan(f.plan), { engine: dockerodeEngine(docker), gateId: GATE }).run(
      { model, measure: { ...QUICK, ...f.measure }, dataset, workDir: join(root, 'fail') },
      recordingProgress(),
    );
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RunnerError);
    expect((error as Error).message).toMatch(f.message);
    expect(await leftovers()).toBe(0);
  });

  it('stops and removes the container when the gate is cancelled', async () => {
    const controller = new AbortController();
    const progress = recordingProgress();
    // Cancel once the harness reports its warm-up, i.e. mid-measurement.
    const watch = {
      info: (m: string) => {
        progress.info(m);
        if (m.includes('warm-up') && !controller.signal.aborted) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
      warn: progress.warn,
    };
    let abortedAt = 0;
    const error = await createDockerRunner(plan(), { engine: dockerodeEngine(docker), gateId: GATE })
      .run(
        {
          model: recModel(),
          measure: { ...QUICK, rounds: 1000, minRoundSeconds: 5, maxSeconds: 600 },
          dataset,
          workDir: join(root, 'abort'),
          signal: controller.signal,
        },
        watch,
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as Error).message).toMatch(/cancelled; container stopped and removed/);
    // The run would otherwise take up to 600 s; from the cancel to the error is a kill and a removal.
    expect(abortedAt).toBeGreaterThan(0);
    expect(Date.now() - abortedAt).toBeLessThan(30_000);
    expect(await leftovers()).toBe(0);
  });

  it('cancelled during the image pull: the pull is abandoned with a clear error, no container is created', async () => {
    const controller = new AbortController();
    const progress = recordingProgress();
    // runner.pull: always makes the engine pull even though the image is present; cancel as it starts.
    const watch = {
      info: (m: string) => {
        progress.info(m);
        if (m.startsWith('pulling ')) controller.abort();
      },
      warn: progress.warn,
    };
    const error = await createDockerRunner(plan({ pull: 'always' }), { engine: dockerodeEngine(docker), gateId: GATE })
      .run({ model: recModel(), measure: QUICK, dataset, workDir: join(root, 'abort-pull'), signal: controller.signal }, watch)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(RunnerError);
    expect((error as Error).message).toBe(`cancelled while pulling ${TEST_IMAGE}; no container was started`);
    expect(await leftovers()).toBe(0);
  });
});
