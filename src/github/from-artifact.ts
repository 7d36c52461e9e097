/**
 * `mode: comment-from-artifact`: the privileged half of the fork pattern. A `workflow_run`
 * workflow (base repository's code, a write token) downloads the artifact of the PR's measuring
 * run and posts the comment. On a PR from a fork everything in that artifact was written by the
 * PR's author (their code and their copy of the workflow), so it is read as untrusted data:
 * - report.json is validated against the report schema and the comment is rendered here from
 *   it; no markdown from the artifact is ever posted;
 * - the PR number it names is only a claim: that PR's head commit and head repository must be the
 *   ones of the workflow run that made the artifact (from the event payload, written by GitHub),
 *   or nothing is posted and the step stops with exit 2;
 * - the comment says the figures are unverified, under its own marker (a trusted run's comment
 *   for the same gate is never overwritten), and the mode never promotes, alerts or fails on the
 *   claimed verdict: its check is not the PR's required check.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, GateError } from '../errors.js';
import { renderMarkdown, t, type Lang } from '../report/index.js';
import { validateReport } from '../report/schema.js';
import type { GateReport } from '../types.js';
import { githubClient } from './client.js';
import { COMMENT_LIMIT, commentMarker } from './comment.js';
import type { PullRequestInfo, WorkflowRunInfo } from './context.js';
import { counted } from '../plural.js';

/** The artifact does not belong to the PR it names: nothing is posted. */
class RefusedError extends GateError {}

/** Files the measuring workflow puts in the artifact (examples/workflows/fork-pr-measure.yml). */
const ARTIFACT_FILES = { report: 'report.json', prNumber: 'pr-number' } as const;
/** A report of a few models is some hundred kB; anything far bigger is not one. */
const MAX_REPORT_BYTES = 32 * 1024 * 1024;

export interface Artifact {
  prNumber: number;
  report: GateReport;
}

async function regularFile(path: string, what: string, maxBytes: number): Promise<string> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    throw new ConfigError(`${what}: ${path} not found in the artifact (the measuring workflow writes it; see fork-pr-measure.yml)`);
  }
  // download-artifact writes plain files; anything else (a link to a runner file) is not ours to read.
  if (!info.isFile()) throw new ConfigError(`${what}: ${path} is not a regular file`);
  if (info.size > maxBytes)
    throw new ConfigError(`${what}: ${path} is ${counted(info.size, 'byte', 'bytes')}, more than the ${maxBytes} allowed`);
  return readFile(path, 'utf8');
}

/** Reads and validates the artifact's PR number and report.json; errors name the file and field. */
export async function readArtifact(dir: string): Promise<Artifact> {
  try {
    if (!(await lstat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new ConfigError(
      `input \`artifact-dir\`: ${dir} is not a directory (where actions/download-artifact put the measuring run's files)`,
    );
  }
  const prPath = join(dir, ARTIFACT_FILES.prNumber);
  const prText = await regularFile(prPath, `artifact ${ARTIFACT_FILES.prNumber}`, 64);
  const digits = /^\s*([1-9][0-9]{0,9})\s*$/.exec(prText);
  if (!digits) {
    throw new ConfigError(
      `artifact ${ARTIFACT_FILES.prNumber} (${prPath}): expected a PR number (digits only); got ${JSON.stringify(prText.slice(0, 40))}`,
    );
  }
  const reportPath = join(dir, ARTIFACT_FILES.report);
  const text = await regularFile(reportPath, `artifact ${ARTIFACT_FILES.report}`, MAX_REPORT_BYTES);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${reportPath}: not JSON (${(error as Error).message})`);
  }
  return { prNumber: Number(digits[1]), report: validateReport(doc, reportPath) };
}

export interface PullRequestTarget {
  token: string;
  owner: string;
  repo: string;
  baseUrl?: string;
}

interface PullData {
  number: number;
  html_url: string;
  title: string;
  head: { sha: string; ref: string; repo: { full_name: string } | null };
  base: { sha: string; ref: string; repo: { full_name: string } | null };
  user?: { login: string } | null;
  labels?: Array<{ name?: string }>;
}

function status(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null)?.status;
  return typeof value === 'number' ? value : undefined;
}

/**
 * Fetches PR `number` of this repository and checks that its head is the commit and repository
 * the workflow run measured; returns it, or throws RefusedError saying what differs.
 */
export async function verifyPullRequest(target: PullRequestTarget, number: number, run: WorkflowRunInfo): Promise<PullRequestInfo> {
  const pr = await fetchPullRequest(target, number, 'the artifact names');
  const sameSha = pr.headSha.toLowerCase() === run.headSha.toLowerCase();
  const sameRepo = pr.headRepo.toLowerCase() === run.headRepo.toLowerCase();
  if (!sameSha || !sameRepo) {
    throw new RefusedError(
      `the artifact names PR #${number}, whose head is ${pr.headSha.slice(0, 12)} in ${pr.headRepo}, but workflow run ${run.id} measured ` +
        `${run.headSha.slice(0, 12)} in ${run.headRepo}: the artifact does not belong to that PR, nothing posted`,
    );
  }
  const { headRepo: _repo, ...info } = pr;
  return info;
}

