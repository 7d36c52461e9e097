import type {
  DatasetPlan,
  FailOnVerdict,
  EngineName,
  EnginePlan,
  MeasurePlan,
  ModelFormat,
  PromoteOnVerdict,
  RunnerPlan,
  Task,
  Threshold,
  Unit,
} from '../types.js';

/**
 * Every default of a gate, in one place: config/ fills a plan with these (so a plan has no optional
 * field left for a later stage to default), spec.ts quotes them in the editor schema, and the action
 * inputs that mirror gate.yml keys use the same values.
 */

/**
 * The seed's rules as defaults. Every metric id the gate produces has an entry here;
 * gate.yml `thresholds:` overrides fields per metric id.
 *
 * - accuracy: a drop of more than 0.5 percentage points fails; more than 0.2 pp warns.
 * - latency: growth under 5 % is noise (pass); 5–10 % warns; more than 10 % fails.
 * - throughput: the mirror of latency.
 * - memory peaks: growth of more than 10 % **and** more than 64 MB warns (a leak suspect).
 * - memory growth per 1,000 iterations after warm-up: more than 1 MB warns (a leak suspect).
 */
const accuracy: Threshold = {
  better: 'higher',
  warn: { value: 0.2, kind: 'absolute' },
  fail: { value: 0.5, kind: 'absolute' },
};
const latency: Threshold = {
  better: 'lower',
  noise: { value: 0.05, kind: 'relative' },
  warn: { value: 0.05, kind: 'relative' },
  fail: { value: 0.1, kind: 'relative' },
};
const memoryPeak: Threshold = {
  better: 'lower',
  warn: { value: 0.1, kind: 'relative' },
  minAbsolute: 64,
};
const memoryGrowth: Threshold = {
  better: 'lower',
  warn: { value: 1, kind: 'absolute' },
};

/**
 * Output drift against the baseline's golden outputs, per output tensor: the share of values
 * outside atol + rtol·|golden| (PaddleOCR's TIPC result comparison defaults: atol = rtol = 1e-3).
 * Any value outside warns (a drift with unchanged accuracy is worth seeing before it becomes a
 * drop); more than 1 % of them outside fails.
 */
export const DEFAULT_DRIFT_TOLERANCE = { atol: 1e-3, rtol: 1e-3 } as const;
const drift: Threshold = {
  better: 'lower',
  warn: { value: 0, kind: 'absolute' },
  fail: { value: 1, kind: 'absolute' },
  tolerance: { ...DEFAULT_DRIFT_TOLERANCE },
};

/** Golden outputs kept per run for drift checks: 256 KiB of float32 values (before compression). */
export const DEFAULT_GOLDEN_BYTES = 256 * 1024;

export const DEFAULT_THRESHOLDS: Readonly<Record<string, Threshold>> = {
  'accuracy.top1': accuracy,
  'accuracy.top5': accuracy,
  'accuracy.line': accuracy,
  'accuracy.edit': accuracy,
  'latency.mean': latency,
  'latency.p50': latency,
  'latency.p90': latency,
  'latency.p99': latency,
  throughput: { ...latency, better: 'higher' },
  'memory.rss.peak': memoryPeak,
  'memory.gpu.peak': memoryPeak,
  'memory.rss.growth': memoryGrowth,
  'memory.gpu.growth': memoryGrowth,
  drift,
};

export const DEFAULT_MEASURE: Readonly<MeasurePlan> = {
  warmupIterations: 20,
  warmupSeconds: 1,
  rounds: 8,
  minIterationsPerRound: 20,
  minRoundSeconds: 1,
  maxSeconds: 60,
  minRounds: 4,
  precision: 0.01,
  // auto: PaddleOCR's rec_batch_num / cls_batch_num (6) or a smaller batch where the runner measures it
  // cheaper a line (the embedded runner on a CPU); every core the runner may use.
  accuracy: { batch: 'auto', threads: 'auto' },
};

/** A/B confirmation: interleaved pairs when a model has `baseline-path` (or `confirm: {}` is given) without `pairs`. */
export const DEFAULT_CONFIRM_PAIRS = 20;

/** Models run one after another unless gate.yml asks for `parallel: per-device`. */
export const DEFAULT_PARALLEL = 'off';

