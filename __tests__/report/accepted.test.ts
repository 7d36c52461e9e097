/**
 * The comment of an accepted regression (issue 15), in English and Chinese: the verdict line, the
 * row's ✅ with who and why, the acceptance lines (given, stale, refused), and the records hidden
 * in the comment for the next run — read back exactly, and inert whatever a reason says.
 */
import { describe, expect, it } from 'vitest';
import { rejudge } from '../../src/gate.js';
import { recordsFromComment } from '../../src/github/accept.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { commentMarker, renderMarkdown } from '../../src/report/index.js';
import type { AcceptanceRecord, AcceptanceState } from '../../src/types.js';
import { ocrMetrics, report } from './fixture.js';

const plan = { thresholds: { ...DEFAULT_THRESHOLDS }, failOn: ['fail' as const] };
// 3 % more lines wrong: line accuracy −3 pp, a regression.
const regressed = report([
  { base: ocrMetrics({ wrong: 81, latencyScale: 1, gpuMb: 1200 }), head: ocrMetrics({ wrong: 111, latencyScale: 1, gpuMb: 1200 }) },
]);

function record(over: Partial<AcceptanceRecord> = {}): AcceptanceRecord {
  return {
    by: 'maint',
    at: '2026-11-29T10:05:00Z',
    reason: 'bigger head --> better recall',
    via: 'comment',
    sha: 'aaaa1111',
    pr: 7,
    metrics: ['accuracy'],
    rows: [],
    ...over,
  };
}

function state(records: AcceptanceRecord[], head = 'aaaa1111', refused: AcceptanceState['refused'] = []): AcceptanceState {
  return { pr: 7, head, records, refused };
}

describe('the comment of an accepted regression', () => {
  it('English: ✅ verdict line, the row says who and why, the acceptance line names head and reason', () => {
    const { report: judged, failed } = rejudge(regressed, plan, state([record()]));
    expect(failed).toBe(false);
    expect(judged.verdict).toBe('accepted');
    const md = renderMarkdown(judged, { lang: 'en', marker: commentMarker('ppocr-rec') });
    expect(md).toMatch(/^### ✅ ppocr-rec — regression accepted · 1 accepted, 0 regressions, 0 warnings$/m);
    expect(md).toMatch(/\| line accuracy \|.*\| ✅ drop > 0\.5 pp.*; accepted by @\u2060maint: bigger head --> better recall \|/);
    expect(md).toContain(
      '- ✅ Accepted by @\u2060maint (comment, 2026-11-29 10:05) for `aaaa111`: bigger head --> better recall — metrics: accuracy',
    );
  });

  it('简体中文: the same facts in Chinese', () => {
    const { report: judged } = rejudge(regressed, plan, state([record()]));
    const md = renderMarkdown(judged, { lang: 'zh' });
    expect(md).toMatch(/^### ✅ ppocr-rec — 退化已接受 · 1 项已接受，0 项退化，0 项警告$/m);
    expect(md).toContain('已由 @\u2060maint 接受：bigger head --> better recall');
    expect(md).toContain('由 @\u2060maint 接受（评论，2026-11-29 10:05），针对 `aaaa111`：bigger head --> better recall —— 指标：accuracy');
  });

  it('a refusal and a stale acceptance are said, and the gate still fails', () => {
    const stale = record({ sha: 'bbbb2222', rows: [{ model: 'PP-OCRv4-rec', metric: 'accuracy.line', deltaAbs: -1, deltaRel: -0.01 }] });
    const refused = [
      { by: 'reader', via: 'label' as const, why: { key: 'accept.why.permission', args: { by: '@reader', permission: 'read' } } },
    ];
    const { report: judged, failed } = rejudge(regressed, plan, state([stale], 'cccc3333', refused));
    expect(failed).toBe(true);
    const en = renderMarkdown(judged, { lang: 'en' });
    expect(en).toContain(
      '- ❌ The acceptance by @\u2060maint was given for `bbbb222`; this head (`cccc333`) regresses further, so it needs a new acceptance.',
    );
    expect(en).toContain(
      '- ⛔ Acceptance by @\u2060reader (label) not counted: @\u2060reader has read permission on this repository; write, maintain or admin is needed',
    );
    const zh = renderMarkdown(judged, { lang: 'zh' });
    expect(zh).toContain('@\u2060reader 的接受（标签）未被计入：@\u2060reader 对本仓库的权限是 read；需要 write、maintain 或 admin');
  });

  it('the records ride hidden in the comment and come back exactly; the hidden line cannot be ended by a reason', () => {
    const { report: judged } = rejudge(regressed, plan, state([record()]));
    const md = renderMarkdown(judged, { lang: 'en', marker: commentMarker('ppocr-rec') });
    const hidden = md.split('\n')[1]!;
    expect(hidden).toMatch(/^<!-- paddle-perf-gate:acceptance [A-Za-z0-9+/=]+ -->$/);
    expect(recordsFromComment(md, commentMarker('ppocr-rec'))).toEqual(judged.acceptance!.records);
    // Only from the line right after the marker: the same line anywhere else is no record.
    expect(recordsFromComment(md.replace(hidden, `### moved\n${hidden}`), commentMarker('ppocr-rec'))).toEqual([]);
    expect(recordsFromComment(md, commentMarker('other-gate'))).toEqual([]);
    expect(judged.acceptance!.records[0]!.rows).toEqual([
      { model: 'PP-OCRv4-rec', metric: 'accuracy.line', unit: '%', deltaAbs: expect.closeTo(-3, 6), deltaRel: expect.any(Number) },
    ]);
    // Not in the job summary or the report file (no marker there).
    expect(renderMarkdown(judged, { lang: 'en' })).not.toContain('paddle-perf-gate:acceptance');
    // A damaged hidden line reads as no records, never as a crash.
    expect(recordsFromComment(md.replace(/acceptance [A-Za-z0-9]/, 'acceptance %'), commentMarker('ppocr-rec'))).toEqual([]);
  });
});
