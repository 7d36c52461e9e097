/**
 * The A/B confirmation replays the base commit as it was promoted (issue 9), through the bundled
 * CLI in a real git repository: PP-OCRv4 rec committed into the repo, a baseline promoted at the
 * first commit, then changes on top of it judged with the base side built from that commit — by a
 * git worktree the gate makes itself, or a checkout passed with --base-checkout — or, as a
 * shorthand, from `baseline-path` when only the model file differs. Real models, real file store,
 * real embedded runner; the verdicts, exit codes and reasons are asserted, never timings.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slowModel } from '../../scripts/slow-model.js';
import { DATA, MODELS, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ppg-base-commit-'));
const repo = join(dir, 'repo');
const store = join(dir, 'store');
const env = { PPG_CACHE_DIR: join(dir, 'cache') };
const REC = join(MODELS, 'ch_PP-OCRv4_rec_infer.onnx');

const git = (...args: string[]) =>
  execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  }).trim();

function gateYml(opts: { width?: number; threads?: number; batch?: number; baselinePath?: string } = {}): string {
  return `gate: ab
models:
  - name: rec
    path: models/rec.onnx
    task: ocr-rec
${opts.baselinePath ? `    baseline-path: ${opts.baselinePath}\n` : ''}    dataset:
      labels: ${DATA}/ocr-rec/rec_gt.txt
      dictionary: ${MODELS}/ppocr_keys_v1.txt
      limit: 4
      preprocess: { kind: ppocr-rec, shape: [3, 48, ${opts.width ?? 320}] }
engine: { threads: ${opts.threads ?? 1}, batch-size: ${opts.batch ?? 1} }
measure: { warmup: 3, warmup-seconds: 0, rounds: 4, iterations: 6, round-seconds: 0.2 }
confirm: { pairs: 20 }
store:
  file: { dir: ${store} }
`;
}

/** A second gate of two models (the direction classifier and rec), or of the classifier only. */
function twoYml(withRec: boolean): string {
  const cls = `  - name: cls
    path: ${MODELS}/ch_ppocr_mobile_v2.0_cls_infer.onnx
    task: classification
    dataset:
      format: image-list
      labels: ${DATA}/ocr-cls/cls_gt.txt
      class-names: ['0', '180']
      limit: 4
      preprocess: { kind: ppocr-cls, shape: [3, 48, 192] }
`;
  const rec = `  - name: rec
    path: models/rec.onnx
    task: ocr-rec
    dataset:
      labels: ${DATA}/ocr-rec/rec_gt.txt
      dictionary: ${MODELS}/ppocr_keys_v1.txt
      limit: 4
`;
  return `gate: two
models:
${cls}${withRec ? rec : ''}measure: { warmup: 3, warmup-seconds: 0, rounds: 4, iterations: 6, round-seconds: 0.2 }
confirm: { pairs: 6 }
store:
  file: { dir: ${store} }
`;
}

/** Commits gate.yml (and optionally a model file) on top of HEAD; returns the commit. */
function commit(yml: string, model?: Uint8Array, message = 'change'): string {
  writeFileSync(join(repo, 'gate.yml'), yml);
  if (model) writeFileSync(join(repo, 'models/rec.onnx'), model);
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
}

let out = 0;
async function run(...extra: string[]) {
  const outDir = join(dir, `out-${++out}`);
  const config = extra[0] === '--config' ? [] : ['--config', 'gate.yml'];
  const r = await runCli(['run', ...config, '--out', outDir, ...extra], { cwd: repo, env });
  const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
  const model = report.models[0];
  const p50 = model.comparison.rows.find((row: { metric: string }) => row.metric === 'latency.p50');
  return { ...r, report, model, p50 };
}

/** A checkout of `commit` made the way a workflow would (outside the gate). */
function worktree(name: string, commitish: string): string {
  const path = join(dir, name);
  git('worktree', 'add', '--detach', path, commitish);
  return path;
}

let base: string;
beforeAll(async () => {
  mkdirSync(join(repo, 'models'), { recursive: true });
  git('init', '-q', '-b', 'main');
  copyFileSync(REC, join(repo, 'models/rec.onnx'));
  writeFileSync(join(repo, 'two.yml'), twoYml(true));
  base = commit(gateYml(), undefined, 'base');
  const first = await run('--promote');
  expect(first.stderr).not.toMatch(/Error/);
  expect(first.code).toBe(0);
  expect((await run('--config', 'two.yml', '--promote')).code).toBe(0);
}, 180_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The promoted baseline documents in the file store. */
function storedDocs(): Array<{
  commit: string;
  run?: { spec: { inputShape: number[]; model: { sha256: string } }; predictions: { samples: number } };
}> {
  const docs: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.includes('/commits/')) docs.push(readFileSync(p, 'utf8'));
    }
  };
  walk(store);
  // Baseline objects only (not the gate's seals, which also live under commits/).
  return docs.map((t) => JSON.parse(t)).filter((d) => d.schema === 'paddle-perf-gate/baseline@1');
}

