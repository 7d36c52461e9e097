/**
 * The one store algorithm (get / put / history) over a tiny object backend, so the file, S3 and
 * actions-cache stores share the layout, the fallback order and the concurrency rules:
 *
 *   <repo>/<gate>/<model>/<fp>/commits/<sha>.json     immutable, written only if absent
 *   <repo>/<gate>/<model>/<fp>/branches/<branch>.json pointer, moved with If-Match, never backwards
 *   <repo>/<gate>/<model>/<fp>/history.json           newest first, last HISTORY_LIMIT entries
 *   <repo>/<gate>/<model>/latest.json                 newest promotion of any fingerprint
 *
 * Retention trims the history index only; commit objects are never deleted, so a PR whose
 * merge-base was promoted long ago still finds its exact baseline.
 */
import type { BaselineLookup, BaselineStore } from '../ports.js';
import type { Baseline, BaselineKey, BaselineWant } from '../types.js';
import { StoreError } from '../errors.js';
import { layout } from './keys.js';
import {
  HISTORY_LIMIT,
  HISTORY_SCHEMA,
  LATEST_SCHEMA,
  POINTER_SCHEMA,
  decodeBaseline,
  decodeHistory,
  decodeLatest,
  decodePointer,
  encodeBaseline,
  newerFirst,
  type History,
  type Latest,
  type Pointer,
} from './codec.js';

export interface StoredObject {
  body: string;
  etag: string;
}
export type WriteCondition = { ifNoneMatch: true } | { ifMatch: string };

export interface ObjectBackend {
  readonly location: string;
  /** The full name of an object, for messages (s3://bucket/prefix/…, /dir/…). */
  describe(path: string): string;
  /** undefined when the object does not exist; StoreError on any other trouble. */
  read(path: string): Promise<StoredObject | undefined>;
  /** false when the condition did not hold (someone else wrote first); StoreError on trouble. */
  write(path: string, body: string, condition: WriteCondition): Promise<boolean>;
}

/** Conflicting concurrent updates of one pointer before a put gives up loudly. */
const MAX_CONFLICTS = 8;
/** Commit objects fetched at once while walking the merge-base's ancestors. */
const PROBE_BATCH = 10;

export class LayoutStore implements BaselineStore {
  constructor(readonly backend: ObjectBackend) {}

  get location(): string {
    return this.backend.location;
  }

  async get(key: BaselineKey, want: BaselineWant): Promise<BaselineLookup> {
    for (let i = 0; i < want.commits.length; i += PROBE_BATCH) {
      const batch = want.commits.slice(i, i + PROBE_BATCH);
      const found = await Promise.all(batch.map((sha) => this.readCommit(key, sha)));
      const first = found.find((b) => b !== undefined);
      if (first) return { baseline: first, sameFingerprint: true };
    }
    const pointerPath = layout.branch(key, want.branch);
    const pointer = await this.readDoc(pointerPath, decodePointer);
    if (pointer) {
      const baseline = await this.readCommit(key, pointer.commit);
      if (!baseline) {
        throw new StoreError(`${this.backend.describe(pointerPath)} points to commit ${pointer.commit}, whose baseline object is missing`);
      }
      return { baseline, sameFingerprint: true };
    }
    const latest = await this.readDoc(layout.latest(key), decodeLatest);
    if (latest && latest.fingerprintHash !== key.fingerprintHash) {
      const other = { ...key, fingerprintHash: latest.fingerprintHash };
      const baseline = await this.readCommit(other, latest.commit);
      if (!baseline) {
        throw new StoreError(
          `${this.backend.describe(layout.latest(key))} points to commit ${latest.commit}, whose baseline object is missing`,
        );
      }
      return { baseline, sameFingerprint: false };
    }
    // Nothing under this fingerprint for these commits or this branch: no baseline yet.
    return { sameFingerprint: true };
  }

