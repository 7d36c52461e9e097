/**
 * Number formatting shared by the reasons and the report: the same in every language
 * (thousands separator ',', decimal '.', a real minus sign '−', a space before the unit).
 */
import type { Level, Unit } from '../types.js';

const MINUS = '\u2212';

/** Fixed decimals with ',' thousands separators; −0 prints as 0. */
export function fmtNumber(v: number, decimals: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : `${MINUS}∞`;
  const fixed = Math.abs(v).toFixed(decimals);
  const negative = v < 0 && Number(fixed) !== 0;
  const [int, frac] = fixed.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (negative ? MINUS : '') + grouped + (frac === undefined ? '' : `.${frac}`);
}

/** Decimals for a value of `unit`: ms keeps 2–3 significant decimals, rates 2, memory whole MB. */
function decimalsFor(v: number, unit: Unit): number {
  const a = Math.abs(v);
  switch (unit) {
    case '%':
      return 2;
    case 'ms':
      if (a >= 100) return 1;
      if (a >= 1 || a === 0) return 2;
      // below 1 ms: three significant digits (0.532, 0.0412)
      return Math.min(6, 2 - Math.floor(Math.log10(a)));
    case '/s':
      return a >= 100 ? 0 : a >= 10 ? 1 : 2;
    case 'MB':
      return a >= 100 ? 0 : 1;
    case 'MB/1k':
      return 2;
  }
}

export function fmtValue(v: number, unit: Unit): string {
  return `${fmtNumber(v, decimalsFor(v, unit))} ${unit}`;
}

function signed(v: number, decimals: number): string {
  const s = fmtNumber(v, decimals);
  return s.startsWith(MINUS) || Number(v.toFixed(decimals)) === 0 ? s : `+${s}`;
}

/** A change in the unit's own terms: pp for %, MB for memory, relative % for times and rates. */
export function fmtChangeAbs(v: number, unit: Unit): string {
  if (unit === '%') return `${signed(v, 2)} pp`;
  return `${signed(v, decimalsFor(v, unit))} ${unit}`;
}

/** A relative change (0.052 → "+5.2 %"). */
export function fmtRel(v: number): string {
  return `${signed(100 * v, 1)} %`;
}

/** A relative change without the unit, for intervals: "+3.9". */
export function fmtRelBare(v: number): string {
  return signed(100 * v, 1);
}

/** A threshold level: relative → "10 %", absolute → "0.5 pp", "64 MB", "1 MB/1k". */
export function fmtLevel(level: Level, unit: Unit): string {
  if (level.kind === 'relative') return `${trim(level.value * 100)} %`;
  return `${trim(level.value)} ${unit === '%' ? 'pp' : unit}`;
}

export function fmtAmount(v: number, unit: Unit): string {
  return `${trim(v)} ${unit === '%' ? 'pp' : unit}`;
}

function trim(v: number): string {
  return String(Number(v.toFixed(4)));
}

export function fmtP(p: number): string {
  if (p < 0.001) return '< 0.001';
  return p >= 0.1 ? p.toFixed(2) : p.toFixed(3);
}

/** "p = 0.004" or "p < 0.001". */
export function fmtPEq(p: number): string {
  const s = fmtP(p);
  return s.startsWith('<') ? `p ${s}` : `p = ${s}`;
}
