/**
 * report.html: one self-contained page (inline CSS, inline SVG charts, data: URL thumbnails; no
 * script, no fetch) that shows why a row is what it is. Charts are Vega-Lite specs compiled to
 * Vega and rendered headless to SVG here, in Node (`view.toSVG()`); the words come from text/.
 * A Content-Security-Policy of `default-src 'none'` makes "no request leaves the page" a property
 * of the file, not a promise.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { AccuracyFlip, ComparisonRow, GateReport, ModelFigures } from '../types.js';
import {
  BAND_EMOJI,
  fmtNumber,
  fmtRel,
  fmtValue,
  inertHtml,
  metricLabel,
  modelReason,
  rowReason,
  t,
  VERDICT_EMOJI,
  verdictWord,
  type Lang,
} from '../text/index.js';

const WIDTH = 420;
const HEIGHT = 200;
const COLORS = { base: '#8c8c8c', head: '#1f6feb', noise: '#d4edda', warn: '#fff3cd', fail: '#f8d7da', interval: '#1f6feb' };

/** Every data string on the page goes through the one HTML escape of the rendering boundary (text/inert.ts). */
const esc = inertHtml;

/** Only an image this gate encoded itself (a PNG or JPEG data URI) is shown. */
function imageSrc(src: string | undefined): string | undefined {
  return src !== undefined && /^data:image\/(png|jpeg);base64,[A-Za-z0-9+/]+=*$/.test(src) ? src : undefined;
}

/** Vega and Vega-Lite, loaded on the first chart: half a second of start-up that only report.html needs. */
let charting: Promise<[typeof import('vega'), typeof import('vega-lite')]> | undefined;

