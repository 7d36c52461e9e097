/**
 * The one table of gate.yml: every key, its type, enum and description. The validator
 * (read.ts) walks a document with it, and the editor schema (schema/gate.schema.json) is
 * generated from it (`gateJsonSchema()`), so the two cannot disagree.
 */
import {
  DEFAULT_CONFIRM_PAIRS,
  DEFAULT_DRIFT_TOLERANCE,
  DEFAULT_GOLDEN_BYTES,
  DEFAULT_PARALLEL,
  DEFAULT_FINGERPRINT_FIELDS,
  DEFAULT_MEASURE,
  DEFAULT_OUTPUT_DIR,
  DEFAULT_PULL,
  DEFAULT_PYTHON,
  DEFAULT_RANDOM,
  DEFAULT_REC_BATCH,
  DEFAULT_S3_PREFIX,
  DEFAULT_S3_REGION,
  DEFAULT_STORE_DIR,
  DEFAULT_THRESHOLDS,
  METRIC_UNITS,
} from './defaults.js';
import { BYTES_PATTERN, DURATION_PATTERN, LEVEL_FORMS, LEVEL_PATTERN, thresholdLevelPattern, type ParsedLevel } from './units.js';

/** Gate ids: the same rule as gate.yml's `gate` (and safe inside the comment's HTML marker). */
export const GATE_ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$';

/**
 * The document as read.ts hands it over, derived from a spec entry: every key optional (an
 * invalid field is dropped with its error), list items possibly undefined (an invalid item
 * likewise), enums as their literal unions, levels parsed, bytes and durations as numbers.
 */
export type RawOf<S> = S extends { type: 'string'; enum: readonly (infer E)[] }
  ? E
  : S extends { type: 'string' }
    ? string
    : S extends { type: 'integer' | 'number' | 'bytes' | 'duration' }
      ? number
      : S extends { type: 'boolean' }
        ? boolean
        : S extends { type: 'level' }
          ? ParsedLevel
          : S extends { type: 'list'; items: infer I }
            ? Array<RawOf<I> | undefined>
            : S extends { type: 'object'; properties: infer P }
              ? { -readonly [K in keyof P]?: RawOf<P[K]> }
              : S extends { type: 'oneOf'; variants: readonly (infer V)[] }
                ? RawOf<V>
                : never;

export type Spec =
  | {
      type: 'string';
      description: string;
      enum?: readonly string[];
      pattern?: string;
      patternHint?: string;
      numbersAsText?: boolean;
      examples?: readonly string[];
    }
  | { type: 'integer'; description: string; minimum?: number; maximum?: number; default?: number }
  | { type: 'number'; description: string; minimum?: number; exclusiveMinimum?: number; maximum?: number; default?: number }
  | { type: 'boolean'; description: string; default?: boolean }
  /** A threshold level: `10%`, `0.5pp`, `2ms`, `64MB`, `5/s`, `1MB/1k` (see units.ts). */
  | { type: 'level'; description: string; pattern?: string }
  /** Bytes: a count or `16g`, `512m`, `2GB`. */
  | { type: 'bytes'; description: string }
  /** Seconds: a count or `20m`, `90s`, `1h30m`. */
  | { type: 'duration'; description: string; default?: string }
  | { type: 'list'; description: string; items: Spec; minItems?: number; maxItems?: number; unique?: boolean }
  | { type: 'object'; description: string; properties: Readonly<Record<string, Spec>>; required?: readonly string[]; exactlyOne?: boolean }
  /** Alternatives told apart by the YAML node's kind (scalar, sequence, mapping), tried in order. */
  | { type: 'oneOf'; description: string; variants: readonly Spec[] };

/** Model names key baselines and name directories: short enough for any file system. */
const NAME_PATTERN = '^[A-Za-z0-9._-]{1,64}$';

