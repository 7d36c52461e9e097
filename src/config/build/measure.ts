/**
 * measure: and thresholds: the measurement plan (every field filled) and each metric's threshold, merged
 * over the defaults with its units checked.
 */
import type { MeasurePlan, Threshold, Unit } from '../../types.js';
import { DEFAULT_MEASURE, DEFAULT_THRESHOLDS, METRIC_UNITS } from '../defaults.js';
import type { LevelUnit, ParsedLevel } from '../units.js';
import { type BuildContext, type RawMeasure, type RawThreshold } from './context.js';

/**
 * Why a threshold level could never fire, or undefined: a percentage cannot move by 100 pp or
 * more, and a higher-is-better value (accuracy, throughput) cannot fall by 100 % or more.
 * The JSON Schema says the same with thresholdLevelPattern (units.ts).
 */
function impossibleLevel(id: string, unit: Unit, better: Threshold['better'], level: ParsedLevel): string | undefined {
  if (unit === '%' && level.level.kind === 'absolute' && level.level.value >= 100) {
    return `${level.text} can never be exceeded: ${id} is a percentage and cannot move by 100 pp or more; expected a level below 100pp such as 0.5pp`;
  }
  if (better === 'higher' && level.level.kind === 'relative' && level.level.value >= 1) {
    return `${level.text} can never be exceeded: ${id} is better when higher and cannot fall by 100% or more; expected a relative level below 100% such as 10%`;
  }
  return undefined;
}

const UNIT_OF_LEVEL: Readonly<Record<Exclude<LevelUnit, 'relative'>, Unit>> = { pp: '%', ms: 'ms', MB: 'MB', '/s': '/s', 'MB/1k': 'MB/1k' };
const EXAMPLE_OF_UNIT: Readonly<Record<Unit, string>> = { '%': '0.5pp', ms: '2ms', MB: '64MB', '/s': '5/s', 'MB/1k': '1MB/1k' };

export function buildMeasure(ctx: BuildContext, raw: RawMeasure): MeasurePlan {
  const measure: MeasurePlan = {
    warmupIterations: raw.warmup ?? DEFAULT_MEASURE.warmupIterations,
    warmupSeconds: raw['warmup-seconds'] ?? DEFAULT_MEASURE.warmupSeconds,
    rounds: raw.rounds ?? DEFAULT_MEASURE.rounds,
    minIterationsPerRound: raw.iterations ?? DEFAULT_MEASURE.minIterationsPerRound,
    minRoundSeconds: raw['round-seconds'] ?? DEFAULT_MEASURE.minRoundSeconds,
    maxSeconds: raw['max-seconds'] ?? DEFAULT_MEASURE.maxSeconds,
    minRounds: Math.min(raw['min-rounds'] ?? DEFAULT_MEASURE.minRounds, raw.rounds ?? DEFAULT_MEASURE.rounds),
    precision: raw.precision?.level.value ?? DEFAULT_MEASURE.precision,
    accuracy: {
      batch: raw.accuracy?.batch ?? DEFAULT_MEASURE.accuracy.batch,
      threads: raw.accuracy?.threads ?? DEFAULT_MEASURE.accuracy.threads,
    },
  };
  if (raw['min-rounds'] !== undefined && raw['min-rounds'] > measure.rounds) {
    ctx.error(
      'measure.min-rounds',
      `${raw['min-rounds']} is more than measure.rounds (${measure.rounds}), the most rounds a side may take`,
    );
  }
  if (
    raw.precision !== undefined &&
    (raw.precision.level.kind !== 'relative' || !(raw.precision.level.value > 0) || !(raw.precision.level.value < 1))
  ) {
    ctx.error('measure.precision', `expected a relative level above 0 and below 100% such as 1%, got ${raw.precision.text}`);
  }
  const least = measure.warmupSeconds + measure.rounds * measure.minRoundSeconds;
  if (least > measure.maxSeconds) {
    const where =
      raw['max-seconds'] !== undefined
        ? 'measure.max-seconds'
        : raw['round-seconds'] !== undefined
          ? 'measure.round-seconds'
          : 'measure.rounds';
    ctx.error(
      where,
      `warm-up (${measure.warmupSeconds} s) + rounds × round-seconds (${measure.rounds} × ${measure.minRoundSeconds} s) = ${least} s does not fit in max-seconds (${measure.maxSeconds} s)`,
    );
  }
  return measure;
}