/** Fingerprint fields that must match by default for a comparison to be fair. */
export const DEFAULT_FINGERPRINT_FIELDS = [
  'engine',
  'engineVersion',
  'device',
  'precision',
  'batchSize',
  'threads',
  'cpuModel',
  'gpuName',
  'driverMajor',
  'cuda',
  'cudnn',
  'tensorrt',
  'paddle',
  'imageDigest',
];

/** The unit each metric id is measured in: decides which threshold levels fit it (`2ms` fits latency, not memory). */
export const METRIC_UNITS: Readonly<Record<string, Unit>> = Object.fromEntries(
  Object.keys(DEFAULT_THRESHOLDS).map((id): [string, Unit] => [
    id,
    id.startsWith('accuracy.') || id === 'drift'
      ? '%'
      : id.startsWith('latency.')
        ? 'ms'
        : id === 'throughput'
          ? '/s'
          : id.endsWith('.growth')
            ? 'MB/1k'
            : 'MB',
  ]),
);

export const DEFAULT_ENGINE: Omit<EnginePlan, 'name'> = {
  device: 'cpu',
  precision: 'fp32',
  threads: 1,
  batchSize: 1,
  tensorrt: false,
  mkldnn: false,
  irOptim: true,
  memoryOptim: true,
  deviceId: 0,
};

export const ENGINE_OF_FORMAT: Readonly<Record<ModelFormat, EngineName>> = {
  onnx: 'onnxruntime',
  'paddle-pdmodel': 'paddle',
  'paddle-pir': 'paddle',
};

export const DEFAULT_FORMAT_OF_TASK: Readonly<Record<Task, Exclude<DatasetPlan['format'], 'random'> | undefined>> = {
  'ocr-rec': 'ppocr-rec',
  classification: 'image-list',
  generic: undefined,
};

/** Fail the check on these verdicts (gate.yml `fail-on`, the action's and the CLI's fail-on). */
export const DEFAULT_FAIL_ON: readonly FailOnVerdict[] = ['fail'];
/** Promote only when every model's verdict is one of these (gate.yml `promote-on`). */
export const DEFAULT_PROMOTE_ON: readonly PromoteOnVerdict[] = ['pass', 'warn', 'no-baseline', 'incomparable'];

export const DEFAULT_RUNNER_KIND: RunnerPlan['kind'] = 'embedded';
export const DEFAULT_PYTHON = 'python3';
export const DEFAULT_PULL = 'missing';
export const DEFAULT_TIMEOUT_SECONDS = 30 * 60;
/** runner.limits.pull-timeout: a large Paddle GPU image takes minutes, a stuck registry forever. */
export const DEFAULT_PULL_TIMEOUT_SECONDS = 30 * 60;
export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
export const DEFAULT_IMAGENET_RESIZE_SHORT = 256;
export const DEFAULT_IMAGENET_CROP = 224;
/** preprocess width: dynamic — PaddleOCR's rec_batch_num (predict_rec.py's batch). */
export const DEFAULT_REC_BATCH = 6;
/** gate.yml dataset.random: the fields left out. */
export const DEFAULT_RANDOM = { dtype: 'float32', range: [0, 1], count: 8, seed: 0 } as const;

export const DEFAULT_STORE_DIR = '.perf-gate/baselines';
export const DEFAULT_OUTPUT_DIR = 'perf-gate-out';
/** How long the archived output directory (workflow artifact, S3 runs/ copy) is kept, days. */
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 14;
/** The workflow artifact's name: this prefix and the gate id. */
export const DEFAULT_ARCHIVE_PREFIX = 'perf-gate-';
/** Key prefix of the S3 and actions-cache stores (gate.yml, and the action's s3-prefix input). */
export const DEFAULT_S3_PREFIX = 'paddle-perf-gate';
/** When neither gate.yml, the action's s3-region input, AWS_REGION nor AWS_DEFAULT_REGION names one. */
export const DEFAULT_S3_REGION = 'us-east-1';

/** The PR label that accepts a regression on purpose (input `accept-label`, issue 15). */
export const DEFAULT_ACCEPT_LABEL = 'perf-gate:accept';
