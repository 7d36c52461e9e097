/**
 * The one model-file resolver. From a model path (file or directory) to the model file and its
 * format, the way PaddleX picks a model in a directory: inference.json (Paddle 3 PIR) before
 * .pdmodel; a Paddle model needs its .pdiparams beside it. A directory that holds both
 * inference.json and a .pdmodel (PaddleX's own model directories do) keeps the .pdmodel as the
 * `alternative`: only the harness knows the Paddle it runs on, and it loads the .json on Paddle 3
 * and the .pdmodel on 2.x, saying which in a note (bench.py PaddleEngine._program). A directory
 * that holds an ONNX and a Paddle model is ambiguous. config/ resolves gate.yml's paths with it (so a plan's model path is
 * a file); the docker and local runners split that file into what the harness loads, checked again
 * because the files may have changed since the config was read.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { DataError } from './errors.js';
import type { ModelFormat, ModelPlan } from './types.js';

const FORMAT_OF_EXTENSION: Readonly<Record<string, ModelFormat>> = {
  '.onnx': 'onnx',
  '.pdmodel': 'paddle-pdmodel',
  '.json': 'paddle-pir',
};

const EXPECTED = 'a .onnx file, a .pdmodel or inference.json (with its .pdiparams), or a directory holding one';

function kindOf(path: string): 'file' | 'dir' | undefined {
  try {
    const stats = statSync(path);
    return stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** The weights file a Paddle model file needs beside it. */
function paramsOf(file: string): string {
  return file.slice(0, file.length - extname(file).length) + '.pdiparams';
}

function formatOfFile(file: string): ModelFormat | undefined {
  return FORMAT_OF_EXTENSION[extname(file).toLowerCase()];
}

/** A resolved model: its file and format, and for a directory with both Paddle formats the .pdmodel. */
export interface ResolvedModel {
  file: string;
  format: ModelFormat;
  /** The directory's .pdmodel when `file` is its inference.json and no format was set: Paddle 2.x loads this one. */
  alternative?: string;
}

/** The model file and its format, or why the path does not name one. */
export function resolveModel(path: string, format?: ModelFormat): ResolvedModel | string {
  const kind = kindOf(path);
  if (kind === undefined) return `file or directory not found: ${path}`;

  if (kind === 'file') {
    const inferred = formatOfFile(path);
    if (!inferred) return `expected ${EXPECTED}, got ${path}`;
    if (format && format !== inferred) return `format ${format} does not match ${path}, which is a ${inferred} model`;
    if (inferred !== 'onnx' && kindOf(paramsOf(path)) !== 'file') {
      return `the weights ${paramsOf(path)} are missing beside ${path}`;
    }
    return { file: path, format: inferred };
  }

  const entries = readdirSync(path).sort();
  const byFormat = (wanted: ModelFormat): string[] =>
    entries
      .filter((name) => formatOfFile(name) === wanted && kindOf(join(path, name)) === 'file')
      // Only Paddle files with weights beside them count: a directory also holds config .json files.
      .filter((name) => wanted === 'onnx' || kindOf(paramsOf(join(path, name))) === 'file');
  const pir = byFormat('paddle-pir');
  const paddle: Array<[ModelFormat, string[]]> = [
    ['paddle-pir', pir.includes('inference.json') ? ['inference.json'] : pir],
    ['paddle-pdmodel', byFormat('paddle-pdmodel')],
  ];
  const onnx = byFormat('onnx');
  const pick = (found: Array<[ModelFormat, string[]]>): ResolvedModel | string => {
    for (const [candidate, names] of found) {
      if (names.length > 1) return `${path} holds several ${candidate} models (${names.join(', ')}): point path at one of them`;
      const [name] = names;
      if (name !== undefined) return { file: join(path, name), format: candidate };
    }
    return `${path} holds no ${found.map(([f]) => f).join(' or ')} model (${EXPECTED})`;
  };

  if (format === 'onnx') return pick([['onnx', onnx]]);
  if (format) return pick(paddle.filter(([candidate]) => candidate === format));
  const hasPaddle = paddle.some(([, names]) => names.length > 0);
  if (hasPaddle && onnx.length > 0) {
    return `${path} holds both a Paddle model and ${onnx.join(', ')}: set format, or point path at the file`;
  }
  if (onnx.length > 0) return pick([['onnx', onnx]]);
  if (!hasPaddle) {
    const orphans = entries.filter((name) => formatOfFile(name) && formatOfFile(name) !== 'paddle-pir');
    const hint = orphans.length > 0 ? ` (${orphans.map((name) => basename(name)).join(', ')} without .pdiparams)` : '';
    return `${path} holds no model${hint}: expected ${EXPECTED}`;
  }
  const picked = pick(paddle);
  const pdmodel = byFormat('paddle-pdmodel');
  if (typeof picked !== 'string' && picked.format === 'paddle-pir' && pdmodel.length === 1) {
    return { ...picked, alternative: join(path, pdmodel[0]!) };
  }
  return picked;
}

/** The model as the harness loads it: the entry file (and Paddle's params file) in one directory. */
export interface ModelFiles {
  dir: string;
  /** File name of the .onnx / .pdmodel / .json, inside `dir`. */
  entry: string;
  /** File name of the .pdiparams for Paddle formats. */
  params?: string;
  /** The 2.x program beside a Paddle 3 inference.json (ModelPlan.alternative), file names inside `dir`. */
  alternative?: { entry: string; params: string };
}

/** A plan's model as files for the harness; a DataError naming `models[<name>].path` when they are not (or no longer) there. */
export function modelFiles(model: Pick<ModelPlan, 'name' | 'path' | 'format' | 'alternative'>): ModelFiles {
  const result = resolveModel(model.path, model.format);
  if (typeof result === 'string') throw new DataError(`models[${model.name}].path: ${result}`);
  const dir = dirname(result.file);
  const entry = basename(result.file);
  if (result.format === 'onnx') return { dir, entry };
  const files: ModelFiles = { dir, entry, params: basename(paramsOf(result.file)) };
  if (model.alternative === undefined) return files;
  const other = resolveModel(model.alternative, 'paddle-pdmodel');
  if (typeof other === 'string') throw new DataError(`models[${model.name}].path: ${other}`);
  if (dirname(other.file) !== dir) throw new DataError(`models[${model.name}].path: ${other.file} is not beside ${result.file}`);
  return { ...files, alternative: { entry: basename(other.file), params: basename(paramsOf(other.file)) } };
}
