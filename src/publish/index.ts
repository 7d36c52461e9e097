/**
 * publish/: the stage after the gate. One GateReport goes everywhere a user reads it, in one
 * language and one vocabulary (text/): the report files (report.md, report.json), the sticky PR
 * comment, the job summary, annotations, outputs and the chat alerts. Both entries call it: the
 * action with GitHub's ports, the CLI with the terminal's. A comment or an alert that cannot be
 * written is a warning; publishing never decides the outcome.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COMMENT_LIMIT } from '../github/comment.js';
import { notifyAll, shouldNotify, type NotifyOn } from '../notify/index.js';
import { changeText } from '../notify/message.js';
import type { ArchivePort, GitHubPort, JobPort, Notifier, Progress } from '../ports.js';
import { archiveDir } from './archive.js';
import { renderHtml } from '../report/html.js';
import { renderJson, renderMarkdown, type MarkdownOptions } from '../report/index.js';
import type { Lang } from '../text/index.js';
import type { GateReport, ModelFigures, ShardDocument } from '../types.js';

export type CommentMode = 'always' | 'on-change' | 'on-regression' | 'off';

/** The line shown in the job summary when the comment could not be written. */
const PERMISSIONS_HINT =
  'The PR comment could not be written: the token is read-only here (a fork PR, or a workflow without `permissions: pull-requests: write`). The report is in this summary; for fork PRs see the two-workflow (`workflow_run`) pattern in the docs.';

/** What the comment mode does with this report: write it, only refresh an existing one, or nothing. */
function commentPlan(mode: CommentMode, report: GateReport): 'upsert' | 'update-only' | 'skip' {
  if (mode === 'off') return 'skip';
  if (mode === 'always') return 'upsert';
  const wanted = mode === 'on-regression' ? report.verdict === 'fail' || report.regressions > 0 : report.verdict !== 'pass';
  // An existing comment is always refreshed, so a fixed regression never leaves a stale red table.
  return wanted ? 'upsert' : 'update-only';
}

/** One line for a failed check: the verdict and the first regression. */
export function failureLine(report: GateReport): string {
  for (const model of report.models) {
    const row = model.comparison.rows.find((r) => r.band === 'fail');
    if (row) {
      const more = report.regressions > 1 ? ` (+${report.regressions - 1} more)` : '';
      return `${report.gate}: ${report.verdict} — ${model.comparison.model} ${row.label} ${changeText(row)}${row.reason ? ` (${row.reason})` : ''}${more}`;
    }
  }
  const model = report.models.find((m) => m.comparison.verdict === report.verdict) ?? report.models[0];
  return `${report.gate}: ${report.verdict}${model ? ` — ${model.comparison.model}: ${model.comparison.reason}` : ''}`;
}

export interface PublishRequest {
  report: GateReport;
  lang: Lang;
  /** Extra lines for "How this was measured" (where the report files are, the run's URL). */
  details?: string[];
  /** The figures are a PR's own run's (a fork's artifact): the "not verified" notice under the verdict line. */
  unverified?: MarkdownOptions['unverified'];
  /**
   * The report is a claim (a fork's own run): shown, never acted on — no `verdict`,
   * `regressions` or `promoted: true` output, no annotations, no alerts (issue 25).
   */
  claimed?: boolean;
  /** Where report.md, report.json and report.html go; absent: no files (comment-from-artifact). */
  outputDir?: string;
  /** What report.html draws per model (runGate's figures); absent: no report.html. */
  figures?: ModelFigures[];
  /** Where the output directory is archived once the report files are in it (linked from the comment and summary). */
  archives?: ArchivePort[];
  /** A shard's document for `aggregate`, written beside the report as shard.json (needs outputDir). */
  shard?: ShardDocument;
  /** The PR comment, or why there is none; absent where there is no pull request to speak of (the CLI). */
  comment?: { port: GitHubPort; mode: CommentMode; marker: string } | { skipped: string };
  job: JobPort;
  progress: Progress;
  /** Annotations point at this file (relative to the workspace) when given. */
  annotateFile?: string;
  /** Annotations for failing and warning rows and unjudged models (the action); off for the CLI and the artifact mode. */
  annotate?: boolean;
  alerts?: { notifiers: Notifier[]; on: NotifyOn };
}

export interface Published {
  files?: { markdown: string; json: string; html?: string };
  /** What happened to the comment: created, updated, unchanged, absent, forbidden, error, or "skipped (why)". */
  comment: string;
  /** The archives written (name, and URL where there is one). */
  archived: Array<{ name: string; url?: string }>;
}

