/**
 * The gate's own benchmark (issue 6): does the verdict cry wolf, and does it catch real slowdowns?
 * Real inference (PP-OCRv4 rec, onnxruntime-node, 1 thread, input 1×3×48×320), many separate
 * processes, comparisons always between two distinct process runs. Not a test: it prints figures.
 *
 *   npm run bench               full run (~15 min on the 2-core machine)
 *   npm run bench -- --quick    fewer processes (~5 min): the same figures, coarser
 *
 * Slowdowns are injected as proportional extra work: inside every timed iteration, after the
 * inference, a busy-wait of 5 % / 10 % of the time that inference just took. A model that does 5 %
 * more work is slowed by a busy machine too, so the slowdown stays 5 % whatever state the shared
 * machine is in (a fixed busy-wait calibrated once would be 5 % only in the calibration's state).
 *
 * Each "side" process does what the embedded runner does (the same warm-up, rounds and adaptive
 * stopping rule, compare/stats.ts stopDecision), in a loop of its own so the busy-wait can sit inside
 * the timed iteration; the harness-overhead line measures the real embedded runner against a bare loop.
 *
 * A/B confirmation processes interleave A, A′ (A again), A+5 % and A+10 % in counterbalanced order,
 * DEFAULT_CONFIRM_PAIRS pairs, a fresh session per call as the Runner port gives, and keep each
 * call's own cost (its fastest iteration) as confirm.ts does. A stored comparison that is borderline
 * (confirm.ts borderline) takes the verdict of one of these processes; since a few processes serve
 * hundreds of comparisons, the script also prints how each process decided on its own.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareModel, pairedRatioCI, type CompareOptions } from '../src/compare/index.js';
import { thresholdsFromHistory } from '../src/compare/history.js';
import { borderline, judgePaired } from '../src/confirm.js';
import { confirmCall, ROOT, side, type Side } from './bench-lib.js';
import { DEFAULT_CONFIRM_PAIRS, DEFAULT_MEASURE, DEFAULT_THRESHOLDS } from '../src/config/defaults.js';
import { mean, median } from '../src/measure/stats.js';
import type { Band, Baseline, MetricValue, ModelMetrics, Threshold } from '../src/types.js';

const M = DEFAULT_MEASURE;

// ───────────────────────────── child: one process run ─────────────────────────────

async function child(args: string[]): Promise<void> {
  const [mode, out, ...rest] = args;
  const extras = rest.map(Number);
  let result: unknown;
  if (mode === 'side') result = await side(extras[0]!, { cold: 10, rounds: M.rounds, minRounds: M.minRounds! });
  else if (mode === 'confirm') {
    // Interleaved pairs in one process, a fresh session per call as the Runner port gives:
    // per pair the sides A, A′, +5 %, +10 %, in counterbalanced order (reversed every other pair).
    const names = ['A', 'A2', 'B5', 'B10'];
    const x = [0, 0, extras[0]!, extras[1]!];
    const pairs = extras[2]!;
    const values: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const wall: number[] = []; // seconds per call, session creation included
    await confirmCall(0); // priming call, discarded (as confirm.ts)
    for (let p = 0; p < pairs; p++) {
      const order = p % 2 === 0 ? [0, 1, 2, 3] : [3, 2, 1, 0];
      for (const i of order) {
        const call = await confirmCall(x[i]!);
        values[names[i]!]!.push(Math.min(...call.t)); // the call's own cost, as confirm.ts takes it
        wall.push(call.wall);
      }
    }
    result = { ...values, wall };
  } else if (mode === 'overhead') {
    result = await overhead();
  } else throw new Error(`unknown child mode ${mode}`);
  await writeFile(out!, JSON.stringify(result));
}

/** Harness overhead: the embedded runner's p50 vs a bare ORT loop's p50, alternating in one process. */
async function overhead() {
  const { createEmbeddedRunner } = await import('../src/runners/embedded.js');
  const { prepareDataset } = await import('../src/dataset/prepare.js');
  const { loadConfig } = await import('../src/config/load.js');
  const plan = await loadConfig(join(ROOT, 'examples/demo/gate.yml'));
  const model = plan.models.find((m) => m.task === 'ocr-rec')!;
  const quiet = { info: () => {}, warn: () => {} };
  const dataset = await prepareDataset(model.dataset, join(tmpdir(), 'ppg-bench-cache'), quiet);
  const runner = createEmbeddedRunner();
  // The bare loop: the same model, the same prepared samples in the same order, nothing else.
  process.env['ORT_DISABLE_TELEMETRY'] ??= '1';
  const ort = await import('onnxruntime-node');
  const { readInputs } = await import('../src/dataset/prepare.js');
  const { data, shape } = await readInputs(dataset);
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  const tensors = Array.from(
    { length: shape[0]! },
    (_, i) => new ort.Tensor('float32', data.subarray(i * size, (i + 1) * size), [1, ...shape.slice(1)]),
  );
  const bare: number[] = [];
  const harness: number[] = [];
  for (let k = 0; k < 3; k++) {
    const s = await ort.InferenceSession.create(await readFile(model.path), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const name = s.inputNames[0]!;
    const t: number[] = [];
    for (let i = 0; i < 240; i++) {
      const t0 = performance.now();
      await s.run({ [name]: tensors[i % tensors.length]! });
      if (i >= 40) t.push(performance.now() - t0);
    }
    await s.release();
    bare.push(median(t));
    const run = await runner.run(
      {
        model,
        measure: { ...M, rounds: 1, minRounds: 1, minIterationsPerRound: 200, minRoundSeconds: 0 },
        dataset,
        workDir: tmpdir(),
        timingOnly: true,
      },
      quiet,
    );
    harness.push(median(run.timing.rounds.flat()));
  }
  return { bare: median(bare), harness: median(harness) };
}

// ───────────────────────────── parent ─────────────────────────────

function runChild(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
    });
    p.on('error', fail);
    p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`child ${args[0]} exited with ${code}`))));
  });
}