  async put(key: BaselineKey, baseline: Baseline): Promise<void> {
    for (const field of ['repo', 'gate', 'model', 'fingerprintHash'] as const) {
      if (baseline[field] !== key[field]) {
        throw new StoreError(`baseline to promote has ${field} '${baseline[field]}' but the store key has '${key[field]}'`);
      }
    }
    const body = encodeBaseline(baseline, `baseline of commit ${baseline.commit}`);
    try {
      await this.writeCommit(key, baseline, body);
      const entry = { commit: baseline.commit, createdAt: baseline.createdAt };
      await this.update(layout.branch(key, baseline.branch), decodePointer, (cur: Pointer | undefined) =>
        cur && (cur.commit === entry.commit || newerFirst(cur, entry) <= 0) ? undefined : { schema: POINTER_SCHEMA, ...entry },
      );
      await this.update(layout.history(key), decodeHistory, (cur: History | undefined) => {
        const entries = cur?.entries ?? [];
        if (entries.some((e) => e.commit === baseline.commit)) return undefined;
        const next = [...entries, { ...entry, branch: baseline.branch }].sort(newerFirst).slice(0, HISTORY_LIMIT);
        return { schema: HISTORY_SCHEMA, entries: next };
      });
      await this.update(layout.latest(key), decodeLatest, (cur: Latest | undefined) =>
        cur && (cur.commit === entry.commit || newerFirst(cur, entry) <= 0)
          ? undefined
          : { schema: LATEST_SCHEMA, fingerprintHash: key.fingerprintHash, ...entry },
      );
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new StoreError(`promotion of commit ${baseline.commit} to ${this.location} failed: ${why}`, { cause: error });
    }
  }

  async history(key: BaselineKey, limit: number): Promise<Baseline[]> {
    const history = await this.readDoc(layout.history(key), decodeHistory);
    const entries = (history?.entries ?? []).slice(0, Math.max(0, limit));
    return Promise.all(
      entries.map(async (e) => {
        const b = await this.readCommit(key, e.commit);
        if (!b)
          throw new StoreError(`${this.backend.describe(layout.history(key))} lists commit ${e.commit}, whose baseline object is missing`);
        return b;
      }),
    );
  }

  private async readCommit(key: BaselineKey, sha: string): Promise<Baseline | undefined> {
    const path = layout.commit(key, sha);
    const baseline = await this.readDoc(path, decodeBaseline);
    if (baseline && (baseline.commit !== sha || baseline.fingerprintHash !== key.fingerprintHash)) {
      throw new StoreError(
        `${this.backend.describe(path)}: holds commit ${baseline.commit} / fingerprint ${baseline.fingerprintHash}, not the ${sha} / ${key.fingerprintHash} its name says`,
      );
    }
    return baseline;
  }

  private async readDoc<T>(path: string, decode: (text: string, where: string) => T): Promise<T | undefined> {
    const obj = await this.backend.read(path);
    return obj === undefined ? undefined : decode(obj.body, this.backend.describe(path));
  }

  /** Commit objects are immutable: an identical re-upload is a no-op, a different one is refused. */
  private async writeCommit(key: BaselineKey, baseline: Baseline, body: string): Promise<void> {
    const path = layout.commit(key, baseline.commit);
    if (await this.backend.write(path, body, { ifNoneMatch: true })) return;
    const existing = await this.backend.read(path);
    if (existing?.body === body) return;
    throw new StoreError(
      `${this.backend.describe(path)} already holds a different baseline for commit ${baseline.commit}; baselines are immutable (delete that object by hand to re-promote this commit)`,
    );
  }

  /**
   * Read-modify-write under a condition: on a lost race the change is recomputed from a fresh
   * read (so a newer pointer is never replaced by an older one), and after MAX_CONFLICTS the put
   * fails loudly rather than writing blind.
   */
  private async update<T>(
    path: string,
    decode: (text: string, where: string) => T,
    next: (current: T | undefined) => T | undefined,
  ): Promise<void> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const current = await this.backend.read(path);
      const value = current === undefined ? undefined : decode(current.body, this.backend.describe(path));
      const updated = next(value);
      if (updated === undefined) return;
      const condition: WriteCondition = current ? { ifMatch: current.etag } : { ifNoneMatch: true };
      if (await this.backend.write(path, JSON.stringify(updated), condition)) return;
    }
    throw new StoreError(
      `${this.backend.describe(path)}: ${MAX_CONFLICTS} concurrent updates in a row won the race; not overwriting blindly`,
    );
  }
}
