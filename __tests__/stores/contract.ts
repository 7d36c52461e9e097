/**
 * The one contract every baseline store passes (file, S3 against a real local S3 server, actions
 * cache against the local cache-service emulation). Each test works under its own repo name, so
 * the backends are shared across tests without interference.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BaselineStore } from '../../src/ports.js';
import { BASELINE_SCHEMA, type Baseline, type BaselineKey } from '../../src/types.js';
import { StoreError } from '../../src/errors.js';
import { layout } from '../../src/stores/keys.js';
import { gitAncestry } from '../../src/stores/git.js';

export interface ContractHarness {
  /** A new store instance on the shared backend (a second CI job, say). */
  create(): BaselineStore;
  /**
   * Leaves raw documents (layout paths → text) as a corrupt, foreign or crashed writer would;
   * `at` says which gate, branch and commit they belong to (the cache store files them by it).
   */
  plant(files: Record<string, string>, at: { key: BaselineKey; branch: string; commit: string }): Promise<void>;
  /** Makes the backend really fail for writes of `commit` (server down, broken directory); returns the undo. */
  breakWrites(key: BaselineKey, commit: string): Promise<() => Promise<void>>;
  /** Each branch holds its own copy of a commit's objects (the actions-cache store's snapshots). */
  snapshotsPerBranch?: boolean;
  /** Whether the 52-promotion retention test runs (slow backends may skip it). */
  retention?: boolean;
}

let counter = 0;
export function uniqueKey(extra: Partial<BaselineKey> = {}): BaselineKey {
  counter += 1;
  return { repo: `octo/repo-${process.pid}-${counter}`, gate: 'ppocr-rec', model: 'PP-OCRv4-rec', fingerprintHash: 'fp0123abcd', ...extra };
}

export function sha(n: number): string {
  return n.toString(16).padStart(40, 'a');
}

export function makeBaseline(key: BaselineKey, commit: string, createdAt: string, branch = 'main', p50 = 17.2): Baseline {
  return {
    schema: BASELINE_SCHEMA,
    gate: key.gate,
    model: key.model,
    repo: key.repo,
    commit,
    branch,
    createdAt,
    fingerprint: { engine: 'onnxruntime', device: 'cpu', gpuName: null },
    fingerprintHash: key.fingerprintHash,
    metrics: {
      model: key.model,
      task: 'ocr-rec',
      samples: 3,
      iterations: 160,
      metrics: [
        { id: 'latency.p50', label: 'p50 latency', unit: 'ms', better: 'lower', value: p50, rounds: [p50, p50 + 0.1, p50 - 0.1] },
        {
          id: 'accuracy.line',
          label: 'line accuracy',
          unit: '%',
          better: 'higher',
          value: 66.7,
          perSample: { ids: ['a', 'b', 'c'], ok: [1, 0, 1] },
        },
      ],
    },
  };
}

const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();

/** The seal a promotion of `keys` at `commit` writes (to plant sealed-but-corrupt objects). */
export function sealOf(commit: string, ...keys: BaselineKey[]): string {
  return JSON.stringify({
    schema: 'paddle-perf-gate/seal@1',
    commit,
    runs: [{ branch: 'main', createdAt: at(1), models: keys.map((k) => ({ model: k.model, fingerprintHash: k.fingerprintHash })) }],
  });
}

