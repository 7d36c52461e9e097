import type { MeasurePlan, Threshold, Unit } from '../types.js';

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
};

/** Adaptive stopping defaults (measure.min-rounds, measure.precision): see the README, "How the gate decides". */
export const DEFAULT_MIN_ROUNDS = DEFAULT_MEASURE.minRounds;
export const DEFAULT_PRECISION = DEFAULT_MEASURE.precision;
/** A/B confirmation: interleaved pairs when a model has `baseline-path` (or `confirm: {}` is given) without `pairs`. */
export const DEFAULT_CONFIRM_PAIRS = 20;

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
    id.startsWith('accuracy.')
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