const engine = {
  type: 'object',
  description: 'Inference engine settings (the same for the PR and the baseline side).',
  properties: {
    name: {
      type: 'string',
      enum: ['onnxruntime', 'paddle'],
      description: 'Engine; inferred from the model format (onnx → onnxruntime, paddle-* → paddle).',
    },
    device: { type: 'string', enum: ['cpu', 'gpu'], description: 'Device to run on. Default cpu.' },
    precision: { type: 'string', enum: ['fp32', 'fp16', 'bf16', 'int8'], description: 'Inference precision. Default fp32.' },
    threads: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: 1,
      description: 'CPU math threads (Paddle set_cpu_math_library_num_threads, ORT intra-op threads). Default 1.',
    },
    'batch-size': { type: 'integer', minimum: 1, maximum: 4096, default: 1, description: 'Samples per inference call. Default 1.' },
    tensorrt: {
      type: 'boolean',
      default: false,
      description: 'Paddle Inference: run subgraphs with TensorRT (needs device gpu). Default false.',
    },
    mkldnn: { type: 'boolean', default: false, description: 'Paddle Inference on CPU: enable oneDNN (MKLDNN). Default false.' },
    'ir-optim': { type: 'boolean', default: true, description: 'Paddle Inference: IR graph optimisation (switch_ir_optim). Default true.' },
    'memory-optim': { type: 'boolean', default: true, description: 'Paddle Inference: enable_memory_optim. Default true.' },
    'device-id': {
      type: 'integer',
      minimum: 0,
      maximum: 1023,
      default: 0,
      description: 'GPU id as the runner sees it (inside the container for docker). Default 0.',
    },
    'trt-shapes': {
      type: 'object',
      description:
        'Paddle TensorRT dynamic shapes of the model input, [N, C, H, W] each. Default: collected from the dataset at batch 1 and batch-size before the engine is built.',
      properties: {
        min: { type: 'list', items: { type: 'integer', minimum: 1, description: 'A dimension.' }, description: 'Smallest input shape.' },
        opt: {
          type: 'list',
          items: { type: 'integer', minimum: 1, description: 'A dimension.' },
          description: 'The shape TensorRT tunes for.',
        },
        max: { type: 'list', items: { type: 'integer', minimum: 1, description: 'A dimension.' }, description: 'Largest input shape.' },
      },
    },
  },
} as const satisfies Spec;

const shape = {
  type: 'list',
  description: 'Input shape [channels, height, width].',
  items: { type: 'integer', minimum: 1, description: 'A dimension.' },
  minItems: 3,
  maxItems: 3,
} as const satisfies Spec;

