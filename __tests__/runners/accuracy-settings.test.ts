/**
 * gate.yml `measure.accuracy`: the accuracy pass's own execution settings (samples per call and
 * CPU threads, `auto` = every core the runner may use), separate from timing, which keeps the
 * engine's threads and batch-size. They change how fast predictions come, never what they are:
 * the predictions (and so the accuracy figures) equal a batch-1 one-thread pass, the run document
 * records what the pass ran at, and a baseline's run spec does not depend on them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MEASURE } from '../../src/config/defaults.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { ConfigError, RunnerError } from '../../src/errors.js';
import { measure } from '../../src/measure/index.js';
import { runSpecOf, specDifferences } from '../../src/run-spec.js';
import { accuracyPass } from '../../src/runners/accuracy.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import type { MeasurePlan, ModelPlan, RunResult } from '../../src/types.js';
import { makeProject, MINIMAL, type Project } from '../config/fixtures.js';
import { runCli, tinyGate } from '../helpers/cli.js';
import { writeOnnxModel } from '../helpers/onnx-build.js';
import { QUICK, recordingProgress } from './fixtures.js';

let root: string;
let project: Project;
let model: ModelPlan;
let dataset: PreparedDataset;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ppg-accuracy-settings-'));
  project = makeProject();
  model = (await loadConfig(path.resolve('examples/demo/gate.yml'))).models.find((m) => m.task === 'ocr-rec')!;
  dataset = await prepareDataset({ ...model.dataset, limit: 24 }, join(root, 'cache'), { info: () => {}, warn: () => {} });
}, 60_000);
afterAll(async () => {
  project.cleanup();
  await rm(root, { recursive: true, force: true });
});

const withMeasure = (block: string) => `${MINIMAL}measure:\n${block}`;

function configError(text: string): string {
  try {
    parseConfig(text, project.file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

describe('gate.yml measure.accuracy', () => {
  it('defaults to batch auto on every core, and reads a count or auto', () => {
    expect(parseConfig(MINIMAL, project.file).measure.accuracy).toEqual({ batch: 'auto', threads: 'auto' });
    expect(parseConfig(withMeasure('  accuracy: { batch: 16, threads: 3 }\n'), project.file).measure.accuracy).toEqual({
      batch: 16,
      threads: 3,
    });
    expect(parseConfig(withMeasure('  accuracy: { threads: auto }\n'), project.file).measure.accuracy).toEqual({
      batch: 'auto',
      threads: 'auto',
    });
    expect(parseConfig(withMeasure('  accuracy: { batch: auto, threads: 2 }\n'), project.file).measure.accuracy).toEqual({
      batch: 'auto',
      threads: 2,
    });
    // Timing's settings are untouched by it.
    const plan = parseConfig(withMeasure('  accuracy: { batch: 2 }\n'), project.file);
    expect({ ...plan.measure, accuracy: DEFAULT_MEASURE.accuracy }).toEqual(DEFAULT_MEASURE);
  });

  it.each([
    ['threads: 0', /10:\d+: measure\.accuracy\.threads.*expected/s],
    ['threads: many', /10:\d+: measure\.accuracy\.threads.*auto/s],
    ['batch: 0', /10:\d+: measure\.accuracy\.batch.*expected/s],
    ['batch: six', /10:\d+: measure\.accuracy\.batch.*auto/s],
    ['thread: 2', /10:\d+: measure\.accuracy\.thread\b.*threads/s],
  ])('%s is refused, naming the line and the field', (entry, says) => {
    expect(configError(withMeasure(`  accuracy: { ${entry} }\n`))).toMatch(says);
  });
});

describe('embedded runner: the accuracy pass on its own settings', () => {
  const run = (accuracy: MeasurePlan['accuracy'], timingOnly = false): Promise<RunResult> =>
    createEmbeddedRunner().run(
      {
        model,
        measure: { ...QUICK, accuracy },
        dataset,
        workDir: join(root, `work-${accuracy.batch}-${accuracy.threads}`),
        ...(timingOnly ? { timingOnly } : {}),
      },
      recordingProgress(),
    );

  it('runs batch 4 on 2 threads with predictions identical to batch 1 on 1 thread; timing keeps its own', async () => {
    const one = await run({ batch: 1, threads: 1 });
    const four = await run({ batch: 4, threads: 2 });

    expect(four.outputs.ids).toEqual(dataset.ids);
    expect(four.outputs.predictions).toEqual(one.outputs.predictions);
    const line = (r: RunResult) => measure(r, dataset, 'ocr-rec').metrics.find((m) => m.id === 'accuracy.line')!.value;
    expect(line(four)).toBe(line(one));

    expect(four.notes?.join('\n')).toMatch(/accuracy pass: batch 4, 2 threads; the first 12 predictions checked equal to batch 1/);
    expect(four.engine.options).toMatchObject({ threads: 1, accuracyBatch: 4, accuracyThreads: 2 });
    expect(one.engine.options).toMatchObject({ threads: 1, accuracyBatch: 1, accuracyThreads: 1 });
    // Timing: the engine's batch-size and threads, whatever the accuracy pass used.
    expect(four.timing.batchSize).toBe(1);
    expect(four.env['inputShape']).toBe('3x48x320');
  }, 120_000);

  it('batch auto tries 6, 4, 2 and 1 on the first chunks and runs at the cheapest a line: predictions identical to batch 1', async () => {
    // 360 lines: room for the chunks sent before the check (2 workers × 2 × 48) and the four trial
    // chunks of 24 after it (fewer samples: PaddleOCR's 6, said in the note).
    const big = await prepareDataset({ ...model.dataset, limit: 360 }, join(root, 'cache'), { info: () => {}, warn: () => {} });
    const at = (accuracy: MeasurePlan['accuracy']) =>
      createEmbeddedRunner().run(
        { model, measure: { ...QUICK, accuracy }, dataset: big, workDir: join(root, `work-big-${accuracy.batch}`) },
        recordingProgress(),
      );
    const one = await at({ batch: 1, threads: 1 });
    const auto = await at({ batch: 'auto', threads: 2 });
    expect(auto.outputs.predictions).toEqual(one.outputs.predictions);
    const note = auto.notes?.join('\n') ?? '';
    const chosen =
      /accuracy pass: batch auto → (\d) \(a line at 6: [0-9.]+ ms, 4: [0-9.]+ ms, 2: [0-9.]+ ms, 1: [0-9.]+ ms\), 2 threads; the first 12 predictions checked equal to batch 1/.exec(
        note,
      );
    expect(chosen, note).not.toBeNull();
    expect(auto.engine.options).toMatchObject({ accuracyBatch: Number(chosen![1]), accuracyThreads: 2 });
    // The 24-line set has no room for the trials: PaddleOCR's 6, and the note says why.
    const small = await run({ batch: 'auto', threads: 2 });
    expect(small.engine.options).toMatchObject({ accuracyBatch: 6 });
    expect(small.notes?.join('\n')).toMatch(/accuracy pass: batch 6 \(auto: too few samples to compare batches\), 2 threads/);
  }, 180_000);

  it('auto is every core this process may use; a timing-only run records no accuracy pass', async () => {
    const auto = await run({ batch: 6, threads: 'auto' });
    expect(auto.engine.options).toMatchObject({ accuracyBatch: 6, accuracyThreads: availableParallelism() });
    const timing = await run({ batch: 6, threads: 'auto' }, true);
    expect(timing.outputs.predictions).toEqual([]);
    expect(timing.engine.options).not.toHaveProperty('accuracyThreads');
  }, 120_000);
});

describe('the accuracy pass with a model whose outputs depend on the rest of the batch', () => {
  // y = GAP(x) + GAP(x − mean over the batch): batch 1 gives GAP(x), a batch of several does not.
  it('is caught by the check on the first predictions and runs again at batch 1, with a warning and a note', async () => {
    process.env['ORT_DISABLE_TELEMETRY'] = '1';
    const ort = await import('onnxruntime-node');
    const file = join(root, 'batch-dependent.onnx');
    await writeOnnxModel(file, {
      input: ['x', ['N', 3, 48, 320]],
      output: ['y', ['N', 3]],
      nodes: [
        { op: 'ReduceMean', inputs: ['x'], outputs: ['m'], ints: { axes: [0] }, int: { keepdims: 1 } },
        { op: 'Sub', inputs: ['x', 'm'], outputs: ['d'] },
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['gx'] },
        { op: 'GlobalAveragePool', inputs: ['d'], outputs: ['gd'] },
        { op: 'Add', inputs: ['gx', 'gd'], outputs: ['s'] },
        { op: 'Flatten', inputs: ['s'], outputs: ['y'], int: { axis: 1 } },
      ],
    });
    const modelBytes = new Uint8Array(await readFile(file));
    const sessionOptions = (threads: number) =>
      ({ intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' }) as const;
    const reference = await ort.InferenceSession.create(modelBytes, sessionOptions(1));
    const pass = (batch: number, threads: number, progress = recordingProgress()) =>
      accuracyPass(
        {
          ort,
          task: 'classification',
          modelName: 'batch-dependent',
          dataset,
          execution: { batch, threads },
          reference,
          modelBytes,
          sessionOptions,
          describeError: async (e) => new RunnerError(String(e)),
        },
        progress,
      );
    try {
      const one = await pass(1, 1);
      const progress = recordingProgress();
      const six = await pass(6, 2, progress);
      expect(six.batch).toBe(1);
      expect(six.predictions).toEqual(one.predictions);
      expect(six.predictions).toHaveLength(dataset.ids.length);
      expect(progress.warns.join('\n')).toMatch(
        /batched predictions differ from batch-1 predictions \(sample .+\): predictions run at batch 1/,
      );
      expect(six.notes.join('\n')).toMatch(/accuracy pass: batch 6 changed sample .+'s prediction; ran at batch 1/);
      expect(progress.infos.join('\n')).toMatch(/predictions for 24 samples in [0-9.]+ s \(batch 1, 2 threads/);
    } finally {
      await reference.release();
    }
  }, 120_000);
});

describe("a baseline's run spec", () => {
  it('does not depend on the accuracy settings (they change no figure), and still on timing settings', () => {
    const files = [{ path: 'rec.onnx', sha256: 'a'.repeat(64), bytes: 1 }];
    const spec = (m: MeasurePlan) => runSpecOf(model, dataset, m, { kind: 'embedded' }, files);
    const base = spec(DEFAULT_MEASURE);
    expect(base.measure).not.toHaveProperty('accuracy');
    expect(specDifferences(base, spec({ ...DEFAULT_MEASURE, accuracy: { batch: 32, threads: 7 } }))).toEqual([]);
    expect(specDifferences(base, spec({ ...DEFAULT_MEASURE, rounds: 3 })).map((d) => d.field)).toEqual(['measure.rounds']);
  });
});

describe('the CLI with measure.accuracy', () => {
  const gate = (dir: string, accuracy: string) =>
    tinyGate({ storeDir: join(dir, 'store'), outDir: join(dir, 'out'), limit: 12 }).replace(
      '  round-seconds: 0.2\n',
      `  round-seconds: 0.2\n  accuracy: ${accuracy}\n`,
    );

  it('records the settings the pass ran at in report.json (exit 0), and refuses a bad one with exit 2', async () => {
    const dir = join(root, 'cli');
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'gate.yml'), gate(dir, '{ batch: 3, threads: 2 }'));
    const env = { PPG_CACHE_DIR: join(root, 'cli-cache') };
    const ok = await runCli(['run', '--config', join(dir, 'gate.yml')], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/predictions for 12 samples in [0-9.]+ s \(batch 3, 2 threads: 2 worker threads × 1\)/);
    const report = JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8')) as {
      models: Array<{ run: RunResult & { batchSize: number } }>;
    };
    expect(report.models[0]!.run.engine.options).toMatchObject({ threads: 1, accuracyBatch: 3, accuracyThreads: 2 });
    expect(report.models[0]!.run.batchSize).toBe(1);

    await writeFile(join(dir, 'bad.yml'), gate(dir, '{ batch: 3, threads: none }'));
    const bad = await runCli(['run', '--config', join(dir, 'bad.yml')], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yml:\d+:\d+: measure\.accuracy\.threads/);
    expect(bad.stderr).toMatch(/auto/);
  }, 120_000);
});
