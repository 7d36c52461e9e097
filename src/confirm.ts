/**
 * Same-runner A/B confirmation. A stored baseline was measured on another day, maybe another
 * machine of the same kind: its latency differs from today's by run-to-run noise that no interval
 * over one run's rounds can see. When a stored comparison flags a timing row (fail, warn or
 * inconclusive) and the model has `baseline-path`, both models run here, now, interleaved in
 * counterbalanced pairs (A B, B A, A B, …), one timed round per call, through the same Runner port
 * every runner kind implements (after one discarded priming call). The per-pair ratios give a
 * paired interval (compare/stats.ts pairedRatioCI) judged by the same band rules; that verdict replaces the stored one for the
 * flagged rows. Paddle's own PR gate rebuilds both sides on the same GPU for the same reason.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { isTimingMetric, judgeRatio, modelVerdict, pairedRatioCI, type Part } from './compare/index.js';
import { median } from './measure/stats.js';
import { measure as measureRun } from './measure/index.js';
import { t } from './report/strings.js';
import type { PreparedDataset } from './dataset/prepared.js';
import type { Progress, Runner } from './ports.js';
import type { ComparisonRow, MeasurePlan, MetricValue, ModelComparison, ModelPlan, Threshold } from './types.js';

/** Warm-up of each confirmation call (at most the gate's own). */
export const CONFIRM_WARMUP_ITERATIONS = 10;
export const CONFIRM_WARMUP_SECONDS = 0.25;

export interface ConfirmRequest {
  model: ModelPlan;
  /** The gate's measure plan; each call runs one round of it after its usual warm-up. */
  measure: MeasurePlan;
  dataset: PreparedDataset;
  workDir: string;
  /** Interleaved pairs (each pair: one baseline call and one candidate call). */
  pairs: number;
  thresholds: Record<string, Threshold>;
  signal?: AbortSignal;
}

/** Rows a confirmation would re-judge: timing rows that are not a clean pass. */
export function needsConfirmation(comparison: ModelComparison): boolean {
  return comparison.rows.some((r) => isTimingMetric(r.metric) && (r.band === 'fail' || r.band === 'warn' || r.band === 'inconclusive'));
}

/** One timed call of either side: the timing metrics of that call by id. */
async function timedCall(
  runner: Runner,
  req: ConfirmRequest,
  side: 'base' | 'head',
  pair: number,
  progress: Progress,
): Promise<Map<string, MetricValue>> {
  const path = side === 'base' ? req.model.baselinePath! : req.model.path;
  const workDir = join(req.workDir, pair < 0 ? 'ab-priming' : `ab-${pair + 1}-${side}`);
  await mkdir(workDir, { recursive: true });
  const run = await runner.run(
    {
      model: { ...req.model, path },
      // One round per call: the pair, not the round, is the unit here. A short warm-up (ORT and
      // Paddle reach steady state within a few iterations) keeps each call short, so more pairs
      // fit the same time and the pairs sit closer together.
      measure: {
        ...req.measure,
        rounds: 1,
        minRounds: 1,
        warmupIterations: Math.min(req.measure.warmupIterations, CONFIRM_WARMUP_ITERATIONS),
        warmupSeconds: Math.min(req.measure.warmupSeconds, CONFIRM_WARMUP_SECONDS),
      },
      dataset: req.dataset,
      workDir,
      timingOnly: true,
      ...(req.signal ? { signal: req.signal } : {}),
    },
    progress,
  );
  const metrics = measureRun(run, req.dataset, 'generic');
  return new Map(metrics.metrics.filter((m) => isTimingMetric(m.id)).map((m) => [m.id, m] as const));
}

/**
 * Runs the interleaved A/B pairs and returns the comparison with the flagged timing rows replaced
 * by their paired verdicts (and the model verdict recomputed). Rows that were a clean pass and
 * every non-timing row are kept as they were.
 */
export async function confirmComparison(
  runner: Runner,
  req: ConfirmRequest,
  comparison: ModelComparison,
  progress: Progress,
): Promise<ModelComparison> {
  if (!req.model.baselinePath || req.pairs < 2 || !needsConfirmation(comparison)) return comparison;
  progress.info(
    `${req.model.name}: confirming on this runner with ${req.pairs} interleaved A/B pairs (baseline ${req.model.baselinePath})`,
  );
  const base: Array<Map<string, MetricValue>> = [];
  const head: Array<Map<string, MetricValue>> = [];
  // A priming call, discarded: the first call on a runner is slower (a fresh process's page faults,
  // caches, clocks — measured 15–40 % here), and would bias the first pair towards its first side.
  await timedCall(runner, req, 'head', -1, progress);
  for (let i = 0; i < req.pairs; i++) {
    // Counterbalanced order (A B, B A, …): a steady drift of the machine then favours neither side.
    const order: Array<'base' | 'head'> = i % 2 === 0 ? ['base', 'head'] : ['head', 'base'];
    for (const side of order) (side === 'base' ? base : head).push(await timedCall(runner, req, side, i, progress));
  }
  const k = req.pairs;
  const rows = comparison.rows.map((r): ComparisonRow => {
    if (!isTimingMetric(r.metric) || !(r.band === 'fail' || r.band === 'warn' || r.band === 'inconclusive')) return r;
    const th = req.thresholds[r.metric];
    const bv = base.map((m) => m.get(r.metric)?.value ?? Number.NaN);
    const hv = head.map((m) => m.get(r.metric)?.value ?? Number.NaN);
    if (!th || ![...bv, ...hv].every((v) => Number.isFinite(v) && v > 0)) return r;
    const ci = pairedRatioCI(bv, hv);
    const judged = judgeRatio({ id: r.metric, label: r.label, unit: r.unit, better: r.better }, median(bv), median(hv), th, ci, []);
    const confirmed = judged.band === 'fail' || judged.band === 'warn';
    const tag: Part = { key: confirmed ? 'reason.confirmed' : 'reason.notConfirmedAB', args: { n: String(k) } };
    const reasonParts = [...(judged.reasonParts ?? []), tag] as Part[];
    const text = [judged.reason, t('en', tag.key, tag.args)].filter(Boolean).join('; ');
    progress.info(`${req.model.name}: ${r.label}: stored-baseline ${r.band} → A/B ${judged.band} (${text})`);
    return { ...judged, reason: text, reasonParts };
  });
  const { verdict, reason } = modelVerdict(rows);
  return { ...comparison, rows, verdict, reason };
}
