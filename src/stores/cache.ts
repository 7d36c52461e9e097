/**
 * The actions-cache store, for teams without S3. Cache entries are immutable, so each promotion
 * saves one new entry holding a snapshot of the gate's layout on that branch (commit objects,
 * seals, the branch manifest) under
 *
 *   <prefix>/<repo>/<gate>/<branch>/<commit>/<models hash>
 *
 * ('/' separates the segments because segments never contain it). One entry is one whole
 * promotion, so a promotion is all-or-nothing here by construction. Lookups use the service's
 * own order: the exact key first, then each restore key as a prefix, newest entry first.
 *
 * Snapshots are restored into a private directory the store creates and marks as its own
 * (`paddle-perf-gate-cache-store` under RUNNER_TEMP, or under `dir` when given); the store never
 * deletes a directory it did not create.
 *
 * @actions/cache swallows service errors and reports them as a cache miss; a miss is only
 * believed after a direct call to the same cache service endpoint has answered, so a broken
 * service becomes StoreError (a "baseline unreadable" verdict), never "no baseline yet".
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaselineLookup, BaselineStore, PromotionLogEntry, PromotionRequest, PromotionResult } from '../ports.js';
import type { Baseline, BaselineKey, BaselineWant } from '../types.js';
import { StoreError } from '../errors.js';
import { FileBackend } from './file.js';
import { LayoutStore } from './layout.js';
import { gatePath, layout, segment } from './keys.js';
import { decodeHistory, decodeManifest, decodePointer } from './codec.js';

type CacheModule = typeof import('@actions/cache');

export interface ActionsCacheStoreOptions {
  prefix: string;
  /**
   * Where the store's private restore directory is created (default RUNNER_TEMP, else the OS
   * temp directory). Its path is part of the cache version, so it must be the same in every job.
   */
  dir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Keys the service tries per call (the toolkit allows 10). */
const KEYS_PER_CALL = 10;
const SERVICE = 'github.actions.results.api.v1.CacheService';
/** The private directory's name, and the marker file that proves the store created it. */
const PRIVATE_DIR = 'paddle-perf-gate-cache-store';
const MARKER = '.paddle-perf-gate-cache-store';

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

/** `<prefix>/<repo>/<gate>/<branch>/`: every snapshot of one branch of one gate. */
export function cacheBranchPrefix(prefix: string, key: Pick<BaselineKey, 'repo' | 'gate'>, branch: string): string {
  return `${prefix}/${gatePath(key)}/${segment(branch, 'branch name')}/`;
}
/** `<prefix>/<repo>/<gate>/<branch>/<commit>/`: the snapshots promoting one commit. */
export function cacheCommitPrefix(prefix: string, key: Pick<BaselineKey, 'repo' | 'gate'>, branch: string, commit: string): string {
  return `${cacheBranchPrefix(prefix, key, branch)}${segment(commit, 'commit')}/`;
}
/** The key of one promotion: the commit, and a hash of the models/fingerprints it holds. */
function cacheKey(prefix: string, request: PromotionRequest): string {
  const first = request.entries[0]?.key;
  if (!first) throw new StoreError('a promotion needs at least one model');
  const refs = request.entries.map((e) => `${e.key.model}\u0000${e.key.fingerprintHash}`).sort();
  const hash = createHash('sha256').update(refs.join('\n')).digest('hex').slice(0, 16);
  return `${cacheCommitPrefix(prefix, first, request.branch, request.commit)}${hash}`;
}

export class ActionsCacheStore implements BaselineStore {
  readonly location: string;
  /** The private restore directory (created and marked by this store). */
  readonly root: string;
  private readonly env: NodeJS.ProcessEnv;
  private cache?: Promise<CacheModule>;

  constructor(private readonly opts: ActionsCacheStoreOptions) {
    this.location = `actions-cache://${opts.prefix}`;
    this.env = opts.env ?? process.env;
    this.root = join(opts.dir ?? (this.env['RUNNER_TEMP'] || tmpdir()), PRIVATE_DIR);
  }

