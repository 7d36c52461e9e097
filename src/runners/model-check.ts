/**
 * Does the model fit what gate.yml says about it? Checked from the model's own input/output
 * metadata before the first inference, so a mismatch is one exit-2 line naming the model, the
 * gate.yml field, what the model expects and what it got — not an engine error with a stack
 * trace and a kernel log, and not a wrong task judged (a recognition model read as a
 * classifier scores 0.4 % instead of being refused).
 */
import type { ModelPlan } from '../types.js';

/** An input or output as the engine describes it (onnxruntime's ValueMetadata). */
export interface ValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  /** Numbers are fixed sizes; strings (or negative numbers) are dynamic; empty when unknown. */
  shape?: ReadonlyArray<number | string>;
}

export interface ModelIo {
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

/** What the dataset feeds: [N, ...sample] and the decoding vocabulary. */
export interface FedData {
  shape: readonly number[];
  dictionary?: readonly string[];
  classNames?: readonly string[];
}

const fixed = (d: number | string | undefined): d is number => typeof d === 'number' && d >= 0;
const show = (shape: ReadonlyArray<number | string>): string => `[${shape.map((d) => (fixed(d) ? String(d) : '?')).join(', ')}]`;

/** The gate.yml field that decides the fed shape. */
function shapeField(model: ModelPlan): string {
  const d = model.dataset;
  if (d.format === 'npy') return 'dataset.inputs';
  if (d.format === 'random') return 'dataset.random.shape';
  return d.preprocess.kind === 'imagenet' ? 'dataset.preprocess.crop' : 'dataset.preprocess.shape';
}

/**
 * Every way the model and the configuration disagree, as `models[NAME].field: …` lines (empty when
 * they fit). The runner feeds the first input and reads the first output.
 */
export function modelFitProblems(model: ModelPlan, io: ModelIo, data: FedData, options: { outputs?: boolean } = {}): string[] {
  const problems: string[] = [];
  const at = (field: string, text: string) => problems.push(`models[${model.name}].${field}: ${text}`);
  const sample = data.shape.slice(1);

  // ── the input ──
  if (io.inputs.length !== 1) {
    at(
      'path',
      `expected a model with one input (the gate feeds one tensor), got ${io.inputs.length}: ${io.inputs.map((i) => i.name).join(', ') || 'none'}`,
    );
  }
  const input = io.inputs[0];
  if (input) {
    if (!input.isTensor || (input.type !== undefined && input.type !== 'float32')) {
      at(
        'path',
        `input ${input.name}: expected a float32 tensor (the prepared data is float32), got ${input.isTensor ? input.type : 'a non-tensor'}`,
      );
    }
    const shape = input.shape ?? [];
    const d = model.dataset;
    if (d.format !== 'npy' && d.format !== 'random' && d.preprocess.kind === 'ppocr-rec' && d.preprocess.dynamic && fixed(shape[3])) {
      at(
        'dataset.preprocess.width',
        `dynamic needs a model whose input width is dynamic, but input ${input.name} is ${show(shape)}: use width: fixed with shape [${shape.slice(1).map(String).join(', ')}]`,
      );
      return problems;
    }
    if (shape.length > 0) {
      const field = shapeField(model);
      if (shape.length !== 1 + sample.length) {
        at(
          field,
          `input ${input.name} is ${show(shape)}: expected samples of ${shape.length - 1} dimensions ${show(shape.slice(1))}, got ${sample.length}: [${sample.join(', ')}]`,
        );
      } else {
        const wrong = shape.slice(1).findIndex((d, i) => fixed(d) && d !== sample[i]);
        if (wrong >= 0) {
          const channelsLast = sample.length === 3 && fixed(shape[1]) && sample[2] === shape[1];
          at(
            field,
            `input ${input.name} is ${show(shape)}: expected samples ${show(shape.slice(1))}, got [${sample.join(', ')}] (axis ${wrong + 1}: ${String(shape[wrong + 1])} ≠ ${sample[wrong]})${channelsLast ? '; channels-last data? the model wants channels first' : ''}`,
          );
        }
      }
      const batch = shape[0];
      if (fixed(batch) && batch !== 1) {
        at(
          'path',
          `input ${input.name} has a fixed batch of ${batch}: expected a dynamic or 1 batch axis (predictions run one sample at a time)`,
        );
      } else if (fixed(batch) && model.engine.batchSize !== 1) {
        at('engine.batch-size', `expected 1 (input ${input.name} has a fixed batch of 1), got ${model.engine.batchSize}`);
      }
    }
  }

  // ── the output, against the task (not for timing-only calls, whose outputs are not read) ──
  if (options.outputs === false) return problems;
  const output = io.outputs[0];
  if (!output) {
    at('path', 'expected a model with at least one output, got none');
    return problems;
  }
  if (!output.isTensor || (output.type !== undefined && output.type !== 'float32')) {
    at('path', `output ${output.name}: expected a float32 tensor, got ${output.isTensor ? output.type : 'a non-tensor'}`);
  }
  const out = output.shape ?? [];
  if (out.length === 0) return problems;
  if (model.task === 'ocr-rec') {
    if (out.length !== 3) {
      at('task', `ocr-rec expects an output [N, steps, classes], but output ${output.name} is ${show(out)}: is this a recognition model?`);
    } else if (fixed(out[2]) && data.dictionary) {
      const n = data.dictionary.length;
      if (out[2] !== n + 1 && out[2] !== n + 2) {
        at(
          'dataset.dictionary',
          `expected ${out[2] - 2} characters (output ${output.name} has ${out[2]} classes: blank + characters + space), got ${n}`,
        );
      }
    }
  } else if (model.task === 'classification') {
    if (out.length !== 2) {
      at('task', `classification expects an output [N, classes], but output ${output.name} is ${show(out)}: is this a classifier?`);
    } else if (fixed(out[1]) && data.classNames && out[1] !== data.classNames.length) {
      at('dataset.class-names', `expected ${out[1]} names (output ${output.name} has ${out[1]} classes), got ${data.classNames.length}`);
    }
  }
  return problems;
}
