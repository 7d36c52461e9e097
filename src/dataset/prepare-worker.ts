/** A worker thread of dataset/workers.ts: images in, compact pixels out (buffers transferred, not copied). */
import { parentPort } from 'node:worker_threads';
import type { Preprocess } from '../types.js';
import { pixelsOf, type ImageJob } from './workers.js';

parentPort?.on('message', (msg: { id: number; jobs: ImageJob[]; preprocess: Preprocess }) => {
  void (async () => {
    try {
      const pixels = [];
      for (const job of msg.jobs) pixels.push(await pixelsOf(job, msg.preprocess));
      parentPort!.postMessage(
        { id: msg.id, pixels },
        pixels.map((px) => px.data.buffer as ArrayBuffer),
      );
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      parentPort!.postMessage({ id: msg.id, error: { name: e.name, message: e.message } });
    }
  })();
});
