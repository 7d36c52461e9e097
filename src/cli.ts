/**
 * The CLI: `paddle-perf-gate run --config gate.yml [--promote]` and `paddle-perf-gate compare BASE.json HEAD.json`.
 * Exit codes: 0 pass or warn, 1 a regression, 2 broken input or a broken run (the message names the cause).
 * Progress goes to stderr, the report to stdout.
 */
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BaseCheckouts } from './base-side.js';
import { loadConfig, type ConfigOverrides } from './config/load.js';
import { DEFAULT_FINGERPRINT_FIELDS, DEFAULT_THRESHOLDS } from './config/defaults.js';
import { ConfigError, EXIT, GateError } from './errors.js';
import { promoteFailureFails, runGate, type GateContext, type GateOutcome } from './gate.js';
import type { JobPort, Progress } from './ports.js';
import { publish } from './publish/index.js';
import { compareFiles } from './compare-files.js';
import { runAttempt } from './github/context.js';
import { checkWritableFile } from './preflight.js';
import { renderJson } from './report/index.js';
import { fmtChangeAbs, fmtRel, inertLine, inertLog, t, VERDICT_EMOJI } from './text/index.js';
import { aggregateShards, parseShard, readShards, runShard } from './shard.js';
import { createRunner } from './runners/index.js';
import { guardSignals, signalExitCode } from './signals.js';
import { createStore } from './stores/index.js';
import { baselineWant, git, gitAncestry } from './stores/git.js';
import type { GatePlan, ShardDocument } from './types.js';
import { VERSION } from './version.js';

const USAGE = `paddle-perf-gate ${VERSION} — a quality gate for PaddlePaddle models

Usage:
  paddle-perf-gate run [--config gate.yml] [--promote] [--promote-failure warn|fail]
                       [--runner embedded|docker|local] [--image IMAGE] [--out DIR]
                       [--store-dir DIR] [--lang en|zh] [--quiet] [--base-checkout DIR] [--shard i/n]
  paddle-perf-gate aggregate DIR... [--config gate.yml] [--promote] [--promote-failure warn|fail]
                       [--out DIR] [--store-dir DIR] [--lang en|zh]
  paddle-perf-gate compare BASE.json HEAD.json [--config gate.yml] [--lang en|zh]
  paddle-perf-gate history MODEL [--config gate.yml] [--branch BRANCH] [--store-dir DIR] [--lang en|zh]

run        measure every model of gate.yml, compare with its baseline, print the report;
           --promote writes this run as the baseline when every model's verdict is in
           promote-on (default pass, warn, no-baseline, incomparable); never from a PR job.
           --promote-failure: when the store could not be read or written, so the promotion
           could not happen: fail (exit 2) or warn (exit by the verdict); default gate.yml
           promote-failure, else fail on the default branch, warn elsewhere.
           --base-checkout DIR: a checkout of the baseline's commit for the A/B confirmation's
           base side (default: the gate makes a git worktree of that commit itself).
           --shard i/n: run only shard i of n (a deterministic split of the models and
           their variants, balanced by the durations the store recorded) and write
           shard.json beside the report; never promotes; exits 0 on a regression (the
           aggregate decides), 2 on a broken run.
aggregate  merge the output directories of every shard of one run (same commit, gate.yml
           and shard count) into one report and exit code; --promote writes every
           model as the baseline in one transaction, or none.
compare    compare two report.json files written by \`run\` (or a stored baseline JSON as BASE).
history    the baselines of MODEL promoted on BRANCH (default: the current branch), newest first,
           with every regression that was accepted on purpose: who, on which PR, why, by how much.

Exit codes: 0 pass or warn · 1 regression · 2 broken input or run.`;

/** The CLI's side of publishing: the report on stdout; no step outputs or annotations outside GitHub Actions. */
/** The terminal side of the rendering boundary (text/inert.ts): no control character or escape sequence from data reaches it. */
const terminal: JobPort = {
  summary: async (markdown) => {
    process.stdout.write(`${inertLog(markdown)}\n`);
  },
  output: () => {},
  annotate: () => {},
};