const dataset = {
  type: 'object',
  description: 'The labelled data the model is measured on.',
  properties: {
    format: {
      type: 'string',
      enum: ['ppocr-rec', 'image-list', 'npy'],
      description: 'Label file format. Default from the task: ocr-rec → ppocr-rec, classification → image-list; required for generic.',
    },
    labels: {
      type: 'string',
      description:
        'Label file (relative to gate.yml): ppocr-rec `image<TAB>text`; image-list `image label`; npy one label per line (optional).',
    },
    root: { type: 'string', description: "Directory the images in the label file are relative to. Default: the label file's directory." },
    inputs: { type: 'string', description: 'npy format only: float32 NPY array [N, C, H, W] of prepared inputs.' },
    dictionary: { type: 'string', description: 'ocr-rec: the character dictionary (e.g. ppocr_keys_v1.txt), one character per line.' },
    'class-names': {
      type: 'list',
      description: "classification: class names by index (e.g. ['0', '180']).",
      items: { type: 'string', numbersAsText: true, description: 'A class name.' },
      minItems: 1,
      unique: true,
    },
    limit: { type: 'integer', minimum: 1, description: 'Use only the first N samples.' },
    random: {
      type: 'object',
      description:
        'No files: seeded random inputs, generated identically by every runner (TypeScript and the Python harness share one documented generator). Instead of format, labels and inputs; any model is measurable this way, with output drift against the baseline as its check.',
      properties: {
        shape: {
          type: 'list',
          description: "The model input's shape, batch axis first (1), every dimension fixed, e.g. [1, 3, 640, 640].",
          items: { type: 'integer', minimum: 1, description: 'A dimension.' },
          minItems: 2,
        },
        dtype: { type: 'string', enum: ['float32'], description: `Element type. Default ${DEFAULT_RANDOM.dtype}.` },
        range: {
          type: 'list',
          description: `Values are uniform in [low, high]. Default [${DEFAULT_RANDOM.range.join(', ')}].`,
          items: { type: 'number', description: 'A bound.' },
          minItems: 2,
          maxItems: 2,
        },
        count: { type: 'integer', minimum: 1, maximum: 100000, description: `Samples. Default ${DEFAULT_RANDOM.count}.` },
        seed: { type: 'integer', minimum: 0, maximum: 4294967295, description: `Seed of the generator. Default ${DEFAULT_RANDOM.seed}.` },
      },
      required: ['shape'],
    },
    preprocess: {
      type: 'object',
      description:
        'How images become tensors. Default by task: ocr-rec → {kind: ppocr-rec, shape: [3, 48, 320]}; classification → {kind: imagenet, resize-short: 256, crop: 224}.',
      properties: {
        kind: {
          type: 'string',
          enum: ['ppocr-rec', 'ppocr-cls', 'imagenet'],
          description:
            'ppocr-rec / ppocr-cls: resize to height keeping ratio and pad width; imagenet: resize short side, centre-crop, ImageNet mean/std.',
        },
        shape: { ...shape, description: 'ppocr-rec / ppocr-cls: [3, H, W]. Default [3, 48, 320] (ppocr-rec) or [3, 48, 192] (ppocr-cls).' },
        width: {
          type: 'string',
          enum: ['fixed', 'dynamic'],
          description:
            "ppocr-rec: fixed (default) is PaddleOCR's eval path, every line at the shape's width; dynamic is predict_rec.py's inference path: lines sorted by width/height, batches of `batch`, each padded to int(H × its widest ratio) (at least the shape's width) — latency at the widths real lines have; the accuracy pass uses the same batches.",
        },
        batch: {
          type: 'integer',
          minimum: 1,
          maximum: 1024,
          description: `ppocr-rec with width dynamic: lines per batch (PaddleOCR's rec_batch_num). Default ${DEFAULT_REC_BATCH}.`,
        },
        'resize-short': { type: 'integer', minimum: 1, default: 256, description: 'imagenet: short side after resize. Default 256.' },
        crop: { type: 'integer', minimum: 1, default: 224, description: 'imagenet: centre-crop size. Default 224.' },
      },
      required: ['kind'],
    },
  },
} as const satisfies Spec;

/** One variant of a model (models[].variants[]): the engine settings a matrix varies. */
const variant = {
  type: 'object',
  description: "A variant: the engine settings that differ from the model's.",
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9._-]{1,32}$',
      patternHint: '1-32 letters, digits, `.`, `_` and `-`',
      description: 'Variant label in the comment and the baseline key. Default: the settings it sets, e.g. `fp16-tensorrt-b8`.',
    },
    precision: engine.properties.precision,
    engine: {
      type: 'string',
      enum: ['onnxruntime', 'paddle', 'tensorrt'],
      description: 'onnxruntime, paddle (Paddle Inference) or tensorrt (Paddle Inference with TensorRT subgraphs, device gpu).',
    },
    batch: engine.properties['batch-size'],
    threads: engine.properties.threads,
    device: engine.properties.device,
    'device-id': engine.properties['device-id'],
  },
} as const satisfies Spec;

