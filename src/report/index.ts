/**
 * report/: GateReport → the PR comment (markdown, English or 简体中文) and the JSON document.
 * Layout follows design/COMMENT.md: marker, verdict line, baseline + environment, one table,
 * then folded details. The renderer composes `Md` (text/inert.ts): markdown of ours is `Md`,
 * every string from the report is data and is escaped where it is interpolated (md``, tMd), so
 * nothing from a report, an artifact or the environment can become markup, a link, a heading,
 * a table break or a hidden marker.
 */
import type { AcceptanceRecord, ComparisonRow, GateReport } from '../types.js';
import {
  BAND_EMOJI,
  countsText,
  fmtChangeAbs,
  fmtNumber,
  fmtPEq,
  fmtRel,
  fmtRelBare,
  fmtValue,
  inertMarkdown,
  isStringKey,
  md,
  mdCode,
  mdJoin,
  mdLink,
  Md,
  modelReason,
  partsText,
  renderable,
  safeHttpsUrl,
  rowReason,
  tMd,
  VERDICT_EMOJI,
  verdictWord,
  type Lang,
  type MdArg,
  type StringKey,
} from '../text/index.js';
import { neutraliseMentions } from './mentions.js';

export { t, type Lang, VERDICT_EMOJI, BAND_EMOJI } from '../text/index.js';
export { neutraliseMentions } from './mentions.js';

/** Data text made inert in markdown (text/inert.ts): the one escape, also for other renderers' tests. */
export const escapeMarkdown = inertMarkdown;

/** The JSON document: the GateReport itself, pretty-printed (non-finite numbers become null). */
export function renderJson(report: GateReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The hidden marker that finds this gate's comment again; `--` and `>` would end the HTML comment early. */
export function commentMarker(gate: string): string {
  return `<!-- paddle-perf-gate:${gate.replace(/-{2,}/g, '-').replace(/[<>\s]/g, '_')} -->`;
}

export interface MarkdownOptions {
  lang?: Lang;
  /** The comment's size limit (GitHub allows 65,536 characters). */
  maxChars?: number;
  /** The comment's hidden marker, first line; absent for the job summary, the report file and the CLI. */
  marker?: string;
  /** Extra lines for "How this was measured" (dataset, A/B confirmation, logs artifact): data, escaped. */
  details?: string[];
  /** Wrong predictions shown per OCR model (default 5). */
  examples?: number;
  /**
   * The figures come from a PR's own workflow run (a fork's artifact): the "not verified" notice
   * under the verdict line, with a link to that run when GitHub's event gave a plain https URL.
   */
  unverified?: { runId?: number; url?: string };
  /** Where this run's report.html, logs and raw results were archived (artifact, S3): one line each, never cut. */
  archives?: Array<{ name: string; url?: string }>;
}

type Model = GateReport['models'][number];

/** Renders the comment, cut below `maxChars` (default 65,000) by dropping details, then rows. */
export function renderMarkdown(report: GateReport, opts: MarkdownOptions = {}): string {
  const r = new Renderer(report, opts);
  const max = opts.maxChars ?? 65_000;
  const full = r.compose({ details: 'all', rows: 'all' });
  if (full.length <= max) return full;

  const attempts: Array<{ details: Detail; rows: 'all' | 'notable'; cut: Md[] }> = [
    { details: 'measured', rows: 'all', cut: [r.t('cut.details')] },
    { details: 'none', rows: 'all', cut: [r.t('cut.details')] },
    { details: 'none', rows: 'notable', cut: [r.t('cut.details'), r.t('cut.passing', { n: r.passingRows() })] },
  ];
  for (const a of attempts) {
    const text = r.compose({ details: a.details, rows: a.rows, cut: a.cut });
    if (text.length <= max) return text;
  }
  // Still too long: keep as many notable rows as fit (binary search on the count).
  const notable = r.notableRows();
  let lo = 0;
  let hi = notable;
  const at = (keep: number) =>
    r.compose({ details: 'none', rows: 'notable', keep, cut: [r.t('cut.details'), r.t('cut.rows', { n: r.totalRows() - keep })] });
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (at(mid).length <= max) lo = mid;
    else hi = mid - 1;
  }
  const text = at(lo);
  if (text.length <= max) return text;
  // The head alone is too long (huge names or logs): cut the text itself, keeping the note.
  const note = `\n\n${r.t('cut.note', { max: fmtNumber(max, 0), what: r.t('cut.text') }).text}\n`;
  let end = Math.max(0, max - note.length);
  // never split a surrogate pair (an emoji or a rare CJK character), nor an entity
  if (end > 0 && /[\uDC00-\uDFFF]/.test(text[end] ?? '')) end--;
  const amp = text.lastIndexOf('&', end);
  if (amp >= 0 && !text.slice(amp, end).includes(';') && end - amp < 12) end = amp;
  return text.slice(0, end) + note;
}

