/**
 * models[]: names, the model file and format (the one resolver, model-files.ts), engine settings merged from the
 * model over the top-level `engine:`, and the engine rules (precision, TensorRT, MKLDNN).
 */
import { resolve } from 'node:path';
import type { EnginePlan, ModelFormat } from '../../types.js';
import { DEFAULT_ENGINE, ENGINE_OF_FORMAT } from '../defaults.js';
import { resolveModel, type ResolvedModel } from '../../model-files.js';
import { joinPath } from '../read.js';
import { type BuildContext, type BuiltModel, type RawGate, type RawEngine, type RawModel } from './context.js';
import { buildDataset } from './dataset.js';
import { counted } from '../../plural.js';

export function buildModels(ctx: BuildContext, raw: RawGate): BuiltModel[] {
  const list = raw.models ?? [];
  const override = ctx.overrides.model;
  if (override !== undefined && list.length !== 1) {
    const names = list.map((model) => model?.name ?? '?').join(', ');
    ctx.diagnostics.inputError(
      'model',
      `replaces the path of a single-model gate, but gate.yml has ${counted(list.length, 'model', 'models')} (${names})`,
    );
  }
  const seen = new Map<string, number>();
  const out: BuiltModel[] = [];
  list.forEach((model, index) => {
    if (!model) return;
    const path = joinPath('models', index);
    if (model.name === '.' || model.name === '..') {
      ctx.error(`${path}.name`, `"${model.name}" is not a model name: names key the baselines and name the output directory`);
    } else if (model.name !== undefined) {
      const first = seen.get(model.name);
      if (first !== undefined)
        ctx.error(`${path}.name`, `duplicate model name "${model.name}" (also models[${first}].name): names key the baselines`);
      else seen.set(model.name, index);
    }
    const pathOverride = list.length === 1 ? override : undefined;
    const variants = model.variants;
    if (variants === undefined) {
      const built = buildModel(ctx, model, path, raw.engine ?? {}, pathOverride);
      if (built) out.push(built);
      return;
    }
    // One plan per variant, each with its own name (the baseline key) and engine; the entry's name groups them.
    const labels = new Map<string, number>();
    variants.forEach((variant, v) => {
      if (!variant) return;
      const vpath = `${path}.variants[${v}]`;
      const label = variant.name ?? variantLabel(variant);
      const first = labels.get(label);
      if (first !== undefined) {
        ctx.error(
          variant.name !== undefined ? `${vpath}.name` : vpath,
          `duplicate variant "${label}" (also variants[${first}]) of model "${model.name ?? '?'}": give each a different name`,
        );
        return;
      }
      labels.set(label, v);
      const built = buildModel(ctx, model, path, raw.engine ?? {}, pathOverride, { raw: variant, path: vpath, label });
      if (built) out.push(built);
    });
  });
  return out;
}

type RawVariant = NonNullable<NonNullable<RawModel['variants']>[number]>;

/** A variant's default label: what it sets, e.g. `tensorrt-fp16-gpu-b8-t4`. */
function variantLabel(v: RawVariant): string {
  const parts = [
    v.engine,
    v.precision,
    v.device,
    v['device-id'] !== undefined ? `gpu${v['device-id']}` : undefined,
    v.batch !== undefined ? `b${v.batch}` : undefined,
    v.threads !== undefined ? `t${v.threads}` : undefined,
  ];
  const label = parts.filter((p) => p !== undefined).join('-');
  return label === '' ? 'default' : label;
}

/** A variant's settings as engine fields (engine: tensorrt is Paddle with TensorRT on). */
function variantEngine(v: RawVariant): RawEngine {
  const engine: RawEngine = {};
  if (v.engine === 'tensorrt') {
    engine.name = 'paddle';
    engine.tensorrt = true;
  } else if (v.engine !== undefined) {
    engine.name = v.engine;
    engine.tensorrt = false;
  }
  if (v.precision !== undefined) engine.precision = v.precision;
  if (v.device !== undefined) engine.device = v.device;
  if (v['device-id'] !== undefined) engine['device-id'] = v['device-id'];
  if (v.batch !== undefined) engine['batch-size'] = v.batch;
  if (v.threads !== undefined) engine.threads = v.threads;
  return engine;
}

function withoutShapes(engine: RawEngine): RawEngine {
  return Object.fromEntries(Object.entries(engine).filter(([key]) => key !== 'trt-shapes'));
}

/** The key of a variant that sets this engine field (for messages). */
const VARIANT_FIELD: Partial<Record<keyof RawEngine, keyof RawVariant>> = {
  name: 'engine',
  tensorrt: 'engine',
  precision: 'precision',
  device: 'device',
  'device-id': 'device-id',
  'batch-size': 'batch',
  threads: 'threads',
};

