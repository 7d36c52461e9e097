/**
 * Acceptance on the PR (issues 15, 25): who said "this regression is on purpose", read from GitHub.
 * - a label (input `accept-label`, default perf-gate:accept) added by someone, or a new comment
 *   `/perf-gate accept <head> <metrics|all> <reason>` naming the PR head its giver saw (the bot's
 *   comment shows the command for the current head, ready to copy); a comment naming another
 *   head, or none, is refused with the exact command for the head the PR has now;
 * - the person must have write, maintain or admin permission (GET
 *   /repos/{owner}/{repo}/collaborators/{user}/permission); the PR's author may not accept alone
 *   unless `accept-by-author: true`;
 * - an acceptance is recorded (hidden) on the second line of the gate's own PR comment — the
 *   comment whose author is the token's identity (github/client.ts), and only that line — where
 *   the next run reads it back. Every record names the PR, the head and the giver, and its
 *   giver's permission is asked again each time it is used: a giver who lost it, a record of
 *   another PR, a malformed one are dropped with a warning. Removing the label withdraws the
 *   label's acceptances. compare/accept.ts decides which failing rows they cover.
 * Only the event this run was started by can add an acceptance: a push never picks one up by
 * itself, so an acceptance always names the head its giver saw.
 */
import { acceptanceFromComment, acceptCommand, commentMarker } from '../report/index.js';
import { countsText, verdictWord, type Lang } from '../text/index.js';
import type { AcceptanceRecord, AcceptanceRefusal, AcceptanceState, GateReport, ReasonPart } from '../types.js';
import { githubClient, type Octokit } from './client.js';
import { createGitHubPort } from './comment.js';
import type { AcceptanceEvent, PullRequestInfo } from './context.js';
import type { PullRequestTarget } from './from-artifact.js';

export interface AcceptSettings {
  /** The label that accepts every failing row of the head it was added on. */
  label: string;
  /** Whether the PR's author may accept their own PR. */
  byAuthor: boolean;
}

const COMMAND = /^\/perf-gate\s+accept\b/i;
const SHA = /^[0-9a-f]{7,40}$/i;
const METRICS = /^[A-Za-z][A-Za-z0-9._-]*(,[A-Za-z][A-Za-z0-9._-]*)*$/;
/** A reason is a sentence or two, not an essay: the comment and the manifest keep it whole. */
const MAX_REASON = 500;

export interface AcceptCommand {
  /** The head commit (7 to 40 hex digits) the giver accepts; absent in the old form without it. */
  head?: string;
  metrics: string[] | 'all';
  reason: string;
}

/**
 * `/perf-gate accept <head> <metrics|all> <reason>` → the head, the metrics and the reason;
 * undefined when the comment is no command; { error } when it is one but malformed. The head may
 * be left out (the form before issue 25): the command is then understood but refused with the
 * exact command for the PR's head (gatherAcceptance).
 */
export function parseAcceptCommand(body: string): AcceptCommand | { error: string } | undefined {
  const text = body.trim();
  const head = COMMAND.exec(text);
  if (!head) return undefined;
  const words = text.slice(head[0].length).trim();
  const [first = '', rest = ''] = splitWord(words);
  const named = SHA.test(first) ? first.toLowerCase() : undefined;
  const [metrics, tail] = named !== undefined ? splitWord(rest) : [first, rest];
  const reason = tail.replace(/\s+/g, ' ').trim();
  if (metrics === '') return { error: 'no metrics named' };
  if (metrics.toLowerCase() !== 'all' && !METRICS.test(metrics)) {
    return { error: `"${metrics.slice(0, 40)}" is not a metric list such as latency.p50,accuracy or all` };
  }
  if (reason === '') return { error: 'no reason given' };
  if (reason.length > MAX_REASON) return { error: `the reason is longer than ${MAX_REASON} characters` };
  return { ...(named !== undefined ? { head: named } : {}), metrics: metrics.toLowerCase() === 'all' ? 'all' : metrics.split(','), reason };
}

function splitWord(text: string): [string, string] {
  const t = text.trim();
  const space = t.search(/\s/);
  return space < 0 ? [t, ''] : [t.slice(0, space), t.slice(space)];
}

function status(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null)?.status;
  return typeof value === 'number' ? value : undefined;
}

