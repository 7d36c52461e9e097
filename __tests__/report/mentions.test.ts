import { describe, expect, it } from 'vitest';
import { buildMessage, toMarkdown, toSlack } from '../../src/notify/message.js';
import { neutraliseMentions } from '../../src/report/mentions.js';
import { renderMarkdown } from '../../src/report/index.js';
import { sampleReport } from '../notify/report.js';
import { ocrMetrics, report } from './fixture.js';

const WJ = '\u2060';

/** `@login` / `@org/team` as GitHub reads them, after decoding entities (as GitHub does before it looks). */
function liveMentions(text: string): string[] {
  const decoded = text
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replaceAll('&commat;', '@');
  return [...decoded.matchAll(/(?:^|\W)@([A-Za-z0-9][A-Za-z0-9-]*(?:\/[A-Za-z0-9_.-]+)?)/g)].map((m) => m[1]!);
}

describe('neutraliseMentions', () => {
  it.each([
    ['@octocat', `@${WJ}octocat`],
    ['cc @paddle/maintainers.', `cc @${WJ}paddle/maintainers.`],
    ['&#64;octocat', `&#64;${WJ}octocat`],
    ['&#x40;octocat &#0064;x', `&#x40;${WJ}octocat &#0064;${WJ}x`],
    ['&commat;octocat', `&commat;${WJ}octocat`],
    ['mail a@b.com', `mail a@${WJ}b.com`],
    ['@@x', `@@${WJ}x`],
    ['@ alone, 1 @ 2', '@ alone, 1 @ 2'],
    ['&amp;#64;x', '&amp;#64;x'],
    ['识别 @张三', `识别 @${WJ}张三`],
  ])('%j → %j', (input, want) => {
    expect(neutraliseMentions(input)).toBe(want);
    expect(liveMentions(neutraliseMentions(input))).toEqual([]);
    // Idempotent: the boundary may see text that already passed through it.
    expect(neutraliseMentions(neutraliseMentions(input))).toBe(want);
    // What a reader sees is unchanged.
    expect(neutraliseMentions(input).replaceAll(WJ, '')).toBe(input);
  });
});

describe('the rendering boundaries', () => {
  const labels = { 'img_0.png': '@paddle/maintainers', 'img_1.png': 'ask @octocat' };
  const r = report(
    [
      {
        base: ocrMetrics({ wrong: 5, latencyScale: 1, gpuMb: null }),
        head: ocrMetrics({ wrong: 5, latencyScale: 1, gpuMb: null, labels }),
      },
    ],
    { warningsLog: ['engine said: ping @someone'] },
  );

  it.each(['en', 'zh'] as const)('the comment and summary (%s) show the labels but notify no one', (lang) => {
    const md = renderMarkdown(r, { lang, details: ['logs by @ci-bot'] });
    const visible = md.replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d))).replaceAll(WJ, '');
    expect(visible).toContain('| @paddle/maintainers |');
    expect(visible).toContain('ping @someone');
    expect(liveMentions(md)).toEqual([]);
    // A cut comment goes through the same boundary, and still fits.
    const cut = renderMarkdown(r, { lang, maxChars: 1500 });
    expect(cut.length).toBeLessThanOrEqual(1500);
    expect(liveMentions(cut)).toEqual([]);
  });

  it('alerts: model names, reasons and the PR title notify no one in any robot', () => {
    const rep = sampleReport('fail', '@paddle/ocr-team model');
    rep.models[0]!.comparison.rows[0]!.label = 'accuracy for @octocat';
    const message = buildMessage(rep, {
      lang: 'en',
      prUrl: 'https://github.com/paddle/ocr/pull/7',
      prTitle: 'Fix for @paddle/maintainers',
    });
    for (const text of [toMarkdown(message, 'en'), toSlack(message, 'en'), message.title]) {
      expect(liveMentions(text), text).toEqual([]);
    }
    expect(toMarkdown(message, 'en').replaceAll(WJ, '')).toContain('[Fix for @paddle/maintainers](https://github.com/paddle/ocr/pull/7)');
  });
});
