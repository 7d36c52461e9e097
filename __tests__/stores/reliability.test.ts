/**
 * The promises a store makes, tried the hard way against the file store and a real S3 server
 * (moto) behind a fault proxy:
 *  - crash consistency: a two-model promotion killed (SIGKILL) before each of its writes leaves
 *    every lookup reading both models old or both new, and the next run completes it;
 *  - 30 concurrent promotions of a real 30-commit git line all land, the pointer on the newest
 *    descendant;
 *  - S3: a dripping or hung endpoint meets the operation deadline; a service that ignores
 *    conditional writes is found by the probe and promotions refuse to run on it unless opted in.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import type { BaselineStore, PromotionRequest } from '../../src/ports.js';
import { FileStore } from '../../src/stores/file.js';
import { gitAncestry } from '../../src/stores/git.js';
import { S3Store, type S3StoreOptions } from '../../src/stores/s3.js';
import type { BaselineKey } from '../../src/types.js';
import { ROOT } from '../helpers/cli.js';
import { gitLine, makeBaseline, sha, uniqueKey } from './contract.js';
import { FaultProxy, freePort, startMoto, type Moto } from './servers.js';

const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
const bucket = 'reliability';
let moto: Moto;
let proxy: FaultProxy;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ppg-reliability-'));
  moto = await startMoto();
  proxy = new FaultProxy(await freePort(), moto.endpoint);
  await proxy.up();
  const raw = new S3Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await raw.send(new CreateBucketCommand({ Bucket: bucket }));
}, 60_000);
afterAll(async () => {
  await proxy?.down();
  await moto?.stop();
  await rm(root, { recursive: true, force: true });
});

const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();
const s3opts = (extra: Partial<S3StoreOptions> = {}): S3StoreOptions => ({
  bucket,
  prefix: 'ci',
  region: 'us-east-1',
  endpoint: moto.endpoint,
  forcePathStyle: true,
  env,
  ...extra,
});

type StoreSpec = { kind: 'file'; dir: string } | ({ kind: 's3' } & S3StoreOptions);
const backends: Array<[string, () => StoreSpec]> = [
  ['file', () => ({ kind: 'file', dir: join(root, 'file-store') })],
  ['s3 (moto)', () => ({ kind: 's3', ...s3opts() })],
];
const open = (spec: StoreSpec): BaselineStore => (spec.kind === 'file' ? new FileStore(spec.dir) : new S3Store(spec));

function twoModels(commit: string, minute: number, branch = 'main'): { keys: BaselineKey[]; request: PromotionRequest } {
  const a = uniqueKey();
  const keys = [a, { ...a, model: 'PP-OCRv4-det' }];
  return {
    keys,
    request: { commit, branch, entries: keys.map((key) => ({ key, baseline: makeBaseline(key, commit, at(minute), branch) })) },
  };
}

function runChild(task: object): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, '__tests__/stores/crash-child.ts')], {
      cwd: ROOT,
      env: { ...process.env, PPG_CRASH_TASK: JSON.stringify(task), TSX_DISABLE_CACHE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** What every lookup of both models reads: by commit, by branch, and the history. */
async function readAll(store: BaselineStore, keys: BaselineKey[], newCommit: string, oldCommit: string) {
  const out = [];
  for (const key of keys) {
    out.push({
      byCommit: (await store.get(key, { commits: [newCommit, oldCommit], branch: 'main' })).baseline?.commit,
      byBranch: (await store.get(key, { commits: [], branch: 'main' })).baseline?.commit,
      history: (await store.history(key, 10, 'main')).map((b) => b.commit),
    });
  }
  return out;
}

describe.each(backends)('%s: crash consistency of a two-model promotion', (_name, spec) => {
  it('SIGKILL before each write: every lookup reads both models old or both new; the next run completes it', async () => {
    // The writes of a two-model promotion on a store that has promoted before: 2 objects, the seal, the manifest.
    const WRITES = 4;
    const outcomes: string[] = [];
    for (let crashAt = 1; crashAt <= WRITES + 1; crashAt++) {
      const old = twoModels(sha(1), 1);
      const store = open(spec());
      await store.promote(old.request);
      const request: PromotionRequest = {
        commit: sha(2),
        branch: 'main',
        entries: old.keys.map((key) => ({ key, baseline: makeBaseline(key, sha(2), at(2), 'main', 25) })),
      };
      const child = await runChild({ store: spec(), crashAt, request });
      if (crashAt <= WRITES) expect(child.signal, child.stderr).toBe('SIGKILL');
      else expect(child.stdout, child.stderr).toContain(`writes=${WRITES}`);

      const [a, b] = await readAll(open(spec()), old.keys, sha(2), sha(1));
      // Never mixed: the two models agree on every lookup.
      expect(a).toEqual(b);
      outcomes.push(`${crashAt}: commit=${a!.byCommit?.slice(-1)} branch=${a!.byBranch?.slice(-1)}`);

      // The next run completes it; afterwards everything reads new.
      const rerun = await open(spec()).promote(request);
      expect(rerun.state).toBe(crashAt === 1 ? 'promoted' : crashAt > WRITES ? 'already' : 'completed');
      const [a2, b2] = await readAll(open(spec()), old.keys, sha(2), sha(1));
      expect(a2).toEqual({ byCommit: sha(2), byBranch: sha(2), history: [sha(2), sha(1)] });
      expect(b2).toEqual(a2);
    }
    // Before the seal: old everywhere; after the seal: new by commit; after the manifest: new everywhere.
    expect(outcomes).toEqual([
      '1: commit=1 branch=1',
      '2: commit=1 branch=1',
      '3: commit=1 branch=1',
      '4: commit=2 branch=1',
      '5: commit=2 branch=2',
    ]);
  }, 120_000);
});

