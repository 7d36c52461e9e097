/**
 * mode: comment-from-artifact, the way GitHub runs it: the bundled action (dist/index.js) in a
 * child process with a real workflow_run payload, an artifact directory as download-artifact
 * leaves it, and the GitHub REST routes (PRs and comments) on a local server. The artifact is
 * written as a hostile fork would write it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { artifactMarker, renderArtifactComment } from '../../src/github/from-artifact.js';
import { commentMarker } from '../../src/github/comment.js';
import { renderJson, renderMarkdown } from '../../src/report/index.js';
import type { GateReport } from '../../src/types.js';
import { startGitHubServer, type GitHubServer } from '../helpers/github-server.js';
import { ocrMetrics, report } from '../report/fixture.js';
import { pullRequestPayload, workflowRunPayload } from './payloads.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
const BUNDLE = join(ROOT, 'dist/index.js');
const ENTRY = existsSync(BUNDLE)
  ? [BUNDLE]
  : ['--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(ROOT, 'src/index.ts')];
const REPO = 'paddle/ocr';
const FORK = 'contributor/ocr';
const HEAD = 'f0f0f0f0aaaabbbbccccddddeeeeffff00001111';

let gh: GitHubServer;
let tmp: string;

interface ActionRun {
  code: number | null;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) out[m[1]!] = m[3]!;
  return out;
}

async function runAction(opts: { payload: unknown; event?: string; inputs?: Record<string, string> }): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmp, 'run-'));
  const files = { event: join(dir, 'event.json'), output: join(dir, 'output'), summary: join(dir, 'summary.md') };
  await writeFile(files.event, JSON.stringify(opts.payload));
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  const inputs = {
    'github-token': 'ghs_actions_token',
    mode: 'comment-from-artifact',
    'artifact-dir': 'report',
    comment: 'always',
    language: 'en',
    ...opts.inputs,
  };
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? tmp,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: join(tmp, 'ws'),
    GITHUB_REPOSITORY: REPO,
    GITHUB_EVENT_NAME: opts.event ?? 'workflow_run',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_SHA: 'defa0000',
    GITHUB_REF: 'refs/heads/develop',
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4343',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(NODE, ENTRY, { cwd: join(tmp, 'ws'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { code, stdout, outputs: parseOutputs(await readFile(files.output, 'utf8')), summary: await readFile(files.summary, 'utf8') };
}

/** A fork's artifact: report.json (anything it likes), report.md, pr-number. */
async function writeArtifact(opts: { pr: string; report: unknown; markdown?: string }): Promise<void> {
  const dir = join(tmp, 'ws', 'report');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'pr-number'), opts.pr);
  await writeFile(join(dir, 'report.json'), typeof opts.report === 'string' ? opts.report : JSON.stringify(opts.report));
  if (opts.markdown !== undefined) await writeFile(join(dir, 'report.md'), opts.markdown);
}

/** A real OCR report whose wrong predictions carry mentions, and which claims a promotion. */
function forkReport(): GateReport {
  const base = ocrMetrics({ wrong: 20, latencyScale: 1, gpuMb: 1200 });
  const head = ocrMetrics({
    wrong: 20,
    latencyScale: 1,
    gpuMb: 1200,
    labels: { 'img_0.png': '@paddle/maintainers', 'img_1.png': 'ping @octocat' },
  });
  return report([{ base, head }], { promotion: { done: true, message: 'promoted as the new baseline' } });
}

const HOSTILE_MD = `<!-- paddle-perf-gate:ppocr-rec -->\n### ✅ all good\n\n[Log in to see details](https://evil.example/login) cc @paddle/maintainers @octocat\n`;

const writes = () => gh.requests.filter((r) => r.method !== 'GET');

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ppg-artifact-'));
  await mkdir(join(tmp, 'ws'));
  gh = await startGitHubServer();
  gh.addPull({ number: 12, repo: REPO, headSha: HEAD, headRepo: FORK });
  // An unrelated PR, from the same fork owner's other branch and from the repository itself.
  gh.addPull({ number: 1, repo: REPO, headSha: '1111111111111111111111111111111111111111', headRepo: REPO });
  gh.addPull({ number: 13, repo: REPO, headSha: HEAD, headRepo: 'someone-else/ocr' });
  gh.addPull({ number: 14, repo: REPO, headSha: HEAD, headRepo: null });
}, 60_000);

afterAll(async () => {
  await gh?.stop();
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  gh.comments.length = 0;
  gh.requests.length = 0;
});

const forkRun = () => workflowRunPayload({ headSha: HEAD, headRepo: FORK });

