import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { ActionsCacheStore, cacheBranchPrefix, cacheCommitPrefix } from '../../src/stores/cache.js';
import { createStore } from '../../src/stores/index.js';
import { makeBaseline, sha, storeContract, uniqueKey } from './contract.js';
import { CacheServiceEmulation } from './cache-service.js';

const root = await mkdtemp(join(tmpdir(), 'ppg-cache-store-'));
const dir = join(root, 'restore');
const prefix = 'ppg';
const emu = new CacheServiceEmulation();

beforeAll(async () => {
  await emu.start();
  // What a GitHub-hosted job provides; @actions/cache reads these from process.env.
  Object.assign(process.env, {
    ACTIONS_RESULTS_URL: emu.url,
    ACTIONS_RUNTIME_TOKEN: emu.token,
    ACTIONS_CACHE_SERVICE_V2: 'true',
    RUNNER_TEMP: join(root, 'runner-temp'),
  });
  await mkdir(join(root, 'runner-temp'), { recursive: true });
});
afterAll(async () => {
  await emu.stop();
  await rm(root, { recursive: true, force: true });
});

const make = () => createStore({ kind: 'actions-cache', prefix, dir });
let planted = 0;

storeContract('actions-cache (emulated service)', {
  create: make,
  async plant(files, at) {
    // What a broken or foreign writer would have saved: a snapshot that is the newest of its
    // branch, on top of the newest one before it, filed under the commit.
    const store = make() as ActionsCacheStore;
    const root = store.root;
    await rm(root, { recursive: true, force: true });
    const cache = await import('@actions/cache');
    const branchKey = cacheBranchPrefix(prefix, at.key, at.branch);
    await cache.restoreCache([root], branchKey, [branchKey]);
    for (const [path, body] of Object.entries(files)) {
      const file = join(root, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, body);
    }
    planted += 1;
    expect(await cache.saveCache([root], `${cacheCommitPrefix(prefix, at.key, at.branch, at.commit)}planted-${planted}`)).toBeGreaterThan(
      0,
    );
    await rm(root, { recursive: true, force: true });
  },
  async breakWrites() {
    emu.deny.add('CreateCacheEntry');
    return async () => void emu.deny.delete('CreateCacheEntry');
  },
  snapshotsPerBranch: true,
  // 52 promotions of tar + upload + download take a while; the layout's retention is covered by the file and S3 runs.
  retention: false,
});

describe('actions-cache store failures a user can meet', () => {
  it('a cache service that refuses the token is a StoreError, not "no baseline yet"', async () => {
    emu.deny.add('GetCacheEntryDownloadURL');
    try {
      const error = await make()
        .get(uniqueKey(), { commits: [sha(1)], branch: 'main' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/answered HTTP 403.*may not read the cache.*unknown, not a miss/);
    } finally {
      emu.deny.delete('GetCacheEntryDownloadURL');
    }
  });

  it('outside a job (no cache service variables) says so', async () => {
    const store = new ActionsCacheStore({ prefix, dir, env: {} });
    await expect(store.get(uniqueKey(), { commits: [sha(1)], branch: 'main' })).rejects.toThrow(
      /ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN are not set/,
    );
  });

  it('saves one immutable entry per promoted commit under a readable key', async () => {
    const key = uniqueKey();
    await make().put(key, makeBaseline(key, sha(7), new Date().toISOString()));
    expect(emu.entries.map((e) => e.key)).toContainEqual(
      expect.stringMatching(new RegExp(`^ppg/${key.repo.replace('/', '%2F')}/ppocr-rec/main/${sha(7)}/[0-9a-f]{16}$`)),
    );
  });

  it('case 1: never deletes what it did not create — a checkout given as dir keeps every file, in or out of a job', async () => {
    const checkout = join(root, 'checkout');
    await mkdir(join(checkout, '.perf-gate', 'baselines'), { recursive: true });
    await writeFile(join(checkout, 'gate.yml'), 'gate: x\n');
    await writeFile(join(checkout, '.perf-gate', 'baselines', 'keep.json'), '{}');
    const before = (await readdir(checkout, { recursive: true })).sort();
    // Outside a job: the service check comes first, nothing is touched.
    await expect(
      new ActionsCacheStore({ prefix, dir: checkout, env: {} }).get(uniqueKey(), { commits: [sha(1)], branch: 'main' }),
    ).rejects.toThrow(/ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN are not set/);
    expect((await readdir(checkout, { recursive: true })).sort()).toEqual(before);
    // Inside a job: restores go to the store's own subdirectory only.
    const store = new ActionsCacheStore({ prefix, dir: checkout });
    const key = uniqueKey();
    await store.put(key, makeBaseline(key, sha(3), new Date().toISOString()));
    expect((await store.get(key, { commits: [sha(3)], branch: 'main' })).baseline?.commit).toBe(sha(3));
    expect(await readFile(join(checkout, 'gate.yml'), 'utf8')).toBe('gate: x\n');
    expect(await readFile(join(checkout, '.perf-gate', 'baselines', 'keep.json'), 'utf8')).toBe('{}');
    expect(store.root).toBe(join(checkout, 'paddle-perf-gate-cache-store'));
  });

  it('a directory of that name it did not create is refused, not emptied', async () => {
    const parent = join(root, 'foreign');
    await mkdir(join(parent, 'paddle-perf-gate-cache-store'), { recursive: true });
    await writeFile(join(parent, 'paddle-perf-gate-cache-store', 'notes.txt'), 'mine');
    await expect(new ActionsCacheStore({ prefix, dir: parent }).get(uniqueKey(), { commits: [sha(1)], branch: 'main' })).rejects.toThrow(
      /was not created by the actions-cache store .* refusing to empty it/,
    );
    expect(await readFile(join(parent, 'paddle-perf-gate-cache-store', 'notes.txt'), 'utf8')).toBe('mine');
  });
});
