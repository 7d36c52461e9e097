import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { createStore } from '../../src/stores/index.js';
import { layout } from '../../src/stores/keys.js';
import { S3Store, type S3StoreOptions } from '../../src/stores/s3.js';
import { makeBaseline, sha, storeContract, uniqueKey } from './contract.js';
import { FaultProxy, freePort, startMoto, type Moto } from './servers.js';

const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
const bucket = 'perf-baselines';
const prefix = 'paddle/ci';
const noSleep = async () => {};

let moto: Moto;
let proxy: FaultProxy;
let raw: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  proxy = new FaultProxy(await freePort(), moto.endpoint);
  await proxy.up();
  raw = new S3Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await raw.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await proxy?.down();
  await moto?.stop();
});

function opts(extra: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return { bucket, prefix, region: 'us-east-1', endpoint: proxy.endpoint, forcePathStyle: true, env, sleep: noSleep, ...extra };
}

storeContract('s3 (moto)', {
  create: () =>
    createStore(
      { kind: 's3', bucket, prefix, region: 'us-east-1', endpoint: proxy.endpoint, forcePathStyle: true },
      { env, sleep: noSleep },
    ),
  async plant(files) {
    for (const [path, body] of Object.entries(files)) {
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${path}`, Body: body }));
    }
  },
  async breakWrites() {
    await proxy.down();
    return () => proxy.up();
  },
});

describe('s3 store failures a user can meet', () => {
  it('the server going down mid-run: get and put are StoreErrors after retries; after restart the old data is intact', async () => {
    const store = new S3Store(opts());
    const key = uniqueKey();
    const old = makeBaseline(key, sha(1), new Date(Date.UTC(2025, 0, 1)).toISOString());
    await store.put(key, old);
    await proxy.down();
    try {
      const read = await store.get(key, { commits: [sha(1)], branch: 'main' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(read).toBeInstanceOf(StoreError);
      expect((read as Error).message).toMatch(/cannot read s3:\/\/perf-baselines\/paddle\/ci\/.*after 4 attempts.*ECONNREFUSED/);
      const write = await store.put(key, makeBaseline(key, sha(2), new Date().toISOString())).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((write as Error).message).toMatch(
        /promotion of commit a+2 \(main\) to s3:\/\/perf-baselines\/paddle\/ci failed \(nothing was promoted: every lookup reads the store as before\): cannot read .*ECONNREFUSED/,
      );
    } finally {
      await proxy.up();
    }
    expect(await store.get(key, { commits: [sha(2), sha(1)], branch: 'main' })).toEqual({ baseline: old, sameFingerprint: true });
  });

  it.each([
    ['403', /AccessDenied.*HTTP 403.*access denied: check the credentials/, 1],
    ['503', /after 4 attempts\): SlowDown \(HTTP 503\)/, 4],
  ] as const)('HTTP %s from the endpoint: a StoreError naming the object and the cause', async (mode, message, requests) => {
    const store = new S3Store(opts());
    const key = uniqueKey();
    proxy.mode = mode;
    proxy.seen = 0;
    try {
      const error = await store.get(key, { commits: [sha(1)], branch: 'main' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(message);
      // The first read of a lookup by commit is the commit's seal.
      expect((error as Error).message).toContain(`s3://${bucket}/${prefix}/${layout.seal(key, sha(1))}`);
      // 403 is never retried; 5xx is, with backoff.
      expect(proxy.seen).toBe(requests);
    } finally {
      proxy.mode = 'forward';
    }
  });

  it('a hanging endpoint times out instead of stalling the gate', async () => {
    const store = new S3Store(opts({ requestTimeoutMs: 300, attempts: 2 }));
    proxy.mode = 'hang';
    const started = Date.now();
    try {
      const error = await store.get(uniqueKey(), { commits: [sha(1)], branch: 'main' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/after 2 attempts.*did not answer in time/);
      // Two 300 ms attempts, not a hang (the endpoint never answers); generous for a busy machine.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      proxy.mode = 'forward';
    }
  });

  it('a missing bucket is not mistaken for "no baseline yet"', async () => {
    const store = new S3Store(opts({ bucket: 'no-such-bucket-here' }));
    await expect(store.get(uniqueKey(), { commits: [sha(1)], branch: 'main' })).rejects.toThrow(/NoSuchBucket.*the bucket does not exist/);
  });

  it('writes compact JSON with the schema, and the branch manifest naming the commit', async () => {
    const store = new S3Store(opts());
    const key = uniqueKey();
    await store.put(key, makeBaseline(key, sha(1), new Date().toISOString()));
    const obj = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${layout.commit(key, sha(1))}` }));
    const text = await obj.Body!.transformToString();
    expect(text.startsWith('{"schema":"paddle-perf-gate/baseline@1"')).toBe(true);
    expect(text).not.toContain('\n');
    const manifest = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${layout.manifest(key, 'main')}` }));
    expect(JSON.parse(await manifest.Body!.transformToString())).toMatchObject({
      schema: 'paddle-perf-gate/manifest@1',
      head: { commit: sha(1) },
      pointers: [{ model: key.model, fingerprintHash: key.fingerprintHash, commit: sha(1) }],
    });
  });
});
