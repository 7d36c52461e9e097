/**
 * The data that crosses the pipeline. Everything here is plain JSON-able data; the functions
 * that work on it live in config/, measure/, compare/, report/.
 *
 *   GatePlan ──runner──▶ RunResult ──measure──▶ ModelMetrics ──compare(baseline)──▶ ModelComparison
 *                                                                         └──▶ GateReport ──report/publish
 */

// ───────────────────────────── plan (from gate.yml + inputs) ─────────────────────────────

export type Task = 'classification' | 'ocr-rec' | 'generic';
export type ModelFormat = 'onnx' | 'paddle-pdmodel' | 'paddle-pir';
export type Device = 'cpu' | 'gpu';
export type Precision = 'fp32' | 'fp16' | 'bf16' | 'int8';
export type EngineName = 'onnxruntime' | 'paddle';

/** How images become tensors. Every runner feeds the prepared tensors; no harness preprocesses. */
export type Preprocess =
  /**
   * PaddleOCR recognition: height H keeping ratio, pad width to W, (x/255 − 0.5)/0.5. Without
   * `dynamic`: PaddleOCR's eval path (every line at width W). With it: predict_rec.py's inference
   * path — lines sorted by w/h, batches of `batch`, each padded to int(H · max(W/H, its widest ratio)).
   */
  | { kind: 'ppocr-rec'; shape: [number, number, number]; dynamic?: { batch: number } }
  /** PaddleOCR direction classifier: same resize-and-pad rule as recognition, default 3×48×192. */
  | { kind: 'ppocr-cls'; shape: [number, number, number] }
  /** PaddleClas: resize short side, centre-crop, /255, ImageNet mean/std, CHW. */
  | { kind: 'imagenet'; resizeShort: number; crop: number };

export type DatasetPlan =
  /** PaddleOCR recognition label file: `image_path<TAB>text` (paths relative to `root`). */
  | { format: 'ppocr-rec'; labels: string; root: string; dictionary: string; limit?: number; preprocess: Preprocess }
  /** PaddleClas / ImageNet list: `image_path label` (label = class index). */
  | { format: 'image-list'; labels: string; root: string; classNames?: string[]; limit?: number; preprocess: Preprocess }
  /** Already prepared: `inputs` is an NPY float32 array [N, ...]; `labels` one label per line (optional for generic). */
  | { format: 'npy'; inputs: string; labels?: string; dictionary?: string; classNames?: string[]; limit?: number }
  /**
   * No files: `count` seeded random samples of `shape` (batch axis first, 1), values uniform in
   * `range`, generated on the fly by dataset/random.ts and harness/bench.py with the same PRNG.
   */
  | {
      format: 'random';
      shape: number[];
      dtype: 'float32';
      range: [number, number];
      count: number;
      seed: number;
      dictionary?: string;
      classNames?: string[];
      limit?: number;
    };

export interface EnginePlan {
  name: EngineName;
  device: Device;
  precision: Precision;
  threads: number;
  batchSize: number;
  /** Paddle-only switches; recorded in the fingerprint for every engine. */
  tensorrt: boolean;
  mkldnn: boolean;
  irOptim: boolean;
  memoryOptim: boolean;
  /** GPU id inside the runner (docker: the container's view). */
  deviceId: number;
  /** Paddle TensorRT dynamic shapes of the input (gate.yml engine.trt-shapes); unset: collected from the dataset. */
  trtShapes?: { min: number[]; opt: number[]; max: number[] };
}

export interface ModelPlan {
  name: string;
  /** Absolute path: a .onnx file, a .pdmodel, an inference.json, or a directory holding one. */
  path: string;
  format: ModelFormat;
  /**
   * Set when `path` came from a directory holding both inference.json (Paddle 3 PIR) and a 2.x
   * .pdmodel, and no format was given: that .pdmodel, which the harness loads instead on Paddle 2.x.
   */
  alternative?: string;
  task: Task;
  dataset: DatasetPlan;
  engine: EnginePlan;
  /**
   * Optional path of the base side's model, for same-runner A/B confirmation: a shorthand for "the
   * baseline's run spec with another model file", used only when this model's spec equals the
   * baseline's recorded spec except for the model hash.
   */
  baselinePath?: string;
  /** Set for one variant of a gate.yml model entry (models[].variants[]): `name` is then `<of>[<label>]`. */
  variant?: ModelVariant;
}