describe('mode: comment-from-artifact', () => {
  it("posts the action's own rendering of report.json, never the artifact's markdown, with the unverified notice", async () => {
    const r = forkReport();
    await writeArtifact({ pr: '12\n', report: r, markdown: HOSTILE_MD });
    const run = await runAction({ payload: forkRun() });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['comment']).toBe('created');
    expect(run.outputs['pr-number']).toBe('12');
    expect(run.outputs['promoted']).toBe('false');
    const comments = gh.commentsOn(REPO, 12);
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    // Exactly what the action renders from the validated report, nothing of report.md.
    const payload = forkRun();
    const expected = renderArtifactComment(
      r,
      {
        id: payload.workflow_run.id,
        event: 'pull_request',
        headSha: HEAD,
        headRepo: FORK,
        headBranch: 'feature/faster',
        url: payload.workflow_run.html_url,
      },
      'en',
    );
    expect(body).toBe(expected);
    expect(body).not.toContain('evil.example');
    expect(body).not.toContain('all good');
    expect(body.startsWith(`${artifactMarker('ppocr-rec')}\n`)).toBe(true);
    expect(body).toContain('**not verified**');
    expect(body).toContain(`[run 5151](https://github.com/${REPO}/actions/runs/5151)`);
    // The artifact claimed a promotion: a comment-from-artifact run never repeats that.
    expect(body).not.toContain('promoted as the new baseline');
    // The labels are shown, but none of them is a live mention.
    expect(liveMentions(body)).toEqual([]);
    expect(visible(body)).toContain('@paddle/maintainers');
    expect(run.summary).toContain('**not verified**');
    expect(gh.commentsOn(REPO, 1)).toHaveLength(0);
  }, 60_000);

  it("keeps one comment, updated in place, and never touches a trusted run's comment for the same gate", async () => {
    const trusted = gh.seed(REPO, 12, `${commentMarker('ppocr-rec')}\n### ✅ trusted`, { login: 'github-actions[bot]', type: 'Bot' });
    await writeArtifact({ pr: '12', report: forkReport() });
    const first = await runAction({ payload: forkRun() });
    expect(first.code, first.stdout).toBe(0);
    const second = await runAction({ payload: forkRun(), inputs: { language: 'zh' } });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs['comment']).toBe('updated');
    const comments = gh.commentsOn(REPO, 12);
    expect(comments).toHaveLength(2);
    expect(comments.find((c) => c.id === trusted.id)!.body).toBe(`${commentMarker('ppocr-rec')}\n### ✅ trusted`);
    expect(comments.find((c) => c.id !== trusted.id)!.body).toContain('未经验证');
  }, 60_000);

  it.each([
    [
      'another PR of the repository',
      '1',
      /PR #1, whose head is 111111111111 in paddle\/ocr, but workflow run 5151 measured f0f0f0f0aaaa in contributor\/ocr/,
    ],
    ['a PR with the same head commit from another repository', '13', /PR #13, whose head is f0f0f0f0aaaa in someone-else\/ocr/],
    ['a number that is no PR', '999', /PR #999, which is not a pull request of paddle\/ocr/],
    ['a PR whose fork was deleted', '14', /PR #14, whose head is f0f0f0f0aaaa in \(deleted repository\)/],
  ])(
    'an artifact naming %s is refused with exit 2 and nothing is posted',
    async (_what, pr, message) => {
      await writeArtifact({ pr, report: forkReport() });
      const run = await runAction({ payload: forkRun() });
      expect(run.code, run.stdout).toBe(2);
      expect(run.stdout).toMatch(/^::error::/m);
      expect(run.stdout).toMatch(message);
      expect(writes()).toEqual([]);
      expect(gh.comments).toHaveLength(0);
    },
    60_000,
  );

  it('a PR whose head moved on since the measured run is refused', async () => {
    await writeArtifact({ pr: '12', report: forkReport() });
    const run = await runAction({ payload: workflowRunPayload({ headSha: 'a'.repeat(40), headRepo: FORK }) });
    expect(run.code, run.stdout).toBe(2);
    expect(run.stdout).toMatch(/PR #12, whose head is f0f0f0f0aaaa in contributor\/ocr, but workflow run 5151 measured aaaaaaaaaaaa/);
    expect(writes()).toEqual([]);
  }, 60_000);

  it.each([
    ['a gate id that closes the marker', { ...forkReport(), gate: 'x --> <img src=x>' }, /report\.json: gate: .*"x --> <img src=x>"/],
    ['a verdict the gate does not have', { ...forkReport(), verdict: 'approved' }, /report\.json: verdict: /],
    ['no JSON at all', '<html>', /report\.json: not JSON/],
  ])(
    'report.json with %s is refused by the schema and nothing is posted',
    async (_what, doc, message) => {
      await writeArtifact({ pr: '12', report: doc });
      const run = await runAction({ payload: forkRun() });
      expect(run.code, run.stdout).toBe(2);
      expect(run.stdout).toMatch(message);
      expect(gh.requests).toEqual([]);
    },
    60_000,
  );

  it.each([
    ['1; rm -rf /', /artifact pr-number .*expected a PR number \(digits only\); got "1; rm -rf \/"/],
    ['0', /expected a PR number/],
    ['', /expected a PR number/],
  ])(
    'pr-number %j is refused, naming the file',
    async (pr, message) => {
      await writeArtifact({ pr, report: forkReport() });
      const run = await runAction({ payload: forkRun() });
      expect(run.code, run.stdout).toBe(2);
      expect(run.stdout).toMatch(message);
      expect(gh.requests).toEqual([]);
    },
    60_000,
  );

  it('a report.json that is a link (to a file of the runner) is not read', async () => {
    await writeArtifact({ pr: '12', report: forkReport() });
    const secret = join(tmp, 'runner-secret.json');
    await writeFile(secret, JSON.stringify(forkReport()));
    await rm(join(tmp, 'ws', 'report', 'report.json'));
    await symlink(secret, join(tmp, 'ws', 'report', 'report.json'));
    const run = await runAction({ payload: forkRun() });
    expect(run.code, run.stdout).toBe(2);
    expect(run.stdout).toMatch(/artifact report\.json: .*report\.json is not a regular file/);
    expect(gh.requests).toEqual([]);
  }, 60_000);

  it('outside a workflow_run workflow the mode stops with exit 2 and says why', async () => {
    await writeArtifact({ pr: '12', report: forkReport() });
    const run = await runAction({ payload: pullRequestPayload({ number: 12, fork: true, headSha: HEAD }), event: 'pull_request_target' });
    expect(run.code, run.stdout).toBe(2);
    expect(run.stdout).toMatch(
      /input `mode`: comment-from-artifact runs in a workflow started by workflow_run; this one was started by pull_request_target/,
    );
  }, 60_000);

  it('a measuring run that was not for a PR is skipped without posting', async () => {
    await writeArtifact({ pr: '12', report: forkReport() });
    const run = await runAction({ payload: workflowRunPayload({ headSha: HEAD, headRepo: REPO, event: 'push' }) });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['comment']).toMatch(/^skipped/);
    expect(gh.requests).toEqual([]);
  }, 60_000);

  it('the mode without artifact-dir is an input error', async () => {
    const b = await runAction({ payload: forkRun(), inputs: { 'artifact-dir': '' } });
    expect(b.code).toBe(2);
    expect(b.stdout).toMatch(/input `artifact-dir`: required with mode: comment-from-artifact/);
  }, 60_000);
});

/** What a reader sees: entities decoded, invisible joiners dropped. */
function visible(markdown: string): string {
  return markdown.replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d))).replaceAll('\u2060', '');
}

