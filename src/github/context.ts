/**
 * What the workflow run is about, read from the variables and the event payload GitHub gives
 * every action. A pure function over (env, payload) so tests feed real payload shapes; the
 * loader only reads GITHUB_EVENT_PATH.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';

export type EventKind = 'pull_request' | 'push' | 'local';

export interface PullRequestInfo {
  number: number;
  headSha: string;
  headRef: string;
  baseSha: string;
  baseRef: string;
  /** Head lives in another repository: the token is read-only there (see README, "Troubleshooting"). */
  fork: boolean;
  url: string;
  title: string;
  /** The PR author's login ('' when the payload lacks it). */
  author: string;
  /** Names of the labels on the PR when the event was sent. */
  labels: string[];
}

/** What a `labeled`/`unlabeled` PR event or an `issue_comment` event says (acceptance on the PR, issue 15). */
export type AcceptanceEvent =
  | { kind: 'label'; action: 'labeled' | 'unlabeled'; label: string; by: string }
  | { kind: 'comment'; id: number; body: string; by: string; at: string; issue: number; onPullRequest: boolean };

/** The run a `workflow_run` event is about (the fork pattern's first half); every field from GitHub, not from the run. */
export interface WorkflowRunInfo {
  id: number;
  /** The event that started that run, e.g. 'pull_request'. */
  event: string;
  headSha: string;
  /** owner/name of the repository the run's head commit came from (the fork for a fork PR). */
  headRepo: string;
  headBranch: string;
  url: string;
}

