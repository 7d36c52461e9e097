/**
 * gate.yml → GatePlan. Two passes over one document: read.ts checks every key against the
 * table of spec.ts; this file applies the rules that span fields (task ↔ dataset format,
 * runner ↔ engine, threshold units and order), resolves paths from the config's directory,
 * checks that the files exist, and fills the defaults. All problems are reported together,
 * one per line, each `file:line:col: field.path: what was expected`.
 */
import { readFile, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import type {
  DatasetPlan,
  EnginePlan,
  GatePlan,
  MeasurePlan,
  ModelFormat,
  ModelPlan,
  FailOnVerdict,
  Preprocess,
  PromoteOnVerdict,
  RunnerPlan,
  StorePlan,
  Task,
  Threshold,
  Unit,
} from '../types.js';
import {
  DEFAULT_CONFIRM_PAIRS,
  DEFAULT_FINGERPRINT_FIELDS,
  DEFAULT_MEASURE,
  DEFAULT_ENGINE,
  DEFAULT_FORMAT_OF_TASK,
  DEFAULT_IMAGENET_CROP,
  DEFAULT_IMAGENET_RESIZE_SHORT,
  DEFAULT_OUTPUT_DIR,
  DEFAULT_PROMOTE_ON,
  DEFAULT_PULL,
  DEFAULT_PYTHON,
  DEFAULT_RUNNER_KIND,
  DEFAULT_S3_PREFIX,
  DEFAULT_S3_REGION,
  DEFAULT_STORE_DIR,
  DEFAULT_THRESHOLDS,
  DEFAULT_TIMEOUT_SECONDS,
  ENGINE_OF_FORMAT,
  MAX_TIMEOUT_SECONDS,
  METRIC_UNITS,
} from './defaults.js';
import { resolveModel } from '../model-files.js';
import { Diagnostics, Reader, capLines, joinPath, reportSecretKeys } from './read.js';
import { GATE_SPEC, type RawOf } from './spec.js';
import { closest } from './suggest.js';
import { decodeUtf8 } from './text.js';
import { aliasProblems, duplicateKeys } from './yaml-limits.js';
import type { LevelUnit, ParsedLevel } from './units.js';

export interface ConfigOverrides {
  runner?: 'embedded' | 'docker' | 'local';
  image?: string;
  /** Path override for a single-model gate (relative paths resolve from the working directory). */
  model?: string;
  outputDir?: string;
  /** A store replacing gate.yml's `store:` (CLI --store-dir, the action's s3-* inputs): one way for both entries. */
  store?: StorePlan;
  failOn?: FailOnVerdict[];
}

// ───────────────────────────── the document as read: types derived from spec.ts ─────────────────────────────

type RawGate = RawOf<typeof GATE_SPEC>;
type RawEngine = NonNullable<RawGate['engine']>;
type RawModel = NonNullable<NonNullable<RawGate['models']>[number]>;
type RawDataset = NonNullable<RawModel['dataset']>;
type RawPreprocess = NonNullable<RawDataset['preprocess']>;
type RawRunner = NonNullable<RawGate['runner']>;
type RawMeasure = NonNullable<RawGate['measure']>;
type RawThreshold = NonNullable<NonNullable<RawGate['thresholds']>[string]>;
type RawStore = NonNullable<RawGate['store']>;

// ───────────────────────────── entry points ─────────────────────────────

/** Reads and validates gate.yml; relative paths resolve from its directory. */
export async function loadConfig(file: string, overrides: ConfigOverrides = {}): Promise<GatePlan> {
  let bytes: Uint8Array;
  try {
    if (!(await stat(file)).isFile()) throw new ConfigError(`${file}: expected a gate.yml file, got a directory or device`);
    bytes = await readFile(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `${file}: config file not found (resolved: ${resolve(file)})`
        : `${file}: cannot read the config file: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw new ConfigError(tooLarge(file, bytes.length));
  const decoded = decodeUtf8(bytes, file);
  if ('problem' in decoded) throw new ConfigError(decoded.problem);
  return parseConfig(decoded.text, file, overrides);
}

/** Real gate.yml files are a few KB; a bigger one is generated or the wrong file, and parsing it would stall the run. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function tooLarge(file: string, bytes: number): string {
  return `${file}: the file is ${(bytes / 1024 / 1024).toFixed(1)} MiB, more than a gate configuration may be (${MAX_CONFIG_BYTES / 1024 / 1024} MiB): is it the right file?`;
}

/** Validates gate.yml text; `file` names it in messages and its directory is the base of relative paths. */
export function parseConfig(text: string, file: string, overrides: ConfigOverrides = {}): GatePlan {
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigError(tooLarge(file, Buffer.byteLength(text)));
  const lineCounter = new LineCounter();
  // Duplicate keys and alias expansion are checked by yaml-limits.ts: the library's own duplicate check is quadratic.
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  if (document.errors.length > 0) {
    // The tree after a syntax error is a guess: report only what the parser saw.
    const lines = document.errors.map((error) => {
      const position = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      const message = error.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
      return `${file}:${position.line}:${position.col}: YAML syntax: ${message}`;
    });
    throw new ConfigError(capLines(lines).join('\n'));
  }
  const structural = [...duplicateKeys(document), ...aliasProblems(document)];
  if (structural.length > 0) {
    const lines = structural.map(({ offset, message, firstOffset }) => {
      const { line, col } = lineCounter.linePos(offset);
      const first = firstOffset === undefined ? '' : ` (first at line ${lineCounter.linePos(firstOffset).line})`;
      return `${file}:${line}:${col}: YAML: ${message}${first}`;
    });
    throw new ConfigError(capLines(lines).join('\n'));
  }

  const diagnostics = new Diagnostics();
  reportSecretKeys(document, diagnostics);
  const contents = document.contents;
  const emptyDocument = contents === null || (typeof contents === 'object' && 'value' in contents && contents.value === null);
  if (emptyDocument) diagnostics.error('', 'the file is empty: expected a mapping with at least `gate` and `models`');
  const raw = (emptyDocument ? undefined : new Reader(document, diagnostics).read(contents, GATE_SPEC, '', 0)) as RawGate | undefined;

  const configPath = resolve(file);
  const plan = raw ? new Builder(diagnostics, dirname(configPath), overrides).build(raw, configPath) : undefined;
  if (diagnostics.list.length > 0 || !plan) throw new ConfigError(diagnostics.format(file, lineCounter).join('\n'));
  return plan;
}

// ───────────────────────────── cross-field rules, paths, defaults ─────────────────────────────

/**
 * Why a threshold level could never fire, or undefined: a percentage cannot move by 100 pp or
 * more, and a higher-is-better value (accuracy, throughput) cannot fall by 100 % or more.
 * The JSON Schema says the same with thresholdLevelPattern (units.ts).
 */
function impossibleLevel(id: string, unit: Unit, better: Threshold['better'], level: ParsedLevel): string | undefined {
  if (unit === '%' && level.level.kind === 'absolute' && level.level.value >= 100) {
    return `${level.text} can never be exceeded: ${id} is a percentage and cannot move by 100 pp or more; expected a level below 100pp such as 0.5pp`;
  }
  if (better === 'higher' && level.level.kind === 'relative' && level.level.value >= 1) {
    return `${level.text} can never be exceeded: ${id} is better when higher and cannot fall by 100% or more; expected a relative level below 100% such as 10%`;
  }
  return undefined;
}

const UNIT_OF_LEVEL: Readonly<Record<Exclude<LevelUnit, 'relative'>, Unit>> = { pp: '%', ms: 'ms', MB: 'MB', '/s': '/s', 'MB/1k': 'MB/1k' };
const EXAMPLE_OF_UNIT: Readonly<Record<Unit, string>> = { '%': '0.5pp', ms: '2ms', MB: '64MB', '/s': '5/s', 'MB/1k': '1MB/1k' };

/** Environment fields the runners record besides the default fingerprint fields (runners/, harness/bench.py). */
const OTHER_ENV_FIELDS = [
  'runner',
  'cpuCount',
  'os',
  'node',
  'python',
  'driver',
  'paddleCommit',
  'inputShape',
  'mkldnn',
  'irOptim',
  'memoryOptim',
];

/** A model plan and where its settings came from in gate.yml, for messages. */
interface BuiltModel {
  plan: ModelPlan;
  path: string;
  engineOrigin: (field: keyof RawEngine) => string;
}

class Builder {
  constructor(
    private readonly diagnostics: Diagnostics,
    private readonly baseDir: string,
    private readonly overrides: ConfigOverrides,
  ) {}

  private error(path: string, message: string): void {
    if (!this.diagnostics.bad.has(path)) this.diagnostics.error(path, message);
  }

  /** An absolute path from gate.yml, checked to be a file or a directory. */
  private existing(path: string, value: string, kind: 'file' | 'dir', what: string): string {
    const absolute = resolve(this.baseDir, value);
    let actual: 'file' | 'dir' | undefined;
    try {
      const stats = statSync(absolute);
      actual = stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : undefined;
    } catch {
      actual = undefined;
    }
    if (actual === undefined) this.error(path, `${what} not found: ${absolute}`);
    else if (actual !== kind)
      this.error(
        path,
        `expected ${kind === 'file' ? 'a file' : 'a directory'} (${what}), got a ${actual === 'dir' ? 'directory' : 'file'}: ${absolute}`,
      );
    return absolute;
  }

  build(raw: RawGate, configPath: string): GatePlan | undefined {
    const models = this.models(raw);
    const runner = this.runner(raw.runner ?? {}, models);
    const plan: GatePlan = {
      gate: raw.gate ?? '',
      configPath,
      baseDir: this.baseDir,
      models: models.map(({ plan }) => plan),
      runner,
      measure: this.measure(raw.measure ?? {}),
      thresholds: this.thresholds(raw.thresholds ?? {}),
      store: this.store(raw.store),
      output: {
        dir:
          this.overrides.outputDir !== undefined
            ? resolve(this.overrides.outputDir)
            : resolve(this.baseDir, raw.output?.dir ?? DEFAULT_OUTPUT_DIR),
      },
      fingerprintFields: this.fingerprint(raw.fingerprint),
      failOn: this.failOn(raw['fail-on']),
      promoteOn:
        raw['promote-on'] !== undefined
          ? raw['promote-on'].filter((verdict): verdict is PromoteOnVerdict => verdict !== undefined)
          : [...DEFAULT_PROMOTE_ON],
      // A model's baseline-path exists for the confirmation: it turns it on with the default pairs.
      ...((raw.confirm !== undefined || models.some(({ plan: m }) => m.baselinePath !== undefined)) && {
        confirm: { pairs: raw.confirm?.pairs ?? DEFAULT_CONFIRM_PAIRS },
      }),
      ...(raw['thresholds-from-history'] !== undefined && { thresholdsFromHistory: raw['thresholds-from-history'] }),
    };
    return this.diagnostics.list.length > 0 ? undefined : plan;
  }

  // ── models ──

  private models(raw: RawGate): BuiltModel[] {
    const list = raw.models ?? [];
    const override = this.overrides.model;
    if (override !== undefined && list.length !== 1) {
      const names = list.map((model) => model?.name ?? '?').join(', ');
      this.diagnostics.inputError('model', `replaces the path of a single-model gate, but gate.yml has ${list.length} models (${names})`);
    }
    const seen = new Map<string, number>();
    const out: BuiltModel[] = [];
    list.forEach((model, index) => {
      if (!model) return;
      const path = joinPath('models', index);
      if (model.name === '.' || model.name === '..') {
        this.error(`${path}.name`, `"${model.name}" is not a model name: names key the baselines and name the output directory`);
      } else if (model.name !== undefined) {
        const first = seen.get(model.name);
        if (first !== undefined)
          this.error(`${path}.name`, `duplicate model name "${model.name}" (also models[${first}].name): names key the baselines`);
        else seen.set(model.name, index);
      }
      const built = this.model(model, path, raw.engine ?? {}, list.length === 1 ? override : undefined);
      if (built) out.push(built);
    });
    return out;
  }

  private model(raw: RawModel, path: string, topEngine: RawEngine, pathOverride: string | undefined): BuiltModel | undefined {
    // With a path override the yaml's `format` described the other file: infer from the new one.
    const located =
      pathOverride !== undefined
        ? this.locate('input model', resolve(pathOverride), undefined, true)
        : raw.path !== undefined
          ? this.locate(`${path}.path`, resolve(this.baseDir, raw.path), raw.format, false, `${path}.format`)
          : undefined;
    const modelEngine = raw.engine ?? {};
    const engineOrigin = (field: keyof RawEngine): string =>
      modelEngine[field] !== undefined ? `${path}.engine.${field}` : topEngine[field] !== undefined ? `engine.${field}` : `${path}.path`;
    const pick = <K extends keyof RawEngine>(field: K): RawEngine[K] => modelEngine[field] ?? topEngine[field];

    let baselinePath: string | undefined;
    if (raw['baseline-path'] !== undefined && located) {
      const base = this.locate(`${path}.baseline-path`, resolve(this.baseDir, raw['baseline-path']), located.format, false);
      baselinePath = base?.file;
    }

    const format = located?.format;
    const engineName = pick('name') ?? (format ? ENGINE_OF_FORMAT[format] : 'onnxruntime');
    if (format && engineName !== ENGINE_OF_FORMAT[format]) {
      this.error(
        engineOrigin('name'),
        `engine ${engineName} cannot load a ${format} model; ${ENGINE_OF_FORMAT[format]} can (or leave engine.name out)`,
      );
    }
    const engine: EnginePlan = {
      name: engineName,
      device: pick('device') ?? DEFAULT_ENGINE.device,
      precision: pick('precision') ?? DEFAULT_ENGINE.precision,
      threads: pick('threads') ?? DEFAULT_ENGINE.threads,
      batchSize: pick('batch-size') ?? DEFAULT_ENGINE.batchSize,
      tensorrt: pick('tensorrt') ?? DEFAULT_ENGINE.tensorrt,
      mkldnn: pick('mkldnn') ?? DEFAULT_ENGINE.mkldnn,
      irOptim: pick('ir-optim') ?? DEFAULT_ENGINE.irOptim,
      memoryOptim: pick('memory-optim') ?? DEFAULT_ENGINE.memoryOptim,
      deviceId: pick('device-id') ?? DEFAULT_ENGINE.deviceId,
    };
    this.precisionRules(engine, pick, engineOrigin);
    if (engine.tensorrt && engine.device !== 'gpu') this.error(engineOrigin('tensorrt'), 'TensorRT needs device gpu (engine.device)');
    if (engine.tensorrt && engine.name !== 'paddle')
      this.error(engineOrigin('tensorrt'), 'TensorRT is a Paddle Inference switch; this model runs on onnxruntime');
    if (engine.mkldnn && engine.device !== 'cpu')
      this.error(engineOrigin('mkldnn'), 'MKLDNN (oneDNN) is a CPU switch, but engine.device is gpu');

    const dataset = raw.dataset && raw.task ? this.dataset(raw.dataset, `${path}.dataset`, raw.task) : undefined;
    if (!located || !dataset || raw.name === undefined || raw.task === undefined) return undefined;
    return {
      plan: {
        name: raw.name,
        path: located.file,
        format: located.format,
        task: raw.task,
        dataset,
        engine,
        ...(baselinePath !== undefined && { baselinePath }),
      },
      path,
      engineOrigin,
    };
  }

  private locate(
    path: string,
    absolute: string,
    format: ModelFormat | undefined,
    isInput: boolean,
    formatPath?: string,
  ): { file: string; format: ModelFormat } | undefined {
    const result = resolveModel(absolute, format);
    if (typeof result !== 'string') return result;
    const where = formatPath && result.startsWith('format ') ? formatPath : path;
    if (isInput) this.diagnostics.inputError('model', result);
    else this.error(where, result);
    return undefined;
  }

  // ── datasets ──

  private dataset(raw: RawDataset, path: string, task: Task): DatasetPlan | undefined {
    const format = raw.format ?? DEFAULT_FORMAT_OF_TASK[task];
    if (!format) {
      this.error(`${path}.format`, 'required for task generic: one of ppocr-rec, image-list, npy');
      return undefined;
    }
    const fits: Record<DatasetPlan['format'], readonly Task[]> = {
      'ppocr-rec': ['ocr-rec'],
      'image-list': ['classification', 'generic'],
      npy: ['ocr-rec', 'classification', 'generic'],
    };
    if (!fits[format].includes(task)) {
      this.error(`${path}.format`, `format ${format} is for task ${fits[format].join(' or ')}, but the model's task is ${task}`);
    }
    const notFor = (key: keyof RawDataset, reason: string): void => {
      if (raw[key] !== undefined) this.error(`${path}.${key}`, reason);
    };
    const need = <K extends keyof RawDataset>(key: K, reason: string): RawDataset[K] => {
      if (raw[key] === undefined) this.error(`${path}.${key}`, `required ${reason}`);
      return raw[key];
    };

    if (task === 'ocr-rec') {
      notFor('class-names', 'only for classification (ocr-rec decodes with the dictionary)');
      need('dictionary', 'for task ocr-rec: the character dictionary, e.g. ppocr_keys_v1.txt');
    } else {
      notFor('dictionary', `only for task ocr-rec, but the model's task is ${task}`);
    }
    const dictionary =
      raw.dictionary !== undefined ? this.existing(`${path}.dictionary`, raw.dictionary, 'file', 'dictionary file') : undefined;
    const classNames = raw['class-names']?.filter((name): name is string => name !== undefined);
    const limit = raw.limit;

    if (format === 'npy') {
      notFor('root', 'not used by format npy (the inputs are already tensors)');
      notFor('preprocess', 'not used by format npy (the inputs are already preprocessed)');
      const inputs = need('inputs', 'for format npy: a float32 NPY array [N, C, H, W]');
      const inputsPath = inputs !== undefined ? this.existing(`${path}.inputs`, inputs, 'file', 'inputs file') : undefined;
      const labels = raw.labels !== undefined ? this.existing(`${path}.labels`, raw.labels, 'file', 'labels file') : undefined;
      if (inputsPath === undefined) return undefined;
      return {
        format: 'npy',
        inputs: inputsPath,
        ...(labels !== undefined && { labels }),
        ...(dictionary !== undefined && { dictionary }),
        ...(classNames !== undefined && { classNames }),
        ...(limit !== undefined && { limit }),
      };
    }

    notFor('inputs', `only for format npy, but the format is ${format}`);
    const labelsText = need(
      'labels',
      format === 'ppocr-rec'
        ? 'for format ppocr-rec: a label file of `image<TAB>text` lines'
        : 'for format image-list: a label file of `image label` lines',
    );
    const labels = labelsText !== undefined ? this.existing(`${path}.labels`, labelsText, 'file', 'labels file') : undefined;
    const root =
      raw.root !== undefined
        ? this.existing(`${path}.root`, raw.root, 'dir', 'image root directory')
        : labels !== undefined
          ? dirname(labels)
          : undefined;
    const preprocess = this.preprocess(raw.preprocess, `${path}.preprocess`, task, path);
    if (labels === undefined || root === undefined || preprocess === undefined) return undefined;
    const common = { labels, root, preprocess, ...(limit !== undefined && { limit }) };
    if (format === 'ppocr-rec') {
      if (dictionary === undefined) return undefined;
      return { format, dictionary, ...common };
    }
    return { format, ...common, ...(classNames !== undefined && { classNames }) };
  }

  private preprocess(raw: RawPreprocess | undefined, path: string, task: Task, datasetPath: string): Preprocess | undefined {
    if (raw === undefined) {
      if (task === 'ocr-rec') return { kind: 'ppocr-rec', shape: [3, 48, 320] };
      if (task === 'classification') return { kind: 'imagenet', resizeShort: 256, crop: 224 };
      this.error(`${datasetPath}.preprocess`, 'required for task generic with image files: {kind: ppocr-rec | ppocr-cls | imagenet, ...}');
      return undefined;
    }
    const kind = raw.kind;
    if (kind === undefined) return undefined; // reported by the reader (required)
    if (task === 'ocr-rec' && kind === 'imagenet')
      this.error(`${path}.kind`, 'imagenet preprocessing does not fit an ocr-rec model: use ppocr-rec');
    if (kind === 'imagenet') {
      if (raw.shape !== undefined) this.error(`${path}.shape`, 'not used by kind imagenet: set resize-short and crop');
      const resizeShort = raw['resize-short'] ?? DEFAULT_IMAGENET_RESIZE_SHORT;
      const crop = raw.crop ?? DEFAULT_IMAGENET_CROP;
      if (crop > resizeShort) this.error(`${path}.crop`, `the crop (${crop}) must fit in the resized image (resize-short ${resizeShort})`);
      return { kind, resizeShort, crop };
    }
    for (const key of ['resize-short', 'crop'] as const) {
      if (raw[key] !== undefined) this.error(`${path}.${key}`, `not used by kind ${kind}: set shape [3, H, W]`);
    }
    const [c, h, w] = raw.shape ?? (kind === 'ppocr-rec' ? [3, 48, 320] : [3, 48, 192]);
    if (c === undefined || h === undefined || w === undefined) return undefined;
    return { kind, shape: [c, h, w] };
  }

  // ── runner ──

  private runner(raw: RawRunner, models: BuiltModel[]): RunnerPlan {
    const kinds = ['embedded', 'docker', 'local'] as const;
    let fromInput = this.overrides.runner;
    if (fromInput !== undefined && !kinds.includes(fromInput)) {
      this.diagnostics.inputError('runner', `expected one of ${kinds.join(', ')}, got "${String(fromInput)}"`);
      fromInput = undefined;
    }
    const kind = fromInput ?? raw.kind ?? DEFAULT_RUNNER_KIND;
    const via = fromInput !== undefined && fromInput !== raw.kind ? ` (runner ${kind} from the runner input)` : '';
    const only = (keys: Array<keyof RawRunner>, kinds: string): void => {
      // Settings for another runner are fine when the runner input switched kinds for this run.
      if (fromInput !== undefined && fromInput !== raw.kind) return;
      for (const key of keys) if (raw[key] !== undefined) this.error(`runner.${key}`, `only for runner kind ${kinds}; set runner.kind`);
    };
    const timeoutSeconds = raw.limits?.timeout ?? DEFAULT_TIMEOUT_SECONDS;
    if (raw.limits?.timeout === 0) this.error('runner.limits.timeout', 'expected a duration > 0');
    if (raw.limits?.['pull-timeout'] === 0) this.error('runner.limits.pull-timeout', 'expected a duration > 0');
    // Node's timers overflow past ~24.8 days and fire at once: a careless `999999h` must not kill every run.
    if (timeoutSeconds > MAX_TIMEOUT_SECONDS)
      this.error('runner.limits.timeout', `expected a duration up to 7 days (${MAX_TIMEOUT_SECONDS} s), got ${timeoutSeconds} s`);
    const command =
      typeof raw.command === 'string' ? ['sh', '-c', raw.command] : raw.command?.filter((part): part is string => part !== undefined);
    const python = raw.python ?? DEFAULT_PYTHON;

    if (this.overrides.image !== undefined && kind !== 'docker') {
      this.diagnostics.inputError('image', `only used by runner docker, but the runner is ${kind}`);
    }

    if (kind === 'embedded') {
      only(['image', 'pull', 'gpus', 'network', 'python', 'command', 'limits'], 'docker or local');
      for (const { plan, path, engineOrigin } of models) {
        if (plan.format !== 'onnx') {
          this.error(
            `${path}.path`,
            `the embedded runner runs ONNX models only, but ${plan.name} is ${plan.format}${via}: use runner kind docker or local`,
          );
        }
        if (plan.engine.device !== 'cpu')
          this.error(engineOrigin('device'), `the embedded runner is CPU-only${via}: use runner docker or local for GPUs`);
        if (plan.engine.precision !== 'fp32') this.error(engineOrigin('precision'), `the embedded runner runs fp32 only${via}`);
      }
      return { kind: 'embedded' };
    }

    if (kind === 'local') {
      only(['image', 'pull', 'gpus', 'network'], 'docker');
      for (const key of ['memory', 'cpus', 'pids', 'pull-timeout'] as const) {
        if (raw.limits?.[key] !== undefined && !via)
          this.error(`runner.limits.${key}`, 'only for runner kind docker (local runs take timeout only)');
      }
      return { kind: 'local', python, timeoutSeconds, ...(command && { command }) };
    }

    const image = this.overrides.image ?? raw.image;
    if (image === undefined && !this.diagnostics.bad.has('runner.image')) {
      if (fromInput !== undefined)
        this.diagnostics.inputError('runner', 'docker needs an image: set runner.image in gate.yml or the image input');
      else this.error('runner.image', 'required for runner kind docker, e.g. paddlepaddle/paddle:3.0.0-gpu-cuda11.8-cudnn8.9-trt8.6');
    }
    const wantsGpu = models.some(({ plan }) => plan.engine.device === 'gpu');
    const gpus =
      raw.gpus === undefined
        ? wantsGpu
          ? 'all'
          : 'none'
        : typeof raw.gpus === 'string'
          ? raw.gpus
          : raw.gpus.filter((id): id is string => id !== undefined);
    if (gpus === 'none' && wantsGpu && raw.gpus !== undefined) {
      const names = models.filter(({ plan }) => plan.engine.device === 'gpu').map(({ plan }) => plan.name);
      this.error('runner.gpus', `none, but ${names.join(', ')} run on device gpu`);
    }
    const limits = raw.limits ?? {};
    return {
      kind: 'docker',
      image: image ?? '',
      pull: raw.pull ?? DEFAULT_PULL,
      gpus,
      network: raw.network ?? false,
      limits: {
        ...(limits.memory !== undefined && { memory: limits.memory }),
        ...(limits.cpus !== undefined && { cpus: limits.cpus }),
        ...(limits.pids !== undefined && { pids: limits.pids }),
        ...(limits['pull-timeout'] !== undefined && { pullTimeoutSeconds: limits['pull-timeout'] }),
        timeoutSeconds,
      },
      python,
      ...(command && { command }),
    };
  }

  /**
   * What each engine can run at each precision, checked here so a run never claims a precision
   * it did not use (Paddle's own rules: EnableUseGpu takes fp32/fp16/bf16 only, INT8 on GPU is a
   * TensorRT precision, CPU bf16/int8 go through oneDNN). Also the TensorRT dynamic shapes.
   */
  private precisionRules(
    engine: EnginePlan,
    pick: <K extends keyof RawEngine>(field: K) => RawEngine[K],
    origin: (field: keyof RawEngine) => string,
  ): void {
    const p = engine.precision;
    if (engine.name === 'onnxruntime' && p !== 'fp32') {
      this.error(origin('precision'), `${p} with onnxruntime is not supported: it runs fp32 (use a Paddle model for fp16/bf16/int8)`);
    }
    if (engine.name === 'paddle' && engine.device === 'cpu') {
      if (p === 'fp16') this.error(origin('precision'), 'fp16 needs device gpu: Paddle Inference on CPU runs fp32, bf16 or int8 (oneDNN)');
      if (p === 'bf16' || p === 'int8') {
        if (pick('mkldnn') === false) this.error(origin('mkldnn'), `${p} on CPU runs through oneDNN: leave mkldnn on (or unset)`);
        engine.mkldnn = true;
        if (!engine.irOptim) this.error(origin('ir-optim'), `${p} on CPU is applied by IR passes: ir-optim must stay on`);
      }
    }
    if (engine.name === 'paddle' && engine.device === 'gpu' && p === 'int8' && !engine.tensorrt) {
      this.error(
        origin('precision'),
        'int8 on GPU is a TensorRT precision: set tensorrt: true (Paddle GPU runs fp32, fp16 or bf16 without it)',
      );
    }
    const shapes = pick('trt-shapes');
    if (shapes !== undefined) {
      if (!engine.tensorrt) this.error(origin('trt-shapes'), 'only used with tensorrt: true');
      const dims = (['min', 'opt', 'max'] as const).map((k) => shapes[k]?.filter((d): d is number => d !== undefined));
      const [min, opt, max] = dims;
      if (!min || !opt || !max) {
        this.error(origin('trt-shapes'), 'expected min, opt and max, each a shape such as [1, 3, 48, 320]');
      } else if (min.length !== opt.length || opt.length !== max.length) {
        this.error(origin('trt-shapes'), `min, opt and max must have the same rank; got ${min.length}, ${opt.length}, ${max.length}`);
      } else if (min.some((d, i) => d > opt[i]! || opt[i]! > max[i]!)) {
        this.error(origin('trt-shapes'), `expected min ≤ opt ≤ max in every dimension; got [${min}] / [${opt}] / [${max}]`);
      } else {
        engine.trtShapes = { min, opt, max };
      }
    }
  }

  // ── measure, thresholds, fingerprint, store, fail-on ──

  private measure(raw: RawMeasure): MeasurePlan {
    const measure: MeasurePlan = {
      warmupIterations: raw.warmup ?? DEFAULT_MEASURE.warmupIterations,
      warmupSeconds: raw['warmup-seconds'] ?? DEFAULT_MEASURE.warmupSeconds,
      rounds: raw.rounds ?? DEFAULT_MEASURE.rounds,
      minIterationsPerRound: raw.iterations ?? DEFAULT_MEASURE.minIterationsPerRound,
      minRoundSeconds: raw['round-seconds'] ?? DEFAULT_MEASURE.minRoundSeconds,
      maxSeconds: raw['max-seconds'] ?? DEFAULT_MEASURE.maxSeconds,
      minRounds: Math.min(raw['min-rounds'] ?? DEFAULT_MEASURE.minRounds, raw.rounds ?? DEFAULT_MEASURE.rounds),
      precision: raw.precision?.level.value ?? DEFAULT_MEASURE.precision,
    };
    if (raw['min-rounds'] !== undefined && raw['min-rounds'] > measure.rounds) {
      this.error(
        'measure.min-rounds',
        `${raw['min-rounds']} is more than measure.rounds (${measure.rounds}), the most rounds a side may take`,
      );
    }
    if (
      raw.precision !== undefined &&
      (raw.precision.level.kind !== 'relative' || !(raw.precision.level.value > 0) || !(raw.precision.level.value < 1))
    ) {
      this.error('measure.precision', `expected a relative level above 0 and below 100% such as 1%, got ${raw.precision.text}`);
    }
    const least = measure.warmupSeconds + measure.rounds * measure.minRoundSeconds;
    if (least > measure.maxSeconds) {
      const where =
        raw['max-seconds'] !== undefined
          ? 'measure.max-seconds'
          : raw['round-seconds'] !== undefined
            ? 'measure.round-seconds'
            : 'measure.rounds';
      this.error(
        where,
        `warm-up (${measure.warmupSeconds} s) + rounds × round-seconds (${measure.rounds} × ${measure.minRoundSeconds} s) = ${least} s does not fit in max-seconds (${measure.maxSeconds} s)`,
      );
    }
    return measure;
  }

  private thresholds(raw: Partial<Record<string, RawThreshold>>): Record<string, Threshold> {
    const out: Record<string, Threshold> = {};
    for (const [id, defaults] of Object.entries(DEFAULT_THRESHOLDS)) out[id] = structuredClone(defaults);
    for (const [id, entry] of Object.entries(raw)) {
      const base = out[id];
      const unit = METRIC_UNITS[id];
      if (!base || !unit || !entry) continue; // unknown ids are reported by the reader
      const path = `thresholds.${id}`;
      const merged: Threshold = { ...base, ...(entry.better !== undefined && { better: entry.better }) };
      let fits = true;
      for (const field of ['noise', 'warn', 'fail'] as const) {
        const level = entry[field];
        if (level === undefined) continue;
        if (level.unit !== 'relative' && UNIT_OF_LEVEL[level.unit] !== unit) {
          this.error(
            `${path}.${field}`,
            `${level.text} does not fit ${id}, which is measured in ${unit}: write a relative level such as 10% or an amount such as ${EXAMPLE_OF_UNIT[unit]}`,
          );
          fits = false;
          continue;
        }
        const never = impossibleLevel(id, unit, merged.better, level);
        if (never) {
          this.error(`${path}.${field}`, never);
          fits = false;
          continue;
        }
        merged[field] = level.level;
      }
      if (entry.min !== undefined) {
        if (entry.min.unit === 'relative' || UNIT_OF_LEVEL[entry.min.unit] !== unit) {
          this.error(
            `${path}.min`,
            `${entry.min.text} does not fit: min is an absolute amount in ${id}'s unit (${unit}), such as ${EXAMPLE_OF_UNIT[unit]}`,
          );
        } else if (unit === '%' && entry.min.level.value >= 100) {
          this.error(`${path}.min`, impossibleLevel(id, unit, 'lower', entry.min) ?? 'expected below 100pp');
        } else {
          merged.minAbsolute = entry.min.level.value;
        }
      }
      // fail ≥ warn ≥ noise whenever two levels are of the same kind (relative vs absolute).
      const order = ['fail', 'warn', 'noise'] as const;
      for (let i = 0; fits && i < order.length; i += 1) {
        for (let j = i + 1; j < order.length; j += 1) {
          const [upper, lower] = [order[i] as (typeof order)[number], order[j] as (typeof order)[number]];
          const high = merged[upper];
          const low = merged[lower];
          if (!high || !low || high.kind !== low.kind || high.value >= low.value) continue;
          const blamed = entry[upper] !== undefined ? upper : lower;
          const written = (level: NonNullable<Threshold['fail']>): string =>
            level.kind === 'relative' ? `${+(level.value * 100).toFixed(6)}%` : `${level.value}${unit === '%' ? 'pp' : unit}`;
          const show = (field: typeof upper, level: NonNullable<Threshold['fail']>): string =>
            `${field} ${entry[field]?.text ?? `${written(level)} (default)`}`;
          this.error(`${path}.${blamed}`, `${show(upper, high)} is below ${show(lower, low)}: levels must be fail ≥ warn ≥ noise`);
        }
      }
      out[id] = merged;
    }
    return out;
  }

  private fingerprint(raw: Array<string | undefined> | undefined): string[] {
    if (raw === undefined) return [...DEFAULT_FINGERPRINT_FIELDS];
    const fields: string[] = [];
    raw.forEach((field, index) => {
      if (field === undefined) return;
      // The environment is open-ended (a harness may add fields), but a near miss of a known field is a typo.
      const known = [...DEFAULT_FINGERPRINT_FIELDS, ...OTHER_ENV_FIELDS];
      const guess = known.includes(field) ? undefined : closest(field, known);
      if (guess !== undefined) this.error(joinPath('fingerprint', index), `unknown field "${field}"; did you mean \`${guess}\`?`);
      fields.push(field);
    });
    return fields;
  }

  private failOn(raw: RawGate['fail-on']): GatePlan['failOn'] {
    const allowed = ['fail', 'warn', 'inconclusive', 'unreadable'] as const;
    if (this.overrides.failOn !== undefined) {
      const wrong = this.overrides.failOn.filter((verdict) => !allowed.includes(verdict));
      if (wrong.length > 0) this.diagnostics.inputError('fail-on', `expected a subset of ${allowed.join(', ')}, got ${wrong.join(', ')}`);
      return [...new Set(this.overrides.failOn)];
    }
    return raw === undefined ? ['fail'] : raw.filter((verdict): verdict is (typeof allowed)[number] => verdict !== undefined);
  }

  private store(raw: RawStore | undefined): StorePlan {
    if (this.overrides.store !== undefined) return this.overrides.store;
    if (raw?.s3) {
      const s3 = raw.s3;
      const region = s3.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? DEFAULT_S3_REGION;
      if (s3.endpoint !== undefined) {
        try {
          new URL(s3.endpoint);
        } catch {
          this.error('store.s3.endpoint', `expected a URL such as http://127.0.0.1:9000, got "${s3.endpoint}"`);
        }
      }
      return {
        kind: 's3',
        bucket: s3.bucket ?? '',
        prefix: (s3.prefix ?? DEFAULT_S3_PREFIX).replace(/^\/+|\/+$/g, ''),
        region,
        ...(s3.endpoint !== undefined && { endpoint: s3.endpoint }),
        forcePathStyle: s3['path-style'] ?? s3.endpoint !== undefined,
        ...(s3['unsafe-unconditional-writes'] === true && { unsafeUnconditionalWrites: true }),
      };
    }
    if (raw?.['actions-cache']) {
      const cache = raw['actions-cache'];
      return {
        kind: 'actions-cache',
        prefix: cache.prefix ?? DEFAULT_S3_PREFIX,
        ...(cache.dir !== undefined && { dir: resolve(this.baseDir, cache.dir) }),
      };
    }
    return { kind: 'file', dir: resolve(this.baseDir, raw?.file?.dir ?? DEFAULT_STORE_DIR) };
  }
}
