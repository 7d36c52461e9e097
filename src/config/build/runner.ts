/**
 * runner: the kind (gate.yml or the action input), its image, Python or command, GPUs and limits, checked
 * against the models it must run.
 */
import type { RunnerPlan } from '../../types.js';
import {
  DEFAULT_PULL,
  DEFAULT_PYTHON,
  DEFAULT_RUNNER_KIND,
  DEFAULT_TIMEOUT_SECONDS,
  MAX_TIMEOUT_SECONDS,
  DEFAULT_PULL_TIMEOUT_SECONDS,
} from '../defaults.js';
import { type BuildContext, type BuiltModel, type RawRunner } from './context.js';

export function buildRunner(ctx: BuildContext, raw: RawRunner, models: BuiltModel[]): RunnerPlan {
  const kinds = ['embedded', 'docker', 'local'] as const;
  let fromInput = ctx.overrides.runner;
  if (fromInput !== undefined && !kinds.includes(fromInput)) {
    ctx.diagnostics.inputError('runner', `expected one of ${kinds.join(', ')}, got "${String(fromInput)}"`);
    fromInput = undefined;
  }
  const kind = fromInput ?? raw.kind ?? DEFAULT_RUNNER_KIND;
  const via = fromInput !== undefined && fromInput !== raw.kind ? ` (runner ${kind} from the runner input)` : '';
  const only = (keys: Array<keyof RawRunner>, kinds: string): void => {
    // Settings for another runner are fine when the runner input switched kinds for this run.
    if (fromInput !== undefined && fromInput !== raw.kind) return;
    for (const key of keys) if (raw[key] !== undefined) ctx.error(`runner.${key}`, `only for runner kind ${kinds}; set runner.kind`);
  };
  const timeoutSeconds = raw.limits?.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  if (raw.limits?.timeout === 0) ctx.error('runner.limits.timeout', 'expected a duration > 0');
  if (raw.limits?.['pull-timeout'] === 0) ctx.error('runner.limits.pull-timeout', 'expected a duration > 0');
  // Node's timers overflow past ~24.8 days and fire at once: a careless `999999h` must not kill every run.
  if (timeoutSeconds > MAX_TIMEOUT_SECONDS)
    ctx.error('runner.limits.timeout', `expected a duration up to 7 days (${MAX_TIMEOUT_SECONDS} s), got ${timeoutSeconds} s`);
  const command =
    typeof raw.command === 'string' ? ['sh', '-c', raw.command] : raw.command?.filter((part): part is string => part !== undefined);
  const python = raw.python ?? DEFAULT_PYTHON;

  if (ctx.overrides.image !== undefined && kind !== 'docker') {
    ctx.diagnostics.inputError('image', `only used by runner docker, but the runner is ${kind}`);
  }

  if (kind === 'embedded') {
    only(['image', 'pull', 'gpus', 'network', 'python', 'command', 'limits'], 'docker or local');
    for (const { plan, path, engineOrigin } of models) {
      if (plan.format !== 'onnx') {
        ctx.error(
          `${path}.path`,
          `the embedded runner runs ONNX models only, but ${plan.name} is ${plan.format}${via}: use runner kind docker or local`,
        );
      }
      if (plan.engine.device !== 'cpu')
        ctx.error(engineOrigin('device'), `the embedded runner is CPU-only${via}: use runner docker or local for GPUs`);
      if (plan.engine.precision !== 'fp32') ctx.error(engineOrigin('precision'), `the embedded runner runs fp32 only${via}`);
    }
    return { kind: 'embedded' };
  }

  if (kind === 'local') {
    only(['image', 'pull', 'gpus', 'network'], 'docker');
    for (const key of ['memory', 'cpus', 'pids', 'pull-timeout'] as const) {
      if (raw.limits?.[key] !== undefined && !via)
        ctx.error(`runner.limits.${key}`, 'only for runner kind docker (local runs take timeout only)');
    }
    return { kind: 'local', python, timeoutSeconds, ...(command && { command }) };
  }

  const image = ctx.overrides.image ?? raw.image;
  if (image === undefined && !ctx.diagnostics.bad.has('runner.image')) {
    if (fromInput !== undefined)
      ctx.diagnostics.inputError('runner', 'docker needs an image: set runner.image in gate.yml or the image input');
    else ctx.error('runner.image', 'required for runner kind docker, e.g. paddlepaddle/paddle:3.0.0-gpu-cuda11.8-cudnn8.9-trt8.6');
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
    ctx.error('runner.gpus', `none, but ${names.join(', ')} run on device gpu`);
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
      pullTimeoutSeconds: limits['pull-timeout'] ?? DEFAULT_PULL_TIMEOUT_SECONDS,
      timeoutSeconds,
    },
    python,
    ...(command && { command }),
  };
}
