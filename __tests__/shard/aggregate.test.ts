/**
 * Past one runner, end to end through the bundled CLI: three shards of a model × variant gate run
 * concurrently (embedded runner, real PP-OCRv4 models), then `aggregate` merges them. Against the
 * same gate run unsharded: the same models, verdicts, rows and promotion. A missing or mismatched
 * shard exits 2 and promotes nothing; two aggregates racing on one S3 store (moto) promote once.
 * Minimal rounds and no timing verdict is asserted: the outcomes here do not depend on speed
 * (no baseline yet, then labels the models cannot match).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { aggregateShards, readShards } from '../../src/shard.js';
import { S3Store } from '../../src/stores/s3.js';
import type { AcceptanceRecord, GateReport, ShardDocument } from '../../src/types.js';
import { ACTION_ENTRY, actionEnv, readOutputs, start } from '../helpers/action-env.js';
import { DATA, MODELS, ROOT, runCli } from '../helpers/cli.js';
import { startMoto, type Moto } from '../stores/servers.js';

const creds = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
let moto: Moto;
let s3: S3Client;
const dir = mkdtempSync(join(tmpdir(), 'ppg-shards-'));

function gate(bucket: string, labels: { rec: string; cls: string }): string {
  return `gate: shards
models:
  - name: rec
    path: ${MODELS}/ch_PP-OCRv4_rec_infer.onnx
    task: ocr-rec
    dataset:
      labels: ${labels.rec}
      root: ${DATA}/ocr-rec
      dictionary: ${MODELS}/ppocr_keys_v1.txt
      limit: 6
    variants:
      - batch: 1
      - batch: 2
  - name: cls
    path: ${MODELS}/ch_ppocr_mobile_v2.0_cls_infer.onnx
    task: classification
    dataset:
      format: image-list
      labels: ${labels.cls}
      root: ${DATA}/ocr-cls
      class-names: ['0', '180']
      preprocess: { kind: ppocr-cls, shape: [3, 48, 192] }
      limit: 6
    variants:
      - { name: one, batch: 1 }
      - { name: two, batch: 2 }
measure:
  warmup: 1
  warmup-seconds: 0
  rounds: 4
  iterations: 3
  round-seconds: 0.05
store:
  s3: { bucket: ${bucket}, prefix: gate, endpoint: "${moto.endpoint}" }
`;
}

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

// The repository the action sees (GITHUB_REPOSITORY), so the action's aggregate below matches the CLI's shards.
const env = (name: string) => ({
  ...creds,
  PPG_CACHE_DIR: join(dir, `cache-${name}`),
  GITHUB_REPOSITORY: 'paddle/ocr',
  GITHUB_HEAD_REF: '',
});
const report = (out: string): GateReport => JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8')) as GateReport;
const shardDoc = (out: string): ShardDocument => JSON.parse(readFileSync(join(dir, out, 'shard.json'), 'utf8')) as ShardDocument;

async function objects(bucket: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!).filter((k) => !k.includes('@store/'));
}

/** What a reader compares: per model its variant, verdict, and each row's metric, band and (accuracy) value. */
function rowsOf(r: GateReport) {
  return r.models.map((m) => ({
    model: m.comparison.model,
    variant: m.variant,
    verdict: m.comparison.verdict,
    rows: m.comparison.rows.map((row) => ({
      metric: row.metric,
      ...(row.unit === '%' ? { current: row.current, baseline: row.baseline, band: row.band } : {}),
    })),
  }));
}

/** The gate context of an aggregate in this checkout (the shards above measured it), promoting. */
function checkoutContext() {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  return {
    repo: 'paddle/ocr',
    commit: git('rev-parse', 'HEAD'),
    branch: git('rev-parse', '--abbrev-ref', 'HEAD'),
    defaultBranch: 'main',
    event: 'local' as const,
    want: { commits: [], branch: 'main' },
    promote: true,
  };
}

const storeOn = (bucket: string) =>
  new S3Store({ bucket, prefix: 'gate', region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, env: creds });

const runShards = (config: string, prefix: string) =>
  Promise.all(
    [1, 2, 3].map((i) =>
      runCli(['run', '--config', config, '--shard', `${i}/3`, '--out', join(dir, `${prefix}${i}`)], { env: env(`s${i}`) }),
    ),
  );

