/**
 * A simulated conversion for drift tests: a copy of an ONNX model with float32 weights rounded to
 * float16 precision (what an fp16 export does to them). The protobuf is walked by hand
 * (ModelProto.graph = field 7; the weights are GraphProto.initializer = field 5, or the tensor
 * `t` = field 5 of an attribute = field 5 of a Constant node = GraphProto.node field 1, whose
 * first output = field 2 names it; TensorProto.data_type = 2, raw_data = 9) and the raw bytes are
 * rewritten in place: the same length, so nothing else in the file moves.
 */
import { readFile, writeFile } from 'node:fs/promises';

interface Field {
  field: number;
  wire: number;
  /** Start and end of the value (for length-delimited fields: of the payload). */
  start: number;
  end: number;
  varint?: number;
}

function varint(buf: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = buf[at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, at];
    scale *= 128;
  }
}

function fields(buf: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let at = start;
  while (at < end) {
    const [key, next] = varint(buf, at);
    at = next;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const [v, after] = varint(buf, at);
      out.push({ field, wire, start: at, end: after, varint: v });
      at = after;
    } else if (wire === 1) {
      out.push({ field, wire, start: at, end: at + 8 });
      at += 8;
    } else if (wire === 2) {
      const [len, after] = varint(buf, at);
      out.push({ field, wire, start: after, end: after + len });
      at = after + len;
    } else if (wire === 5) {
      out.push({ field, wire, start: at, end: at + 4 });
      at += 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire} at byte ${at}`);
    }
  }
  return out;
}

/** float32 → the nearest float16 value (round to nearest even), back as float32. */
export function toHalfPrecision(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const exp = Math.floor(Math.log2(Math.abs(x)));
  // float16: 10 fraction bits; subnormals below 2^-14 keep a fixed step of 2^-24.
  const step = 2 ** (Math.max(exp, -14) - 10);
  const q = x / step;
  const r = Math.round(q);
  const even = Math.abs(q % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return Math.fround(even * step);
}

/**
 * Writes `to`: `from` with every value of the float32 initializers whose name `pick` accepts
 * rounded to float16 precision. Returns the names and how many values changed.
 */
export async function roundWeightsToFp16(
  from: string,
  to: string,
  pick: (name: string) => boolean,
): Promise<{ names: string[]; changed: number }> {
  const buf = new Uint8Array(await readFile(from));
  const graph = fields(buf, 0, buf.length).find((f) => f.field === 7 && f.wire === 2);
  if (!graph) throw new Error(`${from}: no graph`);
  const names: string[] = [];
  let changed = 0;
  const text = (f: Field) => Buffer.from(buf.subarray(f.start, f.end)).toString('utf8');
  const tensors: Array<{ name: string; tensor: Field }> = [];
  for (const f of fields(buf, graph.start, graph.end)) {
    if (f.wire !== 2) continue;
    if (f.field === 5) {
      const nameField = fields(buf, f.start, f.end).find((p) => p.field === 8);
      tensors.push({ name: nameField ? text(nameField) : '', tensor: f });
    } else if (f.field === 1) {
      const node = fields(buf, f.start, f.end);
      const op = node.find((p) => p.field === 4);
      const output = node.find((p) => p.field === 2);
      if (!op || text(op) !== 'Constant' || !output) continue;
      for (const attr of node.filter((p) => p.field === 5)) {
        const t = fields(buf, attr.start, attr.end).find((p) => p.field === 5 && p.wire === 2);
        if (t) tensors.push({ name: text(output), tensor: t });
      }
    }
  }
  for (const { name, tensor } of tensors) {
    const parts = fields(buf, tensor.start, tensor.end);
    const type = parts.find((p) => p.field === 2)?.varint;
    const raw = parts.find((p) => p.field === 9);
    if (type !== 1 || !raw) continue; // float32 with raw_data only
    if (!pick(name)) continue;
    const view = new DataView(buf.buffer, buf.byteOffset + raw.start, raw.end - raw.start);
    for (let i = 0; i + 4 <= view.byteLength; i += 4) {
      const v = view.getFloat32(i, true);
      const h = toHalfPrecision(v);
      if (h !== v) {
        view.setFloat32(i, h, true);
        changed++;
      }
    }
    names.push(name);
  }
  await writeFile(to, buf);
  return { names, changed };
}