const progress: Progress = {
  info: (message) => process.stderr.write(`· ${inertLog(message)}\n`),
  warn: (message) => process.stderr.write(`⚠ ${inertLog(message)}\n`),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? EXIT.broken : EXIT.pass;
  }
  if (command === '--version') {
    console.log(VERSION);
    return EXIT.pass;
  }
  if (command === 'run') return runCommand(rest);
  if (command === 'compare') return compareCommand(rest);
  if (command === 'history') return historyCommand(rest);
  if (command === 'aggregate') return aggregateCommand(rest);
  throw new ConfigError(`unknown command "${command}": expected run, aggregate, compare or history (see --help)`);
}

async function runCommand(args: string[]): Promise<number> {
  const { values } = explain(() =>
    parseArgs({
      args,
      strict: true,
      options: {
        config: { type: 'string', short: 'c', default: 'gate.yml' },
        promote: { type: 'boolean', default: false },
        'promote-failure': { type: 'string' },
        runner: { type: 'string' },
        image: { type: 'string' },
        out: { type: 'string' },
        'store-dir': { type: 'string' },
        lang: { type: 'string', default: 'en' },
        'default-branch': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        'base-checkout': { type: 'string' },
        shard: { type: 'string' },
      },
    }),
  );
  const lang = parseLang(values.lang);
  const shard = values.shard !== undefined ? parseShard(values.shard, '--shard') : undefined;
  if (shard && values.promote) throw new ConfigError('--promote: a shard never promotes; run aggregate --promote over all shards');
  const runner = values.runner;
  if (runner !== undefined && runner !== 'embedded' && runner !== 'docker' && runner !== 'local') {
    throw new ConfigError(`--runner: expected embedded, docker or local, got "${runner}"`);
  }
  const overrides: ConfigOverrides = {
    ...promoteFailureFlag(values['promote-failure']),
    ...(runner ? { runner } : {}),
    ...(values.image ? { image: values.image } : {}),
    ...(values.out ? { outputDir: resolve(values.out) } : {}),
    ...(values['store-dir'] ? { store: { kind: 'file', dir: resolve(values['store-dir']) } } : {}),
  };
  const plan = await loadConfig(resolve(values.config), overrides);
  const ctx = await localContext(values.promote, values['default-branch']);
  if (values['base-checkout'] !== undefined) ctx.baseCheckout = await BaseCheckouts.checkDir(values['base-checkout'], '--base-checkout');
  const quiet: Progress = { info: () => {}, warn: progress.warn };

  // SIGINT/SIGTERM stop the run and remove its container; a second signal does it at once (signals.ts).
  const guard = guardSignals(progress);
  try {
    const ports = {
      store: createStore(plan.store),
      runner: createRunner(plan.runner, { gateId: plan.gate }),
      progress: values.quiet ? quiet : progress,
      cacheDir: cacheDir(),
      signal: guard.signal,
    };
    const outcome: GateOutcome & { shard?: ShardDocument } = shard
      ? await runShard(plan, ctx, shard, ports, runAttempt())
      : await runGate(plan, ctx, ports);
    const { report, failed, promotionError } = outcome;
    // The same publish stage as the action's; here the summary is the report on stdout and there is no PR comment.
    const { files } = await publish({
      report,
      lang,
      outputDir: plan.output.dir,
      figures: outcome.figures,
      job: terminal,
      progress,
      ...(outcome.shard ? { shard: outcome.shard } : {}),
    });
    progress.info(`report: ${files!.markdown}, ${files!.json} and ${files!.html}`);
    if (promotionError) promotionFailed(plan, ctx, promotionError);
    // A shard's regression is the aggregate's to judge: the shard job itself succeeds.
    return failed && !shard ? EXIT.regression : EXIT.pass;
  } catch (error) {
    const signal = guard.received();
    if (!signal) throw error;
    process.stderr.write(`paddle-perf-gate: stopped by ${signal}: ${inertLog(error instanceof Error ? error.message : String(error))}\n`);
    return signalExitCode(signal);
  } finally {
    guard.dispose();
  }
}