describe.each(backends)('%s: contention', (_name, spec) => {
  it('case 8: 30 concurrent promotions of a 30-commit line all land; the pointer ends on the newest descendant', async () => {
    const { dir, commits } = gitLine(30);
    const isAncestor = gitAncestry(dir);
    const key = uniqueKey();
    // Finish times in a scrambled order, so "newest by time" would be wrong for most of them.
    const order = commits.map((c, i) => ({ c, minute: (i * 17) % 30 }));
    const results = await Promise.allSettled(
      order.map(({ c, minute }) =>
        open(spec()).promote({ commit: c, branch: 'main', entries: [{ key, baseline: makeBaseline(key, c, at(minute)) }], isAncestor }),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
    expect(failed).toEqual([]);
    const store = open(spec());
    expect((await store.get(key, { commits: [], branch: 'main' })).baseline?.commit).toBe(commits[29]);
    expect(new Set((await store.history(key, 50, 'main')).map((b) => b.commit))).toEqual(new Set(commits));
    await rm(dir, { recursive: true, force: true });
  }, 240_000);
});

describe('s3: the deadline and the conditional-write probe', () => {
  it.each([['drip'], ['hang']] as const)('case 7: an endpoint that %ss meets the whole-operation deadline', async (mode) => {
    const store = new S3Store(s3opts({ endpoint: proxy.endpoint, operationTimeoutMs: 1_500, requestTimeoutMs: 30_000 }));
    proxy.mode = mode;
    const started = Date.now();
    try {
      const error = await store.get(uniqueKey(), { commits: [sha(1)], branch: 'main' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/no complete answer within the 1\.5 s deadline/);
      // Without the deadline a drip holds the read forever and a hang for the 30 s request timeout per attempt.
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      proxy.mode = 'forward';
    }
  });

  it('a service that ignores If-None-Match/If-Match: found by the probe, remembered, promotions refused unless opted in', async () => {
    const prefix = `ignores-${process.pid}`;
    proxy.mode = 'strip-conditions';
    try {
      const key = uniqueKey();
      const error = await new S3Store(s3opts({ endpoint: proxy.endpoint, prefix })).put(key, makeBaseline(key, sha(1), at(1))).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(
        /refused \(nothing was promoted\): s3:\/\/reliability\/ignores-\d+ does not honour conditional writes \(If-None-Match: \* was ignored.*unsafe-unconditional-writes: true/,
      );
      expect((await new S3Store(s3opts({ prefix })).get(key, { commits: [sha(1)], branch: 'main' })).baseline).toBeUndefined();
      // Remembered under the prefix: the next job does not probe again and refuses at once.
      proxy.mode = 'forward';
      await expect(new S3Store(s3opts({ prefix })).put(key, makeBaseline(key, sha(1), at(1)))).rejects.toThrow(
        /does not honour conditional writes/,
      );
      // The explicit unsafe opt-in promotes, and says it is unsafe.
      const unsafe = await new S3Store(s3opts({ prefix, unsafeUnconditionalWrites: true })).put(key, makeBaseline(key, sha(1), at(1)));
      expect(unsafe.notes.join('\n')).toMatch(/^UNSAFE: .*does not honour conditional writes/m);
      expect((await new S3Store(s3opts({ prefix })).get(key, { commits: [sha(1)], branch: 'main' })).baseline?.commit).toBe(sha(1));
    } finally {
      proxy.mode = 'forward';
    }
  });

  it('moto honours the conditions: the probe passes and is remembered', async () => {
    const prefix = `honours-${process.pid}`;
    const key = uniqueKey();
    expect((await new S3Store(s3opts({ prefix })).put(key, makeBaseline(key, sha(1), at(1)))).notes).toEqual([]);
  });
});
