/**
 * The pipeline's ports: each outside system behind one narrow interface, passed into gate().
 * One real implementation each (stores/, runners/, github/, notify/); tests use real local
 * servers or engines behind the same interfaces.
 */
import type { AcceptanceRecord, Baseline, BaselineKey, BaselineWant, GateReport, ModelPlan, MeasurePlan, RunResult } from './types.js';
import type { PreparedDataset } from './dataset/prepared.js';

/** Progress lines during long work (loading, warm-up, iterations). */
export interface Progress {
  info(message: string): void;
  warn(message: string): void;
}

export interface RunRequest {
  model: ModelPlan;
  measure: MeasurePlan;
  dataset: PreparedDataset;
  /** A directory the runner may write to (logs, the run-result document). */
  workDir: string;
  signal?: AbortSignal;
  /**
   * Timing only (A/B confirmation): skip the prediction pass over the dataset (outputs come back
   * empty) and honour `measure` exactly (typically one round), so short interleaved calls stay short.
   */
  timingOnly?: boolean;
  /** Keep golden outputs (RunResult.outputs.golden) of at most this many bytes of values; absent: none. */
  goldenBytes?: number;
}

export interface Runner {
  readonly kind: 'embedded' | 'docker' | 'local';
  run(request: RunRequest, progress: Progress): Promise<RunResult>;
  /**
   * Optional: checks that the model fits its plan and dataset (inputs, outputs, task) without
   * measuring; the gate calls it for every model before the first measurement. Throws a GateError.
   */
  check?(request: Pick<RunRequest, 'model' | 'dataset' | 'workDir'>, progress: Progress): Promise<void>;
}

export interface BaselineLookup {
  /** The baseline chosen for the comparison, if any. */
  baseline?: Baseline;
  /** True when `baseline` has the run's own fingerprint; false when only another fingerprint had one. */
  sameFingerprint: boolean;
}

/** One gate run's promotion: every model of one commit, written as one transaction. */
export interface PromotionRequest {
  commit: string;
  branch: string;
  entries: Array<{ key: BaselineKey; baseline: Baseline }>;
  /** The acceptances that let this commit's regressions through: recorded in the branch manifest's history entry. */
  acceptance?: AcceptanceRecord[];
  /**
   * Git ancestry: true when `ancestor` is an ancestor of `descendant`, false when it is not,
   * undefined when the history at hand cannot tell (then the store orders by time and says so).
   */
  isAncestor?: (ancestor: string, descendant: string) => Promise<boolean | undefined>;
}

export interface PromotionResult {
  /**
   * promoted: written now · already: this commit was promoted before (its first measurement is
   * kept) · completed: an earlier, unfinished promotion of this commit was rolled forward.
   */
  state: 'promoted' | 'already' | 'completed';
  /** Whether the branch pointer names this commit afterwards (it never moves to an ancestor). */
  pointerMoved: boolean;
  /** What a user should know (first measurement kept, ordered by time, pointer kept on …). */
  notes: string[];
}

export interface BaselineStore {
  /** For messages: 's3://bucket/prefix', 'file:///path'. */
  readonly location: string;
  /**
   * The baseline for `want` under `key` (same fingerprint); when none, the newest baseline of
   * the same repo/gate/model under any other fingerprint (sameFingerprint: false), else none.
   * Throws StoreError on trouble (network, permissions, corrupt or foreign JSON).
   */
  get(key: BaselineKey, want: BaselineWant): Promise<BaselineLookup>;
  /**
   * One transaction: an immutable object per model, then the commit's seal, then the branch
   * manifest (pointers + history), each with conditional writes. Idempotent; a failure throws a
   * StoreError saying truthfully what the store reads as afterwards.
   */
  promote(request: PromotionRequest): Promise<PromotionResult>;
  /** promote() of a single model. */
  put(key: BaselineKey, baseline: Baseline): Promise<PromotionResult>;
  /** The newest `limit` baselines promoted on `branch` under key, newest first. */
  history(key: BaselineKey, limit: number, branch: string): Promise<Baseline[]>;
  /**
   * The promotions of `model` on `branch` from the branch manifest, newest first, under every
   * fingerprint, each with the acceptances it recorded (`paddle-perf-gate history MODEL`).
   */
  log(key: Pick<BaselineKey, 'repo' | 'gate' | 'model'>, branch: string): Promise<PromotionLogEntry[]>;
}

export interface PromotionLogEntry {
  commit: string;
  createdAt: string;
  fingerprintHashes: string[];
  acceptance?: AcceptanceRecord[];
}

/** The PR's one sticky comment per gate (github/comment.ts; tests: a real local GitHub-routes server). */
export interface GitHubPort {
  /** Creates or updates the one comment of this gate on the PR; returns what happened. */
  upsertComment(marker: string, body: string): Promise<'created' | 'updated' | 'unchanged' | 'forbidden'>;
  /** Updates the comment when there is one; never creates (comment modes on-change/on-regression). */
  updateExisting(marker: string, body: string): Promise<'updated' | 'unchanged' | 'absent' | 'forbidden'>;
  /** The body of our comment for `marker` (what the last run wrote: its hidden acceptance records), or undefined. */
  read(marker: string): Promise<string | undefined>;
}

/**
 * Where a run's outcome shows besides the PR comment: the job summary, step outputs and
 * annotations (the action: @actions/core), or the terminal (the CLI: the summary is the report
 * on stdout; no outputs or annotations).
 */
export interface JobPort {
  summary(markdown: string): Promise<void>;
  output(name: string, value: string): void;
  annotate(kind: 'error' | 'warning', text: string, props: { title: string; file?: string }): void;
}

export interface Notifier {
  readonly kind: string;
  send(report: GateReport, markdown: string): Promise<void>;
}

/**
 * Where a run's output directory (report.html/md/json, run and metrics documents, container and
 * harness logs) is kept after the runner is gone: a workflow artifact, an S3 prefix.
 */
export interface ArchivePort {
  /** What the reader is told this is, e.g. "artifact perf-gate-ppocr". */
  readonly name: string;
  /** Stores `files` (absolute, under `dir`) keeping their paths relative to `dir`; returns a URL or location to show. */
  store(dir: string, files: string[]): Promise<{ url?: string }>;
}
