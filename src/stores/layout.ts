/**
 * The one store algorithm (get / promote / history) over a tiny object backend, so the file, S3
 * and actions-cache stores share the layout, the fallback order and the concurrency rules:
 *
 *   <repo>/<gate>/<model>/<fp>/commits/<sha>.json  immutable baseline object, written only if absent
 *   <repo>/<gate>/@gate/commits/<sha>.json         the commit's seal: which models/fingerprints it holds
 *   <repo>/<gate>/@gate/branches/<branch>.json     the branch manifest: pointers + history, one object
 *   @store/conditions.json                          what the conditional-write probe found
 *
 * A promotion is one transaction: (1) every model's object (If-None-Match), (2) the seal (the
 * commit point for lookups by commit), (3) the branch manifest (If-Match; the pointer only moves
 * to a descendant). An object no seal names is invisible, so a crash at any step leaves every
 * lookup reading all models old or all new; a re-run rolls an unfinished promotion forward.
 *
 * The previous layout (per-model branches/<branch>.json, history.json, latest.json, no seals) is
 * still read: a commit object without a seal counts when that model's old history or pointer
 * lists it. New promotions never write the old documents.
 */
import { randomBytes } from 'node:crypto';
import type { BaselineLookup, BaselineStore, PromotionLogEntry, PromotionRequest, PromotionResult } from '../ports.js';
import type { Baseline, BaselineKey, BaselineWant } from '../types.js';
import { StoreError } from '../errors.js';
import { layout, STORE_DIR } from './keys.js';
import {
  HISTORY_LIMIT,
  MANIFEST_SCHEMA,
  PROBE_SCHEMA,
  SEAL_SCHEMA,
  decodeBaseline,
  decodeConditions,
  decodeHistory,
  decodeLatest,
  decodeManifest,
  decodePointer,
  decodeSeal,
  encodeBaseline,
  newerFirst,
  type ConditionsRecord,
  type Manifest,
  type ManifestPointer,
  type ModelRef,
  type Seal,
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

export interface LayoutOptions {
  /** Injectable for tests; the conflict backoff sleeps through it. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Promote even on a store whose probe found conditional writes ignored (unsafe). */
  allowUnconditional?: boolean;
}

/** Lost races on one document before a promotion gives up loudly (full-jitter backoff between). */
const CONFLICT_ATTEMPTS = 40;
const BACKOFF_BASE_MS = 20;
const BACKOFF_CAP_MS = 1_500;
/** Commit objects fetched at once while walking the merge-base's ancestors. */
const PROBE_BATCH = 10;
const CONDITIONS_PATH = `${STORE_DIR}/conditions.json`;

const sameRef = (a: ModelRef, b: ModelRef) => a.model === b.model && a.fingerprintHash === b.fingerprintHash;
const refOf = (key: BaselineKey): ModelRef => ({ model: key.model, fingerprintHash: key.fingerprintHash });
const sealHolds = (seal: Seal | undefined, ref: ModelRef) => seal?.runs.some((run) => run.models.some((m) => sameRef(m, ref))) ?? false;
const why = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class LayoutStore implements BaselineStore {
  private conditions: Promise<ConditionsRecord> | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    readonly backend: ObjectBackend,
    private readonly options: LayoutOptions = {},
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
  }

  get location(): string {
    return this.backend.location;
  }

  // ───────────────────────────── reads ─────────────────────────────

  async get(key: BaselineKey, want: BaselineWant): Promise<BaselineLookup> {
    const legacy = this.legacyCommits(key, want.branch);
    for (let i = 0; i < want.commits.length; i += PROBE_BATCH) {
      const batch = want.commits.slice(i, i + PROBE_BATCH);
      const found = await Promise.all(batch.map((sha) => this.promotedCommit(key, sha, legacy)));
      const first = found.find((b) => b !== undefined);
      if (first) return { baseline: first, sameFingerprint: true };
    }
    const manifestPath = layout.manifest(key, want.branch);
    const manifest = await this.readDoc(manifestPath, decodeManifest);
    const own = manifest?.pointers.find((p) => sameRef(p, refOf(key)));
    if (own) return { baseline: await this.pointed(key, own.commit, manifestPath), sameFingerprint: true };
    const pointerPath = layout.branch(key, want.branch);
    const pointer = await this.readDoc(pointerPath, decodePointer);
    if (pointer) return { baseline: await this.pointed(key, pointer.commit, pointerPath), sameFingerprint: true };
    const other = manifest?.pointers.filter((p) => p.model === key.model && p.fingerprintHash !== key.fingerprintHash).sort(newerFirst)[0];
    if (other) {
      const otherKey = { ...key, fingerprintHash: other.fingerprintHash };
      return { baseline: await this.pointed(otherKey, other.commit, manifestPath), sameFingerprint: false };
    }
    const latest = await this.readDoc(layout.latest(key), decodeLatest);
    if (latest && latest.fingerprintHash !== key.fingerprintHash) {
      const otherKey = { ...key, fingerprintHash: latest.fingerprintHash };
      return { baseline: await this.pointed(otherKey, latest.commit, layout.latest(key)), sameFingerprint: false };
    }
    // Nothing under this fingerprint for these commits or this branch: no baseline yet.
    return { sameFingerprint: true };
  }

  async history(key: BaselineKey, limit: number, branch: string): Promise<Baseline[]> {
    const manifest = await this.readDoc(layout.manifest(key, branch), decodeManifest);
    const commits = (manifest?.entries ?? []).filter((e) => e.models.some((m) => sameRef(m, refOf(key)))).map((e) => e.commit);
    if (commits.length < limit) {
      const old = await this.readDoc(layout.history(key), decodeHistory);
      for (const e of old?.entries ?? []) if (e.branch === branch && !commits.includes(e.commit)) commits.push(e.commit);
    }
    return Promise.all(
      commits.slice(0, Math.max(0, limit)).map(async (commit) => {
        const b = await this.readCommit(key, commit);
        if (!b)
          throw new StoreError(
            `${this.backend.describe(layout.manifest(key, branch))} lists commit ${commit}, whose baseline object is missing`,
          );
        return b;
      }),
    );
  }

  async log(key: Pick<BaselineKey, 'repo' | 'gate' | 'model'>, branch: string): Promise<PromotionLogEntry[]> {
    const manifest = await this.readDoc(layout.manifest(key, branch), decodeManifest);
    return (manifest?.entries ?? []).flatMap((e) => {
      const hashes = e.models.filter((m) => m.model === key.model).map((m) => m.fingerprintHash);
      if (hashes.length === 0) return [];
      return [
        { commit: e.commit, createdAt: e.createdAt, fingerprintHashes: hashes, ...(e.acceptance ? { acceptance: e.acceptance } : {}) },
      ];
    });
  }

  /** A commit's baseline for key, when a seal (or, for the previous layout, its own index) says it was promoted. */
  private async promotedCommit(key: BaselineKey, sha: string, legacy: () => Promise<Set<string>>): Promise<Baseline | undefined> {
    const sealPath = layout.seal(key, sha);
    const seal = await this.readDoc(sealPath, decodeSeal);
    if (seal) {
      if (!sealHolds(seal, refOf(key))) return undefined;
      return this.pointed(key, sha, sealPath);
    }
    if (!(await legacy()).has(sha)) return undefined;
    return this.readCommit(key, sha);
  }

  /** The commits the previous layout listed for key (history.json, the branch pointer); read once. */
  private legacyCommits(key: BaselineKey, branch: string): () => Promise<Set<string>> {
    let memo: Promise<Set<string>> | undefined;
    return () =>
      (memo ??= Promise.all([
        this.readDoc(layout.history(key), decodeHistory),
        this.readDoc(layout.branch(key, branch), decodePointer),
      ]).then(([history, pointer]) => new Set([...(history?.entries ?? []).map((e) => e.commit), ...(pointer ? [pointer.commit] : [])])));
  }

  private async pointed(key: BaselineKey, commit: string, from: string): Promise<Baseline> {
    const baseline = await this.readCommit(key, commit);
    if (!baseline) {
      throw new StoreError(`${this.backend.describe(from)} names commit ${commit}, whose baseline object is missing`);
    }
    return baseline;
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

  // ───────────────────────────── the promotion transaction ─────────────────────────────

  put(key: BaselineKey, baseline: Baseline): Promise<PromotionResult> {
    return this.promote({ commit: baseline.commit, branch: baseline.branch, entries: [{ key, baseline }] });
  }

  async promote(request: PromotionRequest): Promise<PromotionResult> {
    const { commit, branch, entries } = request;
    const where = `promotion of commit ${commit} (${branch}) to ${this.location}`;
    const first = entries[0];
    if (!first) throw new StoreError(`${where}: no models to promote`);
    const bodies = entries.map(({ key, baseline }) => {
      for (const field of ['repo', 'gate', 'model', 'fingerprintHash'] as const) {
        if (baseline[field] !== key[field]) {
          throw new StoreError(`baseline to promote has ${field} '${baseline[field]}' but the store key has '${key[field]}'`);
        }
      }
      if (key.repo !== first.key.repo || key.gate !== first.key.gate)
        throw new StoreError(`${where}: models of one promotion must share repo and gate`);
      if (baseline.commit !== commit || baseline.branch !== branch) {
        throw new StoreError(`${where}: the baseline of ${key.model} is for ${baseline.commit} (${baseline.branch})`);
      }
      return encodeBaseline(baseline, `baseline of commit ${commit}`);
    });
    if (new Set(entries.map((e) => e.key.model)).size !== entries.length) throw new StoreError(`${where}: a model appears twice`);

    const notes: string[] = [];
    await this.checkConditions(where, notes);

    const gateKey = first.key;
    let stage: 'objects' | 'seal' | 'manifest' = 'objects';
    try {
      const sealPath = layout.seal(gateKey, commit);
      const seal = await this.readDoc(sealPath, decodeSeal);
      const unsealed = entries.filter((e) => !sealHolds(seal, refOf(e.key)));
      const createdAt = seal?.runs[0]?.createdAt ?? first.baseline.createdAt;
      let resumed = false;
      if (unsealed.length > 0) {
        // (1) every model's immutable object; one already there (a crashed or concurrent try) is kept.
        for (const e of unsealed) {
          const kept = await this.writeCommit(e.key, e.baseline, bodies[entries.indexOf(e)]!);
          if (kept) {
            resumed = true;
            notes.push(
              `${e.key.model}: kept the measurement of ${kept.createdAt} that an earlier, unfinished promotion of this commit wrote`,
            );
          }
        }
        // (2) the seal: from here on, lookups by commit see every model of this run at once.
        stage = 'seal';
        await this.update(sealPath, decodeSeal, async (cur) => {
          const missing = unsealed.filter((e) => !sealHolds(cur, refOf(e.key)));
          if (missing.length === 0) return undefined;
          const run = { branch, createdAt: first.baseline.createdAt, models: missing.map((e) => refOf(e.key)) };
          return { schema: SEAL_SCHEMA, commit, runs: [...(cur?.runs ?? []), run] };
        });
      }
      for (const e of entries) {
        if (sealHolds(seal, refOf(e.key)))
          notes.push(`${e.key.model}: commit ${commit.slice(0, 12)} was already promoted; its first measurement is kept`);
      }
      // (3) the branch manifest: pointers and history of every model in one conditional write.
      stage = 'manifest';
      const moved = await this.moveManifest(request, createdAt, notes);
      // A commit sealed from another branch and now recorded on this one is a new promotion here.
      const sealedHere = seal?.runs.some((run) => run.branch === branch) ?? false;
      const state: PromotionResult['state'] =
        unsealed.length === 0
          ? !moved.changed
            ? 'already'
            : sealedHere
              ? 'completed'
              : 'promoted'
          : resumed || unsealed.length < entries.length
            ? 'completed'
            : 'promoted';
      if (state === 'completed' && unsealed.length === 0) {
        notes.push(`completed an earlier promotion of ${commit.slice(0, 12)} that had not moved the '${branch}' manifest`);
      }
      return { state, pointerMoved: moved.pointer, notes };
    } catch (error) {
      const after =
        stage === 'objects'
          ? 'nothing was promoted: every lookup reads the store as before'
          : stage === 'seal'
            ? 'nothing was promoted unless the seal write landed despite the error; the branch pointer and history did not move; a re-run completes it'
            : `commit ${commit.slice(0, 12)} is sealed (pull requests whose merge-base it is compare with it), but branch '${branch}' pointer and history did not move; a re-run completes the promotion`;
      throw new StoreError(`${where} failed (${after}): ${why(error)}`, { cause: error });
    }
  }

  /** Returns undefined when written, or the baseline already there (immutable: the first measurement is kept). */
  private async writeCommit(key: BaselineKey, baseline: Baseline, body: string): Promise<Baseline | undefined> {
    const path = layout.commit(key, baseline.commit);
    if (await this.backend.write(path, body, { ifNoneMatch: true })) return undefined;
    const existing = await this.readCommit(key, baseline.commit).catch((error: unknown) => {
      throw new StoreError(
        `${this.backend.describe(path)} already exists and is not a readable baseline (${why(error)}); move it aside to promote this commit`,
        { cause: error },
      );
    });
    if (!existing) throw new StoreError(`${this.backend.describe(path)}: If-None-Match failed, yet the object cannot be read`);
    return existing;
  }

  /** Moves the branch manifest: the pointer only to a descendant; the history records every promotion. */
  private async moveManifest(
    request: PromotionRequest,
    createdAt: string,
    notes: string[],
  ): Promise<{ changed: boolean; pointer: boolean }> {
    const { commit, branch, entries } = request;
    const gateKey = entries[0]!.key;
    const refs = entries.map((e) => refOf(e.key));
    const candidate = { commit, createdAt };
    let pointerNow = false;
    const verdicts = new Map<string, { move: boolean; note?: string }>();
    /** Does `candidate` replace a pointer at `current`? Git ancestry first, time when git cannot tell. */
    const replaces = async (current: { commit: string; createdAt: string }) => {
      if (current.commit === commit) return { move: false };
      const memo = verdicts.get(current.commit);
      if (memo) return memo;
      let verdict: { move: boolean; note?: string };
      const forward = await request.isAncestor?.(current.commit, commit);
      if (forward === true) verdict = { move: true };
      else {
        const backward = forward === false ? await request.isAncestor?.(commit, current.commit) : undefined;
        const byTime = newerFirst(candidate, current) < 0;
        if (backward === true) {
          verdict = {
            move: false,
            note: `branch '${branch}' stays on ${current.commit.slice(0, 12)}, a descendant of ${commit.slice(0, 12)} (a pointer never moves back)`,
          };
        } else if (backward === false) {
          verdict = {
            move: byTime,
            note: `${commit.slice(0, 12)} and ${current.commit.slice(0, 12)} are not related in git history (rewritten branch?); ordered by time`,
          };
        } else {
          verdict = {
            move: byTime,
            note: `git history cannot tell whether ${current.commit.slice(0, 12)} is an ancestor of ${commit.slice(0, 12)} (fetch-depth: 0 fixes it); ordered by time: the pointer ${byTime ? 'moved' : `stays on ${current.commit.slice(0, 12)}`}`,
          };
        }
      }
      verdicts.set(current.commit, verdict);
      return verdict;
    };
    const changed = await this.update(layout.manifest(gateKey, branch), decodeManifest, async (cur) => {
      let dirty = !cur;
      let head = cur?.head ?? candidate;
      if (cur && (await replaces(cur.head)).move) {
        head = candidate;
        dirty = true;
      }
      const pointers: ManifestPointer[] = [...(cur?.pointers ?? [])];
      for (const ref of refs) {
        const i = pointers.findIndex((p) => sameRef(p, ref));
        const at = i >= 0 ? pointers[i] : undefined;
        if (!at) pointers.push({ ...ref, ...candidate });
        else if ((await replaces(at)).move) pointers[i] = { ...ref, ...candidate };
        else continue;
        dirty = true;
      }
      const history = [...(cur?.entries ?? [])];
      const existing = history.find((e) => e.commit === commit);
      if (!existing) {
        history.push({ ...candidate, models: refs, ...(request.acceptance?.length ? { acceptance: request.acceptance } : {}) });
        dirty = true;
      } else {
        const add = refs.filter((r) => !existing.models.some((m) => sameRef(m, r)));
        if (add.length > 0) {
          history[history.indexOf(existing)] = { ...existing, models: [...existing.models, ...add] };
          dirty = true;
        }
      }
      pointerNow = head.commit === commit;
      if (!dirty) return undefined;
      const manifest: Manifest = {
        schema: MANIFEST_SCHEMA,
        branch,
        head,
        pointers,
        entries: history.sort(newerFirst).slice(0, HISTORY_LIMIT),
      };
      return manifest;
    });
    for (const v of verdicts.values()) if (v.note && !notes.includes(v.note)) notes.push(v.note);
    return { changed, pointer: pointerNow };
  }

  /**
   * Read-modify-write under a condition: on a lost race the change is recomputed from a fresh
   * read after a full-jitter backoff (so many concurrent promotions all land), and after
   * CONFLICT_ATTEMPTS the promotion fails loudly rather than writing blind. Returns whether it wrote.
   */
  private async update<T>(
    path: string,
    decode: (text: string, where: string) => T,
    next: (current: T | undefined) => Promise<T | undefined>,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < CONFLICT_ATTEMPTS; attempt++) {
      const current = await this.backend.read(path);
      const value = current === undefined ? undefined : decode(current.body, this.backend.describe(path));
      const updated = await next(value);
      if (updated === undefined) return false;
      const condition: WriteCondition = current ? { ifMatch: current.etag } : { ifNoneMatch: true };
      if (await this.backend.write(path, JSON.stringify(updated), condition)) return true;
      await this.sleep(this.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
    }
    throw new StoreError(
      `${this.backend.describe(path)}: ${CONFLICT_ATTEMPTS} concurrent updates in a row won the race; not overwriting blindly`,
    );
  }

  // ───────────────────────────── does the store keep its promises? ─────────────────────────────

  /** Refuses to promote on a store that ignores conditional writes, unless allowed (then a note). */
  private async checkConditions(where: string, notes: string[]): Promise<void> {
    this.conditions ??= this.conditionsRecord();
    let record: ConditionsRecord;
    try {
      record = await this.conditions;
    } catch (error) {
      this.conditions = undefined;
      throw new StoreError(
        `${where} failed (nothing was promoted): cannot check that the store honours conditional writes: ${why(error)}`,
        {
          cause: error,
        },
      );
    }
    if (record.honoured) return;
    const text = `${this.location} does not honour conditional writes (${record.detail}, checked ${record.checkedAt})`;
    if (!this.options.allowUnconditional) {
      throw new StoreError(
        `${where} refused (nothing was promoted): ${text}; concurrent or repeated promotions could silently overwrite baselines. Use a store that supports If-None-Match and If-Match on PUT, or accept the risk with store.s3.unsafe-unconditional-writes: true (then delete ${this.backend.describe(CONDITIONS_PATH)} to probe again after a server upgrade)`,
      );
    }
    notes.push(`UNSAFE: ${text}; promoting anyway (unsafe-unconditional-writes)`);
  }

  /** The probe's remembered result, or a fresh probe (its result is remembered under the prefix). */
  private async conditionsRecord(): Promise<ConditionsRecord> {
    const known = await this.readDoc(CONDITIONS_PATH, decodeConditions);
    if (known) return known;
    const record = await this.probeConditions();
    await this.backend.write(CONDITIONS_PATH, JSON.stringify(record), { ifNoneMatch: true });
    return (await this.readDoc(CONDITIONS_PATH, decodeConditions)) ?? record;
  }

  /** Creates a probe object with If-None-Match twice, then tries If-Match with a wrong ETag. */
  private async probeConditions(): Promise<ConditionsRecord> {
    const path = `${STORE_DIR}/probe-${randomBytes(8).toString('hex')}.json`;
    const body = (n: number) => JSON.stringify({ schema: 'paddle-perf-gate/probe@1', write: n });
    const record = (honoured: boolean, detail: string): ConditionsRecord => ({
      schema: PROBE_SCHEMA,
      honoured,
      checkedAt: new Date().toISOString(),
      detail,
    });
    let step = 'a first If-None-Match write';
    try {
      if (!(await this.backend.write(path, body(1), { ifNoneMatch: true }))) {
        return record(false, `If-None-Match refused to create a new object ${this.backend.describe(path)}`);
      }
      step = 'a second If-None-Match write';
      if (await this.backend.write(path, body(2), { ifNoneMatch: true }))
        return record(false, 'If-None-Match: * was ignored (an existing object was overwritten)');
      step = 'an If-Match write with a wrong ETag';
      if (await this.backend.write(path, body(3), { ifMatch: '"00000000000000000000000000000000"' })) {
        return record(false, 'If-Match with a wrong ETag was ignored (the object was overwritten)');
      }
    } catch (error) {
      if (error instanceof StoreError && /HTTP (400|501)\b/.test(error.message))
        return record(false, `${step} was rejected: ${error.message}`);
      throw error;
    }
    const left = await this.backend.read(path);
    if (left?.body !== body(1)) return record(false, 'a conditional write that was refused changed the object anyway');
    return record(true, 'If-None-Match and If-Match verified');
  }
}