/** Which model entry a variant belongs to, and its label: the comment groups variants by `of`. */
export interface ModelVariant {
  of: string;
  label: string;
}

export interface MeasurePlan {
  /** Warm-up iterations (not timed) and/or seconds, whichever ends later. */
  warmupIterations: number;
  warmupSeconds: number;
  /** A round is a block of iterations; the unit of comparison. */
  rounds: number;
  minIterationsPerRound: number;
  minRoundSeconds: number;
  /** Upper bound of measurement per model side, seconds (adaptive stopping stays under it). */
  maxSeconds: number;
  /** Adaptive stopping: at least this many rounds (default 4); `rounds` is then the maximum. */
  minRounds: number;
  /** Adaptive stopping: stop once the 95 % interval of the round medians is within ± this (relative, default 0.01). */
  precision: number;
  /**
   * The accuracy pass's own execution (every sample predicted once, before timing; timing keeps
   * the engine's threads and batch-size): samples per call, and CPU threads ('auto': the cores
   * the runner may use). It decides how fast predictions come, never what they are (the batch-1
   * check), so it is no part of the run spec a baseline records.
   */
  accuracy: AccuracyPlan;
}

export interface AccuracyPlan {
  /**
   * Samples per call, or auto: the embedded runner tries PaddleOCR's 6 and smaller batches on the
   * pass's first chunks and keeps the one cheapest a line (runners/accuracy.ts); the harness uses 6.
   */
  batch: number | 'auto';
  threads: number | 'auto';
}

export type RunnerPlan =
  | { kind: 'embedded' }
  | {
      kind: 'docker';
      image: string;
      pull: 'missing' | 'always' | 'never';
      gpus: 'all' | 'none' | string[];
      network: boolean;
      limits: { memory?: number /* bytes */; cpus?: number; pids?: number; timeoutSeconds: number; pullTimeoutSeconds: number };
      /** Bring-your-own command (argv); it must write the run-result document to $PPG_OUTPUT. */
      command?: string[];
      python: string;
      registryAuth?: { username: string; password: string; serveraddress?: string };
    }
  | { kind: 'local'; python: string; timeoutSeconds: number; command?: string[] };

export type StorePlan =
  | { kind: 'file'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      region: string;
      endpoint?: string;
      forcePathStyle: boolean;
      /** Promote even where the probe found conditional writes ignored (unsafe opt-in). */
      unsafeUnconditionalWrites?: boolean;
    }
  /** dir: parent of the store's private restore directory (default RUNNER_TEMP). */
  | { kind: 'actions-cache'; prefix: string; dir?: string };

/** `10%` → relative; `0.5pp` → absolute percentage points; `2ms`, `64MB`, `5/s` → absolute in that unit. */
export interface Level {
  value: number;
  kind: 'relative' | 'absolute';
}

export interface Threshold {
  better: 'higher' | 'lower';
  /** Changes in the bad direction up to `noise` never warn or fail. */
  noise?: Level;
  warn?: Level;
  fail?: Level;
  /** A change must also exceed this absolute amount to warn/fail (memory: 64 MB). */
  minAbsolute?: number;
  /** Output drift only: an element is outside when |current − golden| > atol + rtol·|golden|. */
  tolerance?: { atol: number; rtol: number };
}

export type FailOnVerdict = 'fail' | 'warn' | 'inconclusive' | 'unreadable';
export type PromoteOnVerdict = 'pass' | 'warn' | 'no-baseline' | 'incomparable' | 'inconclusive' | 'unreadable';
/** Judged runs only: an unstable measurement, an unreadable baseline or a regression never becomes a baseline. */

export interface GatePlan {
  gate: string;
  /** Absolute path of gate.yml (or '<embedded>' for the built-in demo). */
  configPath: string;
  /** Directory relative paths in gate.yml are resolved from. */
  baseDir: string;
  models: ModelPlan[];
  runner: RunnerPlan;
  measure: MeasurePlan;
  thresholds: Record<string, Threshold>;
  store: StorePlan;
  output: { dir: string };
  /** Fingerprint fields that must match for a comparison to be fair. */
  fingerprintFields: string[];
  /** Fail the gate on these verdicts (default: fail only). */
  failOn: FailOnVerdict[];
  /** Promote only when every model's verdict is one of these (default: DEFAULT_PROMOTE_ON, config/defaults.ts). */
  promoteOn: PromoteOnVerdict[];
  /** A promoting run whose promotion could not happen: exit 2 (fail) or by the verdict (warn); absent: fail on the default branch, warn elsewhere. */
  promoteFailure?: 'warn' | 'fail';
  /** Same-runner A/B confirmation of timing rows (models with baselinePath; see confirm.ts borderline); absent: off. */
  confirm?: { pairs: number };
  /** Noise band from the run-to-run spread of the last N baselines (opt-in; absent: off). */
  thresholdsFromHistory?: number;
  /** Cap of the golden outputs a run keeps for drift checks: bytes of float32 values before compression (gate.yml measure.golden-bytes). */
  goldenBytes: number;
  /** off: models one after another; per-device: one queue per GPU side by side (CPU models share one queue). */
  parallel: 'off' | 'per-device';
}

