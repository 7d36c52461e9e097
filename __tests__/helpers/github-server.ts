/**
 * A small real HTTP server with the GitHub REST routes the action uses, so the real Octokit
 * client (and the bundled action) talk to it exactly as to api.github.com:
 *   GET  /user                                   (403 for installation tokens, like GITHUB_TOKEN)
 *   POST /graphql  `viewer { login }`             (answers every token, installation tokens included, with the bot's login)
 *   GET  /repos/:o/:r/issues/:n/comments          (per_page, page, Link: rel="next"/"last")
 *   POST /repos/:o/:r/issues/:n/comments
 *   PATCH /repos/:o/:r/issues/comments/:id        (only the comment's author may edit: 403 otherwise)
 *   GET  /repos/:o/:r/pulls/:n                     (the PRs added with addPull, with author and labels; 404 otherwise)
 *   GET  /repos/:o/:r/collaborators/:user/permission (from `permissions`; 404 for an unknown login)
 *   GET  /repos/:o/:r/commits/:sha/pulls           (the merged PR added with addMerge, and the open PRs whose head is :sha)
 *   POST /repos/:o/:r/statuses/:sha                (kept in `statuses`)
 * `deny` switches every comment route (or only writes) to 403/404, as for a fork PR's token.
 * Connections are kept alive, as GitHub's are; `dropNext(n)` makes the server close the
 * connection of the next n requests without answering — what a client sees when GitHub closes
 * an idle keep-alive connection under a request it has just written (ECONNRESET, "other side
 * closed").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Account {
  login: string;
  type: 'User' | 'Bot';
  /** Installation tokens (GITHUB_TOKEN, GitHub Apps) cannot call GET /user. */
  installation: boolean;
}

export interface StoredComment {
  id: number;
  issue: number;
  repo: string;
  body: string;
  user: { login: string; id: number; type: 'User' | 'Bot' };
  created_at: string;
  updated_at: string;
}

export interface StoredPull {
  number: number;
  repo: string;
  headSha: string;
  /** owner/name of the head's repository (a fork's for a fork PR); null: the fork was deleted. */
  headRepo: string | null;
  /** The PR author's login (default 'contributor'). */
  author?: string;
  /** The base commit (default 'base0000'). */
  baseSha?: string;
  labels?: string[];
}

/** A commit status as the REST API took it. */
export interface StoredStatus {
  repo: string;
  sha: string;
  state: string;
  context: string;
  description: string;
}

/** A repository role, as `role_name`; `permission` is GitHub's legacy field (maintain → write, triage → read). */
export type Role = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface RequestLog {
  method: string;
  path: string;
  status: number;
}

export class GitHubServer {
  readonly comments: StoredComment[] = [];
  readonly pulls: StoredPull[] = [];
  readonly requests: RequestLog[] = [];
  readonly statuses: StoredStatus[] = [];
  /** login → role on every repository of this server. */
  readonly permissions = new Map<string, Role>();
  /** commit → the PR it merged (GET /repos/:o/:r/commits/:sha/pulls). */
  private readonly merges = new Map<string, { repo: string; number: number }>();
  /** token → account. */
  readonly accounts = new Map<string, Account>();
  deny: { status: 403 | 404; scope: 'writes' | 'all' } | undefined;
  /** Requests whose connection the server closes without answering (dropNext): how many, and of which method. */
  private drops: { n: number; method: string | undefined } = { n: 0, method: undefined };
  /** What the dropped requests were (method and path). */
  readonly dropped: RequestLog[] = [];
  private nextId = 1000;
  private server: Server | undefined;
  url = '';

  constructor() {
    this.accounts.set('ghs_actions_token', { login: 'github-actions[bot]', type: 'Bot', installation: true });
    this.accounts.set('ghp_personal_token', { login: 'perf-bot-user', type: 'User', installation: false });
    this.accounts.set('ghp_other_human', { login: 'reviewer', type: 'User', installation: false });
  }

  /** The connection of each of the next `n` requests (of `method`, when given) is closed without an answer. */
  dropNext(n = 1, method?: string): void {
    this.drops = { n, method };
  }

