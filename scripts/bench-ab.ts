/**
 * Why the A/B confirmation takes each call's own cost (its fastest iteration) and Yuen's trimmed
 * paired interval: a study on real inference (PP-OCRv4 rec, onnxruntime-node, 1 thread, input
 * 1×3×48×320). Not a test: it prints figures (docs/BENCHMARK.md).
 *
 *   npm run bench:ab                               6 processes × 30 pairs (~17 min on the 2-core machine)
 *   npm run bench:ab -- --processes 2 --pairs 20   a shorter run
 *   npm run bench:ab -- --save DIR | --from DIR    keep the raw calls / re-analyse them in seconds
 *
 * Each process interleaves A, A′ (A again), A+5 % and A+10 % (inside every timed iteration a
 * busy-wait of 5 % / 10 % of the time the inference just took, as in bench-gate.ts) in counterbalanced order, a fresh ONNX Runtime session per call with the
 * confirmation's warm-up and one timed round of measure.round-seconds, as confirm.ts does through a
 * runner. It keeps every iteration time, then judges many confirmations of n pairs (random subsets
 * of a process's pairs) with each combination of
 *   per-call value: the call's median | lower quartile | fastest iteration (own cost), and
 *   interval over pairs: Student t of the mean log ratio | Yuen's 20 % trimmed mean (pairedRatioCI),
 * under the gate's band rules (judgeRatio, default thresholds), and prints false alarms and catches.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pairedRatioCI } from '../src/compare/index.js';
import { judgePaired } from '../src/confirm.js';
import { DEFAULT_THRESHOLDS } from '../src/config/defaults.js';
import { confirmCall, ROOT } from './bench-lib.js';
import { ascending, mean, median, percentile, prng, studentTQuantile } from '../src/measure/stats.js';

const SIDES = ['A', 'A2', 'B5', 'B10'] as const;
type Call = { t: number[]; wall: number };
type Process = { calls: Record<(typeof SIDES)[number], Call[]> };

// ───────────────────────────── child: one process ─────────────────────────────

async function child(out: string, pairs: number): Promise<void> {
  const extra = [0, 0, 0.05, 0.1];
  const result: Process = { calls: { A: [], A2: [], B5: [], B10: [] } };
  await confirmCall(0); // priming call, discarded (as confirm.ts)
  for (let p = 0; p < pairs; p++) {
    for (const i of p % 2 === 0 ? [0, 1, 2, 3] : [3, 2, 1, 0]) result.calls[SIDES[i]!].push(await confirmCall(extra[i]!));
  }
  await writeFile(out, JSON.stringify(result));
}

// ───────────────────────────── parent ─────────────────────────────

const PER_CALL: Record<string, (t: number[]) => number> = {
  'median of the call': (t) => median(t),
  'lower quartile': (t) => percentile(ascending(t), 25),
  'fastest iteration (own cost)': (t) => Math.min(...t),
};

/** The mean of the log ratios with a plain Student-t interval: what pairedRatioCI replaced. */
function meanTCI(a: number[], b: number[]): { ratio: number; lo: number; hi: number } {
  const d = a.map((x, i) => Math.log(b[i]! / x));
  const m = mean(d);
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / (d.length - 1));
  const half = (studentTQuantile(0.975, d.length - 1) * sd) / Math.sqrt(d.length);
  return { ratio: Math.exp(m), lo: Math.exp(m - half), hi: Math.exp(m + half) };
}
const INTERVAL: Record<string, typeof meanTCI> = { 'mean, t': meanTCI, 'Yuen 20 % trimmed': pairedRatioCI };

function band(a: number[], b: number[], ci: typeof meanTCI): string {
  const th = DEFAULT_THRESHOLDS['latency.p50']!;
  return judgePaired({ id: 'latency.p50', label: 'p50', unit: 'ms', better: 'lower' }, median(a), ci(a, b), th).band;
}