// ───────────────────────────── run result (harness ↔ action contract) ─────────────────────────────

export const RUN_SCHEMA = 'paddle-perf-gate/run@1' as const;

/** One sample's raw prediction; decoding and scoring happen in TypeScript (measure/). */
export type RawOutput =
  /** CTC: argmax class id per time step (blank = 0), and that step's probability. */
  | { kind: 'ctc'; ids: number[]; probs: number[] }
  /** Classification: top-k class ids and scores, best first. */
  | { kind: 'topk'; ids: number[]; scores: number[] }
  /** Anything else: a digest of the outputs rounded to 1e-4, for drift checks. */
  | { kind: 'digest'; sha256: string };

export interface RunResult {
  schema: typeof RUN_SCHEMA;
  model: {
    name: string;
    format: ModelFormat;
    files: Array<{ path: string; sha256: string; bytes: number }>;
  };
  engine: {
    name: EngineName;
    version: string;
    device: Device;
    precision: Precision;
    options: Record<string, string | number | boolean>;
  };
  /** Environment fingerprint: unknown values are null, never guessed. */
  env: Record<string, string | null>;
  timing: {
    warmupIterations: number;
    batchSize: number;
    /** Per-round per-iteration latencies in milliseconds, after warm-up. */
    rounds: number[][];
    /** Wall-clock seconds of the whole measurement (load excluded). */
    measureSeconds: number;
    /** Seconds from runner start (container start, process start) to the first timed iteration. */
    startupSeconds: number;
  };
  memory: {
    /** Device-wide GPU memory (MB) before the model loaded; null when unmeasurable. */
    gpuIdleMb: number | null;
    /** GPU samples (MB, idle subtracted) with the timed-iteration index they were taken at. */
    gpu: { iteration: number[]; mb: number[] } | null;
    /** Process resident set size samples (MB). */
    rss: { iteration: number[]; mb: number[] };
  };
  /** One entry per dataset sample, in dataset order; `golden`: the raw output values drift is judged on. */
  outputs: { ids: string[]; predictions: RawOutput[]; golden?: GoldenOutputs };
  /** Free-form notes from the harness (e.g. the engine's warnings), never parsed. */
  notes?: string[];
}

/**
 * Golden outputs of a run (runners/golden.ts, harness/bench.py `Golden`): per output tensor, per
 * sample a compact summary of all its values and a fixed subsample of them, so the next run can
 * be compared value by value within a size cap. Kept values of a sample of `size` elements: the
 * elements at floor(j · size / kept), j = 0 … kept − 1, kept = min(size, perSample).
 */
export interface GoldenOutputs {
  /** Sample ids, in the order of every array below. */
  ids: string[];
  outputs: Array<{
    name: string;
    /** Per sample: [elements, mean, root mean square, min, max] over all of its values (float64). */
    summary: Array<[number, number, number, number, number]>;
    /** Per sample: values kept. */
    kept: number[];
    /** The kept values of every sample in order, float32 little-endian, raw-deflated, base64. */
    values: string;
  }>;
}

// ───────────────────────────── metrics and comparison ─────────────────────────────

export type Unit = '%' | 'ms' | '/s' | 'MB' | 'MB/1k';

export interface MetricValue {
  id: string; // e.g. 'accuracy.line', 'latency.p50', 'memory.gpu.peak'
  label: string; // 'line accuracy'
  unit: Unit;
  better: 'higher' | 'lower';
  value: number | null;
  /** The raw material the statistics need: per-round values (latency), per-sample 0/1 (accuracy). */
  rounds?: number[];
  perSample?: { ids: string[]; ok: number[] };
  /** Interval of the value itself when known (e.g. slope ± 95 %). */
  interval?: [number, number];
}