  async start(): Promise<string> {
    this.server = createServer({ keepAlive: true }, (req, res) => {
      if (this.drops.n > 0 && (this.drops.method === undefined || this.drops.method === req.method)) {
        this.drops.n--;
        this.dropped.push({ method: req.method ?? '', path: req.url ?? '', status: 0 });
        req.socket.destroy();
        return;
      }
      void this.handle(req, res);
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Adds a comment as if `token`'s account (or a given author) wrote it. */
  seed(repo: string, issue: number, body: string, user: { login: string; type: 'User' | 'Bot' }): StoredComment {
    const now = new Date().toISOString();
    const comment: StoredComment = { id: this.nextId++, issue, repo, body, user: { ...user, id: 1 }, created_at: now, updated_at: now };
    this.comments.push(comment);
    return comment;
  }

  /** Adds PR `pull.number`, or replaces it (a push moves its head). */
  addPull(pull: StoredPull): void {
    const i = this.pulls.findIndex((p) => p.repo === pull.repo && p.number === pull.number);
    if (i >= 0) this.pulls.splice(i, 1, pull);
    else this.pulls.push(pull);
  }

  addMerge(repo: string, commit: string, number: number): void {
    this.merges.set(commit, { repo, number });
  }

  commentsOn(repo: string, issue: number): StoredComment[] {
    return this.comments.filter((c) => c.repo === repo && c.issue === issue);
  }

  private send(res: ServerResponse, req: IncomingMessage, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', status });
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const auth = req.headers.authorization ?? '';
    const token = auth.replace(/^(token|bearer)\s+/i, '');
    const account = this.accounts.get(token);
    if (!account) return this.send(res, req, 401, { message: 'Bad credentials' });

    if (req.method === 'POST' && url.pathname === '/graphql') {
      const query = String((JSON.parse(raw || '{}') as { query?: unknown }).query ?? '');
      if (!/\bviewer\s*\{[^}]*\blogin\b/.test(query)) return this.send(res, req, 200, { errors: [{ message: 'unsupported query' }] });
      return this.send(res, req, 200, { data: { viewer: { login: account.login } } });
    }

    if (req.method === 'GET' && url.pathname === '/user') {
      if (account.installation) return this.send(res, req, 403, { message: 'Resource not accessible by integration' });
      return this.send(res, req, 200, { login: account.login, id: 7, type: account.type });
    }

    const pull = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/);
    if (pull && req.method === 'GET') {
      const repo = `${pull[1]}/${pull[2]}`;
      const found = this.pulls.find((p) => p.repo === repo && p.number === Number(pull[3]));
      if (!found) return this.send(res, req, 404, { message: 'Not Found' });
      const repoJson = (fullName: string) => ({
        full_name: fullName,
        name: fullName.split('/')[1],
        owner: { login: fullName.split('/')[0] },
      });
      return this.send(res, req, 200, {
        number: found.number,
        state: 'open',
        title: `PR ${found.number}`,
        html_url: `https://github.com/${repo}/pull/${found.number}`,
        head: { sha: found.headSha, ref: 'feature', repo: found.headRepo === null ? null : repoJson(found.headRepo) },
        base: { sha: found.baseSha ?? 'base0000', ref: 'develop', repo: repoJson(repo) },
        user: { login: found.author ?? 'contributor', type: 'User' },
        labels: (found.labels ?? []).map((name, i) => ({ id: i + 1, name, color: 'ededed' })),
      });
    }

    const permission = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)\/permission$/);
    if (permission && req.method === 'GET') {
      const login = decodeURIComponent(permission[3]!);
      const role = this.permissions.get(login);
      if (role === undefined) return this.send(res, req, 404, { message: `${login} is not a user` });
      const legacy = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
      return this.send(res, req, 200, { permission: legacy, role_name: role, user: { login, type: 'User' } });
    }

    const merged = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/pulls$/);
    if (merged && req.method === 'GET') {
      const found = this.merges.get(merged[3]!);
      const repo = `${merged[1]}/${merged[2]}`;
      const out: unknown[] = [];
      if (found && found.repo === repo) {
        const pull = this.pulls.find((p) => p.repo === repo && p.number === found.number);
        out.push({
          number: found.number,
          state: 'closed',
          merged_at: new Date().toISOString(),
          html_url: `https://github.com/${repo}/pull/${found.number}`,
          user: { login: pull?.author ?? 'contributor', type: 'User' },
          head: { sha: pull?.headSha ?? '' },
        });
      }
      // Open PRs whose head is this commit (GitHub lists them too).
      for (const p of this.pulls) {
        if (p.repo !== repo || p.headSha !== merged[3] || (found && found.number === p.number)) continue;
        out.push({
          number: p.number,
          state: 'open',
          merged_at: null,
          html_url: `https://github.com/${repo}/pull/${p.number}`,
          user: { login: p.author ?? 'contributor', type: 'User' },
          head: { sha: p.headSha },
        });
      }
      return this.send(res, req, 200, out);
    }

