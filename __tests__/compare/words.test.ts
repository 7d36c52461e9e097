/**
 * The words a newcomer tripped over in the demo (issue 14), each checked on what a user reads:
 * the real compare/ judges, the real report/ and notify/ render.
 */
import { describe, expect, it } from 'vitest';
import { compareModel as judgeKeys, gateVerdict } from '../../src/compare/index.js';
import { describe as inWords } from '../../src/text/index.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { buildMessage } from '../../src/notify/message.js';
import { renderMarkdown } from '../../src/report/index.js';
import type { MetricValue, ModelMetrics } from '../../src/types.js';
import { ocrMetrics, report } from '../report/fixture.js';

/** compare/ says why in keys; what a user reads is text/'s English (the gate writes it the same way). */
const compareModel = (...args: Parameters<typeof judgeKeys>) => inWords(judgeKeys(...args));

const TH = { ...DEFAULT_THRESHOLDS };
const BASE = [10, 10.1, 9.9, 10, 10.05, 9.95, 10.02, 9.98];

function lat(rounds: number[], id = 'latency.p50'): MetricValue {
  const sorted = [...rounds].sort((a, b) => a - b);
  const med = (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2;
  return { id, label: id, unit: 'ms', better: 'lower', value: med, rounds };
}
const model = (metrics: MetricValue[]): ModelMetrics => ({ model: 'm', task: 'ocr-rec', samples: 100, iterations: 100, metrics });

describe('an interval wholly on the good side is an improvement, whatever the stability', () => {
  // This run's last three round medians differ by 30 %: unstable by the perf_analyzer window.
  const fast = [3.5, 3.6, 3.4, 3.5, 3.5, 3.5, 4.55, 3.5];

  it('a clear speed-up with unstable rounds passes as an improvement, not inconclusive', () => {
    const c = compareModel(model([lat(BASE)]), model([lat(fast)]), TH);
    const row = c.rows[0]!;
    expect(row.interval!.hi).toBeLessThan(0);
    expect(row.band).toBe('pass');
    expect(row.reason).toBe('improvement');
    expect(c.verdict).toBe('pass');
  });

  it('so fail-on: inconclusive does not fail an obvious speed-up', () => {
    const c = compareModel(model([lat(BASE)]), model([lat(fast)]), TH);
    expect(gateVerdict([c], ['fail', 'inconclusive']).failed).toBe(false);
  });

  it('a slowdown with the same unstable rounds stays inconclusive (the machine could explain it)', () => {
    const slow = [10.2, 10.3, 10.1, 10.2, 10.2, 10.2, 13.3, 10.2];
    const c = compareModel(model([lat(BASE)]), model([lat(slow)]), TH);
    expect(c.rows[0]!.band).toBe('inconclusive');
    expect(gateVerdict([c], ['fail', 'inconclusive']).failed).toBe(true);
  });
});

describe('the unstable-rounds reason in Chinese has no English in it', () => {
  it.each([
    ['this run', [10, 10.1, 9.9, 10, 10.05, 9.95, 13, 10.2], BASE, '轮次不稳定（本次）'],
    ['the baseline', BASE.map((x) => x * 1.02), [10, 10.1, 9.9, 10, 10.05, 9.95, 13, 10.2], '轮次不稳定（基线）'],
  ])('unstable in %s', (_side, head, base, words) => {
    const r = report([{ base: model([lat(base)]), head: model([lat(head)]) }]);
    expect(r.models[0]!.comparison.rows[0]!.band).toBe('inconclusive');
    const zh = renderMarkdown(r, { lang: 'zh' });
    const cell = zh.split('\n').find((l) => l.startsWith('|') && l.includes('❔'))!;
    expect(cell).toContain(words);
    expect(cell).not.toMatch(/this run|baseline|rounds|unstable/);
  });
});

describe('the headline counts each verdict as itself and names the worst actionable one', () => {
  it('only inconclusive rows: no "warnings" counted for them', () => {
    const noisy = [10, 10.1, 9.9, 10, 10.05, 9.95, 13, 10.2];
    const r = report([{ base: model([lat(BASE), lat(BASE, 'latency.p90')]), head: model([lat(noisy), lat(noisy, 'latency.p90')]) }]);
    const head = renderMarkdown(r).split('\n')[0]!;
    expect(head).toBe('### ❔ ppocr-rec — inconclusive · 0 regressions, 0 warnings, 2 inconclusive');
    expect(buildMessage(r, { lang: 'en' }).title).toBe('❔ ppocr-rec: inconclusive (0 regressions, 0 warnings, 2 inconclusive)');
    expect(buildMessage(r, { lang: 'zh' }).title).toBe('❔ ppocr-rec: 不确定 (0 项退化，0 项警告，2 项不确定)');
  });

  it('a warning on p50 beside an inconclusive p99 reads as a warning, not as inconclusive', () => {
    const p50 = BASE.map((x) => x * 1.07);
    const p99Base = [20, 26, 21, 29, 20, 27, 22, 30];
    const p99Head = [20, 31, 19, 36, 21, 29, 20, 33];
    const c = compareModel(model([lat(BASE), lat(p99Base, 'latency.p99')]), model([lat(p50), lat(p99Head, 'latency.p99')]), TH);
    expect(c.rows.map((r) => r.band)).toEqual(['warn', 'inconclusive']);
    const r = report([{ base: model([]), head: model([]), comparison: c }]);
    expect(r.verdict).toBe('warn');
    expect(renderMarkdown(r).split('\n')[0]).toBe('### ⚠️ ppocr-rec — 0 regressions, 1 warning, 1 inconclusive');
  });
});

describe('memory growth says what was measured, and why not', () => {
  const growth = (v: number, lo: number, hi: number): MetricValue => ({
    id: 'memory.rss.growth',
    label: 'RSS, growth',
    unit: 'MB/1k',
    better: 'lower',
    value: v,
    interval: [lo, hi],
  });
  const peak = (v: number): MetricValue => ({ id: 'memory.rss.peak', label: 'RSS, peak', unit: 'MB', better: 'lower', value: v });

  it('a slope above the level whose interval reaches below it: "no leak shown", with the interval', () => {
    const c = compareModel(undefined, model([growth(55.75, -486.81, 598.31)]), TH);
    expect(c.rows[0]!.reason).toBe('no leak shown: the slope’s 95 % interval −486.81 MB/1k … 598.31 MB/1k reaches below 1 MB/1k');
  });

  it('too few memory samples for a slope: "not measured" says so', () => {
    const c = compareModel(model([peak(280), growth(0.1, -0.2, 0.4)]), model([peak(290)]), TH);
    const row = c.rows.find((r) => r.metric === 'memory.rss.growth')!;
    expect(row.band).toBe('missing');
    expect(row.reason).toBe('not measured in this run: too few memory samples for a growth figure (≥ 9 needed)');
    const zh = renderMarkdown(report([{ base: model([]), head: model([]), comparison: c }]), { lang: 'zh' });
    expect(zh).toContain('本次运行未测得：内存采样过少，无法计算增长（至少需要 9 个）');
  });

  it('no memory samples at all: "not measured" says that instead', () => {
    const c = compareModel(model([peak(280), growth(0.1, -0.2, 0.4)]), model([lat(BASE)]), TH);
    expect(c.rows.find((r) => r.metric === 'memory.rss.growth')!.reason).toBe('not measured in this run: no memory samples');
  });
});

describe('"confirmed" belongs to the A/B pairs alone', () => {
  it('a stored-only pass whose interval reaches back to no change says "no slowdown shown"', () => {
    const c = compareModel(model([lat(BASE)]), model([lat(BASE.map((x) => x * 1.04))]), TH);
    const row = c.rows[0]!;
    expect(row.band).toBe('pass');
    expect(row.reason).toMatch(/^no slowdown shown: interval reaches −\d\.\d %$/);
    expect(renderMarkdown(report([{ base: model([]), head: model([]), comparison: c }]))).not.toMatch(/confirm/i);
  });
});

describe('a promoted first run', () => {
  const m = ocrMetrics({ wrong: 10, latencyScale: 1, gpuMb: null });
  it('says it is the baseline now, and says "promoted" once', () => {
    const r = report([{ head: m }], { promotion: { done: true, message: 'promoted abc123 (main) as the baseline in file:///b' } });
    const md = renderMarkdown(r);
    expect(md).toContain('no baseline yet — this run is now the baseline');
    expect(md).not.toContain('when it lands on the default branch');
    expect(md.match(/promoted/g)).toHaveLength(1);
    expect(renderMarkdown(r, { lang: 'zh' })).toContain('尚无基线 —— 本次运行已成为基线');
  });
  it('not promoted: still the first-run line', () => {
    const md = renderMarkdown(report([{ head: m }]));
    expect(md).toContain('no baseline yet — this run becomes the baseline when it lands on the default branch');
  });
});

describe('the report without a marker option starts with the verdict line', () => {
  it('the job summary, the report file and the CLI output do not start with the hidden marker', () => {
    const md = renderMarkdown(report([{ head: ocrMetrics({ wrong: 10, latencyScale: 1, gpuMb: null }) }]));
    expect(md.startsWith('### ')).toBe(true);
    expect(md).not.toContain('<!--');
    expect(renderMarkdown(report([{ head: ocrMetrics({ wrong: 10, latencyScale: 1, gpuMb: null }) }]), { marker: '<!-- x -->' })).toMatch(
      /^<!-- x -->\n### /,
    );
  });
});

describe('judging says why in keys and raw numbers; text/ writes the words in either language', () => {
  it('a row carries its reason as a key with raw numbers, and report.json keeps the English words', () => {
    const c = judgeKeys(model([lat(BASE)]), model([lat(BASE.map((x) => x * 1.5))]), TH);
    const row = c.rows[0]!;
    expect(row.reason).toBe('');
    expect(row.reasonParts).toEqual([
      {
        key: 'reason.intervalOver',
        args: { level: { level: TH['latency.p50']!.fail, unit: 'ms' }, lo: { rel: row.interval!.lo }, hi: { rel: row.interval!.hi } },
      },
    ]);
    expect(inWords(c).rows[0]!.reason).toMatch(/^whole interval > 10 %: \+\d+\.\d % … \+\d+\.\d %$/);
    expect(inWords(c).reason).toMatch(/^1 regressed: latency\.p50 \(whole interval > 10 %/);
  });

  it('the alert says a model’s reason in the alert’s language', () => {
    const noisy = [10, 10.1, 9.9, 10, 10.05, 9.95, 13, 10.2];
    const r = report([{ base: model([lat(BASE)]), head: model([lat(noisy)]) }]);
    const zh = buildMessage(r, { lang: 'zh' });
    expect(zh.items).toEqual([expect.stringMatching(/^❔ m: 1 项不确定：延迟 p50 轮次不稳定（本次）：最后 3 轮中位数相差 \d+\.\d %/)]);
    expect(zh.items.join('')).not.toMatch(/[A-Za-z]{3,}/);
  });
});
