/**
 * The embedded runner's accuracy pass, separate from timing: every sample once, read from disk in
 * chunks (memory does not grow with the set), on its own execution settings (gate.yml
 * measure.accuracy: batch, default auto — PaddleOCR's 6 or a smaller batch measured cheaper a
 * line, AUTO_BATCHES; threads, default every core the runner may use)
 * while timing keeps the engine's.
 *
 * Threads are worker threads, each with its own one-thread session reading its own chunks, up to
 * MAX_WORKERS (more threads go to the workers' sessions), never the timing session. Not one
 * session with that many intra-op threads: those meet at a barrier after every operator, so one
 * descheduled thread stalls the rest — measured on PP-OCRv4 rec, 1,000 lines under a load of 10
 * on 2 cores: 2 intra-op threads 17.5 s of CPU against 12.9 s for 1 thread, and slower in wall
 * time too. On that machine, loaded by others, the workers were no faster either (the CPU was
 * not there to take; docs/BENCHMARK.md): the gain needs idle cores.
 *
 * Batched predictions equal batch-1 predictions only where every sample of a batch has the same
 * input shape, which the prepared tensors have: PP-OCR lines are padded to the fixed width. The
 * check is done, not assumed: the first batches are predicted again at batch 1 on the timing
 * session (in this thread, while the workers start on the pass) and must give identical raw
 * predictions, else the whole pass runs again at batch 1 and a note says why. With `width:
 * dynamic` (predict_rec.py: each batch padded to its widest ratio, so a line's input depends on
 * its neighbours) the pass runs predict_rec.py's own batches instead, each at its width (dataset
 * encoding.feed), and there is nothing to check against batch 1.
 *
 * With golden outputs wanted (drift checks), each worker summarises and subsamples its samples'
 * outputs where they are (runners/golden.ts goldenPart); only those parts cross to this thread.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { feedOf, type PreparedDataset } from '../dataset/prepared.js';
import { openSamples } from '../dataset/samples.js';
import { median } from '../measure/stats.js';
import { RunnerError } from '../errors.js';
import type { Progress } from '../ports.js';
import type { GoldenOutputs, RawOutput, Task } from '../types.js';
import { GoldenCollector, type GoldenPart } from './golden.js';
import type { WorkerSetup } from './accuracy-worker.js';
import { EngineCallError, predictRange, unpackOutput, type BatchLoop, type PackedOutput } from './predict.js';
import { counted } from '../plural.js';

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
/** A full GC of this thread's heap at most this often during the pass (milliseconds). */
const GC_EVERY_MS = 5_000;
/**
 * measure.accuracy.batch auto: the pass starts at PaddleOCR's 6 (so the check against batch 1
 * covers batching); once checked, the next chunks try these batches, each on AUTO_CHUNK samples
 * (whole batches of every one, the same work for each), and the rest of the pass runs at the one
 * cheapest a line. On a CPU a large batch can cost more a line than a small one: PP-OCRv4 rec on
 * this project's machine, 6 about 12 % more than 2 (its activations no longer fit the core's
 * cache); on the gate at 1,000 lines, auto chose 1 or 2 and took 9.8–10.2 s against 10.0–10.8 s.
 */
const AUTO_BATCHES = [6, 4, 2, 1];
const AUTO_CHUNK = 24;
/** Worker threads at most: each holds a session and its buffers (measured: about 60 MB for PP-OCRv4 rec). */
const MAX_WORKERS = 8;

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
  /** The model as loaded, and the options of a session with the given threads: what each worker opens. */
  modelBytes: Uint8Array;
  sessionOptions(threads: number): InferenceSession.SessionOptions;
  /** The runner's error for an engine call that failed, naming the sample and batch. */
  describeError(error: unknown, sample: string, batch: number): Promise<RunnerError>;
  /**
   * A full garbage collection of this thread's heap, run every few seconds of the pass: each
   * worker's answer is a message V8 unpacks into garbage it collects when it gets round to it, so
   * without this the resident memory follows V8's heuristics rather than the predictions kept.
   */
  collectGarbage?: () => void;
  /** Throws when the run is cancelled; called before each batch. */
  checkCancelled?: () => void;
  /** Keep golden outputs of at most this many bytes of values (drift checks); absent: none. */
  goldenBytes?: number;
}

export interface AccuracyExecution {
  /** A count, or auto (AUTO_BATCHES: the cheapest a line, measured on the first chunks). */
  batch: number | 'auto';
  threads: number | 'auto';
}

