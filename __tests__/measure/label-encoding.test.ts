/**
 * OCR labels as PaddleOCR's label encoding sees them (ppocr/data/imaug/label_ops.py): characters
 * outside the dictionary are dropped before scoring, a label left empty is not scored, and the
 * report says how many were dropped.
 */
import { describe, expect, it } from 'vitest';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { measure } from '../../src/measure/index.js';
import { renderMarkdown } from '../../src/report/index.js';
import { RUN_SCHEMA, type GateReport, type RawOutput, type RunResult } from '../../src/types.js';

const ctc = (ids: number[]): RawOutput => ({ kind: 'ctc', ids, probs: ids.map(() => 0.9) });
const ids = ['a.png', 'b.png', 'c.png', 'd.png'];
const run: RunResult = {
  schema: RUN_SCHEMA,
  model: { name: 'rec', format: 'onnx', files: [] },
  engine: { name: 'onnxruntime', version: '1.30.0', device: 'cpu', precision: 'fp32', options: {} },
  env: {},
  timing: { warmupIterations: 1, batchSize: 1, rounds: [[1, 2]], measureSeconds: 1, startupSeconds: 0 },
  memory: { gpuIdleMb: null, gpu: null, rss: { iteration: [0], mb: [100] } },
  // predictions: 'ab', 'c', 'a', 'b'
  outputs: { ids, predictions: [ctc([1, 0, 2]), ctc([3]), ctc([1]), ctc([2])] },
};
// Dictionary a, b, c (+ the space class): '€' and 'é' are outside it.
const dataset: PreparedDataset = {
  dir: '/tmp/ds',
  hash: 'h',
  shape: [4, 3, 48, 320],
  ids,
  labels: ['a€b', 'c', 'é€', 'a'],
  dictionary: ['a', 'b', 'c'],
};

describe('label encoding as PaddleOCR', () => {
  it('drops characters outside the dictionary before scoring; a label left empty is not scored', () => {
    const m = measure(run, dataset, 'ocr-rec');
    const line = m.metrics.find((x) => x.id === 'accuracy.line')!;
    // 'a€b' → 'ab' (right), 'c' (right), 'é€' → nothing (not scored), 'a' vs 'b' (wrong)
    expect(line.perSample).toEqual({ ids: ['a.png', 'b.png', 'd.png'], ok: [1, 1, 0] });
    expect(line.value).toBeCloseTo(200 / 3, 10);
    expect(m.labelEncoding).toEqual({ characters: 3, lines: 2, emptied: 1 });
    expect(m.decoded![0]).toEqual({ id: 'a.png', label: 'ab', prediction: 'ab' });
  });

  it('a set whose labels all fit has no count', () => {
    expect(measure(run, { ...dataset, labels: ['ab', 'c', 'a', 'b'] }, 'ocr-rec').labelEncoding).toBeUndefined();
  });

  it('the report says how many were dropped, in both languages', () => {
    const metrics = measure(run, dataset, 'ocr-rec');
    const report: GateReport = {
      gate: 'g',
      verdict: 'no-baseline',
      regressions: 0,
      warnings: 0,
      models: [
        {
          comparison: { model: 'rec', verdict: 'no-baseline', reason: 'no baseline', rows: [] },
          metrics,
          run: { model: run.model, engine: run.engine, env: {}, rounds: 1, iterations: 2, warmupIterations: 1, batchSize: 1 },
        },
      ],
      warningsLog: [],
      startedAt: '2026-11-29T00:00:00.000Z',
      durationSeconds: 1,
    };
    expect(renderMarkdown(report)).toContain(
      '3 label characters outside the dictionary dropped before scoring, in 2 labels (1 left empty, not scored), as PaddleOCR’s label encoding does',
    );
    expect(renderMarkdown(report, { lang: 'zh' })).toContain('评分前删除了 2 条标注中字典外的 3 个字符（1 条因此为空，不计分）');
  });
});