    const status = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/);
    if (status && req.method === 'POST') {
      if (this.deny && this.deny.scope !== undefined)
        return this.send(res, req, 403, { message: 'Resource not accessible by integration' });
      const body = JSON.parse(raw) as { state?: unknown; context?: unknown; description?: unknown };
      if (!['error', 'failure', 'pending', 'success'].includes(String(body.state))) {
        return this.send(res, req, 422, { message: 'Validation Failed: state' });
      }
      const stored: StoredStatus = {
        repo: `${status[1]}/${status[2]}`,
        sha: status[3]!,
        state: String(body.state),
        context: String(body.context ?? 'default'),
        description: String(body.description ?? ''),
      };
      this.statuses.push(stored);
      return this.send(res, req, 201, { id: this.statuses.length, ...stored });
    }

    const list = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/);
    const edit = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/);
    const write = req.method !== 'GET';
    if ((list || edit) && this.deny && (this.deny.scope === 'all' || write)) {
      const message = this.deny.status === 403 ? 'Resource not accessible by integration' : 'Not Found';
      return this.send(res, req, this.deny.status, { message });
    }

    if (list && req.method === 'GET') {
      const repo = `${list[1]}/${list[2]}`;
      const issue = Number(list[3]);
      const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      const all = this.commentsOn(repo, issue);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const items = all.slice((page - 1) * perPage, page * perPage);
      const link = (p: number) => {
        const u = new URL(url.toString());
        u.searchParams.set('page', String(p));
        u.searchParams.set('per_page', String(perPage));
        return u.toString();
      };
      const links: string[] = [];
      if (page < last) links.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
      if (page > 1) links.push(`<${link(1)}>; rel="first"`, `<${link(page - 1)}>; rel="prev"`);
      return this.send(res, req, 200, items, links.length ? { link: links.join(', ') } : {});
    }

    if (list && req.method === 'POST') {
      const body = (JSON.parse(raw) as { body?: unknown }).body;
      if (typeof body !== 'string' || body.length === 0) return this.send(res, req, 422, { message: 'Validation Failed: body' });
      if (body.length > 65_536) return this.send(res, req, 422, { message: 'Body is too long (maximum is 65536 characters)' });
      const comment = this.seed(`${list[1]}/${list[2]}`, Number(list[3]), body, account);
      return this.send(res, req, 201, comment);
    }

    if (edit && req.method === 'PATCH') {
      const comment = this.comments.find((c) => c.id === Number(edit[3]));
      if (!comment) return this.send(res, req, 404, { message: 'Not Found' });
      if (comment.user.login !== account.login) return this.send(res, req, 403, { message: 'Must have admin rights to Repository.' });
      const body = (JSON.parse(raw) as { body?: unknown }).body;
      if (typeof body !== 'string') return this.send(res, req, 422, { message: 'Validation Failed: body' });
      if (body.length > 65_536) return this.send(res, req, 422, { message: 'Body is too long (maximum is 65536 characters)' });
      comment.body = body;
      comment.updated_at = new Date(Date.now() + 1).toISOString();
      return this.send(res, req, 200, comment);
    }

    return this.send(res, req, 404, { message: `Not Found: ${req.method} ${url.pathname}` });
  }
}

export async function startGitHubServer(): Promise<GitHubServer> {
  const server = new GitHubServer();
  await server.start();
  return server;
}
