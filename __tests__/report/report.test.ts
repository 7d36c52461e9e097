import { describe, expect, it } from 'vitest';
import { commentMarker, escapeMarkdown, renderJson, renderMarkdown } from '../../src/report/index.js';
import { STRINGS } from '../../src/text/strings.js';
import { fmtNumber, fmtValue } from '../../src/text/format.js';
import type { GateReport } from '../../src/types.js';
import { ocrMetrics, report } from './fixture.js';

const base = ocrMetrics({ wrong: 81, latencyScale: 1, gpuMb: 1204 });
const head = ocrMetrics({ wrong: 92, latencyScale: 1.052, gpuMb: 1210 });

/** The table's data rows as arrays of cells. */
function rows(md: string): string[][] {
  return md
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('| ') && !l.startsWith('| model') && !l.startsWith('| 模型') && !l.startsWith('| sample') && !l.startsWith('| img'),
    )
    .map((l) => l.slice(2, -2).split(' | '));
}

describe('renderMarkdown', () => {
  const md = renderMarkdown(report([{ base, head }]), { marker: commentMarker('ppocr-rec') });

  it('the comment starts with the marker, then the verdict line naming the gate and the counts', () => {
    const lines = md.split('\n');
    expect(lines[0]).toBe('<!-- paddle-perf-gate:ppocr-rec -->');
    expect(lines[1]).toBe('### ❌ ppocr-rec — 1 regression, 2 warnings');
  });

  it('names the baseline and the environment', () => {
    expect(md).toContain(
      'Against baseline `a1b2c3d` (main, 2026-11-20), same environment: NVIDIA H100 80GB HBM3 · driver 580.65 · CUDA 12.6',
    );
    expect(md).toContain('image `sha256:4f2e9a1b2c3d…`');
    // two models promoted by the same commit seconds apart share one baseline line
    const two = report([
      { base, head },
      { base: { ...base, model: 'cls' }, head: { ...head, model: 'cls' } },
    ]);
    two.models[1]!.baseline = { commit: 'a1b2c3d4e5f6a7b8', branch: 'main', createdAt: '2026-11-20T10:00:07Z' };
    expect(renderMarkdown(two).match(/Against baseline/g)).toHaveLength(1);
  });

  it('one table, the model named once, units in every cell, the rule that fired', () => {
    expect(md).toContain('| model | metric | baseline | this PR | change | |');
    const r = rows(md);
    expect(r.map((c) => c[0])).toEqual(['PP-OCRv4-rec', '', '', '', '']);
    expect(r[0]).toEqual(['PP-OCRv4-rec', 'line accuracy', '91.90 %', '90.80 %', '−1.10 pp (p < 0.001)', '❌ drop > 0.5 pp']);
    expect(r[2]!.slice(1, 4)).toEqual(['latency p50', '4.21 ms', '4.43 ms']);
    expect(r[2]![4]).toMatch(/^\+5\.2 % \[\+\d\.\d, \+\d\.\d\]$/);
    expect(r[2]![5]).toBe('⚠️ 5–10 %');
    expect(r[3]!.slice(1, 4)).toEqual(['throughput', '238 /s', '226 /s']);
    expect(r[4]).toEqual(['', 'GPU memory, peak', '1,204 MB', '1,210 MB', '+6.0 MB', '✅ within 10 %']);
  });

  it('folds how it was measured and the wrong OCR lines into <details>', () => {
    expect(md).toContain('<details><summary>How this was measured</summary>');
    expect(md).toContain('warm-up 50 · 8 rounds × 100 iterations · batch 1 · fp16 · onnxruntime gpu · 1,000 samples');
    expect(md).toContain('<details><summary>Wrong predictions: PP-OCRv4-rec (5 of 92)</summary>');
  });

  it('no baseline: same table, empty baseline column, the first-run line', () => {
    const nb = renderMarkdown(report([{ head }]));
    expect(nb.split('\n')[0]).toBe('### 🆕 ppocr-rec — no baseline yet');
    expect(nb).toContain('no baseline yet — this run becomes the baseline when it lands on the default branch');
    const r = rows(nb);
    expect(r).toHaveLength(5);
    for (const c of r) expect(c[2]).toBe('');
    expect(r[0]!.slice(1, 4)).toEqual(['line accuracy', '', '90.80 %']);
  });

  it('incomparable: lists the differing fingerprint fields', () => {
    const r = report([{ base, head }]);
    Object.assign(r, { verdict: 'incomparable', regressions: 0, warnings: 0 });
    r.models[0]!.comparison = {
      model: 'PP-OCRv4-rec',
      verdict: 'incomparable',
      reason: 'environment differs',
      rows: [],
      differences: [
        { field: 'gpuName', baseline: 'NVIDIA A100', current: 'NVIDIA H100 80GB HBM3' },
        { field: 'cuda', baseline: '11.8', current: null },
      ],
    };
    const out = renderMarkdown(r);
    expect(out.split('\n')[0]).toBe('### 🚫 ppocr-rec — incomparable environment');
    // with the rows kept for information: numbers shown, no band
    const info = report([{ base, head }]);
    Object.assign(info, { verdict: 'incomparable', regressions: 0, warnings: 0 });
    info.models[0]!.comparison = {
      ...info.models[0]!.comparison,
      verdict: 'incomparable',
      differences: [{ field: 'cuda', baseline: '11.8', current: '12.6' }],
    };
    const infoRows = rows(renderMarkdown(info));
    expect(infoRows[0]).toEqual(['PP-OCRv4-rec', 'line accuracy', '91.90 %', '90.80 %', '−1.10 pp (p < 0.001)', '🚫 not judged']);
    expect(renderMarkdown(info)).not.toContain('❌');
    expect(out).toContain('- gpuName: baseline NVIDIA A100 → this run NVIDIA H100 80GB HBM3');
    expect(out).toContain('- cuda: baseline 11.8 → this run —');
    expect(out).not.toContain('same environment');
  });

  it('escapes names and OCR text: no table break, no live HTML', () => {
    const evil = ocrMetrics({
      wrong: 2,
      latencyScale: 1,
      gpuMb: null,
      name: 'a|b<script>alert(1)</script>',
      labels: { 'img_0.png': 'x|y <img src=x onerror=alert(1)>' },
    });
    const r = report([{ base: evil, head: evil }], { gate: 'g|<b>', warningsLog: ['line1\n| injected | row |'] });
    const out = renderMarkdown(r);
    expect(out).not.toMatch(/<script|<img|<b>/);
    expect(out).toContain('a&#124;b&lt;script>alert(1)&lt;/script>');
    expect(out).toContain('x&#124;y &lt;img src=x onerror=alert(1)>');
    expect(out).toContain('line1 &#124; injected &#124; row &#124;');
    // every table row still has its 6 cells
    for (const c of rows(out)) expect(c).toHaveLength(6);
    expect(commentMarker('g|<b>')).toBe('<!-- paddle-perf-gate:g|_b_ -->');
  });

  it('zh: fixed words translated, numbers formatted the same', () => {
    const zh = renderMarkdown(report([{ base, head }]), { lang: 'zh' });
    expect(zh.split('\n')[0]).toBe('### ❌ ppocr-rec — 1 项退化，2 项警告');
    expect(zh).toContain('| 模型 | 指标 | 基线 | 本 PR | 变化 | |');
    expect(zh).toContain('对比基线 `a1b2c3d`（main，2026-11-20），环境相同：');
    expect(zh).toContain('<details><summary>测量方式</summary>');
    const r = rows(zh);
    expect(r[0]).toEqual(['PP-OCRv4-rec', '行准确率', '91.90 %', '90.80 %', '−1.10 pp (p < 0.001)', '❌ 下降 > 0.5 pp']);
    expect(r[4]).toEqual(['', '显存峰值', '1,204 MB', '1,210 MB', '+6.0 MB', '✅ 在 10 % 以内']);
    expect(zh).not.toMatch(/\b(baseline|warning|regression|within|drop)\b/);
  });

  it('every string has both languages', () => {
    for (const [key, v] of Object.entries(STRINGS)) {
      expect(v.en, key).not.toBe('');
      expect(v.zh, key).not.toBe('');
      // placeholders match, so no language loses a number
      const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(ph(v.zh), key).toEqual(ph(v.en));
    }
  });
});