export interface ModelMetrics {
  model: string;
  task: Task;
  samples: number;
  iterations: number;
  metrics: MetricValue[];
  /** Decoded predictions (text or class name) per sample, for the report's examples. */
  decoded?: Array<{ id: string; label: string | null; prediction: string }>;
  /**
   * OCR: label characters outside the dictionary, dropped before scoring as PaddleOCR's label
   * encoding does (characters, labels they were in, labels left empty and so not scored).
   */
  labelEncoding?: { characters: number; lines: number; emptied: number };
  /** The run's golden outputs (kept in the baseline; left out of the report). */
  golden?: GoldenOutputs;
}

/** accepted: a failing row that an acceptance on the PR covers (compare/accept.ts). */
export type Band = 'pass' | 'warn' | 'fail' | 'inconclusive' | 'missing' | 'accepted';

export interface ComparisonRow {
  metric: string;
  label: string;
  unit: Unit;
  better: 'higher' | 'lower';
  baseline: number | null;
  current: number | null;
  /** current − baseline, in the metric's unit (percentage points for '%'). */
  deltaAbs: number | null;
  /** (current − baseline) / |baseline|; null when the baseline is 0 or missing. */
  deltaRel: number | null;
  /** Confidence interval of the relative change (latency) or of the absolute change (accuracy pp). */
  interval?: { lo: number; hi: number; of: 'relative' | 'absolute'; level: number };
  pValue?: number;
  band: Band;
  /** `reasonParts` in English (text/ writes it; empty straight out of compare/). */
  reason: string;
  /** Why, as message keys of text/strings.ts with raw arguments: text/ renders them in either language. */
  reasonParts?: ReasonPart[];
  /** Set when band is 'accepted': the acceptance that covers this failing row. */
  accepted?: AcceptedBy;
  /** Output drift rows: the figures of the value-by-value comparison with the baseline's golden outputs. */
  drift?: DriftDetail;
}

/** One output tensor's drift against the golden outputs (compare/drift.ts). */
export interface DriftDetail {
  output: string;
  /** Values compared (kept by both runs) and samples they came from. */
  values: number;
  samples: number;
  maxAbs: number;
  meanAbs: number;
  /** Largest |Δ| / |golden| over values whose golden is not 0 (0 when there are none). */
  maxRel: number;
  /** Cosine similarity of the two value vectors (1 when both are all zeros). */
  cosine: number;
  /** Values outside atol + rtol·|golden|. */
  outside: number;
  atol: number;
  rtol: number;
  /** The samples with the largest |Δ|, worst first (at most 5, only those with a difference); maxAbs null: the output changed size. */
  worst: Array<{ id: string; maxAbs: number | null; outside: number }>;
}

/**
 * An argument of a reason, raw: text/ formats it. A string or number is shown as it is; the
 * objects name how: a threshold level, a value or change in the metric's unit, an amount, a
 * relative change (0.052 → "+5.2 %"), a proportion shown as a percentage, a p-value, or the rows
 * of the same comparison with these metric ids ("latency p90 (why), …").
 */
export type ReasonArg =
  | string
  | number
  | { level: Level; unit: Unit }
  | { value: number; unit: Unit }
  | { change: number; unit: Unit }
  | { amount: number; unit: Unit }
  | { rel: number }
  | { percent: number; digits: number }
  | { p: number }
  | { rows: string[] };

export interface ReasonPart {
  key: string;
  args?: Record<string, ReasonArg>;
}

export type Verdict = 'pass' | 'warn' | 'fail' | 'inconclusive' | 'incomparable' | 'no-baseline' | 'unreadable' | 'accepted';

// ───────────────────────────── acceptance (issue 15) ─────────────────────────────

/** Who accepted a regression on purpose, and how (a PR label or a `/perf-gate accept` comment). */
export interface AcceptedBy {
  by: string;
  /** ISO 8601. */
  at: string;
  reason: string;
  via: 'label' | 'comment';
  /** The PR head commit the acceptance was given for. */
  sha: string;
  pr: number;
  /** True when given for an earlier head: this run's change is no worse than the accepted one (within the noise band). */
  carried?: boolean;
}

/**
 * One acceptance as recorded in the PR comment (hidden) and the report: bound to the head SHA it
 * was given for, with the changes it accepted, so a later push is judged against them.
 */
