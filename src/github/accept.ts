/**
 * Acceptance on the PR (issue 15): who said "this regression is on purpose", read from GitHub.
 * - a label (input `accept-label`, default perf-gate:accept) added by someone, or a new comment
 *   `/perf-gate accept <metrics|all> <reason>`;
 * - the person must have write, maintain or admin permission (GET
 *   /repos/{owner}/{repo}/collaborators/{user}/permission); the PR's author may not accept alone
 *   unless `accept-by-author: true`;
 * - an acceptance is bound to the PR head of the event that gave it, and recorded (hidden) in the
 *   gate's PR comment, where the next run reads it back; removing the label withdraws the label's
 *   acceptances. compare/accept.ts decides which failing rows they cover.
 * Only the event this run was started by can add an acceptance: a push never picks one up by
 * itself, so an acceptance always names the head its giver saw.
 */
import { getOctokit } from '@actions/github';
import { acceptanceFromComment } from '../report/index.js';
import { countsText, verdictWord, type Lang } from '../text/index.js';
import type { AcceptanceRecord, AcceptanceRefusal, AcceptanceState, GateReport } from '../types.js';
import type { AcceptanceEvent, PullRequestInfo } from './context.js';
import type { PullRequestTarget } from './from-artifact.js';

export interface AcceptSettings {
  /** The label that accepts every failing row of the head it was added on. */
  label: string;
  /** Whether the PR's author may accept their own PR. */
  byAuthor: boolean;
}

const COMMAND = /^\/perf-gate\s+accept\b/i;
const METRICS = /^[A-Za-z][A-Za-z0-9._-]*(,[A-Za-z][A-Za-z0-9._-]*)*$/;
/** A reason is a sentence or two, not an essay: the comment and the manifest keep it whole. */
const MAX_REASON = 500;

/**
 * `/perf-gate accept <metrics|all> <reason>` → the metrics and the reason; undefined when the
 * comment is no command; { error } when it is one but malformed.
 */
export function parseAcceptCommand(body: string): { metrics: string[] | 'all'; reason: string } | { error: string } | undefined {
  const text = body.trim();
  const head = COMMAND.exec(text);
  if (!head) return undefined;
  const rest = text.slice(head[0].length).trim();
  const space = rest.search(/\s/);
  const first = space < 0 ? rest : rest.slice(0, space);
  const reason = (space < 0 ? '' : rest.slice(space)).replace(/\s+/g, ' ').trim();
  if (first === '') return { error: 'no metrics named' };
  if (first.toLowerCase() !== 'all' && !METRICS.test(first)) {
    return { error: `"${first.slice(0, 40)}" is not a metric list such as latency.p50,accuracy or all` };
  }
  if (reason === '') return { error: 'no reason given' };
  if (reason.length > MAX_REASON) return { error: `the reason is longer than ${MAX_REASON} characters` };
  return { metrics: first.toLowerCase() === 'all' ? 'all' : first.split(','), reason };
}

type Octokit = ReturnType<typeof getOctokit>;

function status(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null)?.status;
  return typeof value === 'number' ? value : undefined;
}

/** undefined when `login` may accept on this PR, else why not. */
async function refusal(octokit: Octokit, target: PullRequestTarget, pr: PullRequestInfo, login: string, settings: AcceptSettings) {
  if (!settings.byAuthor && pr.author !== '' && login.toLowerCase() === pr.author.toLowerCase()) {
    return { key: 'accept.why.author', args: { by: `@${login}` } };
  }
  let permission: string;
  let role = '';
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: target.owner, repo: target.repo, username: login });
    permission = data.permission;
    role = (data as { role_name?: string }).role_name ?? '';
  } catch (error) {
    // Not a collaborator at all.
    if (status(error) === 404) permission = 'none';
    else return { key: 'accept.why.unknown', args: { by: `@${login}`, message: error instanceof Error ? error.message : String(error) } };
  }
  const writer = ['admin', 'write'].includes(permission) || ['admin', 'maintain', 'write'].includes(role);
  return writer ? undefined : { key: 'accept.why.permission', args: { by: `@${login}`, permission: role || permission } };
}

function isRecord(value: unknown): value is AcceptanceRecord {
  const r = value as Partial<AcceptanceRecord> | null;
  return (
    r !== null &&
    typeof r === 'object' &&
    typeof r.by === 'string' &&
    typeof r.at === 'string' &&
    typeof r.reason === 'string' &&
    (r.via === 'label' || r.via === 'comment') &&
    typeof r.sha === 'string' &&
    typeof r.pr === 'number' &&
    (r.metrics === 'all' || (Array.isArray(r.metrics) && r.metrics.every((m) => typeof m === 'string'))) &&
    Array.isArray(r.rows) &&
    r.rows.every((x) => typeof x === 'object' && x !== null && typeof x.model === 'string' && typeof x.metric === 'string')
  );
}