describe('latency trend (Mermaid, folded)', () => {
  const withTrend = (name: string, trend: Array<{ commit: string; value: number }>): GateReport => {
    const r = report([{ base, head: { ...head, model: name } }]);
    r.models[0]!.trend = trend;
    return r;
  };
  const trend = [
    { commit: 'a'.repeat(40), value: 14.8123 },
    { commit: 'b'.repeat(40), value: 15.1 },
    { commit: 'c'.repeat(40), value: 16.05 },
  ];

  it('a line chart of p50 over the baselines and this run, labelled by short commit', () => {
    const md = renderMarkdown(withTrend('PP-OCRv4-rec', trend));
    const block = md.slice(md.indexOf('<details><summary>Latency p50 trend'));
    expect(block).toContain('<details><summary>Latency p50 trend: PP-OCRv4-rec (last 2 baselines and this run)</summary>');
    expect(block).toContain(
      [
        '```mermaid',
        'xychart-beta',
        '  title "PP-OCRv4-rec latency p50 (ms)"',
        '  x-axis ["aaaaaaa", "bbbbbbb", "this run"]',
        '  y-axis "ms" 0 --> 18.5',
        '  line [14.81, 15.1, 16.05]',
        '```',
      ].join('\n'),
    );
    // zh: the fixed words translated
    expect(renderMarkdown(withTrend('m', trend), { lang: 'zh' })).toContain('x-axis ["aaaaaaa", "bbbbbbb", "本次"]');
  });

  it('a model name cannot break out of the chart or the summary', () => {
    const md = renderMarkdown(withTrend('m"]\n```\n<b>x</b>', trend));
    expect(md).toContain('  title "m        b x /b latency p50 (ms)"');
    expect(md.match(/```/g)).toHaveLength(2);
    expect(md).toContain('Latency p50 trend: m"&#93; &#96;&#96;&#96; &lt;b>x&lt;/b> (last 2 baselines and this run)');
    expect(md).not.toMatch(/<summary>[^<]*<b>/);
  });

  it('no chart with fewer than 2 baselines, and none when the comment is cut to fit', () => {
    expect(renderMarkdown(withTrend('m', trend.slice(1)))).not.toContain('mermaid');
    const full = renderMarkdown(withTrend('m', trend));
    expect(full).toContain('mermaid');
    // Cut to fit: the chart goes with the measurement details, before any table row.
    const measured = full.indexOf('<details><summary>How this was measured');
    const cut = renderMarkdown(withTrend('m', trend), { maxChars: full.indexOf('<details><summary>Latency p50 trend') + 200 });
    expect(measured).toBeGreaterThan(0);
    expect(cut).not.toContain('mermaid');
    expect(rows(cut).length).toBe(rows(full).length);
  });
});

describe('truncation under maxChars', () => {
  const many = Array.from({ length: 60 }, (_, i) => ({
    base: ocrMetrics({ wrong: 81, latencyScale: 1, gpuMb: 1204, name: `model-${i}` }),
    head: ocrMetrics({ wrong: i % 10 === 0 ? 92 : 81, latencyScale: 1, gpuMb: 1204, name: `model-${i}` }),
  }));
  const r = report(many, { warningsLog: Array.from({ length: 50 }, (_, i) => `warning ${i}`) });
  const marker = commentMarker('ppocr-rec');
  const full = renderMarkdown(r, { maxChars: 1e9, marker });

  it.each([
    { max: full.length, cut: false },
    { max: full.length - 1, cut: true, keeps: /<details><summary>How this was measured/ },
    { max: 8_000, cut: true, passing: true },
    { max: 900, cut: true, rows: true },
    { max: 300, cut: true },
  ])('maxChars $max', ({ max, cut, keeps, passing, rows: rowsCut }) => {
    const out = renderMarkdown(r, { maxChars: max, marker });
    expect(out.length).toBeLessThanOrEqual(max);
    expect(out.startsWith('<!-- paddle-perf-gate:ppocr-rec -->')).toBe(true);
    if (!cut) return expect(out).toBe(full);
    expect(out).toMatch(/✂️ Cut to fit [\d,]+ characters/);
    if (keeps) expect(out).toMatch(keeps);
    if (passing) {
      expect(out).toMatch(/\d+ passing rows left out/);
      expect(out).toContain('❌ drop > 0.5 pp'); // regressions are kept
      expect(out).not.toContain('✅');
    }
    if (rowsCut) expect(out).toMatch(/\d+ rows left out/);
  });

  it('the default limit keeps a comment under GitHub’s 65,536 characters', () => {
    const huge = report(many, { warningsLog: Array.from({ length: 3000 }, (_, i) => `warning number ${i} from the engine log`) });
    const out = renderMarkdown(huge);
    expect(out.length).toBeLessThanOrEqual(65_000);
    expect(out).toContain('✂️');
  });
});

describe('escapeMarkdown', () => {
  it.each([
    ['a|b', 'a&#124;b'],
    ['<script>', '&lt;script>'],
    ['R&D', 'R&amp;D'],
    ['`code`', '&#96;code&#96;'],
    ['*b* _i_', '&#42;b&#42; &#95;i&#95;'],
    ['[link](x)', '&#91;link&#93;(x)'],
    ['two\nlines\r\nhere', 'two lines here'],
    ['\\|', '&#92;&#124;'],
    ['@octocat', '@octocat'],
    ['中文 识别', '中文 识别'],
  ])('%j → %j', (input, want) => expect(escapeMarkdown(input)).toBe(want));
});

describe('number formatting (same in every language)', () => {
  it.each([
    [fmtNumber(1234567.891, 2), '1,234,567.89'],
    [fmtNumber(-0.0001, 2), '0.00'],
    [fmtNumber(-12.5, 1), '−12.5'],
    [fmtValue(4.2123, 'ms'), '4.21 ms'],
    [fmtValue(0.53219, 'ms'), '0.532 ms'],
    [fmtValue(0.041234, 'ms'), '0.0412 ms'],
    [fmtValue(123.456, 'ms'), '123.5 ms'],
    [fmtValue(1204.4, 'MB'), '1,204 MB'],
    [fmtValue(236.8, '/s'), '237 /s'],
    [fmtValue(91.9, '%'), '91.90 %'],
  ])('%s = %s', (got, want) => expect(got).toBe(want));
});

describe('renderJson', () => {
  it('round-trips the report; non-finite numbers become null', () => {
    const r: GateReport = report([{ base, head }]);
    const back = JSON.parse(renderJson(r)) as GateReport;
    expect(back).toEqual(JSON.parse(JSON.stringify(r)));
    expect(back.models[0]!.comparison.rows[0]!.reason).toBe('drop > 0.5 pp');
    const odd = report([{ base, head }]);
    odd.models[0]!.metrics.metrics[0]!.value = Number.NaN;
    expect((JSON.parse(renderJson(odd)) as GateReport).models[0]!.metrics.metrics[0]!.value).toBeNull();
  });
});