function analyse(procs: Process[], sizes: number[]): string[] {
  const next = prng(1);
  const lines: string[] = [];
  const p = (n: number, d: number) => `${((100 * n) / d).toFixed(1)} %`;
  lines.push(
    `${procs.length} processes × ${procs.map((x) => x.calls.A.length).join('/')} pairs; ` +
      `median call ${median(procs.flatMap((x) => SIDES.flatMap((s) => x.calls[s].map((c) => c.wall)))).toFixed(2)} s (session, warm-up and round)`,
  );
  for (const [name, f] of Object.entries(PER_CALL)) {
    const d = procs.flatMap((x) => x.calls.A.map((c, i) => Math.log(f(x.calls.A2[i]!.t) / f(c.t))));
    const m = median(d);
    const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean(d)) ** 2, 0) / (d.length - 1));
    lines.push(
      `A′/A per pair, ${name}: sd ${(100 * sd).toFixed(2)} %, robust sd (1.4826·MAD) ${(100 * 1.4826 * median(d.map((v) => Math.abs(v - m)))).toFixed(2)} %`,
    );
  }
  lines.push('');
  lines.push(
    '| pairs | per-call value | interval | A/A false alarms (warn or fail) | +5 % caught (warn or fail) | +10 % caught | +10 % fail | worst process, +5 % caught |',
  );
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const n of sizes) {
    for (const [fname, f] of Object.entries(PER_CALL)) {
      for (const [iname, ci] of Object.entries(INTERVAL)) {
        const count = { aa: 0, c5: 0, c10: 0, f10: 0, trials: 0 };
        let worst = 1;
        for (const x of procs) {
          const P = x.calls.A.length;
          if (P < n) continue;
          const reps = P === n ? 1 : 200;
          let caught = 0;
          for (let r = 0; r < reps; r++) {
            const idx = [...Array(P).keys()];
            for (let i = P - 1; i > 0; i--) {
              const j = Math.floor(next() * (i + 1));
              [idx[i], idx[j]] = [idx[j]!, idx[i]!];
            }
            const pick = idx.slice(0, n).sort((a, b) => a - b);
            const v = (s: (typeof SIDES)[number]) => pick.map((i) => f(x.calls[s][i]!.t));
            const a = v('A');
            const alarm = (b: string) => b === 'warn' || b === 'fail';
            count.trials++;
            if (alarm(band(a, v('A2'), ci))) count.aa++;
            if (alarm(band(a, v('B5'), ci))) {
              count.c5++;
              caught++;
            }
            const b10 = band(a, v('B10'), ci);
            if (alarm(b10)) count.c10++;
            if (b10 === 'fail') count.f10++;
          }
          worst = Math.min(worst, caught / reps);
        }
        if (!count.trials) continue;
        lines.push(
          `| ${n} | ${fname} | ${iname} | ${p(count.aa, count.trials)} | ${p(count.c5, count.trials)} | ${p(count.c10, count.trials)} | ${p(count.f10, count.trials)} | ${p(worst, 1)} |`,
        );
      }
    }
  }
  return lines;
}

function runChild(out: string, pairs: number): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', out, String(pairs)], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
    });
    p.on('error', fail);
    p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`child exited with ${code}`))));
  });
}

async function parent(argv: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const from = opt('--from');
  const sizes = [10, 16, 20, 24];
  let procs: Process[];
  if (from) {
    const files = (await readdir(from)).filter((f) => f.endsWith('.json')).sort();
    procs = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(from, f), 'utf8')) as Process));
  } else {
    const n = Number(opt('--processes') ?? 6);
    const pairs = Number(opt('--pairs') ?? 30);
    const dir = opt('--save') ?? join(ROOT, 'node_modules/.cache/ppg-bench-ab');
    await mkdir(dir, { recursive: true });
    procs = [];
    for (let i = 0; i < n; i++) {
      const out = join(dir, `process-${i + 1}.json`);
      const t0 = performance.now();
      await runChild(out, pairs);
      procs.push(JSON.parse(await readFile(out, 'utf8')) as Process);
      process.stderr.write(`process ${i + 1}/${n}: ${pairs} pairs × 4 sides in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  }
  process.stdout.write(analyse(procs, sizes).join('\n') + '\n');
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1]!, Number(argv[2]));
else await parent(argv);
