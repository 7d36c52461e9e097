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

export class GoldenCollector {
  private readonly ids: string[] = [];
  private readonly outputs = new Map<string, { summary: Summary[]; kept: number[]; chunks: Float32Array[] }>();
  private perSample = 0;

  /** `bytes`: the budget; `samples`: how many samples will be added. */
  constructor(
    private readonly bytes: number,
    private readonly samples: number,
  ) {}

  /** One sample's outputs, by output name, in the model's output order. */
  add(id: string, outputs: ReadonlyArray<{ name: string; values: ArrayLike<number> }>): void {
    if (this.perSample === 0)
      this.perSample = Math.max(1, Math.floor(this.bytes / 4 / (Math.max(1, this.samples) * Math.max(1, outputs.length))));
    this.ids.push(id);
    for (const { name, values } of outputs) {
      let entry = this.outputs.get(name);
      if (!entry) {
        entry = { summary: [], kept: [], chunks: [] };
        this.outputs.set(name, entry);
      }
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
      entry.summary.push(size === 0 ? [0, 0, 0, 0, 0] : [size, sig9(sum / size), sig9(Math.sqrt(squares / size)), sig9(min), sig9(max)]);
      const kept = Math.min(size, this.perSample);
      const chunk = new Float32Array(kept);
      for (let j = 0; j < kept; j++) chunk[j] = values[Math.floor((j * size) / kept)]!;
      entry.kept.push(kept);
      entry.chunks.push(chunk);
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
