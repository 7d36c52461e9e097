/**
 * The pipeline itself: one gate run is one pass down
 *   prepare dataset → run → measure → fetch baseline → compare → verdict → (promote) → report files.
 * Every outside system arrives as a port; the action (action.ts) and the CLI (cli.ts) only build
 * the ports and call runGate().
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyAcceptance, withoutAcceptance } from './compare/accept.js';
import { gateVerdict, judgeModel, type CompareOptions } from './compare/index.js';
import { thresholdsFromHistory } from './compare/history.js';
import { BaseCheckouts, baseSideFor } from './base-side.js';
import { DEFAULT_CONFIRM_PAIRS } from './config/defaults.js';
import { confirmationNotUsed, confirmComparison, needsConfirmation } from './confirm.js';
import { prepareDataset } from './dataset/prepare.js';
import type { PreparedDataset } from './dataset/prepared.js';
import { StoreError } from './errors.js';
import { checkRunPaths } from './preflight.js';
import { fingerprintHash, fingerprintOf } from './fingerprint.js';
import { figuresOf } from './measure/figures.js';
import { measure } from './measure/index.js';
import type { BaselineStore, Progress, Runner } from './ports.js';
import { describe } from './text/index.js';
import { runRecordOf, runSpecOf } from './run-spec.js';
import {
  BASELINE_SCHEMA,
  type AcceptanceRecord,
  type AcceptanceState,
  type Baseline,
  type BaselineKey,
  type BaselineWant,
  type GatePlan,
  type GateReport,
  type ModelComparison,
  type ModelFigures,
  type ModelMetrics,
  type PairsFigure,
  type Verdict,
  type ModelPlan,
} from './types.js';

export interface GateContext {
  /** owner/name, or the directory name for a local run. */
  repo: string;
  commit: string;
  branch: string;
  defaultBranch: string;
  event: 'pull_request' | 'push' | 'local';
  want: BaselineWant;
  /** Write the run as the new baseline if the gate passes. */
  promote: boolean;
  /** Git ancestry for the pointer order (stores/git.ts); absent or undefined: ordered by time, with a warning. */
  isAncestor?: (ancestor: string, descendant: string) => Promise<boolean | undefined>;
  /**
   * A checkout of the baseline's commit prepared by the workflow (`--base-checkout`, input
   * `base-checkout`) for the A/B confirmation's base side; absent: the gate makes a git worktree.
   */
  baseCheckout?: string;
  /**
   * Acceptance on the PR (issue 15): the records read back from the PR comment plus what this
   * run's event gave (github/accept.ts); for a default-branch push, the merged PR's records.
   */
  acceptance?: AcceptanceState;
}

