/**
 * Past one runner. `--shard i/n` runs a deterministic, balanced part of the gate's models (variants
 * expanded) and leaves shard.json beside its report; `aggregate DIR…` checks that the shards are
 * exactly the n parts of one gate run (same commit, same gate.yml, same shard count), merges them
 * into one report, verdict and exit code, and promotes every shard's models in ONE store transaction
 * (stores/layout.ts: objects, seal, branch manifest) — or none.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gateVerdict } from './compare/index.js';
import { ConfigError, StoreError } from './errors.js';
import { fingerprintHash } from './fingerprint.js';
import { decodeBaseline } from './stores/codec.js';
import { checkRunPaths } from './preflight.js';
import { validateReport } from './report/schema.js';
import { acceptedRecords, promoteRun, runGate, type GateContext, type GateOutcome, type GatePorts, type PromotionEntry } from './gate.js';
import type { BaselineStore, Progress } from './ports.js';
import {
  SHARD_SCHEMA,
  type GatePlan,
  type GateReport,
  type ModelFigures,
  type ModelPlan,
  type ShardDocument,
  type ShardSpec,
} from './types.js';

/** The file a shard leaves in its output directory (the artifact the aggregate job downloads). */
export const SHARD_FILE = 'shard.json';

/** At most this many shards: a matrix past it is a configuration mistake, not a plan. */
const MAX_SHARDS = 256;

/** `i/n` (1 ≤ i ≤ n) → the shard; anything else names the flag or input and what was expected. */
export function parseShard(value: string, what: string): ShardSpec {
  const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || index < 1 || count < 1 || index > count || count > MAX_SHARDS) {
    throw new ConfigError(`${what}: expected i/n with 1 ≤ i ≤ n ≤ ${MAX_SHARDS} (e.g. 2/4), got "${value}"`);
  }
  return { index, count };
}

/**
 * Which shard (0-based) runs each model: longest first onto the least loaded shard, ties broken
 * by gate.yml order and then the lowest shard. Deterministic: every shard computes the same split.
 */
export function assignShards(costs: readonly number[], count: number): number[] {
  const order = costs.map((cost, i) => ({ cost, i })).sort((a, b) => b.cost - a.cost || a.i - b.i);
  const load = new Array<number>(count).fill(0);
  const owner = new Array<number>(costs.length).fill(0);
  for (const { cost, i } of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s]! < load[best]!) best = s;
    owner[i] = best;
    load[best] = load[best]! + cost;
  }
  return owner;
}

/**
 * Each model's recorded wall seconds from the store (its newest baseline on the branch, under any
 * fingerprint), or undefined where none was recorded. A store that cannot be read costs the
 * balance, not the run: then every model counts the same.
 */
async function recordedSeconds(
  plan: GatePlan,
  ctx: GateContext,
  store: BaselineStore,
  progress: Progress,
): Promise<Array<number | undefined>> {
  try {
    return await Promise.all(
      plan.models.map(async (model) => {
        // No fingerprint is known before the run: an impossible one makes get() answer with the
        // model's newest baseline under any fingerprint.
        const key = { repo: ctx.repo, gate: plan.gate, model: model.name, fingerprintHash: 'any' };
        const { baseline } = await store.get(key, { commits: [], branch: ctx.want.branch });
        const seconds = baseline?.seconds;
        return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
      }),
    );
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    progress.warn(`shards balanced by model count: durations unreadable from ${store.location}: ${error.message}`);
    return plan.models.map(() => undefined);
  }
}

/** The models of this shard, in gate.yml order, and how the split was made. */
async function shardModels(
  plan: GatePlan,
  ctx: GateContext,
  shard: ShardSpec,
  ports: Pick<GatePorts, 'store' | 'progress'>,
): Promise<{ selected: ModelPlan[]; balancedBy: 'durations' | 'count' }> {
  const seconds = await recordedSeconds(plan, ctx, ports.store, ports.progress);
  const known = seconds.filter((s): s is number => s !== undefined);
  // Models never measured count as the average of those that were (or 1 each when none was).
  const fill = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  const owner = assignShards(
    seconds.map((s) => s ?? fill),
    shard.count,
  );
  return {
    selected: plan.models.filter((_, i) => owner[i] === shard.index - 1),
    balancedBy: known.length > 0 ? 'durations' : 'count',
  };
}

