/**
 * measure/: RunResult → ModelMetrics. Decoding, scoring and statistics of one run, all in
 * TypeScript so every runner's numbers mean the same thing.
 */
import type { MetricValue, ModelMetrics, RunResult, Task } from '../types.js';
import type { PreparedDataset } from '../dataset/prepared.js';
import { DataError, SchemaError } from '../errors.js';
import { ctcGreedyDecode, encodeLabel, recMetrics } from './ocr.js';
import { ascending, linearSlope, mean, percentile } from './stats.js';
import { counted } from '../plural.js';

export { ctcGreedyDecode, levenshtein, recMetrics } from './ocr.js';
export { percentile, median, mean, linearSlope } from './stats.js';

type Decoded = NonNullable<ModelMetrics['decoded']>;

/**
 * Metrics of one run:
 * - accuracy (ocr-rec: `accuracy.line`, `accuracy.edit`; classification: `accuracy.top1`, and
 *   `accuracy.top5` when there are more than 5 classes) over the labelled samples, in %;
 * - latency mean/p50/p90/p99 over all timed iterations pooled, with the same statistic per round
 *   in `rounds` (the unit the comparison tests), and throughput = batch × 1000 / mean ms;
 * - memory peaks (MB) and growth (MB per 1,000 iterations: least-squares slope ± 95 % over window peaks).
 * GPU metrics are left out when the run could not measure GPU memory (never reported as 0).
 */
export function measure(run: RunResult, dataset: PreparedDataset, task: Task): ModelMetrics {
  const { metrics: accuracy, decoded, labelEncoding } = accuracyMetrics(run, dataset, task);
  const latency = latencyMetrics(run);
  return {
    model: run.model.name,
    task,
    samples: run.outputs.ids.length,
    iterations: run.timing.rounds.reduce((s, r) => s + r.length, 0),
    metrics: [...accuracy, ...latency, ...memoryMetrics(run)],
    ...(decoded ? { decoded } : {}),
    ...(labelEncoding ? { labelEncoding } : {}),
    ...(run.outputs.golden ? { golden: run.outputs.golden } : {}),
  };
}

// ───────────────────────────── accuracy ─────────────────────────────

function labelsById(run: RunResult, dataset: PreparedDataset): Array<string | null> {
  const { ids, predictions } = run.outputs;
  if (ids.length !== predictions.length) {
    throw new SchemaError(
      `run result outputs: ${counted(ids.length, 'id', 'ids')} but ${counted(predictions.length, 'prediction', 'predictions')}`,
    );
  }
  const index = new Map(dataset.ids.map((id, i) => [id, i] as const));
  return ids.map((id, i) => {
    const at = index.get(id);
    if (at === undefined) {
      throw new DataError(`run result outputs.ids[${i}] = '${id}' is not a sample of the prepared dataset (${dataset.dir})`);
    }
    return dataset.labels[at] ?? null;
  });
}

