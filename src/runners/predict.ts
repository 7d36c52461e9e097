/**
 * The accuracy pass's batch loop: raw predictions of a range of samples, read from the prepared
 * set and fed `batch` at a time. One loop for the in-process session (the batch-1 reference of
 * the check) and for the worker threads of the pass (accuracy-worker.ts).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { narrowSamples, type SampleReader } from '../dataset/samples.js';
import { RunnerError } from '../errors.js';
import type { RawOutput, Task } from '../types.js';
import { goldenPart, goldenPerSample, type GoldenPart } from './golden.js';
import { firstNonFinite, rawOutput } from './outputs.js';

type Ort = typeof import('onnxruntime-node');

export interface BatchLoop {
  ort: Ort;
  session: InferenceSession;
  reader: SampleReader;
  task: Task;
  modelName: string;
  /** Sample ids, for messages. */
  ids: readonly string[];
  /**
   * predict_rec.py's dynamic width (dataset encoding.feed): the samples come in its batches, each
   * fed at its batch's width (the prepared rows are padded to the widest; the rest is cut off).
   */
  feed?: { batch: number; widths: readonly number[] };
  /** Golden outputs are kept (drift checks): the byte budget and the samples of the whole set. */
  golden?: { bytes: number; samples: number };
  /**
   * Output tensors by batch size, reused as the next call's pre-allocated output: a worker's
   * memory then holds one output per size instead of a fresh buffer (6.4 MB for 6 PP-OCRv4 lines)
   * per call that V8 frees when it gets round to it. Keyed by batch size and width, the
   * REUSED_OUTPUTS most recently used only: a dynamic-width set has a width per batch (the
   * shipped 360 lines: 20 sizes × widths, 6.4–11 MB each), and batches come sorted by width, so
   * an older width does not come back. Absent (or golden outputs of a model with several outputs
   * wanted): every call allocates its own.
   */
  outputs?: Map<string, Tensor>;
  /**
   * The input chunk's buffer, reused by the next range (a worker reads 8.8 MB of float32 for 48
   * PP-OCRv4 lines a job): with it and `outputs`, a worker's loop leaves no large buffer for the
   * collector. Absent: every range reads into a new array.
   */
  input?: { buffer?: Float32Array };
}

/** Output tensors kept for reuse per loop (BatchLoop.outputs): the size × width in use, and the last batch's. */
const REUSED_OUTPUTS = 2;

/** An engine call that failed: the engine's own error, and the sample and batch it was fed. */
export class EngineCallError extends Error {
  constructor(
    readonly error: unknown,
    readonly sample: string,
    readonly size: number,
  ) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'EngineCallError';
  }
}

/**
 * Raw predictions of samples first … first + n − 1, fed `batch` at a time (`padLast`: the last
 * batch filled by repeats, for a model whose export fixes the batch), and with loop.golden each
 * sample's golden parts (one per float output, in the model's output order).
 */