/** The records an earlier run hid in our PR comment (malformed ones are dropped). */
export function recordsFromComment(body: string | undefined): AcceptanceRecord[] {
  return body === undefined ? [] : acceptanceFromComment(body).filter(isRecord);
}

/**
 * The acceptance state of a PR run: the records of earlier runs (from our comment), less the
 * label's when the label is gone, plus what this run's own event gives, permission checked.
 */
export async function gatherAcceptance(opts: {
  target: PullRequestTarget;
  pr: PullRequestInfo;
  event: AcceptanceEvent | undefined;
  settings: AcceptSettings;
  /** Our comment's body as the last run left it. */
  previous: string | undefined;
  now: Date;
}): Promise<AcceptanceState> {
  const { target, pr, event, settings } = opts;
  const octokit = getOctokit(target.token, target.baseUrl ? { baseUrl: target.baseUrl } : {});
  const labelOn = pr.labels.includes(settings.label);
  let records = recordsFromComment(opts.previous).filter((r) => r.pr === pr.number && (r.via !== 'label' || labelOn));
  const refused: AcceptanceRefusal[] = [];
  const add = (record: AcceptanceRecord) => {
    // One acceptance per person, way and head: a second one replaces the first.
    records = [...records.filter((r) => !(r.by === record.by && r.via === record.via && r.sha === record.sha)), record];
  };

  if (event?.kind === 'label' && event.action === 'labeled' && event.label === settings.label && labelOn) {
    const why = await refusal(octokit, target, pr, event.by, settings);
    if (why) refused.push({ by: event.by, via: 'label', why });
    else {
      add({
        by: event.by,
        at: opts.now.toISOString(),
        reason: `label ${settings.label}`,
        via: 'label',
        sha: pr.headSha,
        pr: pr.number,
        metrics: 'all',
        rows: [],
      });
    }
  }
  if (event?.kind === 'comment' && event.onPullRequest && event.issue === pr.number) {
    const command = parseAcceptCommand(event.body);
    if (command && 'error' in command) {
      refused.push({ by: event.by, via: 'comment', why: { key: 'accept.why.command', args: { message: command.error } } });
    } else if (command) {
      const why = await refusal(octokit, target, pr, event.by, settings);
      if (why) refused.push({ by: event.by, via: 'comment', why });
      else {
        add({
          by: event.by,
          at: event.at || opts.now.toISOString(),
          reason: command.reason,
          via: 'comment',
          sha: pr.headSha,
          pr: pr.number,
          metrics: command.metrics,
          rows: [],
        });
      }
    }
  }
  return { pr: pr.number, head: pr.headSha, records, refused };
}

/** The merged PR a commit on the default branch came from (GET /repos/{o}/{r}/commits/{sha}/pulls), or undefined. */
export async function mergedPullRequest(target: PullRequestTarget, commit: string): Promise<number | undefined> {
  const octokit = getOctokit(target.token, target.baseUrl ? { baseUrl: target.baseUrl } : {});
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
    owner: target.owner,
    repo: target.repo,
    commit_sha: commit,
  });
  return data.find((p) => p.merged_at)?.number;
}

/**
 * The gate's commit status on the PR head (context `paddle-perf-gate/<gate>`): success unless the
 * verdict fails the gate. A run started by a comment runs on the default branch, so its job is no
 * check of the PR's head; this status is, whatever started the run.
 */
export async function postCommitStatus(
  target: PullRequestTarget,
  sha: string,
  report: Pick<GateReport, 'gate' | 'verdict' | 'regressions' | 'warnings' | 'inconclusive' | 'accepted'>,
  failed: boolean,
  lang: Lang,
): Promise<void> {
  const octokit = getOctokit(target.token, target.baseUrl ? { baseUrl: target.baseUrl } : {});
  const description = `${verdictWord(lang, report.verdict)} — ${countsText(lang, report)}`;
  await octokit.rest.repos.createCommitStatus({
    owner: target.owner,
    repo: target.repo,
    sha,
    state: failed ? 'failure' : 'success',
    context: `paddle-perf-gate/${report.gate}`,
    // GitHub keeps 140 characters of a status description.
    description: description.length > 140 ? `${description.slice(0, 139)}…` : description,
  });
}