async function inChild<T>(dir: string, mode: string, ...extra: number[]): Promise<T> {
  const out = join(dir, `${mode}-${Math.random().toString(36).slice(2)}.json`);
  await runChild([mode, out, ...extra.map(String)]);
  return JSON.parse(await readFile(out, 'utf8')) as T;
}

type Scenario = 'A/A' | 'A/+5 %' | 'A/+10 %';

function metrics(s: Side): ModelMetrics {
  const p50: MetricValue = {
    id: 'latency.p50',
    label: 'latency p50',
    unit: 'ms',
    better: 'lower',
    value: median(s.rounds.flat()),
    rounds: s.rounds.map(median),
  };
  return { model: 'rec', task: 'generic', samples: 0, iterations: 0, metrics: [p50] };
}

const TH = { 'latency.p50': DEFAULT_THRESHOLDS['latency.p50']! };

/**
 * This project's verdict: the stored-baseline comparison (judged under `stored` thresholds and
 * options: configured, or learned from history), then, when the timing row is borderline
 * (confirm.ts: always without a learned spread) and a confirmation is given, the A/B confirmation's.
 */
function projectBand(
  base: Side,
  head: Side,
  confirm: { a: number[]; b: number[] } | undefined,
  stored: { thresholds: Record<string, Threshold>; options: CompareOptions } = { thresholds: TH, options: {} },
): { stored: Band; final: Band; confirmed: boolean } {
  const row = compareModel(metrics(base), metrics(head), stored.thresholds, stored.options).rows[0]!;
  if (!confirm || !borderline(row, TH, stored.options.runToRunByMetric)) return { stored: row.band, final: row.band, confirmed: false };
  return { stored: row.band, final: confirmedBand(confirm.a, confirm.b), confirmed: true };
}

/** The A/B verdict on the p50 row from the calls' own costs, as confirm.ts judges it. */
function confirmedBand(a: number[], b: number[]): Band {
  return judgePaired({ id: 'latency.p50', label: 'p50', unit: 'ms', better: 'lower' }, median(a), pairedRatioCI(a, b), TH['latency.p50'])
    .band;
}

/** thresholds-from-history: N as the gate applies it, the history being N other A runs (promoted baselines of the unchanged model). */
function fromHistory(others: Side[]): { thresholds: Record<string, Threshold>; options: CompareOptions } {
  const history = others.map((r) => ({ metrics: metrics(r) }) as Baseline);
  const learned = thresholdsFromHistory(TH, history);
  return { thresholds: learned.thresholds, options: learned.options };
}

function pct(n: number, d: number): string {
  return d === 0 ? '—' : `${((100 * n) / d).toFixed(1)} %`;
}

