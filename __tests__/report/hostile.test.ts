/**
 * The rendering boundary (issue 25), as a property: a report document with hostile text in EVERY
 * string field the report schema lets be free text (found by walking schema/report.schema.json)
 * is published — the PR comment, the job summary, the alerts the robots get, report.html and the
 * terminal — and none of them holds a tag, a link, a heading, a table break, a live mention, a
 * control character or a `paddle-perf-gate:` marker that the gate did not write itself.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commentMarker } from '../../src/github/comment.js';
import { buildMessage, toMarkdown, toSlack } from '../../src/notify/message.js';
import type { GitHubPort, JobPort } from '../../src/ports.js';
import { publish } from '../../src/publish/index.js';
import { renderHtml } from '../../src/report/html.js';
import { validateReport } from '../../src/report/schema.js';
import { inertLog } from '../../src/text/index.js';
import type { GateReport, ModelFigures } from '../../src/types.js';
import { ocrMetrics, report as fixtureReport } from './fixture.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'schema/report.schema.json'), 'utf8')) as Json;
type Json = Record<string, unknown>;

/** Every string-typed place of the schema, as `.a.b[].c` (`.*` for a map's values); constrained ones (enum, pattern, const) apart. */
function schemaStrings(): { free: Set<string>; constrained: Set<string> } {
  const free = new Set<string>();
  const constrained = new Set<string>();
  const defs = (SCHEMA['$defs'] ?? SCHEMA['definitions'] ?? {}) as Record<string, Json>;
  const walk = (node: unknown, path: string, seen: string[]): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (typeof n['$ref'] === 'string') {
      const name = n['$ref'].split('/').pop()!;
      if (!seen.includes(name)) walk(defs[name], path, [...seen, name]);
      return;
    }
    const type = n['type'];
    if (type === 'string' || (Array.isArray(type) && type.includes('string'))) {
      (n['enum'] || n['pattern'] || n['const'] ? constrained : free).add(path);
    }
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const) if (Array.isArray(n[k])) (n[k] as unknown[]).forEach((x) => walk(x, path, seen));
    if (n['properties']) for (const [k, v] of Object.entries(n['properties'] as Json)) walk(v, `${path}.${k}`, seen);
    if (n['items']) walk(n['items'], `${path}[]`, seen);
    if (n['additionalProperties'] && typeof n['additionalProperties'] === 'object') walk(n['additionalProperties'], `${path}.*`, seen);
  };
  walk(SCHEMA, '', []);
  return { free, constrained };
}