async function aggregateCommand(args: string[]): Promise<number> {
  const { values, positionals } = explain(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', default: 'gate.yml' },
        promote: { type: 'boolean', default: false },
        'promote-failure': { type: 'string' },
        out: { type: 'string' },
        'store-dir': { type: 'string' },
        lang: { type: 'string', default: 'en' },
        'default-branch': { type: 'string' },
      },
    }),
  );
  const lang = parseLang(values.lang);
  const shards = await readShards(positionals);
  const plan = await loadConfig(resolve(values.config), {
    ...promoteFailureFlag(values['promote-failure']),
    ...(values.out ? { outputDir: resolve(values.out) } : {}),
    ...(values['store-dir'] ? { store: { kind: 'file', dir: resolve(values['store-dir']) } } : {}),
  });
  const ctx = await localContext(values.promote, values['default-branch']);
  const { report, failed, promotionError, figures } = await aggregateShards(plan, ctx, shards, {
    store: createStore(plan.store),
    progress,
  });
  const { files } = await publish({ report, lang, outputDir: plan.output.dir, figures, job: terminal, progress });
  progress.info(`report: ${files!.markdown}, ${files!.json} and ${files!.html}`);
  if (promotionError) promotionFailed(plan, ctx, promotionError);
  return failed ? EXIT.regression : EXIT.pass;
}

async function compareCommand(args: string[]): Promise<number> {
  const { values, positionals } = explain(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, lang: { type: 'string', default: 'en' }, out: { type: 'string' } },
    }),
  );
  if (positionals.length !== 2) throw new ConfigError(`compare: expected two files, BASE.json and HEAD.json, got ${positionals.length}`);
  const lang = parseLang(values.lang);
  const plan: Pick<GatePlan, 'thresholds' | 'fingerprintFields' | 'failOn'> = values.config
    ? await loadConfig(resolve(values.config))
    : { thresholds: { ...DEFAULT_THRESHOLDS }, fingerprintFields: DEFAULT_FINGERPRINT_FIELDS, failOn: ['fail'] };
  const [basePath, headPath] = positionals as [string, string];
  if (values.out) await checkWritableFile(values.out, '--out');
  const { report, failed } = await compareFiles(basePath, headPath, plan);
  // The same publish stage as `run`: the report on stdout (and the JSON where --out says).
  await publish({ report, lang, job: terminal, progress });
  if (values.out) {
    await writeFile(resolve(values.out), renderJson(report));
  }
  return failed ? EXIT.regression : EXIT.pass;
}

/** `history MODEL`: the branch manifest's promotions of one model, with the acceptances they recorded (issue 15). */
async function historyCommand(args: string[]): Promise<number> {
  const { values, positionals } = explain(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', default: 'gate.yml' },
        branch: { type: 'string' },
        'store-dir': { type: 'string' },
        lang: { type: 'string', default: 'en' },
      },
    }),
  );
  if (positionals.length !== 1) throw new ConfigError(`history: expected one model name, got ${positionals.length} (see --help)`);
  const model = positionals[0]!;
  const lang = parseLang(values.lang);
  const plan = await loadConfig(
    resolve(values.config),
    values['store-dir'] ? { store: { kind: 'file', dir: resolve(values['store-dir']) } } : {},
  );
  if (!plan.models.some((m) => m.name === model)) {
    throw new ConfigError(
      `history: model "${model}" is not in ${values.config}; its models are ${plan.models.map((m) => m.name).join(', ')}`,
    );
  }
  const ctx = await localContext(false, undefined);
  const branch = values.branch ?? ctx.branch;
  const store = createStore(plan.store);
  const entries = await store.log({ repo: ctx.repo, gate: plan.gate, model }, branch);
  const where = { model, branch, store: store.location };
  const lines = [entries.length === 0 ? t(lang, 'history.none', where) : t(lang, 'history.title', { ...where, n: entries.length })];
  for (const e of entries) {
    lines.push(
      `${e.createdAt.slice(0, 16).replace('T', ' ')}  ${e.commit.slice(0, 12)}${e.acceptance?.length ? `  ${VERDICT_EMOJI.accepted}` : ''}`,
    );
    for (const a of e.acceptance ?? []) {
      const via = t(lang, a.via === 'label' ? 'accept.viaLabel' : 'accept.viaComment');
      lines.push(
        t(lang, 'history.accepted', { by: `@${a.by}`, via, pr: a.pr, sha: a.sha.slice(0, 12), date: a.at.slice(0, 10), reason: a.reason }),
      );
      for (const row of a.rows) {
        const change =
          row.unit === undefined || row.unit === '%' || row.deltaRel === null
            ? row.deltaAbs === null
              ? '—'
              : fmtChangeAbs(row.deltaAbs, row.unit ?? '%')
            : fmtRel(row.deltaRel);
        lines.push(t(lang, 'history.delta', { metric: `${row.model} ${row.metric}`, change }));
      }
    }
  }
  // Each line one line: a reason or a login from the store cannot start another.
  process.stdout.write(`${lines.map(inertLine).join('\n')}\n`);
  return EXIT.pass;
}