export interface EventContext {
  /** GITHUB_EVENT_NAME as given ('' outside Actions). */
  eventName: string;
  kind: EventKind;
  owner: string;
  repo: string;
  /** The commit that was checked out and measured (for pull_request: GitHub's merge commit). */
  commit: string;
  /** The branch this run belongs to (for a PR: its head branch). */
  branch: string;
  defaultBranch: string;
  pr?: PullRequestInfo;
  /** A push to the default branch: where `promote: auto` writes the baseline. */
  defaultBranchPush: boolean;
  /** Link to this run's log, for messages. */
  runUrl?: string;
  /** Only for a workflow_run event. */
  workflowRun?: WorkflowRunInfo;
  /** A label added/removed on the PR, or a new comment on an issue or PR. */
  acceptanceEvent?: AcceptanceEvent;
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const PR_EVENTS = new Set(['pull_request', 'pull_request_target']);

/**
 * This workflow run's attempt (GITHUB_RUN_ATTEMPT: 2 for the first "Re-run jobs", …); 1 outside
 * Actions or when unset. Artifact names are unique within a run across its attempts.
 */
export function runAttempt(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['GITHUB_RUN_ATTEMPT'] || '1');
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** The event context from the Actions variables and the parsed event payload. */
export function eventContext(env: NodeJS.ProcessEnv, payload: Json): EventContext {
  const eventName = env['GITHUB_EVENT_NAME'] ?? '';
  const repository = obj(payload['repository']);
  const fullName = str(env['GITHUB_REPOSITORY']) ?? str(repository?.['full_name']) ?? '';
  const [owner = '', repo = ''] = fullName.split('/');
  const defaultBranch = str(repository?.['default_branch']) ?? str(repository?.['master_branch']) ?? 'main';
  const ref = env['GITHUB_REF'] ?? '';
  const refBranch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : '';
  const server = str(env['GITHUB_SERVER_URL']) ?? 'https://github.com';
  const runId = str(env['GITHUB_RUN_ID']);
  const runUrl = runId && fullName ? `${server}/${fullName}/actions/runs/${runId}` : undefined;

  if (!eventName) {
    return {
      eventName,
      kind: 'local',
      owner,
      repo,
      commit: env['GITHUB_SHA'] ?? '',
      branch: refBranch,
      defaultBranch,
      defaultBranchPush: false,
      ...(runUrl !== undefined && { runUrl }),
    };
  }

  if (PR_EVENTS.has(eventName)) {
    const pull = obj(payload['pull_request']);
    const head = obj(pull?.['head']);
    const base = obj(pull?.['base']);
    const number = pull?.['number'] ?? payload['number'];
    if (typeof number !== 'number' || !Number.isInteger(number) || number <= 0) {
      throw new ConfigError(
        `GITHUB_EVENT_PATH: a ${eventName} event payload must have pull_request.number (a positive integer); got ${JSON.stringify(number)}`,
      );
    }
    const headRepo = str(obj(head?.['repo'])?.['full_name']);
    const baseRepo = str(obj(base?.['repo'])?.['full_name']) ?? fullName;
    const headSha = str(head?.['sha']) ?? env['GITHUB_SHA'] ?? '';
    const headRef = str(head?.['ref']) ?? str(env['GITHUB_HEAD_REF']) ?? '';
    return {
      eventName,
      kind: 'pull_request',
      owner,
      repo,
      // pull_request checks out the merge commit (GITHUB_SHA); pull_request_target checks out the base.
      commit: env['GITHUB_SHA'] || headSha,
      branch: headRef,
      defaultBranch,
      pr: {
        number,
        headSha,
        headRef,
        baseSha: str(base?.['sha']) ?? '',
        baseRef: str(base?.['ref']) ?? str(env['GITHUB_BASE_REF']) ?? defaultBranch,
        fork: headRepo !== undefined && headRepo !== baseRepo,
        url: str(pull?.['html_url']) ?? `${server}/${fullName}/pull/${number}`,
        title: str(pull?.['title']) ?? `#${number}`,
        author: str(obj(pull?.['user'])?.['login']) ?? '',
        labels: labelNames(pull?.['labels']),
      },
      defaultBranchPush: false,
      ...(runUrl !== undefined && { runUrl }),
      ...labelEvent(payload),
    };
  }

  // push, workflow_dispatch, schedule, merge_group…: a run on a branch without a PR to comment on.
  const commit = (eventName === 'push' ? str(payload['after']) : undefined) ?? env['GITHUB_SHA'] ?? '';
  const workflowRun = eventName === 'workflow_run' ? workflowRunInfo(payload) : undefined;
  const comment = eventName === 'issue_comment' ? commentEvent(payload) : undefined;
  return {
    eventName,
    kind: 'push',
    owner,
    repo,
    commit,
    branch: refBranch,
    defaultBranch,
    // Only a real push lands code on the default branch; a manual or scheduled run never promotes by itself.
    defaultBranchPush: eventName === 'push' && refBranch !== '' && refBranch === defaultBranch,
    ...(runUrl !== undefined && { runUrl }),
    ...(workflowRun ? { workflowRun } : {}),
    ...(comment ? { acceptanceEvent: comment } : {}),
  };
}

function labelNames(value: unknown): string[] {
  return Array.isArray(value) ? value.map((l) => str(obj(l)?.['name'])).filter((n): n is string => n !== undefined) : [];
}

function labelEvent(payload: Json): { acceptanceEvent?: AcceptanceEvent } {
  const action = payload['action'];
  const label = str(obj(payload['label'])?.['name']);
  const by = str(obj(payload['sender'])?.['login']);
  if ((action !== 'labeled' && action !== 'unlabeled') || !label || !by) return {};
  return { acceptanceEvent: { kind: 'label', action, label, by } };
}

/** A new comment (edits and deletions are not commands: an edited comment could rewrite history). */
function commentEvent(payload: Json): AcceptanceEvent | undefined {
  const comment = obj(payload['comment']);
  const issue = obj(payload['issue']);
  const id = comment?.['id'];
  const number = issue?.['number'];
  const by = str(obj(comment?.['user'])?.['login']);
  if (payload['action'] !== 'created' || typeof id !== 'number' || typeof number !== 'number' || !by) return undefined;
  return {
    kind: 'comment',
    id,
    body: typeof comment?.['body'] === 'string' ? comment['body'] : '',
    by,
    at: str(comment?.['created_at']) ?? '',
    issue: number,
    onPullRequest: obj(issue?.['pull_request']) !== undefined,
  };
}

function workflowRunInfo(payload: Json): WorkflowRunInfo {
  const run = obj(payload['workflow_run']);
  const id = run?.['id'];
  const headSha = str(run?.['head_sha']);
  const headRepo = str(obj(run?.['head_repository'])?.['full_name']);
  if (!run || typeof id !== 'number' || !headSha || !headRepo) {
    throw new ConfigError(
      'GITHUB_EVENT_PATH: a workflow_run event payload must have workflow_run.id, workflow_run.head_sha and workflow_run.head_repository.full_name',
    );
  }
  return {
    id,
    event: str(run['event']) ?? '',
    headSha,
    headRepo,
    headBranch: str(run['head_branch']) ?? '',
    url: str(run['html_url']) ?? '',
  };
}

/** Reads GITHUB_EVENT_PATH (when set) and builds the context. */
export async function loadEventContext(env: NodeJS.ProcessEnv = process.env): Promise<EventContext> {
  const path = env['GITHUB_EVENT_PATH'];
  let payload: Json = {};
  if (path) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`GITHUB_EVENT_PATH ${path}: cannot read the event payload (${(error as Error).message})`);
    }
    try {
      payload = obj(JSON.parse(text)) ?? {};
    } catch (error) {
      throw new ConfigError(`GITHUB_EVENT_PATH ${path}: not JSON (${(error as Error).message})`);
    }
  }
  return eventContext(env, payload);
}
