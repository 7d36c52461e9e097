import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineWant } from '../../src/stores/git.js';

let root: string;
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  }).trim();
async function commit(cwd: string, name: string): Promise<string> {
  await writeFile(join(cwd, name), name);
  git(cwd, 'add', name);
  git(cwd, 'commit', '-q', '-m', name);
  return git(cwd, 'rev-parse', 'HEAD');
}

let main: string[] = [];
let repo: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ppg-git-'));
  repo = join(root, 'repo');
  git(root, 'init', '-q', '-b', 'main', repo);
  main = [await commit(repo, 'm1'), await commit(repo, 'm2')];
  git(repo, 'checkout', '-q', '-b', 'feature/x');
  await commit(repo, 'f1');
  git(repo, 'checkout', '-q', 'main');
  main.push(await commit(repo, 'm3'));
  // A merge on main: first-parent history must not wander into the merged branch.
  git(repo, 'checkout', '-q', '-b', 'side', main[1]!);
  await commit(repo, 's1');
  git(repo, 'checkout', '-q', 'main');
  git(repo, 'merge', '-q', '--no-ff', '-m', 'merge side', 'side');
  main.push(git(repo, 'rev-parse', 'HEAD'));
  git(repo, 'checkout', '-q', 'feature/x');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('baselineWant', () => {
  it('starts at the merge-base of a PR, newest first', async () => {
    const want = await baselineWant({ cwd: repo, defaultBranch: 'main', baseRef: 'main' });
    expect(want).toEqual({ commits: [main[1], main[0]], branch: 'main', mergeBase: main[1] });
  });

  it('on the default branch itself follows first parents only, up to maxCommits', async () => {
    const want = await baselineWant({ cwd: repo, defaultBranch: 'main', baseRef: 'main', headRef: 'main', maxCommits: 3 });
    expect(want.commits).toEqual([main[3], main[2], main[1]]);
  });

  it.each([
    ['no such base ref', { baseRef: 'origin/main' }, /base ref 'origin\/main' is not in this checkout.*fetch-depth: 0/],
    ['not a git directory', { cwd: '/' }, /no git history at \//],
  ])('%s: falls back to the branch pointer and says why', async (_what, extra, reason) => {
    const want = await baselineWant({ cwd: repo, defaultBranch: 'main', ...extra });
    expect(want.commits).toEqual([]);
    expect(want.branch).toBe('main');
    expect(want.reason).toMatch(reason);
  });

  it('a shallow clone without the merge-base says "fetch-depth: 0"', async () => {
    const shallow = join(root, 'shallow');
    git(root, 'clone', '-q', '--depth', '1', '--branch', 'feature/x', `file://${repo}`, shallow);
    git(shallow, 'fetch', '-q', '--depth', '1', 'origin', 'main:refs/remotes/origin/main');
    const want = await baselineWant({ cwd: shallow, defaultBranch: 'main' });
    expect(want.commits).toEqual([]);
    expect(want.reason).toMatch(/shallow: use actions\/checkout with fetch-depth: 0/);
  });
});
