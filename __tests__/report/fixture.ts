import { compareModel as judgeKeys, gateVerdict } from '../../src/compare/index.js';
import { describe as inWords } from '../../src/text/index.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import type { GateReport, MetricValue, ModelComparison, ModelMetrics } from '../../src/types.js';

/** compare/ says why in keys; what a user reads is text/'s English (the gate writes it the same way). */
const compareModel = (...args: Parameters<typeof judgeKeys>) => inWords(judgeKeys(...args));

/** A report built by the real compare/ from metrics shaped like an OCR run (numbers chosen, not measured). */
export function ocrMetrics(opts: {
  wrong: number;
  latencyScale: number;
  gpuMb: number | null;
  name?: string;
  labels?: Record<string, string>;
}): ModelMetrics {
  const n = 1000;
  const ok = Array.from({ length: n }, (_, i) => (i < opts.wrong ? 0 : 1));
  const ids = ok.map((_, i) => `img_${i}.png`);
  const rounds = [4.21, 4.25, 4.18, 4.22, 4.2, 4.23, 4.19, 4.21].map((x) => x * opts.latencyScale);
  const p50 = [...rounds].sort((a, b) => a - b)[3]!;
  const metrics: MetricValue[] = [
    {
      id: 'accuracy.line',
      label: 'line accuracy',
      unit: '%',
      better: 'higher',
      value: (100 * (n - opts.wrong)) / n,
      perSample: { ids, ok },
    },
    { id: 'accuracy.edit', label: 'edit-distance accuracy', unit: '%', better: 'higher', value: 98.8 },
    { id: 'latency.p50', label: 'latency p50', unit: 'ms', better: 'lower', value: p50, rounds },
    { id: 'throughput', label: 'throughput', unit: '/s', better: 'higher', value: 1000 / p50, rounds: rounds.map((r) => 1000 / r) },
  ];
  if (opts.gpuMb !== null)
    metrics.push({ id: 'memory.gpu.peak', label: 'GPU memory, peak', unit: 'MB', better: 'lower', value: opts.gpuMb });
  const labels = opts.labels ?? {};
  return {
    model: opts.name ?? 'PP-OCRv4-rec',
    task: 'ocr-rec',
    samples: n,
    iterations: 800,
    metrics,
    decoded: ids.map((id, i) => ({ id, label: labels[id] ?? `line ${i}`, prediction: ok[i] ? (labels[id] ?? `line ${i}`) : `wrong ${i}` })),
  };
}

export function report(
  models: Array<{ base?: ModelMetrics; head: ModelMetrics; comparison?: ModelComparison }>,
  extra: Partial<GateReport> = {},
): GateReport {
  const comps = models.map((m) => m.comparison ?? compareModel(m.base, m.head, { ...DEFAULT_THRESHOLDS }));
  const g = gateVerdict(comps);
  return {
    gate: 'ppocr-rec',
    verdict: g.verdict,
    regressions: g.regressions,
    warnings: g.warnings,
    inconclusive: g.inconclusive,
    models: models.map((m, i) => ({
      comparison: comps[i]!,
      metrics: m.head,
      run: {
        model: { name: m.head.model, format: 'onnx', files: [] },
        engine: { name: 'onnxruntime', version: '1.30.0', device: 'gpu', precision: 'fp16', options: {} },
        env: {
          gpuName: 'NVIDIA H100 80GB HBM3',
          driver: '580.65',
          cuda: '12.6',
          paddle: '3.0.0',
          cpuModel: 'AMD EPYC',
          imageDigest: 'sha256:4f2e9a1b2c3d4e5f6a7b8c9d',
        },
        rounds: 8,
        iterations: 800,
        warmupIterations: 50,
        batchSize: 1,
      },
      ...(m.base ? { baseline: { commit: 'a1b2c3d4e5f6a7b8', branch: 'main', createdAt: '2026-11-20T10:00:00Z' } } : {}),
    })),
    warningsLog: [],
    startedAt: '2026-11-21T10:00:00Z',
    durationSeconds: 42,
    ...extra,
  };
}
