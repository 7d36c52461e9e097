/**
 * The one GitHub client of the action (issue 25): Octokit as @actions/github makes it (proxy,
 * user agent), plus
 * - a retry of idempotent requests that died on a closed connection: GitHub (and proxies) close
 *   idle keep-alive connections, and a request written on one just as it closes fails with
 *   ECONNRESET / "socket hang up" / "other side closed" without reaching the server. GET, HEAD,
 *   PUT, PATCH and DELETE are retried (our PATCHes send whole bodies, so a repeat changes
 *   nothing), the read-only GraphQL query and commit statuses (the same state twice is one
 *   state); a POST that creates a comment is not repeated blindly — comment.ts looks whether it
 *   was made first;
 * - the identity the token posts as (`tokenLogin`), resolved, never guessed:
 *   GET /user answers a personal access token or an app's user token; an installation token
 *   (the workflow's GITHUB_TOKEN, a GitHub App's) gets 403 "Resource not accessible by
 *   integration" there and GET /app needs the app's JWT, but GraphQL `viewer` answers it with
 *   the bot's login (`github-actions[bot]`, `<app-slug>[bot]`). When neither answers, there is no
 *   identity: no comment is taken as ours (nothing is read from one), never "any Bot account".
 */
import { getOctokit } from '@actions/github';

export type Octokit = ReturnType<typeof getOctokit>;

export interface ClientTarget {
  token: string;
  /** REST root, e.g. `${GITHUB_API_URL}`; defaults to GitHub.com's. */
  baseUrl?: string;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']);
const RETRIES = 3;

/** A request that failed before any answer because the connection closed under it. */
export function closedConnection(error: unknown): boolean {
  const e = error as { status?: unknown; response?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object' || e.response !== undefined) return false;
  const texts: string[] = [];
  let at: unknown = e;
  for (let depth = 0; at && typeof at === 'object' && depth < 4; depth++) {
    const x = at as { message?: unknown; code?: unknown; cause?: unknown };
    texts.push(String(x.message ?? ''), String(x.code ?? ''));
    at = x.cause;
  }
  return /ECONNRESET|socket hang up|other side closed|UND_ERR_SOCKET|EPIPE|ECONNABORTED/i.test(texts.join(' '));
}

function retryable(options: { method?: string; url?: string }): boolean {
  const method = (options.method ?? 'GET').toUpperCase();
  // The viewer query reads; a commit status posted twice leaves the same state on the commit.
  return IDEMPOTENT.has(method) || (method === 'POST' && /\/graphql$|\/statuses\/[^/]+$/.test(options.url ?? ''));
}

/** The client for `target`, retrying idempotent requests on a closed connection. */
export function githubClient(target: ClientTarget): Octokit {
  const octokit = getOctokit(target.token, target.baseUrl ? { baseUrl: target.baseUrl } : {});
  octokit.hook.wrap('request', async (request, options) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request(options);
      } catch (error) {
        if (attempt >= RETRIES || !retryable(options) || !closedConnection(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  });
  return octokit;
}

function status(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null)?.status;
  return typeof value === 'number' ? value : undefined;
}

const identities = new Map<string, Promise<string | undefined>>();

/**
 * The login `target`'s token posts comments as, or undefined when GitHub does not say (asked once
 * per token and API). Errors other than "this token may not ask" are thrown.
 */
export function tokenLogin(target: ClientTarget): Promise<string | undefined> {
  const key = `${target.baseUrl ?? ''}\u0000${target.token}`;
  let found = identities.get(key);
  if (!found) {
    found = resolveLogin(githubClient(target));
    identities.set(key, found);
    found.catch(() => identities.delete(key));
  }
  return found;
}

async function resolveLogin(octokit: Octokit): Promise<string | undefined> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch (error) {
    const code = status(error);
    if (code !== 401 && code !== 403 && code !== 404) throw error;
  }
  try {
    const data = await octokit.graphql<{ viewer?: { login?: unknown } }>('query { viewer { login } }');
    const login = data.viewer?.login;
    return typeof login === 'string' && login !== '' ? login : undefined;
  } catch (error) {
    // The server's trouble is thrown; a refusal or GraphQL errors in the answer mean the token cannot say who it is.
    if (closedConnection(error) || (status(error) ?? 0) >= 500) throw error;
    return undefined;
  }
}
