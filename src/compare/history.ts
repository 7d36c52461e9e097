/**
 * Thresholds from history (opt-in, gate.yml `thresholds-from-history: N`): the run-to-run spread
 * of each timing metric over the last N promoted baselines (the same key, so the same runner kind
 * and environment) sets
 *   - the noise band: max(configured noise, k × spread), k = HISTORY_K = 3 (see stats.ts), and
 *   - the run-to-run floor of the stored-baseline interval (CompareOptions.runToRunByMetric),
 * so a noisy runner pool widens its own band instead of crying wolf, and a quiet one keeps the
 * configured band. Fewer than 3 usable baselines: nothing changes.
 */
import type { Baseline, Threshold } from '../types.js';
import { HISTORY_K, historyNoise, runToRunSpread } from './stats.js';
import { isTimingMetric, type CompareOptions } from './index.js';
import { counted } from '../plural.js';

/** Below this the spread of a handful of baselines is luck, not a quiet machine: floor of the learned σ. */
const MIN_SPREAD = 0.005;

export interface HistoryThresholds {
  thresholds: Record<string, Threshold>;
  options: CompareOptions;
  /** One line per metric whose band was learned, for the report's warnings log. */
  notes: string[];
}

export function thresholdsFromHistory(thresholds: Record<string, Threshold>, history: Baseline[], k = HISTORY_K): HistoryThresholds {
  const out: Record<string, Threshold> = { ...thresholds };
  const runToRunByMetric: Record<string, number> = {};
  const notes: string[] = [];
  for (const [id, th] of Object.entries(thresholds)) {
    if (!isTimingMetric(id)) continue;
    const values = history.map((b) => b.metrics.metrics.find((m) => m.id === id)?.value ?? Number.NaN);
    const raw = runToRunSpread(values);
    if (raw === null) continue;
    const spread = Math.max(raw, MIN_SPREAD);
    runToRunByMetric[id] = spread;
    const configured = th.noise ?? th.warn;
    if (!configured || configured.kind !== 'relative') continue;
    const learned = historyNoise(configured.value, spread, k);
    if (learned > configured.value) {
      out[id] = { ...th, noise: { value: learned, kind: 'relative' } };
      notes.push(
        `${id}: noise band ${(100 * learned).toFixed(1)} % (= ${k} × run-to-run spread ${(100 * spread).toFixed(2)} % over the last ${counted(values.filter(Number.isFinite).length, 'baseline', 'baselines')}) instead of ${(100 * configured.value).toFixed(1)} %`,
      );
    }
  }
  return { thresholds: out, options: { runToRunByMetric }, notes };
}