type Detail = 'all' | 'measured' | 'none';
type Lines = Md[];
const BLANK = new Md('');

class Renderer {
  readonly lang: Lang;

  constructor(
    readonly report: GateReport,
    readonly opts: MarkdownOptions,
  ) {
    this.lang = opts.lang ?? 'en';
  }

  /** A fixed text with its arguments: strings are data and escaped, Md is ours. */
  t(key: StringKey, args?: Record<string, MdArg>): Md {
    return tMd(this.lang, key, args);
  }

  private allRows(): Array<{ model: Model; row: ComparisonRow | null }> {
    return this.report.models.flatMap((model): Array<{ model: Model; row: ComparisonRow | null }> =>
      model.comparison.rows.length === 0 ? [{ model, row: null }] : model.comparison.rows.map((row) => ({ model, row })),
    );
  }

  private isNotable(model: Model, row: ComparisonRow | null): boolean {
    const v = model.comparison.verdict;
    if (row === null || v === 'incomparable' || v === 'unreadable') return row === null;
    return row.band === 'fail' || row.band === 'warn' || row.band === 'inconclusive' || row.band === 'accepted';
  }

  totalRows(): number {
    return this.allRows().length;
  }

  notableRows(): number {
    return this.allRows().filter((x) => this.isNotable(x.model, x.row)).length;
  }

  passingRows(): number {
    return this.totalRows() - this.notableRows();
  }

  compose(o: { details: Detail; rows: 'all' | 'notable'; keep?: number; cut?: Md[] }): string {
    const out: Lines = [];
    if (this.opts.marker) {
      out.push(new Md(this.opts.marker));
      // The acceptance records ride along hidden on the comment's second line, and only there: the next run reads them back (github/accept.ts).
      const records = this.report.acceptance?.records ?? [];
      if (records.length > 0) out.push(new Md(acceptanceMarker(records)));
    }
    out.push(this.verdictLine(), BLANK);
    const notice = this.notice();
    if (notice) out.push(...notice.text.split('\n').map((l) => new Md(`> ${l}`.trimEnd())), BLANK);
    const context = this.contextLines();
    if (context.length > 0) out.push(...context, BLANK);

    let rows = this.allRows();
    if (o.rows === 'notable') rows = rows.filter((x) => this.isNotable(x.model, x.row));
    if (o.keep !== undefined) rows = rows.slice(0, o.keep);
    // The whole table groups each model's variants side by side; a table cut to its notable rows stays flat.
    if (o.rows === 'all' && o.keep === undefined) {
      for (const block of this.blocks()) {
        const table = 'of' in block ? this.variantTable(block.of, block.models) : this.table(block.rows);
        if (table.length > 0) out.push(...table, BLANK);
      }
    } else if (rows.length > 0) out.push(...this.table(rows), BLANK);
    out.push(...this.acceptance());

    if (this.report.promotion) out.push(this.t('promotion', { message: this.report.promotion.message }), BLANK);
    for (const a of this.opts.archives ?? []) {
      const where = a.url && /^https?:\/\//.test(a.url) ? mdLink(a.name, a.url) : mdCode(a.name);
      out.push(this.t('archive.line', { where }), BLANK);
    }
    if (o.cut && o.cut.length > 0) {
      out.push(
        this.t('cut.note', { max: fmtNumber(this.opts.maxChars ?? 65_000, 0), what: mdJoin(o.cut, this.t('sep.list').text) }),
        BLANK,
      );
    }
    if (o.details !== 'none') out.push(...this.trends(), ...this.measured());
    if (o.details === 'all') out.push(...this.driftSamples(), ...this.wrongPredictions(), ...this.warningsLog());
    // No data text may notify anyone, and the size limits see the final text.
    return neutraliseMentions(
      `${out
        .map((l) => l.text)
        .join('\n')
        .trimEnd()}\n`,
    );
  }