const model = {
  type: 'object',
  description: 'A model to gate.',
  properties: {
    name: {
      type: 'string',
      pattern: NAME_PATTERN,
      patternHint: '1-64 letters, digits, `.`, `_` and `-`',
      description: 'Model name, unique in the gate; part of the baseline key.',
    },
    path: {
      type: 'string',
      description:
        'Model file relative to gate.yml: a .onnx, a .pdmodel (+ .pdiparams), an inference.json (Paddle 3 PIR, + .pdiparams), or a directory holding one of them.',
    },
    format: { type: 'string', enum: ['onnx', 'paddle-pdmodel', 'paddle-pir'], description: 'Model format; inferred from path.' },
    task: {
      type: 'string',
      enum: ['classification', 'ocr-rec', 'generic'],
      description: 'What the model does: decides the accuracy metrics and default dataset format.',
    },
    'baseline-path': {
      type: 'string',
      description:
        "Optional shorthand for the A/B confirmation's base side: the baseline's run with this other model file. Used only when this model's run spec (task, dataset and preprocessing, input shape, batch, engine and runner options, measure settings) equals the baseline's recorded spec except for the model hash; otherwise the confirmation is refused. Turns the confirmation on (see confirm).",
    },
    engine: { ...engine, description: 'Per-model overrides of the top-level engine block.' },
    dataset,
    variants: {
      type: 'list',
      description:
        "Measure this model several ways: one row group per variant, each with its own baseline key (`<name>[<variant>]`) and fingerprint; the comment shows a model's variants side by side. Each variant overrides the model's engine settings.",
      items: variant,
      minItems: 1,
      maxItems: 64,
    },
  },
  required: ['name', 'path', 'task', 'dataset'],
} as const satisfies Spec;

const thresholdEntry = {
  type: 'object',
  description: "Overrides of this metric's default threshold; fields not named keep their defaults.",
  properties: {
    better: { type: 'string', enum: ['higher', 'lower'], description: 'Which direction is an improvement.' },
    noise: { type: 'level', description: `Changes in the bad direction up to this never warn or fail. ${LEVEL_FORMS}.` },
    warn: { type: 'level', description: `Warn when worse by more than this. ${LEVEL_FORMS}.` },
    fail: { type: 'level', description: `Fail when worse by more than this. ${LEVEL_FORMS}.` },
    min: {
      type: 'level',
      description: "Absolute floor: a change must also exceed this amount, in the metric's unit (e.g. 64MB, 2ms, 0.1pp).",
    },
  },
} as const satisfies Spec;

/** A metric's threshold entry; its levels' pattern leaves out the ones that could never fire (a drop of 100 pp or more). */
function thresholdOf(id: string): Omit<typeof thresholdEntry, 'description'> & { description: string } {
  const unit = METRIC_UNITS[id];
  const better = DEFAULT_THRESHOLDS[id]?.better;
  const pattern = unit && better ? thresholdLevelPattern(unit, better) : LEVEL_PATTERN;
  const properties = Object.fromEntries(
    Object.entries(thresholdEntry.properties).map(([key, spec]) => [
      key,
      spec.type === 'level' && key !== 'min' ? { ...spec, pattern } : spec,
    ]),
  ) as typeof thresholdEntry.properties; // the same keys and kinds, the level patterns narrowed
  return { ...thresholdEntry, properties, description: `Threshold of ${id}; fields not named keep their defaults.` };
}

/** thresholds.drift: the levels apply to the share of output values outside atol + rtol·|golden|, in pp. */
function driftThreshold(): Omit<typeof thresholdEntry, 'description' | 'properties'> & {
  description: string;
  properties: (typeof thresholdEntry)['properties'] & { atol: Spec; rtol: Spec };
} {
  const entry = thresholdOf('drift');
  return {
    ...entry,
    description: `Output drift against the baseline's golden outputs, per output tensor: warn and fail are levels of the share of values outside atol + rtol·|golden|, in percentage points (default: warn above ${DEFAULT_THRESHOLDS['drift']!.warn!.value}pp, fail above ${DEFAULT_THRESHOLDS['drift']!.fail!.value}pp).`,
    properties: {
      ...entry.properties,
      atol: { type: 'number', minimum: 0, description: `Absolute tolerance. Default ${DEFAULT_DRIFT_TOLERANCE.atol}.` },
      rtol: { type: 'number', minimum: 0, description: `Relative tolerance. Default ${DEFAULT_DRIFT_TOLERANCE.rtol}.` },
    },
  };
}