export interface AcceptanceRecord {
  by: string;
  at: string;
  reason: string;
  via: 'label' | 'comment';
  sha: string;
  pr: number;
  /** Metric ids or prefixes ('latency' covers latency.p50…), or 'all'. */
  metrics: string[] | 'all';
  /** The failing rows it accepted at `sha`: their changes, the yardstick for a later head. */
  rows: Array<{ model: string; metric: string; unit?: Unit; deltaAbs: number | null; deltaRel: number | null }>;
}

/** An acceptance that was asked for and not counted, with why (a message key and its arguments). */
export interface AcceptanceRefusal {
  by: string;
  via: 'label' | 'comment';
  why: ReasonPart;
}

/** What the run knew of acceptance: the records (kept in the PR comment) and the refusals to show. */
export interface AcceptanceState {
  pr: number;
  /** The PR head this run judged. */
  head: string;
  records: AcceptanceRecord[];
  refused: AcceptanceRefusal[];
}

export interface ModelComparison {
  model: string;
  verdict: Verdict;
  /** `reasonParts` in English (text/ writes it; empty straight out of compare/). */
  reason: string;
  /** Why, as message keys with raw arguments (absent in reports written before issue 14). */
  reasonParts?: ReasonPart[];
  rows: ComparisonRow[];
  /** Fingerprint fields that differ from the baseline's (incomparable). */
  differences?: Array<{ field: string; baseline: string | null; current: string | null }>;
}

// ───────────────────────────── figures (report.html) ─────────────────────────────

/** A series of memory samples (MB) at timed-iteration indices. */
export interface MemorySeries {
  iteration: number[];
  mb: number[];
  /** The window peaks the growth line is fitted to (measure/, the same points as the growth figure). */
  peaks: Array<[number, number]>;
}

/** The same-runner A/B pairs of a confirmation: each pair's own-cost ratio head/base and the judged interval. */
export interface PairsFigure {
  ratios: number[];
  ratio: number;
  lo: number;
  hi: number;
  /** The judged row's threshold levels, relative (e.g. 0.05 = +5 %); absent when not relative. */
  bands: { metric: string; noise?: number; warn?: number; fail?: number };
}

/** A sample whose correctness differs between the baseline and this run. */
export interface AccuracyFlip {
  id: string;
  label: string;
  /** This run's prediction, and the baseline's. */
  now: string;
  before: string;
  /** 'broke': right in the baseline, wrong now; 'fixed': the reverse. */
  kind: 'broke' | 'fixed';
  /** A small PNG of the sample (data: URL), absent when the source image is not readable here. */
  image?: string;
}

/**
 * What the HTML report draws for one model, beyond the GateReport (bounded in size: series are
 * thinned, flips capped). Written next to report.json only as report.html's input, never judged.
 */
export interface ModelFigures {
  model: string;
  /** Round medians of latency (ms): this run and the baseline's (null without a baseline). */
  latency: { head: number[]; base: number[] | null };
  memory: { rss: MemorySeries | null; gpu: MemorySeries | null };
  pairs?: PairsFigure;
  flips: AccuracyFlip[];
  /** Flips beyond the cap, not listed. */
  flipsOmitted: number;
}

// ───────────────────────────── baselines ─────────────────────────────

export const BASELINE_SCHEMA = 'paddle-perf-gate/baseline@1' as const;

export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  gate: string;
  model: string;
  repo: string;
  commit: string;
  branch: string;
  createdAt: string; // ISO 8601
  fingerprint: Record<string, string | null>;
  fingerprintHash: string;
  metrics: ModelMetrics;
  /**
   * What was run, as it was promoted (absent in baselines written before it was recorded): the
   * A/B confirmation builds and checks its base side against it (run-spec.ts, confirm.ts).
   */
  run?: BaselineRun;
  /** The acceptances this commit's regressions were let through with (the audit trail; issue 15). */
  acceptance?: AcceptanceRecord[];
  /** Wall seconds this model took in the run (dataset check, measurement, judging): what --shard balances by. */
  seconds?: number;
}

/**
 * The complete resolved run spec of one model: everything that decides what a timing means. Paths
 * are left out (a checkout elsewhere is the same run); files are named by their content hash.
 */