/** Publishes one report: files, comment, summary, annotations, outputs, alerts (in this order). */
export async function publish(req: PublishRequest): Promise<Published> {
  const { report, job, progress } = req;
  const options: MarkdownOptions = {
    lang: req.lang,
    ...(req.details ? { details: req.details } : {}),
    ...(req.unverified ? { unverified: req.unverified } : {}),
  };
  let files: Published['files'];
  let archived: Published['archived'] = [];
  if (req.outputDir) {
    await mkdir(req.outputDir, { recursive: true });
    files = { markdown: join(req.outputDir, 'report.md'), json: join(req.outputDir, 'report.json') };
    // report.md is written before the archive (it goes in it) and again after, with the archive's links.
    await writeFile(files.markdown, renderMarkdown(report, { ...options, maxChars: 1_000_000 }));
    await writeFile(files.json, renderJson(report));
    if (req.figures) {
      files.html = join(req.outputDir, 'report.html');
      await writeFile(files.html, await renderHtml(report, req.figures, { lang: req.lang }));
    }
    if (req.shard) await writeFile(join(req.outputDir, 'shard.json'), `${JSON.stringify(req.shard)}\n`);
    archived = await archiveDir(req.outputDir, req.archives ?? [], progress);
    if (archived.length > 0) options.archives = archived;
  }
  // The report file and the summary are the whole report; only the comment is cut to GitHub's limit.
  const full = renderMarkdown(report, { ...options, maxChars: 1_000_000 });
  if (files && archived.length > 0) await writeFile(files.markdown, full);

  const comment = req.comment ? await writeComment(req.comment, req, options) : 'skipped (no pull request)';
  if (req.comment) progress.info(`PR comment: ${comment}`);
  await job.summary(comment === 'forbidden' ? `> [!WARNING]\n> ${PERMISSIONS_HINT}\n\n${full}` : full);
  if (comment === 'forbidden') job.annotate('warning', PERMISSIONS_HINT, { title: 'paddle-perf-gate: no PR comment' });
  if (req.annotate && !req.claimed) annotate(report, job, req.annotateFile);
  // Said once here for both entries; the report's "Baseline:" line says it to readers of the comment.
  if (report.promotion && !req.claimed) progress.info(report.promotion.message);

  if (!req.claimed) {
    job.output('verdict', report.verdict);
    job.output('regressions', String(report.regressions));
  }
  if (files) {
    job.output('report-path', files.markdown);
    job.output('comparison-json', files.json);
    if (files.html) job.output('report-html', files.html);
    job.output('baseline-commit', report.models.find((m) => m.baseline)?.baseline?.commit ?? '');
  }
  job.output('comment', comment);
  // true, false, or failed: a promoting run whose promotion could not happen; a fork's claims promote nothing.
  job.output('promoted', req.claimed ? 'false' : report.promotion?.done ? 'true' : report.promotion?.failed ? 'failed' : 'false');

  if (!req.claimed && req.alerts && req.alerts.notifiers.length > 0 && shouldNotify(req.alerts.on, report)) {
    const sent = await notifyAll(req.alerts.notifiers, report, full, progress);
    if (sent.length > 0) progress.info(`alerts sent: ${sent.join(', ')}`);
  }
  return { ...(files ? { files } : {}), comment, archived };
}

async function writeComment(
  target: NonNullable<PublishRequest['comment']>,
  req: PublishRequest,
  options: MarkdownOptions,
): Promise<string> {
  if ('skipped' in target) return `skipped (${target.skipped})`;
  const { port, mode, marker } = target;
  const plan = commentPlan(mode, req.report);
  if (plan === 'skip') return 'skipped (comment: off)';
  const body = renderMarkdown(req.report, { ...options, marker, maxChars: COMMENT_LIMIT - 200 });
  try {
    return plan === 'upsert' ? await port.upsertComment(marker, body) : await port.updateExisting(marker, body);
  } catch (error) {
    // Anything else (5xx, network) is also not the gate's business: warn and carry on.
    req.progress.warn(`PR comment not written: ${error instanceof Error ? error.message : String(error)}`);
    return 'error';
  }
}

function annotate(report: GateReport, job: JobPort, file: string | undefined): void {
  // Pointing at gate.yml puts the annotation in the PR's "Files changed" when the config changed.
  const where = file !== undefined ? { file } : {};
  for (const model of report.models) {
    const c = model.comparison;
    for (const row of c.rows) {
      if (row.band !== 'fail' && row.band !== 'warn') continue;
      const text = `${c.model} · ${row.label}: ${changeText(row)}${row.reason ? ` — ${row.reason}` : ''}`;
      job.annotate(row.band === 'fail' ? 'error' : 'warning', text, {
        title: `${report.gate}: ${row.band === 'fail' ? 'regression' : 'warning'}`,
        ...where,
      });
    }
    if (c.verdict === 'incomparable' || c.verdict === 'unreadable' || c.verdict === 'inconclusive') {
      job.annotate('warning', `${c.model}: ${c.reason}`, { title: `${report.gate}: ${c.verdict}`, ...where });
    }
  }
}