async function svgOf(spec: TopLevelSpec): Promise<string> {
  charting ??= Promise.all([import('vega'), import('vega-lite')]);
  const [{ parse, View }, { compile }] = await charting;
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface HtmlOptions {
  lang: Lang;
  /** Where the archived logs and raw results are (an artifact URL, an S3 location), shown at the top. */
  archive?: string;
}

/** The whole page for one report and its figures (one entry per report model, matched by name). */
export async function renderHtml(report: GateReport, figures: readonly ModelFigures[], opts: HtmlOptions): Promise<string> {
  const { lang } = opts;
  const sections: string[] = [];
  for (const model of report.models) {
    const figure = figures.find((f) => f.model === model.comparison.model);
    sections.push(await modelSection(lang, model, figure));
  }
  const title = t(lang, 'html.title', { gate: report.gate });
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${VERDICT_EMOJI[report.verdict]} ${esc(title)} — ${esc(verdictWord(lang, report.verdict))}</h1>
<p class="meta">${esc(t(lang, 'html.generated', { at: report.startedAt, seconds: fmtNumber(report.durationSeconds, 1) }))}</p>
${opts.archive ? `<p class="meta">${esc(t(lang, 'html.archive', { where: opts.archive }))}</p>` : ''}
</header>
${sections.join('\n')}
</body>
</html>
`;
}

async function modelSection(lang: Lang, model: GateReport['models'][number], figure: ModelFigures | undefined): Promise<string> {
  const c = model.comparison;
  const charts: string[] = [];
  charts.push(await chart(lang, 'latency', 'html.latency', figure && latencySpec(lang, figure), 'html.why.noRounds'));
  charts.push(await chart(lang, 'pairs', 'html.pairs', figure?.pairs && pairsSpec(lang, figure.pairs), 'html.why.noPairs'));
  charts.push(await chart(lang, 'trend', 'html.trend', model.trend && trendSpec(lang, model.trend), 'html.why.noTrend'));
  charts.push(await chart(lang, 'memory', 'html.memory', figure && memorySpec(lang, figure), 'html.why.noMemory'));
  return `<section class="model">
<h2>${VERDICT_EMOJI[c.verdict]} ${esc(c.model)} — ${esc(modelReason(lang, c))}</h2>
${rowsTable(lang, c.rows)}
<div class="charts">${charts.join('\n')}</div>
${flipsSection(lang, figure, model.baseline !== undefined)}
</section>`;
}

async function chart(
  lang: Lang,
  id: string,
  title: Parameters<typeof t>[1],
  spec: TopLevelSpec | undefined | false | 0,
  why: Parameters<typeof t>[1],
): Promise<string> {
  const body = spec ? await svgOf(spec) : `<p class="none">${esc(t(lang, 'html.noData', { why: t(lang, why) }))}</p>`;
  return `<figure class="chart${spec ? '' : ' empty'}" data-chart="${id}"><figcaption>${esc(t(lang, title))}</figcaption>${body}</figure>`;
}

function rowsTable(lang: Lang, rows: readonly ComparisonRow[]): string {
  const cell = (v: number | null, row: ComparisonRow) => (v === null ? '—' : esc(fmtValue(v, row.unit)));
  const body = rows
    .map(
      (r) =>
        `<tr class="band-${r.band}"><td>${esc(metricLabel(lang, r))}</td><td class="num">${cell(r.baseline, r)}</td><td class="num">${cell(r.current, r)}</td><td class="num">${r.deltaRel === null ? '' : esc(fmtRel(r.deltaRel))}</td><td>${BAND_EMOJI[r.band]} ${esc(rowReason(lang, r))}</td></tr>`,
    )
    .join('\n');
  return `<table class="rows"><thead><tr><th>${esc(t(lang, 'col.metric'))}</th><th>${esc(t(lang, 'col.baseline'))}</th><th>${esc(t(lang, 'col.current'))}</th><th>${esc(t(lang, 'col.change'))}</th><th></th></tr></thead><tbody>
${body}
</tbody></table>`;
}

// ───────────────────────────── the charts (Vega-Lite specs) ─────────────────────────────

const base = { width: WIDTH, height: HEIGHT, background: 'white', config: { font: 'sans-serif' } } as const;

function latencySpec(lang: Lang, f: ModelFigures): TopLevelSpec | undefined {
  if (f.latency.head.length === 0) return undefined;
  const head = t(lang, 'html.side.head');
  const baseName = t(lang, 'html.side.base');
  const values = [...(f.latency.base ?? []).map((ms) => ({ side: baseName, ms })), ...f.latency.head.map((ms) => ({ side: head, ms }))];
  return {
    ...base,
    data: { values },
    transform: [{ window: [{ op: 'cume_dist', as: 'share' }], sort: [{ field: 'ms' }], groupby: ['side'] }],
    mark: { type: 'line', interpolate: 'step-after', point: true },
    encoding: {
      x: { field: 'ms', type: 'quantitative', title: t(lang, 'html.latency.x'), scale: { zero: false } },
      y: { field: 'share', type: 'quantitative', title: t(lang, 'html.latency.y'), axis: { format: '%' } },
      color: {
        field: 'side',
        type: 'nominal',
        title: t(lang, 'html.side'),
        scale: { domain: [baseName, head], range: [COLORS.base, COLORS.head] },
      },
    },
  };
}

function pairsSpec(lang: Lang, p: NonNullable<ModelFigures['pairs']>): TopLevelSpec {
  const pct = (ratio: number) => 100 * (ratio - 1);
  const n = p.ratios.length;
  const changes = p.ratios.map(pct);
  const noise = 100 * (p.bands.noise ?? 0);
  const warn = p.bands.warn !== undefined ? 100 * p.bands.warn : undefined;
  const fail = p.bands.fail !== undefined ? 100 * p.bands.fail : undefined;
  // The axis shows the pairs, their interval and the noise band; a level far beyond them would
  // flatten the points, so a band is drawn only up to the axis' end (clamped).
  let lo = Math.min(0, -noise, pct(p.lo), ...changes);
  let hi = Math.max(0, noise, pct(p.hi), ...changes);
  for (const level of [warn, fail]) if (level !== undefined && level <= 2 * Math.max(hi, 1)) hi = Math.max(hi, level * 1.25);
  const pad = 0.08 * (hi - lo || 1);
  lo -= pad;
  hi += pad;
  const clamp = (v: number) => Math.min(hi, Math.max(lo, v));
  const bands: Array<{ band: string; lo: number; hi: number; color: string }> = [];
  if (p.bands.noise !== undefined)
    bands.push({ band: t(lang, 'html.band.noise'), lo: clamp(-noise), hi: clamp(noise), color: COLORS.noise });
  if (warn !== undefined) bands.push({ band: t(lang, 'html.band.warn'), lo: clamp(noise), hi: clamp(fail ?? hi), color: COLORS.warn });
  if (fail !== undefined) bands.push({ band: t(lang, 'html.band.fail'), lo: clamp(fail), hi, color: COLORS.fail });
  const visible = bands.filter((b) => b.hi > b.lo);
  const y = { type: 'quantitative' as const, title: t(lang, 'html.pairs.y'), scale: { domain: [lo, hi], nice: false } };
  return {
    ...base,
    layer: [
      ...(visible.length > 0
        ? [
            {
              data: { values: visible },
              mark: { type: 'rect' as const, opacity: 0.8 },
              encoding: {
                y: { ...y, field: 'lo' },
                y2: { field: 'hi' },
                color: {
                  field: 'band',
                  type: 'nominal' as const,
                  title: t(lang, 'html.band'),
                  scale: { domain: visible.map((b) => b.band), range: visible.map((b) => b.color) },
                },
              },
            },
          ]
        : []),
      {
        data: { values: [{ lo: pct(p.lo), hi: pct(p.hi), mid: pct(p.ratio), x0: 0.5, x1: n + 0.5 }] },
        layer: [
          {
            mark: { type: 'rect', color: COLORS.interval, opacity: 0.15 },
            encoding: { x: { field: 'x0', type: 'quantitative' }, x2: { field: 'x1' }, y: { ...y, field: 'lo' }, y2: { field: 'hi' } },
          },
          { mark: { type: 'rule', color: COLORS.interval, strokeWidth: 2 }, encoding: { y: { ...y, field: 'mid' } } },
        ],
      },
      {
        data: { values: changes.map((change, i) => ({ pair: i + 1, change })) },
        mark: { type: 'point', filled: true, size: 60, color: COLORS.head },
        encoding: {
          x: {
            field: 'pair',
            type: 'quantitative',
            title: t(lang, 'html.pairs.x'),
            scale: { domain: [0.5, n + 0.5] },
            axis: { tickMinStep: 1 },
          },
          y: { ...y, field: 'change' },
        },
      },
    ],
  };
}

function trendSpec(lang: Lang, trend: NonNullable<GateReport['models'][number]['trend']>): TopLevelSpec {
  const last = trend.length - 1;
  // A baseline promoted with an accepted regression is labelled and drawn apart: the step up was on purpose.
  const values = trend.map((p, i) => ({
    commit: i === last ? t(lang, 'trend.thisRun') : `${p.commit.slice(0, 7)}${p.accepted ? ` (${t(lang, 'trend.accepted')})` : ''}`,
    ms: p.value,
    order: i,
    accepted: p.accepted === true,
  }));
  return {
    ...base,
    data: { values },
    layer: [
      { mark: { type: 'line', color: COLORS.base } },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          color: { condition: { test: `datum.order === ${last}`, value: COLORS.head }, value: COLORS.base },
          shape: { condition: { test: 'datum.accepted', value: 'diamond' }, value: 'circle' },
        },
      },
    ],
    encoding: {
      x: { field: 'commit', type: 'ordinal', sort: { field: 'order' }, title: t(lang, 'html.trend.x'), axis: { labelAngle: -30 } },
      y: { field: 'ms', type: 'quantitative', title: t(lang, 'trend.metric'), scale: { zero: false } },
    },
  };
}

function memorySpec(lang: Lang, f: ModelFigures): TopLevelSpec | undefined {
  const named = [
    ['RSS', f.memory.rss],
    ['GPU', f.memory.gpu],
  ] as const;
  const samples: Array<{ series: string; iteration: number; mb: number }> = [];
  const peaks: Array<{ series: string; iteration: number; mb: number }> = [];
  for (const [name, s] of named) {
    if (!s) continue;
    s.iteration.forEach((it, i) => samples.push({ series: name, iteration: it, mb: s.mb[i]! }));
    for (const [it, mb] of s.peaks) peaks.push({ series: t(lang, 'html.memory.fit', { series: name }), iteration: it, mb });
  }
  if (samples.length === 0) return undefined;
  const x = { field: 'iteration', type: 'quantitative', title: t(lang, 'html.memory.x') } as const;
  const y = { field: 'mb', type: 'quantitative', title: t(lang, 'html.memory.y'), scale: { zero: false } } as const;
  const color = { field: 'series', type: 'nominal', title: t(lang, 'html.memory.series') } as const;
  return {
    ...base,
    layer: [
      { data: { values: samples }, mark: { type: 'line', point: { size: 12 }, opacity: 0.7 }, encoding: { x, y, color } },
      ...(peaks.length >= 2
        ? [
            {
              data: { values: peaks },
              // The least-squares line through the window peaks: the growth figure's own fit (measure/).
              transform: [{ regression: 'mb', on: 'iteration', groupby: ['series'], method: 'linear' as const }],
              mark: { type: 'line' as const, strokeDash: [6, 3], strokeWidth: 2 },
              encoding: { x, y, color },
            },
          ]
        : []),
    ],
  };
}

// ───────────────────────────── accuracy: the samples that changed ─────────────────────────────

function flipsSection(lang: Lang, figure: ModelFigures | undefined, hasBaseline: boolean): string {
  const title = `<h3>${esc(t(lang, 'html.flips'))}</h3>`;
  if (!hasBaseline) return `${title}<p class="none">${esc(t(lang, 'html.flips.noBaseline'))}</p>`;
  if (!figure || figure.flips.length === 0) return `${title}<p class="none">${esc(t(lang, 'html.flips.none'))}</p>`;
  const rows = figure.flips.map((f) => flipRow(lang, f)).join('\n');
  const more = figure.flipsOmitted > 0 ? `<p class="none">${esc(t(lang, 'html.flips.omitted', { n: figure.flipsOmitted }))}</p>` : '';
  return `${title}<table class="flips"><thead><tr><th></th><th>${esc(t(lang, 'wrong.sample'))}</th><th>${esc(t(lang, 'html.flips.image'))}</th><th>${esc(t(lang, 'wrong.label'))}</th><th>${esc(t(lang, 'wrong.prediction'))}</th><th>${esc(t(lang, 'html.flips.before'))}</th></tr></thead><tbody>
${rows}
</tbody></table>${more}`;
}

function flipRow(lang: Lang, f: AccuracyFlip): string {
  const kind = t(lang, f.kind === 'broke' ? 'html.flips.broke' : 'html.flips.fixed');
  const src = imageSrc(f.image);
  const img = src ? `<img src="${src}" alt="${esc(f.id)}">` : '';
  const [label, now] = highlightDiff(f.label, f.now);
  const [, before] = highlightDiff(f.label, f.before);
  return `<tr class="flip-${f.kind}"><td>${f.kind === 'broke' ? '❌' : '✅'} ${esc(kind)}</td><td class="id">${esc(f.id)}</td><td>${img}</td><td class="text">${label}</td><td class="text">${now}</td><td class="text">${before}</td></tr>`;
}

/**
 * The label and a prediction with their differences marked: characters outside the longest common
 * subsequence are wrapped in <del> (missing from the prediction) and <ins> (not in the label).
 */
export function highlightDiff(label: string, prediction: string): [string, string] {
  const a = [...label];
  const b = [...prediction];
  // Long lines would make the table quadratic: past this, mark everything that is not equal.
  if (a.length * b.length > 250_000)
    return label === prediction ? [esc(label), esc(prediction)] : [`<del>${esc(label)}</del>`, `<ins>${esc(prediction)}</ins>`];
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const left: Array<[string, boolean]> = [];
  const right: Array<[string, boolean]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      left.push([a[i]!, false]);
      right.push([b[j]!, false]);
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      right.push([b[j]!, true]);
      j++;
    } else {
      left.push([a[i]!, true]);
      i++;
    }
  }
  return [spans(left, 'del'), spans(right, 'ins')];
}

function spans(chars: Array<[string, boolean]>, tag: 'del' | 'ins'): string {
  let out = '';
  let open = false;
  for (const [ch, marked] of chars) {
    if (marked !== open) out += marked ? `<${tag}>` : `</${tag}>`;
    open = marked;
    out += esc(ch);
  }
  return open ? `${out}</${tag}>` : out;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:15px}
.meta{color:#57606a;margin:2px 0}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:middle}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.band-fail td{background:#ffebe9}tr.band-warn td{background:#fff8c5}
.charts{display:flex;flex-wrap:wrap;gap:16px}
figure.chart{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:8px}
figcaption{font-weight:600;font-size:13px;margin-bottom:4px;max-width:560px}
.none{color:#57606a;font-style:italic}
td.text{font-family:ui-monospace,monospace;white-space:pre-wrap}
del{background:#ffcecb;text-decoration:line-through}ins{background:#aceebb;text-decoration:none}
td img{display:block;image-rendering:auto;max-height:32px}
`;
