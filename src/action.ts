/**
 * The action's main: inputs → plan → runGate → what a user sees on GitHub (the sticky PR
 * comment, the job summary, annotations, outputs, alerts) → the check's outcome.
 * Exit codes match the CLI: 0 pass/warn, 1 a failing verdict, 2 a broken run or input.
 * A comment or an alert that cannot be written is a warning; only the verdict fails the step.
 */
import * as core from '@actions/core';
import { access, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { withoutUndefined } from './defined.js';
import { DEFAULT_THRESHOLDS } from './config/defaults.js';
import { readInputs, type ActionInputs } from './action-inputs.js';
import { BaseCheckouts } from './base-side.js';
import { loadConfig, type ConfigOverrides } from './config/load.js';
import { ConfigError, EXIT } from './errors.js';
import { promoteFailureFails, rejudge, runGate, type GateContext, type GateOutcome } from './gate.js';
import { aggregateShards, readShards, runShard, SHARD_FILE } from './shard.js';
import { commentMarker, createGitHubPort } from './github/comment.js';
import { loadEventContext, runAttempt, type EventContext } from './github/context.js';
import { gatherAcceptance, mergedAcceptance, parseAcceptCommand, postCommitStatus } from './github/accept.js';
import {
  artifactMarker,
  artifactView,
  fetchPullRequest,
  readArtifact,
  verifyPullRequest,
  type PullRequestTarget,
} from './github/from-artifact.js';
import { createNotifiers } from './notify/index.js';
import type { ArchivePort, JobPort, Progress } from './ports.js';
import { archiveDir, artifactArchive, s3Archive, shardArtifactName } from './publish/archive.js';
import { DEFAULT_ARCHIVE_PREFIX } from './config/defaults.js';
import { failureLine, publish, type PublishRequest } from './publish/index.js';
import { createRunner } from './runners/index.js';
import { guardSignals, signalExitCode } from './signals.js';
import { baselineWant, createStore, gitAncestry } from './stores/index.js';
import { gateVerdict, judgeModel, modelVerdict } from './compare/index.js';
import { fingerprintHash, fingerprintOf } from './fingerprint.js';
import { describe, inertLog } from './text/index.js';
import { validateReport } from './report/schema.js';
import type { AcceptanceState, GatePlan, GateReport, ShardDocument, StorePlan } from './types.js';
import { counted } from './plural.js';

/** The job log: core.info writes as is, so every line is made inert (no workflow command can start in data); core.warning escapes itself. */
const progress: Progress = {
  info: (message) => core.info(inertLog(message)),
  warn: (message) => core.warning(message),
};

function workspace(): string {
  return process.env['GITHUB_WORKSPACE'] || process.cwd();
}

function overrides(inputs: ActionInputs): ConfigOverrides {
  const ws = workspace();
  return {
    ...(inputs.runner ? { runner: inputs.runner } : {}),
    ...(inputs.image ? { image: inputs.image } : {}),
    ...(inputs.model ? { model: resolve(ws, inputs.model) } : {}),
    ...(inputs.outputDir ? { outputDir: resolve(ws, inputs.outputDir) } : {}),
    ...(inputs.failOn ? { failOn: inputs.failOn } : {}),
    ...(inputs.promoteFailure ? { promoteFailure: inputs.promoteFailure } : {}),
    ...(inputs.s3 ? { store: s3Store(inputs.s3) } : {}),
  };
}

function s3Store(s3: NonNullable<ActionInputs['s3']>): StorePlan {
  const { endpoint, ...rest } = s3;
  return { kind: 's3', ...rest, ...(endpoint ? { endpoint } : {}) };
}

async function gateContext(event: EventContext, inputs: ActionInputs): Promise<GateContext> {
  const cwd = workspace();
  const baseRef = event.pr ? event.pr.baseSha || `origin/${event.pr.baseRef}` : 'HEAD';
  const want = await baselineWant({ cwd, defaultBranch: event.pr?.baseRef ?? event.defaultBranch, baseRef, headRef: 'HEAD' });
  if (want.reason) (want.commits.length === 0 ? progress.warn : progress.info)(`baseline lookup: ${want.reason}`);
  const promote = inputs.promote === 'auto' ? event.defaultBranchPush : inputs.promote === 'true';
  // A fork's PR run measured the fork's code with the fork's workflow: never a baseline, whatever `promote` says.
  if (promote && event.pr?.fork) progress.warn('promote: a run for a PR from a fork never writes a baseline');
  return {
    repo: event.owner && event.repo ? `${event.owner}/${event.repo}` : basename(cwd),
    commit: event.commit || 'local',
    branch: event.branch || event.defaultBranch,
    defaultBranch: event.defaultBranch,
    event: event.kind,
    want: { commits: want.commits, branch: want.branch },
    promote: promote && !event.pr?.fork,
    isAncestor: gitAncestry(cwd),
  };
}

function apiTarget(inputs: ActionInputs, event: EventContext): PullRequestTarget {
  return {
    token: inputs.githubToken,
    owner: event.owner,
    repo: event.repo,
    ...(process.env['GITHUB_API_URL'] ? { baseUrl: process.env['GITHUB_API_URL'] } : {}),
  };
}

/**
 * Acceptance (issues 15, 25): on a PR, the records of earlier runs (the gate's own comment) and
 * what this run's event gives; on a push to the default branch, the records of the PR that was
 * merged. Every record's giver is asked again. Reading GitHub may fail (no token, a fork's
 * read-only token): then there is no acceptance, said once.
 */
async function acceptanceOf(
  inputs: ActionInputs,
  event: EventContext,
  gate: string,
  marker = markerFor(event, gate),
): Promise<AcceptanceState | undefined> {
  if (!inputs.githubToken || (!event.pr && !event.defaultBranchPush)) return undefined;
  const target = apiTarget(inputs, event);
  const settings = { label: inputs.acceptLabel, byAuthor: inputs.acceptByAuthor };
  try {
    if (event.pr) {
      return await gatherAcceptance({
        target,
        pr: event.pr,
        event: event.acceptanceEvent,
        settings,
        previous: await createGitHubPort({ ...target, issueNumber: event.pr.number, warn: progress.warn }).read(marker),
        marker,
        now: new Date(),
        warn: progress.warn,
      });
    }
    // A PR from a fork was judged (and accepted) under the unverified comment's marker.
    return await mergedAcceptance({
      target,
      commit: event.commit,
      gate,
      unverifiedMarker: artifactMarker(gate),
      settings,
      warn: progress.warn,
      info: progress.info,
    });
  } catch (error) {
    progress.warn(`acceptance: cannot read it from GitHub (${error instanceof Error ? error.message : String(error)}); judged without it`);
    return undefined;
  }
}

/**
 * The comment's marker: a fork PR's report comes from the fork's own run (an artifact), so it is
 * shown, and its acceptance kept, under the unverified comment's marker (github/from-artifact.ts).
 */
function markerFor(event: EventContext, gate: string): string {
  return event.pr?.fork ? artifactMarker(gate) : commentMarker(gate);
}

/** The report.json of an earlier run of this gate on `head`, or undefined when there is none (or another head's). */
async function reportOfHead(dir: string, gate: string, head: string): Promise<GateReport | undefined> {
  const path = join(dir, 'report.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not JSON (${(error as Error).message})`);
  }
  const report = validateReport(doc, path);
  return report.gate === gate && report.acceptance?.head === head ? report : undefined;
}

/** A label or a comment on a head already measured: the stored report judged again, published, nothing measured or promoted. */
async function rejudgeAndPublish(
  inputs: ActionInputs,
  event: EventContext,
  plan: GatePlan,
  earlier: GateReport,
  acceptance: AcceptanceState,
): Promise<number> {
  progress.info(
    `${plan.gate}: judging the report of head ${acceptance.head.slice(0, 12)} again under the PR's acceptance (not measured again)`,
  );
  const fork = event.pr?.fork === true;
  // A fork's report was written by the fork's own run: its verdicts count for nothing; its measurements are judged here.
  const { report, failed } = rejudge(fork ? await judgedHere(distrusted(earlier), plan, event, inputs) : earlier, plan, acceptance);
  await publish({
    report,
    lang: inputs.language,
    // Said so on top, as comment-from-artifact does; no verdict output from a claim.
    ...(fork ? { unverified: {}, claimed: true } : {}),
    details: [...(event.runUrl ? [`run: ${event.runUrl}`] : [])],
    outputDir: plan.output.dir,
    ...withoutUndefined({ comment: commentTarget(inputs, event, markerFor(event, plan.gate)) }),
    job,
    progress,
  });
  await statusOn(inputs, event, report, failed);
  if (failed) {
    core.setFailed(failureLine(report));
    return EXIT.regression;
  }
  core.info(`${report.gate}: ${report.verdict}`);
  return EXIT.pass;
}

/**
 * A report from a fork's own run: what it claims about verdicts is dropped and each model's
 * verdict is derived again from its rows (an "accepted" row becomes a failing one again in
 * rejudge); a model whose rows cannot say (no baseline, not comparable, unreadable) passes
 * nothing.
 */
function distrusted(report: GateReport): GateReport {
  const models = report.models.map((m) => {
    const c = m.comparison;
    // A verdict that passes nothing on a fork's status (not compared) stands; with no rows to judge, so does nothing else.
    if (['incomparable', 'unreadable', 'no-baseline'].includes(c.verdict)) return m;
    if (c.rows.length === 0) return { ...m, comparison: { ...c, verdict: 'no-baseline' as const } };
    const { verdict, reasonParts } = modelVerdict(c.rows);
    return { ...m, comparison: { ...c, verdict, reasonParts } };
  });
  const { acceptance: _claimed, promotion: _promotion, ...rest } = report;
  return { ...rest, models };
}

/**
 * A fork's claimed measurements compared here (issue 25): against the baseline this gate's own
 * store holds for the PR's base, under this checkout's gate.yml — the trusted comparison, from
 * which alone a status may come. The fork's bands, verdicts and baseline figures are not used;
 * a model without a stored baseline (or one the store cannot give) passes nothing.
 */
async function judgedHere(report: GateReport, plan: GatePlan, event: EventContext, inputs: ActionInputs): Promise<GateReport> {
  const ctx = await gateContext(event, inputs);
  const store = createStore(plan.store);
  const models: GateReport['models'] = [];
  for (const m of report.models) {
    const fingerprint = fingerprintOf({ engine: m.run.engine, env: m.run.env, batchSize: m.run.batchSize });
    const key = {
      repo: ctx.repo,
      gate: plan.gate,
      model: m.comparison.model,
      fingerprintHash: fingerprintHash(fingerprint, plan.fingerprintFields),
    };
    let lookup: Awaited<ReturnType<typeof store.get>> | undefined;
    try {
      lookup = await store.get(key, ctx.want);
    } catch (error) {
      progress.warn(
        `${m.comparison.model}: the store gives no baseline to judge the fork's figures (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    const baseline = lookup?.baseline;
    const { baseline: _claimed, ...rest } = m;
    const comparison = describe(
      judgeModel(baseline && { ...baseline, sameFingerprint: lookup?.sameFingerprint ?? true }, { metrics: m.metrics, fingerprint }, plan),
    );
    models.push({
      ...rest,
      comparison,
      ...(baseline ? { baseline: { commit: baseline.commit, branch: baseline.branch, createdAt: baseline.createdAt } } : {}),
    });
  }
  const summary = gateVerdict(
    models.map((x) => x.comparison),
    plan.failOn,
  );
  return {
    ...report,
    models,
    verdict: summary.verdict,
    regressions: summary.regressions,
    warnings: summary.warnings,
    inconclusive: summary.inconclusive,
  };
}

/**
 * The gate's commit status on the PR head: a comment's workflow runs on the default branch, so
 * its job is no check of the PR; the status is (make it the required check). A read-only token
 * (a fork's) cannot set it: a warning. For a fork's PR, whose figures are the fork's own claim,
 * a status is set only from an acceptance this run holds for that head, and green only when the
 * rows judged here (rejudge over the claim's rows, not its verdicts) pass with it.
 */
async function statusOn(inputs: ActionInputs, event: EventContext, report: GateReport, failed: boolean): Promise<void> {
  if (!event.pr || !inputs.githubToken) return;
  const pr = event.pr;
  let red = failed;
  if (pr.fork) {
    const given = (report.acceptance?.records ?? []).filter((r) => r.sha === pr.headSha && r.pr === pr.number);
    if (given.length === 0 || (report.accepted ?? 0) === 0) {
      progress.info(
        `commit status: not set from a fork's own report (no acceptance of head ${pr.headSha.slice(0, 12)} by a writer counted)`,
      );
      return;
    }
    red = failed || report.models.some((m) => !['pass', 'warn', 'accepted'].includes(m.comparison.verdict));
  }
  try {
    const markers = [commentMarker(report.gate), artifactMarker(report.gate)];
    const set = await postCommitStatus(apiTarget(inputs, event), pr.number, pr.headSha, report, red, inputs.language, markers);
    progress.info(`commit status on ${pr.headSha.slice(0, 12)}: ${set.state} (${set.description})`);
  } catch (error) {
    progress.warn(
      `commit status: not set (${error instanceof Error ? error.message : String(error)}); the workflow needs permissions: statuses: write`,
    );
  }
}

/** The job's side of publishing: summary, outputs and annotations through @actions/core. */
const job: JobPort = {
  summary: async (markdown) => {
    await core.summary.addRaw(markdown).write();
  },
  output: (name, value) => core.setOutput(name, value),
  annotate: (kind, text, props) => (kind === 'error' ? core.error(text, props) : core.warning(text, props)),
};

/** The PR comment's port, or why there is none. */
function commentTarget(inputs: ActionInputs, event: EventContext, marker: string): PublishRequest['comment'] {
  if (!event.pr) return { skipped: 'not a pull request' };
  if (inputs.comment === 'off') return { skipped: 'comment: off' };
  if (!inputs.githubToken) return { skipped: 'no github-token' };
  const port = createGitHubPort({
    token: inputs.githubToken,
    owner: event.owner,
    repo: event.repo,
    issueNumber: event.pr.number,
    ...(process.env['GITHUB_API_URL'] ? { baseUrl: process.env['GITHUB_API_URL'] } : {}),
  });
  return { port, mode: inputs.comment, marker };
}

/** Annotations point at gate.yml when it is in the workspace: they show in the PR's "Files changed" when the config changed. */
function annotateFile(plan: GatePlan): { annotateFile?: string } {
  const rel = relative(workspace(), plan.configPath);
  return !rel.startsWith('..') && !isAbsolute(rel) && plan.configPath !== '<embedded>' ? { annotateFile: rel } : {};
}

/**
 * Where the output directory is archived: the workflow artifact (where the runner provides the
 * artifact service) and, with an S3 store, `<prefix>/runs/<commit>/<run-id>/` beside the baselines.
 */
function archivesFor(inputs: ActionInputs, event: EventContext, plan: GatePlan, commit: string): ArchivePort[] {
  if (!inputs.archive) return [];
  const out: ArchivePort[] = [];
  const attempt = runAttempt();
  if (process.env['ACTIONS_RUNTIME_TOKEN'] && process.env['ACTIONS_RESULTS_URL']) {
    // Artifact names are unique within a workflow run: a re-run attempt gets its own.
    const name = `${inputs.archiveName ?? `${DEFAULT_ARCHIVE_PREFIX}${plan.gate}`}${attempt > 1 ? `-attempt${attempt}` : ''}`;
    out.push(artifactArchive({ name, retentionDays: inputs.archiveRetentionDays, ...(event.runUrl ? { runUrl: event.runUrl } : {}) }));
  } else {
    progress.info('archive: no workflow artifact (this runner provides no artifact service: ACTIONS_RUNTIME_TOKEN is unset)');
  }
  if (plan.store.kind === 's3') {
    const { bucket, prefix, region, endpoint, forcePathStyle } = plan.store;
    const runId = `${process.env['GITHUB_RUN_ID'] || 'local'}${attempt > 1 ? `-${attempt}` : ''}`;
    out.push(
      s3Archive({
        bucket,
        prefix,
        region,
        forcePathStyle,
        ...(endpoint ? { endpoint } : {}),
        commit,
        runId,
        retentionDays: inputs.archiveRetentionDays,
      }),
    );
  }
  return out;
}

/** The action's body; returns the exit code. */
async function main(signal: AbortSignal): Promise<number> {
  const inputs = readInputs();
  let event = await loadEventContext();
  if (inputs.mode === 'comment-from-artifact') return commentFromArtifact(inputs, event);
  const configPath = resolve(workspace(), inputs.config || 'gate.yml');
  const plan = await loadConfig(configPath, overrides(inputs));
  if (inputs.mode === 'aggregate') return aggregateMode(inputs, event, plan);
  // ── issue 15: a comment on a PR names no commit; the PR's head comes from the API ──
  const said = event.acceptanceEvent;
  // An edited or deleted comment is no command (an edit could rewrite what was accepted): nothing to do.
  if (event.eventName === 'issue_comment' && said?.kind !== 'comment') {
    core.info('the comment event is no new comment: not a command: nothing to do');
    core.setOutput('comment', 'skipped (not a /perf-gate command)');
    return EXIT.pass;
  }
  if (said?.kind === 'comment') {
    if (!said.onPullRequest || parseAcceptCommand(said.body) === undefined) {
      core.info('the comment is not a /perf-gate command on a pull request: not a command: nothing to do');
      core.setOutput('comment', 'skipped (not a /perf-gate command)');
      return EXIT.pass;
    }
    if (!inputs.githubToken) throw new ConfigError('input `github-token`: required to act on a /perf-gate comment');
    const pr = await fetchPullRequest(apiTarget(inputs, event), said.issue);
    const { headRepo: _repo, ...info } = pr;
    event = { ...event, kind: 'pull_request', pr: info, commit: pr.headSha, branch: pr.headRef, defaultBranchPush: false };
  }
  const acceptance = await acceptanceOf(inputs, event, plan.gate);
  const earlier =
    event.pr && inputs.artifactDir ? await reportOfHead(resolve(workspace(), inputs.artifactDir), plan.gate, event.pr.headSha) : undefined;
  if (said && event.pr && acceptance) {
    if (earlier) return rejudgeAndPublish(inputs, event, plan, earlier, acceptance);
    // A comment's (or pull_request_target's) workflow runs the base branch's code: measuring it would judge the wrong commit.
    if (said.kind === 'comment' || event.eventName === 'pull_request_target') {
      throw new ConfigError(
        `input \`artifact-dir\`: no report.json of PR #${event.pr.number}'s head ${event.pr.headSha.slice(0, 12)} for gate ${plan.gate} there; a /perf-gate comment judges the measuring run's report again (download its artifact first; see examples/workflows/perf-gate-accept.yml)`,
      );
    }
    progress.info(`no earlier report of head ${event.pr.headSha.slice(0, 12)}: measuring`);
  }
  if (inputs.registryAuth) {
    if (plan.runner.kind !== 'docker') {
      throw new ConfigError(`input \`registry-auth\`: only used by the docker runner, but the runner is ${plan.runner.kind}`);
    }
    plan.runner.registryAuth = inputs.registryAuth;
  }
  const ctx = await gateContext(event, inputs);
  if (acceptance) ctx.acceptance = acceptance;
  if (inputs.baseCheckout)
    ctx.baseCheckout = await BaseCheckouts.checkDir(resolve(workspace(), inputs.baseCheckout), 'input `base-checkout`');
  const cacheDir = process.env['PPG_CACHE_DIR'] || join(process.env['RUNNER_TEMP'] || tmpdir(), 'paddle-perf-gate-cache');

  const { shard } = inputs;
  // A shard's documents go to its own artifact, for the aggregate job (names are unique within a workflow run).
  const archives = shard
    ? [artifactArchive({ name: shardArtifactName(plan.gate, shard, runAttempt()), retentionDays: inputs.archiveRetentionDays })]
    : archivesFor(inputs, event, plan, ctx.commit);
  let outcome: GateOutcome & { shard?: ShardDocument };
  try {
    outcome = await core.group(
      `paddle-perf-gate: ${plan.gate} (${plan.models.length} model${plan.models.length === 1 ? '' : 's'}, ${plan.runner.kind} runner${shard ? `, shard ${shard.index}/${shard.count}` : ''})`,
      () => {
        const ports = {
          store: createStore(plan.store),
          runner: createRunner(plan.runner, { gateId: plan.gate }),
          progress,
          cacheDir,
          signal,
        };
        return shard ? runShard(plan, ctx, shard, ports, runAttempt()) : runGate(plan, ctx, ports);
      },
    );
  } catch (error) {
    // A broken run archives what it left (container and harness logs, run documents) before failing.
    await archiveDir(plan.output.dir, archives, progress);
    throw error;
  }
  if (outcome.shard) {
    // A shard publishes its documents for the aggregate job; the comment, alerts and verdict are the aggregate's.
    await publish({
      report: outcome.report,
      lang: inputs.language,
      outputDir: plan.output.dir,
      figures: outcome.figures,
      shard: outcome.shard,
      comment: { skipped: 'a shard: the aggregate job comments' },
      job,
      progress,
    });
    await archiveDir(plan.output.dir, archives, progress, { required: 'the aggregate job would miss this shard' });
    core.info(
      `${plan.gate}: shard ${outcome.shard.shard.index}/${outcome.shard.shard.count} done (${outcome.report.verdict}); the aggregate job gives the verdict`,
    );
    return EXIT.pass;
  }
  return finish(inputs, event, plan, ctx, outcome, archives);
}

/**
 * mode: aggregate — in a job that `needs:` the shards and downloaded their artifacts into
 * artifact-dir: one report, comment, summary, outputs and exit code, and one promotion.
 */
async function aggregateMode(inputs: ActionInputs, event: EventContext, plan: GatePlan): Promise<number> {
  const ctx = await gateContext(event, inputs);
  const dirs = await shardDirs(resolve(workspace(), inputs.artifactDir!));
  const shards = await readShards(dirs);
  const outcome = await core.group(`paddle-perf-gate: ${plan.gate}, aggregating ${counted(shards.length, 'shard', 'shards')}`, () =>
    aggregateShards(plan, ctx, shards, { store: createStore(plan.store), progress }),
  );
  return finish(inputs, event, plan, ctx, outcome, archivesFor(inputs, event, plan, ctx.commit));
}

/** The directories holding shard.json: artifact-dir itself, or its subdirectories (one per downloaded artifact). */
async function shardDirs(root: string): Promise<string[]> {
  const has = (dir: string) =>
    access(join(dir, SHARD_FILE)).then(
      () => true,
      () => false,
    );
  if (await has(root)) return [root];
  const entries = await readdir(root, { withFileTypes: true }).catch((error: unknown) => {
    throw new ConfigError(`input \`artifact-dir\`: cannot read ${root}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => join(root, e.name))
    .sort();
  const found: string[] = [];
  for (const dir of dirs) if (await has(dir)) found.push(dir);
  if (found.length === 0)
    throw new ConfigError(
      `input \`artifact-dir\`: no ${SHARD_FILE} in ${root} or its subdirectories; did the shard jobs upload their artifacts?`,
    );
  return found;
}

/** Publishes a gate's or an aggregate's outcome and turns it into the exit code. */
async function finish(
  inputs: ActionInputs,
  event: EventContext,
  plan: GatePlan,
  ctx: GateContext,
  outcome: GateOutcome,
  archives: ArchivePort[],
): Promise<number> {
  const { report } = outcome;
  await publish({
    report,
    lang: inputs.language,
    details: [`report files: ${relative(workspace(), plan.output.dir) || '.'}`, ...(event.runUrl ? [`run: ${event.runUrl}`] : [])],
    outputDir: plan.output.dir,
    figures: outcome.figures,
    archives,
    ...withoutUndefined({ comment: commentTarget(inputs, event, commentMarker(plan.gate)) }),
    job,
    progress,
    annotate: true,
    ...annotateFile(plan),
    alerts: {
      on: inputs.notifyOn,
      notifiers: createNotifiers(inputs, {
        lang: inputs.language,
        ...(event.pr ? { prUrl: event.pr.url, prTitle: event.pr.title } : {}),
        ...(event.runUrl ? { runUrl: event.runUrl } : {}),
        ...(ctx.repo ? { where: `${ctx.repo}@${ctx.commit.slice(0, 7)}` } : {}),
      }),
    },
  });

  await statusOn(inputs, event, report, outcome.failed);

  if (outcome.promotionError) {
    // The report is published and says so; the baseline was not written (the previous one is intact).
    if (promoteFailureFails(plan, ctx)) {
      core.setFailed(`promotion failed: ${outcome.promotionError.message}`);
      return EXIT.broken;
    }
    core.warning(`promotion failed (promote-failure: warn): ${outcome.promotionError.message}`);
  }
  if (outcome.failed) {
    core.setFailed(failureLine(report));
    return EXIT.regression;
  }
  core.info(`${report.gate}: ${report.verdict}`);
  return EXIT.pass;
}

/**
 * mode: comment-from-artifact (github/from-artifact.ts): posts the PR's own measuring run as an
 * unverified comment after checking the PR it names. No store, no promotion, no alerts; exit 0
 * whatever verdict the artifact claims, 2 when it is invalid or names another PR.
 */
async function commentFromArtifact(inputs: ActionInputs, event: EventContext): Promise<number> {
  const run = event.workflowRun;
  if (!run) {
    throw new ConfigError(
      `input \`mode\`: comment-from-artifact runs in a workflow started by workflow_run; this one was started by ${event.eventName || 'nothing (not on GitHub Actions)'}`,
    );
  }
  if (run.event !== 'pull_request' && run.event !== 'pull_request_target') {
    core.info(`workflow run ${run.id} was a ${run.event || 'non-PR'} run: no PR to comment on`);
    core.setOutput('comment', 'skipped (not a pull request run)');
    core.setOutput('promoted', 'false');
    return EXIT.pass;
  }
  if (!inputs.githubToken) throw new ConfigError('input `github-token`: required with mode: comment-from-artifact');
  const { prNumber, report } = await readArtifact(resolve(workspace(), inputs.artifactDir ?? ''));
  const pr = await verifyPullRequest(
    {
      token: inputs.githubToken,
      owner: event.owner,
      repo: event.repo,
      ...(process.env['GITHUB_API_URL'] ? { baseUrl: process.env['GITHUB_API_URL'] } : {}),
    },
    prNumber,
    run,
  );
  // Acceptance (issue 15) is never taken from the artifact: the records come from our own comment,
  // and each one was permission-checked when it was given.
  const claimed = distrusted(report);
  const { acceptanceEvent: _event, ...rest } = event;
  const acceptance = await acceptanceOf(inputs, { ...rest, pr }, report.gate, artifactMarker(report.gate));
  const judged = rejudge(
    claimed,
    { thresholds: { ...DEFAULT_THRESHOLDS }, failOn: ['fail'] },
    acceptance ?? { pr: pr.number, head: pr.headSha, records: [], refused: [] },
  ).report;
  const view = artifactView(judged, run, inputs.language);
  const { comment } = await publish({
    report: view.report,
    lang: inputs.language,
    unverified: view.unverified,
    claimed: true,
    details: view.details,
    ...withoutUndefined({ comment: commentTarget(inputs, { ...event, pr }, artifactMarker(report.gate)) }),
    job,
    progress,
  });
  core.info(`PR #${pr.number} comment (unverified figures from run ${run.id}): ${comment}`);
  core.setOutput('pr-number', String(pr.number));
  return EXIT.pass;
}

export async function run(): Promise<void> {
  // A cancelled workflow sends SIGINT then SIGTERM: stop the run and remove its container (signals.ts).
  const guard = guardSignals(progress);
  try {
    process.exitCode = await main(guard.signal);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    const signal = guard.received();
    core.setFailed(signal ? `cancelled by ${signal}: ${message}` : message);
    process.exitCode = signal ? signalExitCode(signal) : EXIT.broken;
  } finally {
    guard.dispose();
  }
}