/** sha256 of gate.yml's bytes (of the path itself for the built-in demo, which has no file). */
async function configDigest(plan: Pick<GatePlan, 'configPath'>): Promise<string> {
  const bytes = await readFile(plan.configPath).catch(() => Buffer.from(plan.configPath));
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Runs one shard: its models only, never a promotion (the aggregate promotes), and the shard
 * document, stamped with the workflow run's attempt (github/context.ts runAttempt).
 */
export async function runShard(
  plan: GatePlan,
  ctx: GateContext,
  shard: ShardSpec,
  ports: GatePorts,
  attempt = 1,
): Promise<GateOutcome & { shard: ShardDocument }> {
  const { selected, balancedBy } = await shardModels(plan, ctx, shard, ports);
  const names = selected.map((m) => m.name);
  ports.progress.info(
    `shard ${shard.index}/${shard.count} (balanced by ${balancedBy === 'durations' ? 'recorded durations' : 'model count'}): ${names.length > 0 ? names.join(', ') : 'no models'}`,
  );
  const outcome = await runGate({ ...plan, models: selected }, { ...ctx, promote: false }, ports);
  const doc: ShardDocument = {
    schema: SHARD_SCHEMA,
    gate: plan.gate,
    shard,
    repo: ctx.repo,
    commit: ctx.commit,
    branch: ctx.branch,
    configSha256: await configDigest(plan),
    models: plan.models.map((m) => m.name),
    selected: names,
    report: outcome.report,
    entries: outcome.entries,
    figures: outcome.figures,
    attempt,
  };
  return { ...outcome, shard: doc };
}

/** Reads DIR/shard.json of each directory; a missing or foreign file is a ConfigError naming it. */
export async function readShards(dirs: readonly string[]): Promise<Array<{ dir: string; doc: ShardDocument }>> {
  if (dirs.length === 0) throw new ConfigError('aggregate: expected the shard directories (each holding shard.json), got none');
  return Promise.all(
    dirs.map(async (dir) => {
      const file = join(resolve(dir), SHARD_FILE);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new ConfigError(
          `${file}: no shard document (${error instanceof Error ? error.message : String(error)}); was ${dir} written by run --shard?`,
        );
      }
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (error) {
        throw new ConfigError(`${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
      }
      return { dir, doc: checkShardDocument(doc, file) };
    }),
  );
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** A fingerprint hash as fingerprint.ts makes it. */
const FINGERPRINT_HASH = /^[0-9a-f]{16}$/;
/** A fingerprint field name, as gate.yml `fingerprint` allows it. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function checkShardDocument(doc: unknown, file: string): ShardDocument {
  const d = doc as Partial<ShardDocument> | null;
  const bad = (field: string, expected: string) => new ConfigError(`${file}: field ${field}: expected ${expected}`);
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw bad('(document)', 'an object');
  if (d.schema !== SHARD_SCHEMA) throw bad('schema', `"${SHARD_SCHEMA}", got ${JSON.stringify(d.schema)}`);
  for (const f of ['gate', 'repo', 'commit', 'branch', 'configSha256'] as const) if (typeof d[f] !== 'string') throw bad(f, 'a string');
  const s = d.shard;
  if (!s || !Number.isInteger(s.index) || !Number.isInteger(s.count) || s.index < 1 || s.index > s.count)
    throw bad('shard', '{index, count} with 1 ≤ index ≤ count');
  for (const f of ['models', 'selected'] as const)
    if (!Array.isArray(d[f]) || !d[f].every((x) => typeof x === 'string')) throw bad(f, 'a list of model names');
  if (typeof d.report !== 'object' || d.report === null || !Array.isArray(d.report.models)) throw bad('report', 'a gate report');
  // Every field of the report checked as `compare` checks report.json (a shard that ran no model has none to check).
  if (d.report.models.length > 0) validateReport(d.report, `${file} (report)`);
  if (d.report.models.length === 0 && (!Array.isArray(d.report.warningsLog) || typeof d.report.gate !== 'string'))
    throw bad('report', 'a gate report');
  // The run's own clock fields, as a run writes them (toISOString, seconds ≥ 0): merged into the aggregate's report.
  if (typeof d.report.startedAt !== 'string' || !ISO_TIME.test(d.report.startedAt) || Number.isNaN(Date.parse(d.report.startedAt)))
    throw bad('report.startedAt', `an ISO 8601 time such as 2025-01-31T12:00:00.000Z, got ${JSON.stringify(d.report.startedAt)}`);
  if (typeof d.report.durationSeconds !== 'number' || !Number.isFinite(d.report.durationSeconds) || d.report.durationSeconds < 0)
    throw bad('report.durationSeconds', `a number of seconds ≥ 0, got ${JSON.stringify(d.report.durationSeconds)}`);
  if (!Array.isArray(d.entries)) throw bad('entries', 'a list of baselines');
  if (d.attempt !== undefined && !(Number.isInteger(d.attempt) && d.attempt >= 1)) throw bad('attempt', 'a run attempt (an integer ≥ 1)');
  return d as ShardDocument;
}

/**
 * Checks that `shards` are exactly the n parts of one run of this gate.yml at this commit, then
 * merges them: one report (models in gate.yml order), one verdict, one promotion of every model.
 */
export async function aggregateShards(
  plan: GatePlan,
  ctx: GateContext,
  shards: ReadonlyArray<{ dir: string; doc: ShardDocument }>,
  ports: Pick<GatePorts, 'store' | 'progress'>,
): Promise<GateOutcome> {
  // Before anything is merged or promoted: the output must not lie in (or hold) a shard's directory, nor the store's.
  await checkRunPaths(plan, { shardDirs: shards.map((x) => x.dir) });
  const digest = await configDigest(plan);
  const first = shards[0]!;
  const label = (x: { dir: string; doc: ShardDocument }) => `${x.doc.shard.index}/${x.doc.shard.count} (${x.dir})`;
  // Mismatches first: they explain a "missing" shard better than the count would.
  const agree: Array<{ field: string; of: (d: ShardDocument) => string; own?: string; ownWhat?: string }> = [
    { field: 'gate id', of: (d) => d.gate, own: plan.gate, ownWhat: 'gate.yml' },
    { field: 'shard count', of: (d) => String(d.shard.count) },
    { field: 'repository', of: (d) => d.repo, own: ctx.repo, ownWhat: 'this job' },
    { field: 'head commit', of: (d) => d.commit, own: ctx.commit, ownWhat: 'this checkout' },
    { field: 'branch', of: (d) => d.branch, own: ctx.branch, ownWhat: 'this checkout' },
    { field: 'gate.yml sha256', of: (d) => d.configSha256, own: digest, ownWhat: plan.configPath },
  ];
  for (const { field, of, own, ownWhat } of agree) {
    const other = shards.find((x) => of(x.doc) !== of(first.doc));
    if (other) {
      throw new ConfigError(
        `shards disagree on the ${field}: ${label(first)} has ${of(first.doc)}, ${label(other)} has ${of(other.doc)}; aggregate only the shards of one run`,
      );
    }
    if (own !== undefined && of(first.doc) !== own) {
      throw new ConfigError(
        `the shards' ${field} is ${of(first.doc)} (${shards.map((x) => x.dir).join(', ')}), but ${ownWhat} has ${own}; aggregate in a job that checks out the same commit and gate.yml`,
      );
    }
  }
  const count = first.doc.shard.count;
  // A shard re-run in a later attempt of the workflow run ("Re-run failed jobs") left a second
  // document: the latest attempt's counts. The same shard twice from one attempt is a mistake.
  const attemptOf = (x: { doc: ShardDocument }) => x.doc.attempt ?? 1;
  const byIndex = new Map<number, { dir: string; doc: ShardDocument }>();
  for (const x of [...shards].sort((a, b) => attemptOf(b) - attemptOf(a))) {
    const seen = byIndex.get(x.doc.shard.index);
    if (seen && attemptOf(seen) === attemptOf(x)) {
      throw new ConfigError(`shard ${x.doc.shard.index}/${count} given twice: ${seen.dir} and ${x.dir}`);
    }
    if (seen) ports.progress.info(`shard ${label(x)} of attempt ${attemptOf(x)}: superseded by attempt ${attemptOf(seen)} (${seen.dir})`);
    else byIndex.set(x.doc.shard.index, x);
  }
  const kept = [...byIndex.values()];
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new ConfigError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: got ${kept.map(label).join(', ')}; nothing was promoted`,
    );
  }

  // Every model of gate.yml exactly once, from the shard that ran it.
  const names = plan.models.map((m) => m.name);
  const ownerOf = new Map<string, { dir: string; doc: ShardDocument }>();
  for (const x of kept) {
    for (const name of x.doc.selected) {
      const twice = ownerOf.get(name);
      if (twice) throw new ConfigError(`model ${name} was run by two shards: ${label(twice)} and ${label(x)}`);
      ownerOf.set(name, x);
    }
  }
  const unrun = names.filter((n) => !ownerOf.has(n));
  const foreign = [...ownerOf.keys()].filter((n) => !names.includes(n));
  if (unrun.length > 0 || foreign.length > 0) {
    throw new ConfigError(
      `the shards do not cover gate.yml's models: ${unrun.length > 0 ? `not run: ${unrun.join(', ')}` : ''}${unrun.length > 0 && foreign.length > 0 ? '; ' : ''}${foreign.length > 0 ? `not in gate.yml: ${foreign.join(', ')}` : ''}`,
    );
  }

  const models: GateReport['models'] = [];
  const entries: PromotionEntry[] = [];
  const figures: ModelFigures[] = [];
  for (const name of names) {
    const x = ownerOf.get(name)!;
    const model = x.doc.report.models.find((m) => m.comparison.model === name);
    const entry = x.doc.entries.find((e) => e.key?.model === name);
    if (!model || !entry) throw new ConfigError(`${join(x.dir, SHARD_FILE)}: lists ${name} as run but holds no report or baseline for it`);
    checkEntry(entry, x.doc.entries.indexOf(entry), model, plan, ctx, join(x.dir, SHARD_FILE));
    models.push(model);
    entries.push(entry);
    const figure = x.doc.figures?.find((f) => f.model === name);
    if (figure) figures.push(figure);
  }
  const starts = kept.map((x) => Date.parse(x.doc.report.startedAt));
  const ends = kept.map((x) => Date.parse(x.doc.report.startedAt) + x.doc.report.durationSeconds * 1000);
  const summary = gateVerdict(
    models.map((m) => m.comparison),
    plan.failOn,
  );
  const warningsLog = [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([i, x]) => x.doc.report.warningsLog.map((w) => `shard ${i}/${count}: ${w}`));
  // Acceptance on the PR (issue 15): every shard judged the same records (the PR comment and the
  // event); the aggregate's comment carries them on, and its promotion records the ones used.
  const acceptance = mergedAcceptance(kept.map((x) => x.doc.report));
  const accepted = kept.reduce((n, x) => n + (x.doc.report.accepted ?? 0), 0);
  const report: GateReport = {
    gate: plan.gate,
    verdict: summary.verdict,
    regressions: summary.regressions,
    warnings: summary.warnings,
    inconclusive: summary.inconclusive,
    models,
    warningsLog,
    ...(accepted > 0 ? { accepted } : {}),
    ...(acceptance ? { acceptance } : {}),
    shards: count,
    startedAt: new Date(Math.min(...starts)).toISOString(),
    durationSeconds: (Math.max(...ends) - Math.min(...starts)) / 1000,
  };
  const warn = (message: string) => {
    report.warningsLog.push(message);
    ports.progress.warn(message);
  };
  const promotionError = ctx.promote
    ? await promoteRun(plan, ctx, { report, summary, entries, acceptance: acceptedRecords(report) }, ports, warn)
    : undefined;
  return { report, failed: summary.failed, entries, figures, ...(promotionError ? { promotionError } : {}) };
}