export interface AccuracyResult {
  predictions: RawOutput[];
  notes: string[];
  /** What the pass ran at (the batch after the check and the model's own fixed batch), for the run document. */
  batch: number;
  threads: number;
  golden?: GoldenOutputs;
}

/** Messages to a worker of the pass: predict samples first … first + n − 1 at `batch`. */
export interface WorkerJob {
  id: number;
  first: number;
  n: number;
  batch: number;
  pad: boolean;
}

/** A worker's answer (id −1: its session is open, or why not). */
export type WorkerReply =
  | { id: number; predictions: PackedOutput[]; golden?: GoldenPart[][]; engineMs: number[] }
  | { id: number; error: { name: string; message: string; sample?: string; size?: number } };

/** measure.accuracy.threads resolved: 'auto' is every core this process may use (affinity and container limit, as libuv counts them). */
function accuracyThreads(threads: number | 'auto'): number {
  return threads === 'auto' ? availableParallelism() : threads;
}

/**
 * How a pass's threads are spread: workers × intra-op threads each. Always at least one worker,
 * never the timing session: its memory arena would keep the batched pass's buffers, and the
 * timed iterations' memory figures would carry them.
 */
function layout(threads: number): { workers: number; perWorker: number } {
  const workers = Math.min(threads, MAX_WORKERS);
  return { workers, perWorker: Math.floor(threads / workers) };
}

