/**
 * A worker thread of the accuracy pass (runners/accuracy.ts): its own session of the model, reads
 * the samples it is asked for from the prepared set itself, and answers with their raw
 * predictions (a few hundred bytes a sample), so no tensor crosses between threads. Its input
 * chunk and output tensors are reused from job to job (predict.ts BatchLoop), so a job leaves no
 * large buffer behind and the worker needs no forced collection (a full GC after each job cost
 * about 5 % of the pass).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { feedOf, type PreparedDataset } from '../dataset/prepared.js';
import { openSamples } from '../dataset/samples.js';
import type { Task } from '../types.js';
import type { WorkerJob, WorkerReply } from './accuracy.js';
import { EngineCallError, packOutput, predictRange, type BatchLoop } from './predict.js';

export interface WorkerSetup {
  modelBytes: Uint8Array;
  options: InferenceSession.SessionOptions;
  dataset: PreparedDataset;
  task: Task;
  modelName: string;
  /** Keep golden outputs: the byte budget and the samples of the whole set (absent: none). */
  golden?: { bytes: number; samples: number };
}

function failure(id: number, error: unknown): WorkerReply {
  if (error instanceof EngineCallError)
    return { id, error: { name: error.name, message: error.message, sample: error.sample, size: error.size } };
  const e = error instanceof Error ? error : new Error(String(error));
  return { id, error: { name: e.name, message: e.message } };
}

async function start(setup: WorkerSetup): Promise<BatchLoop> {
  process.env['ORT_DISABLE_TELEMETRY'] ??= '1';
  const ort = await import('onnxruntime-node');
  ort.env.logLevel = 'fatal';
  const session = await ort.InferenceSession.create(setup.modelBytes, setup.options);
  const reader = await openSamples(setup.dataset);
  const feed = feedOf(setup.dataset);
  return {
    ort,
    session,
    reader,
    task: setup.task,
    modelName: setup.modelName,
    ids: setup.dataset.ids,
    outputs: new Map<string, Tensor>(),
    input: {},
    ...(feed ? { feed } : {}),
    ...(setup.golden ? { golden: setup.golden } : {}),
  };
}

const port = parentPort;
if (port) {
  const ready = start(workerData as WorkerSetup);
  ready.then(
    () => port.postMessage({ id: -1, predictions: [], engineMs: [] } satisfies WorkerReply),
    (error: unknown) => port.postMessage(failure(-1, error)),
  );
  // One job at a time, in the order they come: a job awaits its read and each engine call, and
  // jobs started as they arrived interleaved there — two of them would share the reused input
  // chunk and output tensors (predict.ts BatchLoop), and a job's chunk could be overwritten by the
  // next one's read before its engine call.
  let queue: Promise<unknown> = ready.catch(() => {});
  port.on('message', (job: WorkerJob | 'close') => {
    queue = queue.then(() => handle(job));
  });
  const handle = async (job: WorkerJob | 'close'): Promise<void> => {
    let loop: BatchLoop;
    try {
      loop = await ready;
    } catch {
      return; // start() failed: already answered with its error.
    }
    if (job === 'close') {
      await loop.reader.close();
      await loop.session.release();
      port.close();
      return;
    }
    try {
      const { predictions, golden, engineMs } = await predictRange(loop, job.first, job.n, job.batch, job.pad);
      port.postMessage({
        id: job.id,
        predictions: predictions.map(packOutput),
        engineMs,
        ...(loop.golden ? { golden } : {}),
      } satisfies WorkerReply);
    } catch (error) {
      port.postMessage(failure(job.id, error));
    }
  };
}
