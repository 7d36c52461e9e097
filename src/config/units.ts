/**
 * Strict parsers for the quantities gate.yml and the action's inputs carry: threshold levels,
 * byte sizes and durations. A value that could mean two things (a bare `0.1` as a level) is an
 * error naming where it came from and the forms that are accepted — never a guess.
 */
import type { Level, Unit } from '../types.js';

/** The unit a level was written in, after normalising (`1s` → ms, `1GB` → MB, `512KB/1k` → MB/1k). */
export type LevelUnit = 'relative' | 'pp' | 'ms' | 'MB' | '/s' | 'MB/1k';

export interface ParsedLevel {
  level: Level;
  unit: LevelUnit;
  /** As written, for messages. */
  text: string;
}

/** Suffix → [unit, factor to that unit]. Memory units are binary, as the measurements are. */
const LEVEL_SUFFIXES: ReadonlyArray<readonly [string, LevelUnit, number]> = [
  ['%', 'relative', 0.01],
  ['pp', 'pp', 1],
  ['us', 'ms', 0.001],
  ['ms', 'ms', 1],
  ['s', 'ms', 1000],
  ['kb/1k', 'MB/1k', 1 / 1024],
  ['mb/1k', 'MB/1k', 1],
  ['gb/1k', 'MB/1k', 1024],
  ['kb', 'MB', 1 / 1024],
  ['mb', 'MB', 1],
  ['gb', 'MB', 1024],
  ['/s', '/s', 1],
];

const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;

/** Shared with the JSON Schema so editors and the parser accept the same text. */
export const LEVEL_PATTERN = `^${NUMBER} ?(?:%|[pP][pP]|[uUmM]?[sS]|[kKmMgG][bB](?:/1[kK])?|/s)$`;
export const BYTES_PATTERN = `^${NUMBER} ?(?:[bB]|[kKmMgGtT](?:[iI]?[bB])?)?$`;
export const DURATION_PATTERN = `^(?:${NUMBER}|${NUMBER} ?(?:ms|h|m|s)(?: ?${NUMBER} ?(?:ms|h|m|s))*)$`;

/** Below 100 (a level at or above it can never be exceeded): `99.5`, `0099`, `.5`. */
const BELOW_100 = String.raw`(?:0*\d{1,2}(?:\.\d*)?|\.\d+)`;
const OTHER_UNITS = '[uUmM]?[sS]|[kKmMgG][bB](?:/1[kK])?|/s';

/**
 * The levels a metric's threshold may take (JSON Schema side of the bounds Builder.thresholds
 * checks): when higher is better a value cannot fall by 100 % or more, and a percentage cannot
 * move by 100 pp or more, so such a level could never fire.
 */
export function thresholdLevelPattern(unit: Unit, better: 'higher' | 'lower'): string {
  const relative = better === 'higher' ? `${BELOW_100} ?%` : `${NUMBER} ?%`;
  if (unit === '%') return `^(?:${relative}|${BELOW_100} ?[pP][pP])$`;
  return `^(?:${relative}|${NUMBER} ?(?:${OTHER_UNITS}))$`;
}

export const LEVEL_FORMS = '10% (relative), 0.5pp (percentage points, accuracy only), 2ms, 64MB, 5/s or 1MB/1k';
const BYTES_FORMS = 'a number of bytes or a size such as 512m, 16g, 2GB (binary units, as Docker)';
const DURATION_FORMS = 'a number of seconds or a duration such as 90s, 20m, 1h30m';

function describe(text: string | number): string {
  if (typeof text === 'number') return String(text);
  const json = JSON.stringify(text);
  return json.length > 60 ? `${json.slice(0, 56)}..." (${text.length.toLocaleString('en-US')} characters)` : json;
}

/** The level and the unit it was written in, or the reason it is not a level. */
export function readLevel(text: string | number): ParsedLevel | string {
  if (typeof text === 'number') {
    return `expected a level such as ${LEVEL_FORMS}, got the bare number ${text} (ambiguous: write 10% or an amount with its unit)`;
  }
  const trimmed = text.trim();
  if (new RegExp(`^${NUMBER}$`).test(trimmed)) {
    return `expected a level such as ${LEVEL_FORMS}, got the bare number ${describe(text)} (ambiguous: write 10% or an amount with its unit)`;
  }
  const match = new RegExp(`^(${NUMBER}) ?(.+)$`).exec(trimmed);
  const suffix = match?.[2]?.toLowerCase();
  const entry = LEVEL_SUFFIXES.find(([s]) => s === suffix);
  if (!match || !entry || !new RegExp(LEVEL_PATTERN).test(trimmed)) {
    return `expected a level such as ${LEVEL_FORMS}, got ${describe(text)}`;
  }
  const [, unit, factor] = entry;
  const value = Number(match[1]) * factor;
  if (!Number.isFinite(value)) return `expected a finite level such as ${LEVEL_FORMS}, got ${describe(text)}`;
  return { level: { value, kind: unit === 'relative' ? 'relative' : 'absolute' }, unit, text: trimmed };
}

const BYTE_FACTORS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes, or the reason the text is not a size. Plain digits (an action input) are bytes. */
export function readBytes(text: string | number): number | string {
  if (typeof text === 'number') {
    return Number.isSafeInteger(text) && text >= 0 ? text : `expected ${BYTES_FORMS}, got ${text}`;
  }
  const trimmed = text.trim();
  const match = new RegExp(`^(${NUMBER}) ?([kmgt]?)`, 'i').exec(trimmed);
  if (!match || !new RegExp(BYTES_PATTERN).test(trimmed)) return `expected ${BYTES_FORMS}, got ${describe(text)}`;
  const factor = BYTE_FACTORS[(match[2] ?? '').toLowerCase()] ?? 1;
  const bytes = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : `expected ${BYTES_FORMS} below 8 PiB, got ${describe(text)}`;
}

const DURATION_FACTORS: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1, ms: 0.001 };

/** Seconds, or the reason the text is not a duration. Plain digits (an action input) are seconds. */
export function readDuration(text: string | number): number | string {
  if (typeof text === 'number') {
    return Number.isFinite(text) && text >= 0 ? text : `expected ${DURATION_FORMS}, got ${text}`;
  }
  const trimmed = text.trim();
  if (!new RegExp(DURATION_PATTERN).test(trimmed)) return `expected ${DURATION_FORMS}, got ${describe(text)}`;
  if (new RegExp(`^${NUMBER}$`).test(trimmed)) {
    const plain = Number(trimmed);
    return Number.isFinite(plain) ? plain : `expected ${DURATION_FORMS}, got ${describe(text)}`;
  }
  // The pattern has checked the shape; every part has a unit once there is more than one.
  let seconds = 0;
  for (const match of trimmed.matchAll(new RegExp(`(${NUMBER}) ?(ms|h|m|s)`, 'g'))) {
    seconds += Number(match[1]) * (DURATION_FACTORS[match[2] ?? ''] ?? 1);
  }
  return Number.isFinite(seconds) ? seconds : `expected ${DURATION_FORMS}, got ${describe(text)}`;
}
