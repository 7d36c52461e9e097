/**
 * Validation of a run-result document (schema paddle-perf-gate/run@1): what the harness, the
 * embedded engine, or a user's own command hands to the gate. Everything downstream trusts the
 * returned value, so each field is checked here once, and a bad one is named by its path.
 */
import { SchemaError } from '../errors.js';
import { RUN_SCHEMA } from '../types.js';
import type { Device, EngineName, GoldenOutputs, ModelFormat, Precision, RawOutput, RunResult } from '../types.js';
import { counted } from '../plural.js';

type Obj = Record<string, unknown>;

const MODEL_FORMATS: readonly ModelFormat[] = ['onnx', 'paddle-pdmodel', 'paddle-pir'];
const ENGINES: readonly EngineName[] = ['onnxruntime', 'paddle'];
const DEVICES: readonly Device[] = ['cpu', 'gpu'];
const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16', 'int8'];

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  if (text === undefined) return typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

class Checker {
  constructor(private readonly source: string) {}

  fail(path: string, expected: string, value: unknown): never {
    throw new SchemaError(`${this.source}: ${path}: expected ${expected}, got ${show(value)}`);
  }

  obj(v: unknown, path: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'an object', v);
    return v as Obj;
  }

  arr(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'an array', v);
    return v;
  }

  str(v: unknown, path: string, nonEmpty = true): string {
    if (typeof v !== 'string' || (nonEmpty && v.length === 0)) this.fail(path, nonEmpty ? 'a non-empty string' : 'a string', v);
    return v;
  }

  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(path, `one of ${allowed.join(', ')}`, v);
    return v as T;
  }

  num(v: unknown, path: string, min = 0): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) this.fail(path, `a finite number ≥ ${min}`, v);
    return v;
  }

  int(v: unknown, path: string, min = 0): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(path, `an integer ≥ ${min}`, v);
    return v;
  }

  nums(v: unknown, path: string, kind: 'num' | 'int' = 'num', min = 0): number[] {
    const a = this.arr(v, path);
    for (let i = 0; i < a.length; i++) {
      if (kind === 'int') this.int(a[i], `${path}[${i}]`, min);
      else this.num(a[i], `${path}[${i}]`, min);
    }
    return a as number[];
  }

  /** Parallel sample series { iteration: int[], mb: number[] } of equal length. */
  series(v: unknown, path: string): { iteration: number[]; mb: number[] } {
    const o = this.obj(v, path);
    const iteration = this.nums(o.iteration, `${path}.iteration`, 'int');
    const mb = this.nums(o.mb, `${path}.mb`, 'num', -Infinity);
    if (mb.length !== iteration.length)
      this.fail(
        `${path}.mb`,
        `${counted(iteration.length, 'value', 'values')} (one per iteration index)`,
        counted(mb.length, 'value', 'values'),
      );
    return { iteration, mb };
  }
}

function prediction(c: Checker, v: unknown, path: string): RawOutput {
  const o = c.obj(v, path);
  const kind = c.oneOf(o.kind, `${path}.kind`, ['ctc', 'topk', 'digest'] as const);
  if (kind === 'digest') {
    const sha = c.str(o.sha256, `${path}.sha256`);
    if (!/^[0-9a-f]{64}$/.test(sha)) c.fail(`${path}.sha256`, 'a sha256 hex digest', sha);
    return { kind, sha256: sha };
  }
  const ids = c.nums(o.ids, `${path}.ids`, 'int');
  const second = kind === 'ctc' ? 'probs' : 'scores';
  const values = c.nums(o[second], `${path}.${second}`, 'num', -Infinity);
  if (values.length !== ids.length)
    c.fail(`${path}.${second}`, `${counted(ids.length, 'value', 'values')} (one per id)`, counted(values.length, 'value', 'values'));
  return kind === 'ctc' ? { kind, ids, probs: values } : { kind, ids, scores: values };
}

/**
 * Checks `json` against paddle-perf-gate/run@1 and returns it typed. `source` names the document
 * in messages (a file name, "the harness of model X"). Throws SchemaError naming the field path:
 * `run.json: timing.rounds[2][5]: expected a finite number ≥ 0, got "abc"`.
 */
