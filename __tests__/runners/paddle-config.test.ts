/**
 * How the harness configures Paddle Inference, run in the test image through the stand-in
 * `paddle` package (real Paddle cannot run here), which raises where real Paddle raises: the
 * precision goes to TensorRT (INT8 included) and not to EnableUseGpu, TensorRT gets dynamic
 * shapes (collected from the dataset, or gate.yml's trt-shapes), Paddle 3.x PIR programs run on
 * the new IR/executor with TensorRT through paddle.tensorrt.convert, CPU bf16/int8 go through
 * oneDNN or fail loudly, and an engine's own error reaches the message with its type and text.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnerError } from '../../src/errors.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { createDockerRunner } from '../../src/runners/docker.js';
import { dockerFromEnv, dockerodeEngine } from '../../src/runners/dockerode-engine.js';
import type { EnginePlan, MeasurePlan, RunResult } from '../../src/types.js';
import { dockerHostOrSkip, makeOcrDataset, QUICK, recModel, recordingProgress, REC_MODEL, STUB_DIR, dockerPlan } from './fixtures.js';

const host = dockerHostOrSkip();
const GATE = `paddle-config-test-${process.pid}`;

const plan = dockerPlan;

interface Call {
  method: string;
  args: Record<string, unknown>;
}

describe.skipIf(!host)('the harness configures Paddle as Paddle takes it (stand-in paddle, real engine)', () => {
  let root: string;
  let dataset: PreparedDataset;
  let pdDir: string;
  let pirDir: string;
  let cpuRun: RunResult;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ppg-paddle-config-'));
    dataset = await makeOcrDataset(join(root, 'data'), 3);
    // The stand-in reads the program file as ONNX; the weights file only has to exist.
    pdDir = join(root, 'pd');
    pirDir = join(root, 'pir');
    for (const [dir, entry] of [
      [pdDir, 'inference.pdmodel'],
      [pirDir, 'inference.json'],
    ] as const) {
      await mkdir(dir, { recursive: true });
      await copyFile(REC_MODEL, join(dir, entry));
      await writeFile(join(dir, 'inference.pdiparams'), '');
    }
  });
  afterAll(async () => {
    const left = await dockerFromEnv().listContainers({ all: true, filters: { label: [`paddle-perf-gate.gate=${GATE}`] } });
    await rm(root, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  const run = async (
    name: string,
    engine: Partial<EnginePlan>,
    opts: { pir?: boolean; env?: Record<string, string>; command?: string[]; accuracy?: MeasurePlan['accuracy'] } = {},
  ) => {
    const workDir = join(root, name);
    const result = await createDockerRunner(plan(opts.command ? { command: opts.command } : {}), {
      engine: dockerodeEngine(dockerFromEnv()),
      gateId: GATE,
      mounts: [
        { host: STUB_DIR, container: '/ppg/stub' },
        { host: root, container: '/ppg/root' },
      ],
      env: { PYTHONPATH: '/ppg/stub', PPG_STUB_LOG: '/ppg/out/stub-calls.jsonl', ...opts.env },
    }).run(
      {
        model: recModel(
          { path: opts.pir ? pirDir : pdDir, format: opts.pir ? 'paddle-pir' : 'paddle-pdmodel' },
          { name: 'paddle', ...engine },
        ),
        // The accuracy pass on the engine's threads unless a case says otherwise: one predictor, whatever the machine's cores.
        measure: { ...QUICK, accuracy: opts.accuracy ?? { batch: 6, threads: engine.threads ?? 1 } },
        dataset,
        workDir,
      },
      recordingProgress(),
    );
    const calls = (await readFile(join(workDir, 'stub-calls.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Call);
    return { result, calls, methods: calls.map((c) => c.method) };
  };

  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as Error,
    );

  it('CPU fp32: oneDNN off, threads set; the reference predictions', async () => {
    const { result, methods } = await run('cpu', { threads: 2 });
    cpuRun = result;
    expect(methods).toEqual([
      '__init__',
      'disable_gpu',
      'disable_mkldnn',
      'set_cpu_math_library_num_threads',
      'switch_ir_optim',
      'disable_glog_info',
      'create_predictor',
    ]);
    expect(result.engine.precision).toBe('fp32');
  });

  it('CPU, measure.accuracy on its own threads: a second predictor with those threads, the same predictions', async () => {
    const { result, calls, methods } = await run('cpu-accuracy', { threads: 2 }, { accuracy: { batch: 4, threads: 3 } });
    const creations = methods.filter((m) => m === 'create_predictor').length;
    expect(creations).toBe(2);
    expect(calls.filter((c) => c.method === 'set_cpu_math_library_num_threads').map((c) => c.args)).toEqual([
      { cpu_math_library_num_threads: 2 },
      { cpu_math_library_num_threads: 3 },
    ]);
    expect(result.outputs.predictions).toEqual(cpuRun.outputs.predictions);
    expect(result.engine.options).toMatchObject({ threads: 2, accuracyBatch: 3, accuracyThreads: 3 });
    expect(result.notes?.join('\n')).toMatch(/accuracy pass: batch 3, 3 thread\(s\); the first 3 predictions checked equal to batch 1/);
  });

  it('GPU fp16 + TensorRT (2.x program): fp32 EnableUseGpu, fp16 TensorRT, shape ranges collected from the dataset first', async () => {
    const { result, calls, methods } = await run('trt-fp16', { device: 'gpu', precision: 'fp16', tensorrt: true, batchSize: 2 });
    expect(methods).toEqual([
      '__init__',
      'enable_use_gpu',
      'enable_tensorrt_engine',
      // the collecting pass, as PaddleOCR does it
      '__init__',
      'enable_use_gpu',
      'collect_shape_range_info',
      'disable_glog_info',
      'create_predictor',
      'enable_tuned_tensorrt_dynamic_shape',
      'switch_ir_optim',
      'disable_glog_info',
      'create_predictor',
    ]);
    expect(calls[1]!.args).toMatchObject({ precision_mode: 'Float32' });
    expect(calls[2]!.args).toMatchObject({ precision_mode: 'Half', max_batch_size: 2, use_calib_mode: false });
    expect(calls[8]!.args).toEqual({ shape_range_info_path: 'trt_shape_range.pbtxt', allow_build_at_runtime: true });
    const ranges = await readFile(join(root, 'trt-fp16', 'trt_shape_range.pbtxt'), 'utf8');
    expect(ranges).toContain('name: "x" min_shape: [1, 3, 48, 320] max_shape: [2, 3, 48, 320]');
    expect(result.outputs.predictions).toEqual(cpuRun.outputs.predictions);
    expect(result.engine).toMatchObject({ device: 'gpu', precision: 'fp16' });
  });

  it('GPU int8 + TensorRT with gate.yml trt-shapes: INT8 is TensorRT precision (calibration on), shapes set explicitly', async () => {
    const trtShapes = { min: [1, 3, 48, 160], opt: [1, 3, 48, 320], max: [4, 3, 48, 1280] };
    const { calls, methods } = await run('trt-int8', { device: 'gpu', precision: 'int8', tensorrt: true, trtShapes });
    const main = methods.lastIndexOf('create_predictor');
    expect(calls[1]).toEqual({
      method: 'enable_use_gpu',
      args: { memory_pool_init_size_mb: 100, device_id: 0, precision_mode: 'Float32' },
    });
    expect(calls[2]!.args).toMatchObject({ precision_mode: 'Int8', use_calib_mode: true });
    const dynamic = calls.find((c) => c.method === 'set_trt_dynamic_shape_info')!;
    expect(dynamic.args).toEqual({
      min_input_shape: { x: trtShapes.min },
      max_input_shape: { x: trtShapes.max },
      optim_input_shape: { x: trtShapes.opt },
    });
    expect(methods.indexOf('set_trt_dynamic_shape_info')).toBeLessThan(main);
    expect(methods).not.toContain('collect_shape_range_info');
  });

  it('Paddle 3.x PIR program + TensorRT: paddle.tensorrt.convert, then the new IR and executor; no old-IR TensorRT', async () => {
    const { result, calls, methods } = await run('pir-trt', { device: 'gpu', precision: 'fp16', tensorrt: true }, { pir: true });
    const convert = calls.find((c) => c.method === 'paddle.tensorrt.convert')!;
    expect(convert.args).toEqual({
      model: 'inference.json',
      precision_mode: 'FP16',
      inputs: [{ name: 'x', min: [1, 3, 48, 320], opt: [1, 3, 48, 320], max: [1, 3, 48, 320] }],
    });
    const after = calls.slice(calls.indexOf(convert) + 1);
    expect(after[0]).toEqual({ method: '__init__', args: { prog_file: 'inference.json', params_file: 'inference.pdiparams' } });
    expect(after.map((c) => c.method)).toEqual([
      '__init__',
      'enable_new_ir',
      'enable_new_executor',
      'enable_use_gpu',
      'switch_ir_optim',
      'disable_glog_info',
      'create_predictor',
    ]);
    expect(methods).not.toContain('enable_tensorrt_engine');
    expect(result.notes!.join('\n')).toContain('TensorRT: PIR program converted with paddle.tensorrt.convert (fp16)');
    expect(result.outputs.predictions).toEqual(cpuRun.outputs.predictions);
  });

  it('Paddle 3.x PIR program on CPU: new IR and executor, as PaddleX runs it', async () => {
    const { methods } = await run('pir-cpu', {}, { pir: true });
    expect(methods.slice(0, 4)).toEqual(['__init__', 'enable_new_ir', 'enable_new_executor', 'disable_gpu']);
  });

  it('CPU bf16 runs through oneDNN bfloat16 where the CPU has AVX-512', async () => {
    const { result, methods } = await run('bf16', { precision: 'bf16', mkldnn: true }, { env: { PPG_STUB_CPU_ISA: 'avx512_core' } });
    expect(methods).toEqual([
      '__init__',
      'disable_gpu',
      'enable_mkldnn',
      'enable_mkldnn_bfloat16',
      'set_cpu_math_library_num_threads',
      'switch_ir_optim',
      'disable_glog_info',
      'create_predictor',
    ]);
    expect(result.engine.precision).toBe('bf16');
  });

  it('CPU bf16 without AVX-512 fails instead of measuring fp32 under a bf16 label', async () => {
    const error = await failure(run('bf16-no-avx512', { precision: 'bf16', mkldnn: true }, { env: { PPG_STUB_CPU_ISA: 'avx2' } }));
    expect(error).toBeInstanceOf(RunnerError);
    expect(error.message).toMatch(/the harness exited with code 3: precision bf16 on CPU: Paddle turned oneDNN bfloat16 off/);
  });

  it('CPU int8 turns on oneDNN int8', async () => {
    const { methods, result } = await run('int8-cpu', { precision: 'int8', mkldnn: true });
    expect(methods.slice(0, 4)).toEqual(['__init__', 'disable_gpu', 'enable_mkldnn', 'enable_mkldnn_int8']);
    expect(result.notes!.join('\n')).toContain('int8 on CPU: oneDNN runs the quantized operators');
  });

  it('an engine error at run time (Paddle RuntimeError) reaches the message: type, summary line, stderr tail, log path', async () => {
    const error = await failure(
      run(
        'oom',
        { device: 'gpu', precision: 'fp16' },
        { env: { PPG_STUB_RUN_ERROR: 'ResourceExhaustedError: Out of memory error on GPU 0. Cannot allocate 1.2GB memory' } },
      ),
    );
    expect(error.message).toMatch(
      /the harness exited with code 3: RuntimeError: ResourceExhaustedError: Out of memory error on GPU 0\. Cannot allocate 1\.2GB memory; last stderr lines: .*Traceback|RuntimeError/,
    );
    expect(error.message).toMatch(/last stderr lines: .*ResourceExhaustedError/);
    expect(error.message).toMatch(/\(log: .*oom\/container\.log\)$/);
  });

  it.each([
    [
      'EnableUseGpu with Int8 (what the harness used to do for INT8 + TensorRT)',
      'c.enable_use_gpu(100, 0, pi.PrecisionType.Int8)',
      /ValueError: \(InvalidArgument\) The GPU inference currently only supports float32\/float16\/bfloat16 precision/,
    ],
    [
      'TensorRT on the dynamic-width rec model without shape information',
      'c.enable_use_gpu(100, 0); c.enable_tensorrt_engine(precision_mode=pi.PrecisionType.Half); pi.create_predictor(c)',
      /ValueError: \(InvalidArgument\) The input \[x\] shape of trt subgraph is \[-1,3,48,-1\], please enable trt dynamic_shape mode by SetTRTDynamicShapeInfo/,
    ],
  ])('the stand-in raises as Paddle does: %s', async (_name, code, message) => {
    const script = `import paddle.inference as pi\nc = pi.Config("/ppg/root/pd/inference.pdmodel", "/ppg/root/pd/inference.pdiparams")\n${code}\n`;
    const error = await failure(run(`stub-${Math.random().toString(36).slice(2)}`, {}, { command: ['python3', '-c', script] }));
    // A command's Python traceback: its last lines carry the exception type and Paddle's message.
    expect(error.message).toMatch(/the command "python3 -c .*" exited with code 1; last log lines: .*; last stderr lines: .*/s);
    expect(error.message).toMatch(message);
  });
});
