/**
 * A model that really costs more and predicts exactly the same: the given ONNX model with `convs`
 * extra 3×3 convolutions on its image input whose kernel is the identity (centre tap 1 on its own
 * channel, every other weight 0, padding 1). Each output value is x·1 plus products with 0, so the
 * network sees bit-identical inputs and its outputs are unchanged, while every inference does the
 * convolutions' real work (ONNX Runtime has no rule that removes or fuses them). Used by the tests
 * and `npm run bench` for "a real slower model" (issue 9); not part of the action.
 *
 * The ONNX file is edited at the protobuf wire level (no onnx package needed): ModelProto.graph (7)
 * → GraphProto.node (1) / initializer (5) / input (11); NodeProto.input (1); TensorProto and
 * AttributeProto written from their field numbers in onnx.proto.
 *
 *   tsx scripts/slow-model.ts IN.onnx OUT.onnx CONVS
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface Field {
  no: number;
  wire: number;
  /** The value's bytes (without the key; length-delimited: without the length). */
  data: Uint8Array;
}

function readVarint(b: Uint8Array, at: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const byte = b[at++];
    if (byte === undefined) throw new Error('truncated varint');
    v |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [v, at];
    shift += 7n;
  }
}

function varint(v: bigint | number): Uint8Array {
  let x = BigInt(v);
  if (x < 0n) x = (1n << 64n) + x;
  const out: number[] = [];
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) byte |= 0x80;
    out.push(byte);
  } while (x > 0n);
  return Uint8Array.from(out);
}

function parse(b: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  while (at < b.length) {
    const [key, next] = readVarint(b, at);
    at = next;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    let end: number;
    let start = at;
    if (wire === 0) end = readVarint(b, at)[1];
    else if (wire === 1) end = at + 8;
    else if (wire === 5) end = at + 4;
    else if (wire === 2) {
      const [len, s] = readVarint(b, at);
      start = s;
      end = s + Number(len);
    } else throw new Error(`unsupported wire type ${wire}`);
    fields.push({ no, wire, data: b.subarray(start, end) });
    at = end;
  }
  return fields;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function encode(fields: Field[]): Uint8Array {
  return concat(fields.flatMap((f) => [varint((f.no << 3) | f.wire), ...(f.wire === 2 ? [varint(f.data.length)] : []), f.data]));
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (no: number, s: string): Field => ({ no, wire: 2, data: text(s) });
const msg = (no: number, fields: Field[]): Field => ({ no, wire: 2, data: encode(fields) });
const int = (no: number, v: number): Field => ({ no, wire: 0, data: varint(v) });
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** The model with `convs` identity 3×3 convolutions in front of its first (image) input. */
export function slowModel(model: Uint8Array, convs: number, channels = 3): Uint8Array {
  if (!Number.isInteger(convs) || convs < 0) throw new RangeError(`convs must be a non-negative integer, got ${convs}`);
  const top = parse(model);
  const gi = top.findIndex((f) => f.no === 7 && f.wire === 2);
  if (gi < 0) throw new Error('not an ONNX model: no graph');
  const graph = parse(top[gi]!.data);
  const initNames = new Set(
    graph.filter((f) => f.no === 5).map((f) => decode(parse(f.data).find((x) => x.no === 8)?.data ?? new Uint8Array())),
  );
  const input = graph
    .filter((f) => f.no === 11)
    .map((f) => decode(parse(f.data).find((x) => x.no === 1)?.data ?? new Uint8Array()))
    .find((n) => !initNames.has(n));
  if (!input) throw new Error('the graph has no input');
  if (convs === 0) return model;

  const weight = 'ppg_slow_identity_3x3';
  const values = new Float32Array(channels * channels * 9);
  for (let c = 0; c < channels; c++) values[(c * channels + c) * 9 + 4] = 1;
  const tensor = [
    ...[channels, channels, 3, 3].map((d) => int(1, d)),
    int(2, 1), // FLOAT
    str(8, weight),
    { no: 9, wire: 2, data: new Uint8Array(values.buffer) },
  ];
  const nodes: Field[] = [];
  let prev = input;
  for (let i = 0; i < convs; i++) {
    const out = `ppg_slow_${i}`;
    nodes.push(
      msg(1, [
        str(1, prev),
        str(1, weight),
        str(2, out),
        str(3, `ppg_slow_conv_${i}`),
        str(4, 'Conv'),
        msg(5, [str(1, 'pads'), ...[1, 1, 1, 1].map((p) => int(8, p)), int(20, 7 /* INTS */)]),
        msg(5, [str(1, 'kernel_shape'), int(8, 3), int(8, 3), int(20, 7)]),
      ]),
    );
    prev = out;
  }
  // Every consumer of the input now reads the last convolution's output.
  const rewired = graph.map((f) => {
    if (f.no !== 1) return f;
    const node = parse(f.data);
    if (!node.some((x) => x.no === 1 && decode(x.data) === input)) return f;
    return msg(
      1,
      node.map((x) => (x.no === 1 && decode(x.data) === input ? str(1, prev) : x)),
    );
  });
  const firstNode = rewired.findIndex((f) => f.no === 1);
  const at = firstNode < 0 ? rewired.length : firstNode;
  const newGraph = [...rewired.slice(0, at), ...nodes, ...rewired.slice(at), msg(5, tensor)];
  const out = [...top];
  out[gi] = msg(7, newGraph);
  return encode(out);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [inPath, outPath, n] = process.argv.slice(2);
  if (!inPath || !outPath || n === undefined) {
    console.error('usage: tsx scripts/slow-model.ts IN.onnx OUT.onnx CONVS');
    process.exit(2);
  }
  await writeFile(outPath, slowModel(await readFile(inPath), Number(n)));
}