  private notice(): Md | undefined {
    const u = this.opts.unverified;
    if (!u) return undefined;
    const run =
      u.url !== undefined && u.runId !== undefined && safeHttpsUrl(u.url)
        ? this.t('artifact.run', { id: u.runId, url: new Md(u.url) })
        : BLANK;
    return this.t('artifact.notice', { run });
  }

  private verdictLine(): Md {
    const { verdict, regressions, warnings, gate } = this.report;
    const inconclusive = (this.report.inconclusive ?? 0) + (this.report.accepted ?? 0);
    const counts = countsText(this.lang, this.report);
    // pass/warn/fail speak through the emoji and counts; the other verdicts need their word.
    const plain = verdict === 'pass' || verdict === 'warn' || verdict === 'fail';
    const said = plain
      ? counts
      : regressions + warnings + inconclusive === 0
        ? verdictWord(this.lang, verdict)
        : `${verdictWord(this.lang, verdict)} · ${counts}`;
    return new Md(`### ${VERDICT_EMOJI[verdict]} ${md`${gate} — ${said}`.text}`);
  }

  private env(model: Model): Md {
    const e = model.run.env;
    const v = (k: string) => {
      const x = e[k];
      return x === null || x === undefined || x === '' ? null : x;
    };
    const parts: Md[] = [];
    const cpu = v('cpuModel');
    const gpu = v('gpuName');
    if (gpu) parts.push(md`${gpu}`);
    else if (cpu) parts.push(md`${cpu}`);
    const driver = v('driver') ?? v('driverMajor');
    if (driver) parts.push(this.t('env.driver', { v: driver }));
    const cuda = v('cuda');
    if (cuda) parts.push(this.t('env.cuda', { v: cuda }));
    const paddle = v('paddle');
    if (paddle && model.run.engine.name !== 'paddle') parts.push(this.t('env.paddle', { v: paddle }));
    const { name, version, device, precision } = model.run.engine;
    parts.push(md`${name === 'paddle' ? 'Paddle' : name} ${version} (${device}, ${precision})`);
    const digest = e.imageDigest;
    if (digest) parts.push(this.t('env.image', { v: mdCode(shortDigest(digest)) }));
    return mdJoin(parts, ' · ');
  }

  private contextLines(): Lines {
    const lines: Lines = [];
    const models = this.report.models;
    const withBase = models.filter((m) => m.baseline);
    const without = models.filter((m) => !m.baseline && m.comparison.verdict !== 'unreadable');
    // A run promoted just now is the baseline already, not one "when it lands".
    const promoted = this.report.promotion?.done === true;
    if (withBase.length === 0 && without.length > 0) {
      lines.push(
        this.t(promoted ? 'baseline.nonePromoted' : 'baseline.none'),
        BLANK,
        this.t('baseline.env', { env: this.env(without[0]!) }),
      );
    } else {
      const groups = new Map<string, Model[]>();
      for (const m of withBase) {
        const b = m.baseline!;
        // one line per baseline commit: models promoted together differ only by seconds
        const key = `${b.commit}\u0000${b.branch}\u0000${b.createdAt.slice(0, 10)}`;
        groups.set(key, [...(groups.get(key) ?? []), m]);
      }
      for (const group of groups.values()) {
        const b = group[0]!.baseline!;
        const prefix =
          groups.size > 1 || group.length < withBase.length
            ? md`${mdJoin(
                group.map((m) => m.comparison.model),
                ', ',
              )}: `
            : BLANK;
        const against = this.t('baseline.against', {
          commit: mdCode(shortCommit(b.commit)),
          branch: b.branch,
          date: b.createdAt.slice(0, 10),
        });
        const comparable = group.every((m) => m.comparison.verdict !== 'incomparable');
        lines.push(md`${prefix}${against}${comparable ? this.t('baseline.sameEnv', { env: this.env(group[0]!) }) : BLANK}`);
      }
      for (const m of without) {
        lines.push(this.t(promoted ? 'baseline.noneForPromoted' : 'baseline.noneFor', { model: m.comparison.model }));
      }
    }
    for (const m of models) {
      const c = m.comparison;
      if (c.verdict === 'incomparable') {
        lines.push(BLANK, md`${VERDICT_EMOJI.incomparable} ${this.t('incomparable.title', { model: c.model })}`);
        for (const d of c.differences ?? []) {
          lines.push(md`- ${this.t('incomparable.field', { field: d.field, baseline: d.baseline ?? '—', current: d.current ?? '—' })}`);
        }
        lines.push(this.t('baseline.env', { env: this.env(m) }));
      } else if (c.verdict === 'unreadable') {
        lines.push(
          BLANK,
          md`${VERDICT_EMOJI.unreadable} ${this.t('unreadable.title', { model: c.model, reason: new Md(modelReason(this.lang, c, inertMarkdown)) })}`,
        );
      }
    }
    return lines;
  }

