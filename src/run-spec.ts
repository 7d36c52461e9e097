/**
 * The run spec and run record of a baseline: what was run (model hash, task, dataset and its
 * preprocessing, input shape, batch, engine and runner options, measure settings) and what it
 * predicted. Promotion records them; the A/B confirmation builds its base side from the base
 * commit and may only use it when it is provably the same run (confirm.ts).
 */
import { createHash } from 'node:crypto';
import type { PreparedDataset } from './dataset/prepared.js';
import type { BaselineRun, MeasurePlan, ModelPlan, RunResult, RunnerPlan, RunSpec } from './types.js';

/** One content hash for a model's files (order-independent, names included). */
export function modelHash(files: RunResult['model']['files']): string {
  const parts = files.map((f) => `${f.path.split(/[\\/]/).pop()}:${f.sha256}`).sort();
  return parts.length === 1 ? files[0]!.sha256 : createHash('sha256').update(parts.join('\n')).digest('hex');
}

export function runSpecOf(
  model: ModelPlan,
  dataset: PreparedDataset,
  measure: MeasurePlan,
  runner: RunnerPlan,
  files: RunResult['model']['files'],
): RunSpec {
  const { batchSize, ...engine } = model.engine;
  const ds = model.dataset;
  const { accuracy: _execution, ...timing } = measure;
  return {
    model: { format: model.format, sha256: modelHash(files) },
    task: model.task,
    dataset: {
      format: ds.format,
      sha256: dataset.hash,
      samples: dataset.shape[0] ?? dataset.ids.length,
      preprocess: ds.format === 'npy' || ds.format === 'random' ? null : ds.preprocess,
      limit: ds.limit ?? null,
    },
    inputShape: dataset.shape.slice(1),
    batchSize,
    engine,
    runner: {
      kind: runner.kind,
      image: runner.kind === 'docker' ? runner.image : null,
      command: runner.kind === 'embedded' ? null : (runner.command ?? null),
      cpus: runner.kind === 'docker' ? (runner.limits.cpus ?? null) : null,
      memory: runner.kind === 'docker' ? (runner.limits.memory ?? null) : null,
    },
    measure: timing,
  };
}

/**
 * sha256 over what a run predicted, sample by sample: the argmax ids (CTC), the top-k ids
 * (classification) or the rounded-output digest (generic). Scores are left out: the same model on
 * another CPU of the same kind may differ in the last bits, never in what it predicts.
 */
export function predictionsDigest(outputs: RunResult['outputs']): BaselineRun['predictions'] {
  const hash = createHash('sha256');
  outputs.predictions.forEach((p, i) => {
    const what = p.kind === 'digest' ? p.sha256 : p.ids.join(',');
    hash.update(`${outputs.ids[i] ?? `#${i}`}\t${p.kind}\t${what}\n`);
  });
  return { sha256: hash.digest('hex'), samples: outputs.predictions.length };
}

/** The run record promoted with a baseline. */
export function runRecordOf(spec: RunSpec, run: RunResult): BaselineRun {
  const all = run.timing.rounds.flat().filter((v) => Number.isFinite(v) && v > 0);
  return { spec, predictions: predictionsDigest(run.outputs), ownMs: all.length > 0 ? Math.min(...all) : null };
}

export interface SpecDifference {
  /** Dotted path, e.g. 'dataset.preprocess.shape', 'engine.threads'. */
  field: string;
  recorded: string;
  actual: string;
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix, value === undefined ? 'unset' : JSON.stringify(value));
}

/** The content hashes, and the dataset's hash that follows from its settings, say least: they come last. */
const LAST = ['dataset.sha256', 'model.sha256'];

/**
 * Fields of `actual` that differ from the recorded spec, most telling first (a preprocessing
 * change also changes the dataset hash: the preprocessing is named first).
 */
export function specDifferences(recorded: RunSpec, actual: RunSpec, opts: { exceptModel?: boolean } = {}): SpecDifference[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(recorded, '', a);
  flatten(actual, '', b);
  const fields = [...new Set([...a.keys(), ...b.keys()])];
  const diffs = fields
    .filter((f) => !(opts.exceptModel && f === 'model.sha256'))
    .filter((f) => a.get(f) !== b.get(f))
    .map((field) => ({ field, recorded: a.get(field) ?? 'unset', actual: b.get(field) ?? 'unset' }));
  const rank = (f: string) => LAST.indexOf(f);
  return diffs.sort((x, y) => rank(x.field) - rank(y.field));
}

const short = (v: string) => (/^"[0-9a-f]{64}"$/.test(v) ? v.slice(1, 13) : v.length > 40 ? `${v.slice(0, 37)}…` : v);

/** "dataset.preprocess.shape [3,48,320] → [3,48,448] (+ inputShape, dataset.sha256)" */
export function describeDifferences(diffs: SpecDifference[]): string {
  const [first, ...rest] = diffs;
  if (!first) return 'no difference';
  const more = rest.length > 0 ? ` (also ${rest.map((d) => d.field).join(', ')})` : '';
  return `${first.field} ${short(first.recorded)} → ${short(first.actual)}${more}`;
}