let config: { a: string; b: string };
let whole: Awaited<ReturnType<typeof runCli>>;
let shards: Array<Awaited<ReturnType<typeof runCli>>>;

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  for (const bucket of ['whole', 'sharded', 'accepted']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const labels = { rec: `${DATA}/ocr-rec/rec_gt.txt`, cls: `${DATA}/ocr-cls/cls_gt.txt` };
  config = { a: write('whole.yml', gate('whole', labels)), b: write('sharded.yml', gate('sharded', labels)) };
  // The unsharded run and the three shards, all at once (as a matrix of runners would).
  const [w, s] = await Promise.all([
    runCli(['run', '--config', config.a, '--promote', '--out', join(dir, 'whole')], { env: env('whole') }),
    runShards(config.b, 's'),
  ]);
  whole = w;
  shards = s;
}, 180_000);

afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('run --shard i/n, then aggregate', () => {
  it('three concurrent shards split the 4 variants deterministically, each writes shard.json, none promotes', async () => {
    for (const s of [whole, ...shards]) expect(s.stderr).not.toMatch(/Error/);
    expect([whole.code, ...shards.map((s) => s.code)]).toEqual([0, 0, 0, 0]);
    const docs = [1, 2, 3].map((i) => shardDoc(`s${i}`));
    expect(docs.map((d) => d.shard)).toEqual([1, 2, 3].map((index) => ({ index, count: 3 })));
    expect(docs[0]!.models).toEqual(['rec[b1]', 'rec[b2]', 'cls[one]', 'cls[two]']);
    // By count (no durations recorded yet): 2 + 1 + 1, every model exactly once.
    expect(docs.map((d) => d.selected.length).sort()).toEqual([1, 1, 2]);
    expect(docs.flatMap((d) => d.selected).sort()).toEqual(['cls[one]', 'cls[two]', 'rec[b1]', 'rec[b2]']);
    for (const s of shards) expect(s.stderr).toMatch(/shard \d\/3 \(balanced by model count\)/);
    expect(await objects('sharded')).toEqual([]);
  });

  it('a missing shard: exit 2 naming it, and nothing promoted', async () => {
    const missing = await runCli(
      ['aggregate', join(dir, 's1'), join(dir, 's3'), '--config', config.b, '--promote', '--out', join(dir, 'agg-missing')],
      {
        env: env('agg'),
      },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/ConfigError: shard 2\/3 missing: got 1\/3 \(.*s1\), 3\/3 \(.*s3\); nothing was promoted/);
    expect(await objects('sharded')).toEqual([]);
  });

  it('a duplicate or mismatched shard: a ConfigError (exit 2, as above) naming which, before any promotion', async () => {
    // In-process (the exit code of a ConfigError is the case above): the checks of aggregateShards.
    const ctx = checkoutContext();
    const store = storeOn('sharded');
    const ports = { store, progress: { info: () => {}, warn: () => {} } };
    const plan = await loadConfig(config.b);
    const shardsOf = (...names: string[]) => readShards(names.map((n) => join(dir, n)));
    const refused = (shards: Awaited<ReturnType<typeof shardsOf>>, p = plan, c = ctx) =>
      aggregateShards(p, c, shards, ports).then(
        () => 'aggregated',
        (error: unknown) => (error instanceof ConfigError ? error.message : `not a ConfigError: ${String(error)}`),
      );

    expect(await refused(await shardsOf('s1', 's2', 's3', 's2'))).toMatch(/^shard 2\/3 given twice: .*s2 and .*s2$/);
    // Shard 2 re-run in attempt 2 of the workflow run ("Re-run failed jobs"): the aggregate takes
    // that attempt's document and says which one it set aside; two of one attempt are still refused.
    for (const name of ['s2-attempt2', 's2-attempt2-again']) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'shard.json'), JSON.stringify({ ...shardDoc('s2'), attempt: 2 }));
    }
    const infos: string[] = [];
    const rerun = await aggregateShards(plan, { ...ctx, promote: false }, await shardsOf('s1', 's2', 's3', 's2-attempt2'), {
      store,
      progress: { info: (m) => infos.push(m), warn: () => {} },
    });
    expect(infos).toContainEqual(
      expect.stringMatching(/^shard 2\/3 \(.*\/s2\) of attempt 1: superseded by attempt 2 \(.*\/s2-attempt2\)$/),
    );
    expect(rerun.report.models.map((m) => m.comparison.model)).toEqual(plan.models.map((m) => m.name));
    expect(rerun.report.shards).toBe(3);
    expect(await refused(await shardsOf('s1', 's2-attempt2', 's3', 's2-attempt2-again'))).toMatch(
      /^shard 2\/3 given twice: .*s2-attempt2 and .*s2-attempt2-again$/,
    );
    writeFileSync(join(dir, 's2-attempt2-again', 'shard.json'), JSON.stringify({ ...shardDoc('s2'), attempt: 0 }));
    await expect(shardsOf('s2-attempt2-again')).rejects.toThrow(
      /s2-attempt2-again\/shard\.json: field attempt: expected a run attempt \(an integer ≥ 1\)/,
    );
    // A shard of another gate.yml (another hash), of a 4-way split, of another commit.
    const doc = shardDoc('s3');
    mkdirSync(join(dir, 'foreign'));
    const foreign = async (changed: Partial<ShardDocument>) => {
      writeFileSync(join(dir, 'foreign', 'shard.json'), JSON.stringify({ ...doc, ...changed }));
      return refused(await shardsOf('s1', 's2', 'foreign'));
    };
    expect(await foreign({ configSha256: 'f'.repeat(64) })).toMatch(
      /^shards disagree on the gate\.yml sha256: 1\/3 \(.*s1\) has [0-9a-f]{64}, 3\/3 \(.*foreign\) has f{64}/,
    );
    expect(await foreign({ shard: { index: 3, count: 4 } })).toMatch(
      /^shards disagree on the shard count: 1\/3 \(.*s1\) has 3, 3\/4 \(.*foreign\) has 4/,
    );
    expect(await foreign({ commit: 'c'.repeat(40) })).toMatch(
      /^shards disagree on the head commit: 1\/3 \(.*s1\) has [0-9a-f]{40}, 3\/3 \(.*foreign\) has c{40}/,
    );
    // All three agree, but with another gate.yml or another checkout than the aggregate's own.
    const all = await shardsOf('s1', 's2', 's3');
    expect(await refused(all, await loadConfig(config.a))).toMatch(
      /^the shards' gate\.yml sha256 is [0-9a-f]{64} .* but .*whole\.yml has [0-9a-f]{64}/,
    );
    expect(await refused(all, plan, { ...ctx, commit: 'd'.repeat(40) })).toMatch(
      /^the shards' head commit is [0-9a-f]{40} .* but this checkout has d{40}/,
    );
    expect(await refused(all, plan, { ...ctx, repo: 'other/repo' })).toMatch(
      /^the shards' repository is paddle\/ocr .* but this job has other\/repo/,
    );
    // Not a shard document at all
    writeFileSync(join(dir, 'foreign', 'shard.json'), '{"schema": "paddle-perf-gate/run@1"}');
    await expect(shardsOf('foreign')).rejects.toThrow(
      /foreign\/shard\.json: field schema: expected "paddle-perf-gate\/shard@1", got "paddle-perf-gate\/run@1"/,
    );
    expect(await objects('sharded')).toEqual([]);
  });

  it("a shard whose baselines or times break a run's own rules (another repository, a fingerprint with path segments, a bad time): exit 2 naming the shard, nothing promoted", async () => {
    const ctx = checkoutContext();
    const plan = await loadConfig(config.b);
    const ports = { store: storeOn('sharded'), progress: { info: () => {}, warn: () => {} } };
    const good = shardDoc('s3');
    mkdirSync(join(dir, 'tampered'), { recursive: true });
    const file = join(dir, 'tampered', 'shard.json');
    const tampered = async (change: (doc: ShardDocument) => void) => {
      const doc = JSON.parse(JSON.stringify(good)) as ShardDocument;
      change(doc);
      writeFileSync(file, JSON.stringify(doc));
      return readShards(['s1', 's2', 'tampered'].map((n) => join(dir, n)))
        .then((shards) => aggregateShards(plan, ctx, shards, ports))
        .then(
          () => 'aggregated',
          (error: unknown) => (error instanceof ConfigError ? error.message : `not a ConfigError: ${String(error)}`),
        );
    };
    const at = file.replace(/[.]/g, '\\.');
    const entry = (doc: ShardDocument) => doc.entries[0]!;
    expect(
      await tampered((d) => {
        entry(d).key.repo = 'someone/else';
        entry(d).baseline.repo = 'someone/else';
      }),
    ).toMatch(new RegExp(`^${at}: entries\\[0\\]\\.key\\.repo: expected "paddle/ocr", got "someone/else"; nothing was promoted$`));
    expect(await tampered((d) => void (entry(d).baseline.repo = 'someone/else'))).toMatch(
      /entries\[0\]\.baseline\.repo: expected "paddle\/ocr"/,
    );
    expect(await tampered((d) => void (entry(d).key.gate = 'other-gate'))).toMatch(/entries\[0\]\.key\.gate: expected "shards"/);
    expect(
      await tampered((d) => {
        entry(d).key.fingerprintHash = '../../../etc';
        entry(d).baseline.fingerprintHash = '../../../etc';
      }),
    ).toMatch(
      /entries\[0\]\.key\.fingerprintHash: expected [0-9a-f]{16} \(the hash of its fingerprint under gate\.yml's fingerprint fields\), got "\.\.\/\.\.\/\.\.\/etc"/,
    );
    expect(await tampered((d) => void (entry(d).baseline.fingerprint['../gpu'] = 'x'))).toMatch(
      /entries\[0\]\.baseline\.fingerprint: expected fields named by identifiers such as gpuName, got "\.\.\/gpu"/,
    );
    // A fingerprint changed after the run: its hash no longer matches.
    expect(await tampered((d) => void (entry(d).baseline.fingerprint['engineVersion'] = '0.0.1'))).toMatch(
      /entries\[0\]\.key\.fingerprintHash: expected/,
    );
    expect(await tampered((d) => void (entry(d).baseline.commit = 'e'.repeat(40)))).toMatch(
      /entries\[0\]\.baseline\.commit: expected this checkout's commit/,
    );
    expect(await tampered((d) => void (entry(d).baseline.createdAt = 'yesterday'))).toMatch(
      /entries\[0\]\.baseline: field 'createdAt' should be an ISO 8601 date, found "yesterday"; nothing was promoted/,
    );
    expect(await tampered((d) => void (d.report.startedAt = 'Tuesday'))).toMatch(
      new RegExp(`^${at}: field report\\.startedAt: expected an ISO 8601 time`),
    );
    // The report's own schema (report/schema.ts, as `compare` reads report.json): a SchemaError, exit 2 as well.
    expect(await tampered((d) => void (d.report.durationSeconds = -3))).toMatch(
      new RegExp(`^not a ConfigError: SchemaError: ${at} \\(report\\): durationSeconds: expected a finite number ≥ 0, got -3$`),
    );
    // The aggregate's output in one of the shard directories: it would overwrite that shard's report.
    const intoShard = { ...plan, output: { dir: join(dir, 's1') } };
    expect(
      await aggregateShards(intoShard, ctx, await readShards(['s1', 's2', 's3'].map((x) => join(dir, x))), ports).catch(
        (e: Error) => e.message,
      ),
    ).toMatch(
      /^the output directory \(--out, the output-dir input or gate\.yml output\.dir\) .*\/s1 is the same directory as the shard directory \(aggregate DIR…, or the artifact-dir input\) .*\/s1: /,
    );
    // Through the CLI: exit 2 naming the shard's file.
    const cli = await runCli(
      [
        'aggregate',
        join(dir, 's1'),
        join(dir, 's2'),
        join(dir, 'tampered'),
        '--config',
        config.b,
        '--promote',
        '--out',
        join(dir, 'agg-tampered'),
      ],
      { env: env('agg') },
    );
    expect(cli.code, cli.stderr).toBe(2);
    expect(cli.stderr).toContain(`${file} (report): durationSeconds: expected a finite number ≥ 0`);
    expect(await objects('sharded')).toEqual([]);
  });

  it("acceptance on the PR (issue 15): the aggregate's report carries the shards' records on (the comment keeps them) and its promotion records the ones used", async () => {
    // The shards of a run on an accepted PR: each judged the same records (here shard 2's model rec[b2]
    // has an accepted row, as judgeAcceptance marks it); shard 3 also saw a refused acceptance.
    const record: AcceptanceRecord = {
      by: 'maint',
      at: '2026-12-07T01:00:00.000Z',
      reason: 'the wider input is worth it',
      via: 'comment',
      sha: 'a'.repeat(40),
      pr: 7,
      metrics: ['latency'],
      rows: [{ model: 'rec[b2]', metric: 'latency.p50', unit: 'ms', deltaAbs: 1.5, deltaRel: 0.2 }],
    };
    const refusal = { by: 'author', via: 'label' as const, why: { key: 'accept.why.author' as const, args: { by: '@author' } } };
    const docs = [1, 2, 3].map((i) => shardDoc(`s${i}`));
    for (const [i, doc] of docs.entries()) {
      doc.report.acceptance = { pr: 7, head: record.sha, records: [record], refused: i === 2 ? [refusal] : [] };
      const rec = doc.report.models.find((m) => m.comparison.model === 'rec[b2]');
      if (rec) {
        rec.comparison.rows[0]!.accepted = {
          by: record.by,
          at: record.at,
          reason: record.reason,
          via: record.via,
          sha: record.sha,
          pr: record.pr,
        };
        doc.report.accepted = 1;
      }
      mkdirSync(join(dir, `acc${i + 1}`));
      writeFileSync(join(dir, `acc${i + 1}`, 'shard.json'), JSON.stringify(doc));
    }
    const ctx = checkoutContext();
    const store = storeOn('accepted');
    const outcome = await aggregateShards(await loadConfig(config.b), ctx, await readShards([1, 2, 3].map((i) => join(dir, `acc${i}`))), {
      store,
      progress: { info: () => {}, warn: () => {} },
    });
    expect(outcome.report.acceptance).toEqual({ pr: 7, head: record.sha, records: [record], refused: [refusal] });
    expect(outcome.report.accepted).toBe(1);
    expect(outcome.report.promotion?.done, outcome.report.promotion?.message).toBe(true);
    const log = await store.log({ repo: 'paddle/ocr', gate: 'shards', model: 'rec[b2]' }, ctx.branch);
    expect(log.map((e) => [e.commit, e.acceptance])).toEqual([[ctx.commit, [record]]]);
  });

  it('two aggregates racing: one report each, the same verdicts and rows as the unsharded run, promoted once', async () => {
    const all = [1, 2, 3].map((i) => join(dir, `s${i}`));
    const [x, y] = await Promise.all(
      ['agg-x', 'agg-y'].map((out) =>
        runCli(['aggregate', ...all, '--config', config.b, '--promote', '--out', join(dir, out)], { env: env(out) }),
      ),
    );
    expect([x!.code, y!.code]).toEqual([0, 0]);
    const merged = report('agg-x');
    expect(rowsOf(merged)).toEqual(rowsOf(report('whole')));
    expect(rowsOf(report('agg-y'))).toEqual(rowsOf(merged));
    expect(merged.verdict).toBe('no-baseline');
    expect(merged.models.map((m) => m.variant)).toEqual([
      { of: 'rec', label: 'b1' },
      { of: 'rec', label: 'b2' },
      { of: 'cls', label: 'one' },
      { of: 'cls', label: 'two' },
    ]);
    expect(merged.shards).toBe(3);
    expect(x!.stdout).toContain('- measured in 3 shards side by side, merged into this one report');
    // The comment shows each model's variants side by side.
    expect(x!.stdout).toMatch(/\*\*rec\*\* — 2 variants, side by side/);
    expect(x!.stdout).toMatch(/\| metric \| b1 🆕 \| b2 🆕 \|/);
    expect(x!.stdout).toMatch(/\| metric \| one 🆕 \| two 🆕 \|/);
    // Both aggregates report a promotion (one wrote it, the other found it done), the store holds it once.
    for (const r of [merged, report('agg-y')]) expect(r.promotion?.done).toBe(true);

    // The same objects as the unsharded run's promotion: same models, fingerprints and commit.
    const strip = (keys: string[]) => keys.map((k) => k.replace(/^gate\//, '')).sort();
    expect(strip(await objects('sharded'))).toEqual(strip(await objects('whole')));
    expect((await objects('sharded')).filter((k) => /\/commits\/[^/]+\.json$/.test(k) && !k.includes('@gate'))).toHaveLength(4);
    const store = storeOn('sharded');
    const entries = [1, 2, 3].flatMap((i) => shardDoc(`s${i}`).entries);
    for (const { key, baseline } of entries) {
      const history = await store.history(key, 10, baseline.branch);
      expect(history.map((b) => b.commit)).toEqual([baseline.commit]);
      expect(history[0]!.seconds).toBeGreaterThan(0);
    }
  });

  it('the action, mode: aggregate, over the downloaded shard artifacts: one summary and the outputs; a directory without shards exits 2', async () => {
    const artifacts = join(dir, 'artifacts');
    for (const i of [1, 2, 3]) cpSync(join(dir, `s${i}`), join(artifacts, `paddle-perf-gate-shards-shard-${i}-of-3`), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const sha = git('rev-parse', 'HEAD');
    const branch = git('rev-parse', '--abbrev-ref', 'HEAD');
    const run = async (name: string, artifactDir: string) => {
      const { env: actionVars, files } = await actionEnv({
        dir: join(dir, name),
        workspace: ROOT,
        sha,
        // promote: false — the shards carry this checkout's branch, which is the default branch in a clean clone (CI).
        inputs: {
          mode: 'aggregate',
          config: config.b,
          'artifact-dir': artifactDir,
          'output-dir': join(dir, name, 'out'),
          promote: 'false',
        },
        extra: { ...creds, GITHUB_REF: `refs/heads/${branch}` },
      });
      const child = start(ACTION_ENTRY, actionVars, ROOT);
      return { code: await child.exit, output: child.output(), files };
    };
    const ok = await run('action-agg', artifacts);
    expect(ok.output).not.toMatch(/::error/);
    expect(ok.code).toBe(0);
    const outputs = await readOutputs(ok.files.output);
    expect(outputs['verdict']).toBe('no-baseline');
    expect(outputs['promoted']).toBe('false');
    const summary = readFileSync(ok.files.summary, 'utf8');
    expect(summary).toMatch(/\| metric \| b1 🆕 \| b2 🆕 \|/);
    expect(rowsOf(JSON.parse(readFileSync(join(dir, 'action-agg', 'out', 'report.json'), 'utf8')) as GateReport)).toEqual(
      rowsOf(report('whole')),
    );

    const none = await run('action-none', join(dir, 'whole'));
    expect(none.code).toBe(2);
    expect(none.output).toMatch(/input `artifact-dir`: no shard\.json in .*whole or its subdirectories/);
  });

  it('against the promoted baselines: shards balance by recorded durations, and a regression fails the aggregate like the unsharded run', async () => {
    // Labels no model can match: accuracy falls in every variant, whatever the machine's load.
    const wrong = {
      rec: write('rec_wrong.txt', readFileSync(join(DATA, 'ocr-rec/rec_gt.txt'), 'utf8').replace(/\t.*$/gm, '\t错误的标签')),
      cls: write(
        'cls_wrong.txt',
        readFileSync(join(DATA, 'ocr-cls/cls_gt.txt'), 'utf8').replace(/ (\d)$/gm, (_, c: string) => ` ${c === '0' ? 1 : 0}`),
      ),
    };
    const a = write('whole-wrong.yml', gate('whole', wrong));
    const b = write('sharded-wrong.yml', gate('sharded', wrong));
    const before = await objects('sharded');
    const [w, ...s] = await Promise.all([
      runCli(['run', '--config', a, '--promote', '--out', join(dir, 'whole-wrong')], { env: env('whole') }),
      ...[1, 2, 3].map((i) => runCli(['run', '--config', b, '--shard', `${i}/3`, '--out', join(dir, `w${i}`)], { env: env(`s${i}`) })),
    ]);
    expect(w.code).toBe(1);
    // A shard's regression is the aggregate's to judge.
    expect(s.map((r) => r.code)).toEqual([0, 0, 0]);
    for (const r of s) expect(r.stderr).toMatch(/balanced by recorded durations/);
    const agg = await runCli(
      ['aggregate', ...[1, 2, 3].map((i) => join(dir, `w${i}`)), '--config', b, '--promote', '--out', join(dir, 'agg-wrong')],
      {
        env: env('agg'),
      },
    );
    expect(agg.code).toBe(1);
    const merged = report('agg-wrong');
    expect(merged.verdict).toBe('fail');
    expect(merged.models.map((m) => m.comparison.verdict)).toEqual(['fail', 'fail', 'fail', 'fail']);
    expect(rowsOf(merged).map((m) => ({ ...m, rows: m.rows.filter((r) => 'band' in r) }))).toEqual(
      rowsOf(report('whole-wrong')).map((m) => ({ ...m, rows: m.rows.filter((r) => 'band' in r) })),
    );
    expect(merged.promotion?.done).toBe(false);
    expect(await objects('sharded')).toEqual(before);
  }, 180_000);
});