/**
 * What holds under any load for a real regression replayed against the base: never a pass. When
 * the pairs ran and the base side proved itself, they confirm it (fail, exit 1); on a machine so
 * busy that the base side's own cost no longer matches the stored one, the confirmation is void
 * and says so, and the stored verdict (fail, or inconclusive when the rounds shook) stands with
 * its own exit code. The exact logic is in scripted.test.ts; here the real pipeline runs.
 */
function expectRegressionKept(r: Awaited<ReturnType<typeof run>>): void {
  const rows = JSON.stringify(
    r.model.comparison.rows.map((x: { metric: string; band: string; reason: string }) => [x.metric, x.band, x.reason]),
  );
  expect(r.report.verdict, rows).not.toBe('pass');
  if (/A\/B confirmation void/.test(r.p50.reason)) {
    expect(['fail', 'inconclusive'], rows).toContain(r.p50.band);
    expect(r.p50.reason, rows).toMatch(/the stored verdict stands/);
    expect(r.code, rows).toBe(r.report.verdict === 'fail' ? 1 : 0);
  } else {
    expect(r.code, rows).toBe(1);
    expect(r.p50.band, rows).toBe('fail');
    expect(r.p50.reason, rows).toMatch(/; confirmed by \d+ interleaved A\/B pairs on this runner$/);
  }
}