  private metricLabel(row: ComparisonRow): Md {
    if (row.drift) return this.t('metric.drift', { output: row.drift.output });
    const key = `metric.${row.metric}`;
    return isStringKey(key) ? this.t(key) : md`${row.label}`;
  }

  /** A row's reason: every piece (our words and each argument, whatever its name) made inert where it is turned into text. */
  private reason(row: ComparisonRow): Md {
    return new Md(rowReason(this.lang, row, inertMarkdown));
  }

  /** The change column: numbers formatted by text/format.ts (digits, signs, units, brackets of ours). */
  private change(row: ComparisonRow): Md {
    if (row.deltaAbs === null) return BLANK;
    const p = row.pValue !== undefined ? ` (${fmtPEq(row.pValue)})` : '';
    if (row.unit === '%') return ours(fmtChangeAbs(row.deltaAbs, '%') + p);
    if ((row.unit === 'ms' || row.unit === '/s') && row.deltaRel !== null) {
      const i = row.interval?.of === 'relative' ? ` [${fmtRelBare(row.interval.lo)}, ${fmtRelBare(row.interval.hi)}]` : '';
      return ours(fmtRel(row.deltaRel) + i);
    }
    return ours(fmtChangeAbs(row.deltaAbs, row.unit));
  }

  private table(rows: Array<{ model: Model; row: ComparisonRow | null }>): Lines {
    const lines: Lines = [
      md`| ${this.t('col.model')} | ${this.t('col.metric')} | ${this.t('col.baseline')} | ${this.t('col.current')} | ${this.t('col.change')} | |`,
      new Md('|---|---|---:|---:|---:|---|'),
    ];
    let last: Model | null = null;
    for (const { model, row } of rows) {
      const name = model === last ? '' : model.comparison.model;
      last = model;
      if (row === null) {
        const v = model.comparison.verdict;
        lines.push(md`| ${name} | — | | | | ${VERDICT_EMOJI[v]} ${this.t(`verdict.${v}`)} |`);
        continue;
      }
      const base = row.baseline === null ? (model.baseline ? '—' : '') : fmtValue(row.baseline, row.unit);
      const cur = row.current === null ? '—' : fmtValue(row.current, row.unit);
      const v = model.comparison.verdict;
      // A model not judged (environment differs, baseline unreadable) shows its numbers without bands.
      const verdictCell =
        v === 'incomparable' || v === 'unreadable'
          ? md`${VERDICT_EMOJI[v]} ${this.t('reason.notJudged')}`
          : md`${BAND_EMOJI[row.band]} ${this.reason(row)}`;
      lines.push(md`| ${name} | ${this.metricLabel(row)} | ${base} | ${cur} | ${this.change(row)} | ${verdictCell} |`);
    }
    return lines;
  }

  /** The report's models in order: runs of plain models, and each model's variants (two or more) as one group. */
  private blocks(): Array<{ rows: Array<{ model: Model; row: ComparisonRow | null }> } | { of: string; models: Model[] }> {
    const blocks: Array<{ rows: Array<{ model: Model; row: ComparisonRow | null }> } | { of: string; models: Model[] }> = [];
    const count = new Map<string, number>();
    for (const m of this.report.models) if (m.variant) count.set(m.variant.of, (count.get(m.variant.of) ?? 0) + 1);
    const groups = new Map<string, { of: string; models: Model[] }>();
    for (const model of this.report.models) {
      const of = model.variant?.of;
      if (of !== undefined && (count.get(of) ?? 0) > 1) {
        const group = groups.get(of);
        if (group) group.models.push(model);
        else {
          const created = { of, models: [model] };
          groups.set(of, created);
          blocks.push(created);
        }
        continue;
      }
      const rows: Array<{ model: Model; row: ComparisonRow | null }> =
        model.comparison.rows.length === 0 ? [{ model, row: null }] : model.comparison.rows.map((row) => ({ model, row }));
      const last = blocks[blocks.length - 1];
      if (last && 'rows' in last) last.rows.push(...rows);
      else blocks.push({ rows });
    }
    return blocks;
  }

