/**
 * The short alert every chat robot gets: the verdict line, the regressed metrics (a few), and
 * links to the PR and the run. The full table stays on GitHub.
 */
import { neutraliseMentions } from '../report/mentions.js';
import {
  BAND_EMOJI,
  countsText,
  fmtChangeAbs,
  fmtRel,
  fmtValue,
  inertAlert,
  modelReason,
  safeHttpsUrl,
  t,
  VERDICT_EMOJI,
  verdictWord,
  type Lang,
} from '../text/index.js';
import type { ComparisonRow, GateReport, Verdict } from '../types.js';

export type { Lang } from '../text/index.js';

export interface MessageContext {
  lang: Lang;
  /** Where the reader goes next; both optional. */
  prUrl?: string;
  prTitle?: string;
  runUrl?: string;
  /** e.g. "owner/repo@abc1234" */
  where?: string;
}

export interface AlertMessage {
  verdict: Verdict;
  /** One line, plain text. */
  title: string;
  /** Bullet lines, plain text with names already made safe. */
  items: string[];
  more: number;
  links: Array<{ label: string; url: string }>;
}

const MAX_ITEMS = 5;

/** Names and reasons come from gate.yml, logs and reports: the rendering boundary's alert form (text/inert.ts), no live @mentions. */
function plain(text: string): string {
  return neutraliseMentions(inertAlert(text));
}

function withUnit(value: number | null, unit: ComparisonRow['unit']): string {
  return value === null ? '—' : fmtValue(value, unit);
}

/** The change as the report's table writes it: pp for rates, MB for memory, relative % for times. */
export function changeText(row: ComparisonRow): string {
  const absolute = row.unit === '%' || row.unit === 'MB' || row.unit === 'MB/1k';
  if (absolute && row.deltaAbs !== null) return fmtChangeAbs(row.deltaAbs, row.unit);
  if (row.deltaRel !== null) return fmtRel(row.deltaRel);
  if (row.deltaAbs !== null) return fmtChangeAbs(row.deltaAbs, row.unit);
  return '—';
}

export function buildMessage(report: GateReport, ctx: MessageContext): AlertMessage {
  // The comment's words and counts: one vocabulary for the comment, the summary and the alert.
  const counts = countsText(ctx.lang, report);
  const title = `${VERDICT_EMOJI[report.verdict]} ${plain(report.gate)}: ${verdictWord(ctx.lang, report.verdict)} (${counts})`;
  const rows: string[] = [];
  for (const model of report.models) {
    const c = model.comparison;
    for (const row of c.rows) {
      if (row.band !== 'fail' && row.band !== 'warn') continue;
      const mark = BAND_EMOJI[row.band];
      rows.push(
        `${mark} ${plain(c.model)} · ${plain(row.label)}: ${withUnit(row.baseline, row.unit)} → ${withUnit(row.current, row.unit)} (${changeText(row)})`,
      );
    }
    if (c.rows.every((r) => r.band !== 'fail' && r.band !== 'warn') && c.verdict !== 'pass') {
      rows.push(`${VERDICT_EMOJI[c.verdict]} ${plain(c.model)}: ${plain(modelReason(ctx.lang, c))}`);
    }
  }
  const links: AlertMessage['links'] = [];
  // Only plain https URLs (from GitHub's event) become links.
  if (ctx.prUrl && safeHttpsUrl(ctx.prUrl))
    links.push({ label: ctx.prTitle ? plain(ctx.prTitle) : t(ctx.lang, 'alert.pr'), url: ctx.prUrl });
  if (ctx.runUrl && safeHttpsUrl(ctx.runUrl)) links.push({ label: t(ctx.lang, 'alert.runLog'), url: ctx.runUrl });
  return {
    verdict: report.verdict,
    title: ctx.where ? `${title} · ${plain(ctx.where)}` : title,
    items: rows.slice(0, MAX_ITEMS),
    more: Math.max(0, rows.length - MAX_ITEMS),
    links,
  };
}

/** Markdown for WeCom / DingTalk / Feishu (all accept `**bold**`, `- ` lists and `[text](url)`). */
export function toMarkdown(message: AlertMessage, lang: Lang, withTitle = true): string {
  const lines = withTitle ? [`**${message.title}**`, ''] : [];
  for (const item of message.items) lines.push(`- ${item}`);
  if (message.more > 0) lines.push(`- ${t(lang, 'alert.more', { n: message.more })}`);
  if (message.links.length > 0) {
    lines.push('');
    lines.push(message.links.map((l) => `[${l.label}](${l.url})`).join(' · '));
  }
  return lines.join('\n');
}

/** Slack mrkdwn: `*bold*`, `<url|text>`, and &, <, > escaped. */
export function toSlack(message: AlertMessage, lang: Lang): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const lines = [`*${esc(message.title)}*`];
  for (const item of message.items) lines.push(`• ${esc(item)}`);
  if (message.more > 0) lines.push(`• ${t(lang, 'alert.more', { n: message.more })}`);
  if (message.links.length > 0) lines.push(message.links.map((l) => `<${l.url}|${esc(l.label)}>`).join(' · '));
  return lines.join('\n');
}
