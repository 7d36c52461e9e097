/**
 * Same-runner A/B confirmation. A stored baseline was measured on another day, maybe another
 * machine of the same kind: its latency differs from today's by run-to-run noise that no interval
 * over one run's rounds can see. When a stored comparison leaves a timing row borderline (see
 * borderline(): every row unless history shows the runner is quiet) and the model has
 * `baseline-path`, both models run here, now, interleaved in counterbalanced pairs (A B, B A, A B,
 * …), one timed round per call, through the same Runner port every runner kind implements (after
 * one discarded priming call). Each pair gives a ratio head/base; Yuen's trimmed mean of the log
 * ratios and its interval (compare/stats.ts pairedRatioCI) are judged by the same band rules, and
 * that verdict replaces the stored one for the borderline rows. Paddle's own PR gate rebuilds both
 * sides on the same GPU for the same reason.
 *
 * What a call contributes: its **own cost**, the fastest timed iteration of the call. Interference
 * on a shared runner only ever adds time, so the minimum is the least disturbed estimate of what the
 * model costs (Chen & Revels 2016, "Robust benchmarking in noisy environments", the reasoning
 * behind Julia BenchmarkTools' judge); measured on the project's 2-core machine, a call's median
 * jumps ~17 % whenever a busy spell covers half the call, its minimum does not. The confirmation
 * thus answers one question — is the candidate model slower on this runner, now? — and that answer
 * re-judges every borderline timing row (inverted for throughput). The calls' own p90 / p99 were
 * tried for the tail rows and rejected: on the same data they raised 5.5–6.8 % false alarms on
 * identical models (docs/BENCHMARK.md); a tail-only regression cannot be told from the runner's
 * own bursts by 20 short calls.
 *
 * **The base side must be the baseline** (issue 9): the A side is built from the base commit (a
 * checkout of the baseline's commit, its own gate.yml and files; base-side.ts) or, as a shorthand,
 * from `baseline-path` when this model's spec equals the baseline's recorded spec except for the
 * model file. Before it may clear or confirm anything the A side proves it is the promoted run:
 * its resolved run spec equals the recorded one, its predictions equal the recorded ones (a
 * priming call with the prediction pass), and its own cost agrees with the recorded own cost
 * within the fail level widened by the run-to-run noise. Any check failing voids the confirmation:
 * the stored verdict stands and the rows say why.
 *
 * **Sequential stopping**: at 8, 12 and 16 pairs the pairs stop early when a 99 % interval is
 * decisive — wholly inside the noise band of every re-judged row, or wholly past the fail level of
 * one — and are then judged at 95 % as usual; otherwise they run to the cap (20). By Bonferroni,
 * the three interim looks add at most 3 × 0.5 % = 1.5 % per direction to the chance of stopping on
 * the wrong side.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { isTimingMetric, judgeRatio, mayExceedNoise, modelVerdict, pairedRatioCI, RUN_TO_RUN, type Part } from './compare/index.js';
import { median, normalQuantile } from './measure/stats.js';
import { measure as measureRun } from './measure/index.js';
import { GateError } from './errors.js';
import { describeDifferences, predictionsDigest, runSpecOf, specDifferences } from './run-spec.js';
import type { PreparedDataset } from './dataset/prepared.js';
import type { Progress, Runner } from './ports.js';
import type {
  BaselineRun,
  ComparisonRow,
  MeasurePlan,
  MetricValue,
  ModelComparison,
  ModelPlan,
  PairsFigure,
  RunnerPlan,
  RunResult,
  Threshold,
} from './types.js';
import { counted } from './plural.js';

/** Warm-up of each confirmation call (at most the gate's own). */
export const CONFIRM_WARMUP_ITERATIONS = 10;
export const CONFIRM_WARMUP_SECONDS = 0.25;

/** Sequential stopping: the interim looks (pairs so far) and their interval level. */
const INTERIM_LOOKS = [8, 12, 16] as const;
const INTERIM_LEVEL = 0.99;

/** One side of the pairs: a model with its own dataset and measure settings. */
export interface SidePlan {
  model: ModelPlan;
  measure: MeasurePlan;
  dataset: PreparedDataset;
}

