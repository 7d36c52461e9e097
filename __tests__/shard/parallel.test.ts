/**
 * parallel: per-device — the queues the gate runs models in. Driven by promises the test resolves
 * itself (no timing): which runs are in flight together, and which never are.
 */
import { describe, expect, it } from 'vitest';
import { deviceQueue, inDeviceQueues } from '../../src/gate.js';
import type { EnginePlan } from '../../src/types.js';

const model = (name: string, device: 'cpu' | 'gpu', deviceId = 0) => ({ name, engine: { device, deviceId } as EnginePlan });

/** Starts the queues; each task waits until the test finishes it. Records what was in flight at each start. */
function harness(models: Array<ReturnType<typeof model>>, parallel: 'off' | 'per-device') {
  const running = new Set<string>();
  const seen: string[][] = [];
  const finish = new Map<string, () => void>();
  let fail: string | undefined;
  const done = inDeviceQueues(models, parallel, async (m) => {
    running.add(m.name);
    seen.push([...running].sort());
    await new Promise<void>((resolve) => finish.set(m.name, resolve));
    running.delete(m.name);
    if (m.name === fail) throw new Error(`${m.name} broke`);
    return m.name.toUpperCase();
  });
  const tick = () => new Promise((r) => setImmediate(r));
  return {
    done,
    seen,
    running: () => [...running].sort(),
    async end(name: string) {
      finish.get(name)!();
      await tick();
    },
    failOn(name: string) {
      fail = name;
    },
    tick,
  };
}

describe('inDeviceQueues', () => {
  it('per-device: one queue per GPU side by side, never two runs on one GPU; results in the models order', async () => {
    const h = harness(
      [model('a0', 'gpu', 0), model('b1', 'gpu', 1), model('c0', 'gpu', 0), model('d1', 'gpu', 1), model('e2', 'gpu', 2)],
      'per-device',
    );
    await h.tick();
    expect(h.running()).toEqual(['a0', 'b1', 'e2']);
    await h.end('b1');
    expect(h.running()).toEqual(['a0', 'd1', 'e2']);
    await h.end('a0');
    expect(h.running()).toEqual(['c0', 'd1', 'e2']);
    for (const n of ['c0', 'd1', 'e2']) await h.end(n);
    expect(await h.done).toEqual(['A0', 'B1', 'C0', 'D1', 'E2']);
    // no GPU ever had two runs at once
    for (const set of h.seen) {
      const gpus = set.map((n) => n.slice(1));
      expect(new Set(gpus).size).toBe(gpus.length);
    }
  });

  it('CPU models share one queue: timing runs on a CPU never overlap, beside the GPU queues', async () => {
    const h = harness([model('cpu-a', 'cpu'), model('gpu-0', 'gpu', 0), model('cpu-b', 'cpu')], 'per-device');
    await h.tick();
    expect(h.running()).toEqual(['cpu-a', 'gpu-0']);
    await h.end('cpu-a');
    expect(h.running()).toEqual(['cpu-b', 'gpu-0']);
    await h.end('cpu-b');
    await h.end('gpu-0');
    expect(await h.done).toEqual(['CPU-A', 'GPU-0', 'CPU-B']);
    expect(h.seen.some((s) => s.includes('cpu-a') && s.includes('cpu-b'))).toBe(false);
  });

  it('off: one model at a time, in order, whatever the devices', async () => {
    const h = harness([model('x', 'gpu', 0), model('y', 'gpu', 1)], 'off');
    await h.tick();
    expect(h.running()).toEqual(['x']);
    await h.end('x');
    expect(h.running()).toEqual(['y']);
    await h.end('y');
    expect(await h.done).toEqual(['X', 'Y']);
  });

  it('a failing run stops its queue; the other queue finishes what it runs; the error is thrown', async () => {
    const h = harness([model('a0', 'gpu', 0), model('b1', 'gpu', 1), model('c0', 'gpu', 0)], 'per-device');
    h.failOn('a0');
    await h.tick();
    const outcome = h.done.then(
      () => 'resolved',
      (e: unknown) => (e as Error).message,
    );
    await h.end('a0');
    expect(h.running()).toEqual(['b1']); // c0 never starts
    await h.end('b1');
    expect(await outcome).toBe('a0 broke');
  });

  it('deviceQueue names the GPU by its device id, and every CPU model the same queue', () => {
    expect([model('a', 'gpu', 3), model('b', 'cpu', 3), model('c', 'cpu', 0)].map(deviceQueue)).toEqual(['gpu 3', 'cpu', 'cpu']);
  });
});
