/**
 * Reasons into words: compare/ and confirm judge and say why as keys with raw arguments
 * (types.ts ReasonPart); this is the one place that turns them into English or Chinese, for the
 * comment, the job summary, the alerts, the CLI and the `reason` fields of report.json.
 */
import type { ComparisonRow, ModelComparison, ReasonArg, ReasonPart } from '../types.js';
import { fmtAmount, fmtChangeAbs, fmtLevel, fmtNumber, fmtPEq, fmtRel, fmtValue } from './format.js';
import { isStringKey, t, type Lang, type StringKey } from './strings.js';

const SEP: Record<Lang, string> = { en: '; ', zh: '；' };

/** A metric's label in `lang` (text/strings.ts by metric id; unknown ids keep measure/'s label). */
export function metricLabel(lang: Lang, row: Pick<ComparisonRow, 'metric' | 'label' | 'drift'>): string {
  if (row.drift) return t(lang, 'metric.drift', { output: row.drift.output });
  const key = `metric.${row.metric}`;
  return lang === 'zh' && isStringKey(key) ? t(lang, key) : row.label;
}

function arg(lang: Lang, a: ReasonArg, rows: readonly ComparisonRow[]): string {
  if (typeof a === 'string') return a;
  if (typeof a === 'number') return String(a);
  if ('level' in a) return fmtLevel(a.level, a.unit);
  if ('value' in a) return fmtValue(a.value, a.unit);
  if ('change' in a) return fmtChangeAbs(a.change, a.unit);
  if ('amount' in a) return fmtAmount(a.amount, a.unit);
  if ('rel' in a) return fmtRel(a.rel);
  if ('percent' in a) return `${fmtNumber(100 * a.percent, a.digits)} %`;
  if ('p' in a) return fmtPEq(a.p);
  return a.rows
    .map((id) => rows.find((r) => r.metric === id))
    .filter((r): r is ComparisonRow => r !== undefined)
    .map((r) => `${metricLabel(lang, r)} (${partsText(lang, r.reasonParts ?? [], rows) || r.reason})`)
    .join(t(lang, 'sep.list'));
}

/** Whether every part names a key of ours (a report from elsewhere may not): then it can be rendered in any language. */
export function renderable(parts: readonly ReasonPart[] | undefined): parts is ReasonPart[] {
  return parts !== undefined && parts.length > 0 && parts.every((p) => isStringKey(p.key));
}

/** The parts in `lang`, joined; `rows` resolves `{ rows }` arguments (a model's reason lists its rows). */
export function partsText(lang: Lang, parts: readonly ReasonPart[], rows: readonly ComparisonRow[] = []): string {
  return parts
    .filter((p) => isStringKey(p.key))
    .map((p) => {
      const args: Record<string, string> = {};
      for (const [name, value] of Object.entries(p.args ?? {})) args[name] = arg(lang, value, rows);
      return t(lang, p.key as StringKey, args);
    })
    .join(SEP[lang]);
}

/** A row's reason in `lang`: from its parts when they are ours, else the text it came with. */
export function rowReason(lang: Lang, row: ComparisonRow): string {
  return renderable(row.reasonParts) ? partsText(lang, row.reasonParts) : row.reason;
}

/** A model's reason in `lang`: from its parts when they are ours, else the text it came with. */
export function modelReason(lang: Lang, c: ModelComparison): string {
  return renderable(c.reasonParts) ? partsText(lang, c.reasonParts, c.rows) : c.reason;
}

/** The comparison with every `reason` written in English from its parts (report.json keeps them). */
export function describe(c: ModelComparison): ModelComparison {
  const rows = c.rows.map((r) => ({ ...r, reason: rowReason('en', r) }));
  return { ...c, rows, reason: modelReason('en', { ...c, rows }) };
}