/** The A side, and where it came from (for messages). */
export interface BaseSide extends SidePlan {
  /** e.g. "base checkout of 1a2b3c4d5e6f" or "baseline-path inference/old.onnx". */
  from: string;
}

export interface ConfirmRequest extends SidePlan {
  /** The base side of the pairs. */
  base: BaseSide;
  /** The baseline's run record: the base side must prove it is this run. */
  expected: BaselineRun;
  /** The runner plan both sides run under (part of the run spec). */
  runner: RunnerPlan;
  workDir: string;
  /** The most interleaved pairs (each: one baseline call and one candidate call); sequential stopping may use fewer. */
  pairs: number;
  /**
   * The configured thresholds: they pick the borderline rows and judge the pairs. Not thresholds
   * learned from history: those widen the band for run-to-run noise, which same-runner pairs do
   * not have.
   */
  thresholds: Record<string, Threshold>;
  /** Run-to-run spread learned from history, by metric id (CompareOptions.runToRunByMetric): see borderline(). */
  spread?: Record<string, number>;
  signal?: AbortSignal;
  /** Receives the pairs that were judged (each pair's ratio, the interval, the bands), for report.html. */
  onPairs?: (pairs: PairsFigure) => void;
}

/**
 * Whether a timing row needs the same-runner pairs. The stored comparison's interval is widened by
 * the runner's run-to-run spread; only a learned spread (thresholds-from-history) says how wide
 * that really is. So:
 *   - with a spread learned for the metric, the row is borderline when the stored comparison cannot
 *     rule out a slowdown beyond the configured noise band: fail, warn, inconclusive, or a pass whose
 *     interval still reaches past the band ("no slowdown shown" is not "no slowdown");
 *   - without one, every compared timing row is: the gate cannot know the runner is quiet, and on
 *     the project's 2-core machine processes differ by ~7 %, more than the 5 % band, so a stored
 *     comparison alone lets a third of true +5 % slowdowns through as a clean pass
 *     (docs/BENCHMARK.md).
 */
export function borderline(row: ComparisonRow, thresholds: Record<string, Threshold>, spread?: Record<string, number>): boolean {
  const th = thresholds[row.metric];
  if (!isTimingMetric(row.metric) || th === undefined || row.band === 'missing') return false;
  return spread?.[row.metric] === undefined || mayExceedNoise(row, th);
}

/** Whether a confirmation would re-judge any row of this comparison. */
export function needsConfirmation(
  comparison: ModelComparison,
  thresholds: Record<string, Threshold>,
  spread?: Record<string, number>,
): boolean {
  return comparison.rows.some((r) => borderline(r, thresholds, spread));
}

/**
 * The stored verdict stands: every row the confirmation would have re-judged keeps its band and
 * says why it was not (`kind`: refused before anything ran, or void after the A side failed a check).
 */
export function confirmationNotUsed(
  comparison: ModelComparison,
  kind: 'refused' | 'void',
  why: string,
  thresholds: Record<string, Threshold>,
  spread?: Record<string, number>,
): ModelComparison {
  const tag: Part = { key: kind === 'refused' ? 'reason.abRefused' : 'reason.abVoid', args: { why } };
  const rows = comparison.rows.map((r): ComparisonRow => {
    if (!borderline(r, thresholds, spread)) return r;
    return { ...r, reason: '', reasonParts: [...(r.reasonParts ?? []), tag] };
  });
  return { ...comparison, rows };
}

interface Call {
  /** The timing metrics of the call by id. */
  metrics: Map<string, MetricValue>;
  /** The call's fastest timed iteration, ms. */
  own: number;
}