function buildModel(
  ctx: BuildContext,
  raw: RawModel,
  path: string,
  topEngine: RawEngine,
  pathOverride: string | undefined,
  variant?: { raw: RawVariant; path: string; label: string },
): BuiltModel | undefined {
  // With a path override the yaml's `format` described the other file: infer from the new one.
  const located =
    pathOverride !== undefined
      ? locate(ctx, 'input model', resolve(pathOverride), undefined, true)
      : raw.path !== undefined
        ? locate(ctx, `${path}.path`, resolve(ctx.baseDir, raw.path), raw.format, false, `${path}.format`)
        : undefined;
  const ownEngine = variant ? variantEngine(variant.raw) : {};
  const modelEngine: RawEngine = { ...raw.engine, ...ownEngine };
  const engineOrigin = (field: keyof RawEngine): string => {
    const key = VARIANT_FIELD[field];
    if (variant && key !== undefined && ownEngine[field] !== undefined) return `${variant.path}.${key}`;
    if (raw.engine?.[field] !== undefined) return `${path}.engine.${field}`;
    return topEngine[field] !== undefined ? `engine.${field}` : `${path}.path`;
  };
  // TensorRT shapes set for the model apply to its TensorRT variants; a variant without TensorRT has none.
  const top = ownEngine.tensorrt === false ? withoutShapes(topEngine) : topEngine;
  const own = ownEngine.tensorrt === false ? withoutShapes(modelEngine) : modelEngine;
  const pick = <K extends keyof RawEngine>(field: K): RawEngine[K] => own[field] ?? top[field];

  let baselinePath: string | undefined;
  if (raw['baseline-path'] !== undefined && located) {
    const base = locate(ctx, `${path}.baseline-path`, resolve(ctx.baseDir, raw['baseline-path']), located.format, false);
    baselinePath = base?.file;
  }

  const format = located?.format;
  const engineName = pick('name') ?? (format ? ENGINE_OF_FORMAT[format] : 'onnxruntime');
  if (format && engineName !== ENGINE_OF_FORMAT[format]) {
    ctx.error(
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
  precisionRules(ctx, engine, pick, engineOrigin);
  if (engine.tensorrt && engine.device !== 'gpu') ctx.error(engineOrigin('tensorrt'), 'TensorRT needs device gpu (engine.device)');
  if (engine.tensorrt && engine.name !== 'paddle')
    ctx.error(engineOrigin('tensorrt'), 'TensorRT is a Paddle Inference switch; this model runs on onnxruntime');
  if (engine.mkldnn && engine.device !== 'cpu')
    ctx.error(engineOrigin('mkldnn'), 'MKLDNN (oneDNN) is a CPU switch, but engine.device is gpu');

  const dataset = raw.dataset && raw.task ? buildDataset(ctx, raw.dataset, `${path}.dataset`, raw.task) : undefined;
  if (!located || !dataset || raw.name === undefined || raw.task === undefined) return undefined;
  return {
    plan: {
      name: variant ? `${raw.name}[${variant.label}]` : raw.name,
      ...(variant && { variant: { of: raw.name, label: variant.label } }),
      path: located.file,
      format: located.format,
      ...(located.alternative !== undefined && { alternative: located.alternative }),
      task: raw.task,
      dataset,
      engine,
      ...(baselinePath !== undefined && { baselinePath }),
    },
    path,
    engineOrigin,
  };
}

function locate(
  ctx: BuildContext,
  path: string,
  absolute: string,
  format: ModelFormat | undefined,
  isInput: boolean,
  formatPath?: string,
): ResolvedModel | undefined {
  const result = resolveModel(absolute, format);
  if (typeof result !== 'string') return result;
  const where = formatPath && result.startsWith('format ') ? formatPath : path;
  if (isInput) ctx.diagnostics.inputError('model', result);
  else ctx.error(where, result);
  return undefined;
}

/**
 * What each engine can run at each precision, checked here so a run never claims a precision
 * it did not use (Paddle's own rules: EnableUseGpu takes fp32/fp16/bf16 only, INT8 on GPU is a
 * TensorRT precision, CPU bf16/int8 go through oneDNN). Also the TensorRT dynamic shapes.
 */
function precisionRules(
  ctx: BuildContext,
  engine: EnginePlan,
  pick: <K extends keyof RawEngine>(field: K) => RawEngine[K],
  origin: (field: keyof RawEngine) => string,
): void {
  const p = engine.precision;
  if (engine.name === 'onnxruntime' && p !== 'fp32') {
    ctx.error(origin('precision'), `${p} with onnxruntime is not supported: it runs fp32 (use a Paddle model for fp16/bf16/int8)`);
  }
  if (engine.name === 'paddle' && engine.device === 'cpu') {
    if (p === 'fp16') ctx.error(origin('precision'), 'fp16 needs device gpu: Paddle Inference on CPU runs fp32, bf16 or int8 (oneDNN)');
    if (p === 'bf16' || p === 'int8') {
      if (pick('mkldnn') === false) ctx.error(origin('mkldnn'), `${p} on CPU runs through oneDNN: leave mkldnn on (or unset)`);
      engine.mkldnn = true;
      if (!engine.irOptim) ctx.error(origin('ir-optim'), `${p} on CPU is applied by IR passes: ir-optim must stay on`);
    }
  }
  if (engine.name === 'paddle' && engine.device === 'gpu' && p === 'int8' && !engine.tensorrt) {
    ctx.error(
      origin('precision'),
      'int8 on GPU is a TensorRT precision: set tensorrt: true (Paddle GPU runs fp32, fp16 or bf16 without it)',
    );
  }
  const shapes = pick('trt-shapes');
  if (shapes !== undefined) {
    if (!engine.tensorrt) ctx.error(origin('trt-shapes'), 'only used with tensorrt: true');
    const dims = (['min', 'opt', 'max'] as const).map((k) => shapes[k]?.filter((d): d is number => d !== undefined));
    const [min, opt, max] = dims;
    if (!min || !opt || !max) {
      ctx.error(origin('trt-shapes'), 'expected min, opt and max, each a shape such as [1, 3, 48, 320]');
    } else if (min.length !== opt.length || opt.length !== max.length) {
      ctx.error(origin('trt-shapes'), `min, opt and max must have the same rank; got ${min.length}, ${opt.length}, ${max.length}`);
    } else if (min.some((d, i) => d > opt[i]! || opt[i]! > max[i]!)) {
      ctx.error(origin('trt-shapes'), `expected min ≤ opt ≤ max in every dimension; got [${min}] / [${opt}] / [${max}]`);
    } else {
      engine.trtShapes = { min, opt, max };
    }
  }
}