/**
 * A shard's baseline for one model, by the rules a run's own promotion follows: the store's
 * baseline schema (codec.ts), the key and the document naming this repository, gate, commit and
 * branch, and a fingerprint of identifier fields whose hash is the one gate.yml's fingerprint
 * fields give. Anything else would be written into the store as this
 * gate's baseline.
 */
function checkEntry(
  entry: PromotionEntry,
  index: number,
  model: GateReport['models'][number],
  plan: Pick<GatePlan, 'gate' | 'fingerprintFields'>,
  ctx: Pick<GateContext, 'repo' | 'commit' | 'branch'>,
  file: string,
): void {
  const at = `${file}: entries[${index}]`;
  const fail = (field: string, expected: string, got: unknown) =>
    new ConfigError(`${at}.${field}: expected ${expected}, got ${JSON.stringify(got)?.slice(0, 80) ?? String(got)}; nothing was promoted`);
  const key = entry.key as Partial<PromotionEntry['key']> | undefined;
  if (typeof key !== 'object' || key === null) throw fail('key', 'a baseline key', key);
  let baseline: PromotionEntry['baseline'];
  try {
    baseline = decodeBaseline(JSON.stringify(entry.baseline ?? null), `${at}.baseline`);
  } catch (error) {
    throw new ConfigError(`${error instanceof Error ? error.message : String(error)}; nothing was promoted`);
  }
  const own = { repo: ctx.repo, gate: plan.gate, model: model.metrics.model };
  for (const field of ['repo', 'gate', 'model'] as const) {
    if (key[field] !== own[field]) throw fail(`key.${field}`, JSON.stringify(own[field]), key[field]);
    if (baseline[field] !== own[field]) throw fail(`baseline.${field}`, JSON.stringify(own[field]), baseline[field]);
  }
  if (baseline.commit !== ctx.commit) throw fail('baseline.commit', `this checkout's commit ${ctx.commit}`, baseline.commit);
  if (baseline.branch !== ctx.branch)
    throw fail('baseline.branch', `this checkout's branch ${JSON.stringify(ctx.branch)}`, baseline.branch);
  for (const field of Object.keys(baseline.fingerprint)) {
    if (!FIELD_NAME.test(field)) throw fail('baseline.fingerprint', 'fields named by identifiers such as gpuName', field);
  }
  const hash = fingerprintHash(baseline.fingerprint, plan.fingerprintFields);
  if (typeof key.fingerprintHash !== 'string' || !FINGERPRINT_HASH.test(key.fingerprintHash) || key.fingerprintHash !== hash)
    throw fail('key.fingerprintHash', `${hash} (the hash of its fingerprint under gate.yml's fingerprint fields)`, key.fingerprintHash);
  if (baseline.fingerprintHash !== hash) throw fail('baseline.fingerprintHash', hash, baseline.fingerprintHash);
}

/** The shards' acceptance states as one: their records and refusals, each once (by who and when). */
function mergedAcceptance(reports: readonly GateReport[]): GateReport['acceptance'] {
  const states = reports.flatMap((r) => (r.acceptance ? [r.acceptance] : []));
  if (states.length === 0) return undefined;
  const once = <T>(items: T[], key: (x: T) => string) => [...new Map(items.map((x) => [key(x), x])).values()];
  return {
    ...states[0]!,
    records: once(
      states.flatMap((s) => s.records),
      (r) => `${r.by}\u0000${r.at}`,
    ),
    refused: once(
      states.flatMap((s) => s.refused),
      (r) => `${r.by}\u0000${r.via}\u0000${JSON.stringify(r.why)}`,
    ),
  };
}