/** undefined when `login` may accept on this PR (its permission as GitHub has it now), else why not. */
async function refusal(
  octokit: Octokit,
  target: PullRequestTarget,
  pr: Pick<PullRequestInfo, 'author'>,
  login: string,
  settings: AcceptSettings,
): Promise<ReasonPart | undefined> {
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

/** The records an earlier run hid on the second line of our PR comment under `marker` (malformed ones are dropped). */
export function recordsFromComment(body: string | undefined, marker: string): AcceptanceRecord[] {
  return body === undefined ? [] : acceptanceFromComment(body, marker).filter(isRecord);
}

export interface Warn {
  (message: string): void;
}

/**
 * The records of our comment that still hold: of this PR, and given by someone who may accept
 * on it now (asked again: permissions change). The others are refused (shown) and warned about.
 */
async function stillValid(
  octokit: Octokit,
  target: PullRequestTarget,
  pr: Pick<PullRequestInfo, 'number' | 'author'>,
  records: AcceptanceRecord[],
  settings: AcceptSettings,
  warn: Warn,
): Promise<{ records: AcceptanceRecord[]; refused: AcceptanceRefusal[] }> {
  const kept: AcceptanceRecord[] = [];
  const refused: AcceptanceRefusal[] = [];
  const asked = new Map<string, Promise<ReasonPart | undefined>>();
  for (const r of records) {
    if (r.pr !== pr.number) {
      warn(`acceptance: a record in the gate's comment on PR #${pr.number} names PR #${r.pr}: ignored`);
      continue;
    }
    const key = r.by.toLowerCase();
    if (!asked.has(key)) asked.set(key, refusal(octokit, target, pr, r.by, settings));
    const why = await asked.get(key)!;
    if (why) {
      warn(`acceptance by @${r.by} (${r.via}) on PR #${pr.number} is no longer counted: ${why.key}`);
      refused.push({ by: r.by, via: r.via, why });
    } else kept.push(r);
  }
  return { records: kept, refused };
}

/**
 * The acceptance state of a PR run: the records of earlier runs (from our comment, each giver
 * asked again), less the label's when the label is gone, plus what this run's own event gives,
 * permission checked and bound to the head the giver named.
 */
export async function gatherAcceptance(opts: {
  target: PullRequestTarget;
  pr: PullRequestInfo;
  event: AcceptanceEvent | undefined;
  settings: AcceptSettings;
  /** Our comment's body as the last run left it, and its marker. */
  previous: string | undefined;
  marker: string;
  now: Date;
  warn?: Warn;
}): Promise<AcceptanceState> {
  const { target, pr, event, settings } = opts;
  const warn = opts.warn ?? (() => {});
  const octokit = githubClient(target);
  const labelOn = pr.labels.includes(settings.label);
  const earlier = recordsFromComment(opts.previous, opts.marker).filter((r) => r.via !== 'label' || labelOn);
  const checked = await stillValid(octokit, target, pr, earlier, settings, warn);
  let records = checked.records;
  const refused: AcceptanceRefusal[] = [...checked.refused];
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
      const exact = acceptCommand(pr.headSha, command.metrics === 'all' ? 'all' : command.metrics.join(','), command.reason);
      const why: ReasonPart | undefined =
        command.head === undefined
          ? { key: 'accept.why.noHead', args: { head: pr.headSha.slice(0, 12), command: exact } }
          : !pr.headSha.toLowerCase().startsWith(command.head)
            ? { key: 'accept.why.moved', args: { named: command.head, head: pr.headSha.slice(0, 12), command: exact } }
            : await refusal(octokit, target, pr, event.by, settings);
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

/**
 * The acceptance records of the PR a push on the default branch merged: read from the gate's
 * own comment on that PR (the trusted comment first, then the unverified one of a fork's PR),
 * each giver's permission asked again. Undefined when the commit merged no PR or none hold.
 */
export async function mergedAcceptance(opts: {
  target: PullRequestTarget;
  commit: string;
  gate: string;
  unverifiedMarker: string;
  settings: AcceptSettings;
  warn: Warn;
  info: (message: string) => void;
}): Promise<AcceptanceState | undefined> {
  const { target, commit, gate } = opts;
  const merged = await mergedPullRequest(target, commit);
  if (merged === undefined) return undefined;
  const port = createGitHubPort({ ...target, issueNumber: merged.number, warn: opts.warn });
  let records: AcceptanceRecord[] = [];
  for (const marker of [commentMarker(gate), opts.unverifiedMarker]) {
    records = recordsFromComment(await port.read(marker), marker);
    if (records.length > 0) break;
  }
  if (records.length === 0) return undefined;
  const checked = await stillValid(githubClient(target), target, merged, records, opts.settings, opts.warn);
  if (checked.records.length > 0)
    opts.info(`acceptance: ${checked.records.length} recorded on PR #${merged.number}, which this commit merged`);
  return checked.records.length > 0 ? { pr: merged.number, head: commit, records: checked.records, refused: [] } : undefined;
}

/** The merged PR a commit on the default branch came from (GET /repos/{o}/{r}/commits/{sha}/pulls), or undefined. */
async function mergedPullRequest(target: PullRequestTarget, commit: string): Promise<{ number: number; author: string } | undefined> {
  const { data } = await githubClient(target).rest.repos.listPullRequestsAssociatedWithCommit({
    owner: target.owner,
    repo: target.repo,
    commit_sha: commit,
  });
  const pr = data.find((p) => p.merged_at);
  return pr ? { number: pr.number, author: pr.user?.login ?? '' } : undefined;
}

/**
 * The gate's commit status on the PR head (context `paddle-perf-gate/<gate>`): success unless the
 * verdict fails the gate. A run started by a comment runs on the default branch, so its job is no
 * check of the PR's head; this status is, whatever started the run.
 *
 * Statuses belong to a commit, not to a PR (README, "Commit statuses"): when another open PR has
 * the same head and the gate's own comment there says ❌, this head is never set green — the
 * status says failure and names that PR. A status that an acceptance turned green names its PR.
 */
export async function postCommitStatus(
  target: PullRequestTarget,
  pr: number,
  sha: string,
  report: Pick<GateReport, 'gate' | 'verdict' | 'regressions' | 'warnings' | 'inconclusive' | 'accepted'>,
  failed: boolean,
  lang: Lang,
  markers: string[] = [commentMarker(report.gate)],
): Promise<{ state: 'success' | 'failure'; description: string }> {
  const octokit = githubClient(target);
  let state: 'success' | 'failure' = failed ? 'failure' : 'success';
  let description = `${verdictWord(lang, report.verdict)} — ${countsText(lang, report)}`;
  if ((report.accepted ?? 0) > 0) description = `PR #${pr}: ${description}`;
  if (state === 'success') {
    const red = await redElsewhere(target, pr, sha, markers);
    if (red !== undefined) {
      state = 'failure';
      description = `PR #${red} has this head and its comment says ❌; ${description}`;
    }
  }
  // GitHub keeps 140 characters of a status description.
  const cut = description.length > 140 ? `${description.slice(0, 139)}…` : description;
  await octokit.rest.repos.createCommitStatus({
    owner: target.owner,
    repo: target.repo,
    sha,
    state,
    context: `paddle-perf-gate/${report.gate}`,
    description: cut,
  });
  return { state, description: cut };
}

/** Another open PR whose head is `sha` and whose gate comment (ours) says ❌, if any. */
async function redElsewhere(target: PullRequestTarget, pr: number, sha: string, markers: string[]): Promise<number | undefined> {
  let data: Array<{ number: number; state: string; head?: { sha?: string } }>;
  try {
    ({ data } = await githubClient(target).rest.repos.listPullRequestsAssociatedWithCommit({
      owner: target.owner,
      repo: target.repo,
      commit_sha: sha,
    }));
  } catch (error) {
    // A commit GitHub does not list PRs for (only in a fork, 422/404) has no other PR to ask.
    const code = (error as { status?: unknown }).status;
    if (code === 404 || code === 422) return undefined;
    throw error;
  }
  for (const other of data) {
    if (other.number === pr || other.state !== 'open' || other.head?.sha?.toLowerCase() !== sha.toLowerCase()) continue;
    const port = createGitHubPort({ ...target, issueNumber: other.number });
    for (const marker of markers) {
      const body = await port.read(marker);
      if (body !== undefined && verdictOf(body) === '❌') return other.number;
    }
  }
  return undefined;
}

/** The emoji of a gate comment's verdict line (`### ❌ gate — …`, the first heading we write). */
function verdictOf(body: string): string | undefined {
  const line = body.split('\n').find((l) => l.startsWith('### '));
  return line?.slice(4).split(' ')[0];
}