  /**
   * One model's variants side by side: a column per variant, a row per metric; each cell this run's
   * value, its change against the variant's own baseline and the band. Rows that warn or fail say why below.
   */
  private variantTable(of: string, models: Model[]): Lines {
    const metrics: Array<{ id: string; row: ComparisonRow }> = [];
    for (const m of models)
      for (const row of m.comparison.rows) if (!metrics.some((x) => x.id === row.metric)) metrics.push({ id: row.metric, row });
    const label = (m: Model) => md`${m.variant?.label ?? m.comparison.model}`;
    const lines: Lines = [
      this.t('variants.title', { model: md`**${of}**`, n: models.length }),
      BLANK,
      md`| ${this.t('col.metric')} | ${mdJoin(
        models.map((m) => md`${label(m)} ${VERDICT_EMOJI[m.comparison.verdict]}`),
        ' | ',
      )} |`,
      new Md(`|---|${models.map(() => '---:|').join('')}`),
    ];
    const why: Lines = [];
    for (const { id, row: first } of metrics) {
      const cells = models.map((m) => {
        const row = m.comparison.rows.find((r) => r.metric === id);
        if (!row)
          return md`
—
          `;
        const v = m.comparison.verdict;
        const judged = v !== 'incomparable' && v !== 'unreadable';
        const cur = row.current === null ? '—' : fmtValue(row.current, row.unit);
        const change = this.change(row);
        const band = judged && row.baseline !== null ? ` ${BAND_EMOJI[row.band]}` : '';
        if (judged && (row.band === 'fail' || row.band === 'warn' || row.band === 'inconclusive')) {
          why.push(
            md`- ${BAND_EMOJI[row.band]} ${this.t('variants.why', { variant: label(m), metric: this.metricLabel(row), reason: this.reason(row) })}`,
          );
        }
        return md`${cur}${change.text ? md` · ${change}` : BLANK}${band}`;
      });
      lines.push(md`| ${this.metricLabel(first)} | ${mdJoin(cells, ' | ')} |`);
    }
    return why.length > 0 ? [...lines, BLANK, ...why] : lines;
  }

  private measured(): Lines {
    const lines = this.report.models.map((m) => {
      const { run, metrics } = m;
      const perRound = run.rounds > 0 ? Math.round(run.iterations / run.rounds) : 0;
      const parts: Md[] = [
        this.t('details.warmup', { n: fmtNumber(run.warmupIterations, 0) }),
        this.t('details.rounds', { rounds: fmtNumber(run.rounds, 0), iterations: fmtNumber(perRound, 0) }),
        this.t('details.batch', { n: fmtNumber(run.batchSize, 0) }),
        md`${`${run.engine.precision} · ${run.engine.name} ${run.engine.device}`}`,
        this.t('details.samples', { n: fmtNumber(metrics.samples, 0) }),
      ];
      const enc = metrics.labelEncoding;
      if (enc) {
        parts.push(
          this.t('details.labelEncoding', {
            characters: fmtNumber(enc.characters, 0),
            lines: fmtNumber(enc.lines, 0),
            emptied: fmtNumber(enc.emptied, 0),
          }),
        );
      }
      return md`- ${m.comparison.model}: ${mdJoin(parts, ' · ')}`;
    });
    const extra = (this.opts.details ?? []).map((d) => md`- ${d}`);
    if (this.report.shards !== undefined) extra.unshift(md`- ${this.t('details.shards', { n: fmtNumber(this.report.shards, 0) })}`);
    return [md`<details><summary>${this.t('details.measured')}</summary>`, BLANK, ...lines, ...extra, new Md('</details>'), BLANK];
  }

  /** Per model with drift, the samples whose outputs moved most (worst first, per output). */
  private driftSamples(): Lines {
    const out: Lines = [];
    for (const m of this.report.models) {
      const rows = m.comparison.rows.filter((r) => r.drift && r.drift.worst.length > 0);
      if (rows.length === 0) continue;
      out.push(
        md`<details><summary>${this.t('details.drift', { model: m.comparison.model })}</summary>`,
        BLANK,
        md`| ${this.t('drift.output')} | ${this.t('wrong.sample')} | ${this.t('drift.maxAbs')} | ${this.t('drift.outside')} |`,
        new Md('|---|---|---:|---:|'),
        ...rows.flatMap((r) =>
          r.drift!.worst.map(
            (w) =>
              md`| ${r.drift!.output} | ${w.id} | ${w.maxAbs === null ? this.t('drift.sizeChanged') : w.maxAbs.toPrecision(3)} | ${fmtNumber(w.outside, 0)} |`,
          ),
        ),
        new Md('</details>'),
        BLANK,
      );
    }
    return out;
  }

