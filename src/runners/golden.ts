/**
 * Golden outputs (types.ts `GoldenOutputs`): what a run keeps of its raw output values so that the
 * next run can be compared with it value by value (compare/drift.ts). The Python harness keeps
 * them by the same rule (harness/bench.py `Golden`):
 * - a byte budget (gate.yml measure.golden-bytes) split evenly over samples and output tensors:
 *   perSample = max(1, floor(bytes / 4 / (samples · outputs))) float32 values per sample and output;
 * - of a sample's `size` values, `kept = min(size, perSample)` are kept, those at floor(j · size / kept);
 * - per sample and output a summary of all its values: [elements, mean, rms, min, max], 9 significant digits;
 * - the kept values, float32 little-endian, raw-deflated, base64.
 */
import { deflateRawSync } from 'node:zlib';
import type { GoldenOutputs } from '../types.js';

type Summary = GoldenOutputs['outputs'][number]['summary'][number];

function sig9(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(9)) : x;
}

/** One sample's share of one output tensor: the summary of all its values and the values kept. */
export interface GoldenPart {
  name: string;
  summary: Summary;
  kept: Float32Array;
}

/** Values kept per sample and output: the byte budget split evenly (perSample above). */
export function goldenPerSample(bytes: number, samples: number, outputs: number): number {
  return Math.max(1, Math.floor(bytes / 4 / (Math.max(1, samples) * Math.max(1, outputs))));
}

/** A sample's part of one output: computed where the output is (a worker thread of the accuracy pass). */
export function goldenPart(name: string, values: ArrayLike<number>, perSample: number): GoldenPart {
  const size = values.length;
  let sum = 0;
  let squares = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < size; i++) {
    const v = values[i]!;
    sum += v;
    squares += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const summary: Summary = size === 0 ? [0, 0, 0, 0, 0] : [size, sig9(sum / size), sig9(Math.sqrt(squares / size)), sig9(min), sig9(max)];
  const n = Math.min(size, perSample);
  const kept = new Float32Array(n);
  for (let j = 0; j < n; j++) kept[j] = values[Math.floor((j * size) / n)]!;
  return { name, summary, kept };
}

export class GoldenCollector {
  private readonly ids: string[] = [];
  private readonly outputs = new Map<string, { summary: Summary[]; kept: number[]; chunks: Float32Array[] }>();

  /** `bytes`: the budget; `samples`: how many samples will be added. */
  constructor(
    private readonly bytes: number,
    private readonly samples: number,
  ) {}

  /** One sample's outputs, by output name, in the model's output order. */
  add(id: string, outputs: ReadonlyArray<{ name: string; values: ArrayLike<number> }>): void {
    const perSample = goldenPerSample(this.bytes, this.samples, outputs.length);
    this.addParts(
      id,
      outputs.map((o) => goldenPart(o.name, o.values, perSample)),
    );
  }

  /** One sample's parts, in the model's output order (goldenPart of each float output, made where the outputs are). */
  addParts(id: string, parts: readonly GoldenPart[]): void {
    this.ids.push(id);
    for (const { name, summary, kept } of parts) {
      let entry = this.outputs.get(name);
      if (!entry) {
        entry = { summary: [], kept: [], chunks: [] };
        this.outputs.set(name, entry);
      }
      entry.summary.push(summary);
      entry.kept.push(kept.length);
      entry.chunks.push(kept);
    }
  }

  result(): GoldenOutputs {
    return {
      ids: this.ids,
      outputs: [...this.outputs].map(([name, e]) => {
        const all = new Float32Array(e.kept.reduce((a, b) => a + b, 0));
        let at = 0;
        for (const c of e.chunks) {
          all.set(c, at);
          at += c.length;
        }
        const values = deflateRawSync(new Uint8Array(all.buffer, 0, all.byteLength), { level: 9 }).toString('base64');
        return { name, summary: e.summary, kept: e.kept, values };
      }),
    };
  }
}
