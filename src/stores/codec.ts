/**
 * The stored documents: the baseline itself (schema 'paddle-perf-gate/baseline@1'), the branch
 * pointer, the history index and the model's latest.json. Decoding validates every field the
 * gate reads and names the object and the field when one is wrong, so a corrupt or foreign
 * object becomes a clear "baseline unreadable" verdict instead of a wrong comparison.
 */
import { BASELINE_SCHEMA, type AcceptanceRecord, type Baseline, type BaselineRun } from '../types.js';
import { StoreError } from '../errors.js';
import { counted } from '../plural.js';

const POINTER_SCHEMA = 'paddle-perf-gate/pointer@1' as const;
const HISTORY_SCHEMA = 'paddle-perf-gate/history@1' as const;
const LATEST_SCHEMA = 'paddle-perf-gate/latest@1' as const;
export const SEAL_SCHEMA = 'paddle-perf-gate/seal@1' as const;
export const MANIFEST_SCHEMA = 'paddle-perf-gate/manifest@1' as const;
export const PROBE_SCHEMA = 'paddle-perf-gate/conditions@1' as const;

/** Retention: the history index keeps this many entries (commit objects themselves are kept). */
export const HISTORY_LIMIT = 50;

export interface Pointer {
  schema: typeof POINTER_SCHEMA;
  commit: string;
  createdAt: string;
}
export interface HistoryEntry {
  commit: string;
  branch: string;
  createdAt: string;
}
export interface History {
  schema: typeof HISTORY_SCHEMA;
  entries: HistoryEntry[];
}
export interface Latest {
  schema: typeof LATEST_SCHEMA;
  fingerprintHash: string;
  commit: string;
  createdAt: string;
}

/** One model of a gate under one fingerprint. */
export interface ModelRef {
  model: string;
  fingerprintHash: string;
}
/**
 * The seal of a promoted commit (immutable in effect: runs are only ever appended). A commit
 * object is part of the store only once a seal names its model and fingerprint, so objects left
 * by a crashed promotion are never read as baselines.
 */
export interface Seal {
  schema: typeof SEAL_SCHEMA;
  commit: string;
  runs: Array<{ branch: string; createdAt: string; models: ModelRef[] }>;
}
export interface ManifestPointer extends ModelRef {
  commit: string;
  createdAt: string;
}
export interface ManifestEntry {
  commit: string;
  createdAt: string;
  models: ModelRef[];
  /** The acceptances that let this commit's regressions through (issue 15): PR, head, who, when, why, the accepted changes. */
  acceptance?: AcceptanceRecord[];
}
/**
 * One branch of one gate: the pointer of every model/fingerprint and the promotion history,
 * newest first. Moved by one conditional write per promotion, so the models never disagree.
 */
export interface Manifest {
  schema: typeof MANIFEST_SCHEMA;
  branch: string;
  head: { commit: string; createdAt: string };
  pointers: ManifestPointer[];
  entries: ManifestEntry[];
}
/** What the conditional-write probe found about a store (kept under @store/). */
export interface ConditionsRecord {
  schema: typeof PROBE_SCHEMA;
  honoured: boolean;
  checkedAt: string;
  detail: string;
}

type Json = Record<string, unknown>;

class Reader {
  constructor(readonly where: string) {}
  fail(field: string, expected: string, got: unknown): never {
    const shown = got === undefined ? 'nothing' : (JSON.stringify(got)?.slice(0, 60) ?? String(got));
    throw new StoreError(`${this.where}: field '${field}' should be ${expected}, found ${shown}`);
  }
  obj(v: unknown, field: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'an object', v);
    return v as Json;
  }
  str(o: Json, field: string, path = field): string {
    const v = o[field];
    if (typeof v !== 'string' || v.length === 0) this.fail(path, 'a non-empty string', v);
    return v;
  }
  date(o: Json, field: string, path = field): string {
    const v = this.str(o, field, path);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(Date.parse(v))) this.fail(path, 'an ISO 8601 date', v);
    return v;
  }
  num(o: Json, field: string, path = field): number {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, 'a finite number', v);
    return v;
  }
  numOrNull(o: Json, field: string, path = field): number | null {
    const v = o[field];
    if (v === null) return null;
    return this.num(o, field, path);
  }
  numArray(v: unknown, path: string): number[] {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) this.fail(path, 'an array of numbers', v);
    return v as number[];
  }
  oneOf<T extends string>(o: Json, field: string, allowed: readonly T[], path = field): T {
    const v = o[field];
    if (typeof v !== 'string' || !allowed.includes(v as T)) this.fail(path, `one of ${allowed.join(', ')}`, v);
    return v as T;
  }
}