/** Repository, commit, branch and the baseline wanted, from the local git checkout. */
async function localContext(promote: boolean, defaultBranchFlag: string | undefined): Promise<GateContext> {
  const cwd = process.cwd();
  const tryGit = (...args: string[]) => git(cwd, args).catch(() => undefined);
  const commit = (await tryGit('rev-parse', 'HEAD')) ?? 'local';
  const branch = process.env['GITHUB_HEAD_REF'] || (await tryGit('rev-parse', '--abbrev-ref', 'HEAD')) || 'local';
  const remote = await tryGit('config', '--get', 'remote.origin.url');
  const repo =
    process.env['GITHUB_REPOSITORY'] ||
    (remote
      ? remote
          .replace(/\.git$/, '')
          .split(/[/:]/)
          .slice(-2)
          .join('/')
      : basename(cwd));
  // Inside a pull request's job (GITHUB_HEAD_REF is set) the CLI keeps the action's rule: a PR run
  // never writes the default branch's baseline.
  const pr = Boolean(process.env['GITHUB_HEAD_REF']);
  const defaultBranch = defaultBranchFlag ?? (pr ? process.env['GITHUB_BASE_REF'] : undefined) ?? branch;
  // Locally the baseline is this checkout's own history: HEAD and its ancestors, then the branch pointer.
  const want = await baselineWant({ cwd, defaultBranch, baseRef: 'HEAD' });
  return { repo, commit, branch, defaultBranch, event: pr ? 'pull_request' : 'local', want, promote, isAncestor: gitAncestry(cwd) };
}

function cacheDir(): string {
  return process.env['PPG_CACHE_DIR'] || join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'paddle-perf-gate');
}

function promoteFailureFlag(value: string | undefined): Pick<ConfigOverrides, 'promoteFailure'> {
  if (value === undefined) return {};
  if (value === 'warn' || value === 'fail') return { promoteFailure: value };
  throw new ConfigError(`--promote-failure: expected warn or fail, got "${value}"`);
}

/** A promotion that could not happen: thrown (exit 2) or a warning, as promote-failure says (gate.ts). */
function promotionFailed(plan: GatePlan, ctx: GateContext, error: Error): void {
  if (promoteFailureFails(plan, ctx)) throw error;
  progress.warn(`promotion failed (promote-failure: warn): ${error.message}`);
}

function parseLang(value: string | undefined): 'en' | 'zh' {
  if (value === 'en' || value === 'zh') return value;
  throw new ConfigError(`--lang: expected en or zh, got "${value}"`);
}

/** parseArgs' own errors (unknown flag, missing value) as ConfigErrors: exit 2, with a pointer to --help. */
function explain<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new ConfigError(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const kind = error instanceof GateError ? error.name : 'Error';
    process.stderr.write(`paddle-perf-gate: ${kind}: ${inertLog(message)}\n`);
    if (!(error instanceof GateError) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = EXIT.broken;
  },
);