  private wrongPredictions(): Lines {
    const out: Lines = [];
    const limit = this.opts.examples ?? 5;
    for (const m of this.report.models) {
      if (m.metrics.task !== 'ocr-rec' || !m.metrics.decoded) continue;
      // Same rule as the metric (PaddleOCR ignore_space): a line that differs only in spaces is right.
      const wrong = m.metrics.decoded.filter((d) => d.label !== null && d.prediction.replaceAll(' ', '') !== d.label.replaceAll(' ', ''));
      if (wrong.length === 0 || limit <= 0) continue;
      const shown = wrong.slice(0, limit);
      out.push(
        md`<details><summary>${this.t('details.wrong', { model: m.comparison.model, shown: shown.length, total: fmtNumber(wrong.length, 0) })}</summary>`,
        BLANK,
        md`| ${this.t('wrong.sample')} | ${this.t('wrong.label')} | ${this.t('wrong.prediction')} |`,
        new Md('|---|---|---|'),
        ...shown.map((d) => md`| ${d.id} | ${d.label ?? ''} | ${d.prediction} |`),
        new Md('</details>'),
        BLANK,
      );
    }
    return out;
  }

  /**
   * Per model with history, a Mermaid line chart of latency p50 over the last baselines and this
   * run, folded: GitHub renders it in place, no image host. Labels are short commits (hex) and the
   * title keeps only letters, digits and plain punctuation of the model's name (nothing Mermaid or
   * HTML would read as syntax).
   */
  private trends(): Lines {
    const out: Lines = [];
    for (const m of this.report.models) {
      const trend = m.trend;
      if (!trend || trend.length < 3) continue;
      const name = m.comparison.model
        .replace(/[^\p{L}\p{N} ._()+/-]/gu, ' ')
        .replace(/:\/\/|www\./gi, ' ')
        .trim();
      // A baseline promoted with an accepted regression is marked: the step up was on purpose.
      const labels = trend.map((p, i) =>
        i === trend.length - 1
          ? this.t('trend.thisRun').text
          : `${shortCommit(p.commit)}${p.accepted ? ` ${this.t('trend.accepted').text}` : ''}`,
      );
      const values = trend.map((p) => Number(p.value.toPrecision(4)));
      const top = Math.max(...values);
      out.push(
        md`<details><summary>${this.t('trend.summary', { model: m.comparison.model, n: trend.length - 1 })}</summary>`,
        BLANK,
        new Md('```mermaid'),
        new Md('xychart-beta'),
        new Md(`  title "${name} ${this.t('trend.metric').text}"`),
        new Md(`  x-axis [${labels.map((l) => `"${l}"`).join(', ')}]`),
        new Md(`  y-axis "ms" 0 --> ${Number((top * 1.15).toPrecision(3))}`),
        new Md(`  line [${values.join(', ')}]`),
        new Md('```'),
        new Md('</details>'),
        BLANK,
      );
    }
    return out;
  }