describe('the A/B confirmation replays the base commit as promoted (CLI, real git repo, PP-OCRv4 rec)', () => {
  it('the promoted baseline records its run spec and predictions', () => {
    const docs = storedDocs();
    expect(docs).toHaveLength(3); // gate.yml's rec, two.yml's cls and rec
    expect(docs.every((d) => d.commit === base)).toBe(true);
    expect(docs.map((d) => d.run!.spec.inputShape.join('x')).sort()).toEqual(['3x48x192', '3x48x320', '3x48x320']);
    expect(docs.every((d) => d.run!.predictions.samples === 4)).toBe(true);
  });

  it('a shape change with baseline-path on the same file is refused, naming the spec difference: the stored fail stands (exit 1)', async () => {
    commit(gateYml({ width: 960, baselinePath: 'models/rec.onnx' }));
    const r = await run();
    expect(r.report.verdict, `${r.stderr}\n${JSON.stringify(r.model.comparison)}`).not.toBe('pass');
    expect(r.code).toBe(r.report.verdict === 'fail' ? 1 : 0);
    // The stored rows stand (a 3× wider input: fail, or inconclusive when this busy machine shook the short rounds).
    expect(['fail', 'inconclusive']).toContain(r.p50.band);
    expect(r.p50.reason).toContain(
      "A/B confirmation refused: baseline-path only swaps the model file, but this run's spec differs from the baseline's in dataset.preprocess.shape [3,48,320] → [3,48,960]",
    );
    expect(r.p50.reason).not.toMatch(/interleaved A\/B pairs/);
    expect(r.stdout).toMatch(/A\/B confirmation refused/);
  }, 120_000);

  it('the same change with --base-checkout of the baseline commit: the pairs confirm the regression (exit 1)', async () => {
    const checkout = worktree('prepared', base);
    try {
      const r = await run('--base-checkout', checkout);
      expectRegressionKept(r);
      expect(r.stderr).toContain(`base side: base checkout of ${base.slice(0, 12)}`);
    } finally {
      git('worktree', 'remove', '--force', checkout);
    }
  }, 180_000);

  it('without baseline-path the gate checks out the baseline commit itself, confirms, and removes the worktree', async () => {
    commit(gateYml({ width: 960 }));
    const r = await run();
    expectRegressionKept(r);
    expect(r.stderr).toContain(`base checkout: ${base.slice(0, 12)}`);
    expect(git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  }, 180_000);

  it('threads or batch changed: incomparable, never a pass', async () => {
    for (const change of [{ threads: 2 }, { batch: 2 }]) {
      commit(gateYml(change));
      const r = await run();
      expect(r.code).toBe(0);
      expect(r.model.comparison.verdict).toBe('incomparable');
      expect(r.report.verdict).not.toBe('pass');
      expect(r.model.comparison.reason).toMatch(change.threads ? /threads/ : /batchSize/);
    }
  }, 180_000);

  it('a real slower model file (identity convolutions: same predictions, more work) is confirmed against the base checkout', async () => {
    commit(gateYml(), slowModel(readFileSync(REC), 60), 'slower model');
    const r = await run();
    // A few percent slower: confirmed (warn or fail) by the pairs, or, on a machine too busy for the
    // base side to match its recorded cost, void with the stored verdict standing — never cleared.
    if (/A\/B confirmation void/.test(r.p50.reason)) {
      expect(r.p50.reason).toMatch(/the stored verdict stands/);
    } else {
      expect(r.p50.reason).toMatch(/; confirmed by \d+ interleaved A\/B pairs on this runner$/);
      expect(['warn', 'fail']).toContain(r.p50.band);
    }
    expect(r.code).toBe(r.report.verdict === 'fail' ? 1 : 0);
    // The predictions are unchanged: accuracy is not what regressed.
    expect(r.model.comparison.rows.find((row: { metric: string }) => row.metric === 'accuracy.line').band).toBe('pass');
  }, 180_000);

  it('a base checkout without gate.yml, without the model, or at another commit: clear reason, the stored verdict stands', async () => {
    const head = commit(gateYml({ width: 960 }), readFileSync(REC), 'wide again');
    const checkout = worktree('broken', base);
    try {
      rmSync(join(checkout, 'gate.yml'));
      let r = await run('--base-checkout', checkout);
      expect(
        r.code,
        JSON.stringify(r.model.comparison.rows.map((x: { metric: string; band: string; reason: string }) => [x.metric, x.band, x.reason])),
      ).toBe(r.report.verdict === 'fail' ? 1 : 0);
      expect(['fail', 'inconclusive']).toContain(r.report.verdict);
      expect(r.p50.reason).toContain(
        `A/B confirmation refused: the base checkout (${base.slice(0, 12)}) has no gate.yml; the stored verdict stands`,
      );

      git('-C', checkout, 'checkout', '--', 'gate.yml');
      rmSync(join(checkout, 'models/rec.onnx'));
      r = await run('--base-checkout', checkout);
      expect(r.code).toBe(r.report.verdict === 'fail' ? 1 : 0);
      expect(r.report.verdict).not.toBe('pass');
      expect(r.p50.reason).toMatch(
        /A\/B confirmation refused: the base's gate.yml \([0-9a-f]{12}\) does not load: .*models\[0\]\.path.*not found/,
      );
    } finally {
      git('worktree', 'remove', '--force', checkout);
    }
    const other = worktree('other', head);
    try {
      const r = await run('--base-checkout', other);
      expect(r.code).toBe(r.report.verdict === 'fail' ? 1 : 0);
      expect(r.report.verdict).not.toBe('pass');
      expect(r.p50.reason).toContain(
        `A/B confirmation refused: base checkout ${other} is at ${head.slice(0, 12)}, not at the baseline's commit ${base.slice(0, 12)}`,
      );
    } finally {
      git('worktree', 'remove', '--force', other);
    }
    const missing = await runCli(['run', '--config', 'gate.yml', '--base-checkout', join(dir, 'nope')], { cwd: repo, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--base-checkout: not a directory: .*nope/);
  }, 240_000);

  it('a model gone from this change is reported as gone, never judged; the remaining one is replayed from the base', async () => {
    writeFileSync(join(repo, 'two.yml'), twoYml(false));
    commit(gateYml());
    const r = await run('--config', 'two.yml');
    expect(r.report.models).toHaveLength(1);
    expect(r.model.comparison.model).toBe('cls');
    expect(r.stderr).toContain(`base side: base checkout of ${base.slice(0, 12)}`);
    expect(r.report.warningsLog).toContain(
      `rec: in the base's two.yml (${base.slice(0, 12)}) but not in this one: gone in this change, not judged`,
    );
  }, 120_000);

  it('A/A: the base commit replayed against an unchanged head: no false alarm from the pairs, never refused', async () => {
    commit(gateYml(), readFileSync(REC), 'unchanged');
    const r = await run();
    const rows = JSON.stringify(
      r.model.comparison.rows.map((x: { metric: string; band: string; reason: string }) => [x.metric, x.band, x.reason]),
    );
    // Never refused: the base checkout is right.
    expect(r.p50.reason, rows).not.toMatch(/refused/);
    if (/A\/B confirmation void/.test(r.p50.reason)) {
      // A machine so busy that the base side's own cost no longer matches the one recorded at the
      // promotion (seen under a load of 5 on 2 cores: 21.25 ms recorded, 12.11 ms replayed): the
      // pairs cannot be trusted, so they decide nothing, and the stored verdict stands with its own
      // exit code, as issue 9 requires (scripted.test.ts has this case exactly, on a scripted clock).
      expect(r.p50.reason, rows).toMatch(/the stored verdict stands/);
      expect(r.code, rows).toBe(r.report.verdict === 'fail' ? 1 : 0);
    } else {
      // Judged on the pairs: no false alarm. Inconclusive only when the short calls shook too much to tell.
      expect(r.p50.reason, rows).toMatch(/interleaved A\/B pairs on this runner$/);
      expect(r.code, rows).toBe(0);
      expect(['pass', 'inconclusive'], rows).toContain(r.report.verdict);
    }
  }, 180_000);
});
