/**
 * The one sticky PR comment per gate. Found by its hidden marker AND its author, across all
 * pages of comments; updated in place, created only when missing, left alone when unchanged.
 * A read-only token (fork PRs, `permissions:` without `pull-requests: write`) answers 403/404:
 * that is reported as 'forbidden', never thrown, so it cannot fail the gate by itself.
 *
 * Which author is "ours":
 * - GET /user works for personal access tokens and app user tokens: then only comments whose
 *   user.login equals that login count.
 * - The workflow's GITHUB_TOKEN and GitHub App installation tokens get 403 ("Resource not
 *   accessible by integration") on GET /user. Such a token always posts as a bot
 *   (`github-actions[bot]` or `<app>[bot]`, user.type 'Bot'), and no human account can have
 *   type 'Bot', so: only Bot-authored comments count, and among them `github-actions[bot]`
 *   is preferred. The marker must also open the body (a human quoting it gets "> " first).
 */
import { getOctokit } from '@actions/github';
import type { GitHubPort } from '../ports.js';

/** GitHub rejects issue comments longer than this many characters. */
export const COMMENT_LIMIT = 65_536;
const ACTIONS_BOT = 'github-actions[bot]';

export interface GitHubPortOptions {
  token: string;
  owner: string;
  repo: string;
  issueNumber: number;
  /** REST root, e.g. `${GITHUB_API_URL}`; defaults to GitHub.com's. */
  baseUrl?: string;
}

interface IssueComment {
  id: number;
  body?: string | null;
  user: { login: string; type?: string } | null;
}

/** The marker is report/'s: one definition for the renderer and the finder. */
export { commentMarker } from '../report/index.js';

/** Puts the marker first and keeps the body under GitHub's limit (a backstop: report/ cuts nicely). */
export function commentBody(marker: string, body: string, limit = COMMENT_LIMIT): string {
  const trimmed = body.startsWith(marker) ? body.slice(marker.length).replace(/^\n/, '') : body;
  const full = `${marker}\n${trimmed}`;
  if (full.length <= limit) return full;
  const note =
    '\n\n_… cut to fit GitHub’s 65,536-character comment limit; the full report is in the job summary and the report artifact._\n';
  let cut = full.slice(0, limit - note.length);
  const lastLine = cut.lastIndexOf('\n');
  if (lastLine > marker.length) cut = cut.slice(0, lastLine);
  // An open <details> would swallow the note.
  const opened = (cut.match(/<details>/g) ?? []).length - (cut.match(/<\/details>/g) ?? []).length;
  const closing = opened > 0 ? '\n</details>'.repeat(opened) : '';
  return (cut.slice(0, limit - note.length - closing.length) + closing + note).slice(0, limit);
}

function sameBody(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').trimEnd();
  return norm(a) === norm(b);
}

function status(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null)?.status;
  return typeof value === 'number' ? value : undefined;
}

function isForbidden(error: unknown): boolean {
  const code = status(error);
  return code === 401 || code === 403 || code === 404;
}

class GitHubComments implements GitHubPort {
  private readonly octokit: ReturnType<typeof getOctokit>;
  /** undefined: not asked yet; null: the token cannot tell (installation token). */
  private identity: string | null | undefined;

  constructor(private readonly options: GitHubPortOptions) {
    this.octokit = getOctokit(options.token, options.baseUrl ? { baseUrl: options.baseUrl } : {});
  }

  /** The login the token acts as, or null when GET /user is refused. */
  private async login(): Promise<string | null> {
    if (this.identity !== undefined) return this.identity;
    try {
      const { data } = await this.octokit.rest.users.getAuthenticated();
      this.identity = data.login;
    } catch (error) {
      if (!isForbidden(error)) throw error;
      this.identity = null;
    }
    return this.identity;
  }

  /** Our existing comment for `marker`, if any. Throws Octokit's RequestError (status) on trouble. */
  async find(marker: string): Promise<IssueComment | undefined> {
    const { owner, repo, issueNumber } = this.options;
    const comments = (await this.octokit.paginate(this.octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: issueNumber,
      per_page: 100,
    })) as IssueComment[];
    const marked = comments.filter((c) => (c.body ?? '').trimStart().startsWith(marker));
    if (marked.length === 0) return undefined;
    const login = await this.login();
    if (login !== null) return marked.find((c) => c.user?.login === login);
    const bots = marked.filter((c) => c.user?.type === 'Bot');
    return bots.find((c) => c.user?.login === ACTIONS_BOT) ?? bots[0];
  }

  async upsertComment(marker: string, body: string): Promise<'created' | 'updated' | 'unchanged' | 'forbidden'> {
    return this.write(marker, body, true) as Promise<'created' | 'updated' | 'unchanged' | 'forbidden'>;
  }

  /** Updates our comment when there is one; never creates (comment modes on-change/on-regression). */
  async updateExisting(marker: string, body: string): Promise<'updated' | 'unchanged' | 'absent' | 'forbidden'> {
    return this.write(marker, body, false) as Promise<'updated' | 'unchanged' | 'absent' | 'forbidden'>;
  }

  async read(marker: string): Promise<string | undefined> {
    try {
      return (await this.find(marker))?.body ?? undefined;
    } catch (error) {
      if (isForbidden(error)) return undefined;
      throw error;
    }
  }

  private async write(
    marker: string,
    body: string,
    create: boolean,
  ): Promise<'created' | 'updated' | 'unchanged' | 'absent' | 'forbidden'> {
    const { owner, repo, issueNumber } = this.options;
    const text = commentBody(marker, body);
    try {
      const existing = await this.find(marker);
      if (existing) {
        if (sameBody(existing.body ?? '', text)) return 'unchanged';
        await this.octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body: text });
        return 'updated';
      }
      if (!create) return 'absent';
      await this.octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: text });
      return 'created';
    } catch (error) {
      if (isForbidden(error)) return 'forbidden';
      throw error;
    }
  }
}

export function createGitHubPort(options: GitHubPortOptions): GitHubPort {
  return new GitHubComments(options);
}
