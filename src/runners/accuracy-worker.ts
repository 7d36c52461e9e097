/**
 * A worker thread of the accuracy pass (runners/accuracy.ts): its own session of the model, reads
 * the samples it is asked for from the prepared set itself, and answers with their raw
 * predictions (a few hundred bytes a sample), so no tensor crosses between threads.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

/**
 * A full garbage collection of this thread's heap after each job: the chunk it read (8.8 MB of
 * float32 for 48 PP-OCRv4 lines) is an outside buffer V8 frees only when it gets round to it, and
 * with several workers those leftovers add up (measured: the gate on 1,000 lines peaked 150 MB
 * higher without it). undefined where V8 refuses.
 */
const collectGarbage: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

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
    ...(feed ? { feed } : {}),
    ...(setup.golden ? { golden: setup.golden } : {}),
  };
}

const port = parentPort;
if (port) {
  const ready = start(workerData as WorkerSetup);
  ready.then(
    () => port.postMessage({ id: -1, predictions: [] } satisfies WorkerReply),
    (error: unknown) => port.postMessage(failure(-1, error)),
  );
  port.on('message', (job: WorkerJob | 'close') => {
    void (async () => {
      const loop = await ready;
      if (job === 'close') {
        await loop.reader.close();
        await loop.session.release();
        port.close();
        return;
      }
      try {
        const { predictions, golden } = await predictRange(loop, job.first, job.n, job.batch, job.pad);
        collectGarbage?.();
        port.postMessage({
          id: job.id,
          predictions: predictions.map(packOutput),
          ...(loop.golden ? { golden } : {}),
        } satisfies WorkerReply);
      } catch (error) {
        port.postMessage(failure(job.id, error));
      }
    })().catch(() => {
      // start() failed: already answered with its error.
    });
  });
}
