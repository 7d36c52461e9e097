/**
 * Reasons into words: compare/ and confirm judge and say why as keys with raw arguments
 * (types.ts ReasonPart); this is the one place that turns them into English or Chinese, for the
 * comment, the job summary, the alerts, the CLI and the `reason` fields of report.json.
 */
import type { ComparisonRow, ModelComparison, ReasonArg, ReasonPart } from '../types.js';
import { fmtAmount, fmtChangeAbs, fmtLevel, fmtNumber, fmtPEq, fmtRel, fmtValue } from './format.js';
import { isStringKey, t, type Lang, type StringKey } from './strings.js';

/**
 * How a piece of text is made inert for the medium it goes to (text/inert.ts); identity for
 * report.json's `reason` fields, which are data in JSON and rendered by whoever reads them.
 */
export type Inert = (text: string) => string;
const AS_IS: Inert = (s) => s;

const SEP: Record<Lang, string> = { en: '; ', zh: '；' };

/** A metric's label in `lang` (text/strings.ts by metric id; unknown ids keep measure/'s label). */
export function metricLabel(lang: Lang, row: Pick<ComparisonRow, 'metric' | 'label' | 'drift'>): string {
  if (row.drift) return t(lang, 'metric.drift', { output: row.drift.output });
  const key = `metric.${row.metric}`;
  return lang === 'zh' && isStringKey(key) ? t(lang, key) : row.label;
}

function arg(lang: Lang, a: ReasonArg, rows: readonly ComparisonRow[], inert: Inert): string {
  if (typeof a === 'string') return inert(a);
  return a !== null && typeof a === 'object' && 'rows' in a ? rowsArg(lang, a.rows, rows, inert) : inert(formatted(a));
}

function formatted(a: Exclude<ReasonArg, string | { rows: string[] }>): string {
  if (typeof a === 'number') return String(a);
  if ('level' in a) return fmtLevel(a.level, a.unit);
  if ('value' in a) return fmtValue(a.value, a.unit);
  if ('change' in a) return fmtChangeAbs(a.change, a.unit);
  if ('amount' in a) return fmtAmount(a.amount, a.unit);
  if ('rel' in a) return fmtRel(a.rel);
  if ('percent' in a) return `${fmtNumber(100 * a.percent, a.digits)} %`;
  return fmtPEq(a.p);
}

function rowsArg(lang: Lang, ids: readonly string[], rows: readonly ComparisonRow[], inert: Inert): string {
  return ids
    .map((id) => rows.find((r) => r.metric === id))
    .filter((r): r is ComparisonRow => r !== undefined)
    .map(
      (r) =>
        `${inert(metricLabel(lang, r))}${inert(' (')}${partsText(lang, r.reasonParts ?? [], rows, inert) || inert(r.reason)}${inert(')')}`,
    )
    .join(inert(t(lang, 'sep.list')));
}

/** Whether every part names a key of ours (a report from elsewhere may not): then it can be rendered in any language. */
export function renderable(parts: readonly ReasonPart[] | undefined): parts is ReasonPart[] {
  return parts !== undefined && parts.length > 0 && parts.every((p) => isStringKey(p.key));
}

/**
 * The parts in `lang`, joined; `rows` resolves `{ rows }` arguments (a model's reason lists its
 * rows). `inert` is applied to every piece — the template's words and each argument, whatever
 * its name — so the text is safe in the medium it names (text/inert.ts).
 */
export function partsText(lang: Lang, parts: readonly ReasonPart[], rows: readonly ComparisonRow[] = [], inert: Inert = AS_IS): string {
  return parts
    .filter((p) => isStringKey(p.key))
    .map((p) => {
      const names = Object.keys(p.args ?? {});
      const slots = Object.fromEntries(names.map((name, i) => [name, `\u0000${i}\u0000`]));
      return (
        t(lang, p.key as StringKey, slots, p.args)
          // eslint-disable-next-line no-control-regex -- the slot markers put in place of the arguments
          .split(/\u0000(\d+)\u0000/)
          .map((piece, i) => (i % 2 === 1 ? arg(lang, p.args![names[Number(piece)]!]!, rows, inert) : inert(piece)))
          .join('')
      );
    })
    .join(inert(SEP[lang]));
}

/** A row's reason in `lang`: from its parts when they are ours, else the text it came with (made inert by `inert`). */
export function rowReason(lang: Lang, row: ComparisonRow, inert: Inert = AS_IS): string {
  return renderable(row.reasonParts) ? partsText(lang, row.reasonParts, [], inert) : inert(row.reason);
}

/** A model's reason in `lang`: from its parts when they are ours, else the text it came with (made inert by `inert`). */
export function modelReason(lang: Lang, c: ModelComparison, inert: Inert = AS_IS): string {
  return renderable(c.reasonParts) ? partsText(lang, c.reasonParts, c.rows, inert) : inert(c.reason);
}

/** The comparison with every `reason` written in English from its parts (report.json keeps them). */
export function describe(c: ModelComparison): ModelComparison {
  const rows = c.rows.map((r) => ({ ...r, reason: rowReason('en', r) }));
  return { ...c, rows, reason: modelReason('en', { ...c, rows }) };
}
