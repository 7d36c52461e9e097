/**
 * The gate's own benchmark (issue 6): does the verdict cry wolf, and does it catch real slowdowns?
 * Real inference (PP-OCRv4 rec, onnxruntime-node, 1 thread, input 1×3×48×320), many separate
 * processes, comparisons always between two distinct process runs. Not a test: it prints figures.
 *
 *   npm run bench               full run (~20 min on the 2-core machine)
 *   npm run bench -- --quick    fewer processes (~7 min): the same figures, coarser
 *   npm run bench -- --trials 2 --confirms 1 --pairs 8 --no-overhead
 *                               a smoke run of the script itself (a few minutes; figures meaningless)
 *   npm run bench -- --paddle-only
 *                               only the Paddle-vs-ONNX-Runtime table and the Paddle harness overhead
 *                               (scripts/bench-paddle.ts; part of every full or quick run, --no-paddle leaves it out;
 *                               --paddle-overhead-only: the overhead lines alone)
 *
 * Slowdowns come from **model files that really cost more** (issue 9): PP-OCRv4 rec with extra
 * identity 3×3 convolutions on its input (scripts/slow-model.ts: same outputs, more work), the
 * number of convolutions calibrated at the start to about +5 % and +10 %; and from a **config
 * change**: the input width 320 → 352 (preprocess shape). Threads and batch size are fingerprint
 * fields: such a change is incomparable by rule (printed, not measured).
 *
 * Each "side" process does what the embedded runner does (the same warm-up, rounds and adaptive
 * stopping rule, measure/stopping.ts stopDecision); the harness-overhead line measures the real
 * embedded runner against a bare loop.
 *
 * A/B confirmation processes interleave A, A′ (A again), +5 %, +10 % and the wider input in
 * counterbalanced order, up to DEFAULT_CONFIRM_PAIRS pairs, a fresh session per call as the Runner
 * port gives, and keep each call's own cost (its fastest iteration) as confirm.ts does. The
 * confirmation is judged as confirm.ts judges it: the base side (A, as the base checkout replays
 * it) must agree with the stored baseline's own cost, and the pairs stop early by the sequential
 * rule (confirm.ts interimDecision). A stored comparison that is borderline takes the verdict of one
 * of these processes; since a few processes serve many comparisons, the script also prints how
 * each process decided on its own.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareModel, pairedRatioCI, type CompareOptions } from '../src/compare/index.js';
import { thresholdsFromHistory } from '../src/compare/history.js';
import { borderline, interimDecision, judgePaired, ownCostTolerance, robustSpread } from '../src/confirm.js';
import { judgeModel } from '../src/compare/index.js';
import { confirmCall, MODEL, ROOT, side, type Side, type Variant } from './bench-lib.js';
import { paddleBench } from './bench-paddle.js';
import { slowModel } from './slow-model.js';
import { DEFAULT_CONFIRM_PAIRS, DEFAULT_FINGERPRINT_FIELDS, DEFAULT_MEASURE, DEFAULT_THRESHOLDS } from '../src/config/defaults.js';
import { mean, median } from '../src/measure/stats.js';
import type { Band, Baseline, MetricValue, ModelMetrics, Threshold } from '../src/types.js';

const M = DEFAULT_MEASURE;

// ───────────────────────────── child: one process run ─────────────────────────────

/** The variants a side process can run (see the header). */
type VariantName = 'A' | 'B5' | 'B10' | 'S';
const WIDE = 352;
function variants(convs5: number, convs10: number): Record<VariantName, Variant> {
  return { A: {}, B5: { convs: convs5 }, B10: { convs: convs10 }, S: { width: WIDE } };
}

