import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventContext, loadEventContext } from '../../src/github/context.js';
import { ConfigError } from '../../src/errors.js';
import { pullRequestPayload, pushPayload, workflowRunPayload } from './payloads.js';

const base = { GITHUB_REPOSITORY: 'paddle/ocr', GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '42' };

describe('eventContext', () => {
  it.each([
    {
      name: 'pull_request from a branch of the same repo',
      env: { ...base, GITHUB_EVENT_NAME: 'pull_request', GITHUB_REF: 'refs/pull/7/merge', GITHUB_SHA: 'merge7' },
      payload: pullRequestPayload({ number: 7 }),
      want: { kind: 'pull_request', commit: 'merge7', branch: 'feature/faster', defaultBranch: 'develop', defaultBranchPush: false },
      pr: { number: 7, headSha: 'head0000', baseSha: 'base0000', baseRef: 'develop', fork: false },
    },
    {
      name: 'pull_request from a fork',
      env: { ...base, GITHUB_EVENT_NAME: 'pull_request', GITHUB_SHA: 'merge9' },
      payload: pullRequestPayload({ number: 9, fork: true }),
      want: { kind: 'pull_request', commit: 'merge9' },
      pr: { number: 9, fork: true },
    },
    {
      name: 'pull_request_target',
      env: { ...base, GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_SHA: 'base0000' },
      payload: pullRequestPayload({ number: 3 }),
      want: { kind: 'pull_request', commit: 'base0000' },
      pr: { number: 3 },
    },
    {
      name: 'push to the default branch',
      env: { ...base, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/develop', GITHUB_SHA: 'after123' },
      payload: pushPayload('refs/heads/develop', 'after123'),
      want: { kind: 'push', commit: 'after123', branch: 'develop', defaultBranch: 'develop', defaultBranchPush: true },
    },
    {
      name: 'push to another branch',
      env: { ...base, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/release/3.0', GITHUB_SHA: 'r1' },
      payload: pushPayload('refs/heads/release/3.0', 'r1'),
      want: { kind: 'push', branch: 'release/3.0', defaultBranchPush: false },
    },
    {
      name: 'push of a tag',
      env: { ...base, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1', GITHUB_SHA: 't1' },
      payload: pushPayload('refs/tags/v1', 't1'),
      want: { kind: 'push', branch: '', defaultBranchPush: false },
    },
    {
      name: 'workflow_dispatch on the default branch never counts as a push',
      env: { ...base, GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF: 'refs/heads/develop', GITHUB_SHA: 'd1' },
      payload: { repository: { full_name: 'paddle/ocr', default_branch: 'develop' } },
      want: { kind: 'push', branch: 'develop', defaultBranchPush: false, commit: 'd1' },
    },
    {
      name: 'outside Actions',
      env: {},
      payload: {},
      want: { kind: 'local', defaultBranch: 'main', defaultBranchPush: false },
    },
  ])('$name', ({ env, payload, want, pr }) => {
    const ctx = eventContext(env, payload);
    expect(ctx).toMatchObject(want);
    if (pr) expect(ctx.pr).toMatchObject(pr);
    else expect(ctx.pr).toBeUndefined();
  });

  it('names the field when a pull_request payload has no number', () => {
    expect(() => eventContext({ GITHUB_EVENT_NAME: 'pull_request' }, { pull_request: {} })).toThrow(/pull_request\.number/);
  });

  it('links the run', () => {
    expect(eventContext({ ...base, GITHUB_EVENT_NAME: 'push' }, {}).runUrl).toBe('https://github.com/paddle/ocr/actions/runs/42');
  });
});

describe('loadEventContext', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ppg-ctx-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('reads GITHUB_EVENT_PATH', async () => {
    const dir = await tempDir();
    const file = join(dir, 'event.json');
    await writeFile(file, JSON.stringify(pullRequestPayload({ number: 12 })));
    const ctx = await loadEventContext({ ...base, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: file });
    expect(ctx.pr?.number).toBe(12);
  });
  it.each([
    ['missing file', (dir: string) => join(dir, 'nope.json'), /cannot read/],
    ['not JSON', (dir: string) => join(dir, 'bad.json'), /not JSON/],
  ])('%s → ConfigError naming the path', async (_n, path, message) => {
    const dir = await tempDir();
    await writeFile(join(dir, 'bad.json'), '{oops');
    const file = path(dir);
    const error = await loadEventContext({ GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(file);
  });
});

describe("workflow_run (the fork pattern's second half)", () => {
  const env = { ...base, GITHUB_EVENT_NAME: 'workflow_run', GITHUB_REF: 'refs/heads/develop', GITHUB_SHA: 'dev0000' };
  it('reads the measured run from the payload GitHub writes, never promoting', () => {
    const ctx = eventContext(env, workflowRunPayload({ headSha: 'abc123', headRepo: 'contributor/ocr', id: 77 }));
    expect(ctx.workflowRun).toEqual({
      id: 77,
      event: 'pull_request',
      headSha: 'abc123',
      headRepo: 'contributor/ocr',
      headBranch: 'feature/faster',
      url: 'https://github.com/paddle/ocr/actions/runs/77',
    });
    expect(ctx.pr).toBeUndefined();
    expect(ctx.defaultBranchPush).toBe(false);
  });
  it('a payload without head_repository is a ConfigError naming the field', () => {
    const payload = workflowRunPayload({ headSha: 'abc123', headRepo: 'contributor/ocr' }) as { workflow_run: Record<string, unknown> };
    delete payload.workflow_run['head_repository'];
    expect(() => eventContext(env, payload)).toThrow(/workflow_run\.head_repository\.full_name/);
  });
  it('other events carry no workflow run', () => {
    expect(eventContext({ ...base, GITHUB_EVENT_NAME: 'push' }, pushPayload('refs/heads/develop', 'x')).workflowRun).toBeUndefined();
  });
});
