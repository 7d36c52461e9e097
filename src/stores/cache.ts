/**
 * The actions-cache store, for teams without S3. Cache entries are immutable, so each promotion
 * saves a new entry holding a snapshot of this fingerprint's layout (the file store's layout:
 * commit objects, pointers, history, latest.json) under
 *
 *   <prefix>/<repo>/<gate>/<model>/<fingerprint>/<commit>
 *
 * ('/' separates the segments because segments never contain it, so a prefix never matches a
 * neighbouring model's keys). Lookups use the service's own order: the exact key first, then
 * each restore key as a prefix, newest entry first.
 *
 * @actions/cache swallows service errors and reports them as a cache miss; a miss is only
 * believed after a direct call to the same cache service endpoint has answered, so a broken
 * service becomes StoreError (a "baseline unreadable" verdict), never "no baseline yet".
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BaselineLookup, BaselineStore } from '../ports.js';
import type { Baseline, BaselineKey, BaselineWant } from '../types.js';
import { StoreError } from '../errors.js';
import { FileBackend } from './file.js';
import { LayoutStore } from './layout.js';
import { fingerprintPath, modelPath, segment } from './keys.js';
import { decodeHistory, decodePointer } from './codec.js';

type CacheModule = typeof import('@actions/cache');

export interface ActionsCacheStoreOptions {
  prefix: string;
  /** The directory snapshots are restored into; its path (as given) is part of the cache version. */
  dir: string;
  env?: NodeJS.ProcessEnv;
}

/** Keys the service tries per call (the toolkit allows 10). */
const KEYS_PER_CALL = 10;
const SERVICE = 'github.actions.results.api.v1.CacheService';

/** Operations on one directory run one at a time: they all restore into the same path. */
const queues = new Map<string, Promise<unknown>>();
function serialize<T>(dir: string, op: () => Promise<T>): Promise<T> {
  const previous = queues.get(dir) ?? Promise.resolve();
  const next = previous.then(op, op);
  queues.set(
    dir,
    next.catch(() => undefined),
  );
  return next;
}

export function cacheKeyPrefix(prefix: string, key: Pick<BaselineKey, 'repo' | 'gate' | 'model'> & { fingerprintHash?: string }): string {
  const path = key.fingerprintHash ? fingerprintPath(key as BaselineKey) : modelPath(key);
  return `${prefix}/${path}/`;
}
export function cacheKey(prefix: string, key: BaselineKey, commit: string): string {
  return `${cacheKeyPrefix(prefix, key)}${segment(commit, 'commit')}`;
}

export class ActionsCacheStore implements BaselineStore {
  readonly location: string;
  private readonly env: NodeJS.ProcessEnv;
  private cache?: Promise<CacheModule>;

  constructor(private readonly opts: ActionsCacheStoreOptions) {
    this.location = `actions-cache://${opts.prefix}`;
    this.env = opts.env ?? process.env;
  }

  get(key: BaselineKey, want: BaselineWant): Promise<BaselineLookup> {
    return serialize(this.opts.dir, async () => {
      const local = new LayoutStore(new FileBackend(this.opts.dir));
      const commitKeys = want.commits.map((c) => cacheKey(this.opts.prefix, key, c));
      for (let i = 0; i < commitKeys.length; i += KEYS_PER_CALL) {
        const batch = commitKeys.slice(i, i + KEYS_PER_CALL);
        if (await this.restore(batch)) {
          const found = await local.get(key, { commits: want.commits, branch: want.branch });
          if (found.baseline) return found;
        }
      }
      // The newest snapshot of this fingerprint carries the branch pointer; the newest of the
      // model (any fingerprint) carries latest.json for the "incomparable" answer.
      for (const prefixKey of [
        cacheKeyPrefix(this.opts.prefix, key),
        cacheKeyPrefix(this.opts.prefix, { repo: key.repo, gate: key.gate, model: key.model }),
      ]) {
        if (await this.restore([prefixKey, prefixKey])) {
          const found = await local.get(key, { commits: [], branch: want.branch });
          if (found.baseline) return found;
        }
      }
      return { sameFingerprint: true };
    });
  }

