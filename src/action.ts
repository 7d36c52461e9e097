/**
 * The action's main: inputs → plan → runGate → what a user sees on GitHub (the sticky PR
 * comment, the job summary, annotations, outputs, alerts) → the check's outcome.
 * Exit codes match the CLI: 0 pass/warn, 1 a failing verdict, 2 a broken run or input.
 * A comment or an alert that cannot be written is a warning; only the verdict fails the step.
 */
import * as core from '@actions/core';
import { access, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { withoutUndefined } from './defined.js';
import { readInputs, type ActionInputs } from './action-inputs.js';
import { BaseCheckouts } from './base-side.js';
import { loadConfig, type ConfigOverrides } from './config/load.js';
import { ConfigError, EXIT } from './errors.js';
import { runGate, type GateContext, type GateOutcome } from './gate.js';
import { uploadArtifactDir, shardArtifactName } from './publish/artifact.js';
import { aggregateShards, readShards, runShard, SHARD_FILE } from './shard.js';
import { commentMarker, createGitHubPort } from './github/comment.js';
import { loadEventContext, type EventContext } from './github/context.js';
import { artifactMarker, artifactView, readArtifact, verifyPullRequest } from './github/from-artifact.js';
import { createNotifiers } from './notify/index.js';
import type { JobPort, Progress } from './ports.js';
import { failureLine, publish, type PublishRequest } from './publish/index.js';
import { createRunner } from './runners/index.js';
import { guardSignals, signalExitCode } from './signals.js';
import { baselineWant, createStore, gitAncestry } from './stores/index.js';
import type { GatePlan, ShardDocument, StorePlan } from './types.js';

const progress: Progress = {
  info: (message) => core.info(message),
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

/** The action's body; returns the exit code. */
async function main(signal: AbortSignal): Promise<number> {
  const inputs = readInputs();
  const event = await loadEventContext();
  if (inputs.mode === 'comment-from-artifact') return commentFromArtifact(inputs, event);
  const configPath = resolve(workspace(), inputs.config || 'gate.yml');
  const plan = await loadConfig(configPath, overrides(inputs));
  if (inputs.mode === 'aggregate') return aggregateMode(inputs, event, plan);
  if (inputs.registryAuth) {
    if (plan.runner.kind !== 'docker') {
      throw new ConfigError(`input \`registry-auth\`: only used by the docker runner, but the runner is ${plan.runner.kind}`);
    }
    plan.runner.registryAuth = inputs.registryAuth;
  }
  const ctx = await gateContext(event, inputs);
  if (inputs.baseCheckout)
    ctx.baseCheckout = await BaseCheckouts.checkDir(resolve(workspace(), inputs.baseCheckout), 'input `base-checkout`');
  const cacheDir = process.env['PPG_CACHE_DIR'] || join(process.env['RUNNER_TEMP'] || tmpdir(), 'paddle-perf-gate-cache');

  const { shard } = inputs;
  const outcome: GateOutcome & { shard?: ShardDocument } = await core.group(
    `paddle-perf-gate: ${plan.gate} (${plan.models.length} model${plan.models.length === 1 ? '' : 's'}, ${plan.runner.kind} runner${shard ? `, shard ${shard.index}/${shard.count}` : ''})`,
    () => {
      const ports = {
        store: createStore(plan.store),
        runner: createRunner(plan.runner, { gateId: plan.gate }),
        progress,
        cacheDir,
        signal,
      };
      return shard ? runShard(plan, ctx, shard, ports) : runGate(plan, ctx, ports);
    },
  );
  if (outcome.shard) {
    // A shard publishes its documents for the aggregate job; the comment, alerts and verdict are the aggregate's.
    await publish({
      report: outcome.report,
      lang: inputs.language,
      outputDir: plan.output.dir,
      shard: outcome.shard,
      comment: { skipped: 'a shard: the aggregate job comments' },
      job,
      progress,
    });
    await uploadArtifactDir(shardArtifactName(plan.gate, outcome.shard.shard), plan.output.dir, progress);
    core.info(
      `${plan.gate}: shard ${outcome.shard.shard.index}/${outcome.shard.shard.count} done (${outcome.report.verdict}); the aggregate job gives the verdict`,
    );
    return EXIT.pass;
  }
  return finish(inputs, event, plan, ctx, outcome);
}

/**
 * mode: aggregate — in a job that `needs:` the shards and downloaded their artifacts into
 * artifact-dir: one report, comment, summary, outputs and exit code, and one promotion.
 */
async function aggregateMode(inputs: ActionInputs, event: EventContext, plan: GatePlan): Promise<number> {
  const ctx = await gateContext(event, inputs);
  const dirs = await shardDirs(resolve(workspace(), inputs.artifactDir!));
  const shards = await readShards(dirs);
  const outcome = await core.group(`paddle-perf-gate: ${plan.gate}, aggregating ${shards.length} shards`, () =>
    aggregateShards(plan, ctx, shards, { store: createStore(plan.store), progress }),
  );
  return finish(inputs, event, plan, ctx, outcome);
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
async function finish(inputs: ActionInputs, event: EventContext, plan: GatePlan, ctx: GateContext, outcome: GateOutcome): Promise<number> {
  const { report } = outcome;
  await publish({
    report,
    lang: inputs.language,
    details: [
      `report files: ${relative(workspace(), plan.output.dir) || '.'} (upload it with actions/upload-artifact)`,
      ...(event.runUrl ? [`run: ${event.runUrl}`] : []),
    ],
    outputDir: plan.output.dir,
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

  if (outcome.promotionError) {
    // The report is published; the baseline could not be written (the previous one is intact).
    core.setFailed(outcome.promotionError.message);
    return EXIT.broken;
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
  const view = artifactView(report, run, inputs.language);
  const { comment } = await publish({
    report: view.report,
    lang: inputs.language,
    notice: view.notice,
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