  private local(): LayoutStore {
    return new LayoutStore(new FileBackend(this.root));
  }

  get(key: BaselineKey, want: BaselineWant): Promise<BaselineLookup> {
    return serialize(this.root, async () => {
      this.needService();
      const commitKeys = want.commits.map((c) => cacheCommitPrefix(this.opts.prefix, key, want.branch, c));
      for (let i = 0; i < commitKeys.length; i += KEYS_PER_CALL) {
        const batch = commitKeys.slice(i, i + KEYS_PER_CALL);
        // The primary key matches exactly, restore keys by prefix: the first prefix goes in both places.
        if (await this.restore([batch[0]!, ...batch])) {
          const found = await this.local().get(key, { commits: want.commits, branch: want.branch });
          if (found.baseline) return found;
        }
      }
      // The newest snapshot of the branch carries its manifest (pointers of every fingerprint) and
      // the objects of the commits its history still names.
      const branchKey = cacheBranchPrefix(this.opts.prefix, key, want.branch);
      if (await this.restore([branchKey, branchKey])) return this.local().get(key, want);
      return { sameFingerprint: true };
    });
  }

  put(key: BaselineKey, baseline: Baseline): Promise<PromotionResult> {
    return this.promote({ commit: baseline.commit, branch: baseline.branch, entries: [{ key, baseline }] });
  }

  promote(request: PromotionRequest): Promise<PromotionResult> {
    return serialize(this.root, async () => {
      const where = `promotion of commit ${request.commit} (${request.branch}) to ${this.location}`;
      try {
        this.needService();
        const first = request.entries[0]?.key;
        if (!first) throw new StoreError('no models to promote');
        const saveKey = cacheKey(this.opts.prefix, request);
        // Already promoted: the entry is immutable and whole; the layout says what it holds.
        if (await this.restore([saveKey])) return await this.local().promote(request);
        // Start from the newest snapshot of the branch so the manifest and history carry over.
        const branchKey = cacheBranchPrefix(this.opts.prefix, first, request.branch);
        await this.restore([branchKey, branchKey]);
        // The snapshot is private until saved: whatever the layout says about its own state, a
        // failure here means nothing was promoted.
        const result = await this.local()
          .promote(request)
          .catch((error: unknown) => {
            const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
            throw new StoreError(cause instanceof Error ? cause.message : String(cause), { cause: error });
          });
        await this.prune(first, request.branch);
        const cache = await this.module();
        let id: number;
        try {
          id = await cache.saveCache([this.root], saveKey);
        } catch (error) {
          throw new StoreError(`cannot save cache entry '${saveKey}': ${(error as Error).message}`, { cause: error });
        }
        if (id === -1) {
          throw new StoreError(
            `the cache service did not save entry '${saveKey}' (see the cache warning above; an entry with this key may already exist — cache entries are immutable)`,
          );
        }
        return result;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        // One entry is one promotion: when it was not saved, nothing was.
        throw new StoreError(`${where} failed (nothing was promoted: no cache entry was saved): ${why}`, { cause: error });
      }
    });
  }

  history(key: BaselineKey, limit: number, branch: string): Promise<Baseline[]> {
    return serialize(this.root, async () => {
      this.needService();
      const branchKey = cacheBranchPrefix(this.opts.prefix, key, branch);
      if (!(await this.restore([branchKey, branchKey]))) return [];
      return this.local().history(key, limit, branch);
    });
  }

  log(key: Pick<BaselineKey, 'repo' | 'gate' | 'model'>, branch: string): Promise<PromotionLogEntry[]> {
    return serialize(this.root, async () => {
      this.needService();
      const branchKey = cacheBranchPrefix(this.opts.prefix, key, branch);
      if (!(await this.restore([branchKey, branchKey]))) return [];
      return this.local().log(key, branch);
    });
  }

  private module(): Promise<CacheModule> {
    this.cache ??= import('@actions/cache');
    return this.cache;
  }