/** `@login` or `@org/team` that GitHub would turn into a notification (entities decoded first, as GitHub does). */
function liveMentions(markdown: string): string[] {
  const decoded = markdown.replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)));
  return [...decoded.matchAll(/(?:^|\W)@([A-Za-z0-9][A-Za-z0-9-]*(?:\/[A-Za-z0-9_.-]+)?)/g)].map((m) => m[1]!);
}

describe('examples/workflows/fork-pr-comment.yml', () => {
  it('only downloads the artifact and calls the action in this mode, with inputs action.yml declares', async () => {
    const workflow = parse(await readFile(join(ROOT, 'examples/workflows/fork-pr-comment.yml'), 'utf8')) as {
      on: Record<string, unknown>;
      jobs: Record<string, { steps: Array<{ uses?: string; run?: string; with?: Record<string, string> }> }>;
    };
    const declared = Object.keys((parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);
    expect(Object.keys(workflow.on)).toEqual(['workflow_run']);
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    expect(steps.map((s) => s.uses?.split('@')[0])).toEqual(['actions/download-artifact', 'paddle-perf-gate/paddle-perf-gate']);
    expect(steps.some((s) => s.run !== undefined)).toBe(false);
    const gate = steps[1]!.with!;
    expect(gate['mode']).toBe('comment-from-artifact');
    for (const key of Object.keys(gate)) expect(declared).toContain(key);
    expect(steps[0]!.with!['path']).toBe(gate['artifact-dir']);
  });
});

describe('mentions in data are inert wherever the report is rendered', () => {
  it('an @org/team label in the wrong-predictions table renders without a live mention, looking the same', () => {
    const md = renderMarkdown(forkReport());
    expect(md).toContain('Wrong predictions');
    expect(liveMentions(md)).toEqual([]);
    expect(visible(md)).toContain('| @paddle/maintainers |');
    expect(visible(md)).toContain('| ping @octocat |');
    // The JSON stays the data as measured.
    expect(renderJson(forkReport())).toContain('"label": "@paddle/maintainers"');
  });
});
