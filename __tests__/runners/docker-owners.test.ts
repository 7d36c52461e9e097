/**
 * The orphan sweep's owner test on the real engine (issue 33): containers labelled as another
 * gate's — alive or dead, in this PID namespace or another — and what the next run of the gate
 * does with each. A PID alone never decides: in this namespace the PID and the process's start
 * time must both match, elsewhere only a heartbeat that stood still proves the owner gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRunner } from '../../src/runners/docker.js';
import { dockerFromEnv } from '../../src/runners/dockerode-engine.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { dockerHostOrSkip, dockerPlan, makeOcrDataset, QUICK, recModel, recordingProgress, TEST_IMAGE } from './fixtures.js';

const host = dockerHostOrSkip();
const docker = host ? dockerFromEnv() : undefined;
const GATE = `owners-test-${process.pid}`;

function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe.skipIf(!host)('which leftovers the orphan sweep removes', () => {
  let root: string;
  let dataset: PreparedDataset;
  let sleeper: ChildProcess;

  async function leftover(name: string, labels: Record<string, string>, heartbeat?: string): Promise<string> {
    const out = join(root, name);
    await mkdir(out, { recursive: true });
    if (heartbeat !== undefined) await writeFile(join(out, '.ppg-heartbeat'), heartbeat);
    const c = await docker!.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sleep', '300'],
      Labels: { 'paddle-perf-gate': '1', 'paddle-perf-gate.gate': GATE, ...labels },
      HostConfig: { NetworkMode: 'none', Binds: [`${out}:/ppg/out`] },
    });
    await c.start();
    return c.id;
  }

  const exists = async (id: string) =>
    docker!
      .getContainer(id)
      .inspect()
      .then(
        () => true,
        () => false,
      );

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ppg-owners-'));
    dataset = await makeOcrDataset(join(root, 'data'), 1);
    sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  }, 60_000);

  afterAll(async () => {
    sleeper.kill('SIGKILL');
    const left = await docker!.listContainers({ all: true, filters: { label: [`paddle-perf-gate.gate=${GATE}`] } });
    for (const c of left) await docker!.getContainer(c.Id).remove({ force: true });
    await rm(root, { recursive: true, force: true });
  });

  it('removes only the containers whose owner is proved gone', async () => {
    const me = { pidns: readlinkSync('/proc/self/ns/pid'), host: hostname() };
    const pid = sleeper.pid!;
    const owner = (p: number, start: string, run: string, ns = me.pidns) => ({
      'paddle-perf-gate.run': run,
      'paddle-perf-gate.owner': `${me.host}:${p}`,
      'paddle-perf-gate.owner-pidns': ns,
      'paddle-perf-gate.owner-start': start,
    });
    // A live owner in this namespace: its PID and start time match.
    const alive = await leftover('alive', owner(pid, startTime(pid), 'r-alive'));
    // Its PID now belongs to a process started at another time: the owner died, the PID was reused.
    const reused = await leftover('reused', owner(pid, '1', 'r-reused'));
    // The owner's PID is gone.
    const gone = await leftover('gone', owner(2 ** 22 - 7, '1', 'r-gone'));
    // In another PID namespace: a heartbeat that keeps beating, and one that stands still.
    const beating = await leftover('beating', owner(1, '1', 'r-beating', 'pid:[1]'), 'r-beating 1');
    const still = await leftover('still', owner(1, '1', 'r-still', 'pid:[1]'), 'r-still 7');
    // An older paddle-perf-gate's label (no run id): nothing can be proved, it stays.
    const legacy = await leftover('legacy', { 'paddle-perf-gate.owner': `${me.host}:${2 ** 22 - 7}` });
    let beat = 1;
    const ticker = setInterval(() => void writeFile(join(root, 'beating', '.ppg-heartbeat'), `r-beating ${++beat}`), 500);
    const progress = recordingProgress();
    try {
      await createDockerRunner(dockerPlan({ command: ['true'] }), { gateId: GATE })
        .run({ model: recModel(), measure: QUICK, dataset, workDir: join(root, 'run') }, progress)
        .catch(() => undefined); // `true` writes no document: only the sweep before it matters
    } finally {
      clearInterval(ticker);
    }
    const removed = progress.warns.filter((w) => w.startsWith('removed container'));
    expect(removed).toHaveLength(3);
    expect(removed.join('\n')).toContain(`removed container ${reused.slice(0, 12)} left by an earlier run (process ${pid})`);
    expect(removed.join('\n')).toContain(`removed container ${gone.slice(0, 12)}`);
    expect(removed.join('\n')).toContain(
      `removed container ${still.slice(0, 12)} left by an earlier run (process 1; on ${me.host} or in another PID namespace, its heartbeat stopped)`,
    );
    expect(await exists(alive)).toBe(true);
    expect(await exists(beating)).toBe(true);
    expect(await exists(legacy)).toBe(true);
    expect(await exists(reused)).toBe(false);
    expect(await exists(gone)).toBe(false);
    expect(await exists(still)).toBe(false);
  }, 120_000);
});
