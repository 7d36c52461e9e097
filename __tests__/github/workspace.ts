/** What the end-to-end action tests share about their workspace: git in it, label files, a comment as read. */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** `git ARGS` in `cwd` with a fixed author, its output trimmed. */
export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  }).trim();
}

/**
 * The first `n` lines of a 0/180 classifier label file, with a writer of variants: the lines for
 * which `keep(i)` is false get the other class (an accuracy drop that no timing can make).
 */
export async function labelFlipper(file: string, n: number): Promise<(keep: (i: number) => boolean) => string> {
  const labels = (await readFile(file, 'utf8')).split('\n').filter(Boolean).slice(0, n);
  return (keep) =>
    labels.map((line, i) => (keep(i) ? line : line.replace(/ ([01])$/, (_m, c: string) => (c === '0' ? ' 1' : ' 0')))).join('\n') + '\n';
}

/** Markdown as a reader sees it: entities decoded, invisible joiners dropped. */
export function decoded(body: string): string {
  return body
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replaceAll('\u2060', '');
}