const limits = {
  type: 'object',
  description: 'Resource limits of the run.',
  properties: {
    memory: { type: 'bytes', description: 'docker: memory limit, e.g. 16g.' },
    cpus: { type: 'number', exclusiveMinimum: 0, description: 'docker: CPU limit (may be fractional).' },
    pids: { type: 'integer', minimum: 1, description: 'docker: process limit.' },
    timeout: { type: 'duration', default: '30m', description: 'Kill the run after this long, e.g. 20m. Default 30m.' },
    'pull-timeout': { type: 'duration', default: '30m', description: 'docker: give up pulling the image after this long. Default 30m.' },
  },
} as const satisfies Spec;

const runner = {
  type: 'object',
  description: 'Where the model runs. Default: embedded (onnxruntime-node in the action, CPU, ONNX only).',
  properties: {
    kind: {
      type: 'string',
      enum: ['embedded', 'docker', 'local'],
      description:
        'embedded: in-process ONNX Runtime on CPU; docker: the Python harness in an image; local: the harness with a Python on the runner.',
    },
    image: { type: 'string', description: 'docker: the image, e.g. paddlepaddle/paddle:3.0.0-gpu-cuda11.8-cudnn8.9-trt8.6.' },
    pull: { type: 'string', enum: ['missing', 'always', 'never'], description: `docker: when to pull the image. Default ${DEFAULT_PULL}.` },
    gpus: {
      type: 'oneOf',
      description: 'docker: GPUs to expose: all, none, or a list of ids/UUIDs. Default: none when every model runs on cpu, else all.',
      variants: [
        { type: 'string', enum: ['all', 'none'], description: 'All GPUs or none.' },
        {
          type: 'list',
          description: 'GPU ids or UUIDs.',
          items: { type: 'string', numbersAsText: true, description: 'A GPU id or UUID.' },
          minItems: 1,
          unique: true,
        },
      ],
    },
    network: { type: 'boolean', default: false, description: 'docker: give the container a network. Default false (no network).' },
    python: { type: 'string', description: `docker / local: the Python interpreter. Default ${DEFAULT_PYTHON}.` },
    command: {
      type: 'oneOf',
      description: 'docker / local: bring-your-own command writing the run-result document to $PPG_OUTPUT; a string runs with sh -c.',
      variants: [
        { type: 'string', description: 'A shell command line (run with sh -c).' },
        { type: 'list', description: 'argv.', items: { type: 'string', numbersAsText: true, description: 'An argument.' }, minItems: 1 },
      ],
    },
    limits,
  },
} as const satisfies Spec;