  private needService(): void {
    if (!this.env['ACTIONS_RESULTS_URL'] || !this.env['ACTIONS_RUNTIME_TOKEN']) {
      throw new StoreError(
        'the actions-cache store needs the GitHub Actions cache service (ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN are not set): use it inside a GitHub Actions job, or choose the s3 or file store',
      );
    }
  }

  /** Empties the private directory, after checking that the store created it (its marker). */
  private async fresh(): Promise<void> {
    const entries = await readdir(this.root).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new StoreError(`cannot read the cache store's directory ${this.root}: ${error.message}`, { cause: error });
    });
    if (entries && entries.length > 0) {
      const mine = await readFile(join(this.root, MARKER), 'utf8').then(
        () => true,
        () => false,
      );
      if (!mine) {
        throw new StoreError(
          `${this.root} exists and was not created by the actions-cache store (no ${MARKER} in it); refusing to empty it — remove it or point store.actions-cache.dir elsewhere`,
        );
      }
      await rm(this.root, { recursive: true, force: true });
    }
    await mkdir(this.root, { recursive: true });
    await writeFile(join(this.root, MARKER), 'created by paddle-perf-gate; emptied before each cache restore\n');
  }

  /**
   * Restores the first entry matching `keys` (the first exactly, the others as prefixes) into the
   * private directory. true: restored; false: a real miss; StoreError: the service failed.
   */
  private async restore(keys: string[]): Promise<boolean> {
    const [primary, ...rest] = keys;
    if (primary === undefined) return false;
    this.needService();
    await this.fresh();
    const cache = await this.module();
    let found: string | undefined;
    let restored: string | undefined;
    try {
      found = await cache.restoreCache([this.root], primary, rest, { lookupOnly: true });
      if (found !== undefined) restored = await cache.restoreCache([this.root], found, [], {});
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
    this.needService();
    const base = this.env['ACTIONS_RESULTS_URL'] ?? '';
    const token = this.env['ACTIONS_RUNTIME_TOKEN'] ?? '';
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

  /** Keeps the snapshot bounded: only commits the branch manifest still names travel on. */
  private async prune(key: Pick<BaselineKey, 'repo' | 'gate'>, branch: string): Promise<void> {
    const backend = new FileBackend(this.root);
    const manifestPath = layout.manifest(key, branch);
    const text = await backend.read(manifestPath);
    if (!text) return;
    const manifest = decodeManifest(text.body, backend.describe(manifestPath));
    const keep = new Set(
      [manifest.head.commit, ...manifest.pointers.map((p) => p.commit), ...manifest.entries.map((e) => e.commit)].map(
        (c) => `${segment(c)}.json`,
      ),
    );
    const gateDir = join(this.root, gatePath(key));
    const dirs = [join(gateDir, '@gate', 'commits')];
    for (const model of await readdir(gateDir).catch(() => [] as string[])) {
      if (model === '@gate') continue;
      for (const fp of await readdir(join(gateDir, model)).catch(() => [] as string[])) {
        dirs.push(join(gateDir, model, fp, 'commits'));
        // The previous layout's index and pointers name commits too (read on until they age out).
        const legacy = await readFile(join(gateDir, model, fp, 'history.json'), 'utf8').catch(() => undefined);
        if (legacy)
          for (const e of decodeHistory(legacy, join(gateDir, model, fp, 'history.json')).entries) keep.add(`${segment(e.commit)}.json`);
        for (const name of await readdir(join(gateDir, model, fp, 'branches')).catch(() => [] as string[])) {
          const file = join(gateDir, model, fp, 'branches', name);
          keep.add(`${segment(decodePointer(await readFile(file, 'utf8'), file).commit)}.json`);
        }
      }
    }
    for (const dir of dirs) {
      for (const name of await readdir(dir).catch(() => [] as string[])) if (!keep.has(name)) await rm(join(dir, name), { force: true });
    }
  }
}