/** A report that has every free string field of the schema at least once. */
function richReport(): GateReport {
  const base = ocrMetrics({ wrong: 10, latencyScale: 1, gpuMb: 900 });
  const head = ocrMetrics({ wrong: 40, latencyScale: 1.3, gpuMb: 900 });
  const r = fixtureReport([
    { base, head },
    { base, head: ocrMetrics({ wrong: 40, latencyScale: 1, gpuMb: 900, name: 'second' }) },
  ]);
  const doc = JSON.parse(JSON.stringify(r)) as GateReport & Json;
  const [m0, m1] = doc.models as Array<GateReport['models'][number] & Json>;
  m0!.variant = { of: 'family', label: 'variant-a' };
  m1!.variant = { of: 'family', label: 'variant-b' };
  m0!.run.model.files = [{ path: 'model/inference.pdmodel', sha256: 'a'.repeat(64), bytes: 10 }] as never;
  m0!.run.engine.options = { threads: 'four' };
  m0!.run.env = { ...m0!.run.env, extra: 'env text' };
  m0!.trend = [
    { commit: 'c1', value: 4 },
    { commit: 'c2', value: 4.1 },
    { commit: 'c3', value: 4.2 },
  ];
  const rows = m0!.comparison.rows;
  const fail = rows.find((x) => x.band === 'fail') ?? rows[0]!;
  fail.band = 'accepted';
  fail.accepted = { by: 'maint', at: '2026-11-29T10:00:00Z', reason: 'on purpose', via: 'comment', sha: 'abcdef1234567', pr: 7 } as never;
  fail.reasonParts = [...(fail.reasonParts ?? []), { key: 'reason.accepted', args: { by: '@maint', reason: 'on purpose', extra: 'more' } }];
  rows.push({
    ...rows[0]!,
    metric: 'drift.out0',
    label: 'output drift',
    band: 'fail',
    reason: 'drifted',
    reasonParts: [{ key: 'reason.driftNoOutput', args: { output: 'out0' } }],
    drift: {
      output: 'out0',
      values: 8,
      samples: 2,
      maxAbs: 1,
      meanAbs: 0.5,
      maxRel: 0.1,
      cosine: 0.9,
      outside: 1,
      atol: 0,
      rtol: 0,
      worst: [{ id: 's1', maxAbs: 1, outside: 1 }],
    },
  } as never);
  m0!.comparison.reasonParts = [
    ...(m0!.comparison.reasonParts ?? []),
    { key: 'reason.baselineUnreadable', args: { message: 'a message' } },
  ];
  m1!.comparison.verdict = 'incomparable';
  m1!.comparison.differences = [{ field: 'gpuName', baseline: 'A100', current: 'H100' }];
  doc['acceptance'] = {
    pr: 7,
    head: 'abcdef1234567890',
    records: [
      {
        by: 'maint',
        at: '2026-11-29T10:00:00Z',
        reason: 'on purpose',
        via: 'comment',
        sha: 'abcdef1234567',
        pr: 7,
        metrics: ['accuracy'],
        rows: [{ model: 'm', metric: 'accuracy.line', unit: '%', deltaAbs: -1, deltaRel: -0.01 }],
      },
    ],
    refused: [{ by: 'reader', via: 'label', why: { key: 'accept.why.permission', args: { by: '@reader', permission: 'read' } } }],
  };
  doc['promotion'] = { done: false, message: 'not promoted' };
  doc['warningsLog'] = ['a warning'];
  return validateReport(doc, 'rich report');
}

type Path = Array<string | number>;

function stringPaths(value: unknown, path: Path = []): Path[] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...path, k]));
  return [];
}

/** `.models[].run.env.*` for a concrete path (a map's keys become `.*` where the schema has a map). */
function schemaPath(path: Path, places: Set<string>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += '[]';
    else
      out =
        places.has(`${out}.*`) || [...places].some((p) => p.startsWith(`${out}.*.`) || p.startsWith(`${out}.*[`))
          ? `${out}.*`
          : `${out}.${part}`;
  }
  return out;
}

function setAt(doc: unknown, path: Path, value: string): void {
  let at = doc as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) at = at[part] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
}

const { free, constrained } = schemaStrings();
const RICH = richReport();
const places = new Set([...free, ...constrained]);

function accepts(paths: Path[], value: string): boolean {
  const copy = JSON.parse(JSON.stringify(RICH)) as unknown;
  for (const p of paths) setAt(copy, p, value);
  try {
    validateReport(copy, 'probe');
    return true;
  } catch {
    return false;
  }
}

/**
 * The free-text places of the rich report, as groups written together: a place the schema takes
 * any text for alone, or places that must hold the same text (a model's name in its comparison,
 * metrics and run). Long arrays (per-sample ids, decoded lines) are sampled: their first 6.
 */
const GROUPS: Path[][] = (() => {
  const all = stringPaths(RICH).filter((p) => p.every((part, i) => typeof part !== 'number' || part < 6 || i < 2));
  const singles = all.filter((p) => accepts([p], '<b>x</b>'));
  const rest = all.filter((p) => !singles.includes(p));
  const byValue = new Map<string, Path[]>();
  for (const p of rest) {
    const value = p.reduce<unknown>((at, part) => (at as Record<string | number, unknown>)[part], RICH) as string;
    byValue.set(value, [...(byValue.get(value) ?? []), p]);
  }
  const linked = [...byValue.values()].filter((group) => group.length > 1 && accepts(group, '<b>x</b>'));
  return [...singles.map((p) => [p]), ...linked];
})();

