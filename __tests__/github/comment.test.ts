import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMMENT_LIMIT, commentBody, commentMarker, createGitHubPort } from '../../src/github/comment.js';
import { startGitHubServer, type GitHubServer } from '../helpers/github-server.js';

let gh: GitHubServer;
let issue = 1;
const REPO = 'paddle/ocr';

beforeAll(async () => {
  gh = await startGitHubServer();
});
afterAll(async () => {
  await gh.stop();
});
beforeEach(() => {
  gh.deny = undefined;
  issue += 1; // every test gets its own PR
});

function port(token = 'ghs_actions_token') {
  return createGitHubPort({ token, owner: 'paddle', repo: 'ocr', issueNumber: issue, baseUrl: gh.url });
}

describe('sticky comment', () => {
  const marker = commentMarker('ppocr-rec');

  it.each([
    ['GITHUB_TOKEN (GET /user refused)', 'ghs_actions_token', 'github-actions[bot]'],
    ['personal token (GET /user works)', 'ghp_personal_token', 'perf-bot-user'],
  ])('creates once, then updates in place, then leaves it alone: %s', async (_name, token, login) => {
    const p = port(token);
    expect(await p.upsertComment(marker, '### ✅ first')).toBe('created');
    expect(await p.upsertComment(marker, '### ❌ second')).toBe('updated');
    expect(await p.upsertComment(marker, '### ❌ second')).toBe('unchanged');
    const comments = gh.commentsOn(REPO, issue);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.user.login).toBe(login);
    expect(comments[0]!.body).toBe(`${marker}\n### ❌ second`);
  });

  it('finds its comment on a later page among 250 others (Link pagination)', async () => {
    for (let i = 0; i < 130; i++) gh.seed(REPO, issue, `chatter ${i}`, { login: 'reviewer', type: 'User' });
    const ours = gh.seed(REPO, issue, `${marker}\nold table`, { login: 'github-actions[bot]', type: 'Bot' });
    for (let i = 0; i < 120; i++) gh.seed(REPO, issue, `more ${i}`, { login: 'reviewer', type: 'User' });
    expect(await port().upsertComment(marker, 'new table')).toBe('updated');
    expect(gh.commentsOn(REPO, issue)).toHaveLength(251);
    expect(ours.body).toBe(`${marker}\nnew table`);
    const pages = gh.requests.filter((r) => r.method === 'GET' && r.path.includes(`/issues/${issue}/comments`));
    expect(pages.length).toBe(3);
  });

  it.each([
    ['a human pasted the marker', { login: 'reviewer', type: 'User' as const }, `${commentMarker('ppocr-rec')}\nfake`],
    ['another bot posted it', { login: 'other-app[bot]', type: 'Bot' as const }, `${commentMarker('ppocr-rec')}\nfrom elsewhere`],
    ['our bot quoted it in a reply', { login: 'github-actions[bot]', type: 'Bot' as const }, `> ${commentMarker('ppocr-rec')}\n> quoted`],
    ['another gate of ours', { login: 'github-actions[bot]', type: 'Bot' as const }, `${commentMarker('ppocr-det')}\nother gate`],
  ])('does not take over a comment that is not ours: %s', async (_name, user, body) => {
    const foreign = gh.seed(REPO, issue, body, user);
    // The personal token knows its login; only perf-bot-user's comments count.
    const token = user.login === 'other-app[bot]' ? 'ghp_personal_token' : 'ghs_actions_token';
    expect(await port(token).upsertComment(marker, 'ours')).toBe('created');
    expect(foreign.body).toBe(body);
    expect(gh.commentsOn(REPO, issue)).toHaveLength(2);
  });

  it.each([
    [403, 'writes'],
    [403, 'all'],
    [404, 'all'],
    [404, 'writes'],
  ] as const)('a read-only token (%i on %s) gives "forbidden" and writes nothing', async (status, scope) => {
    gh.deny = { status, scope };
    expect(await port().upsertComment(marker, 'body')).toBe('forbidden');
    gh.deny = undefined;
    expect(gh.commentsOn(REPO, issue)).toHaveLength(0);
  });

  it('an existing comment it may not edit is "forbidden", not a crash', async () => {
    gh.seed(REPO, issue, `${marker}\nby the app`, { login: 'github-actions[bot]', type: 'Bot' });
    gh.deny = { status: 403, scope: 'writes' };
    expect(await port().upsertComment(marker, 'new')).toBe('forbidden');
  });

  it('update-only mode never creates', async () => {
    expect(await port().updateExisting(marker, 'x')).toBe('absent');
    expect(gh.commentsOn(REPO, issue)).toHaveLength(0);
    await port().upsertComment(marker, 'x');
    expect(await port().updateExisting(marker, 'y')).toBe('updated');
  });

  it('a body over 65,536 characters is cut with a note and accepted by GitHub', async () => {
    const row = '| model | latency p50 | 4.21 ms | 4.43 ms | +5.2 % | ⚠️ |\n';
    const huge = `### ❌ gate\n<details><summary>all</summary>\n\n${row.repeat(2000)}</details>\n`;
    expect(await port().upsertComment(marker, huge)).toBe('created');
    const stored = gh.commentsOn(REPO, issue)[0]!.body;
    expect(stored.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(stored.startsWith(`${marker}\n### ❌ gate`)).toBe(true);
    expect(stored).toMatch(/cut to fit GitHub’s 65,536-character comment limit/);
    expect(stored).toMatch(/<\/details>\n\n_… cut/);
  });
});

describe('commentBody / commentMarker', () => {
  it.each([
    ['ppocr-rec', '<!-- paddle-perf-gate:ppocr-rec -->'],
    ['a--b', '<!-- paddle-perf-gate:a-b -->'],
    ['x>y', '<!-- paddle-perf-gate:x_y -->'],
  ])('marker for %s', (gate, marker) => {
    expect(commentMarker(gate)).toBe(marker);
  });
  it('does not repeat a marker the renderer already put first', () => {
    const m = commentMarker('g');
    expect(commentBody(m, `${m}\nbody`)).toBe(`${m}\nbody`);
  });
});
