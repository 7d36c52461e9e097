/**
 * The gate end to end on real Paddle Inference (CPU 3.3.1 and 2.6.2) with the real Paddle-format
 * PP-OCRv4 rec model of scripts/paddle-models.sh (converted from the shipped ONNX file): the docker
 * runner with each image of scripts/docker-env.sh and the local runner with each Paddle venv of
 * scripts/python-env.sh, on the shipped labelled set as predict_rec.py feeds it (width: dynamic,
 * batches of 6).
 *  - the accuracy equals the embedded ONNX Runtime figures line for line (the same lines right and
 *    wrong), with oneDNN on and off, 1 and 2 threads;
 *  - PaddleOCR's own pipeline (fixtures/ppocr_oracle.py: TextRecognizer, CTCLabelDecode, RecMetric's
 *    definition) on the same images with the same model gives the same figures, line for line;
 *  - the fingerprint tells 2.6 from 3.3;
 *  - the A/B confirmation runs on the docker runner with Paddle on both sides.
 * Nothing here depends on how fast inference runs: timing is only checked to exist.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareModel as judgeKeys } from '../../src/compare/index.js';
import { DEFAULT_FINGERPRINT_FIELDS, DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';
import { confirmComparison as confirmKeys } from '../../src/confirm.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { fingerprintDifferences, fingerprintOf } from '../../src/fingerprint.js';
import { measure } from '../../src/measure/index.js';
import { resolveModel } from '../../src/model-files.js';
import { runRecordOf, runSpecOf } from '../../src/run-spec.js';
import { createDockerRunner } from '../../src/runners/docker.js';
import { dockerFromEnv, dockerodeEngine } from '../../src/runners/dockerode-engine.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { createLocalRunner } from '../../src/runners/local.js';
import type { Runner } from '../../src/ports.js';
import { describe as inWords } from '../../src/text/index.js';
import type { EnginePlan, MeasurePlan, MetricValue, ModelPlan, RunnerPlan, RunResult } from '../../src/types.js';
import { PADDLE_IMAGES, paddleEnvOrSkip } from '../paddle/env.js';
import { DICTIONARY, dockerHostOrSkip, dockerPlan, paddlePythons, QUICK, recordingProgress } from './fixtures.js';

const exec = promisify(execFile);
const env = paddleEnvOrSkip();
const models = env?.models;
const pythons = paddlePythons(env);
const host = dockerHostOrSkip();
const ORACLE = resolve('__tests__/runners/fixtures/ppocr_oracle.py');
const DATA = resolve('examples/data/ocr-rec');
const LINES = 48;
const GATE = `paddle-gate-test-${process.pid}`;
const MEASURE: MeasurePlan = { ...QUICK, accuracy: { batch: 6, threads: 1 } };
const ready = models !== undefined && pythons.length === 2 && host !== undefined;

async function imagesPresent(): Promise<boolean> {
  const docker = dockerFromEnv();
  const found = await Promise.all(
    Object.values(PADDLE_IMAGES).map((image) =>
      docker
        .getImage(image)
        .inspect()
        .then(
          () => true,
          () => false,
        ),
    ),
  );
  if (found.every(Boolean)) return true;
  const msg = `PADDLE IMAGE TESTS FAIL: ${Object.values(PADDLE_IMAGES).join(', ')} missing; run scripts/docker-env.sh start`;
  if (process.env['CI'] === 'true') throw new Error(msg);
  process.stderr.write(`${msg}\n`);
  return false;
}

describe.skipIf(ready)('the gate on real Paddle', () => {
  it.skip('needs PPG_PADDLE_MODELS, PPG_PADDLE33_PYTHON, PPG_PADDLE26_PYTHON and a Docker engine', () => undefined);
});

describe.skipIf(!ready)('the gate on real Paddle (PP-OCRv4 rec in Paddle formats, the shipped set)', () => {
  let root: string;
  let dataset: PreparedDataset;
  let rec: ModelPlan;
  let ort: { run: RunResult; line: MetricValue; edit: MetricValue };
  const runs: Record<string, RunResult> = {};
  const progress = recordingProgress();
  const python = (label: string) => pythons.find((p) => p.label === label)!.python;
  /** The model directory as a user points gate.yml at it (3.3: PaddleOCR 3.x's inference.json + .pdiparams + .yml). */
  const paddle = (label: string, engine: Partial<EnginePlan>): ModelPlan => {
    const resolved = resolveModel(join(models!, 'ppocrv4-rec', label === '2.6' ? 'paddle-pdmodel' : 'paddle-pir'));
    if (typeof resolved === 'string') throw new Error(resolved);
    return { ...rec, path: resolved.file, format: resolved.format, engine: { ...rec.engine, name: 'paddle', ...engine } };
  };
  const docker = (label: string): Runner =>
    createDockerRunner(dockerPlan({ image: PADDLE_IMAGES[label as '3.3' | '2.6'], pull: 'never' }), {
      engine: dockerodeEngine(dockerFromEnv()),
      gateId: GATE,
    });
  const local = (label: string): Runner => createLocalRunner({ kind: 'local', python: python(label), timeoutSeconds: 180 });
  const figures = (run: RunResult) => {
    const metrics = measure(run, dataset, 'ocr-rec').metrics;
    return { line: metrics.find((m) => m.id === 'accuracy.line')!, edit: metrics.find((m) => m.id === 'accuracy.edit')! };
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ppg-paddle-gate-'));
    const plan = await loadConfig(resolve('examples/demo/gate.yml'));
    const demo = plan.models.find((m) => m.task === 'ocr-rec')!;
    if (demo.dataset.format !== 'ppocr-rec') throw new Error('the demo rec model reads a ppocr-rec set');
    // predict_rec.py's inference path: what PaddleOCR's TextRecognizer does, so the oracle can be it.
    const preprocess = { kind: 'ppocr-rec' as const, shape: [3, 48, 320] as [number, number, number], dynamic: { batch: 6 } };
    rec = { ...demo, dataset: { ...demo.dataset, limit: LINES, preprocess }, engine: { ...demo.engine, threads: 1 } };
    dataset = await prepareDataset(rec.dataset, join(root, 'cache'), progress);
    const run = await createEmbeddedRunner().run({ model: rec, measure: MEASURE, dataset, workDir: join(root, 'ort') }, progress);
    ort = { run, ...figures(run) };
  }, 120_000);
  afterAll(async () => {
    const left = await dockerFromEnv().listContainers({ all: true, filters: { label: [`paddle-perf-gate.gate=${GATE}`] } });
    await rm(root, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  const cases: Array<{ name: string; label: string; runner: 'docker' | 'local'; engine: Partial<EnginePlan> }> = [
    {
      name: 'docker, Paddle 3.3 image, inference.json, oneDNN on, 1 thread',
      label: '3.3',
      runner: 'docker',
      engine: { mkldnn: true, threads: 1 },
    },
    {
      name: 'docker, Paddle 2.6 image, inference.pdmodel, oneDNN off, 2 threads',
      label: '2.6',
      runner: 'docker',
      engine: { mkldnn: false, threads: 2 },
    },
    {
      name: 'local, Paddle 3.3 venv, inference.json, oneDNN off, 2 threads',
      label: '3.3',
      runner: 'local',
      engine: { mkldnn: false, threads: 2 },
    },
    {
      name: 'local, Paddle 2.6 venv, inference.pdmodel, oneDNN on, 1 thread',
      label: '2.6',
      runner: 'local',
      engine: { mkldnn: true, threads: 1 },
    },
  ];

  it.each(cases)(
    '$name: the embedded ONNX Runtime figures, line for line',
    async ({ name, label, runner, engine }) => {
      if (runner === 'docker' && !(await imagesPresent())) return;
      const model = paddle(label, engine);
      const measurePlan = { ...MEASURE, accuracy: { batch: 6, threads: engine.threads ?? 1 } };
      const run = await (runner === 'docker' ? docker(label) : local(label)).run(
        { model, measure: measurePlan, dataset, workDir: join(root, name.replace(/[^a-z0-9]+/gi, '-')) },
        progress,
      );
      runs[name] = run;
      const version = pythons.find((p) => p.label === label)!.version;
      expect(run.engine).toMatchObject({ name: 'paddle', version, device: 'cpu', precision: 'fp32' });
      expect(run.model.format).toBe(label === '2.6' ? 'paddle-pdmodel' : 'paddle-pir');
      expect(run.env).toMatchObject({ runner, paddle: version });
      expect(run.notes).toContain(engine.mkldnn ? 'Config.enable_mkldnn()' : 'Config.disable_mkldnn()');
      expect(run.notes).toContain(`Config.set_cpu_math_library_num_threads(${engine.threads})`);
      expect(run.notes!.join('\n')).toContain("accuracy pass: predict_rec.py's batches of 6, each at its own width");
      const { line, edit } = figures(run);
      expect(line.perSample).toEqual(ort.line.perSample);
      expect(line.value).toBe(ort.line.value);
      expect(edit.value).toBeCloseTo(ort.edit.value!, 9);
      // Timed copy_from_cpu + run + copy_to_cpu iterations exist (how long they took is not tested).
      expect(run.timing.rounds.flat().length).toBeGreaterThanOrEqual(10);
    },
    180_000,
  );

  it("PaddleOCR's own pipeline on the same images with the same Paddle model gives the gate's figures, line for line", async () => {
    const env = { ...process.env, GLOG_minloglevel: '2' };
    const oraclePython = process.env['PPG_ORACLE_PYTHON'];
    if (!oraclePython || !process.env['PPG_PADDLEOCR_DIR']) {
      if (process.env['CI'] === 'true') throw new Error('PPG_ORACLE_PYTHON / PPG_PADDLEOCR_DIR not set (scripts/python-env.sh oracle)');
      return;
    }
    // PaddleOCR 2.10's create_predictor cannot load a PIR program on Paddle 3.3 (memory_optimize_pass); its .pdmodel twin it can.
    const modelDir = join(models!, 'ppocrv4-rec', 'paddle-pdmodel');
    const { stdout } = await exec(oraclePython, [ORACLE, modelDir, join(DATA, 'rec_gt.txt'), DATA, DICTIONARY, String(LINES), '6'], {
      env,
      maxBuffer: 1 << 24,
    });
    const oracle = JSON.parse(stdout.trim().split('\n').pop()!) as {
      n: number;
      correct: number;
      editSum: number;
      lines: Array<{ id: string; label: string | null; pred: string }>;
    };
    // The gate on the same model file (local runner, Paddle 2.6) and the PIR twin (Paddle 3.3, docker): PaddleOCR's figures.
    const gate = await local('2.6').run(
      { model: paddle('2.6', { mkldnn: false, threads: 1 }), measure: MEASURE, dataset, workDir: join(root, 'oracle') },
      progress,
    );
    const { line, edit } = figures(gate);
    expect(oracle.n).toBe(line.perSample!.ids.length);
    expect(line.value).toBeCloseTo((100 * oracle.correct) / oracle.n, 10);
    expect(edit.value).toBeCloseTo(100 * (1 - oracle.editSum / oracle.n), 9);
    // Line by line, by image (the gate lists lines in predict_rec.py's batch order).
    const byId = (ids: string[], ok: number[]) => Object.fromEntries(ids.map((id, i) => [id, ok[i]]));
    const scored = oracle.lines.filter((l) => l.label !== null);
    const oracleOk = scored.map((l) => (l.pred.replace(/ /g, '') === l.label!.replace(/ /g, '') ? 1 : 0));
    expect(byId(line.perSample!.ids, line.perSample!.ok)).toEqual(
      byId(
        scored.map((l) => l.id),
        oracleOk,
      ),
    );
    // And what ONNX Runtime gave (the cases above: the PIR program on Paddle 3.3 too): the same.
    expect(line.perSample).toEqual(ort.line.perSample);
  }, 180_000);

  it('the fingerprint tells Paddle 2.6 from 3.3', () => {
    const [a, b] = [cases[2]!.name, cases[3]!.name].map((n) => runs[n]);
    if (!a || !b) return;
    const fp = (r: RunResult) => fingerprintOf({ ...r, batchSize: r.timing.batchSize });
    const fields = fingerprintDifferences(fp(b), fp(a), DEFAULT_FINGERPRINT_FIELDS).map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['engineVersion', 'paddle']));
    expect(fp(b)['paddle']).toBe('2.6.2');
    expect(fp(a)['paddle']).toBe('3.3.1');
  });

  it('the A/B confirmation runs on the docker runner with Paddle 3.3 on both sides (an A/A)', async () => {
    if (!(await imagesPresent())) return;
    const model = paddle('3.3', { mkldnn: true, threads: 1 });
    const runner = docker('3.3');
    const plan: RunnerPlan = dockerPlan({ image: PADDLE_IMAGES['3.3'], pull: 'never' });
    const timing: MeasurePlan = { ...MEASURE, rounds: 3, minRounds: 3, minIterationsPerRound: 6 };
    const recorded = await runner.run({ model, measure: timing, dataset, workDir: join(root, 'ab-record') }, progress);
    const record = runRecordOf(runSpecOf(model, dataset, timing, plan, recorded.model.files), recorded);
    // The stored comparison: the recorded run as the baseline, one more run of the same model as the head.
    const head = await runner.run({ model, measure: timing, dataset, workDir: join(root, 'ab-stored'), timingOnly: true }, progress);
    const stored = inWords(judgeKeys(measure(recorded, dataset, 'ocr-rec'), measure(head, dataset, 'ocr-rec'), DEFAULT_THRESHOLDS));
    const lines: string[] = [];
    const confirmed = inWords(
      await confirmKeys(
        runner,
        {
          model,
          measure: timing,
          dataset,
          base: { model, measure: timing, dataset, from: 'test' },
          expected: record,
          runner: plan,
          workDir: join(root, 'ab'),
          pairs: 3, // the fewest confirmComparison runs
          thresholds: DEFAULT_THRESHOLDS,
        },
        stored,
        { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
      ),
    );
    expect(['pass', 'warn', 'fail', 'inconclusive']).toContain(confirmed.verdict);
    const p50 = confirmed.rows.find((r) => r.metric === 'latency.p50')!;
    // Re-judged by the pairs, or void because the machine's load moved the base side's own cost: both say so.
    expect(p50.reason).toMatch(/confirmed by \d+ interleaved A\/B pairs on this runner$|A\/B confirmation void: the base side's own cost/);
    expect(lines.some((l) => /A\/B/.test(l))).toBe(true);
  }, 300_000);
});