export function parseRunResult(json: unknown, source: string): RunResult {
  const c = new Checker(source);
  const root = c.obj(json, '(document)');
  if (root.schema !== RUN_SCHEMA) c.fail('schema', `"${RUN_SCHEMA}"`, root.schema);

  const m = c.obj(root.model, 'model');
  const files = c.arr(m.files, 'model.files').map((f, i) => {
    const p = `model.files[${i}]`;
    const o = c.obj(f, p);
    const sha256 = c.str(o.sha256, `${p}.sha256`);
    if (!/^[0-9a-f]{64}$/.test(sha256)) c.fail(`${p}.sha256`, 'a sha256 hex digest', sha256);
    return { path: c.str(o.path, `${p}.path`), sha256, bytes: c.int(o.bytes, `${p}.bytes`) };
  });
  const model: RunResult['model'] = {
    name: c.str(m.name, 'model.name'),
    format: c.oneOf(m.format, 'model.format', MODEL_FORMATS),
    files,
  };

  const e = c.obj(root.engine, 'engine');
  const optionsObj = c.obj(e.options, 'engine.options');
  const options: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(optionsObj)) {
    if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
      c.fail(`engine.options.${k}`, 'a string, number or boolean', v);
    }
    options[k] = v as string | number | boolean;
  }
  const engine: RunResult['engine'] = {
    name: c.oneOf(e.name, 'engine.name', ENGINES),
    version: c.str(e.version, 'engine.version'),
    device: c.oneOf(e.device, 'engine.device', DEVICES),
    precision: c.oneOf(e.precision, 'engine.precision', PRECISIONS),
    options,
  };

  const envObj = c.obj(root.env, 'env');
  const env: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(envObj)) {
    if (v !== null && typeof v !== 'string') c.fail(`env.${k}`, 'a string or null (unknown)', v);
    env[k] = v as string | null;
  }

  const t = c.obj(root.timing, 'timing');
  const rounds = c.arr(t.rounds, 'timing.rounds').map((r, i) => c.nums(r, `timing.rounds[${i}]`));
  if (rounds.length === 0) c.fail('timing.rounds', 'at least one round', rounds);
  rounds.forEach((r, i) => {
    if (r.length === 0) c.fail(`timing.rounds[${i}]`, 'at least one iteration', r);
  });
  const timing: RunResult['timing'] = {
    warmupIterations: c.int(t.warmupIterations, 'timing.warmupIterations'),
    batchSize: c.int(t.batchSize, 'timing.batchSize', 1),
    rounds,
    measureSeconds: c.num(t.measureSeconds, 'timing.measureSeconds'),
    startupSeconds: c.num(t.startupSeconds, 'timing.startupSeconds'),
  };

  const mem = c.obj(root.memory, 'memory');
  const memory: RunResult['memory'] = {
    gpuIdleMb: mem.gpuIdleMb === null ? null : c.num(mem.gpuIdleMb, 'memory.gpuIdleMb'),
    // Idle is subtracted, so a GPU sample may be slightly negative when another process freed memory.
    gpu: mem.gpu === null ? null : c.series(mem.gpu, 'memory.gpu'),
    rss: c.series(mem.rss, 'memory.rss'),
  };
  if (memory.rss.mb.some((x) => x < 0))
    c.fail(
      'memory.rss.mb',
      'values ≥ 0',
      memory.rss.mb.find((x) => x < 0),
    );
  if ((memory.gpu === null) !== (memory.gpuIdleMb === null)) {
    c.fail(
      'memory.gpu',
      memory.gpuIdleMb === null ? 'null when memory.gpuIdleMb is null' : 'samples when memory.gpuIdleMb is set',
      mem.gpu,
    );
  }

  const out = c.obj(root.outputs, 'outputs');
  const ids = c.arr(out.ids, 'outputs.ids').map((id, i) => c.str(id, `outputs.ids[${i}]`));
  const predictions = c.arr(out.predictions, 'outputs.predictions').map((p, i) => prediction(c, p, `outputs.predictions[${i}]`));
  if (predictions.length !== ids.length)
    c.fail(
      'outputs.predictions',
      `${counted(ids.length, 'prediction', 'predictions')} (one per id)`,
      `${counted(predictions.length, 'prediction', 'predictions')}`,
    );

  const result: RunResult = { schema: RUN_SCHEMA, model, engine, env, timing, memory, outputs: { ids, predictions } };
  if (out.golden !== undefined) result.outputs.golden = golden(c, out.golden);
  if (root.notes !== undefined) {
    result.notes = c.arr(root.notes, 'notes').map((n, i) => c.str(n, `notes[${i}]`, false));
  }
  return result;
}

/** outputs.golden (types.ts GoldenOutputs): checked field by field, the values left compressed (compare/drift.ts reads them). */
function golden(c: Checker, v: unknown): GoldenOutputs {
  const g = c.obj(v, 'outputs.golden');
  const ids = c.arr(g.ids, 'outputs.golden.ids').map((id, i) => c.str(id, `outputs.golden.ids[${i}]`));
  const outputs = c.arr(g.outputs, 'outputs.golden.outputs').map((o, k) => {
    const at = `outputs.golden.outputs[${k}]`;
    const out = c.obj(o, at);
    const kept = c.arr(out.kept, `${at}.kept`).map((n, i) => c.int(n, `${at}.kept[${i}]`));
    const summary = c.arr(out.summary, `${at}.summary`).map((row, i) => {
      const r = c.arr(row, `${at}.summary[${i}]`);
      if (r.length !== 5 || !r.every((x) => typeof x === 'number')) c.fail(`${at}.summary[${i}]`, '[elements, mean, rms, min, max]', row);
      return r as [number, number, number, number, number];
    });
    if (kept.length !== ids.length || summary.length !== ids.length) {
      c.fail(
        `${at}.kept`,
        `${counted(ids.length, 'entry', 'entries')} (one per outputs.golden.ids)`,
        `${kept.length} kept, ${counted(summary.length, 'summary', 'summaries')}`,
      );
    }
    return { name: c.str(out.name, `${at}.name`), summary, kept, values: c.str(out.values, `${at}.values`, false) };
  });
  return { ids, outputs };
}
