/**
 * The embedded runner's accuracy pass, separate from timing: every sample once, read from disk in
 * chunks (memory does not grow with the set), on its own execution settings (gate.yml
 * measure.accuracy: batch, default PaddleOCR's 6; threads, default every core the runner may use)
 * while timing keeps the engine's.
 *
 * Batched predictions equal batch-1 predictions only where every sample of a batch has the same
 * input shape, which the prepared tensors have: PP-OCR lines are padded to the fixed width
 * (PaddleOCR's own batched predict_rec pads a batch to its widest ratio instead, the dynamic width
 * that changes a line's input with its neighbours; this gate never does that). The check is done,
 * not assumed: the first batches are predicted again at batch 1 on the timing session and must
 * give identical raw predictions, else the whole pass runs at batch 1 and a note says why.
 */
import { availableParallelism } from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { PreparedDataset } from '../dataset/prepared.js';
import { openSamples, type SampleReader } from '../dataset/samples.js';
import { RunnerError } from '../errors.js';
import type { Progress } from '../ports.js';
import type { RawOutput, Task } from '../types.js';
import { rawOutput } from './outputs.js';

/**
 * Session options of a multi-thread accuracy session: worker threads sleep between operators
 * instead of spinning. Measured on PP-OCRv4 rec, 2 threads: 13.6 ms of CPU a line sleeping,
 * 22.9 ms spinning (1 thread: 12.1 ms); spinning threads starve each other on a busy machine.
 */
export const ACCURACY_SESSION_EXTRA = { session: { intra_op: { allow_spinning: '0' } } };
/** Samples whose batched prediction is checked against batch 1. */
const CHECK_SAMPLES = 12;
/** Samples read from disk at a time: a few batches. */
const CHUNK_BATCHES = 8;

type Ort = typeof import('onnxruntime-node');

export interface AccuracyPlan {
  ort: Ort;
  task: Task;
  modelName: string;
  dataset: PreparedDataset;
  /** measure.accuracy: samples per call, and threads ('auto': the cores this process may use). */
  execution: AccuracyExecution;
  /** The timing session (the configured threads): the batch-1 reference of the check. */
  reference: InferenceSession;
  /** The timing session's threads: a pass on as many threads runs on that session. */
  referenceThreads: number;
  /** Opens a session with the given number of threads. */
  openSession(threads: number): Promise<InferenceSession>;
  /** Runs one call, naming the sample and batch in its error. */
  describeError(error: unknown, sample: string, batch: number): Promise<RunnerError>;
  /**
   * A full garbage collection, run after each chunk: every batch's output is a JavaScript-owned
   * buffer (PP-OCRv4 rec: 6.4 MB for 6 lines) that V8 frees only when it gets round to it, so the
   * resident memory would follow V8's heuristics rather than a chunk's size.
   */
  collectGarbage?: () => void;
  /** Throws when the run is cancelled; called before each batch. */
  checkCancelled?: () => void;
}

export interface AccuracyExecution {
  batch: number;
  threads: number | 'auto';
}

export interface AccuracyResult {
  predictions: RawOutput[];
  notes: string[];
  /** What the pass ran at (the batch after the check and the model's own fixed batch), for the run document. */
  batch: number;
  threads: number;
}

/** measure.accuracy.threads resolved: 'auto' is every core this process may use (affinity and container limit, as libuv counts them). */
export function accuracyThreads(threads: number | 'auto'): number {
  return threads === 'auto' ? availableParallelism() : threads;
}