async function parent(quick: boolean): Promise<void> {
  const perVariant = quick ? 6 : 16;
  const confirms = quick ? 3 : 8;
  const pairs = DEFAULT_CONFIRM_PAIRS;
  const dir = await mkdtemp(join(tmpdir(), 'ppg-bench-'));
  const t0 = performance.now();
  const log = (m: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}\n`);
  try {
    const from = process.argv.indexOf('--from');
    const saved =
      from > 0 && process.argv[from + 1]
        ? (JSON.parse(await readFile(process.argv[from + 1]!, 'utf8')) as {
            runs: Record<'A' | 'B5' | 'B10', Side[]>;
            confirmRuns: Array<Record<string, number[]>>;
            overhead: { bare: number; harness: number };
            gate: { wall: number; overhead: number };
          })
        : null;
    let runs: Record<'A' | 'B5' | 'B10', Side[]>;
    let confirmRuns: Array<Record<string, number[]>>;
    let ov: { bare: number; harness: number };
    let gate: { wall: number; overhead: number };
    if (saved) {
      // Re-judge saved measurements with the current rules (no measuring).
      ({ runs, confirmRuns, overhead: ov, gate } = saved);
      log(`re-judging ${process.argv[from + 1]}`);
    } else {
      const extra5 = 0.05;
      const extra10 = 0.1;

      // Side runs, variants interleaved so slow phases of the machine hit every variant alike.
      runs = { A: [], B5: [], B10: [] };
      confirmRuns = [];
      const total = perVariant * 3 + confirms;
      let done = 0;
      for (let i = 0; i < perVariant; i++) {
        for (const [v, x] of [
          ['A', 0],
          ['B5', extra5],
          ['B10', extra10],
        ] as const) {
          runs[v].push(await inChild<Side>(dir, 'side', x));
          log(`${++done}/${total}: side ${v} (${runs[v].at(-1)!.rounds.length} rounds, ${runs[v].at(-1)!.seconds.toFixed(1)} s)`);
        }
        // Spread the confirmation processes through the run as well.
        if (confirmRuns.length < confirms && (i + 1) % Math.ceil(perVariant / confirms) === 0) {
          confirmRuns.push(await inChild<Record<string, number[]>>(dir, 'confirm', extra5, extra10, pairs));
          log(`${++done}/${total}: A/B confirmation process (${pairs} pairs × 4 sides)`);
        }
      }
      while (confirmRuns.length < confirms) {
        confirmRuns.push(await inChild<Record<string, number[]>>(dir, 'confirm', extra5, extra10, pairs));
        log(`${++done}/${total}: A/B confirmation process`);
      }
      ov = await inChild<{ bare: number; harness: number }>(dir, 'overhead');
      gate = await gateOverhead(dir);
      log('done measuring');
    }
    // Comparisons: two distinct process runs each.
    const comps: Record<Scenario, Array<[Side, Side]>> = { 'A/A': [], 'A/+5 %': [], 'A/+10 %': [] };
    for (let i = 0; i < runs.A.length; i++)
      for (let j = i + 1; j < runs.A.length; j++) comps['A/A'].push((i + j) % 2 ? [runs.A[i]!, runs.A[j]!] : [runs.A[j]!, runs.A[i]!]);
    for (const a of runs.A) {
      for (const b of runs.B5) comps['A/+5 %'].push([a, b]);
      for (const b of runs.B10) comps['A/+10 %'].push([a, b]);
    }
    const confirmOf = (scenario: Scenario, k: number) => {
      const c = confirmRuns[k % confirmRuns.length]!;
      return { a: c['A']!, b: scenario === 'A/A' ? c['A2']! : scenario === 'A/+5 %' ? c['B5']! : c['B10']! };
    };

    const HISTORY_N = 10;
    const historyOf = (b: Side, h: Side) => fromHistory(runs.A.filter((r) => r !== b && r !== h).slice(0, HISTORY_N));
    type Row = { method: string; alarm: (b: Side, h: Side, k: number, s: Scenario) => 'fail' | 'warn' | 'inconclusive' | 'pass' };
    const methods: Row[] = [
      { method: 'this project: stored baseline + A/B confirmation', alarm: (b, h, k, s) => norm(projectBand(b, h, confirmOf(s, k)).final) },
      {
        method: `this project: thresholds-from-history ${HISTORY_N} + A/B confirmation`,
        alarm: (b, h, k, s) => norm(projectBand(b, h, confirmOf(s, k), historyOf(b, h)).final),
      },
      { method: 'this project: stored baseline only', alarm: (b, h) => norm(projectBand(b, h, undefined).stored) },
      {
        method: `this project: stored baseline only, thresholds-from-history ${HISTORY_N}`,
        alarm: (b, h) => norm(projectBand(b, h, undefined, historyOf(b, h)).stored),
      },
      { method: 'seed: mean of 10 cold iterations, fail > +10 %', alarm: (b, h) => (mean(h.cold) / mean(b.cold) > 1.1 ? 'fail' : 'pass') },
      {
        method: 'github-action-benchmark default: mean, alert > 200 %',
        alarm: (b, h) => (mean(h.rounds.flat()) / mean(b.rounds.flat()) > 2 ? 'fail' : 'pass'),
      },
      {
        method: 'fixed 5 % on the warm median',
        alarm: (b, h) => (median(h.rounds.flat()) / median(b.rounds.flat()) > 1.05 ? 'fail' : 'pass'),
      },
    ];
    const lines: string[] = [];
    lines.push(
      `machine: ${(await import('node:os')).cpus()[0]?.model.trim()} × ${(await import('node:os')).cpus().length}, ${saved ? 're-judged saved' : quick ? 'quick' : 'full'} run, ${new Date().toISOString()}`,
    );
    lines.push(
      `process runs: ${perVariant} per variant (A, +5 %, +10 %), ${confirmRuns.length} A/B confirmation processes of ${pairs} pairs; comparisons: ` +
        `A/A ${comps['A/A'].length}, A/+5 % ${comps['A/+5 %'].length}, A/+10 % ${comps['A/+10 %'].length}`,
    );
    const secs = Object.values(runs)
      .flat()
      .map((r) => r.seconds);
    lines.push(
      `measurement per side: median ${median(secs).toFixed(1)} s, max ${Math.max(...secs).toFixed(1)} s (limit ${M.maxSeconds} s); rounds per side: median ${median(
        Object.values(runs)
          .flat()
          .map((r) => r.rounds.length),
      )}`,
    );
    const ran = (hist: boolean) =>
      (['A/A', 'A/+5 %', 'A/+10 %'] as const)
        .map((sc) => {
          const n = comps[sc].filter(
            ([b, h], k) => projectBand(b, h, confirmOf(sc, k), hist ? historyOf(b, h) : undefined).confirmed,
          ).length;
          return `${sc} ${pct(n, comps[sc].length)}`;
        })
        .join(', ');
    lines.push(
      `A/B confirmation ran on (no history: every comparison): ${ran(false)}; with thresholds-from-history (borderline rows only): ${ran(true)}`,
    );
    const calls = confirmRuns.flatMap((c) => c['wall'] ?? []);
    if (calls.length) {
      lines.push(
        `A/B confirmation: ${pairs} pairs, median ${median(calls).toFixed(2)} s per call → ${(pairs * median(calls)).toFixed(1)} s per side on top of the stored measurement (plus one priming call)`,
      );
    }
    lines.push('');
    lines.push(
      '| method | A/A false alarms (warn or fail) | A/A fail | A/A inconclusive | +5 % caught (warn or fail) | +10 % caught (warn or fail) | +10 % fail |',
    );
    lines.push('|---|---|---|---|---|---|---|');
    for (const m of methods) {
      const count = (s: Scenario, pred: (x: string) => boolean) => {
        let n = 0;
        comps[s].forEach(([b, h], k) => {
          if (pred(m.alarm(b, h, k, s))) n++;
        });
        return pct(n, comps[s].length);
      };
      const alarm = (x: string) => x === 'warn' || x === 'fail';
      lines.push(
        `| ${m.method} | ${count('A/A', alarm)} | ${count('A/A', (x) => x === 'fail')} | ${count('A/A', (x) => x === 'inconclusive')} | ${count('A/+5 %', alarm)} | ${count('A/+10 %', alarm)} | ${count('A/+10 %', (x) => x === 'fail')} |`,
      );
    }
    lines.push('');
    const aa = confirmRuns.map((c) => pairedRatioCI(c['A']!, c['A2']!).ratio);
    const r5 = confirmRuns.map((c) => pairedRatioCI(c['A']!, c['B5']!).ratio);
    const r10 = confirmRuns.map((c) => pairedRatioCI(c['A']!, c['B10']!).ratio);
    lines.push(
      `A/B confirmation ratios (trimmed mean of the pairs' own-cost ratios, per process): A′/A ${aa.map((r) => r.toFixed(3)).join(' ')}; +5 % ${r5.map((r) => r.toFixed(3)).join(' ')}; +10 % ${r10.map((r) => r.toFixed(3)).join(' ')}`,
    );
    // Each confirmation process on its own, as if every comparison were borderline: the rates above
    // reuse these few processes, so here is how many of them decided each way.
    for (const [label, key] of [
      ['A′/A', 'A2'],
      ['+5 %', 'B5'],
      ['+10 %', 'B10'],
    ] as const) {
      const bands = confirmRuns.map((c) => norm(confirmedBand(c['A']!, c[key]!)));
      const n = (x: string) => bands.filter((b) => b === x).length;
      lines.push(
        `A/B confirmation alone, ${label}: of ${bands.length} processes ${n('fail')} fail, ${n('warn')} warn, ${n('inconclusive')} inconclusive, ${n('pass')} pass`,
      );
    }
    const warmOf = (rs: Side[]) => median(rs.map((r) => median(r.rounds.flat())));
    lines.push(
      `realised slowdowns (median over processes of the warm median, vs A): +5 % → ${fmtPct(warmOf(runs.B5) / warmOf(runs.A) - 1)}, +10 % → ${fmtPct(warmOf(runs.B10) / warmOf(runs.A) - 1)}`,
    );
    const warm = runs.A.map((r) => median(r.rounds.flat()));
    lines.push(
      `run-to-run spread of A's warm median: ${((100 * sd(warm)) / mean(warm)).toFixed(2)} % (sd/mean over ${warm.length} processes); seed's cold mean / warm median: ${mean(runs.A.map((r) => mean(r.cold) / median(r.rounds.flat()))).toFixed(3)}`,
    );
    lines.push(
      `harness overhead: embedded runner p50 ${ov.harness.toFixed(2)} ms / bare ORT loop p50 ${ov.bare.toFixed(2)} ms = ${(ov.harness / ov.bare).toFixed(3)} (goal ≤ 1.02)`,
    );
    lines.push(
      `gate overhead outside inference (process start, config, dataset cache, store, report; demo gate, 2 models): ${gate.overhead.toFixed(2)} s of ${gate.wall.toFixed(2)} s wall (goal ≤ 3 s)`,
    );
    lines.push(`benchmark wall time: ${((performance.now() - t0) / 1000 / 60).toFixed(1)} min`);
    process.stdout.write(lines.join('\n') + '\n');
    const save = process.argv.indexOf('--save');
    if (save > 0 && process.argv[save + 1]) {
      await writeFile(process.argv[save + 1]!, JSON.stringify({ runs, confirmRuns, overhead: ov, gate }));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function norm(b: Band): 'fail' | 'warn' | 'inconclusive' | 'pass' {
  return b === 'missing' ? 'pass' : b;
}

function fmtPct(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} %`;
}

function sd(v: number[]): number {
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
}

/**
 * Gate overhead: the demo gate through the built CLI (a second run, so the dataset cache is warm as
 * in CI with actions/cache), wall time minus the inference the runs report (model load, prediction
 * pass, warm-up and rounds: startupSeconds + measureSeconds per model).
 */
async function gateOverhead(dir: string): Promise<{ wall: number; overhead: number }> {
  // Bundle the CLI as the build does, beside node_modules (so onnxruntime-node resolves), not over dist/.
  const cli = join(ROOT, 'node_modules/.cache/ppg-bench/cli.js');
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'src/cli.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    keepNames: true,
    logLevel: 'warning',
    external: ['onnxruntime-node', 'cpu-features', '*.node'],
    banner: {
      js: "import { createRequire as __c } from 'node:module'; import { fileURLToPath as __f } from 'node:url'; import { dirname as __d } from 'node:path'; const require = __c(import.meta.url); const __filename = __f(import.meta.url); const __dirname = __d(__filename);",
    },
  });
  const out = join(dir, 'gate-out');
  const store = join(dir, 'gate-store');
  const once = () =>
    new Promise<number>((ok, fail) => {
      const t = performance.now();
      const p = spawn(
        process.execPath,
        [cli, 'run', '--config', join(ROOT, 'examples/demo/gate.yml'), '--out', out, '--store-dir', store],
        {
          stdio: 'ignore',
          cwd: ROOT,
          env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
        },
      );
      p.on('error', fail);
      p.on('exit', (code) =>
        code === 0 || code === 1 ? ok((performance.now() - t) / 1000) : fail(new Error(`gate CLI exited with ${code}`)),
      );
    });
  await once();
  const wall = await once();
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as { models: Array<{ comparison: { model: string } }> };
  let inference = 0;
  for (const m of report.models) {
    const run = JSON.parse(await readFile(join(out, m.comparison.model.replace(/[^A-Za-z0-9._-]+/g, '_'), 'run.json'), 'utf8')) as {
      timing: { startupSeconds: number; measureSeconds: number };
    };
    inference += run.timing.startupSeconds + run.timing.measureSeconds;
  }
  return { wall, overhead: wall - inference };
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv.slice(1));
else await parent(argv.includes('--quick'));
