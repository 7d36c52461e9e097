/**
 * Paddle Inference against ONNX Runtime on the same models, the same machine, the same run
 * (issue 34), and the harness's overhead against a bare Paddle loop. Part of `npm run bench`;
 * `npm run bench -- --paddle-only` runs this part alone (about 3 minutes on the 2-core machine).
 *
 * The models: the shipped PP-OCRv4 rec and direction classifier (ONNX, embedded runner) and the
 * same networks in Paddle formats (scripts/paddle-models.sh: inference.json for Paddle 3.3,
 * inference.pdmodel for 2.6), on the shipped labelled sets, 1 thread, batch 1, the default
 * (fixed-width) preprocessing. Paddle runs through the local runner with the venvs of
 * scripts/python-env.sh (oneDNN off, the gate's default, and on) and, when a Docker engine and the
 * images are there, the docker runner with ppg-test/paddle:3.3-cpu / 2.6-cpu. The runs are
 * interleaved (one of each, then again) so the machine's drift hits every engine alike.
 *
 * Harness overhead: the harness's timed p50 (local runner, Paddle 3.3, inference.json, oneDNN off,
 * 1 thread) against a bare Python loop of copy_from_cpu + run + copy_to_cpu on the same Config and
 * the same prepared samples in the same process kind; alternated 3 times, medians. Goal ≤ 1.02.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { prepareDataset, readInputs } from '../src/dataset/prepare.js';
import type { PreparedDataset } from '../src/dataset/prepared.js';
import { measure } from '../src/measure/index.js';
import { median } from '../src/measure/stats.js';
import type { Runner } from '../src/ports.js';
import { createDockerRunner } from '../src/runners/docker.js';
import { dockerFromEnv, dockerodeEngine } from '../src/runners/dockerode-engine.js';
import { createEmbeddedRunner } from '../src/runners/embedded.js';
import { createLocalRunner } from '../src/runners/local.js';
import type { MeasurePlan, ModelPlan, RunResult } from '../src/types.js';
import { DEFAULT_MEASURE } from '../src/config/defaults.js';
import { encodeNpy } from '../__tests__/helpers/npy.js';
import { ROOT } from './bench-lib.js';

const exec = promisify(execFile);
const REPEATS = 2;
const LIMIT = 96;
const MEASURE: MeasurePlan = {
  ...DEFAULT_MEASURE,
  rounds: 5,
  minRounds: 5,
  minIterationsPerRound: 30,
  minRoundSeconds: 0.5,
  accuracy: { batch: 6, threads: 1 },
};
const IMAGES = { '3.3': 'ppg-test/paddle:3.3-cpu', '2.6': 'ppg-test/paddle:2.6-cpu' } as const;

interface Engine {
  name: string;
  runner: Runner;
  model: (base: ModelPlan, key: 'ppocrv4-rec' | 'ppocr-cls') => ModelPlan;
}

const BARE = `import json, sys, time
import numpy as np
import paddle.inference as pi
prog, params, inputs, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = pi.Config(prog, params)
if prog.endswith(".json"):
    c.enable_new_ir(True); c.enable_new_executor(True)
c.disable_gpu(); c.disable_mkldnn(); c.set_cpu_math_library_num_threads(1); c.switch_ir_optim(True); c.disable_glog_info()
p = pi.create_predictor(c)
x = np.load(inputs)
h = p.get_input_handle(p.get_input_names()[0])
outs = [p.get_output_handle(o) for o in p.get_output_names()]
t = []
for i in range(40 + n):
    b = np.ascontiguousarray(x[i % x.shape[0]:i % x.shape[0] + 1])
    s = time.perf_counter()
    h.reshape(list(b.shape)); h.copy_from_cpu(b); p.run(); [o.copy_to_cpu() for o in outs]
    if i >= 40:
        t.append((time.perf_counter() - s) * 1000.0)
print(json.dumps(sorted(t)[len(t) // 2]))`;

export async function paddleBench(log: (m: string) => void): Promise<string[]> {
  const models = process.env['PPG_PADDLE_MODELS'];
  const py33 = process.env['PPG_PADDLE33_PYTHON'];
  const py26 = process.env['PPG_PADDLE26_PYTHON'];
  if (!models || !py33 || !py26) {
    return ['Paddle vs ONNX Runtime: skipped (run eval "$(bash scripts/python-env.sh)" and eval "$(bash scripts/paddle-models.sh)" first)'];
  }
  const dir = await mkdtemp(join(tmpdir(), 'ppg-bench-paddle-'));
  const quiet = { info: () => undefined, warn: (m: string) => log(`warn: ${m}`) };
  try {
    const plan = await loadConfig(join(ROOT, 'examples/demo/gate.yml'));
    const bases: Array<{ key: 'ppocrv4-rec' | 'ppocr-cls'; model: ModelPlan; dataset: PreparedDataset }> = [];
    for (const [key, task] of [
      ['ppocrv4-rec', 'ocr-rec'],
      ['ppocr-cls', 'classification'],
    ] as const) {
      const demo = plan.models.find((m) => m.task === task)!;
      const model = { ...demo, dataset: { ...demo.dataset, limit: LIMIT }, engine: { ...demo.engine, threads: 1 } } as ModelPlan;
      bases.push({ key, model, dataset: await prepareDataset(model.dataset, join(dir, 'cache'), quiet) });
    }
    const paddle =
      (label: '3.3' | '2.6', mkldnn: boolean) =>
      (base: ModelPlan, key: string): ModelPlan => ({
        ...base,
        path: join(models, key, label === '3.3' ? 'paddle-pir/inference.json' : 'paddle-pdmodel/inference.pdmodel'),
        format: label === '3.3' ? 'paddle-pir' : 'paddle-pdmodel',
        engine: { ...base.engine, name: 'paddle', mkldnn },
      });
    const local = (python: string) => createLocalRunner({ kind: 'local', python, timeoutSeconds: 600 });
    const engines: Engine[] = [
      { name: 'ONNX Runtime (onnxruntime-node, embedded)', runner: createEmbeddedRunner(), model: (b) => b },
      { name: 'Paddle 3.3.1 inference.json, local', runner: local(py33), model: paddle('3.3', false) },
      { name: 'Paddle 3.3.1 inference.json, local, oneDNN', runner: local(py33), model: paddle('3.3', true) },
      { name: 'Paddle 2.6.2 inference.pdmodel, local', runner: local(py26), model: paddle('2.6', false) },
      { name: 'Paddle 2.6.2 inference.pdmodel, local, oneDNN', runner: local(py26), model: paddle('2.6', true) },
    ];
    const host = process.env['PPG_DOCKER_HOST'] ?? process.env['DOCKER_HOST'];
    if (host) {
      const docker = dockerFromEnv();
      for (const label of ['3.3', '2.6'] as const) {
        const present = await docker
          .getImage(IMAGES[label])
          .inspect()
          .then(
            () => true,
            () => false,
          );
        if (!present) continue;
        const runner = createDockerRunner(
          {
            kind: 'docker',
            image: IMAGES[label],
            pull: 'never',
            gpus: 'none',
            network: false,
            limits: { timeoutSeconds: 600, pullTimeoutSeconds: 60 },
            python: 'python3',
          },
          { engine: dockerodeEngine(docker) },
        );
        engines.push({
          name: `Paddle ${label === '3.3' ? '3.3.1' : '2.6.2'}, docker ${IMAGES[label]}`,
          runner,
          model: paddle(label, false),
        });
      }
    }
    const results = new Map<string, { p50: number[]; accuracy: number | null; metric: string }>();
    for (let r = 0; r < REPEATS; r++) {
      for (const base of bases) {
        for (const e of engines) {
          const run = await e.runner.run(
            {
              model: e.model(base.model, base.key),
              measure: MEASURE,
              dataset: base.dataset,
              workDir: join(dir, `w-${r}-${base.key}-${engines.indexOf(e)}`),
            },
            quiet,
          );
          const metrics = measure(run, base.dataset, base.model.task).metrics;
          const p50 = metrics.find((m) => m.id === 'latency.p50')!.value!;
          const acc = metrics.find((m) => m.id === 'accuracy.line' || m.id === 'accuracy.top1');
          const k = `${base.key}\t${e.name}`;
          const row = results.get(k) ?? { p50: [], accuracy: acc?.value ?? null, metric: acc?.id ?? '' };
          row.p50.push(p50);
          results.set(k, row);
          log(`paddle bench ${r + 1}/${REPEATS}: ${base.key} ${e.name}: p50 ${p50.toFixed(2)} ms, ${acc?.id} ${acc?.value?.toFixed(2)} %`);
        }
      }
    }
    const lines = [
      `Paddle vs ONNX Runtime, same models, this machine, this run (1 thread, batch 1, ${LIMIT} lines/images, median of ${REPEATS} runs' p50):`,
      '| model | engine | latency p50 (ms) | accuracy |',
      '| --- | --- | ---: | ---: |',
    ];
    for (const [k, row] of results) {
      const [key, name] = k.split('\t');
      lines.push(
        `| ${key} | ${name} | ${median(row.p50).toFixed(2)} | ${row.accuracy === null ? '—' : `${row.accuracy.toFixed(2)} % (${row.metric})`} |`,
      );
    }
    lines.push(await overhead(dir, models, py33, bases[0]!, log));
    return lines;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function overhead(
  dir: string,
  models: string,
  python: string,
  base: { model: ModelPlan; dataset: PreparedDataset },
  log: (m: string) => void,
): Promise<string> {
  const { data, shape } = await readInputs(base.dataset);
  const inputs = join(dir, 'bare-inputs.npy');
  await writeFile(inputs, encodeNpy(data, shape));
  const prog = join(models, 'ppocrv4-rec', 'paddle-pir', 'inference.json');
  const params = join(models, 'ppocrv4-rec', 'paddle-pir', 'inference.pdiparams');
  const model: ModelPlan = {
    ...base.model,
    path: prog,
    format: 'paddle-pir',
    engine: { ...base.model.engine, name: 'paddle', mkldnn: false, threads: 1 },
  };
  const runner = createLocalRunner({ kind: 'local', python, timeoutSeconds: 600 });
  const bare: number[] = [];
  const harness: number[] = [];
  const quiet = { info: () => undefined, warn: () => undefined };
  for (let k = 0; k < 3; k++) {
    const { stdout } = await exec(python, ['-c', BARE, prog, params, inputs, '200'], { env: { ...process.env, GLOG_minloglevel: '2' } });
    bare.push(Number(stdout.trim().split('\n').pop()));
    const run: RunResult = await runner.run(
      {
        model,
        measure: { ...MEASURE, warmupIterations: 40, rounds: 1, minRounds: 1, minIterationsPerRound: 200, minRoundSeconds: 0 },
        dataset: base.dataset,
        workDir: join(dir, `overhead-${k}`),
        timingOnly: true,
      },
      quiet,
    );
    harness.push(median(run.timing.rounds.flat()));
    log(`paddle overhead ${k + 1}/3: bare ${bare.at(-1)!.toFixed(2)} ms, harness ${harness.at(-1)!.toFixed(2)} ms`);
  }
  const [b, h] = [median(bare), median(harness)];
  return `Paddle harness overhead: harness p50 ${h.toFixed(2)} ms / bare copy_from_cpu + run + copy_to_cpu loop p50 ${b.toFixed(2)} ms = ${(h / b).toFixed(3)} (goal ≤ 1.02; Paddle 3.3.1, PP-OCRv4 rec inference.json, 1 thread)`;
}