export async function accuracyPass(plan: AccuracyPlan, progress: Progress): Promise<AccuracyResult> {
  const { dataset, modelName } = plan;
  const reader = await openSamples(dataset);
  const threads = accuracyThreads(plan.execution.threads);
  const own = threads !== plan.referenceThreads;
  const session = own ? await plan.openSession(threads) : plan.reference;
  try {
    const dim0 = session.inputMetadata[0]?.isTensor ? session.inputMetadata[0].shape[0] : undefined;
    // A model exported with a fixed batch dimension is fed that batch (the last one padded by repeats).
    const fixed = typeof dim0 === 'number' && dim0 > 0 ? dim0 : undefined;
    let batch = fixed ?? Math.min(plan.execution.batch, reader.count);
    const notes: string[] = [];
    const started = performance.now();

    if (batch > 1 && fixed === undefined) {
      const n = Math.min(CHECK_SAMPLES, reader.count);
      const batched = await predictRange(plan, session, reader, 0, n, batch);
      const single = await predictRange(plan, plan.reference, reader, 0, n, 1);
      const differs = single.findIndex((p, i) => JSON.stringify(p) !== JSON.stringify(batched[i]));
      if (differs >= 0) {
        progress.warn(
          `${modelName}: batched predictions differ from batch-1 predictions (sample ${dataset.ids[differs] ?? differs}): predictions run at batch 1`,
        );
        notes.push(`accuracy pass: batch ${batch} changed sample ${dataset.ids[differs] ?? differs}'s prediction; ran at batch 1`);
        batch = 1;
      } else {
        notes.push(`accuracy pass: batch ${batch}, ${threads} thread(s); the first ${n} predictions checked equal to batch 1`);
      }
    } else {
      notes.push(`accuracy pass: batch ${batch}${fixed ? ' (the model fixes it)' : ''}, ${threads} thread(s)`);
    }

    const predictions: RawOutput[] = [];
    const chunk = batch * CHUNK_BATCHES;
    let lastLine = started;
    for (let first = 0; first < reader.count; first += chunk) {
      const n = Math.min(chunk, reader.count - first);
      for (const p of await predictRange(plan, session, reader, first, n, batch, fixed !== undefined)) predictions.push(p);
      plan.collectGarbage?.();
      const now = performance.now();
      if (now - lastLine >= 10_000 && predictions.length < reader.count) {
        lastLine = now;
        const rate = predictions.length / ((now - started) / 1000);
        progress.info(
          `${modelName}: predictions ${predictions.length}/${reader.count}, ${rate.toFixed(0)}/s, about ${Math.ceil((reader.count - predictions.length) / rate)} s left`,
        );
      }
    }
    const seconds = (performance.now() - started) / 1000;
    progress.info(
      `${modelName}: predictions for ${reader.count} samples in ${seconds.toFixed(1)} s (batch ${batch}, ${threads} thread(s))`,
    );
    return { predictions, notes, batch, threads };
  } finally {
    if (own) await session.release();
    await reader.close();
  }
}

/** Raw predictions of samples first … first + n − 1, fed `batch` at a time. */
async function predictRange(
  plan: AccuracyPlan,
  session: InferenceSession,
  reader: SampleReader,
  first: number,
  n: number,
  batch: number,
  padLast = false,
): Promise<RawOutput[]> {
  const { ort, dataset, modelName, task } = plan;
  const data = await reader.read(first, n);
  const per = reader.sampleSize;
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const out: RawOutput[] = [];
  for (let start = 0; start < n; start += batch) {
    const real = Math.min(batch, n - start);
    const size = padLast ? batch : real;
    let values = data.subarray(start * per, (start + real) * per);
    if (size > real) {
      const padded = new Float32Array(size * per);
      padded.set(values);
      for (let k = real; k < size; k++) padded.copyWithin(k * per, (real - 1) * per, real * per);
      values = padded;
    }
    plan.checkCancelled?.();
    const sample = dataset.ids[first + start] ?? String(first + start);
    let result: Tensor;
    try {
      result = (await session.run({ [inputName]: new ort.Tensor('float32', values, [size, ...reader.sampleShape]) }))[outputName]!;
    } catch (error) {
      throw await plan.describeError(error, sample, size);
    }
    const all = result.data as Float32Array;
    const each = all.length / size;
    for (let k = 0; k < real; k++) {
      const v = all.subarray(k * each, (k + 1) * each);
      const bad = v.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) {
        throw new RunnerError(
          `models[${modelName}]: output ${outputName} of sample ${dataset.ids[first + start + k] ?? first + start + k} holds ${v[bad]} at index ${bad}: expected finite numbers (check the inputs and the preprocessing)`,
        );
      }
      out.push(rawOutput(task, v, result.dims.slice(1)));
    }
  }
  return out;
}