export interface GatePorts {
  store: BaselineStore;
  runner: Runner;
  progress: Progress;
  /** Where prepared datasets are cached between runs. */
  cacheDir: string;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface GateOutcome {
  report: GateReport;
  /** True when the verdict is one of plan.failOn. */
  failed: boolean;
  /** Every model of the run as the baseline it would become (what a shard hands to the aggregate). */
  entries: PromotionEntry[];
  /**
   * Set when the gate passed but writing the new baseline failed: the entries publish the report
   * as usual, then fail the step loudly (exit 2). The previous baseline is intact.
   */
  promotionError?: Error;
  /** What report.html draws, one entry per model of the report (same order); none when nothing was measured (a stored report judged again). */
  figures: ModelFigures[];
}

/** Baselines shown in the comment's latency trend (with this run as the last point). */
const TREND_POINTS = 10;
const TREND_METRIC = 'latency.p50';

/** The trend of latency p50: baselines (newest first from the store) oldest first, then this run; undefined below 2 baselines. */
function trendOf(history: Baseline[], metrics: ModelMetrics, commit: string): GateReport['models'][number]['trend'] {
  const value = (m: ModelMetrics) => m.metrics.find((x) => x.id === TREND_METRIC)?.value;
  const points = history
    .map((b) => ({ commit: b.commit, value: value(b.metrics), ...(b.acceptance?.length ? { accepted: true } : {}) }))
    .filter((p): p is { commit: string; value: number; accepted?: boolean } => typeof p.value === 'number' && Number.isFinite(p.value))
    .reverse();
  const now = value(metrics);
  if (points.length < 2 || typeof now !== 'number' || !Number.isFinite(now)) return undefined;
  return [...points, { commit, value: now }];
}

export async function runGate(plan: GatePlan, ctx: GateContext, ports: GatePorts): Promise<GateOutcome> {
  // Base checkouts made for the A/B confirmation are removed whatever happens.
  const checkouts = new BaseCheckouts({
    configPath: plan.configPath,
    ...(ctx.baseCheckout !== undefined ? { dir: ctx.baseCheckout } : {}),
    progress: ports.progress,
  });
  try {
    return await gateRun(plan, ctx, ports, checkouts);
  } finally {
    await checkouts.cleanup();
  }
}

async function gateRun(plan: GatePlan, ctx: GateContext, ports: GatePorts, checkouts: BaseCheckouts): Promise<GateOutcome> {
  const now = ports.now ?? (() => new Date());
  const startedAt = now();
  const { progress } = ports;
  const warningsLog: string[] = [];
  const warn = (message: string) => {
    warningsLog.push(message);
    progress.warn(message);
  };
  // Before any measurement: a bad --out or store dir, or two of the run's directories in one place, must not cost a run.
  await checkRunPaths(plan, { cacheDir: ports.cacheDir, ...(ctx.baseCheckout !== undefined ? { baseCheckout: ctx.baseCheckout } : {}) });
  await mkdir(plan.output.dir, { recursive: true });
  // A failed run must not leave an earlier run's results looking like its own (artifacts, readers of report.json).
  await removeStale(plan);

  // A prepared base checkout asks for the confirmation even when gate.yml does not.
  const confirm = plan.confirm ?? (ctx.baseCheckout !== undefined ? { pairs: DEFAULT_CONFIRM_PAIRS } : undefined);
  const models: GateReport['models'] = [];
  const promotions: PromotionEntry[] = [];
  const figures: ModelFigures[] = [];

  // Every dataset prepared, and every model checked against it where the runner can, before the first measurement.
  const prepared = new Map<ModelPlan, { dataset: PreparedDataset; workDir: string }>();
  for (const model of plan.models) {
    progress.info(`${model.name}: preparing the dataset`);
    const dataset = await prepareDataset(model.dataset, ports.cacheDir, progress);
    const workDir = join(plan.output.dir, safeName(model.name));
    await mkdir(workDir, { recursive: true });
    await ports.runner.check?.({ model, dataset, workDir }, progress);
    prepared.set(model, { dataset, workDir });
  }

  // parallel: per-device runs the devices' queues side by side; a device never runs two timing runs at once.
  const results = await inDeviceQueues(plan.models, plan.parallel, async (model) => {
    const { dataset, workDir } = prepared.get(model)!;
    const modelStart = now();

    const run = await ports.runner.run(
      {
        model,
        measure: plan.measure,
        dataset,
        workDir,
        ...(plan.goldenBytes > 0 ? { goldenBytes: plan.goldenBytes } : {}),
        ...(ports.signal ? { signal: ports.signal } : {}),
      },
      progress,
    );
    await writeFile(join(workDir, 'run.json'), JSON.stringify(run));
    const metrics = measure(run, dataset, model.task);
    await writeFile(join(workDir, 'metrics.json'), JSON.stringify(metrics));
    const headSpec = runSpecOf(model, dataset, plan.measure, plan.runner, run.model.files);

    const fingerprint = fingerprintOf({ ...run, batchSize: run.timing.batchSize });
    const key: BaselineKey = {
      repo: ctx.repo,
      gate: plan.gate,
      model: model.name,
      fingerprintHash: fingerprintHash(fingerprint, plan.fingerprintFields),
    };

    let comparison: ModelComparison;
    let baselineRef: GateReport['models'][number]['baseline'];
    let trend: GateReport['models'][number]['trend'];
    let baselineDoc: Baseline | undefined;
    let pairs: PairsFigure | undefined;
    try {
      const lookup = await ports.store.get(key, ctx.want);
      const baseline = lookup.baseline;
      baselineDoc = baseline;
      if (baseline) baselineRef = { commit: baseline.commit, branch: baseline.branch, createdAt: baseline.createdAt };
      // Recent baselines of this key: the comment's trend, and the history thresholds below.
      let history: Baseline[] = [];
      if (baseline) {
        try {
          history = await ports.store.history(key, Math.max(TREND_POINTS, plan.thresholdsFromHistory ?? 0), ctx.want.branch);
        } catch (error) {
          // Only the trend needs it when thresholds-from-history is off: then a failed read costs the chart, not the verdict.
          if (!(error instanceof StoreError) || plan.thresholdsFromHistory) throw error;
          warn(`${model.name}: no trend chart: ${error.message}`);
        }
        trend = trendOf(history.slice(0, TREND_POINTS), metrics, ctx.commit);
      }
      // ── issue 6: thresholds from history (opt-in) ──
      let judgePlan: Pick<GatePlan, 'thresholds' | 'fingerprintFields'> = plan;
      let options: CompareOptions = {};
      if (baseline && plan.thresholdsFromHistory) {
        const learned = thresholdsFromHistory(plan.thresholds, history.slice(0, plan.thresholdsFromHistory));
        judgePlan = { ...plan, thresholds: learned.thresholds };
        options = learned.options;
        for (const note of learned.notes) progress.info(`${model.name}: ${note}`);
      }
      comparison = judgeModel(
        baseline && { ...baseline, sameFingerprint: lookup.sameFingerprint },
        { metrics, fingerprint },
        judgePlan,
        options,
      );
      // ── issues 6, 9: same-runner A/B confirmation of borderline timing rows against the base commit as promoted ──
      const spread = options.runToRunByMetric;
      if (baseline && confirm && comparison.verdict !== 'incomparable' && needsConfirmation(comparison, plan.thresholds, spread)) {
        const side = await baseSideFor({
          model,
          headSpec,
          baseline,
          checkouts,
          measure: plan.measure,
          dataset,
          cacheDir: ports.cacheDir,
          progress,
        });
        if ('refused' in side) {
          warn(`${model.name}: A/B confirmation refused, the stored verdict stands: ${side.refused}`);
          comparison = confirmationNotUsed(comparison, 'refused', side.refused, plan.thresholds, spread);
        } else {
          comparison = await confirmComparison(
            ports.runner,
            {
              model,
              measure: plan.measure,
              dataset,
              base: side.ok,
              expected: baseline.run!,
              runner: plan.runner,
              workDir,
              pairs: confirm.pairs,
              thresholds: plan.thresholds,
              ...(spread && { spread }),
              onPairs: (p) => (pairs = p),
              ...(ports.signal ? { signal: ports.signal } : {}),
            },
            comparison,
            { info: progress.info, warn },
          );
        }
      }
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      warn(`${model.name}: baseline unreadable from ${ports.store.location}: ${error.message}`);
      comparison = {
        ...judgeModel(undefined, { metrics, fingerprint }, plan),
        verdict: 'unreadable',
        reasonParts: [{ key: 'reason.baselineUnreadable', args: { message: error.message } }],
      };
    }

    // The golden outputs live in the baseline (and metrics.json), not in the report.
    const { golden: _golden, ...shown } = metrics;
    const entry: GateReport['models'][number] = {
      ...(model.variant ? { variant: model.variant } : {}),
      // judging says why in keys; the report's JSON keeps the English words too
      comparison: describe(comparison),
      metrics: shown,
      run: {
        model: run.model,
        engine: run.engine,
        env: run.env,
        rounds: run.timing.rounds.length,
        iterations: run.timing.rounds.reduce((n, r) => n + r.length, 0),
        warmupIterations: run.timing.warmupIterations,
        batchSize: run.timing.batchSize,
      },
      ...(baselineRef ? { baseline: baselineRef } : {}),
      ...(trend ? { trend } : {}),
    };
    const figure = await figuresOf({ run, metrics, dataset: model.dataset, ...(baselineDoc ? { baseline: baselineDoc } : {}) });
    const promotion: PromotionEntry = {
      key,
      baseline: {
        schema: BASELINE_SCHEMA,
        gate: plan.gate,
        model: model.name,
        repo: ctx.repo,
        commit: ctx.commit,
        branch: ctx.branch,
        createdAt: now().toISOString(),
        fingerprint,
        fingerprintHash: key.fingerprintHash,
        metrics,
        run: runRecordOf(headSpec, run),
        seconds: (now().getTime() - modelStart.getTime()) / 1000,
      },
    };
    return { entry, promotion, figure: pairs ? { ...figure, pairs } : figure };
  });
  for (const { entry, promotion, figure } of results) {
    models.push(entry);
    promotions.push(promotion);
    figures.push(figure);
  }

  for (const line of await checkouts.gone(plan.models.map((m) => m.name))) warn(line);

  const judged = judgeAcceptance(
    {
      gate: plan.gate,
      verdict: 'pass',
      regressions: 0,
      warnings: 0,
      models,
      warningsLog,
      startedAt: startedAt.toISOString(),
      durationSeconds: (now().getTime() - startedAt.getTime()) / 1000,
    },
    plan,
    ctx.acceptance,
  );
  const { report, summary } = judged;
  // The audit trail: the acceptances that let this commit's regressions through go with its baselines.
  const accepted = acceptedRecords(report);
  if (accepted.length > 0) for (const p of promotions) p.baseline.acceptance = accepted;

  // Promotion: only judged runs, only when asked (the entries decide: push to the default branch, --promote).
  const promotionError = ctx.promote
    ? await promoteRun(plan, ctx, { report, summary, entries: promotions, acceptance: accepted }, ports, warn)
    : undefined;

  // The report files, like everything a user reads, are the publish stage's (publish/).
  return { report, failed: summary.failed, entries: promotions, figures, ...(promotionError ? { promotionError } : {}) };
}

/**
 * The gate's verdict over the judged models, after the acceptances on the PR (if any): one rule
 * for a fresh run and for a stored report judged again (a label or a comment on the same head).
 */
function judgeAcceptance(
  report: GateReport,
  plan: Pick<GatePlan, 'thresholds' | 'failOn'>,
  acceptance: AcceptanceState | undefined,
): { report: GateReport; summary: ReturnType<typeof gateVerdict> } {
  let models = report.models;
  let state: AcceptanceState | undefined;
  if (acceptance) {
    const applied = applyAcceptance(withoutAcceptance(models.map((m) => m.comparison)), acceptance, plan.thresholds);
    models = models.map((m, i) => ({ ...m, comparison: describe(applied.models[i]!) }));
    state = applied.state;
  }
  const summary = gateVerdict(
    models.map((m) => m.comparison),
    plan.failOn,
  );
  const { acceptance: _old, accepted: _count, promotion: _promotion, ...rest } = report;
  return {
    report: {
      ...rest,
      verdict: summary.verdict,
      regressions: summary.regressions,
      warnings: summary.warnings,
      inconclusive: summary.inconclusive,
      ...(summary.accepted > 0 ? { accepted: summary.accepted } : {}),
      models,
      ...(state ? { acceptance: state } : {}),
      ...(report.promotion ? { promotion: report.promotion } : {}),
    },
    summary,
  };
}

/**
 * A stored report of the same PR head judged again under the acceptance as it is now (the run of
 * a `labeled`/`unlabeled` or comment event): nothing is measured, nothing promoted.
 */
export function rejudge(report: GateReport, plan: Pick<GatePlan, 'thresholds' | 'failOn'>, acceptance: AcceptanceState): GateOutcome {
  const { promotion: _promotion, ...rest } = report;
  const { report: judged, summary } = judgeAcceptance(rest, plan, acceptance);
  return { report: judged, failed: summary.failed, entries: [], figures: [] };
}

/** The records that covered at least one row of this run. */
export function acceptedRecords(report: GateReport): AcceptanceRecord[] {
  const used = new Set(
    report.models.flatMap((m) => m.comparison.rows.flatMap((r) => (r.accepted ? [`${r.accepted.by}\u0000${r.accepted.at}`] : []))),
  );
  return (report.acceptance?.records ?? []).filter((r) => used.has(`${r.by}\u0000${r.at}`));
}

export type PromotionEntry = { key: BaselineKey; baseline: Baseline };

/** The queue a model's runs wait in under parallel: per-device: its GPU, or the one CPU queue. */
export function deviceQueue(model: Pick<ModelPlan, 'engine'>): string {
  return model.engine.device === 'gpu' ? `gpu ${model.engine.deviceId}` : 'cpu';
}

/**
 * Runs `task` for every model and returns the results in the models' order. parallel off: one
 * after another. per-device: one queue per device (deviceQueue), the queues side by side, each
 * queue one model at a time, so no device ever runs two timing runs at once; every CPU model
 * shares the one CPU queue (timing runs on a CPU would disturb each other). When a task fails, its
 * queue stops, the others finish what they started, and the first error is thrown.
 */
export async function inDeviceQueues<M extends Pick<ModelPlan, 'engine'>, R>(
  models: readonly M[],
  parallel: GatePlan['parallel'],
  task: (model: M) => Promise<R>,
): Promise<R[]> {
  const queues = new Map<string, number[]>();
  models.forEach((model, i) => {
    const key = parallel === 'per-device' ? deviceQueue(model) : 'all';
    queues.set(key, [...(queues.get(key) ?? []), i]);
  });
  const results = new Array<R>(models.length);
  const settled = await Promise.allSettled(
    [...queues.values()].map(async (indexes) => {
      for (const i of indexes) results[i] = await task(models[i]!);
    }),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return results;
}

/**
 * Promotes a judged run — one gate run, or the shards of one merged by `aggregate` — in one store
 * transaction, or says in report.promotion why not. Returns the store's error when the write failed.
 */
export async function promoteRun(
  plan: Pick<GatePlan, 'promoteOn'>,
  ctx: GateContext,
  run: {
    report: GateReport;
    summary: { verdict: Verdict; failed: boolean };
    entries: PromotionEntry[];
    /** The acceptances that let the run's regressions through (the audit trail in the manifest). */
    acceptance?: AcceptanceRecord[];
  },
  ports: Pick<GatePorts, 'store' | 'progress'>,
  warn: (message: string) => void,
): Promise<Error | undefined> {
  const { report } = run;
  const refusal = promotionRefusal(plan, ctx, run.summary, report.models);
  if (refusal) {
    // A baseline the store could not read is not a choice of promote-on: the promotion could not happen.
    if (refusal.unread.length > 0) {
      const error = new StoreError(
        `the baseline store ${ports.store.location} could not be read for ${refusal.unread.join(', ')}, so nothing was promoted (${refusal.why})`,
      );
      report.promotion = { done: false, failed: true, message: `promotion FAILED: ${error.message}` };
      return error;
    }
    report.promotion = { done: false, message: `not promoted: ${refusal.why}` };
    return undefined;
  }
  try {
    // One transaction for every model: the store reads all old or all new afterwards.
    const result = await ports.store.promote({
      commit: ctx.commit,
      branch: ctx.branch,
      entries: run.entries,
      ...(run.acceptance?.length ? { acceptance: run.acceptance } : {}),
      ...(ctx.isAncestor ? { isAncestor: ctx.isAncestor } : {}),
    });
    for (const note of result.notes) (/^UNSAFE|cannot tell/.test(note) ? warn : ports.progress.info)(note);
    const what = {
      promoted: `promoted ${ctx.commit.slice(0, 12)} (${ctx.branch}) as the baseline in ${ports.store.location}`,
      already: `${ctx.commit.slice(0, 12)} (${ctx.branch}) was already promoted in ${ports.store.location}; its first measurement is kept`,
      completed: `completed the promotion of ${ctx.commit.slice(0, 12)} (${ctx.branch}) in ${ports.store.location}`,
    }[result.state];
    const pointer = result.pointerMoved ? '' : ` (branch '${ctx.branch}' stays on a newer baseline)`;
    // Said once, by the entries (the report's "Baseline:" line, the CLI's log line, the action's log).
    report.promotion = { done: true, message: `${what}${pointer}` };
    return undefined;
  } catch (error) {
    const promotionError = error instanceof Error ? error : new StoreError(String(error));
    // The store's message says what it reads as afterwards (nothing promoted, or sealed but the pointer not moved).
    report.promotion = { done: false, failed: true, message: `promotion FAILED: ${promotionError.message}` };
    return promotionError;
  }
}

/**
 * Whether a promotion that could not happen fails the run (exit 2) or only warns: gate.yml's
 * promote-failure (or the action input, --promote-failure), else fail on the default branch (a
 * lost baseline is a lost baseline) and warn on any other branch a run promotes.
 */
export function promoteFailureFails(plan: Pick<GatePlan, 'promoteFailure'>, ctx: Pick<GateContext, 'branch' | 'defaultBranch'>): boolean {
  return (plan.promoteFailure ?? (ctx.branch === ctx.defaultBranch ? 'fail' : 'warn')) === 'fail';
}

/** The files an earlier run wrote: the report and, per model, its run and metrics documents and logs. */
async function removeStale(plan: GatePlan): Promise<void> {
  const files = ['report.md', 'report.json', 'report.html'].map((f) => join(plan.output.dir, f));
  for (const model of plan.models) {
    const dir = join(plan.output.dir, safeName(model.name));
    files.push(...['run.json', 'metrics.json', 'container.log', 'harness.log'].map((f) => join(dir, f)));
  }
  await Promise.all(files.map((f) => rm(f, { force: true })));
}

/**
 * Why this run must not become a baseline, or undefined when it may; `unread`: the models held
 * back only because the store could not read their baselines (a promotion that could not happen,
 * not one the policy refused).
 */
function promotionRefusal(
  plan: Pick<GatePlan, 'promoteOn'>,
  ctx: GateContext,
  summary: { verdict: Verdict; failed: boolean },
  models: GateReport['models'],
): { why: string; unread: string[] } | undefined {
  // A pull request's run never becomes the default branch's baseline, whatever `promote` says.
  if (ctx.event === 'pull_request' && (!ctx.branch || ctx.branch === ctx.defaultBranch)) {
    return { why: `a pull-request run never writes the baseline of the default branch '${ctx.defaultBranch}'`, unread: [] };
  }
  if (summary.failed) return { why: `the gate's verdict is ${summary.verdict}`, unread: [] };
  // An accepted regression was let through on purpose by a writer: it is meant to become the baseline.
  const allowed: readonly Verdict[] = plan.promoteOn;
  const unjudged = models.filter((m) => m.comparison.verdict !== 'accepted' && !allowed.includes(m.comparison.verdict));
  if (unjudged.length > 0) {
    const list = unjudged.map((m) => `${m.comparison.model} is ${m.comparison.verdict}`).join(', ');
    return {
      why: `${list} (promote-on: ${allowed.join(', ')})`,
      unread: unjudged.filter((m) => m.comparison.verdict === 'unreadable').map((m) => m.comparison.model),
    };
  }
  return undefined;
}

/** A model name as a directory name ('.' and '..' never name a directory). */
function safeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_');
  return /^\.*$/.test(safe) ? `_${safe}` : safe;
}