const measure = {
  type: 'object',
  description: 'How long and how often to measure.',
  properties: {
    warmup: {
      type: 'integer',
      minimum: 0,
      maximum: 1000000,
      default: DEFAULT_MEASURE.warmupIterations,
      description: `Warm-up iterations (not timed). Default ${DEFAULT_MEASURE.warmupIterations}.`,
    },
    'warmup-seconds': {
      type: 'number',
      minimum: 0,
      maximum: 3600,
      default: DEFAULT_MEASURE.warmupSeconds,
      description: `Minimum warm-up seconds. Default ${DEFAULT_MEASURE.warmupSeconds}.`,
    },
    rounds: {
      type: 'integer',
      minimum: 2,
      maximum: 1000,
      default: DEFAULT_MEASURE.rounds,
      description: `Timed rounds, the unit of comparison (≥ 2). Default ${DEFAULT_MEASURE.rounds}.`,
    },
    iterations: {
      type: 'integer',
      minimum: 1,
      maximum: 1000000,
      default: DEFAULT_MEASURE.minIterationsPerRound,
      description: `Minimum iterations per round. Default ${DEFAULT_MEASURE.minIterationsPerRound}.`,
    },
    'round-seconds': {
      type: 'number',
      minimum: 0,
      maximum: 3600,
      default: DEFAULT_MEASURE.minRoundSeconds,
      description: `Minimum seconds per round. Default ${DEFAULT_MEASURE.minRoundSeconds}.`,
    },
    'max-seconds': {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 86400,
      default: DEFAULT_MEASURE.maxSeconds,
      description: `Upper bound of measurement per model side, seconds. Default ${DEFAULT_MEASURE.maxSeconds}.`,
    },
    'min-rounds': {
      type: 'integer',
      minimum: 2,
      maximum: 1000,
      default: DEFAULT_MEASURE.minRounds,
      description: `Adaptive stopping: at least this many rounds; \`rounds\` is then the most. Default ${DEFAULT_MEASURE.minRounds}.`,
    },
    'golden-bytes': {
      type: 'bytes',
      description: `Golden outputs kept per model for output drift checks (in the baseline, compressed): at most this many bytes of float32 output values, spread evenly over the samples and each output's elements. Default ${DEFAULT_GOLDEN_BYTES / 1024}k; 0 keeps none.`,
    },
    precision: {
      type: 'level',
      description: `Adaptive stopping: stop once the 95 % interval of the round medians is within ± this relative level and the last 3 rounds are stable. Default ${DEFAULT_MEASURE.precision * 100}%.`,
    },
    accuracy: {
      type: 'object',
      description:
        "The accuracy pass: every sample predicted once before timing, with its own execution settings (timing keeps the engine's threads and batch-size). They change how fast predictions come, never what they are: the first batches are checked equal to batch 1.",
      properties: {
        batch: {
          type: 'oneOf',
          description: `Samples per call (fixed-width inputs; a model whose export fixes the batch is fed that batch): a count, or auto — PaddleOCR's rec_batch_num 6, or on the embedded runner the cheapest a line of 6, 4, 2 and 1, measured on the pass's first chunks. Default ${DEFAULT_MEASURE.accuracy.batch}.`,
          variants: [
            { type: 'integer', minimum: 1, maximum: 4096, description: 'Samples per call.' },
            { type: 'string', enum: ['auto'], description: "PaddleOCR's 6, or the cheapest a line the embedded runner measures." },
          ],
        },
        threads: {
          type: 'oneOf',
          description: `CPU threads: a count, or auto for every core the runner may use (its CPU affinity and container limit). On a GPU the pass runs on the GPU. Default ${DEFAULT_MEASURE.accuracy.threads}.`,
          variants: [
            { type: 'integer', minimum: 1, maximum: 1024, description: 'A thread count.' },
            { type: 'string', enum: ['auto'], description: 'Every core the runner may use.' },
          ],
        },
      },
    },
  },
} as const satisfies Spec;

const dirOnly = <D extends string>(description: D) =>
  ({
    type: 'object',
    description,
    properties: { dir: { type: 'string', description: 'Directory, relative to gate.yml.' } },
  }) as const satisfies Spec;

const store = {
  type: 'object',
  description: `Where baselines live: exactly one of file, s3, actions-cache. Default file: {dir: ${DEFAULT_STORE_DIR}}.`,
  exactlyOne: true,
  properties: {
    file: dirOnly(`A local directory (default ${DEFAULT_STORE_DIR}, relative to gate.yml).`),
    s3: {
      type: 'object',
      description: 'An S3 bucket or S3-compatible server (credentials from the environment, never from gate.yml).',
      properties: {
        bucket: {
          type: 'string',
          pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
          patternHint: '3-63 lower-case letters, digits, `.` and `-`',
          description: 'Bucket name.',
        },
        prefix: { type: 'string', description: `Key prefix. Default ${DEFAULT_S3_PREFIX}.` },
        region: { type: 'string', description: `Region. Default $AWS_REGION, else ${DEFAULT_S3_REGION}.` },
        endpoint: {
          type: 'string',
          pattern: '^https?://',
          patternHint: 'an http:// or https:// URL',
          description: 'Endpoint of an S3-compatible server (MinIO, BOS, ...).',
        },
        'path-style': { type: 'boolean', description: 'Path-style addressing. Default true when an endpoint is given.' },
        'unsafe-unconditional-writes': {
          type: 'boolean',
          description:
            'Promote even when the service ignores If-None-Match/If-Match (found by a probe on first use). Unsafe: concurrent or repeated promotions may overwrite baselines. Default false.',
        },
      },
      required: ['bucket'],
    },
    'actions-cache': {
      type: 'object',
      description: 'The GitHub Actions cache (baselines may be evicted after 7 days unused).',
      properties: {
        prefix: { type: 'string', description: `Cache key prefix. Default ${DEFAULT_S3_PREFIX}.` },
        dir: {
          type: 'string',
          description:
            'Parent of the private directory (paddle-perf-gate-cache-store) the store restores into; never emptied itself. Default RUNNER_TEMP.',
        },
      },
    },
  },
} as const satisfies Spec;

