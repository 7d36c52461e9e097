/**
 * Decoding and preprocessing images into compact pixels, in order, on several worker threads
 * for a large set (decoding and resizing are CPU-bound: one core does about 650 lines a second).
 * Small sets stay in-process, where a worker's start-up would cost more than it saves.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DataError } from '../errors.js';
import type { Preprocess } from '../types.js';
import { decodeImage } from './image.js';
import { readImage } from './prepare.js';
import { preprocessPixels, type Pixels } from './preprocess.js';

export interface ImageJob {
  file: string;
  /** `labels.txt:12`, for error messages. */
  where: string;
  line: number;
  labelsFile: string;
}

/** Sets at least this large are prepared on worker threads (when the machine has more than one core). */
const PARALLEL_FROM = 1000;
const CHUNK = 32;

export async function pixelsOf(job: ImageJob, p: Preprocess): Promise<Pixels> {
  const bytes = await readImage(job.file, job.labelsFile, job.line);
  return preprocessPixels(decodeImage(bytes, `${job.where}: ${job.file}`), p);
}

/**
 * The pixels of every job, in the jobs' order. `threads`: worker threads to use (default: one
 * per core for sets of PARALLEL_FROM images or more, none below); 0 = in this thread.
 */
export async function* preparePixels(jobs: ImageJob[], p: Preprocess, opts: { threads?: number } = {}): AsyncGenerator<Pixels> {
  const threads = opts.threads ?? (jobs.length >= PARALLEL_FROM ? Math.min(availableParallelism(), 8) : 0);
  if (threads === 0 || (threads === 1 && opts.threads === undefined)) {
    for (const job of jobs) yield await pixelsOf(job, p);
    return;
  }
  yield* pooled(jobs, p, threads);
}

interface Reply {
  id: number;
  pixels?: Pixels[];
  error?: { name: string; message: string };
}

async function* pooled(jobs: ImageJob[], p: Preprocess, threads: number): AsyncGenerator<Pixels> {
  const chunks: ImageJob[][] = [];
  for (let i = 0; i < jobs.length; i += CHUNK) chunks.push(jobs.slice(i, i + CHUNK));
  const workers = Array.from({ length: Math.min(threads, chunks.length) }, () => spawn());
  const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  const results = new Map<number, Promise<Reply>>();
  for (const w of workers) {
    w.on('message', (r: Reply) => {
      pending.get(r.id)?.resolve(r);
      pending.delete(r.id);
    });
    w.on('error', (e) => {
      for (const q of pending.values()) q.reject(e);
      pending.clear();
    });
  }
  let next = 0;
  const send = () => {
    if (next >= chunks.length) return;
    const id = next++;
    results.set(
      id,
      new Promise<Reply>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        workers[id % workers.length]!.postMessage({ id, jobs: chunks[id], preprocess: p });
      }),
    );
  };
  // Two chunks in flight per worker: enough to keep each busy, few enough that memory stays flat.
  for (let i = 0; i < workers.length * 2; i++) send();
  try {
    for (let id = 0; id < chunks.length; id++) {
      const reply = await results.get(id)!;
      results.delete(id);
      send();
      if (reply.error) {
        throw reply.error.name === 'DataError' ? new DataError(reply.error.message) : new Error(reply.error.message);
      }
      for (const px of reply.pixels!) yield px;
    }
  } finally {
    // Settle what is still in flight so no rejection goes unhandled, then stop the threads.
    for (const r of results.values()) r.catch(() => {});
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function spawn(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Running from source (tests, tsx scripts): the worker is TypeScript too.
    return new Worker(new URL('./prepare-worker.ts', here), {
      // tsx as this module resolves it: the process's working directory may be anywhere (a workflow's workspace).
      execArgv: ['--import', import.meta.resolve('tsx')],
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    });
  }
  // The bundles (dist/index.js, dist/cli.js) ship dist/prepare-worker.js beside them.
  return new Worker(fileURLToPath(new URL('./prepare-worker.js', here)));
}