export async function accuracyPass(plan: AccuracyPlan, progress: Progress): Promise<AccuracyResult> {
  const { dataset, modelName } = plan;
  const reader = await openSamples(dataset);
  const threads = accuracyThreads(plan.execution.threads);
  const { workers, perWorker } = layout(threads);
  const reference: BatchLoop = {
    ort: plan.ort,
    session: plan.reference,
    reader,
    task: plan.task,
    modelName,
    ids: dataset.ids,
  };
  // predict_rec.py's dynamic width: its own batches, each at its width (batched ≠ batch 1 by design).
  const feed = feedOf(dataset);
  const dim0 = plan.reference.inputMetadata[0]?.isTensor ? plan.reference.inputMetadata[0].shape[0] : undefined;
  // A model exported with a fixed batch dimension is fed that batch (the last one padded by repeats).
  const fixed = typeof dim0 === 'number' && dim0 > 0 ? dim0 : undefined;
  /** The batch-1 reference of the check, on the timing session in this thread. */
  const inThread = async (first: number, n: number, batch: number) => {
    try {
      return (await predictRange(reference, first, n, batch, fixed !== undefined, plan.checkCancelled)).predictions;
    } catch (error) {
      if (error instanceof EngineCallError) throw await plan.describeError(error.error, error.sample, error.size);
      throw error;
    }
  };
  // The pass's time (its progress line) counts the workers' start: their sessions are part of its cost.
  const started = performance.now();
  const pool = await WorkerPool.open(plan, workers, perWorker, reader.count);
  const predict = (first: number, n: number, batch: number) => pool.predict(first, n, batch, fixed !== undefined);
  const where = counted(threads, 'thread', 'threads');
  const how = `${where}: ${counted(workers, 'worker thread', 'worker threads')} × ${perWorker}`;
  let lastLine = started;
  let lastGc = started;
  // Up to two chunks per worker in flight: the next is queued there when one is done.
  const inFlight = workers * 2;

  /**
   * Every sample once at `batch`, chunks to the workers, taken back in order. With `check`, its
   * batch-1 reference is computed in this thread while the workers start on the pass, and the
   * first `check.n` predictions are compared with it as soon as they are in: on a difference the
   * pass stops there (the rest is not awaited) and returns the first sample that differs. With
   * `trials` (batch auto), the chunks after the check run at those batches, and from each answer
   * on the pass runs at the one cheapest a line so far (`batch` in the result).
   */
  const runPass = async (
    batch: number,
    check?: { n: number; reference: () => Promise<RawOutput[]> },
    trials: readonly number[] = [],
  ): Promise<{ predictions: RawOutput[]; golden?: GoldenOutputs; differs?: number; batch: number; costs: Map<number, number> }> => {
    const golden = plan.goldenBytes ? new GoldenCollector(plan.goldenBytes, reader.count) : undefined;
    const predictions: RawOutput[] = [];
    const pending: Array<{ batch: number; trial: boolean; reply: Promise<Predicted> }> = [];
    const untried = [...trials];
    /** Milliseconds a line by batch, from the trial chunks: the median engine call over the batch. */
    const costs = new Map<number, number>();
    let current = batch;
    let next = 0;
    const send = () => {
      if (next >= reader.count) return;
      plan.checkCancelled?.();
      const left = reader.count - next;
      // Trials only once the check is done: its batch-1 reference shares the cores with the first
      // chunks (measured: batch 6 25 ms a line beside it, against 18 without).
      const trial = check ? undefined : untried.shift();
      const size = trial ?? current;
      // Whole batches (a dynamic-width feed's batches start at multiples of `batch`), smaller
      // towards the end, so the workers finish together instead of one waiting on the last chunk.
      const n =
        trial !== undefined
          ? Math.min(left, AUTO_CHUNK)
          : Math.min(left, size * CHUNK_BATCHES, size * Math.max(1, Math.ceil(left / inFlight / size)));
      const reply = predict(next, n, size);
      reply.catch(() => {}); // awaited in order below; settled here so an early failure is not "unhandled"
      pending.push({ batch: size, trial: trial !== undefined, reply });
      next += n;
    };
    while (pending.length < inFlight && next < reader.count) send();
    const reference = check?.reference();
    reference?.catch(() => {});
    while (pending.length > 0) {
      const job = pending.shift()!;
      const done = await job.reply;
      done.golden?.forEach((parts, k) => golden!.addParts(dataset.ids[predictions.length + k] ?? String(predictions.length + k), parts));
      for (const p of done.predictions) predictions.push(p);
      if (check && reference && predictions.length >= check.n) {
        const single = await reference;
        const differs = single.findIndex((p, i) => JSON.stringify(p) !== JSON.stringify(predictions[i]));
        if (differs >= 0) return { predictions, differs, batch: current, costs };
        check = undefined;
      }
      if (job.trial && done.engineMs.length > 0) {
        costs.set(job.batch, median(done.engineMs) / job.batch);
        current = [...costs].reduce((best, c) => (c[1] < best[1] ? c : best))[0];
      }
      send();
      const now = performance.now();
      if (now - lastGc >= GC_EVERY_MS) {
        plan.collectGarbage?.();
        lastGc = performance.now();
      }
      if (now - lastLine >= 10_000 && predictions.length < reader.count) {
        lastLine = now;
        const rate = predictions.length / ((now - started) / 1000);
        progress.info(
          `${modelName}: predictions ${predictions.length}/${reader.count}, ${rate.toFixed(0)}/s, about ${Math.ceil((reader.count - predictions.length) / rate)} s left`,
        );
      }
    }
    return { predictions, batch: current, costs, ...(golden ? { golden: golden.result() } : {}) };
  };

  try {
    const wanted = plan.execution.batch;
    // batch auto: tried where the set has room for every trial after the chunks sent before the
    // check is done (inFlight at batch 6), whatever the machine's speed; else PaddleOCR's 6.
    const room = inFlight * AUTO_BATCHES[0]! * CHUNK_BATCHES + AUTO_CHUNK * AUTO_BATCHES.length;
    const trials = wanted === 'auto' && !feed && fixed === undefined && reader.count >= room ? AUTO_BATCHES : [];
    let batch = feed?.batch ?? fixed ?? Math.min(wanted === 'auto' ? AUTO_BATCHES[0]! : wanted, reader.count);
    const notes: string[] = [];
    let result;
    if (feed) {
      notes.push(`accuracy pass: predict_rec.py's batches of ${feed.batch}, each at its own width, ${where}`);
      result = await runPass(batch);
    } else if (batch > 1 && fixed === undefined) {
      const n = Math.min(CHECK_SAMPLES, reader.count);
      result = await runPass(batch, { n, reference: () => inThread(0, n, 1) }, trials);
      if (result.differs !== undefined) {
        const sample = dataset.ids[result.differs] ?? result.differs;
        progress.warn(`${modelName}: batched predictions differ from batch-1 predictions (sample ${sample}): predictions run at batch 1`);
        notes.push(`accuracy pass: batch ${batch} changed sample ${sample}'s prediction; ran at batch 1`);
        batch = 1;
        result = await runPass(batch);
      } else {
        const tried = [...result.costs].map(([b, ms]) => `${b}: ${ms.toFixed(2)} ms`).join(', ');
        const what =
          trials.length > 0
            ? `batch auto → ${result.batch} (a line at ${tried})`
            : `batch ${batch}${wanted === 'auto' ? ' (auto: too few samples to compare batches)' : ''}`;
        notes.push(`accuracy pass: ${what}, ${where}; the first ${counted(n, 'prediction', 'predictions')} checked equal to batch 1`);
        batch = result.batch;
      }
    } else {
      notes.push(`accuracy pass: batch ${batch}${fixed ? ' (the model fixes it)' : ''}, ${where}`);
      result = await runPass(batch);
    }
    const seconds = (performance.now() - started) / 1000;
    progress.info(
      `${modelName}: predictions for ${counted(reader.count, 'sample', 'samples')} in ${seconds.toFixed(1)} s (batch ${batch}, ${how})`,
    );
    return { predictions: result.predictions, notes, batch, threads, ...(result.golden ? { golden: result.golden } : {}) };
  } finally {
    await pool.close();
    await reader.close();
  }
}

