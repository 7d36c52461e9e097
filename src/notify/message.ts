/**
 * The short alert every chat robot gets: the verdict line, the regressed metrics (a few), and
 * links to the PR and the run. The full table stays on GitHub.
 */
import { fmtChangeAbs, fmtRel, fmtValue } from '../report/format.js';
import { neutraliseMentions } from '../report/mentions.js';
import type { ComparisonRow, GateReport, Verdict } from '../types.js';

export type Lang = 'en' | 'zh';

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

const EMOJI: Record<Verdict, string> = {
  pass: '✅',
  warn: '⚠️',
  fail: '❌',
  inconclusive: '❔',
  incomparable: '↔️',
  'no-baseline': '🆕',
  unreadable: '💥',
};

const WORDS: Record<Lang, Record<Verdict, string>> = {
  en: {
    pass: 'passed',
    warn: 'passed with warnings',
    fail: 'regression',
    inconclusive: 'inconclusive (unstable measurement)',
    incomparable: 'not comparable (environment differs)',
    'no-baseline': 'no baseline yet',
    unreadable: 'could not run',
  },
  zh: {
    pass: '通过',
    warn: '通过（有警告）',
    fail: '性能回退',
    inconclusive: '无法判定（测量不稳定）',
    incomparable: '不可比较（环境不同）',
    'no-baseline': '尚无基线',
    unreadable: '运行失败',
  },
};

const MAX_ITEMS = 5;

/** Names come from gate.yml and logs: drop the characters the robots' markdown would act on; no live @mentions. */
export function plain(text: string): string {
  return neutraliseMentions(
    text
      .replace(/[*_`~#|<>[\]()\\]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
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
  const zh = ctx.lang === 'zh';
  const counts = zh
    ? `${report.regressions} 项回退，${report.warnings} 项警告`
    : `${report.regressions} regression${report.regressions === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}`;
  const title = `${EMOJI[report.verdict]} ${plain(report.gate)}: ${WORDS[ctx.lang][report.verdict]} (${counts})`;
  const rows: string[] = [];
  for (const model of report.models) {
    const c = model.comparison;
    for (const row of c.rows) {
      if (row.band !== 'fail' && row.band !== 'warn') continue;
      const mark = row.band === 'fail' ? '❌' : '⚠️';
      rows.push(
        `${mark} ${plain(c.model)} · ${plain(row.label)}: ${withUnit(row.baseline, row.unit)} → ${withUnit(row.current, row.unit)} (${changeText(row)})`,
      );
    }
    if (c.rows.every((r) => r.band !== 'fail' && r.band !== 'warn') && c.verdict !== 'pass') {
      rows.push(`${EMOJI[c.verdict]} ${plain(c.model)}: ${plain(c.reason)}`);
    }
  }
  const links: AlertMessage['links'] = [];
  if (ctx.prUrl) links.push({ label: ctx.prTitle ? plain(ctx.prTitle) : zh ? '拉取请求' : 'pull request', url: ctx.prUrl });
  if (ctx.runUrl) links.push({ label: zh ? '运行日志' : 'run log', url: ctx.runUrl });
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
  if (message.more > 0) lines.push(lang === 'zh' ? `- 另有 ${message.more} 项` : `- and ${message.more} more`);
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
  if (message.more > 0) lines.push(lang === 'zh' ? `• 另有 ${message.more} 项` : `• and ${message.more} more`);
  if (message.links.length > 0) lines.push(message.links.map((l) => `<${l.url}|${esc(l.label)}>`).join(' · '));
  return lines.join('\n');
}