/** PR `number` of this repository as GitHub has it now (an issue_comment event carries no head commit). */
export async function fetchPullRequest(
  target: PullRequestTarget,
  number: number,
  who = 'the event names',
): Promise<PullRequestInfo & { headRepo: string }> {
  const octokit = githubClient(target);
  const where = `${target.owner}/${target.repo}`;
  let pull: PullData;
  try {
    pull = (await octokit.rest.pulls.get({ owner: target.owner, repo: target.repo, pull_number: number })).data;
  } catch (error) {
    const code = status(error);
    if (code === 404) throw new RefusedError(`${who} PR #${number}, which is not a pull request of ${where}: nothing posted`);
    if (code === 401 || code === 403) {
      throw new ConfigError(
        `input \`github-token\`: cannot read PR #${number} of ${where} (HTTP ${code}); the workflow needs permissions: pull-requests: write`,
      );
    }
    throw error;
  }
  const headRepo = pull.head.repo?.full_name ?? '(deleted repository)';
  return {
    number: pull.number,
    headSha: pull.head.sha,
    headRef: pull.head.ref,
    headRepo,
    baseSha: pull.base.sha,
    baseRef: pull.base.ref,
    fork: headRepo.toLowerCase() !== (pull.base.repo?.full_name ?? where).toLowerCase(),
    url: pull.html_url,
    title: pull.title,
    author: pull.user?.login ?? '',
    labels: (pull.labels ?? []).map((l) => l.name ?? '').filter((n) => n !== ''),
  };
}

/** Its own marker: an unverified comment never replaces a trusted run's comment for the same gate. */
export function artifactMarker(gate: string): string {
  return commentMarker(`${gate}:unverified`);
}

/** What the comment shows: the validated report less any claimed promotion, with the "not verified" notice on top. */
export function artifactView(
  report: GateReport,
  run: WorkflowRunInfo,
  lang: Lang,
): { report: GateReport; unverified: { runId: number; url?: string }; details: string[] } {
  // This mode never promotes: a claim of promotion in the artifact is not repeated.
  const { promotion: _claimed, ...shown } = report;
  const url = run.url !== '' ? run.url : undefined;
  return {
    report: shown,
    unverified: { runId: run.id, ...(url ? { url } : {}) },
    details: url ? [t(lang, 'artifact.details', { url })] : [],
  };
}

/** The comment, rendered here from the validated report, with the "not verified" notice on top. */
export function renderArtifactComment(report: GateReport, run: WorkflowRunInfo, lang: Lang, maxChars = COMMENT_LIMIT - 200): string {
  const view = artifactView(report, run, lang);
  return renderMarkdown(view.report, {
    lang,
    marker: artifactMarker(report.gate),
    unverified: view.unverified,
    details: view.details,
    maxChars,
  });
}