export interface RunSpec {
  model: { format: ModelFormat; sha256: string };
  task: Task;
  dataset: { format: DatasetPlan['format']; sha256: string; samples: number; preprocess: Preprocess | null; limit: number | null };
  /** One sample's tensor shape, e.g. [3, 48, 320]. */
  inputShape: number[];
  batchSize: number;
  engine: Omit<EnginePlan, 'batchSize'>;
  runner: { kind: RunnerPlan['kind']; image: string | null; command: string[] | null; cpus: number | null; memory: number | null };
  /** The timing settings (the accuracy pass's execution changes no figure: left out). */
  measure: Omit<MeasurePlan, 'accuracy'>;
}

/** The run record of a promoted baseline. */
export interface BaselineRun {
  spec: RunSpec;
  /** sha256 over the decoded predictions (argmax ids, top-k ids or output digest) of every sample, in order. */
  predictions: { sha256: string; samples: number };
  /** The run's fastest timed iteration, ms (its own cost); null without timings. */
  ownMs: number | null;
}

/** Where a baseline lives: repo / gate / model / fingerprint hash. */
export interface BaselineKey {
  repo: string;
  gate: string;
  model: string;
  fingerprintHash: string;
}

/** Which baseline a run wants, best first. */
export interface BaselineWant {
  /** Commits to try in order: the merge-base first, then its ancestors (newest first). */
  commits: string[];
  /** Fallback: the pointer of this branch (the default branch). */
  branch: string;
}

// ───────────────────────────── the gate's result ─────────────────────────────

export interface GateReport {
  gate: string;
  verdict: Verdict;
  /** Counts for the verdict line. */
  regressions: number;
  warnings: number;
  /** Rows that were inconclusive (absent in reports written before it was counted apart from warnings). */
  inconclusive?: number;
  models: Array<{
    /** The model entry and label when this row group is one variant of a model (gate.yml variants:). */
    variant?: ModelVariant;
    comparison: ModelComparison;
    metrics: ModelMetrics;
    run: Pick<RunResult, 'model' | 'engine' | 'env'> & { rounds: number; iterations: number; warmupIterations: number; batchSize: number };
    baseline?: Pick<Baseline, 'commit' | 'branch' | 'createdAt'>;
    /**
     * Latency p50 of the last promoted baselines of the same key, oldest first, then this run
     * (commit: this run's). Present with at least 2 baselines that have the metric.
     */
    trend?: Array<{ commit: string; value: number; accepted?: boolean }>;
  }>;
  /** Failing rows let through by an acceptance (absent when none). */
  accepted?: number;
  /** Acceptance on the PR (issue 15): absent outside a PR run and a promotion of an accepted PR. */
  acceptance?: AcceptanceState;
  /** What happened to the baseline (promoted, not promoted and why). */
  /** failed: a promoting run whose promotion could not happen (the store could not be read or written). */
  promotion?: { done: boolean; failed?: boolean; message: string };
  /** Set by `aggregate`: the report merges this many shards (run --shard i/n). */
  shards?: number;
  warningsLog: string[];
  startedAt: string;
  durationSeconds: number;
}

// ───────────────────────────── shards (--shard i/n, aggregate) ─────────────────────────────

export const SHARD_SCHEMA = 'paddle-perf-gate/shard@1' as const;

/** Which part of a sharded gate a run is: shard `index` of `count` (1-based). */
export interface ShardSpec {
  index: number;
  count: number;
}

/**
 * What one shard leaves for `paddle-perf-gate aggregate` (shard.json beside its report): its
 * report, the baselines it would promote, and what every shard of the same gate run must agree on.
 */
export interface ShardDocument {
  schema: typeof SHARD_SCHEMA;
  gate: string;
  shard: ShardSpec;
  /** The repository (baseline keys), and the commit measured: every shard of one aggregate measured the same one. */
  repo: string;
  commit: string;
  branch: string;
  /** sha256 of gate.yml's bytes: every shard ran the same configuration. */
  configSha256: string;
  /** Every model (variants expanded) of the gate in gate.yml order, and the ones this shard ran. */
  models: string[];
  selected: string[];
  report: GateReport;
  /** This shard's models as baselines, promoted together by the aggregate when the whole gate passes. */
  entries: Array<{ key: BaselineKey; baseline: Baseline }>;
  /** What report.html draws for this shard's models (the aggregate's report.html draws them all). */
  figures?: ModelFigures[];
  /**
   * The workflow run attempt that wrote it (GITHUB_RUN_ATTEMPT; absent: 1): a shard re-run with
   * "Re-run failed jobs" leaves a second document of the same shard, and the aggregate takes the
   * latest attempt's.
   */
  attempt?: number;
}