function accuracyMetrics(
  run: RunResult,
  dataset: PreparedDataset,
  task: Task,
): { metrics: MetricValue[]; decoded?: Decoded; labelEncoding?: ModelMetrics['labelEncoding'] } {
  if (task === 'generic') return { metrics: [] };
  const labels = labelsById(run, dataset);
  const { ids, predictions } = run.outputs;
  if (task === 'ocr-rec') {
    const dictionary = dataset.dictionary;
    if (!dictionary) throw new DataError(`ocr-rec dataset ${dataset.dir} has no dictionary`);
    // PaddleOCR's label encoding: characters the model cannot output are dropped from the label.
    const known = new Set([...dictionary, ' ']);
    const encoding = { characters: 0, lines: 0, emptied: 0 };
    const decoded: Decoded = predictions.map((p, i) => {
      if (p.kind !== 'ctc') {
        throw new SchemaError(`run result outputs.predictions[${i}].kind is '${p.kind}', expected 'ctc' for an ocr-rec model`);
      }
      const raw = labels[i] ?? null;
      let label = raw;
      if (raw !== null) {
        const encoded = encodeLabel(raw, known);
        if (encoded.dropped > 0) {
          encoding.characters += encoded.dropped;
          encoding.lines++;
          if (encoded.text === null) encoding.emptied++;
        }
        label = encoded.text;
      }
      return { id: ids[i]!, label, prediction: ctcGreedyDecode(p.ids, p.probs, dictionary).text };
    });
    const labelEncoding = encoding.lines > 0 ? { labelEncoding: encoding } : {};
    const labelled = decoded.filter((d): d is Decoded[number] & { label: string } => d.label !== null);
    if (labelled.length === 0) return { metrics: [], decoded, ...labelEncoding };
    const m = recMetrics(
      labelled.map((d) => d.prediction),
      labelled.map((d) => d.label),
    );
    const perSample = { ids: labelled.map((d) => d.id), ok: m.perSample };
    return {
      decoded,
      ...labelEncoding,
      metrics: [
        { id: 'accuracy.line', label: 'line accuracy', unit: '%', better: 'higher', value: 100 * m.acc, perSample },
        { id: 'accuracy.edit', label: 'edit-distance accuracy', unit: '%', better: 'higher', value: 100 * m.normEditDis },
      ],
    };
  }

  // classification: labels and predicted ids are class indices.
  const name = (c: number) => dataset.classNames?.[c] ?? String(c);
  const rows = predictions.map((p, i) => {
    if (p.kind !== 'topk') {
      throw new SchemaError(`run result outputs.predictions[${i}].kind is '${p.kind}', expected 'topk' for a classification model`);
    }
    if (p.ids.length === 0) throw new SchemaError(`run result outputs.predictions[${i}].ids is empty`);
    const raw = labels[i] ?? null;
    const label = raw === null ? null : Number(raw);
    if (label !== null && !(Number.isInteger(label) && label >= 0)) {
      throw new DataError(`label of sample '${ids[i]}' is '${raw}', expected a class index`);
    }
    return { id: ids[i]!, label, top: p.ids };
  });
  const decoded: Decoded = rows.map((r) => ({
    id: r.id,
    label: r.label === null ? null : name(r.label),
    prediction: name(r.top[0]!),
  }));
  const labelled = rows.filter((r): r is (typeof rows)[number] & { label: number } => r.label !== null);
  if (labelled.length === 0) return { metrics: [], decoded };
  const perIds = labelled.map((r) => r.id);
  const top1 = labelled.map((r) => (r.top[0] === r.label ? 1 : 0));
  const metrics: MetricValue[] = [
    { id: 'accuracy.top1', label: 'top-1 accuracy', unit: '%', better: 'higher', value: pct(top1), perSample: { ids: perIds, ok: top1 } },
  ];
  // Without class names, the class count is the largest index seen (a lower bound).
  const classes = dataset.classNames?.length ?? 1 + rows.reduce((m, r) => Math.max(m, r.label ?? 0, ...r.top), 0);
  if (classes > 5 && labelled.every((r) => r.top.length >= 5)) {
    const top5 = labelled.map((r) => (r.top.slice(0, 5).includes(r.label) ? 1 : 0));
    metrics.push({
      id: 'accuracy.top5',
      label: 'top-5 accuracy',
      unit: '%',
      better: 'higher',
      value: pct(top5),
      perSample: { ids: perIds, ok: top5 },
    });
  }
  return { metrics, decoded };
}

function pct(ok: number[]): number {
  return (100 * ok.reduce((s, v) => s + v, 0)) / ok.length;
}

// ───────────────────────────── latency and throughput ─────────────────────────────

const LATENCY: Array<{ id: string; label: string; of: (sorted: number[]) => number }> = [
  { id: 'latency.mean', label: 'latency mean', of: mean },
  { id: 'latency.p50', label: 'latency p50', of: (s) => percentile(s, 50) },
  { id: 'latency.p90', label: 'latency p90', of: (s) => percentile(s, 90) },
  { id: 'latency.p99', label: 'latency p99', of: (s) => percentile(s, 99) },
];

