/** A gate report as runGate returns it: one OCR model with a failing and a warning row. */
import type { ComparisonRow, GateReport, Verdict } from '../../src/types.js';

function row(
  metric: string,
  label: string,
  unit: ComparisonRow['unit'],
  baseline: number,
  current: number,
  band: ComparisonRow['band'],
): ComparisonRow {
  return {
    metric,
    label,
    unit,
    better: metric.startsWith('accuracy') || metric === 'throughput' ? 'higher' : 'lower',
    baseline,
    current,
    deltaAbs: current - baseline,
    deltaRel: (current - baseline) / Math.abs(baseline),
    band,
    reason: band === 'pass' ? '' : `${band} rule`,
  };
}

export function sampleReport(verdict: Verdict = 'fail', modelName = 'PP-OCRv4-rec'): GateReport {
  const rows = [
    row('accuracy.line', 'line accuracy', '%', 91.9, 90.8, verdict === 'fail' ? 'fail' : 'pass'),
    row('latency.p50', 'latency p50', 'ms', 4.21, 4.43, verdict === 'pass' ? 'pass' : 'warn'),
    row('throughput', 'throughput', '/s', 237, 226, 'pass'),
  ];
  return {
    gate: 'ppocr-rec',
    verdict,
    regressions: rows.filter((r) => r.band === 'fail').length,
    warnings: rows.filter((r) => r.band === 'warn').length,
    models: [
      {
        comparison: { model: modelName, verdict, reason: 'line accuracy dropped 1.1 pp', rows },
        metrics: { model: modelName, task: 'ocr-rec', samples: 20, iterations: 100, metrics: [] },
        run: {
          model: { name: modelName, format: 'onnx', files: [] },
          engine: { name: 'onnxruntime', version: '1.30.0', device: 'cpu', precision: 'fp32', options: {} },
          env: {},
          rounds: 4,
          iterations: 100,
          warmupIterations: 5,
          batchSize: 1,
        },
        baseline: { commit: 'a1b2c3d4e5', branch: 'develop', createdAt: '2026-01-01T00:00:00Z' },
      },
    ],
    warningsLog: [],
    startedAt: '2026-01-02T00:00:00Z',
    durationSeconds: 3,
  };
}
