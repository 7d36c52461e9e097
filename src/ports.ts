/**
 * The pipeline's ports: each outside system behind one narrow interface, passed into gate().
 * One real implementation each (stores/, runners/, github/, notify/); tests use real local
 * servers or engines behind the same interfaces.
 */
import type { Baseline, BaselineKey, BaselineWant, GateReport, ModelPlan, MeasurePlan, RunResult } from './types.js';
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
   * Writes an immutable object for baseline.commit and moves baseline.branch's pointer to it,
   * with conditional writes; appends to the history. Throws StoreError and leaves the old
   * baseline intact on any failure.
   */
  put(key: BaselineKey, baseline: Baseline): Promise<void>;
  /** The newest `limit` promoted baselines under key, newest first. */
  history(key: BaselineKey, limit: number): Promise<Baseline[]>;
}

export interface GitHubPort {
  /** Creates or updates the one comment of this gate on the PR; returns what happened. */
  upsertComment(marker: string, body: string): Promise<'created' | 'updated' | 'unchanged' | 'forbidden'>;
}

export interface Notifier {
  readonly kind: string;
  send(report: GateReport, markdown: string): Promise<void>;
}