/** One call of either side; `predict` keeps the prediction pass (the base side's priming call). */
async function call(
  runner: Runner,
  req: ConfirmRequest,
  side: SidePlan,
  dir: string,
  progress: Progress,
  predict = false,
): Promise<{ run: RunResult; call: Call }> {
  const workDir = join(req.workDir, dir);
  await mkdir(workDir, { recursive: true });
  const run = await runner.run(
    {
      model: side.model,
      // One round per call: the pair, not the round, is the unit here. A short warm-up (ORT and
      // Paddle reach steady state within a few iterations) keeps each call short, so more pairs
      // fit the same time and the pairs sit closer together.
      measure: {
        ...side.measure,
        rounds: 1,
        minRounds: 1,
        warmupIterations: Math.min(side.measure.warmupIterations, CONFIRM_WARMUP_ITERATIONS),
        warmupSeconds: Math.min(side.measure.warmupSeconds, CONFIRM_WARMUP_SECONDS),
      },
      dataset: side.dataset,
      workDir,
      ...(predict ? {} : { timingOnly: true }),
      ...(req.signal ? { signal: req.signal } : {}),
    },
    progress,
  );
  const metrics = measureRun({ ...run, outputs: { ids: [], predictions: [] } }, side.dataset, 'generic');
  const own = Math.min(...run.timing.rounds.flat().filter((v) => Number.isFinite(v) && v > 0));
  return { run, call: { metrics: new Map(metrics.metrics.filter((m) => isTimingMetric(m.id)).map((m) => [m.id, m] as const)), own } };
}

/**
 * The A/B verdict of one row from its paired interval (head/base, in the metric's own direction),
 * shown as the baseline calls' value and that times the paired estimate, so the row's change and
 * its interval are the same A/B estimate. The benchmarks judge their confirmations with it too.
 */
export function judgePaired(
  meta: Parameters<typeof judgeRatio>[0],
  shown: number,
  ci: { ratio: number; lo: number; hi: number },
  th: Threshold,
): ComparisonRow {
  return judgeRatio(meta, shown, shown * ci.ratio, th, ci, []);
}

/** A row's paired interval in its own direction (throughput is better when higher: the cost ratio inverted). */
function rowInterval(better: 'higher' | 'lower', cost: { ratio: number; lo: number; hi: number }) {
  return better === 'higher' ? { ratio: 1 / cost.ratio, lo: 1 / cost.hi, hi: 1 / cost.lo } : cost;
}

/**
 * The sequential rule at an interim look: 'pass' when the interval of the cost ratio is wholly
 * inside the noise band of every row to re-judge, 'fail' when it is wholly past the fail level of
 * one of them, else null (go on). Rows with absolute levels never stop early.
 */
export function decisive(
  cost: { lo: number; hi: number },
  rows: Array<Pick<ComparisonRow, 'metric' | 'better'>>,
  thresholds: Record<string, Threshold>,
): 'pass' | 'fail' | null {
  let allWithinNoise = rows.length > 0;
  for (const r of rows) {
    const th = thresholds[r.metric];
    const noise = th?.noise ?? th?.warn;
    // Bad-direction relative change, [L, H].
    const L = r.better === 'higher' ? 1 - 1 / cost.lo : cost.lo - 1;
    const H = r.better === 'higher' ? 1 - 1 / cost.hi : cost.hi - 1;
    if (th?.fail?.kind === 'relative' && L > th.fail.value) return 'fail';
    if (!noise || noise.kind !== 'relative' || !(H <= noise.value)) allWithinNoise = false;
  }
  return allWithinNoise ? 'pass' : null;
}

/**
 * The sequential rule after each pair: at an interim look (INTERIM_LOOKS, below the cap) the 99 %
 * interval of the own-cost ratio decides whether to stop (decisive()); null: go on. Shared with the
 * benchmark, which replays it on recorded pairs.
 */
export function interimDecision(
  base: number[],
  head: number[],
  maxPairs: number,
  rows: Array<Pick<ComparisonRow, 'metric' | 'better'>>,
  thresholds: Record<string, Threshold>,
): { decision: 'pass' | 'fail'; lo: number; hi: number } | null {
  const n = Math.min(base.length, head.length);
  if (n >= maxPairs || !(INTERIM_LOOKS as readonly number[]).includes(n) || ![...base, ...head].every((x) => x > 0)) return null;
  const ci = pairedRatioCI(base, head, INTERIM_LEVEL);
  const decision = decisive(ci, rows, thresholds);
  return decision ? { decision, lo: ci.lo, hi: ci.hi } : null;
}

/** The most the noise measured on the base side's own calls may widen the own-cost tolerance (σ). */
const MEASURED_NOISE_CAP = 0.05;