async function child(args: string[]): Promise<void> {
  const [mode, out, ...rest] = args;
  const nums = rest.map(Number);
  let result: unknown;
  if (mode === 'side') {
    result = await side({ convs: nums[0]!, width: nums[1]! }, { cold: 10, rounds: M.rounds, minRounds: M.minRounds });
  } else if (mode === 'confirm') {
    // Interleaved pairs in one process, a fresh session per call as the Runner port gives:
    // per pair the sides A, A′, +5 %, +10 %, wider input, in counterbalanced order (reversed every other pair).
    const v = variants(nums[0]!, nums[1]!);
    const names = ['A', 'A2', 'B5', 'B10', 'S'];
    const sides: Variant[] = [v.A, v.A, v.B5, v.B10, v.S];
    const pairs = nums[2]!;
    const values: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const wall: number[] = []; // seconds per call, session creation included
    await confirmCall(v.A); // priming call of the base side, discarded for timing (as confirm.ts)
    for (let p = 0; p < pairs; p++) {
      const order = p % 2 === 0 ? [0, 1, 2, 3, 4] : [4, 3, 2, 1, 0];
      for (const i of order) {
        const call = await confirmCall(sides[i]!);
        values[names[i]!]!.push(Math.min(...call.t)); // the call's own cost, as confirm.ts takes it
        wall.push(call.wall);
      }
    }
    result = { ...values, wall };
  } else if (mode === 'calibrate') {
    result = await calibrate();
  } else if (mode === 'overhead') {
    result = await overhead();
  } else throw new Error(`unknown child mode ${mode}`);
  await writeFile(out!, JSON.stringify(result));
}

/**
 * What one identity convolution costs, relative to the model: the fastest of 60 iterations of the
 * model with 0 and with 32 extra convolutions, alternating sessions 3 times, medians.
 */