const gitLines: string[] = [];
afterAll(() => {
  for (const dir of gitLines.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A real git history: `n` commits in a line, oldest first (removed after the test file). */
export function gitLine(n: number): { dir: string; commits: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ppg-git-line-'));
  gitLines.push(dir);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
    })
      .toString()
      .trim();
  git('init', '-q', '-b', 'main');
  const commits: string[] = [];
  for (let i = 0; i < n; i++) {
    writeFileSync(join(dir, 'f.txt'), String(i));
    git('add', 'f.txt');
    git('commit', '-q', '-m', `c${i}`);
    commits.push(git('rev-parse', 'HEAD'));
  }
  return { dir, commits };
}

export function storeContract(name: string, harness: ContractHarness): void {
  describe(`${name} store contract`, () => {
    it('round-trips a baseline exactly, and says when there is none', async () => {
      const store = harness.create();
      const key = uniqueKey();
      expect(await store.get(key, { commits: [sha(1)], branch: 'main' })).toEqual({ sameFingerprint: true });
      const b = makeBaseline(key, sha(1), at(1));
      await store.put(key, b);
      expect(await harness.create().get(key, { commits: [sha(1)], branch: 'main' })).toEqual({ baseline: b, sameFingerprint: true });
    });

    it('picks the first promoted commit of the merge-base list, else the branch pointer, else none', async () => {
      const store = harness.create();
      const key = uniqueKey();
      for (const n of [1, 2, 3]) await store.put(key, makeBaseline(key, sha(n), at(n)));
      const byList = await store.get(key, { commits: [sha(9), sha(2), sha(1)], branch: 'main' });
      expect(byList.baseline?.commit).toBe(sha(2));
      const byPointer = await store.get(key, { commits: [sha(8), sha(9)], branch: 'main' });
      expect(byPointer.baseline?.commit).toBe(sha(3));
      expect((await store.get(key, { commits: [sha(8)], branch: 'develop' })).baseline).toBeUndefined();
    });

    it('lists history newest first by creation time, limited', async () => {
      const store = harness.create();
      const key = uniqueKey();
      for (const n of [2, 1, 3]) await store.put(key, makeBaseline(key, sha(n), at(n)));
      expect((await store.history(key, 10, 'main')).map((b) => b.commit)).toEqual([sha(3), sha(2), sha(1)]);
      expect((await store.history(key, 2, 'main')).map((b) => b.commit)).toEqual([sha(3), sha(2)]);
      expect(await store.history(uniqueKey(), 5, 'main')).toEqual([]);
    });

    it('keeps the acceptances of a promotion in the baseline and the branch manifest (issue 15); log lists them', async () => {
      const store = harness.create();
      const key = uniqueKey();
      const acceptance = [
        {
          by: 'maint',
          at: at(2),
          reason: 'a wider input, on purpose',
          via: 'comment' as const,
          sha: sha(7),
          pr: 7,
          metrics: ['latency'],
          rows: [{ model: key.model, metric: 'latency.p50', unit: 'ms' as const, deltaAbs: 0.5, deltaRel: 0.12 }],
        },
      ];
      await store.put(key, makeBaseline(key, sha(1), at(1)));
      const accepted = { ...makeBaseline(key, sha(2), at(2)), acceptance };
      await store.promote({ commit: sha(2), branch: 'main', entries: [{ key, baseline: accepted }], acceptance });
      const reader = harness.create();
      expect((await reader.history(key, 5, 'main'))[0]).toEqual(accepted);
      expect(await reader.log(key, 'main')).toEqual([
        { commit: sha(2), createdAt: at(2), fingerprintHashes: [key.fingerprintHash], acceptance },
        { commit: sha(1), createdAt: at(1), fingerprintHashes: [key.fingerprintHash] },
      ]);
      expect(await reader.log({ ...key, model: 'another-model' }, 'main')).toEqual([]);
    });

    it.runIf(harness.retention !== false)(
      'keeps the last 50 history entries; old commits stay readable',
      async () => {
        const store = harness.create();
        const key = uniqueKey();
        for (let n = 1; n <= 52; n++) await store.put(key, makeBaseline(key, sha(n), at(n)));
        const history = await store.history(key, 100, 'main');
        expect(history).toHaveLength(50);
        expect(history[0]?.commit).toBe(sha(52));
        expect(history[49]?.commit).toBe(sha(3));
        expect((await store.get(key, { commits: [sha(52)], branch: 'main' })).baseline?.commit).toBe(sha(52));
      },
      120_000,
    );

    it('falls back to another fingerprint with sameFingerprint: false', async () => {
      const store = harness.create();
      const gpu = uniqueKey({ fingerprintHash: 'fp-gpu-a100' });
      const other = { ...gpu, fingerprintHash: 'fp-gpu-h100' };
      await store.put(gpu, makeBaseline(gpu, sha(1), at(1)));
      const lookup = await store.get(other, { commits: [sha(1)], branch: 'main' });
      expect(lookup.sameFingerprint).toBe(false);
      expect(lookup.baseline?.fingerprintHash).toBe('fp-gpu-a100');
      // Another model of the same repo and gate never answers for this one.
      expect((await store.get({ ...gpu, model: 'PP-OCRv4-rec-slim' }, { commits: [sha(1)], branch: 'main' })).baseline).toBeUndefined();
    });

    it.each([['feature/x'], ['v1.2'], ['分支'], ['../etc'], ['..'], ['feature%2Fx']])('keeps branch %s in its own key', async (branch) => {
      const store = harness.create();
      const key = uniqueKey({ model: `../${branch}` });
      await store.put(key, makeBaseline({ ...key }, sha(1), at(1), branch));
      const found = await store.get(key, { commits: [], branch });
      expect(found.baseline?.branch).toBe(branch);
      // A look-alike branch name does not see it.
      expect((await store.get(key, { commits: [], branch: `${branch}x` })).baseline).toBeUndefined();
    });

    it('two promotions at once: both commits kept, the pointer ends on the newer, history has both', async () => {
      const key = uniqueKey();
      await harness.create().put(key, makeBaseline(key, sha(1), at(1)));
      const older = makeBaseline(key, sha(2), at(2));
      const newer = makeBaseline(key, sha(3), at(3));
      await Promise.all([harness.create().put(key, newer), harness.create().put(key, older)]);
      const store = harness.create();
      expect((await store.get(key, { commits: [], branch: 'main' })).baseline?.commit).toBe(sha(3));
      expect((await store.get(key, { commits: [sha(2)], branch: 'main' })).baseline).toEqual(older);
      expect((await store.history(key, 10, 'main')).map((b) => b.commit)).toEqual([sha(3), sha(2), sha(1)]);
      // A late, older promotion never moves the pointer back.
      await store.put(key, makeBaseline(key, sha(0), at(0)));
      expect((await store.get(key, { commits: [], branch: 'main' })).baseline?.commit).toBe(sha(3));
    });

    it('case 4: a re-run of a promoted commit succeeds, says so and keeps the first measurement', async () => {
      const store = harness.create();
      const key = uniqueKey();
      expect((await store.put(key, makeBaseline(key, sha(1), at(1)))).state).toBe('promoted');
      const again = await harness.create().put(key, makeBaseline(key, sha(1), at(2), 'main', 99));
      expect(again.state).toBe('already');
      expect(again.notes.join('\n')).toMatch(/already promoted; its first measurement is kept/);
      expect((await store.get(key, { commits: [sha(1)], branch: 'main' })).baseline?.metrics.metrics[0]?.value).toBe(17.2);
      expect((await store.history(key, 10, 'main')).map((b) => b.commit)).toEqual([sha(1)]);
    });

    it('case 3: two models promote as one; a foreign manifest fails it truthfully, and a re-run completes it', async () => {
      const a = uniqueKey();
      const b = { ...a, model: 'PP-OCRv4-det' };
      const store = harness.create();
      await store.promote({
        commit: sha(1),
        branch: 'main',
        entries: [a, b].map((k) => ({ key: k, baseline: makeBaseline(k, sha(1), at(1)) })),
      });
      await harness.plant(
        { [layout.manifest(a, 'main')]: '{"benches":[{"name":"x","value":1}]}' },
        { key: a, branch: 'main', commit: sha(1) },
      );
      const request = {
        commit: sha(2),
        branch: 'main',
        entries: [a, b].map((k) => ({ key: k, baseline: makeBaseline(k, sha(2), at(2)) })),
      };
      const error = await harness
        .create()
        .promote(request)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(StoreError);
      const message = (error as Error).message;
      // The message says what the store reads as now, and it is true for every model alike.
      if (/nothing was promoted/.test(message)) {
        for (const k of [a, b])
          expect((await harness.create().get(k, { commits: [sha(2), sha(1)], branch: 'main' })).baseline?.commit).toBe(sha(1));
      } else {
        expect(message).toMatch(/is sealed .* pointer and history did not move; a re-run completes/);
        for (const k of [a, b])
          expect((await harness.create().get(k, { commits: [sha(2), sha(1)], branch: 'main' })).baseline?.commit).toBe(sha(2));
        for (const k of [a, b])
          await expect(harness.create().get(k, { commits: [], branch: 'main' })).rejects.toThrow(/not a paddle-perf-gate document/);
      }
      // Someone removes the foreign object (here: a valid manifest of the old state); the re-run completes.
      await harness.plant(
        {
          [layout.manifest(a, 'main')]: JSON.stringify({
            schema: 'paddle-perf-gate/manifest@1',
            branch: 'main',
            head: { commit: sha(1), createdAt: at(1) },
            pointers: [a, b].map((k) => ({ model: k.model, fingerprintHash: k.fingerprintHash, commit: sha(1), createdAt: at(1) })),
            entries: [
              { commit: sha(1), createdAt: at(1), models: [a, b].map((k) => ({ model: k.model, fingerprintHash: k.fingerprintHash })) },
            ],
          }),
        },
        { key: a, branch: 'main', commit: sha(1) },
      );
      const rerun = await harness.create().promote(request);
      expect(rerun.pointerMoved).toBe(true);
      for (const k of [a, b]) {
        expect((await harness.create().get(k, { commits: [], branch: 'main' })).baseline?.commit).toBe(sha(2));
        expect((await harness.create().history(k, 10, 'main')).map((x) => x.commit)).toEqual([sha(2), sha(1)]);
      }
    });

    it('an object a crashed promotion left is invisible; the re-run seals it and keeps that measurement', async () => {
      const key = uniqueKey();
      await harness.plant(
        { [layout.commit(key, sha(5))]: JSON.stringify(makeBaseline(key, sha(5), at(5), 'main', 20)) },
        { key, branch: 'main', commit: sha(5) },
      );
      expect(await harness.create().get(key, { commits: [sha(5)], branch: 'main' })).toEqual({ sameFingerprint: true });
      const rerun = await harness.create().put(key, makeBaseline(key, sha(5), at(6), 'main', 30));
      expect(rerun.state).toBe('completed');
      expect(rerun.notes.join('\n')).toMatch(/kept the measurement of .* an earlier, unfinished promotion/);
      expect((await harness.create().get(key, { commits: [sha(5)], branch: 'main' })).baseline?.metrics.metrics[0]?.value).toBe(20);
    });

    it('case 5: the pointer moves only to a descendant (git ancestry); without history, by time with a note', async () => {
      const { dir, commits } = gitLine(3);
      const [c0, c1, c2] = commits as [string, string, string];
      const isAncestor = gitAncestry(dir);
      const key = uniqueKey();
      const one = (c: string, minute: number) => ({
        commit: c,
        branch: 'main',
        entries: [{ key, baseline: makeBaseline(key, c, at(minute)) }],
        isAncestor,
      });
      await harness.create().promote(one(c2, 1));
      // The parent finishes later (a slow job): by time it would win; by ancestry it must not.
      const late = await harness.create().promote(one(c1, 9));
      expect(late.pointerMoved).toBe(false);
      expect(late.notes.join('\n')).toMatch(/stays on .*a descendant of/);
      expect((await harness.create().get(key, { commits: [], branch: 'main' })).baseline?.commit).toBe(c2);
      // Its own commit is still found by a PR whose merge-base it is.
      expect((await harness.create().get(key, { commits: [c1], branch: 'main' })).baseline?.commit).toBe(c1);
      // A commit git does not know: ordered by time, and the note says so.
      const unknown = await harness.create().promote({ ...one(sha(77), 0), isAncestor });
      expect(unknown.pointerMoved).toBe(false);
      expect(unknown.notes.join('\n')).toMatch(/git history cannot tell/);
      expect((await harness.create().get(key, { commits: [], branch: 'main' })).baseline?.commit).toBe(c2);
      void c0;
    });

    it("case 6: a branch's promotion never writes another branch's pointer, history or fallback", async () => {
      const key = uniqueKey();
      await harness.create().put(key, makeBaseline(key, sha(1), at(1)));
      const other = { ...key, fingerprintHash: 'fp-feature' };
      await harness.create().put(key, makeBaseline(key, sha(2), at(2), 'feature/x', 30));
      await harness.create().put(other, makeBaseline(other, sha(3), at(3), 'feature/x'));
      const store = harness.create();
      expect((await store.get(key, { commits: [], branch: 'main' })).baseline?.commit).toBe(sha(1));
      expect((await store.history(key, 10, 'main')).map((b) => b.commit)).toEqual([sha(1)]);
      // A new environment on main is told "no baseline", not compared with the feature branch's.
      expect(await store.get({ ...key, fingerprintHash: 'fp-new' }, { commits: [], branch: 'main' })).toMatchObject({
        sameFingerprint: false,
        baseline: { commit: sha(1) },
      });
      expect((await store.get(other, { commits: [], branch: 'main' })).baseline?.branch).toBe('main');
      // The same commit promoted again on another branch is a promotion there, with the first measurement.
      const release = await harness.create().put(key, makeBaseline(key, sha(1), at(9), 'release', 40));
      expect(release).toMatchObject({ state: 'promoted', pointerMoved: true });
      expect((await store.get(key, { commits: [], branch: 'release' })).baseline?.metrics.metrics[0]?.value).toBe(
        harness.snapshotsPerBranch ? 40 : 17.2,
      );
    });

    it('reads a store the previous layout wrote (no seals, per-model pointer/history/latest); new promotions carry it on', async () => {
      const key = uniqueKey();
      const doc = (o: object) => JSON.stringify(o);
      await harness.plant(
        {
          [layout.commit(key, sha(1))]: doc(makeBaseline(key, sha(1), at(1))),
          [layout.commit(key, sha(2))]: doc(makeBaseline(key, sha(2), at(2))),
          [layout.branch(key, 'main')]: doc({ schema: 'paddle-perf-gate/pointer@1', commit: sha(2), createdAt: at(2) }),
          [layout.history(key)]: doc({
            schema: 'paddle-perf-gate/history@1',
            entries: [sha(2), sha(1)].map((c, i) => ({ commit: c, branch: 'main', createdAt: at(2 - i) })),
          }),
          [layout.latest(key)]: doc({
            schema: 'paddle-perf-gate/latest@1',
            fingerprintHash: key.fingerprintHash,
            commit: sha(2),
            createdAt: at(2),
          }),
        },
        { key, branch: 'main', commit: sha(2) },
      );
      const store = harness.create();
      expect((await store.get(key, { commits: [sha(9), sha(1)], branch: 'main' })).baseline?.commit).toBe(sha(1));
      expect((await store.get(key, { commits: [], branch: 'main' })).baseline?.commit).toBe(sha(2));
      expect((await store.history(key, 10, 'main')).map((b) => b.commit)).toEqual([sha(2), sha(1)]);
      expect(await store.get({ ...key, fingerprintHash: 'fp-other' }, { commits: [], branch: 'main' })).toMatchObject({
        sameFingerprint: false,
        baseline: { commit: sha(2) },
      });
      await harness.create().put(key, makeBaseline(key, sha(3), at(3)));
      const after = harness.create();
      expect((await after.get(key, { commits: [], branch: 'main' })).baseline?.commit).toBe(sha(3));
      expect((await after.get(key, { commits: [sha(1)], branch: 'main' })).baseline?.commit).toBe(sha(1));
      expect((await after.history(key, 10, 'main')).map((b) => b.commit)).toEqual([sha(3), sha(2), sha(1)]);
    });

    it.each([
      ['corrupt bytes', '{"schema":"paddle-perf-gate/baseline@1","gate":', /not valid JSON/],
      ['foreign JSON', '{"benches":[{"name":"x","value":1}]}', /not a paddle-perf-gate document \(schema missing/],
      ['another tool', '{"schema":"bencher/v0"}', /not a paddle-perf-gate document \(schema 'bencher\/v0'/],
      ['a newer schema', '{"schema":"paddle-perf-gate/baseline@7"}', /written by a newer paddle-perf-gate/],
      [
        'a bad field',
        JSON.stringify({ ...makeBaseline(uniqueKey(), sha(1), at(1)), createdAt: 'yesterday' }),
        /field 'createdAt' should be an ISO 8601 date/,
      ],
    ])('reading %s is a StoreError naming the object', async (_what, body, message) => {
      const key = uniqueKey();
      await harness.plant(
        { [layout.commit(key, sha(1))]: body, [layout.seal(key, sha(1))]: sealOf(sha(1), key) },
        { key, branch: 'main', commit: sha(1) },
      );
      const error = await harness
        .create()
        .get(key, { commits: [sha(1)], branch: 'main' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain(`commits/${sha(1)}.json`);
    });

    it('a failed write fails the promotion loudly and leaves the old baseline intact', async () => {
      const store = harness.create();
      const key = uniqueKey();
      const old = makeBaseline(key, sha(1), at(1));
      await store.put(key, old);
      const undo = await harness.breakWrites(key, sha(2));
      let error: unknown;
      try {
        error = await store.put(key, makeBaseline(key, sha(2), at(2))).then(
          () => undefined,
          (e: unknown) => e,
        );
      } finally {
        await undo();
      }
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(new RegExp(`promotion of commit ${sha(2)} .* failed`));
      const after = harness.create();
      expect(await after.get(key, { commits: [], branch: 'main' })).toEqual({ baseline: old, sameFingerprint: true });
      expect((await after.history(key, 10, 'main')).map((b) => b.commit)).toEqual([sha(1)]);
    });
  });
}
