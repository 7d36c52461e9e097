/**
 * Paddle Inference against ONNX Runtime on the same models, the same machine, the same run
 * (issue 34), and the harness's overhead against a bare Paddle loop. Part of `npm run bench`;
 * `npm run bench -- --paddle-only` runs this part alone (about 20 minutes on the busy 2-core
 * machine), `--paddle-overhead-only` the overhead lines alone (about 5 minutes).
 *
 * The models: the shipped PP-OCRv4 rec and direction classifier (ONNX, embedded runner) and the
 * same networks in Paddle formats (scripts/paddle-models.sh: inference.json for Paddle 3.3,
 * inference.pdmodel for 2.6), on the shipped labelled sets, 1 thread, batch 1, the default
 * (fixed-width) preprocessing. Paddle runs through the local runner with the venvs of
 * scripts/python-env.sh (oneDNN off, the gate's default, and on) and, when a Docker engine and the
 * images are there, the docker runner with ppg-test/paddle:3.3-cpu / 2.6-cpu. The runs are
 * interleaved (one of each, then again) so the machine's drift hits every engine alike.
 *
 * Harness overhead: the harness's own timed loop (bench.py PaddleEngine + timed_rounds, Paddle 3.3,
 * inference.json, oneDNN off, 1 thread) against a bare Python loop of copy_from_cpu + run +
 * copy_to_cpu on the same predictor and samples, interleaved round by round in one process (see
 * OVERHEAD), on the direction classifier (the smallest model: a fixed cost shows most) and on rec.
 * The figure is the median of the rounds' harness / bare ratios. Goal ≤ 1.02.
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
import type { MeasurePlan, ModelPlan } from '../src/types.js';
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

/**
 * One Python process, one predictor: rounds of the harness's own timed loop (bench.py's
 * PaddleEngine, timed_rounds, the infer_next/before of its main) alternated with rounds of a bare
 * copy_from_cpu + run + copy_to_cpu loop on the same handles and the same samples. Interleaved
 * round by round, so a busy machine's drift hits both alike. Prints [[harness, bare] round medians].
 */
const OVERHEAD = `import json, os, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import bench
prog, params, inputs, n, pairs = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
out = os.path.join(tempfile.mkdtemp(), "run.json")
job = {"model": {"format": "paddle-pir", "entry": prog, "params": params, "files": []},
       "engine": {"name": "paddle", "device": "cpu", "precision": "fp32", "threads": 1, "batchSize": 1, "tensorrt": False,
                  "mkldnn": False, "irOptim": True, "memoryOptim": False, "deviceId": 0}, "output": out}
engine = bench.PaddleEngine(job, [], None)
x = np.load(inputs)
m = x.shape[0]
state = {"cursor": 0}
def infer_next():  # as bench.py main: the next batch, contiguous, prepared outside the timing
    c = state["cursor"]; state["cursor"] = (c + 1) % m
    batch = np.ascontiguousarray(x[c:c + 1])
    return lambda: engine.infer(batch)
def before(total):  # as bench.py main: RSS every 50 iterations, outside the timing
    if total % 50 == 0:
        bench.rss_mb()
measure = {"rounds": 1, "minIterationsPerRound": n, "minRoundSeconds": 0, "maxSeconds": 1e9}
h, outs = engine.in_handle, engine.out_handles
def bare():
    t = []
    for i in range(n):
        c = state["cursor"]; state["cursor"] = (c + 1) % m
        b = np.ascontiguousarray(x[c:c + 1])
        s = time.perf_counter()
        h.reshape(list(b.shape)); h.copy_from_cpu(b); engine.predictor.run(); [o.copy_to_cpu() for o in outs]
        t.append((time.perf_counter() - s) * 1000.0)
    return sorted(t)[len(t) // 2]
def harness():
    rounds, _, _ = bench.timed_rounds(measure, None, infer_next, before)
    r = rounds[0]
    return sorted(r)[len(r) // 2]
bench.progress = lambda message: None
harness(); bare()  # warm-up
result = []
for k in range(pairs):
    result.append([harness(), bare()] if k % 2 == 0 else list(reversed([bare(), harness()])))
print(json.dumps(result))`;

export async function paddleBench(log: (m: string) => void, opts: { table?: boolean } = {}): Promise<string[]> {
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
    for (let r = 0; r < (opts.table === false ? 0 : REPEATS); r++) {
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
    const lines =
      opts.table === false
        ? []
        : [
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
    for (const base of [bases[1]!, bases[0]!]) lines.push(await overhead(dir, models, py33, base, log));
    return lines;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function overhead(
  dir: string,
  models: string,
  python: string,
  base: { key: string; dataset: PreparedDataset },
  log: (m: string) => void,
): Promise<string> {
  const { data, shape } = await readInputs(base.dataset);
  const inputs = join(dir, `bare-${base.key}.npy`);
  await writeFile(inputs, encodeNpy(data, shape));
  const prog = join(models, base.key, 'paddle-pir', 'inference.json');
  const params = join(models, base.key, 'paddle-pir', 'inference.pdiparams');
  const [iterations, pairs] = base.key === 'ppocr-cls' ? [60, 20] : [15, 10];
  const harnessDir = join(ROOT, 'src', 'runners', 'harness');
  const { stdout } = await exec(python, ['-c', OVERHEAD, harnessDir, prog, params, inputs, String(iterations), String(pairs)], {
    env: { ...process.env, GLOG_minloglevel: '2' },
    maxBuffer: 1 << 24,
  });
  const rounds = JSON.parse(stdout.trim().split('\n').pop()!) as Array<[number, number]>;
  const ratios = rounds.map(([h, b]) => h / b);
  const harness = median(rounds.map(([h]) => h));
  const bare = median(rounds.map(([, b]) => b));
  log(`paddle overhead ${base.key}: ${rounds.map(([h, b]) => `${h.toFixed(2)}/${b.toFixed(2)}`).join(' ')}`);
  // The fastest round of each side: what a busy machine (other jobs slow some rounds, none speeds one up) disturbs least.
  const fastH = Math.min(...rounds.map(([h]) => h));
  const fastB = Math.min(...rounds.map(([, b]) => b));
  return `Paddle harness overhead, ${base.key}: harness p50 ${harness.toFixed(3)} ms / bare copy_from_cpu + run + copy_to_cpu loop p50 ${bare.toFixed(3)} ms; median of ${pairs} interleaved rounds' ratios ${median(ratios).toFixed(3)}; fastest rounds ${fastH.toFixed(3)} / ${fastB.toFixed(3)} ms = ${(fastH / fastB).toFixed(3)} (goal ≤ 1.02; one process, one predictor; Paddle 3.3.1 inference.json, 1 thread, oneDNN off)`;
}