/**
 * How far the base side's own cost may sit from the recorded one and still be the baseline: the
 * fail level of latency p50 (a runner may be that much slower or faster today — exactly what the
 * pairs are for), widened by the run-to-run noise of two runs, z·√2·σ, with σ the larger of the
 * spread learned from history (else RUN_TO_RUN) and the noise measured on this runner now — the
 * robust spread (1.4826·MAD/median) of the base side's per-call own costs, at most
 * MEASURED_NOISE_CAP, so a loaded runner widens the tolerance to ±26 % at most with the defaults.
 * Relative, symmetric in log space.
 */
export function ownCostTolerance(thresholds: Record<string, Threshold>, spread?: Record<string, number>, measured = 0): number {
  const th = thresholds['latency.p50'];
  const fail = th?.fail?.kind === 'relative' ? th.fail.value : 0.1;
  const sigma = Math.max(spread?.['latency.p50'] ?? RUN_TO_RUN, Math.min(measured, MEASURED_NOISE_CAP));
  return Math.exp(Math.log1p(fail) + normalQuantile(0.975) * Math.SQRT2 * sigma) - 1;
}

/** Robust relative spread of positive values: 1.4826·MAD/median (0 below 3 values). */
export function robustSpread(values: number[]): number {
  if (values.length < 3) return 0;
  const m = median(values);
  return (1.4826 * median(values.map((v) => Math.abs(v - m)))) / m;
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;

/**
 * Runs the interleaved A/B pairs and returns the comparison with the flagged timing rows replaced
 * by their paired verdicts (and the model verdict recomputed). Rows that were a clean pass and
 * every non-timing row are kept as they were. When the base side fails a check, the stored rows
 * stand and say why.
 */
export async function confirmComparison(
  runner: Runner,
  req: ConfirmRequest,
  comparison: ModelComparison,
  progress: Progress,
): Promise<ModelComparison> {
  if (req.pairs < 3 || !needsConfirmation(comparison, req.thresholds, req.spread)) return comparison;
  const name = req.model.name;
  const voided = (why: string) => {
    progress.warn(`${name}: A/B confirmation void, the stored verdict stands: ${why}`);
    return confirmationNotUsed(comparison, 'void', why, req.thresholds, req.spread);
  };
  progress.info(`${name}: confirming on this runner with up to ${req.pairs} interleaved A/B pairs (base side: ${req.base.from})`);

  // 1. The base side proves it is the promoted run, before anything is judged. Its first call
  // primes the runner and is discarded for timing (the first call on a runner is slower: a fresh
  // process's page faults, caches, clocks — measured 15–40 % here); it keeps the prediction pass.
  let prime: Awaited<ReturnType<typeof call>>;
  try {
    if (runner.check) await runner.check({ model: req.base.model, dataset: req.base.dataset, workDir: req.workDir }, progress);
    prime = await call(runner, req, req.base, 'ab-priming', progress, true);
  } catch (error) {
    // A base model that does not load or fit is no baseline to compare with; an abort stays an abort.
    if (req.signal?.aborted || !(error instanceof GateError)) throw error;
    return voided(`the base side does not run: ${error.message.split('\n')[0]}`);
  }
  const spec = runSpecOf(req.base.model, req.base.dataset, req.base.measure, req.runner, prime.run.model.files);
  const diffs = specDifferences(req.expected.spec, spec);
  if (diffs.length > 0) return voided(`the base side is not the baseline's run: ${describeDifferences(diffs)}`);
  const predicted = predictionsDigest(prime.run.outputs);
  if (predicted.sha256 !== req.expected.predictions.sha256 || predicted.samples !== req.expected.predictions.samples) {
    return voided(
      `the base side's predictions on the ${counted(predicted.samples, 'sample', 'samples')} differ from the ${req.expected.predictions.samples} recorded with the baseline`,
    );
  }
  if (req.expected.ownMs === null) return voided('the baseline recorded no timing to check the base side against');

  // 2. The pairs, with sequential stopping.
  const rowsToJudge = comparison.rows.filter((r) => borderline(r, req.thresholds, req.spread));
  const base: Call[] = [];
  const head: Call[] = [];
  let stoppedEarly: 'pass' | 'fail' | null = null;
  for (let i = 0; i < req.pairs; i++) {
    // Counterbalanced order (A B, B A, …): a steady drift of the machine then favours neither side.
    const order: Array<'base' | 'head'> = i % 2 === 0 ? ['base', 'head'] : ['head', 'base'];
    for (const side of order) {
      const c = await call(runner, req, side === 'base' ? req.base : req, `ab-${i + 1}-${side}`, progress);
      (side === 'base' ? base : head).push(c.call);
    }
    const interim = interimDecision(
      base.map((c) => c.own),
      head.map((c) => c.own),
      req.pairs,
      rowsToJudge,
      req.thresholds,
    );
    if (interim) {
      stoppedEarly = interim.decision;
      progress.info(
        `${name}: decisive after ${i + 1} pairs (${pct(interim.lo - 1)} … ${pct(interim.hi - 1)} at 99 %): stopping early (${stoppedEarly})`,
      );
      break;
    }
  }
  const k = base.length;

  // 3. The base side's timing agrees with the baseline's.
  // The fastest of all its iterations, as the recorded own cost is the fastest of the baseline run's:
  // interference only ever adds time, so a loaded runner moves neither much.
  const aOwn = Math.min(...base.map((c) => c.own));
  const tolerance = ownCostTolerance(req.thresholds, req.spread, robustSpread(base.map((c) => c.own)));
  const off = aOwn / req.expected.ownMs - 1;
  if (!(Math.abs(Math.log1p(off)) <= Math.log1p(tolerance))) {
    return voided(
      `the base side's own cost ${aOwn.toFixed(2)} ms is ${pct(off)} from the baseline's ${req.expected.ownMs.toFixed(2)} ms, beyond the ±${(100 * tolerance).toFixed(1)} % that the fail level and the runner's noise allow`,
    );
  }

  // 4. One answer for the model: head/base of the calls' own cost (null when a call has no usable timing).
  const own = [...base, ...head].map((c) => c.own);
  const cost = own.every((x) => Number.isFinite(x) && x > 0)
    ? pairedRatioCI(
        base.map((c) => c.own),
        head.map((c) => c.own),
      )
    : null;
  if (!cost) return voided('a call had no usable timing');
  req.onPairs?.(pairsFigure(base, head, cost, rowsToJudge[0]?.metric, req.thresholds));
  const rows = comparison.rows.map((r): ComparisonRow => {
    const th = req.thresholds[r.metric];
    if (!th || !borderline(r, req.thresholds, req.spread)) return r;
    const ci = rowInterval(r.better, cost);
    const shown = median(base.map((c) => c.metrics.get(r.metric)?.value ?? Number.NaN).filter(Number.isFinite));
    const judged = judgePaired({ id: r.metric, label: r.label, unit: r.unit, better: r.better }, shown, ci, th);
    const confirmed = judged.band === 'fail' || judged.band === 'warn';
    const tag: Part = { key: confirmed ? 'reason.confirmed' : 'reason.notConfirmedAB', args: { n: k } };
    const reasonParts = [...(judged.reasonParts ?? []), tag];
    // The log gives the numbers; the words of the reason are the report's (text/).
    progress.info(
      `${name}: ${r.label}: stored-baseline ${r.band} → A/B ${judged.band} (${pct(ci.lo - 1)} … ${pct(ci.hi - 1)} over ${k} interleaved pairs)`,
    );
    return { ...judged, reason: '', reasonParts };
  });
  const { verdict, reasonParts } = modelVerdict(rows);
  return { ...comparison, rows, verdict, reason: '', reasonParts };
}

/** The pairs as report.html draws them: head/base per pair, the interval, the first judged row's relative levels. */
function pairsFigure(
  base: Call[],
  head: Call[],
  cost: { ratio: number; lo: number; hi: number },
  metric: string | undefined,
  thresholds: Record<string, Threshold>,
): PairsFigure {
  const th = metric !== undefined ? thresholds[metric] : undefined;
  const rel = (level: Threshold['noise']) => (level?.kind === 'relative' ? { value: level.value } : undefined);
  const bands: PairsFigure['bands'] = { metric: metric ?? '' };
  const noise = rel(th?.noise);
  const warn = rel(th?.warn);
  const fail = rel(th?.fail);
  if (noise) bands.noise = noise.value;
  if (warn) bands.warn = warn.value;
  if (fail) bands.fail = fail.value;
  return { ratios: head.map((h, i) => h.own / base[i]!.own), ratio: cost.ratio, lo: cost.lo, hi: cost.hi, bands };
}