function latencyMetrics(run: RunResult): MetricValue[] {
  const rounds = run.timing.rounds.filter((r) => r.length > 0);
  rounds.forEach((r, i) =>
    r.forEach((ms, j) => {
      if (!(Number.isFinite(ms) && ms >= 0)) {
        throw new SchemaError(`run result timing.rounds[${i}][${j}] is ${ms}, expected a latency in ms (≥ 0)`);
      }
    }),
  );
  if (rounds.length === 0) throw new SchemaError('run result timing.rounds holds no timed iteration');
  const batch = run.timing.batchSize;
  if (!(Number.isInteger(batch) && batch > 0))
    throw new SchemaError(`run result timing.batchSize is ${batch}, expected a positive integer`);
  const pooled = ascending(rounds.flat());
  const perRound = rounds.map(ascending);
  const out: MetricValue[] = LATENCY.map(({ id, label, of }) => ({
    id,
    label,
    unit: 'ms',
    better: 'lower',
    value: of(pooled),
    rounds: perRound.map(of),
  }));
  const qps = (ms: number) => (ms > 0 ? (batch * 1000) / ms : Number.POSITIVE_INFINITY);
  out.push({
    id: 'throughput',
    label: 'throughput',
    unit: '/s',
    better: 'higher',
    value: qps(mean(pooled)),
    rounds: perRound.map((r) => qps(mean(r))),
  });
  return out;
}

// ───────────────────────────── memory ─────────────────────────────

function memoryMetrics(run: RunResult): MetricValue[] {
  const out: MetricValue[] = [];
  const series: Array<['rss' | 'gpu', string, { iteration: number[]; mb: number[] } | null]> = [
    ['rss', 'RSS', run.memory.rss],
    ['gpu', 'GPU memory', run.memory.gpu],
  ];
  for (const [key, label, s] of series) {
    if (!s) continue;
    if (s.iteration.length !== s.mb.length) {
      throw new SchemaError(
        `run result memory.${key}: ${counted(s.iteration.length, 'iteration', 'iterations')} but ${counted(s.mb.length, 'sample', 'samples')}`,
      );
    }
    const pairs = s.mb.map((mb, i) => [s.iteration[i]!, mb] as const).filter(([it, mb]) => Number.isFinite(it) && Number.isFinite(mb));
    if (pairs.length === 0) continue;
    out.push({
      id: `memory.${key}.peak`,
      label: `${label}, peak`,
      unit: 'MB',
      better: 'lower',
      value: pairs.reduce((m, [, mb]) => Math.max(m, mb), Number.NEGATIVE_INFINITY),
    });
    const envelope = windowPeaks(pairs);
    const fit =
      envelope.length >= 3
        ? linearSlope(
            envelope.map(([it]) => it),
            envelope.map(([, mb]) => mb),
          )
        : null;
    if (fit) {
      out.push({
        id: `memory.${key}.growth`,
        label: `${label}, growth`,
        unit: 'MB/1k',
        better: 'lower',
        value: fit.slope * 1000,
        ...(fit.interval ? { interval: [fit.interval[0] * 1000, fit.interval[1] * 1000] as [number, number] } : {}),
      });
    }
  }
  return out;
}

/**
 * Memory growth is fitted to the peak of each of up to 8 consecutive windows, not to every
 * sample: a garbage-collected or pooled allocator makes a saw-tooth whose phase alone would tilt
 * a per-sample fit (and its samples are far from independent, so its interval would be too
 * narrow). A leak raises the window peaks steadily; a saw-tooth does not. Fewer than 3 windows
 * (fewer than 9 samples) give no growth figure.
 */
export function windowPeaks(pairs: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const windows = Math.min(8, Math.floor(pairs.length / 3));
  const out: Array<[number, number]> = [];
  for (let w = 0; w < windows; w++) {
    const part = pairs.slice(Math.floor((w * pairs.length) / windows), Math.floor(((w + 1) * pairs.length) / windows));
    const mid = (part[0]![0] + part[part.length - 1]![0]) / 2;
    out.push([mid, Math.max(...part.map(([, mb]) => mb))]);
  }
  return out;
}
