/**
 * The one sticky PR comment per gate. Found by its hidden marker (the body's whole first line)
 * AND its author, across all pages of comments; updated in place, created only when missing,
 * left alone when unchanged. A read-only token (fork PRs, `permissions:` without
 * `pull-requests: write`) answers 403/404: that is reported as 'forbidden', never thrown, so it
 * cannot fail the gate by itself.
 *
 * "Ours" is the identity the token posts as, resolved through the API (github/client.ts
 * tokenLogin: GET /user, else GraphQL `viewer` for installation tokens such as GITHUB_TOKEN):
 * only comments whose author has exactly that login count. Another account's comment with the
 * same marker — a bot's included — is never ours; when GitHub does not say who the token is,
 * no comment is.
 */
import type { GitHubPort } from '../ports.js';
import { closedConnection, githubClient, tokenLogin, type Octokit } from './client.js';
import { counted } from '../plural.js';

/** GitHub rejects issue comments longer than this many characters. */
export const COMMENT_LIMIT = 65_536;

export interface GitHubPortOptions {
  token: string;
  owner: string;
  repo: string;
  issueNumber: number;
  /** REST root, e.g. `${GITHUB_API_URL}`; defaults to GitHub.com's. */
  baseUrl?: string;
  /** Told about comments that carry the marker but are not the gate's own (ignored). */
  warn?: (message: string) => void;
}

export interface IssueComment {
  id: number;
  body?: string | null;
  user: { login: string; type?: string } | null;
  updated_at?: string;
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

function firstLine(body: string): string {
  const end = body.indexOf('\n');
  return (end < 0 ? body : body.slice(0, end)).replace(/\r$/, '');
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
  private readonly octokit: Octokit;

  constructor(private readonly options: GitHubPortOptions) {
    this.octokit = githubClient(options);
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
    const marked = comments.filter((c) => firstLine(c.body ?? '') === marker);
    if (marked.length === 0) return undefined;
    const login = await tokenLogin(this.options);
    const ours = login === undefined ? undefined : marked.find((c) => c.user?.login === login);
    const foreign = marked.filter((c) => c !== ours);
    if (foreign.length > 0) {
      const who = [...new Set(foreign.map((c) => `@${c.user?.login ?? '(deleted)'}`))].join(', ');
      this.options.warn?.(
        `#${issueNumber}: ${counted(foreign.length, 'comment', 'comments')} with the gate's marker by ${who} ignored: ${
          login === undefined ? 'GitHub does not say who the token is' : `the gate posts as @${login}`
        }`,
      );
    }
    return ours;
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
      try {
        await this.octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: text });
      } catch (error) {
        // The connection closed under the POST: the comment may or may not exist now. Look, then write once more.
        if (!closedConnection(error)) throw error;
        const made = await this.find(marker);
        if (made) {
          if (!sameBody(made.body ?? '', text))
            await this.octokit.rest.issues.updateComment({ owner, repo, comment_id: made.id, body: text });
        } else await this.octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: text });
      }
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