const METRIC_IDS = Object.keys(DEFAULT_THRESHOLDS);

export const GATE_SPEC = {
  type: 'object',
  description: 'paddle-perf-gate configuration: models, data, runner, thresholds and baseline store.',
  properties: {
    gate: {
      type: 'string',
      pattern: GATE_ID_PATTERN,
      patternHint: '1-64 letters, digits, `.`, `_` and `-`',
      description: 'Gate id: one baseline line and one PR comment per gate id.',
    },
    models: { type: 'list', description: 'Models to gate (at least one, unique names).', items: model, minItems: 1 },
    runner,
    engine,
    measure,
    confirm: {
      type: 'object',
      description:
        "Same-runner A/B confirmation (on when given, for models with baseline-path, or with --base-checkout): replay the baseline's commit (a git worktree of it, or the base-checkout directory; its own gate.yml and files) interleaved with this run on this runner and judge the latency and throughput rows on the pairs (every such row; with thresholds-from-history only the rows whose stored interval reaches past the noise band). The base side must match the baseline's recorded run spec, predictions and own cost, else the stored verdict stands.",
      properties: {
        pairs: {
          type: 'integer',
          minimum: 3,
          maximum: 1000,
          default: DEFAULT_CONFIRM_PAIRS,
          description: `The most interleaved A/B pairs (one timed round per side each, after one priming call of the base side; at least 3). They stop early at 8, 12 or 16 pairs once a 99 % interval is decisive either way. Default ${DEFAULT_CONFIRM_PAIRS}.`,
        },
      },
    },
    'thresholds-from-history': {
      type: 'integer',
      minimum: 3,
      maximum: 1000,
      description:
        "Opt-in: learn each timing metric's noise band from the run-to-run spread of the last N baselines (max of the configured noise and 3 × spread).",
    },
    thresholds: {
      type: 'object',
      description: 'Per metric id, the fields that differ from the defaults.',
      // Every metric id, each with the fields of thresholdEntry (and its own level pattern).
      properties: Object.fromEntries(METRIC_IDS.map((id) => [id, id === 'drift' ? driftThreshold() : thresholdOf(id)])),
    },
    fingerprint: {
      type: 'list',
      description: 'Environment fields that must match the baseline for a fair comparison.',
      items: {
        type: 'string',
        pattern: '^[A-Za-z][A-Za-z0-9_]*$',
        patternHint: 'an identifier such as gpuName',
        examples: [...DEFAULT_FINGERPRINT_FIELDS],
        description: 'A fingerprint field.',
      },
      unique: true,
    },
    'fail-on': {
      type: 'list',
      description: 'Verdicts that fail the check. Default [fail].',
      items: { type: 'string', enum: ['fail', 'warn', 'inconclusive', 'unreadable'], description: 'A verdict.' },
      unique: true,
    },
    'promote-on': {
      type: 'list',
      description:
        'Verdicts a model may have for the run to be promoted. Default [pass, warn, no-baseline, incomparable]; inconclusive and unreadable may be added, fail never.',
      items: {
        type: 'string',
        enum: ['pass', 'warn', 'no-baseline', 'incomparable', 'inconclusive', 'unreadable'],
        description: 'A verdict.',
      },
      unique: true,
    },
    'promote-failure': {
      type: 'string',
      enum: ['warn', 'fail'],
      description:
        'A promoting run whose promotion could not happen (the store could not be read or written): fail (exit 2) or warn (exit by the verdict). Default fail on the default branch, warn elsewhere; the action input and --promote-failure override it. The report, the PR comment and the promoted output (failed) say so either way.',
    },
    parallel: {
      type: 'string',
      enum: ['off', 'per-device'],
      description: `off: models (and variants) run one after another. per-device: on a multi-GPU runner, one queue per GPU (engine device-id) side by side, each GPU one timing run at a time; CPU models share one queue, since timing runs on one CPU would disturb each other. Default ${DEFAULT_PARALLEL}.`,
    },
    store,
    output: dirOnly(`Where reports are written (default ${DEFAULT_OUTPUT_DIR}, relative to gate.yml).`),
    'data-dirs': {
      type: 'list',
      description:
        "Directories outside the workspace the datasets may read from (labels, image roots, dictionaries, inputs). Data paths must be inside the workspace, gate.yml's directory, the action's own files or one of these.",
      items: { type: 'string', description: 'A directory (relative to gate.yml).' },
      unique: true,
    },
  },
  required: ['gate', 'models'],
} as const satisfies Spec & { type: 'object' };

