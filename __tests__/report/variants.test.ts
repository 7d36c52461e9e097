/** The comment with a model × variant matrix: each model's variants side by side, the reasons below. */
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/index.js';
import { ocrMetrics, report } from './fixture.js';

function matrix() {
  const base = ocrMetrics({ wrong: 80, latencyScale: 1, gpuMb: 1200 });
  const r = report([
    { base, head: ocrMetrics({ wrong: 80, latencyScale: 1, gpuMb: 1200 }) },
    { base, head: ocrMetrics({ wrong: 80, latencyScale: 1.3, gpuMb: 1200 }) },
    { base, head: ocrMetrics({ wrong: 80, latencyScale: 1, gpuMb: 1200 }) },
  ]);
  const labels = ['fp32', 'fp16', 'int8'];
  r.models.forEach((m, i) => {
    m.variant = { of: 'PP-OCRv4-rec', label: labels[i]! };
    m.comparison.model = `PP-OCRv4-rec[${labels[i]}]`;
  });
  return r;
}

describe('variants side by side', () => {
  it('one table per model: a column per variant, a row per metric, the failing cell and its reason', () => {
    const md = renderMarkdown(matrix());
    expect(md).toContain('**PP-OCRv4-rec** — 3 variants, side by side (this PR, change vs. its own baseline)');
    expect(md).toContain('| metric | fp32 ✅ | fp16 ❌ | int8 ✅ |');
    const p50 = md.split('\n').find((l) => l.startsWith('| latency p50 |'))!;
    const cells = p50.split(' | ').slice(1);
    expect(cells).toHaveLength(3);
    expect(cells[0]).toMatch(/^4\.21 ms · 0\.0 %.* ✅$/);
    expect(cells[1]).toMatch(/^5\.47 ms · \+30\.0 %.* ❌/);
    expect(md).toMatch(/^- ❌ fp16 · latency p50: .*> 10 %/m);
    // not the flat table: the model column is gone for the grouped model
    expect(md).not.toContain('| model | metric |');
  });

  it('Chinese words for the group title', () => {
    expect(renderMarkdown(matrix(), { lang: 'zh' })).toContain('**PP-OCRv4-rec** — 3 个变体并列');
  });

  it('a comment cut to its notable rows falls back to the flat table, which still names every variant', () => {
    const md = renderMarkdown(matrix(), { maxChars: 800 });
    expect(md).toContain('| model | metric |');
    expect(md).toContain('PP-OCRv4-rec&#91;fp16&#93;');
    expect(md.length).toBeLessThanOrEqual(800);
  });
});