  /** Who accepted what on the PR, acceptances not counted with why, and the command to accept this head (issue 15). */
  private acceptance(): Lines {
    const state = this.report.acceptance;
    if (!state) return [];
    const lines: Lines = [];
    const used = new Set<string>();
    for (const m of this.report.models) {
      for (const row of m.comparison.rows) if (row.accepted) used.add(`${row.accepted.by}\u0000${row.accepted.at}`);
    }
    for (const r of state.records) {
      if (!used.has(`${r.by}\u0000${r.at}`)) continue;
      const via = r.via === 'label' ? this.t('accept.viaLabel') : this.t('accept.viaComment');
      const metrics = r.metrics === 'all' ? BLANK : this.t('accept.metrics', { metrics: r.metrics.join(', ') });
      lines.push(
        md`- ${VERDICT_EMOJI.accepted} ${this.t('accept.given', {
          by: `@${r.by}`,
          via,
          date: r.at.slice(0, 16).replace('T', ' '),
          sha: mdCode(shortCommit(r.sha)),
          reason: r.reason,
        })}${metrics}`,
      );
    }
    // A regression an earlier acceptance no longer covers: say so, so the reviewer knows to accept again.
    for (const r of state.records) {
      if (r.sha === state.head || used.has(`${r.by}\u0000${r.at}`)) continue;
      const stillFails = this.report.models.some((m) =>
        m.comparison.rows.some((row) => row.band === 'fail' && r.rows.some((x) => x.metric === row.metric)),
      );
      if (stillFails) {
        lines.push(
          md`- ${VERDICT_EMOJI.fail} ${this.t('accept.stale', { by: `@${r.by}`, sha: mdCode(shortCommit(r.sha)), head: mdCode(shortCommit(state.head)) })}`,
        );
      }
    }
    for (const f of state.refused) {
      const via = f.via === 'label' ? this.t('accept.viaLabel') : this.t('accept.viaComment');
      const why = renderable([f.why]) ? new Md(partsText(this.lang, [f.why], [], inertMarkdown)) : md`${f.why.key}`;
      lines.push(md`- ${VERDICT_EMOJI.unreadable} ${this.t('accept.refused', { by: `@${f.by}`, via, why })}`);
    }
    // The command that accepts this very head, ready to copy (a head that moves needs a new one).
    const failing = this.report.models.some((m) => m.comparison.rows.some((row) => row.band === 'fail'));
    if (failing && this.opts.marker && /^[0-9a-f]{7,64}$/i.test(state.head)) {
      lines.push(md`- ${this.t('accept.how', { command: mdCode(acceptCommand(state.head)) })}`);
    }
    return lines.length > 0 ? [...lines, BLANK] : [];
  }

  private warningsLog(): Lines {
    const log = this.report.warningsLog;
    if (log.length === 0) return [];
    return [
      md`<details><summary>${this.t('details.warnings', { n: log.length })}</summary>`,
      BLANK,
      ...log.map((w) => md`- ${w}`),
      new Md('</details>'),
      BLANK,
    ];
  }
}

/** The accept command for `head`, with its placeholders: what the comment shows to copy (github/accept.ts parses it). */
export function acceptCommand(head: string, metrics = 'all', reason = '<reason>'): string {
  return `/perf-gate accept ${head.slice(0, 12)} ${metrics} ${reason}`;
}

const ACCEPTANCE_PREFIX = '<!-- paddle-perf-gate:acceptance ';

/** The acceptance records as one hidden line: base64 of the JSON, so nothing in a reason can end the HTML comment. */
function acceptanceMarker(records: AcceptanceRecord[]): string {
  return `${ACCEPTANCE_PREFIX}${Buffer.from(JSON.stringify(records), 'utf8').toString('base64')} -->`;
}

/**
 * The records hidden in a comment body by acceptanceMarker(), read from the one place the
 * renderer puts them: the line right after the comment's marker (the body's first line). A
 * marker anywhere else — rendered from data, quoted, pasted — is not one; [] when there is none.
 * Untyped: the reader validates.
 */
export function acceptanceFromComment(body: string, marker: string): unknown[] {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  if (lines[0] !== marker) return [];
  const line = lines[1] ?? '';
  const match = /^<!-- paddle-perf-gate:acceptance ([A-Za-z0-9+/]*={0,2}) -->$/.exec(line);
  if (!match || !line.startsWith(ACCEPTANCE_PREFIX)) return [];
  try {
    const value: unknown = JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8'));
    return Array.isArray(value) ? (value as unknown[]) : [];
  } catch {
    return [];
  }
}

/** A figure formatted by text/format.ts: kept as written when it holds only number characters, else escaped. */
function ours(text: string): Md {
  return /^[\p{N}\s.,:%+\-−–×/≤≥<>=()[\]a-zA-Zµ…]*$/u.test(text) && !text.includes('<') ? new Md(text) : md`${text}`;
}

function shortCommit(commit: string): string {
  return commit.replace(/[^0-9a-zA-Z]/g, '').slice(0, 7) || '?';
}

function shortDigest(digest: string): string {
  const clean = digest.replace(/[^0-9a-zA-Z:]/g, '');
  const [algo, hex] = clean.includes(':') ? (clean.split(':', 2) as [string, string]) : ['', clean];
  return `${algo ? `${algo}:` : ''}${hex.slice(0, 12)}${hex.length > 12 ? '…' : ''}`;
}