export async function predictRange(
  loop: BatchLoop,
  first: number,
  n: number,
  batch: number,
  padLast = false,
  beforeCall?: () => void,
): Promise<{ predictions: RawOutput[]; golden: GoldenPart[][]; engineMs: number[] }> {
  const { ort, session, reader, task, ids, feed } = loop;
  const per = reader.sampleSize;
  const held = loop.input;
  if (held && (held.buffer?.length ?? 0) < n * per) held.buffer = new Float32Array(n * per);
  const data = await reader.read(first, n, held?.buffer);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const out: RawOutput[] = [];
  const golden: GoldenPart[][] = [];
  // Milliseconds of each engine call (batch auto compares batches by them).
  const engineMs: number[] = [];
  // With golden outputs every output is fetched; a pre-allocated output names only the first.
  const reusable = loop.outputs && !(loop.golden && session.outputNames.length > 1) ? loop.outputs : undefined;
  let perSample: number | undefined;
  for (let start = 0; start < n; start += batch) {
    const real = Math.min(batch, n - start);
    const size = padLast ? batch : real;
    let values = data.subarray(start * per, (start + real) * per);
    const width = feed?.widths[first + start] ?? reader.sampleShape[2]!;
    if (feed) values = narrowSamples(values, real, reader.sampleShape, width);
    if (size > real) {
      const one = values.length / real;
      const padded = new Float32Array(size * one);
      padded.set(values);
      for (let k = real; k < size; k++) padded.copyWithin(k * one, (real - 1) * one, real * one);
      values = padded;
    }
    beforeCall?.();
    const dims = feed ? [size, reader.sampleShape[0]!, reader.sampleShape[1]!, width] : [size, ...reader.sampleShape];
    const feeds = { [inputName]: new ort.Tensor('float32', values, dims) };
    const key = `${size}x${width}`;
    const reuse = reusable?.get(key);
    let results: Record<string, Tensor>;
    const called = performance.now();
    try {
      results = reuse ? await session.run(feeds, { [outputName]: reuse }) : await session.run(feeds);
      engineMs.push(performance.now() - called);
    } catch (error) {
      throw new EngineCallError(error, ids[first + start] ?? String(first + start), size);
    }
    const result = results[outputName]!;
    if (reusable) {
      // Most recently used last; the least recently used one goes when there are too many.
      reusable.delete(key);
      reusable.set(key, result);
      if (reusable.size > REUSED_OUTPUTS) reusable.delete(reusable.keys().next().value!);
    }
    const all = result.data as Float32Array;
    const each = all.length / size;
    for (let k = 0; k < real; k++) {
      const v = all.subarray(k * each, (k + 1) * each);
      const bad = firstNonFinite(v);
      if (bad >= 0) {
        throw new RunnerError(
          `models[${loop.modelName}]: output ${outputName} of sample ${ids[first + start + k] ?? first + start + k} holds ${v[bad]} at index ${bad}: expected finite numbers (check the inputs and the preprocessing)`,
        );
      }
      out.push(rawOutput(task, v, result.dims.slice(1)));
      if (loop.golden) {
        // Float outputs only: an index or count output (int64) has no drift to measure.
        const floats = session.outputNames.filter((name) => results[name]!.type === 'float32');
        perSample ??= goldenPerSample(loop.golden.bytes, loop.golden.samples, floats.length);
        golden.push(
          floats.map((name) => {
            const t = results[name]!;
            const each = t.data.length / size;
            return goldenPart(name, (t.data as Float32Array).subarray(k * each, (k + 1) * each), perSample!);
          }),
        );
      }
    }
  }
  return { predictions: out, golden, engineMs };
}

/**
 * A raw prediction as it crosses from a worker thread: its numbers in typed arrays. A structured
 * clone of plain number arrays arrives as boxed values, several times the size (measured: the
 * gate's memory grew by about 5 KB a line through a 50,000-line pass without this).
 */
export type PackedOutput =
  | { kind: 'ctc'; ids: Int32Array; probs: Float64Array }
  | { kind: 'topk'; ids: Int32Array; scores: Float64Array }
  | { kind: 'digest'; sha256: string };

export function packOutput(p: RawOutput): PackedOutput {
  if (p.kind === 'ctc') return { kind: 'ctc', ids: Int32Array.from(p.ids), probs: Float64Array.from(p.probs) };
  if (p.kind === 'topk') return { kind: 'topk', ids: Int32Array.from(p.ids), scores: Float64Array.from(p.scores) };
  return p;
}

/** Back to plain arrays (small integers and unboxed doubles, as rawOutput builds them). */
export function unpackOutput(p: PackedOutput): RawOutput {
  if (p.kind === 'ctc') return { kind: 'ctc', ids: Array.from(p.ids), probs: Array.from(p.probs) };
  if (p.kind === 'topk') return { kind: 'topk', ids: Array.from(p.ids), scores: Array.from(p.scores) };
  return p;
}
