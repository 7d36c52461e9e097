/**
 * How the harness configures Paddle Inference on a GPU, the part a CPU build of Paddle cannot
 * run: through the stand-in `paddle` package of a GPU build (fixtures/paddle_stub/, its names and
 * signatures checked against real Paddle 3.3 and 2.6 by paddle-stub-drift.test.ts), in the test
 * image, under the docker runner's read-only model mount. It raises where real Paddle raises: the
 * precision goes to TensorRT (INT8 included, without calibration) and not to EnableUseGpu,
 * TensorRT gets dynamic shapes (collected from the dataset, or gate.yml's trt-shapes) and a
 * writable optimisation cache, Paddle 3.x PIR programs run on the new IR/executor with TensorRT
 * through paddle.tensorrt.export.convert given the model prefix, and an engine's own error reaches
 * the message with its type and text. Everything on the CPU runs on real Paddle instead
 * (paddle-real.test.ts).
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('the reference: the stand-in on its CPU path (what the GPU cases must predict)', async () => {
    const { result } = await run('cpu', { threads: 2 });
    cpuRun = result;
    expect(result.outputs.predictions).toHaveLength(3);
  });

  it('GPU fp16 + TensorRT (2.x program): GPU asked first, fp32 EnableUseGpu, fp16 TensorRT, shape ranges collected from the dataset, cache in the work dir', async () => {
    const { result, calls, methods } = await run('trt-fp16', { device: 'gpu', precision: 'fp16', tensorrt: true, batchSize: 2 });
    expect(methods).toEqual([
      // Config().enable_use_gpu, then use_gpu(): does this Paddle run on the GPU at all?
      'enable_use_gpu',
      '__init__',
      'set_optim_cache_dir',
      'enable_use_gpu',
      'enable_tensorrt_engine',
      // the collecting pass, as PaddleOCR does it
      '__init__',
      'set_optim_cache_dir',
      'enable_use_gpu',
      'collect_shape_range_info',
      'disable_glog_info',
      'create_predictor',
      'enable_tuned_tensorrt_dynamic_shape',
      'switch_ir_optim',
      'disable_glog_info',
      'create_predictor',
    ]);
    expect(calls[2]!.args).toEqual({ opt_cache_dir: '/ppg/out/paddle_opt_cache' });
    expect(calls[3]!.args).toMatchObject({ precision_mode: 'Float32' });
    expect(calls[4]!.args).toMatchObject({ precision_mode: 'Half', max_batch_size: 2, use_calib_mode: false });
    expect(calls[11]!.args).toEqual({ shape_range_info_path: 'trt_shape_range.pbtxt', allow_build_at_runtime: true });
    const ranges = await readFile(join(root, 'trt-fp16', 'trt_shape_range.pbtxt'), 'utf8');
    expect(ranges).toContain('name: "x" min_shape: [1, 3, 48, 320] max_shape: [2, 3, 48, 320]');
    // TensorRT's cache was written under the work directory: the model is mounted read-only.
    expect(existsSync(join(root, 'trt-fp16', 'paddle_opt_cache', '.stub-write-check'))).toBe(true);
    expect(result.outputs.predictions).toEqual(cpuRun.outputs.predictions);
    expect(result.engine).toMatchObject({ device: 'gpu', precision: 'fp16' });
  });

  it('GPU int8 + TensorRT with gate.yml trt-shapes: INT8 is TensorRT precision without calibration, shapes set explicitly', async () => {
    const trtShapes = { min: [1, 3, 48, 160], opt: [1, 3, 48, 320], max: [4, 3, 48, 1280] };
    const { calls, methods } = await run('trt-int8', { device: 'gpu', precision: 'int8', tensorrt: true, trtShapes });
    const main = methods.lastIndexOf('create_predictor');
    expect(calls[3]).toEqual({
      method: 'enable_use_gpu',
      args: { memory_pool_init_size_mb: 100, device_id: 0, precision_mode: 'Float32' },
    });
    // use_calib_mode=True would time Paddle's calibration pass, not an int8 engine.
    expect(calls[4]).toMatchObject({ method: 'enable_tensorrt_engine', args: { precision_mode: 'Int8', use_calib_mode: false } });
    const dynamic = calls.find((c) => c.method === 'set_trt_dynamic_shape_info')!;
    expect(dynamic.args).toEqual({
      min_input_shape: { x: trtShapes.min },
      max_input_shape: { x: trtShapes.max },
      optim_input_shape: { x: trtShapes.opt },
    });
    expect(methods.indexOf('set_trt_dynamic_shape_info')).toBeLessThan(main);
    expect(methods).not.toContain('collect_shape_range_info');
    expect(existsSync(join(root, 'trt-int8', 'paddle_opt_cache', '.stub-write-check'))).toBe(true);
  });

  it('Paddle 3.x PIR program + TensorRT: paddle.tensorrt.export.convert given the model prefix, then the new IR and executor; no old-IR TensorRT', async () => {
    const { result, calls, methods } = await run('pir-trt', { device: 'gpu', precision: 'fp16', tensorrt: true }, { pir: true });
    const convert = calls.find((c) => c.method === 'paddle.tensorrt.convert')!;
    expect(convert.args).toEqual({
      model_path: 'inference',
      precision_mode: 'FP16',
      inputs: [{ name: 'x', min: [1, 3, 48, 320], opt: [1, 3, 48, 320], max: [1, 3, 48, 320] }],
    });
    const after = calls.slice(calls.indexOf(convert) + 1);
    expect(after[0]).toEqual({ method: '__init__', args: { prog_file: 'inference.json', params_file: 'inference.pdiparams' } });
    expect(after.map((c) => c.method)).toEqual([
      '__init__',
      'set_optim_cache_dir',
      'enable_new_ir',
      'enable_new_executor',
      'enable_use_gpu',
      'switch_ir_optim',
      'disable_glog_info',
      'create_predictor',
    ]);
    expect(methods).not.toContain('enable_tensorrt_engine');
    expect(result.notes!.join('\n')).toContain('TensorRT: PIR program converted with paddle.tensorrt.convert (fp16)');
    expect(result.notes!.join('\n')).toContain("paddle.tensorrt.export.convert('/ppg/model/inference',");
    expect(existsSync(join(root, 'pir-trt', 'trt', 'inference.json'))).toBe(true);
    expect(result.outputs.predictions).toEqual(cpuRun.outputs.predictions);
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
      'int8 TensorRT calibration with the optimisation cache left in the (read-only) model directory',
      'c.enable_use_gpu(100, 0); c.enable_tensorrt_engine(precision_mode=pi.PrecisionType.Int8, use_calib_mode=True); c.set_trt_dynamic_shape_info({"x": [1, 3, 48, 320]}, {"x": [1, 3, 48, 320]}, {"x": [1, 3, 48, 320]}); pi.create_predictor(c)',
      /RuntimeError: \(Unavailable\) Create optimization cache directory \/ppg\/root\/pd\/_opt_cache failed: .*Read-only file system/,
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