  put(key: BaselineKey, baseline: Baseline): Promise<void> {
    return serialize(this.opts.dir, async () => {
      try {
        const local = new LayoutStore(new FileBackend(this.opts.dir));
        const saveKey = cacheKey(this.opts.prefix, key, baseline.commit);
        // Already promoted: identical is a no-op, different is refused by the layout's immutability.
        if (await this.restore([saveKey])) {
          await local.put(key, baseline);
          return;
        }
        // Start from the newest snapshot so the history and pointers carry over.
        await this.restore(this.newest(key));
        await local.put(key, baseline);
        await this.prune(key);
        const cache = await this.module();
        let id: number;
        try {
          id = await cache.saveCache([this.opts.dir], saveKey);
        } catch (error) {
          throw new StoreError(`cannot save cache entry '${saveKey}': ${(error as Error).message}`, { cause: error });
        }
        if (id === -1) {
          throw new StoreError(
            `the cache service did not save entry '${saveKey}' (see the cache warning above; an entry with this key may already exist — cache entries are immutable)`,
          );
        }
      } catch (error) {
        if (error instanceof StoreError && error.message.startsWith('promotion of')) throw error;
        const why = error instanceof Error ? error.message : String(error);
        throw new StoreError(`promotion of commit ${baseline.commit} to ${this.location} failed: ${why}`, { cause: error });
      }
    });
  }

  history(key: BaselineKey, limit: number): Promise<Baseline[]> {
    return serialize(this.opts.dir, async () => {
      if (!(await this.restore(this.newest(key)))) return [];
      return new LayoutStore(new FileBackend(this.opts.dir)).history(key, limit);
    });
  }

  /** The primary key matches exactly, restore keys by prefix: the prefix goes in both places. */
  private newest(key: BaselineKey): string[] {
    const p = cacheKeyPrefix(this.opts.prefix, key);
    return [p, p];
  }

  private module(): Promise<CacheModule> {
    this.cache ??= import('@actions/cache');
    return this.cache;
  }

  /**
   * Restores the first entry matching `keys` (the first exactly, the others as prefixes) into dir.
   * true: restored; false: a real miss; StoreError: the service failed.
   */
  private async restore(keys: string[]): Promise<boolean> {
    const [primary, ...rest] = keys;
    if (primary === undefined) return false;
    await rm(this.opts.dir, { recursive: true, force: true });
    await mkdir(this.opts.dir, { recursive: true });
    const cache = await this.module();
    let found: string | undefined;
    let restored: string | undefined;
    try {
      found = await cache.restoreCache([this.opts.dir], primary, rest, { lookupOnly: true });
      if (found !== undefined) restored = await cache.restoreCache([this.opts.dir], found, [], {});
    } catch (error) {
      throw new StoreError(`cannot restore cache key '${primary}': ${(error as Error).message}`, { cause: error });
    }
    if (found === undefined) {
      await this.probe(primary);
      return false;
    }
    if (restored !== found) {
      throw new StoreError(`cache entry '${found}' exists but could not be downloaded or unpacked (see the cache warning above)`);
    }
    return true;
  }

  /** A direct call to the cache service: a miss is believed only when the service answered. */
  private async probe(key: string): Promise<void> {
    const base = this.env['ACTIONS_RESULTS_URL'];
    const token = this.env['ACTIONS_RUNTIME_TOKEN'];
    if (!base || !token) {
      throw new StoreError(
        'the actions-cache store needs the GitHub Actions cache service (ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN are not set): use it inside a GitHub Actions job, or choose the s3 or file store',
      );
    }
    const url = new URL(`/twirp/${SERVICE}/GetCacheEntryDownloadURL`, base).href;
    let status: number;
    let text = '';
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ key, version: 'paddle-perf-gate-probe' }),
        signal: AbortSignal.timeout(30_000),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new StoreError(
        `the cache service at ${new URL(base).origin} cannot be reached (${cause}); the lookup of '${key}' is unknown, not a miss`,
        { cause: error },
      );
    }
    if (status < 200 || status >= 300) {
      const hint = status === 401 || status === 403 ? ' — the job token may not read the cache (permissions, fork PR)' : '';
      throw new StoreError(
        `the cache service answered HTTP ${status} (${text.slice(0, 200)})${hint}; the lookup of '${key}' is unknown, not a miss`,
      );
    }
  }

  /** Keeps the snapshot bounded: only commits still named by the history or a pointer travel on. */
  private async prune(key: BaselineKey): Promise<void> {
    const root = join(this.opts.dir, fingerprintPath(key));
    const backend = new FileBackend(this.opts.dir);
    const keep = new Set<string>();
    const history = await backend.read(`${fingerprintPath(key)}/history.json`);
    if (history) for (const e of decodeHistory(history.body, join(root, 'history.json')).entries) keep.add(segment(e.commit));
    const branches = await readdir(join(root, 'branches')).catch(() => [] as string[]);
    for (const name of branches.filter((n) => n.endsWith('.json'))) {
      const p = await backend.read(`${fingerprintPath(key)}/branches/${name}`);
      if (p) keep.add(segment(decodePointer(p.body, join(root, 'branches', name)).commit));
    }
    for (const name of await readdir(join(root, 'commits')).catch(() => [] as string[])) {
      if (!keep.has(name.replace(/\.json$/, ''))) await rm(join(root, 'commits', name), { force: true });
    }
  }
}
