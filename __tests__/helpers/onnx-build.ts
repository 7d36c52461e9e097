/**
 * A small ONNX model written from scratch (protobuf by hand, as helpers/onnx-edit.ts reads it):
 * for tests that need a model behaving a particular way — say, one whose output for a sample
 * depends on the other samples of its batch. Field numbers are onnx.proto3's.
 */
import { writeFile } from 'node:fs/promises';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}
const key = (field: number, wire: number) => varint(field * 8 + wire);
const num = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bytes = (field: number, payload: number[] | Uint8Array) => [...key(field, 2), ...varint(payload.length), ...payload];
const text = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer-list attributes (e.g. ReduceMean's axes) and integer ones (keepdims). */
  ints?: Record<string, number[]>;
  int?: Record<string, number>;
}

/** A float32 tensor's ValueInfo: numbers are fixed dimensions, strings symbolic ones. */
function valueInfo(name: string, dims: Array<number | string>): number[] {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? num(1, d) : text(2, d)));
  return [...text(1, name), ...bytes(2, bytes(1, [...num(1, 1), ...bytes(2, shape)]))];
}

function node(n: OnnxNode, index: number): number[] {
  const attrs = [
    ...Object.entries(n.ints ?? {}).map(([name, values]) =>
      bytes(5, [...text(1, name), ...values.flatMap((v) => num(8, v)), ...num(20, 7)]),
    ),
    ...Object.entries(n.int ?? {}).map(([name, value]) => bytes(5, [...text(1, name), ...num(3, value), ...num(20, 2)])),
  ].flat();
  return [
    ...n.inputs.flatMap((i) => text(1, i)),
    ...n.outputs.flatMap((o) => text(2, o)),
    ...text(3, `n${index}`),
    ...text(4, n.op),
    ...attrs,
  ];
}

/** Writes an opset-13 model with one float32 input and one float32 output. */
export async function writeOnnxModel(
  file: string,
  graph: { input: [string, Array<number | string>]; output: [string, Array<number | string>]; nodes: OnnxNode[] },
): Promise<void> {
  const g = [
    ...graph.nodes.flatMap((n, i) => bytes(1, node(n, i))),
    ...text(2, 'test'),
    ...bytes(11, valueInfo(...graph.input)),
    ...bytes(12, valueInfo(...graph.output)),
  ];
  const model = [...num(1, 7), ...bytes(8, [...text(1, ''), ...num(2, 13)]), ...bytes(7, g)];
  await writeFile(file, new Uint8Array(model));
}