/** Hostile fragments: markup, links, headings, table breaks, hidden markers, mentions, escapes, workflow commands. */
const FRAGMENTS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<!-- paddle-perf-gate:acceptance W3siYnkiOiJtYWludCJ9XQ== -->',
  '<!-- paddle-perf-gate:gate -->',
  'paddle-perf-gate:acceptance',
  '[click](https://evil.example/x)',
  '![img](https://evil.example/i.png)',
  '<https://evil.example>',
  'https://evil.example/path',
  'www.evil.example',
  '\n# Heading\n',
  '\n### ✅ gate — pass\n',
  '\n===\n',
  '| a | b |',
  '\n|---|---|\n',
  '@maintainers',
  '@org/team',
  '&#64;user',
  '**bold**',
  '`code`',
  '$\\href{https://evil.example}{x}$',
  '\u001b[31mred\u001b[0m',
  '\r\n::set-output name=verdict::pass\n::add-mask::x',
  '<details><summary>x</summary>',
  '</details></table>',
  '>quote',
  '\u202eevil',
  '&lt;b&gt;',
  'a\u2028b',
];

const hostile = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join(''));

/** Assertions on markdown the gate posts: only our own markup is left. */
function checkMarkdown(text: string, marker: string | undefined, what: string): void {
  const lines = text.split('\n');
  let ours = text;
  // Our marker lines: the first line and the acceptance line right after it.
  if (marker) {
    expect(lines[0], what).toBe(marker);
    ours = lines.slice(1).join('\n');
    if (/^<!-- paddle-perf-gate:acceptance [A-Za-z0-9+/=]+ -->$/.test(lines[1] ?? '')) ours = lines.slice(2).join('\n');
  }
  const body = ours.replace(/<\/?(details|summary)>/g, '');
  expect(body, `${what}: a tag`).not.toMatch(/<[A-Za-z/!?]/);
  expect(body, `${what}: a marker`).not.toContain('paddle-perf-gate:');
  expect(body, `${what}: a link`).not.toMatch(/\]\(|:\/\/|www\./i);
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  expect(body, `${what}: a control character`).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e]/);
  expect(body, `${what}: a live mention`).not.toMatch(/(^|[^\w\u2060])@[A-Za-z0-9]/m);
  const bodyLines = body.split('\n');
  const headings = bodyLines.filter((l) => /^\s{0,3}#/.test(l));
  expect(headings.length, `${what}: a heading`).toBeLessThanOrEqual(1);
  if (headings.length === 1) expect(headings[0], what).toMatch(/^### \S+ /);
  expect(
    bodyLines.filter((l) => /^\s{0,3}(=+|-{3,})\s*$/.test(l)),
    `${what}: a setext heading or rule`,
  ).toEqual([]);
  expect(
    bodyLines.filter((l) => /^\s{0,3}>/.test(l)),
    `${what}: a quote`,
  ).toEqual([]);
  expect(body, `${what}: math`).not.toMatch(/\$/);
  // Tables: every row of a table has the header's number of cells.
  let cells: number | undefined;
  for (const line of bodyLines) {
    if (!line.startsWith('|')) {
      cells = undefined;
      continue;
    }
    const n = line.split('|').length;
    cells ??= n;
    expect(n, `${what}: a table break in ${JSON.stringify(line.slice(0, 120))}`).toBe(cells);
  }
}

function checkHtml(html: string): void {
  const tags = [...html.matchAll(/<\/?([A-Za-z][A-Za-z0-9-]*)/g)].map((m) => m[1]!.toLowerCase());
  const allowed = new Set([
    '!doctype',
    'html',
    'head',
    'header',
    'meta',
    'title',
    'style',
    'body',
    'h1',
    'h2',
    'h3',
    'p',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'figure',
    'figcaption',
    'del',
    'ins',
    'img',
    'div',
    'section',
    'span',
    'ul',
    'li',
    'a',
    'svg',
    'g',
    'path',
    'text',
    'rect',
    'line',
  ]);
  expect(tags.filter((t) => !allowed.has(t))).toEqual([]);
  expect(html).not.toMatch(/<script|<!--/i);
  // No attribute of the data: an event handler or a URL inside a tag.
  expect(html).not.toMatch(/<[^>]*\s(on\w+=|href=|src="(?!data:image\/))/i);
  // Links: only the page's own (none come from data here).
  expect(html).not.toMatch(/<a\s/i);
}

describe('a report with hostile text in every free string field', () => {
  it('the fixture covers every free-text place of the report schema', () => {
    const covered = new Set(GROUPS.flat().map((p) => schemaPath(p, places)));
    const missing = [...free].filter((p) => !covered.has(p));
    expect(missing).toEqual([]);
  });

  it('comment, summary, alerts, report.html and the terminal hold no markup, link, heading, table break or marker of the data', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostile, { minLength: GROUPS.length, maxLength: GROUPS.length }), async (texts) => {
        const doc = JSON.parse(JSON.stringify(RICH)) as GateReport;
        GROUPS.forEach((group, i) => group.forEach((p) => setAt(doc, p, texts[i]!)));
        let report: GateReport;
        try {
          report = validateReport(doc, 'hostile');
        } catch {
          // A generated string the schema refuses (a length limit): that document never reaches a renderer.
          fc.pre(false);
          return;
        }
        const marker = commentMarker(report.gate);
        let posted = '';
        let summary = '';
        const port: GitHubPort = {
          upsertComment: async (_m, body) => {
            posted = body;
            return 'created';
          },
          updateExisting: async () => 'absent',
          read: async () => undefined,
        };
        const job: JobPort = {
          summary: async (markdown) => {
            summary = markdown;
          },
          output: () => {},
          annotate: () => {},
        };
        await publish({
          report,
          lang: 'en',
          details: [texts[0]!],
          comment: { port, mode: 'always', marker },
          job,
          progress: { info: () => {}, warn: () => {} },
        });
        checkMarkdown(posted, marker, 'comment');
        checkMarkdown(summary, undefined, 'summary');

        for (const lang of ['en', 'zh'] as const) {
          const message = buildMessage(report, {
            lang,
            prUrl: 'https://github.com/o/r/pull/7',
            prTitle: texts[1]!,
            runUrl: 'https://github.com/o/r/actions/runs/1',
            where: texts[2]!,
          });
          const md = toMarkdown(message, lang);
          const items = md
            .split('\n')
            .filter((l) => l.startsWith('- '))
            .join('\n');
          expect(items).not.toMatch(/[<>[\]*`|#$\\]|:\/\/|www\./i);
          expect(md.match(/\]\(/g)?.length ?? 0).toBe(2);
          expect(md).not.toMatch(/(^|[^\w\u2060])@[A-Za-z0-9]/m);
          const slack = toSlack(message, lang);
          expect(slack.match(/</g)?.length ?? 0).toBe(2);
        }

        const figures: ModelFigures[] = report.models.map((m) => ({
          model: m.comparison.model,
          latency: { head: [], base: null },
          memory: { rss: null, gpu: null },
          flips: [
            {
              id: texts[3] ?? 'x',
              label: texts[4] ?? 'x',
              now: texts[5] ?? 'y',
              before: texts[6] ?? 'z',
              kind: 'broke',
              image: texts[7] ?? '',
            },
          ],
          flipsOmitted: 0,
        }));
        checkHtml(await renderHtml(report, figures, { lang: 'en' }));

        // The terminal (the CLI prints the summary): no escape sequence, no line that is a workflow command.
        const terminal = inertLog(summary);
        // eslint-disable-next-line no-control-regex -- the escape character is what is looked for
        expect(terminal).not.toMatch(/\u001b/);
        expect(terminal.split('\n').filter((l) => l.trim().startsWith('::'))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