async function calibrate(): Promise<{ perConv: number; base: number; with32: number }> {
  process.env['ORT_DISABLE_TELEMETRY'] ??= '1';
  const ort = await import('onnxruntime-node');
  const bytes = await readFile(MODEL);
  const input = new Float32Array(3 * 48 * 320).map((_, i) => Math.sin(i * 0.37) * 0.5);
  const own = async (convs: number) => {
    const s = await ort.InferenceSession.create(slowModel(bytes, convs), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const feeds = { [s.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, 48, 320]) };
    const t: number[] = [];
    for (let i = 0; i < 80; i++) {
      const t0 = performance.now();
      await s.run(feeds);
      if (i >= 20) t.push(performance.now() - t0);
    }
    await s.release();
    return Math.min(...t);
  };
  const base: number[] = [];
  const with32: number[] = [];
  for (let k = 0; k < 3; k++) {
    base.push(await own(0));
    with32.push(await own(32));
  }
  const b = median(base);
  const w = median(with32);
  return { perConv: Math.max(1e-4, (w / b - 1) / 32), base: b, with32: w };
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

type Scenario = 'A/A' | 'A/+5 %' | 'A/+10 %' | 'A/shape';
const SCENARIOS: Scenario[] = ['A/A', 'A/+5 %', 'A/+10 %', 'A/shape'];
/** Which side of a confirmation process plays the head in each scenario. */
const HEAD_OF: Record<Scenario, string> = { 'A/A': 'A2', 'A/+5 %': 'B5', 'A/+10 %': 'B10', 'A/shape': 'S' };

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
const ROWS = [{ metric: 'latency.p50', better: 'lower' as const }];

type Confirmation = { a: number[]; b: number[] };
type Judged = { stored: Band; final: Band; confirmed: boolean; void?: boolean; pairs?: number };

/**
 * This project's verdict: the stored-baseline comparison (judged under `stored` thresholds and
 * options: configured, or learned from history), then, when the timing row is borderline
 * (confirm.ts: always without a learned spread) and a confirmation is given, the A/B confirmation's
 * — after the base side's own cost agreed with the stored baseline's (else void: the stored verdict
 * stands), with sequential stopping (`legacy`: the rule before issue 9, all pairs, no check).
 */
function projectBand(
  base: Side,
  head: Side,
  confirm: Confirmation | undefined,
  stored: { thresholds: Record<string, Threshold>; options: CompareOptions } = { thresholds: TH, options: {} },
  legacy = false,
): Judged {
  const row = compareModel(metrics(base), metrics(head), stored.thresholds, stored.options).rows[0]!;
  if (!confirm || !borderline(row, TH, stored.options.runToRunByMetric)) return { stored: row.band, final: row.band, confirmed: false };
  if (legacy) return { stored: row.band, final: confirmedBand(confirm.a, confirm.b), confirmed: true, pairs: confirm.a.length };
  const seq = sequential(confirm.a, confirm.b);
  const recordedOwn = Math.min(...base.rounds.flat());
  const aSide = confirm.a.slice(0, seq.pairs);
  const off = Math.min(...aSide) / recordedOwn;
  if (Math.abs(Math.log(off)) > Math.log1p(ownCostTolerance(TH, stored.options.runToRunByMetric, robustSpread(aSide)))) {
    return { stored: row.band, final: row.band, confirmed: false, void: true, pairs: seq.pairs };
  }
  return { stored: row.band, final: seq.band, confirmed: true, pairs: seq.pairs };
}

/** The A/B verdict on the p50 row from the calls' own costs, as confirm.ts judges it. */
function confirmedBand(a: number[], b: number[]): Band {
  return judgePaired({ id: 'latency.p50', label: 'p50', unit: 'ms', better: 'lower' }, median(a), pairedRatioCI(a, b), TH['latency.p50'])
    .band;
}

/** The pairs as confirm.ts takes them: stopping at the first decisive interim look, else all of them. */
function sequential(a: number[], b: number[]): { band: Band; pairs: number } {
  const max = Math.min(a.length, b.length);
  for (let n = 1; n < max; n++) {
    if (interimDecision(a.slice(0, n), b.slice(0, n), max, ROWS, TH))
      return { band: confirmedBand(a.slice(0, n), b.slice(0, n)), pairs: n };
  }
  return { band: confirmedBand(a.slice(0, max), b.slice(0, max)), pairs: max };
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

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

interface Saved {
  calibration: { perConv: number; base: number; with32: number; convs5: number; convs10: number };
  runs: Record<VariantName, Side[]>;
  confirmRuns: Array<Record<string, number[]>>;
  overhead: { bare: number; harness: number } | null;
  gate: { wall: number; overhead: number } | null;
  /** The Paddle-vs-ONNX-Runtime table and the Paddle harness overhead, as printed (bench-paddle.ts). */
  paddle?: string[];
}

async function parent(quick: boolean): Promise<void> {
  const perVariant = flag('--trials') ?? (quick ? 6 : 16);
  const confirms = flag('--confirms') ?? (quick ? 3 : 8);
  const pairs = Math.min(flag('--pairs') ?? DEFAULT_CONFIRM_PAIRS, DEFAULT_CONFIRM_PAIRS);
  const withOverhead = !process.argv.includes('--no-overhead');
  const dir = await mkdtemp(join(tmpdir(), 'ppg-bench-'));
  const t0 = performance.now();
  const log = (m: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}\n`);
  try {
    const from = process.argv.indexOf('--from');
    const saved = from > 0 && process.argv[from + 1] ? (JSON.parse(await readFile(process.argv[from + 1]!, 'utf8')) as Saved) : null;
    let data: Saved;
    if (saved) {
      // Re-judge saved measurements with the current rules (no measuring).
      data = saved;
      log(`re-judging ${process.argv[from + 1]}`);
    } else {
      const cal = await inChild<{ perConv: number; base: number; with32: number }>(dir, 'calibrate');
      const convs5 = Math.max(1, Math.round(0.05 / cal.perConv));
      const convs10 = Math.max(convs5 + 1, Math.round(0.1 / cal.perConv));
      log(
        `calibration: one identity convolution costs ${(100 * cal.perConv).toFixed(2)} % of the model (${cal.base.toFixed(2)} ms → ${cal.with32.toFixed(2)} ms with 32); +5 % = ${convs5}, +10 % = ${convs10} convolutions`,
      );
      const v = variants(convs5, convs10);
      // Side runs, variants interleaved so slow phases of the machine hit every variant alike.
      const runs: Record<VariantName, Side[]> = { A: [], B5: [], B10: [], S: [] };
      const confirmRuns: Array<Record<string, number[]>> = [];
      const names = Object.keys(runs) as VariantName[];
      const total = perVariant * names.length + confirms;
      let done = 0;
      for (let i = 0; i < perVariant; i++) {
        for (const name of names) {
          runs[name].push(await inChild<Side>(dir, 'side', v[name].convs ?? 0, v[name].width ?? 320));
          log(`${++done}/${total}: side ${name} (${runs[name].at(-1)!.rounds.length} rounds, ${runs[name].at(-1)!.seconds.toFixed(1)} s)`);
        }
        // Spread the confirmation processes through the run as well.
        if (confirmRuns.length < confirms && (i + 1) % Math.ceil(perVariant / confirms) === 0) {
          confirmRuns.push(await inChild<Record<string, number[]>>(dir, 'confirm', convs5, convs10, pairs));
          log(`${++done}/${total}: A/B confirmation process (${pairs} pairs × 5 sides)`);
        }
      }
      while (confirmRuns.length < confirms) {
        confirmRuns.push(await inChild<Record<string, number[]>>(dir, 'confirm', convs5, convs10, pairs));
        log(`${++done}/${total}: A/B confirmation process`);
      }
      const ov = withOverhead ? await inChild<{ bare: number; harness: number }>(dir, 'overhead') : null;
      const gate = withOverhead ? await gateOverhead(dir) : null;
      const paddle = process.argv.includes('--no-paddle') ? undefined : await paddleBench(log);
      data = { calibration: { ...cal, convs5, convs10 }, runs, confirmRuns, overhead: ov, gate, ...(paddle && { paddle }) };
      log('done measuring');
    }
    const { runs, confirmRuns, calibration } = data;
    // Comparisons: two distinct process runs each.
    const comps: Record<Scenario, Array<[Side, Side]>> = { 'A/A': [], 'A/+5 %': [], 'A/+10 %': [], 'A/shape': [] };
    for (let i = 0; i < runs.A.length; i++)
      for (let j = i + 1; j < runs.A.length; j++) comps['A/A'].push((i + j) % 2 ? [runs.A[i]!, runs.A[j]!] : [runs.A[j]!, runs.A[i]!]);
    for (const a of runs.A) {
      for (const b of runs.B5) comps['A/+5 %'].push([a, b]);
      for (const b of runs.B10) comps['A/+10 %'].push([a, b]);
      for (const b of runs.S) comps['A/shape'].push([a, b]);
    }
    const confirmOf = (scenario: Scenario, k: number): Confirmation => {
      const c = confirmRuns[k % confirmRuns.length]!;
      return { a: c['A']!, b: c[HEAD_OF[scenario]]! };
    };
    // Before issue 9, `baseline-path` ran the baseline's model under the head's config on both
    // sides: for a config change both sides were the same run (A/A pairs stand in for them).
    const legacyOf = (scenario: Scenario, k: number): Confirmation => confirmOf(scenario === 'A/shape' ? 'A/A' : scenario, k);

    const HISTORY_N = 10;
    const historyOf = (b: Side, h: Side) => fromHistory(runs.A.filter((r) => r !== b && r !== h).slice(0, HISTORY_N));
    type Row = { method: string; alarm: (b: Side, h: Side, k: number, s: Scenario) => 'fail' | 'warn' | 'inconclusive' | 'pass' };
    const methods: Row[] = [
      {
        method: 'this project: stored baseline + A/B confirmation of the base commit (sequential)',
        alarm: (b, h, k, s) => norm(projectBand(b, h, confirmOf(s, k)).final),
      },
      {
        method: `this project: thresholds-from-history ${HISTORY_N} + A/B confirmation of the base commit`,
        alarm: (b, h, k, s) => norm(projectBand(b, h, confirmOf(s, k), historyOf(b, h)).final),
      },
      {
        method: 'before issue 9: stored baseline + baseline-path confirmation (head config both sides, all pairs)',
        alarm: (b, h, k, s) => norm(projectBand(b, h, legacyOf(s, k), undefined, true).final),
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
    const os = await import('node:os');
    lines.push(
      `machine: ${os.cpus()[0]?.model.trim()} × ${os.cpus().length}, ${saved ? 're-judged saved' : flag('--trials') || flag('--confirms') || flag('--pairs') ? 'custom (smoke)' : quick ? 'quick' : 'full'} run, ${new Date().toISOString()}`,
    );
    lines.push(
      `slowdowns from model files: +5 % = ${calibration.convs5}, +10 % = ${calibration.convs10} identity 3×3 convolutions (one costs ${(100 * calibration.perConv).toFixed(2)} % of the model); config change: input width 320 → ${WIDE}`,
    );
    lines.push(
      `process runs: ${perVariant} per variant (A, +5 %, +10 %, wider input), ${confirmRuns.length} A/B confirmation processes of up to ${pairs} pairs; comparisons: ` +
        SCENARIOS.map((sc) => `${sc} ${comps[sc].length}`).join(', '),
    );
    const secs = Object.values(runs)
      .flat()
      .map((r) => r.seconds);
    lines.push(
      `stored measurement per side: median ${median(secs).toFixed(1)} s, max ${Math.max(...secs).toFixed(1)} s (limit ${M.maxSeconds} s); rounds per side: median ${median(
        Object.values(runs)
          .flat()
          .map((r) => r.rounds.length),
      )}`,
    );
    const ran = (hist: boolean) =>
      SCENARIOS.map((sc) => {
        const judged = comps[sc].map(([b, h], k) => projectBand(b, h, confirmOf(sc, k), hist ? historyOf(b, h) : undefined));
        const n = judged.filter((j) => j.confirmed).length;
        const voided = judged.filter((j) => j.void).length;
        return `${sc} ${pct(n, comps[sc].length)}${voided ? ` (void: ${pct(voided, comps[sc].length)})` : ''}`;
      }).join(', ');
    lines.push(
      `A/B confirmation used (no history: every comparison unless void): ${ran(false)}; with thresholds-from-history: ${ran(true)}`,
    );
    const calls = confirmRuns.flatMap((c) => c['wall'] ?? []);
    const used = (sc: Scenario) => confirmRuns.map((c) => sequential(c['A']!, c[HEAD_OF[sc]]!).pairs);
    lines.push(`pairs used by the sequential rule, per process: ${SCENARIOS.map((sc) => `${sc} ${used(sc).join(' ')}`).join('; ')}`);
    if (calls.length) {
      const perSide = (sc: Scenario) => median(secs) + (median(used(sc)) + (sc === 'A/A' ? 1 : 0)) * median(calls);
      lines.push(
        `time per side: median ${median(calls).toFixed(2)} s per confirmation call; unchanged model ${perSide('A/A').toFixed(1)} s per side (stored measurement + median pairs used + priming), at most ${(median(secs) + (pairs + 1) * median(calls)).toFixed(1)} s`,
      );
    }
    lines.push(
      `threads 1 → 2 or batch 1 → 2 (config changes in fingerprint fields): ${['threads', 'batchSize']
        .map((f) => {
          const base = { engine: 'onnxruntime', threads: '1', batchSize: '1' };
          const head = { ...base, [f]: '2' };
          return `${f}: ${judgeModel({ metrics: metrics(runs.A[0]!), fingerprint: base }, { metrics: metrics(runs.A[0]!), fingerprint: head }, { thresholds: TH, fingerprintFields: DEFAULT_FINGERPRINT_FIELDS }).verdict}`;
        })
        .join(', ')} — never judged as a pass`,
    );
    lines.push('');
    lines.push(
      '| method | A/A false alarms (warn or fail) | A/A fail | A/A inconclusive | +5 % caught (warn or fail) | +10 % caught (warn or fail) | +10 % fail | input 320→352 caught (warn or fail) |',
    );
    lines.push('|---|---|---|---|---|---|---|---|');
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
        `| ${m.method} | ${count('A/A', alarm)} | ${count('A/A', (x) => x === 'fail')} | ${count('A/A', (x) => x === 'inconclusive')} | ${count('A/+5 %', alarm)} | ${count('A/+10 %', alarm)} | ${count('A/+10 %', (x) => x === 'fail')} | ${count('A/shape', alarm)} |`,
      );
    }
    lines.push('');
    const ratios = (key: string) => confirmRuns.map((c) => pairedRatioCI(c['A']!, c[key]!).ratio.toFixed(3)).join(' ');
    lines.push(
      `A/B confirmation ratios (trimmed mean of the pairs' own-cost ratios, all pairs, per process): A′/A ${ratios('A2')}; +5 % ${ratios('B5')}; +10 % ${ratios('B10')}; wider input ${ratios('S')}`,
    );
    // Each confirmation process on its own, as if every comparison were borderline: the rates above
    // reuse these few processes, so here is how many of them decided each way.
    for (const sc of SCENARIOS) {
      const bands = confirmRuns.map((c) => norm(sequential(c['A']!, c[HEAD_OF[sc]]!).band));
      const n = (x: string) => bands.filter((b) => b === x).length;
      lines.push(
        `A/B confirmation alone (sequential), ${sc}: of ${bands.length} processes ${n('fail')} fail, ${n('warn')} warn, ${n('inconclusive')} inconclusive, ${n('pass')} pass`,
      );
    }
    const warmOf = (rs: Side[]) => median(rs.map((r) => median(r.rounds.flat())));
    lines.push(
      `realised slowdowns (median over processes of the warm median, vs A): +5 % → ${fmtPct(warmOf(runs.B5) / warmOf(runs.A) - 1)}, +10 % → ${fmtPct(warmOf(runs.B10) / warmOf(runs.A) - 1)}, input ${WIDE} → ${fmtPct(warmOf(runs.S) / warmOf(runs.A) - 1)}`,
    );
    const warm = runs.A.map((r) => median(r.rounds.flat()));
    if (warm.length > 1) {
      lines.push(
        `run-to-run spread of A's warm median: ${((100 * sd(warm)) / mean(warm)).toFixed(2)} % (sd/mean over ${warm.length} processes); seed's cold mean / warm median: ${mean(runs.A.map((r) => mean(r.cold) / median(r.rounds.flat()))).toFixed(3)}`,
      );
    }
    if (data.overhead) {
      const ov = data.overhead;
      lines.push(
        `harness overhead: embedded runner p50 ${ov.harness.toFixed(2)} ms / bare ORT loop p50 ${ov.bare.toFixed(2)} ms = ${(ov.harness / ov.bare).toFixed(3)} (goal ≤ 1.02)`,
      );
    }
    if (data.gate) {
      lines.push(
        `gate overhead outside inference (process start, config, dataset cache, store, report; demo gate, 2 models): ${data.gate.overhead.toFixed(2)} s of ${data.gate.wall.toFixed(2)} s wall (goal ≤ 3 s)`,
      );
    }
    if (data.paddle) lines.push(...data.paddle);
    lines.push(`benchmark wall time: ${((performance.now() - t0) / 1000 / 60).toFixed(1)} min`);
    process.stdout.write(lines.join('\n') + '\n');
    const save = process.argv.indexOf('--save');
    if (save > 0 && process.argv[save + 1]) await writeFile(process.argv[save + 1]!, JSON.stringify(data));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function norm(b: Band): 'fail' | 'warn' | 'inconclusive' | 'pass' {
  return b === 'missing' ? 'pass' : b === 'accepted' ? 'fail' : b;
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
else if (argv.includes('--paddle-only') || argv.includes('--paddle-overhead-only')) {
  const t0 = performance.now();
  const lines = await paddleBench((m) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}\n`), {
    table: !argv.includes('--paddle-overhead-only'),
  });
  process.stdout.write(`machine: ${cpus()[0]?.model.trim()} × ${cpus().length}, ${new Date().toISOString()}\n${lines.join('\n')}\n`);
} else await parent(argv.includes('--quick'));