// ───────────────────────────── JSON Schema (draft 2020-12) ─────────────────────────────

type Json = Record<string, unknown>;

function toSchema(spec: Spec): Json {
  const base: Json = { description: spec.description };
  switch (spec.type) {
    case 'string':
      return {
        ...base,
        // Unquoted YAML numbers (`gpus: [0, 1]`) are accepted as text.
        type: spec.numbersAsText ? ['string', 'number'] : 'string',
        ...(spec.enum && { enum: [...spec.enum] }),
        ...(spec.pattern && { pattern: spec.pattern }),
        ...(spec.examples && { examples: spec.examples }),
      };
    case 'integer':
    case 'number':
      return {
        ...base,
        type: spec.type,
        ...(spec.minimum !== undefined && { minimum: spec.minimum }),
        ...('exclusiveMinimum' in spec && spec.exclusiveMinimum !== undefined && { exclusiveMinimum: spec.exclusiveMinimum }),
        ...(spec.maximum !== undefined && { maximum: spec.maximum }),
        ...(spec.default !== undefined && { default: spec.default }),
      };
    case 'boolean':
      return { ...base, type: 'boolean', ...(spec.default !== undefined && { default: spec.default }) };
    case 'level':
      return { ...base, type: 'string', pattern: spec.pattern ?? LEVEL_PATTERN };
    case 'bytes':
      return {
        ...base,
        anyOf: [
          { type: 'integer', minimum: 0 },
          { type: 'string', pattern: BYTES_PATTERN },
        ],
      };
    case 'duration':
      return {
        ...base,
        anyOf: [
          { type: 'number', minimum: 0 },
          { type: 'string', pattern: DURATION_PATTERN },
        ],
        ...(spec.default !== undefined && { default: spec.default }),
      };
    case 'list':
      return {
        ...base,
        type: 'array',
        items: toSchema(spec.items),
        ...(spec.minItems !== undefined && { minItems: spec.minItems }),
        ...(spec.maxItems !== undefined && { maxItems: spec.maxItems }),
        ...(spec.unique && { uniqueItems: true }),
      };
    case 'object':
      return {
        ...base,
        type: 'object',
        properties: Object.fromEntries(Object.entries(spec.properties).map(([key, value]) => [key, toSchema(value)])),
        ...(spec.required && { required: [...spec.required] }),
        ...(spec.exactlyOne && { minProperties: 1, maxProperties: 1 }),
        additionalProperties: false,
      };
    case 'oneOf':
      return { ...base, oneOf: spec.variants.map(toSchema) };
  }
}

/** The editor schema: `# yaml-language-server: $schema=…/schema/gate.schema.json`. */
export function gateJsonSchema(): Json {
  const { description, ...rest } = toSchema(GATE_SPEC);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'paddle-perf-gate/gate.schema.json',
    title: 'paddle-perf-gate gate.yml',
    description,
    ...rest,
  };
}