export function buildThresholds(ctx: BuildContext, raw: Partial<Record<string, RawThreshold>>): Record<string, Threshold> {
  const out: Record<string, Threshold> = {};
  for (const [id, defaults] of Object.entries(DEFAULT_THRESHOLDS)) out[id] = structuredClone(defaults);
  for (const [id, entry] of Object.entries(raw)) {
    const base = out[id];
    const unit = METRIC_UNITS[id];
    if (!base || !unit || !entry) continue; // unknown ids are reported by the reader
    const path = `thresholds.${id}`;
    const merged: Threshold = { ...base, ...(entry.better !== undefined && { better: entry.better }) };
    let fits = true;
    for (const field of ['noise', 'warn', 'fail'] as const) {
      const level = entry[field];
      if (level === undefined) continue;
      if (level.unit !== 'relative' && UNIT_OF_LEVEL[level.unit] !== unit) {
        ctx.error(
          `${path}.${field}`,
          `${level.text} does not fit ${id}, which is measured in ${unit}: write a relative level such as 10% or an amount such as ${EXAMPLE_OF_UNIT[unit]}`,
        );
        fits = false;
        continue;
      }
      if (id === 'drift' && level.unit === 'relative') {
        ctx.error(
          `${path}.${field}`,
          `${level.text} does not fit drift: its levels are the share of output values outside the tolerance, in percentage points (the golden outputs' own share is 0), such as 1pp`,
        );
        fits = false;
        continue;
      }
      const never = impossibleLevel(id, unit, merged.better, level);
      if (never) {
        ctx.error(`${path}.${field}`, never);
        fits = false;
        continue;
      }
      merged[field] = level.level;
    }
    if ('atol' in entry || 'rtol' in entry) {
      const tol = entry as { atol?: number; rtol?: number };
      merged.tolerance = { atol: tol.atol ?? base.tolerance!.atol, rtol: tol.rtol ?? base.tolerance!.rtol };
    }
    if (entry.min !== undefined) {
      if (entry.min.unit === 'relative' || UNIT_OF_LEVEL[entry.min.unit] !== unit) {
        ctx.error(
          `${path}.min`,
          `${entry.min.text} does not fit: min is an absolute amount in ${id}'s unit (${unit}), such as ${EXAMPLE_OF_UNIT[unit]}`,
        );
      } else if (unit === '%' && entry.min.level.value >= 100) {
        ctx.error(`${path}.min`, impossibleLevel(id, unit, 'lower', entry.min) ?? 'expected below 100pp');
      } else {
        merged.minAbsolute = entry.min.level.value;
      }
    }
    // fail ≥ warn ≥ noise whenever two levels are of the same kind (relative vs absolute).
    const order = ['fail', 'warn', 'noise'] as const;
    for (let i = 0; fits && i < order.length; i += 1) {
      for (let j = i + 1; j < order.length; j += 1) {
        const [upper, lower] = [order[i] as (typeof order)[number], order[j] as (typeof order)[number]];
        const high = merged[upper];
        const low = merged[lower];
        if (!high || !low || high.kind !== low.kind || high.value >= low.value) continue;
        const blamed = entry[upper] !== undefined ? upper : lower;
        const written = (level: NonNullable<Threshold['fail']>): string =>
          level.kind === 'relative' ? `${+(level.value * 100).toFixed(6)}%` : `${level.value}${unit === '%' ? 'pp' : unit}`;
        const show = (field: typeof upper, level: NonNullable<Threshold['fail']>): string =>
          `${field} ${entry[field]?.text ?? `${written(level)} (default)`}`;
        ctx.error(`${path}.${blamed}`, `${show(upper, high)} is below ${show(lower, low)}: levels must be fail ≥ warn ≥ noise`);
      }
    }
    out[id] = merged;
  }
  return out;
}
