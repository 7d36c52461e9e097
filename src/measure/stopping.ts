/**
 * The adaptive stopping rules of a measurement: when the round medians are stable and precise
 * enough to stop. Pure functions of the round medians; the embedded runner applies them in
 * process, and the Python harness applies the same rule with the t table `harnessStopping` gives it.
 */
import type { MeasurePlan } from '../types.js';
import { mean, median, studentTQuantile } from './stats.js';

/**
 * perf_analyzer's stability window: the last `window` round medians (default 3) must lie within
 * `maxRatio` (default 1.10) of each other, max/min. Contention on a shared runner only ever slows
 * a round down, so a window that swings by more than 10 % says the machine, not the model, moved.
 * Returns null when stable (or fewer than 2 rounds), else the spread max/min − 1 of the window.
 */
export function roundInstability(
  roundMedians: number[],
  opts: { window?: number; maxRatio?: number } = {},
): { spread: number; n: number } | null {
  const window = opts.window ?? 3;
  const maxRatio = opts.maxRatio ?? 1.1;
  const last = roundMedians.filter((v) => Number.isFinite(v) && v > 0).slice(-window);
  if (last.length < 2) return null;
  const ratio = Math.max(...last) / Math.min(...last);
  return ratio > maxRatio + 1e-12 ? { spread: ratio - 1, n: last.length } : null;
}

/**
 * Relative half-width of the 95 % interval of the centre of the round medians: Student t with
 * n − 1 degrees of freedom on the round medians, divided by their median. Rounds are the unit
 * (iterations within a round are autocorrelated), and with 4–8 rounds an order-statistic interval
 * of the median cannot reach 95 % coverage at all (it needs n ≥ 6), so t is the honest choice.
 */
export function roundPrecision(roundMedians: number[], level = 0.95): number {
  const n = roundMedians.length;
  if (n < 2) return Number.POSITIVE_INFINITY;
  const m = mean(roundMedians);
  const sd = Math.sqrt(roundMedians.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1));
  return (studentTQuantile(1 - (1 - level) / 2, n - 1) * sd) / Math.sqrt(n) / median(roundMedians);
}

export type StopReason = 'precise' | 'max-rounds' | 'max-seconds' | 'continue';

/**
 * The adaptive stopping rule, a pure function of the round medians so far: keep measuring until
 * at least `minRounds` rounds are done, the last window is stable (roundInstability) and the 95 %
 * interval is within ± `precision` (relative, e.g. 0.01); stop anyway at `maxRounds` or when
 * `timeLeft` is false. The caller records the reason.
 */
export function stopDecision(
  roundMedians: number[],
  opts: { minRounds: number; maxRounds: number; precision: number; timeLeft?: boolean },
): { stop: boolean; reason: StopReason; halfWidth: number } {
  const n = roundMedians.length;
  const halfWidth = roundPrecision(roundMedians);
  if (n >= Math.min(opts.minRounds, opts.maxRounds) && !roundInstability(roundMedians) && halfWidth <= opts.precision) {
    return { stop: true, reason: 'precise', halfWidth };
  }
  if (n >= opts.maxRounds) return { stop: true, reason: 'max-rounds', halfWidth };
  if (opts.timeLeft === false) return { stop: true, reason: 'max-seconds', halfWidth };
  return { stop: false, reason: 'continue', halfWidth };
}

/**
 * The stopping rule as the Python harness (bench.py `precise_enough`) receives it in its job file:
 * the plan's limits and the Student t quantiles it needs, so the harness needs no statistics library.
 */
export function harnessStopping(measure: MeasurePlan): { minRounds: number; precision: number; t975: number[] } {
  return {
    minRounds: measure.minRounds,
    precision: measure.precision,
    t975: Array.from({ length: Math.max(1, measure.rounds - 1) }, (_, i) => studentTQuantile(0.975, i + 1)),
  };
}
