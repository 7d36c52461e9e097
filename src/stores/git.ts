/**
 * Which baseline a run wants: the merge-base of HEAD and the base ref, then its first-parent
 * ancestors, newest first. Comparing with the merge-base (not "the newest baseline") is what
 * keeps a PR from being judged against commits it does not contain.
 */
import { execFile } from 'node:child_process';
import type { BaselineWant } from '../types.js';
import { counted } from '../plural.js';

export interface BaselineWantOptions {
  cwd: string;
  defaultBranch: string;
  /** The base side: a PR's base sha, or origin/<default> (the default). */
  baseRef?: string;
  headRef?: string;
  /** Ancestors to try, the merge-base included (default 50). */
  maxCommits?: number;
}

/** `reason` is set when the list is empty or cut short, and says how to fix it. */
export type BaselineWantResult = BaselineWant & { mergeBase?: string; reason?: string };

/** `git ARGS` in `cwd`: its trimmed stdout, or an Error carrying git's last stderr line. The one git runner of the product. */
export function git(cwd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, timeout: timeoutMs, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (error) {
          const e = error as NodeJS.ErrnoException;
          reject(
            Object.assign(new Error(e.code === 'ENOENT' ? 'git is not installed' : (stderr.trim().split('\n').pop() ?? e.message)), {
              code: e.code,
            }),
          );
        } else resolve(stdout.trim());
      },
    );
  });
}

export async function baselineWant(opts: BaselineWantOptions): Promise<BaselineWantResult> {
  const base = opts.baseRef ?? `origin/${opts.defaultBranch}`;
  const head = opts.headRef ?? 'HEAD';
  const max = Math.max(1, opts.maxCommits ?? 50);
  const fallback = (reason: string): BaselineWantResult => ({ commits: [], branch: opts.defaultBranch, reason });

  let shallow = false;
  try {
    shallow = (await git(opts.cwd, ['rev-parse', '--is-shallow-repository'])) === 'true';
  } catch (error) {
    return fallback(
      `no git history at ${opts.cwd} (${(error as Error).message}); using the newest baseline of branch '${opts.defaultBranch}'`,
    );
  }
  const hint = shallow ? ' — the checkout is shallow: use actions/checkout with fetch-depth: 0' : '';
  let mergeBase: string;
  try {
    await git(opts.cwd, ['rev-parse', '--verify', '--quiet', `${base}^{commit}`]);
  } catch {
    return fallback(
      `base ref '${base}' is not in this checkout${hint || ' (fetch it, e.g. actions/checkout with fetch-depth: 0)'}; using the newest baseline of branch '${opts.defaultBranch}'`,
    );
  }
  try {
    mergeBase = await git(opts.cwd, ['merge-base', head, base]);
  } catch (error) {
    return fallback(
      `no merge-base of ${head} and ${base} (${(error as Error).message})${hint}; using the newest baseline of branch '${opts.defaultBranch}'`,
    );
  }
  const list = await git(opts.cwd, ['rev-list', '--first-parent', `--max-count=${max}`, mergeBase]);
  const commits = list.split('\n').filter((s) => /^[0-9a-f]{40,64}$/.test(s));
  const result: BaselineWantResult = { commits, branch: opts.defaultBranch, mergeBase };
  if (shallow && commits.length < max)
    result.reason = `only ${counted(commits.length, 'ancestor', 'ancestors')} of the merge-base are in this shallow checkout${hint}`;
  return result;
}

/**
 * Ancestry from the checkout: true when `ancestor` is an ancestor of (or equal to) `descendant`,
 * false when it is not, undefined when git cannot tell (a commit missing from a shallow checkout,
 * no git at all); then the store orders by time and says so.
 */
export function gitAncestry(cwd: string): (ancestor: string, descendant: string) => Promise<boolean | undefined> {
  return async (ancestor, descendant) => {
    if (!/^[0-9a-f]{7,64}$/i.test(ancestor) || !/^[0-9a-f]{7,64}$/i.test(descendant)) return undefined;
    try {
      await git(cwd, ['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch (error) {
      return (error as { code?: unknown }).code === 1 ? false : undefined;
    }
  };
}
