/**
 * The one contract every baseline store passes (file, S3 against a real local S3 server, actions
 * cache against the local cache-service emulation). Each test works under its own repo name, so
 * the backends are shared across tests without interference.
 */
import { describe, expect, it } from 'vitest';
import type { BaselineStore } from '../../src/ports.js';
import { BASELINE_SCHEMA, type Baseline, type BaselineKey } from '../../src/types.js';
import { StoreError } from '../../src/errors.js';

export interface ContractHarness {
  /** A new store instance on the shared backend (a second CI job, say). */
  create(): BaselineStore;
  /** Leaves raw text where the commit object of `commit` under `key` lives (a corrupt or foreign writer). */
  plant(key: BaselineKey, commit: string, body: string): Promise<void>;
  /** Makes the backend really fail for writes of `commit` (server down, broken directory); returns the undo. */
  breakWrites(key: BaselineKey, commit: string): Promise<() => Promise<void>>;
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
      expect((await store.history(key, 10)).map((b) => b.commit)).toEqual([sha(3), sha(2), sha(1)]);
      expect((await store.history(key, 2)).map((b) => b.commit)).toEqual([sha(3), sha(2)]);
      expect(await store.history(uniqueKey(), 5)).toEqual([]);
    });

    it.runIf(harness.retention !== false)(
      'keeps the last 50 history entries; old commits stay readable',
      async () => {
        const store = harness.create();
        const key = uniqueKey();
        for (let n = 1; n <= 52; n++) await store.put(key, makeBaseline(key, sha(n), at(n)));
        const history = await store.history(key, 100);
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
      expect((await store.history(key, 10)).map((b) => b.commit)).toEqual([sha(3), sha(2), sha(1)]);
      // A late, older promotion never moves the pointer back.
      await store.put(key, makeBaseline(key, sha(0), at(0)));
      expect((await store.get(key, { commits: [], branch: 'main' })).baseline?.commit).toBe(sha(3));
    });

    it('commit objects are immutable: the same upload again is fine, a different one is refused', async () => {
      const store = harness.create();
      const key = uniqueKey();
      await store.put(key, makeBaseline(key, sha(1), at(1)));
      await store.put(key, makeBaseline(key, sha(1), at(1)));
      await expect(store.put(key, makeBaseline(key, sha(1), at(1), 'main', 99))).rejects.toThrow(/immutable/);
      expect((await store.get(key, { commits: [sha(1)], branch: 'main' })).baseline?.metrics.metrics[0]?.value).toBe(17.2);
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
      await harness.plant(key, sha(1), body);
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
      expect((await after.history(key, 10)).map((b) => b.commit)).toEqual([sha(1)]);
    });
  });
}