/** A worker's answer to one job: the raw predictions and, when kept, each sample's golden parts. */
interface Predicted {
  predictions: RawOutput[];
  golden?: GoldenPart[][];
  /** Milliseconds of each engine call of the job. */
  engineMs: number[];
}

/** The pass's worker threads: each job goes to the worker with the fewest in flight. */
class WorkerPool {
  private readonly waiting = new Map<number, { resolve: (r: Predicted) => void; reject: (e: Error) => void; worker: number }>();
  private readonly load: number[];
  private nextId = 0;
  private failed: Error | undefined;

  private constructor(
    private readonly plan: AccuracyPlan,
    private readonly workers: Worker[],
  ) {
    this.load = workers.map(() => 0);
  }

  static async open(plan: AccuracyPlan, count: number, perWorker: number, samples: number): Promise<WorkerPool> {
    const setup: WorkerSetup = {
      modelBytes: plan.modelBytes,
      options: plan.sessionOptions(perWorker),
      dataset: plan.dataset,
      task: plan.task,
      modelName: plan.modelName,
      ...(plan.goldenBytes ? { golden: { bytes: plan.goldenBytes, samples } } : {}),
    };
    const workers = Array.from({ length: count }, () => spawn(setup));
    const pool = new WorkerPool(plan, workers);
    try {
      await Promise.all(workers.map((w, i) => pool.listen(w, i)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Resolves once the worker's session is open; then routes its answers. */
  private listen(worker: Worker, index: number): Promise<void> {
    return new Promise((ready, fail) => {
      const lost = (error: Error) => {
        this.failed ??= error;
        fail(error);
        for (const [id, w] of this.waiting) {
          if (w.worker !== index) continue;
          this.waiting.delete(id);
          w.reject(error);
        }
      };
      worker.on('message', (reply: WorkerReply) => {
        if (reply.id === -1) {
          if ('error' in reply) {
            lost(
              new RunnerError(
                `models[${this.plan.modelName}]: the accuracy pass could not open the model on a worker thread: ${reply.error.message}`,
              ),
            );
          } else ready();
          return;
        }
        const w = this.waiting.get(reply.id);
        if (!w) return;
        this.waiting.delete(reply.id);
        this.load[index]!--;
        if ('predictions' in reply)
          w.resolve({
            predictions: reply.predictions.map(unpackOutput),
            engineMs: reply.engineMs,
            ...(reply.golden ? { golden: reply.golden } : {}),
          });
        else void this.errorOf(reply.error).then(w.reject);
      });
      worker.on('error', lost);
      worker.on('exit', (code) =>
        lost(new RunnerError(`models[${this.plan.modelName}]: an accuracy-pass worker thread exited (code ${code})`)),
      );
    });
  }

  private async errorOf(e: { name: string; message: string; sample?: string; size?: number }): Promise<Error> {
    if (e.name === 'EngineCallError') return this.plan.describeError(new Error(e.message), e.sample ?? '?', e.size ?? 0);
    return e.name === 'RunnerError' ? new RunnerError(e.message) : new Error(e.message);
  }

  predict(first: number, n: number, batch: number, pad: boolean): Promise<Predicted> {
    if (this.failed) return Promise.reject(this.failed);
    const index = this.load.indexOf(Math.min(...this.load));
    const id = this.nextId++;
    this.load[index]!++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker: index });
      this.workers[index]!.postMessage({ id, first, n, batch, pad } satisfies WorkerJob);
    });
  }

  async close(): Promise<void> {
    this.failed ??= new RunnerError(`models[${this.plan.modelName}]: the accuracy pass ended`);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function spawn(setup: WorkerSetup): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Running from source (tests, tsx scripts): the worker is TypeScript too.
    return new Worker(new URL('./accuracy-worker.ts', here), {
      workerData: setup,
      // tsx as this module resolves it: the process's working directory may be anywhere (a workflow's workspace).
      execArgv: ['--import', import.meta.resolve('tsx')],
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    });
  }
  // The bundles (dist/index.js, dist/cli.js) ship dist/accuracy-worker.js beside them.
  return new Worker(fileURLToPath(new URL('./accuracy-worker.js', here)), { workerData: setup });
}
