/**
 * Precision is checked when gate.yml is read, by Paddle's own rules, so a result never says
 * bf16/int8/fp16 while the run used fp32: EnableUseGpu takes fp32/fp16/bf16 only (INT8 on GPU is
 * a TensorRT precision), CPU bf16/int8 run through oneDNN IR passes, onnxruntime here runs fp32.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { MINIMAL, makeProject, type Project } from './fixtures.js';

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project.cleanup());

const paddle = (engine: string, runner = 'docker, image: paddle:3') =>
  `${MINIMAL.replace('models/rec.onnx', 'models/pir')}runner: { kind: ${runner} }\nengine: ${engine}\n`;
const parse = (text: string) => parseConfig(text, project.file, {});
const errorOf = (text: string): string => {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('engine precision by engine and device', () => {
  it.each([
    ['{ device: gpu, precision: fp16 }', { precision: 'fp16', tensorrt: false }],
    ['{ device: gpu, precision: bf16 }', { precision: 'bf16' }],
    ['{ device: gpu, precision: int8, tensorrt: true }', { precision: 'int8', tensorrt: true }],
    ['{ device: cpu, precision: bf16 }', { precision: 'bf16', mkldnn: true }],
    ['{ device: cpu, precision: int8, mkldnn: true }', { precision: 'int8', mkldnn: true }],
    ['{ device: cpu, precision: fp32 }', { precision: 'fp32', mkldnn: false }],
  ])('accepts paddle %s', (engine, expected) => {
    expect(parse(paddle(engine)).models[0]!.engine).toMatchObject(expected);
  });

  it.each([
    ['{ device: gpu, precision: int8 }', /engine\.precision: int8 on GPU is a TensorRT precision: set tensorrt: true/],
    ['{ device: cpu, precision: fp16 }', /engine\.precision: fp16 needs device gpu: Paddle Inference on CPU runs fp32, bf16 or int8/],
    ['{ device: cpu, precision: bf16, mkldnn: false }', /engine\.mkldnn: bf16 on CPU runs through oneDNN/],
    ['{ device: cpu, precision: int8, ir-optim: false }', /engine\.ir-optim: int8 on CPU is applied by IR passes/],
    [
      '{ device: gpu, trt-shapes: { min: [1, 3, 48, 320], opt: [1, 3, 48, 320], max: [1, 3, 48, 320] } }',
      /engine\.trt-shapes: only used with tensorrt: true/,
    ],
    [
      '{ device: gpu, tensorrt: true, trt-shapes: { min: [1, 3, 48, 640], opt: [1, 3, 48, 320], max: [1, 3, 48, 1280] } }',
      /engine\.trt-shapes: expected min ≤ opt ≤ max in every dimension/,
    ],
    ['{ device: gpu, tensorrt: true, trt-shapes: { min: [1, 3, 48, 320] } }', /engine\.trt-shapes: expected min, opt and max/],
  ])('refuses paddle %s', (engine, message) => {
    expect(errorOf(paddle(engine))).toMatch(message);
  });

  it('refuses a non-fp32 precision for onnxruntime on any runner', () => {
    expect(errorOf(`${MINIMAL}runner: { kind: local }\nengine: { precision: fp16 }\n`)).toMatch(
      /engine\.precision: fp16 with onnxruntime is not supported: it runs fp32/,
    );
  });

  it('passes explicit TensorRT shapes to the plan', () => {
    const plan = parse(
      paddle('{ device: gpu, tensorrt: true, trt-shapes: { min: [1, 3, 48, 160], opt: [1, 3, 48, 320], max: [8, 3, 48, 1280] } }'),
    );
    expect(plan.models[0]!.engine.trtShapes).toEqual({ min: [1, 3, 48, 160], opt: [1, 3, 48, 320], max: [8, 3, 48, 1280] });
  });
});
