import { createHash } from 'node:crypto';
import { appendFile, readFile, stat } from 'node:fs/promises';
import { cpus, release } from 'node:os';
import { basename, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { feedOf } from '../dataset/prepared.js';
import { narrowSamples, openSamples, spreadIndices } from '../dataset/samples.js';
import { ACCURACY_SESSION_EXTRA, accuracyPass } from './accuracy.js';
import { ConfigError, RunnerError } from '../errors.js';
import type { Progress, RunRequest, Runner } from '../ports.js';
import { RUN_SCHEMA, type GoldenOutputs, type RawOutput, type RunResult } from '../types.js';
import { modelFiles } from '../model-files.js';
import { modelFitProblems } from './model-check.js';
import { median } from '../measure/stats.js';
import { stopDecision } from '../measure/stopping.js';
import { counted } from '../plural.js';

type Ort = typeof import('onnxruntime-node');

/**
 * A full garbage collection, run before each RSS sample: the outputs of every iteration are
 * JavaScript-owned buffers (PP-OCRv4 rec: 1 MB a call) that V8 frees only when it gets round to
 * it, so without this the RSS trace is a long GC saw-tooth that the leak fit reads as growth
 * (measured: a false "leak suspect" of 60–140 MB/1k on the unchanged rec model). After a GC the
 * trace shows what is really kept, as the Python harness's RSS does. undefined where V8 refuses.
 */
const collectGarbage: (() => void) | undefined = (() => {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();
/** RSS is sampled every 25 iterations, but at most every 100 ms (each sample costs a GC, outside the timed call). */
const RSS_EVERY_ITERATIONS = 25;
const RSS_EVERY_MS = 100;
/** Samples timing iterates over (spread over the set): enough to vary the inputs, few enough to keep memory flat. */
export const TIMING_SAMPLES = 256;

function sampleRss(): number {
  collectGarbage?.();
  return process.memoryUsage.rss() / 2 ** 20;
}

/**
 * onnxruntime-node is a native module: it is loaded only on this path, after telemetry is
 * switched off (the Linux build otherwise phones home ~9 s after a session is created).
 */
export async function loadOrt(): Promise<Ort> {
  process.env['ORT_DISABLE_TELEMETRY'] ??= '1';
  try {
    const ort = await import('onnxruntime-node');
    // The engine's own log (coloured kernel errors on stderr) stays out of the terminal: its
    // errors reach the user as one named message, the full text in the model's onnxruntime.log.
    ort.env.logLevel = 'fatal';
    return ort;
  } catch (error) {
    throw new RunnerError(
      'the embedded runner needs the onnxruntime-node package, which is not installed next to paddle-perf-gate ' +
        '(an action checkout has only dist/): run `npm ci` in the action directory, or choose runner docker or local. ' +
        `Cause: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export interface EmbeddedRunnerOptions {
  /** Milliseconds on a monotonic clock (default performance.now): injectable so the stopping rules can be tested exactly. */
  clock?: () => number;
}

const COLOURS = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** The engine's message, first line only; the whole text goes to `workDir/onnxruntime.log`, named in the message. */
async function engineError(error: unknown, workDir: string): Promise<string> {
  const text = error instanceof Error ? error.message : String(error);
  // The engine's messages may carry terminal colours (ESC [ … m).
  const first = text.replace(COLOURS, '').split('\n')[0]!.trim();
  const log = join(workDir, 'onnxruntime.log');
  try {
    await appendFile(log, `${new Date().toISOString()} ${text}\n`);
    return `${first.length > 300 ? `${first.slice(0, 297)}...` : first} (full text: ${log})`;
  } catch {
    return first;
  }
}

/** The model's input/output metadata against gate.yml, from a session that runs nothing. */
async function checkEmbedded(request: Pick<RunRequest, 'model' | 'dataset' | 'workDir'>): Promise<void> {
  const { model, dataset } = request;
  if (model.format !== 'onnx') return; // refused with its own message by run()
  const ort = await loadOrt();
  const session = await openSession(ort, model, request.workDir);
  try {
    assertFits(model, session, dataset);
  } finally {
    await session.release();
  }
}

async function openSession(ort: Ort, model: RunRequest['model'], workDir: string): Promise<import('onnxruntime-node').InferenceSession> {
  const modelBytes = await readFile(model.path).catch((error: unknown) => {
    throw new RunnerError(
      `models[${model.name}].path: cannot read ${model.path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  return openSessionFrom(ort, model, modelBytes, workDir);
}

/** The options of a session with `threads` intra-op threads: the timing session's, or one of the accuracy pass's (plain data: its workers open the same). */
function sessionOptions(model: RunRequest['model'], threads: number): import('onnxruntime-node').InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: model.engine.irOptim ? 'all' : 'disabled',
    enableCpuMemArena: true,
    logSeverityLevel: 4,
    // The accuracy pass's own multi-thread sessions: threads sleep instead of spinning (see accuracy.ts).
    ...(threads !== model.engine.threads && threads > 1 ? { extra: ACCURACY_SESSION_EXTRA } : {}),
  };
}

async function openSessionFrom(
  ort: Ort,
  model: RunRequest['model'],
  modelBytes: Uint8Array,
  workDir: string,
): Promise<import('onnxruntime-node').InferenceSession> {
  try {
    return await ort.InferenceSession.create(modelBytes, sessionOptions(model, model.engine.threads));
  } catch (error) {
    throw new RunnerError(`models[${model.name}].path: onnxruntime cannot load ${model.path}: ${await engineError(error, workDir)}`);
  }
}

function assertFits(
  model: RunRequest['model'],
  session: import('onnxruntime-node').InferenceSession,
  dataset: RunRequest['dataset'],
  timingOnly = false,
): void {
  const io = { inputs: session.inputMetadata, outputs: session.outputMetadata };
  const problems = modelFitProblems(model, io, dataset, { outputs: !timingOnly });
  if (problems.length > 0) throw new ConfigError(`${basename(model.path)} does not fit gate.yml:\n${problems.join('\n')}`);
}

/** The embedded runner: ONNX models in-process on the CPU, no Docker, no Python. */
export function createEmbeddedRunner(opts: EmbeddedRunnerOptions = {}): Runner {
  const clock = opts.clock ?? (() => performance.now());
  return { kind: 'embedded', run: (request, progress) => runEmbedded(request, progress, clock), check: checkEmbedded };
}

/** Throws the runner's cancellation error once the request's signal has fired (checked between engine calls). */
function cancelled(request: RunRequest, when: string): void {
  if (request.signal?.aborted) throw new RunnerError(`run of ${request.model.name} cancelled ${when}`);
}

async function runEmbedded(request: RunRequest, progress: Progress, now: () => number): Promise<RunResult> {
  const started = now();
  const { model, measure, dataset } = request;
  const engine = model.engine;
  cancelled(request, 'before it started');
  if (model.format !== 'onnx') {
    throw new RunnerError(
      `models[${model.name}]: the embedded runner runs ONNX models only, got format ${model.format}; ` +
        'use runner kind docker (the Paddle image) or local (a Python with Paddle installed)',
    );
  }
  if (engine.device !== 'cpu') {
    throw new RunnerError(
      `models[${model.name}].engine.device: the embedded runner is CPU-only, got ${engine.device}; use runner docker or local for GPUs`,
    );
  }
  if (engine.precision !== 'fp32') {
    throw new RunnerError(`models[${model.name}].engine.precision: the embedded runner runs fp32 only, got ${engine.precision}`);
  }

  modelFiles(model); // the one resolver: a DataError naming models[<name>].path, as the other runners give
  const ort = await loadOrt();
  progress.info(
    `${model.name}: loading ${basename(model.path)} (onnxruntime ${ort.env.versions.common}, ${counted(engine.threads, 'thread', 'threads')})`,
  );
  const modelBytes = await readFile(model.path).catch((error: unknown) => {
    throw new RunnerError(
      `models[${model.name}].path: cannot read ${model.path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  const session = await openSessionFrom(ort, model, modelBytes, request.workDir);

  try {
    cancelled(request, 'while its model was loading');
    // The model's inputs and outputs against the task, the shape, the batch and the vocabulary, before any inference.
    assertFits(model, session, dataset, request.timingOnly);
    const [count, ...sampleShape] = dataset.shape;
    if (!count || sampleShape.length === 0) throw new RunnerError(`dataset ${dataset.dir}: no samples`);
    const inputName = session.inputNames[0]!;
    const batch = engine.batchSize;
    const failed = async (error: unknown, sample: string, size: number) =>
      new RunnerError(
        `models[${model.name}]: onnxruntime failed on sample ${sample} (batch ${size}): ${await engineError(error, request.workDir)}`,
      );

    // 1. Predictions: every sample once, streamed from disk in chunks, on measure.accuracy's batch
    //    and threads (a separate session; see accuracy.ts), skipped for timing-only calls of the A/B confirmation.
    let predictions: RawOutput[] = [];
    let golden: GoldenOutputs | undefined;
    const notes: string[] = [];
    const accuracyOptions: Record<string, number> = {};
    if (!request.timingOnly) {
      const pass = await accuracyPass(
        {
          ort,
          task: model.task,
          modelName: model.name,
          dataset,
          execution: measure.accuracy,
          reference: session,
          modelBytes,
          sessionOptions: (threads) => sessionOptions(model, threads),
          describeError: failed,
          checkCancelled: () => cancelled(request, 'during the predictions'),
          ...(request.goldenBytes ? { goldenBytes: request.goldenBytes } : {}),
          ...(collectGarbage ? { collectGarbage } : {}),
        },
        progress,
      );
      predictions = pass.predictions;
      golden = pass.golden;
      notes.push(...pass.notes);
      accuracyOptions['accuracyBatch'] = pass.batch;
      accuracyOptions['accuracyThreads'] = pass.threads;
    }

    // Timing iterates over a representative subset (spread over the set), decoded once before
    // the clock starts, so its memory does not grow with the dataset.
    const subset = spreadIndices(count, TIMING_SAMPLES);
    const subsetCount = subset.length;
    const sampleSize = sampleShape.reduce((a: number, b: number) => a * b, 1);
    const data = new Float32Array(subsetCount * sampleSize);
    const reader = await openSamples(dataset);
    try {
      for (const [k, index] of subset.entries()) data.set(await reader.read(index, 1), k * sampleSize);
    } finally {
      await reader.close();
    }

    /** One iteration: host → engine → host, timed the way Paddle's copy_from_cpu + run + copy_to_cpu is. */
    // Batch 1 feeds views of the subset made once, so no copy or allocation sits inside the timed
    // iteration (the harness-overhead benchmark compares this loop with a bare ORT loop).
    const single = new Map<number, import('onnxruntime-node').Tensor>();
    // predict_rec.py's dynamic width: a sample is timed at its batch's width (a timed batch of
    // several at the widest of theirs, the same rule), so latency is measured at real line widths.
    const feed = feedOf(dataset);
    const tensorAt = (first: number, size: number) => {
      if (feed) {
        const members = Array.from({ length: size }, (_, i) => (first + i) % subsetCount);
        const width = Math.max(...members.map((k) => feed.widths[subset[k]!]!));
        const key = size === 1 ? members[0]! : -1;
        const cached = single.get(key);
        if (cached) return cached;
        const rows = new Float32Array(members.length * (sampleSize / sampleShape[2]!) * width);
        members.forEach((k, i) => {
          const one = narrowSamples(data.subarray(k * sampleSize, (k + 1) * sampleSize), 1, sampleShape, width);
          rows.set(one, i * one.length);
        });
        const tensor = new ort.Tensor('float32', rows, [size, sampleShape[0]!, sampleShape[1]!, width]);
        if (size === 1) single.set(key, tensor);
        return tensor;
      }
      if (size === 1) {
        const index = first % subsetCount;
        let tensor = single.get(index);
        if (!tensor) {
          tensor = new ort.Tensor('float32', data.subarray(index * sampleSize, (index + 1) * sampleSize), [1, ...sampleShape]);
          single.set(index, tensor);
        }
        return tensor;
      }
      const rows = new Float32Array(size * sampleSize);
      for (let i = 0; i < size; i++) {
        const index = (first + i) % subsetCount;
        rows.set(data.subarray(index * sampleSize, (index + 1) * sampleSize), i * sampleSize);
      }
      return new ort.Tensor('float32', rows, [size, ...sampleShape]);
    };
    const infer = async (first: number, size: number) => {
      // One inference is milliseconds to a second: checking before each keeps cancellation prompt.
      cancelled(request, 'during the measurement');
      try {
        await session.run({ [inputName]: tensorAt(first, size) });
      } catch (error) {
        throw await failed(error, dataset.ids[subset[first % subsetCount]!] ?? String(first), size);
      }
    };

    // 2. Warm-up: by count and by time, whichever ends later.
    const warmStart = now();
    let warm = 0;
    while (warm < measure.warmupIterations || now() - warmStart < measure.warmupSeconds * 1000) {
      await infer((warm * batch) % subsetCount, batch);
      warm++;
    }
    progress.info(`${model.name}: warm-up ${warm} iterations in ${((now() - warmStart) / 1000).toFixed(1)} s`);

    // 3. Rounds: each at least minIterationsPerRound iterations and minRoundSeconds long, all within
    //    maxSeconds; adaptive: stop after minRounds once the round medians are stable and precise.
    const rounds: number[][] = [];
    const medians: number[] = [];
    const rss = { iteration: [] as number[], mb: [] as number[] };
    const measureStart = now();
    const startupSeconds = (measureStart - started) / 1000;
    const deadline = measureStart + measure.maxSeconds * 1000;
    const stopping = {
      minRounds: measure.minRounds,
      maxRounds: measure.rounds,
      precision: measure.precision,
    };
    let iteration = 0;
    let lastRss = Number.NEGATIVE_INFINITY;
    for (;;) {
      const times: number[] = [];
      const roundStart = now();
      while (times.length < measure.minIterationsPerRound || now() - roundStart < measure.minRoundSeconds * 1000) {
        const t0 = now();
        await infer((iteration * batch) % subsetCount, batch);
        times.push(now() - t0);
        if (iteration % RSS_EVERY_ITERATIONS === 0 && now() - lastRss >= RSS_EVERY_MS) {
          rss.iteration.push(iteration);
          rss.mb.push(sampleRss());
          lastRss = now();
        }
        iteration++;
        if (now() > deadline && times.length >= measure.minIterationsPerRound) break;
      }
      rounds.push(times);
      medians.push(median(times));
      const decision = stopDecision(medians, { ...stopping, timeLeft: now() + measure.minRoundSeconds * 1000 <= deadline });
      progress.info(
        `${model.name}: round ${rounds.length}/${measure.rounds}: ${counted(times.length, 'iteration', 'iterations')}, median ${medians.at(-1)!.toFixed(2)} ms, ` +
          `interval ±${Number.isFinite(decision.halfWidth) ? (100 * decision.halfWidth).toFixed(2) : '∞'} %`,
      );
      if (!decision.stop) continue;
      if (decision.reason === 'max-seconds' && rounds.length < stopping.minRounds) {
        progress.warn(
          `${model.name}: stopped after ${rounds.length} of at least ${stopping.minRounds} rounds: measure.max-seconds (${measure.maxSeconds} s) reached`,
        );
      } else if (decision.reason !== 'precise' && rounds.length > 1) {
        // The usual end of a run on a noisy machine, not a fault: the comparison's interval carries the spread.
        const limit =
          decision.reason === 'max-rounds'
            ? `all ${counted(rounds.length, 'round', 'rounds')} (measure.rounds)`
            : `measure.max-seconds (${measure.maxSeconds} s)`;
        progress.info(
          `${model.name}: measured ${limit}; round medians within ±${Number.isFinite(decision.halfWidth) ? (100 * decision.halfWidth).toFixed(1) : '∞'} % (aimed for ±${(100 * stopping.precision).toFixed(1)} %), the comparison's interval accounts for the spread`,
        );
      }
      break;
    }
    rss.iteration.push(iteration);
    rss.mb.push(sampleRss());

    const { size } = await stat(model.path);
    return {
      schema: RUN_SCHEMA,
      model: {
        name: model.name,
        format: model.format,
        files: [{ path: basename(model.path), sha256: createHash('sha256').update(modelBytes).digest('hex'), bytes: size }],
      },
      engine: {
        name: 'onnxruntime',
        version: ort.env.versions.common,
        device: 'cpu',
        precision: 'fp32',
        options: {
          threads: engine.threads,
          irOptim: engine.irOptim,
          executionProvider: 'cpu',
          runtime: 'onnxruntime-node',
          ...accuracyOptions,
        },
      },
      env: {
        runner: 'embedded',
        cpuModel: cpus()[0]?.model.trim() ?? null,
        cpuCount: String(cpus().length),
        os: `${process.platform} ${release()}`,
        node: process.versions.node,
        python: null,
        gpuName: null,
        driver: null,
        driverMajor: null,
        cuda: null,
        cudnn: null,
        tensorrt: null,
        paddle: null,
        paddleCommit: null,
        imageDigest: null,
        inputShape: sampleShape.join('x'),
      },
      timing: {
        warmupIterations: warm,
        batchSize: batch,
        rounds,
        measureSeconds: (now() - measureStart) / 1000,
        startupSeconds,
      },
      memory: { gpuIdleMb: null, gpu: null, rss },
      outputs: { ids: request.timingOnly ? [] : dataset.ids.slice(0, count), predictions, ...(golden ? { golden } : {}) },
      ...(notes.length > 0 ? { notes } : {}),
    };
  } finally {
    await session.release();
  }
}