/** Parses JSON and checks the schema tag; a newer version of our own schema gets its own message. */
function parseTagged(text: string, where: string, schema: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new StoreError(`${where}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const r = new Reader(where);
  const o = r.obj(doc, '(document)');
  const tag = o['schema'];
  if (tag === schema) return o;
  const family = schema.slice(0, schema.indexOf('@') + 1);
  if (typeof tag === 'string' && tag.startsWith(family)) {
    const version = Number(tag.slice(family.length));
    if (Number.isInteger(version) && version > Number(schema.slice(family.length))) {
      throw new StoreError(
        `${where}: written by a newer paddle-perf-gate (schema '${tag}'); this version reads '${schema}' — upgrade the action`,
      );
    }
  }
  throw new StoreError(
    `${where}: not a paddle-perf-gate document (schema ${tag === undefined ? 'missing' : `'${String(tag)}'`}, expected '${schema}')`,
  );
}

const TASKS = ['classification', 'ocr-rec', 'generic'] as const;
const UNITS = ['%', 'ms', '/s', 'MB', 'MB/1k'] as const;
const BETTER = ['higher', 'lower'] as const;

export function decodeBaseline(text: string, where: string): Baseline {
  const o = parseTagged(text, where, BASELINE_SCHEMA);
  const r = new Reader(where);
  const fp = r.obj(o['fingerprint'], 'fingerprint');
  for (const [k, v] of Object.entries(fp)) {
    if (v !== null && typeof v !== 'string') r.fail(`fingerprint.${k}`, 'a string or null', v);
  }
  const m = r.obj(o['metrics'], 'metrics');
  r.str(m, 'model', 'metrics.model');
  r.oneOf(m, 'task', TASKS, 'metrics.task');
  r.num(m, 'samples', 'metrics.samples');
  r.num(m, 'iterations', 'metrics.iterations');
  const list = m['metrics'];
  if (!Array.isArray(list)) r.fail('metrics.metrics', 'an array', list);
  (list as unknown[]).forEach((item, i) => {
    const p = `metrics.metrics[${i}]`;
    const mv = r.obj(item, p);
    r.str(mv, 'id', `${p}.id`);
    r.str(mv, 'label', `${p}.label`);
    r.oneOf(mv, 'unit', UNITS, `${p}.unit`);
    r.oneOf(mv, 'better', BETTER, `${p}.better`);
    r.numOrNull(mv, 'value', `${p}.value`);
    if (mv['rounds'] !== undefined) r.numArray(mv['rounds'], `${p}.rounds`);
    if (mv['perSample'] !== undefined) {
      const ps = r.obj(mv['perSample'], `${p}.perSample`);
      const ids = ps['ids'];
      if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) r.fail(`${p}.perSample.ids`, 'an array of strings', ids);
      const ok = r.numArray(ps['ok'], `${p}.perSample.ok`);
      if (ok.length !== (ids as string[]).length)
        r.fail(`${p}.perSample.ok`, `${counted((ids as string[]).length, 'entry', 'entries')} (one per id)`, ok.length);
    }
  });
  const run = o['run'] === undefined ? undefined : decodeRun(r, o['run']);
  const acceptance = o['acceptance'] === undefined ? undefined : decodeAcceptance(r, o['acceptance'], 'acceptance');
  return {
    schema: BASELINE_SCHEMA,
    gate: r.str(o, 'gate'),
    model: r.str(o, 'model'),
    repo: r.str(o, 'repo'),
    commit: r.str(o, 'commit'),
    branch: r.str(o, 'branch'),
    createdAt: r.date(o, 'createdAt'),
    fingerprint: fp as Record<string, string | null>,
    fingerprintHash: r.str(o, 'fingerprintHash'),
    metrics: m as unknown as Baseline['metrics'],
    ...(run ? { run } : {}),
    ...(acceptance ? { acceptance } : {}),
    ...(o['seconds'] !== undefined ? { seconds: r.num(o, 'seconds') } : {}),
  };
}

/** An audit trail of acceptances (a baseline's or a manifest entry's): every field named when wrong. */
function decodeAcceptance(r: Reader, v: unknown, path: string): AcceptanceRecord[] {
  if (!Array.isArray(v)) r.fail(path, 'an array', v);
  return (v as unknown[]).map((item, i) => {
    const p = `${path}[${i}]`;
    const a = r.obj(item, p);
    const metrics = a['metrics'];
    if (metrics !== 'all' && !(Array.isArray(metrics) && metrics.every((m) => typeof m === 'string'))) {
      r.fail(`${p}.metrics`, '"all" or an array of metric ids', metrics);
    }
    const rows = a['rows'];
    if (!Array.isArray(rows)) r.fail(`${p}.rows`, 'an array', rows);
    return {
      by: r.str(a, 'by', `${p}.by`),
      at: r.date(a, 'at', `${p}.at`),
      reason: r.str(a, 'reason', `${p}.reason`),
      via: r.oneOf(a, 'via', ['label', 'comment'] as const, `${p}.via`),
      sha: r.str(a, 'sha', `${p}.sha`),
      pr: r.num(a, 'pr', `${p}.pr`),
      metrics: metrics,
      rows: (rows as unknown[]).map((row, j) => {
        const q = `${p}.rows[${j}]`;
        const x = r.obj(row, q);
        return {
          model: r.str(x, 'model', `${q}.model`),
          metric: r.str(x, 'metric', `${q}.metric`),
          ...(x['unit'] !== undefined ? { unit: r.oneOf(x, 'unit', UNITS, `${q}.unit`) } : {}),
          deltaAbs: r.numOrNull(x, 'deltaAbs', `${q}.deltaAbs`),
          deltaRel: r.numOrNull(x, 'deltaRel', `${q}.deltaRel`),
        };
      }),
    };
  });
}

const FORMATS = ['onnx', 'paddle-pdmodel', 'paddle-pir'] as const;
const DATASET_FORMATS = ['ppocr-rec', 'image-list', 'npy', 'random'] as const;
const RUNNERS = ['embedded', 'docker', 'local'] as const;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The run record (run spec, predictions digest, own cost): every field the A/B confirmation
 * compares is checked, so a damaged record refuses the confirmation by name instead of passing
 * a wrong base side as the baseline.
 */
function decodeRun(r: Reader, v: unknown): BaselineRun {
  const run = r.obj(v, 'run');
  const spec = r.obj(run['spec'], 'run.spec');
  const sha = (o: Json, field: string, path: string) => {
    const s = r.str(o, field, path);
    if (!SHA256.test(s)) r.fail(path, 'a sha256 hex digest', s);
  };
  const model = r.obj(spec['model'], 'run.spec.model');
  r.oneOf(model, 'format', FORMATS, 'run.spec.model.format');
  sha(model, 'sha256', 'run.spec.model.sha256');
  r.oneOf(spec, 'task', TASKS, 'run.spec.task');
  const ds = r.obj(spec['dataset'], 'run.spec.dataset');
  r.oneOf(ds, 'format', DATASET_FORMATS, 'run.spec.dataset.format');
  sha(ds, 'sha256', 'run.spec.dataset.sha256');
  r.num(ds, 'samples', 'run.spec.dataset.samples');
  if (ds['preprocess'] !== null) r.str(r.obj(ds['preprocess'], 'run.spec.dataset.preprocess'), 'kind', 'run.spec.dataset.preprocess.kind');
  r.numOrNull(ds, 'limit', 'run.spec.dataset.limit');
  r.numArray(spec['inputShape'], 'run.spec.inputShape');
  r.num(spec, 'batchSize', 'run.spec.batchSize');
  const engine = r.obj(spec['engine'], 'run.spec.engine');
  r.str(engine, 'name', 'run.spec.engine.name');
  r.num(engine, 'threads', 'run.spec.engine.threads');
  r.oneOf(r.obj(spec['runner'], 'run.spec.runner'), 'kind', RUNNERS, 'run.spec.runner.kind');
  const measure = r.obj(spec['measure'], 'run.spec.measure');
  for (const f of ['warmupIterations', 'warmupSeconds', 'rounds', 'minIterationsPerRound', 'minRoundSeconds', 'maxSeconds'])
    r.num(measure, f, `run.spec.measure.${f}`);
  const predictions = r.obj(run['predictions'], 'run.predictions');
  sha(predictions, 'sha256', 'run.predictions.sha256');
  r.num(predictions, 'samples', 'run.predictions.samples');
  r.numOrNull(run, 'ownMs', 'run.ownMs');
  return run as unknown as BaselineRun;
}

/** Compact JSON; validated by decoding it back, so a store never holds what it cannot read. */
export function encodeBaseline(baseline: Baseline, where = 'baseline to write'): string {
  const text = JSON.stringify(baseline);
  decodeBaseline(text, where);
  return text;
}

export function decodePointer(text: string, where: string): Pointer {
  const o = parseTagged(text, where, POINTER_SCHEMA);
  const r = new Reader(where);
  return { schema: POINTER_SCHEMA, commit: r.str(o, 'commit'), createdAt: r.date(o, 'createdAt') };
}

export function decodeHistory(text: string, where: string): History {
  const o = parseTagged(text, where, HISTORY_SCHEMA);
  const r = new Reader(where);
  const list = o['entries'];
  if (!Array.isArray(list)) r.fail('entries', 'an array', list);
  const entries = (list as unknown[]).map((item, i) => {
    const e = r.obj(item, `entries[${i}]`);
    return {
      commit: r.str(e, 'commit', `entries[${i}].commit`),
      branch: r.str(e, 'branch', `entries[${i}].branch`),
      createdAt: r.date(e, 'createdAt', `entries[${i}].createdAt`),
    };
  });
  return { schema: HISTORY_SCHEMA, entries };
}

export function decodeLatest(text: string, where: string): Latest {
  const o = parseTagged(text, where, LATEST_SCHEMA);
  const r = new Reader(where);
  return {
    schema: LATEST_SCHEMA,
    fingerprintHash: r.str(o, 'fingerprintHash'),
    commit: r.str(o, 'commit'),
    createdAt: r.date(o, 'createdAt'),
  };
}

function modelRefs(r: Reader, list: unknown, path: string): ModelRef[] {
  if (!Array.isArray(list)) r.fail(path, 'an array', list);
  return (list as unknown[]).map((item, i) => {
    const o = r.obj(item, `${path}[${i}]`);
    return {
      model: r.str(o, 'model', `${path}[${i}].model`),
      fingerprintHash: r.str(o, 'fingerprintHash', `${path}[${i}].fingerprintHash`),
    };
  });
}

export function decodeSeal(text: string, where: string): Seal {
  const o = parseTagged(text, where, SEAL_SCHEMA);
  const r = new Reader(where);
  const runs = o['runs'];
  if (!Array.isArray(runs)) r.fail('runs', 'an array', runs);
  return {
    schema: SEAL_SCHEMA,
    commit: r.str(o, 'commit'),
    runs: (runs as unknown[]).map((item, i) => {
      const p = `runs[${i}]`;
      const run = r.obj(item, p);
      return {
        branch: r.str(run, 'branch', `${p}.branch`),
        createdAt: r.date(run, 'createdAt', `${p}.createdAt`),
        models: modelRefs(r, run['models'], `${p}.models`),
      };
    }),
  };
}

export function decodeManifest(text: string, where: string): Manifest {
  const o = parseTagged(text, where, MANIFEST_SCHEMA);
  const r = new Reader(where);
  const head = r.obj(o['head'], 'head');
  const pointers = o['pointers'];
  if (!Array.isArray(pointers)) r.fail('pointers', 'an array', pointers);
  const entries = o['entries'];
  if (!Array.isArray(entries)) r.fail('entries', 'an array', entries);
  return {
    schema: MANIFEST_SCHEMA,
    branch: r.str(o, 'branch'),
    head: { commit: r.str(head, 'commit', 'head.commit'), createdAt: r.date(head, 'createdAt', 'head.createdAt') },
    pointers: (pointers as unknown[]).map((item, i) => {
      const p = `pointers[${i}]`;
      const x = r.obj(item, p);
      return {
        model: r.str(x, 'model', `${p}.model`),
        fingerprintHash: r.str(x, 'fingerprintHash', `${p}.fingerprintHash`),
        commit: r.str(x, 'commit', `${p}.commit`),
        createdAt: r.date(x, 'createdAt', `${p}.createdAt`),
      };
    }),
    entries: (entries as unknown[]).map((item, i) => {
      const p = `entries[${i}]`;
      const x = r.obj(item, p);
      const acceptance = x['acceptance'] === undefined ? undefined : decodeAcceptance(r, x['acceptance'], `${p}.acceptance`);
      return {
        commit: r.str(x, 'commit', `${p}.commit`),
        createdAt: r.date(x, 'createdAt', `${p}.createdAt`),
        models: modelRefs(r, x['models'], `${p}.models`),
        ...(acceptance ? { acceptance } : {}),
      };
    }),
  };
}

export function decodeConditions(text: string, where: string): ConditionsRecord {
  const o = parseTagged(text, where, PROBE_SCHEMA);
  const r = new Reader(where);
  const honoured = o['honoured'];
  if (typeof honoured !== 'boolean') r.fail('honoured', 'true or false', honoured);
  return { schema: PROBE_SCHEMA, honoured: honoured as boolean, checkedAt: r.date(o, 'checkedAt'), detail: r.str(o, 'detail') };
}

/** Newest first by createdAt, then by commit so the order is total and stable across stores. */
export function newerFirst(a: { createdAt: string; commit: string }, b: { createdAt: string; commit: string }): number {
  const d = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  return d !== 0 ? d : a.commit < b.commit ? -1 : a.commit > b.commit ? 1 : 0;
}
