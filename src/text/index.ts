/**
 * text/: every user-facing word, in English and 简体中文, for the comment, the job summary, the
 * alerts and the CLI alike — one vocabulary. Judging (compare/, confirm) produces keys with
 * arguments; the renderers (report/, notify/, the entries) turn them into words here.
 */
import type { Band, Verdict } from '../types.js';
import { fmtNumber } from './format.js';
import { t, type Lang } from './strings.js';

export { STRINGS, isStringKey, t, type Lang, type StringKey } from './strings.js';
export { fmtAmount, fmtChangeAbs, fmtLevel, fmtNumber, fmtP, fmtPEq, fmtRel, fmtRelBare, fmtValue } from './format.js';

export const VERDICT_EMOJI: Record<Verdict, string> = {
  pass: '✅',
  warn: '⚠️',
  fail: '❌',
  inconclusive: '❔',
  incomparable: '🚫',
  'no-baseline': '🆕',
  unreadable: '⛔',
  accepted: '✅',
};

export const BAND_EMOJI: Record<Band, string> = { pass: '✅', warn: '⚠️', fail: '❌', inconclusive: '❔', missing: '➖', accepted: '✅' };

/** The verdict's word, the same in the comment, the summary, the alert and the CLI. */
export function verdictWord(lang: Lang, verdict: Verdict): string {
  return t(lang, `verdict.${verdict}`);
}

/** "1 regression, 0 warnings[, 3 inconclusive]": each band counted as itself, inconclusive only when some are. */
export function countsText(
  lang: Lang,
  counts: { regressions: number; warnings: number; inconclusive?: number; accepted?: number },
): string {
  const { regressions, warnings } = counts;
  const inconclusive = counts.inconclusive ?? 0;
  const accepted = counts.accepted ?? 0;
  return [
    ...(accepted > 0 ? [t(lang, 'count.accepted', { n: fmtNumber(accepted, 0) })] : []),
    t(lang, 'count.regression', { n: fmtNumber(regressions, 0) }),
    t(lang, 'count.warning', { n: fmtNumber(warnings, 0) }),
    ...(inconclusive > 0 ? [t(lang, 'count.inconclusive', { n: fmtNumber(inconclusive, 0) })] : []),
  ].join(t(lang, 'sep.list'));
}

export { describe, metricLabel, modelReason, partsText, renderable, rowReason, type Inert } from './reasons.js';
export {
  inertAlert,
  inertHtml,
  inertLine,
  inertLog,
  inertMarkdown,
  md,
  mdCode,
  mdJoin,
  mdLink,
  mdText,
  Md,
  safeHttpsUrl,
  tMd,
  type MdArg,
} from './inert.js';
