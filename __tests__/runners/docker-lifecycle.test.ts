/**
 * The container's life on the real engine, at every point a cancellation can land (issue 33):
 * before the create request, while the engine holds the create reply (a slow engine: the proxy
 * holds it), between create and start (the attach held), while running, and after the program
 * finished; a second signal while the create reply is still held; an image whose ENTRYPOINT would
 * swallow the harness; what is said of a user's own command; output of any size and shape.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDockerRunner } from '../../src/runners/docker.js';
import { removeLiveContainers } from '../../src/runners/container-lifecycle.js';
import { dockerFromEnv, dockerodeEngine } from '../../src/runners/dockerode-engine.js';
import { RunnerError } from '../../src/errors.js';
import { LOG_HEAD_BYTES, LOG_TAIL_BYTES } from '../../src/runners/lines.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import type { MeasurePlan } from '../../src/types.js';
import { startSlowEngineProxy, type SlowEngineProxy } from '../helpers/engine-proxy.js';
import { dockerHostOrSkip, dockerPlan, makeOcrDataset, QUICK, recModel, recordingProgress, TEST_IMAGE, validDoc } from './fixtures.js';

const host = dockerHostOrSkip();
const socket = host?.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
const docker = socket ? dockerFromEnv() : undefined;
const GATE = `lifecycle-test-${process.pid}`;
const ENTRYPOINT_IMAGE = `ppg-test/entrypoint:${process.pid}`;
const LONG: MeasurePlan = { ...QUICK, rounds: 1000, minRoundSeconds: 5, maxSeconds: 600 };

async function ours(): Promise<Array<{ Id: string; State: string }>> {
  return docker!.listContainers({ all: true, filters: { label: ['paddle-perf-gate=1', `paddle-perf-gate.gate=${GATE}`] } });
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error,
  );

describe.skipIf(!socket)('the container lifecycle on the real engine', () => {
  let root: string;
  let dataset: PreparedDataset;
  let proxy: SlowEngineProxy;
  let n = 0;
  const workDir = () => join(root, `w${++n}`);
  const viaProxy = () => dockerodeEngine(dockerFromEnv({ DOCKER_HOST: proxy.host }), proxy.host);
  /** The rec model through the proxy, cancelled by `controller`: the error it ends with. */
  const cancellable = (controller: AbortController, measure: typeof QUICK): Promise<Error> =>
    failure(
      createDockerRunner(dockerPlan(), { engine: viaProxy(), gateId: GATE }).run(
        { model: recModel(), measure, dataset, workDir: workDir(), signal: controller.signal },
        recordingProgress(),
      ),
    );
  let mark = 0;
  /** The start requests the engine was sent since the test began. */
  const started = () => proxy.requests.slice(mark).filter((r) => /^POST \S*\/containers\/[^/]+\/start\b/.test(r));

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ppg-lifecycle-'));
    dataset = await makeOcrDataset(join(root, 'data'), 2);
    proxy = await startSlowEngineProxy(socket!);
    // An image whose ENTRYPOINT ignores its arguments: without Entrypoint set, the harness never runs.
    const ctx = join(root, 'entrypoint-image');
    await mkdir(ctx);
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${TEST_IMAGE}\nENTRYPOINT ["/bin/sh", "-c", "echo swallowed by the image; exit 42"]\n`);
    execFileSync('docker', ['build', '-q', '-t', ENTRYPOINT_IMAGE, ctx], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      stdio: 'ignore',
    });
  }, 120_000);

  beforeEach(() => {
    mark = proxy.requests.length;
  });

  afterEach(async () => {
    proxy.hold.clear();
    proxy.release();
    // A failed case must not leave its run going into the next one.
    await removeLiveContainers();
  });

  afterAll(async () => {
    await proxy?.stop();
    const left = await ours();
    for (const c of left) await docker!.getContainer(c.Id).remove({ force: true });
    await docker
      ?.getImage(ENTRYPOINT_IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it('cancelled before the create request: nothing is created', async () => {
    const controller = new AbortController();
    controller.abort();
    const before = proxy.requests.length;
    const error = await cancellable(controller, QUICK);
    expect(error).toBeInstanceOf(RunnerError);
    expect(error.message).toMatch(/cancelled/);
    expect(proxy.requests.slice(before).filter((r) => r.includes('/containers/create'))).toEqual([]);
    expect(await ours()).toEqual([]);
  });

  it('cancelled while the engine holds the create reply: removed when the reply comes, never started', async () => {
    proxy.hold.add('create-reply');
    const controller = new AbortController();
    const run = cancellable(controller, LONG);
    await proxy.held();
    // The engine made it; the runner does not know yet.
    expect((await ours()).map((c) => c.State)).toEqual(['created']);
    controller.abort();
    await new Promise((r) => setTimeout(r, 300));
    proxy.release();
    const error = await run;
    expect(error.message).toBe('run of PP-OCRv4-rec cancelled; container stopped and removed');
    expect(started()).toEqual([]);
    expect(await ours()).toEqual([]);
  });

  it('a second signal while the create reply is still held removes the container by name at once', async () => {
    proxy.hold.add('create-reply');
    const controller = new AbortController();
    const run = cancellable(controller, LONG);
    await proxy.held();
    controller.abort(); // the first signal
    expect(await removeLiveContainers()).toBe(1); // the second: what signals.ts does before exiting
    expect(await ours()).toEqual([]); // gone while its create reply is still held
    proxy.release();
    expect((await run).message).toMatch(/cancelled/);
    expect(started()).toEqual([]);
    expect(await ours()).toEqual([]);
  });

  it('cancelled between create and start (the attach held): never started, removed', async () => {
    proxy.hold.add('attach');
    const controller = new AbortController();
    const run = cancellable(controller, LONG);
    await proxy.held();
    controller.abort();
    proxy.release();
    expect((await run).message).toBe('run of PP-OCRv4-rec cancelled; container stopped and removed');
    expect(started()).toEqual([]);
    expect(await ours()).toEqual([]);
  });

  it('cancelled after the harness reported done: the finished, valid result is kept', async () => {
    const dir = workDir();
    await mkdir(join(root, 'in'), { recursive: true });
    await writeFile(join(root, 'in', 'doc.json'), JSON.stringify(validDoc()));
    // Writes its result, says done, then lingers (as a harness tearing down a GPU context can).
    const script =
      'import json, os, shutil, sys, time; shutil.copy("/ppg/in/doc.json", os.environ["PPG_OUTPUT"]); print("PPG-PROGRESS done: 2 rounds"); sys.stdout.flush(); time.sleep(120)';
    const controller = new AbortController();
    const progress = recordingProgress();
    const watch = {
      info: (m: string) => {
        progress.info(m);
        if (m.includes('done: 2 rounds')) controller.abort();
      },
      warn: progress.warn,
    };
    const result = await createDockerRunner(dockerPlan({ command: ['python3', '-c', script] }), {
      gateId: GATE,
      mounts: [{ host: join(root, 'in'), container: '/ppg/in' }],
    })
      .run({ model: recModel(), measure: QUICK, dataset, workDir: dir, signal: controller.signal }, watch)
      .catch((error: Error) => {
        throw new Error(`${error.message} (${String(error.cause)}; log: ${progress.infos.join(' | ')})`);
      });
    expect(controller.signal.aborted).toBe(true);
    expect(result.timing.rounds).toEqual((validDoc()['timing'] as { rounds: number[][] }).rounds);
    expect(progress.warns.join('\n')).toContain('the cancellation came after the command');
    expect(await ours()).toEqual([]);
  });

  it('cancelled while running, before done: cancelled even though a document exists', async () => {
    const script =
      'import os, shutil, sys, time; shutil.copy("/ppg/in/doc.json", os.environ["PPG_OUTPUT"]); print("PPG-PROGRESS working"); sys.stdout.flush(); time.sleep(120)';
    const controller = new AbortController();
    const watch = {
      info: (m: string) => {
        if (m.includes('working')) controller.abort();
      },
      warn: () => undefined,
    };
    const error = await failure(
      createDockerRunner(dockerPlan({ command: ['python3', '-c', script] }), {
        gateId: GATE,
        mounts: [{ host: join(root, 'in'), container: '/ppg/in' }],
      }).run({ model: recModel(), measure: QUICK, dataset, workDir: workDir(), signal: controller.signal }, watch),
    );
    expect(error.message).toBe('run of PP-OCRv4-rec cancelled; container stopped and removed');
    expect(await ours()).toEqual([]);
  });

  it('runs the harness in an image whose ENTRYPOINT would swallow it', async () => {
    const result = await createDockerRunner(dockerPlan({ image: ENTRYPOINT_IMAGE }), { gateId: GATE }).run(
      { model: recModel(), measure: QUICK, dataset, workDir: workDir() },
      recordingProgress(),
    );
    expect(result.outputs.ids).toEqual(dataset.ids);
    expect(await ours()).toEqual([]);
  });

  it("a user's own command is named as the command, never as the harness", async () => {
    const error = await failure(
      createDockerRunner(dockerPlan({ command: ['python3', '-c', 'print("no document")'] }), { gateId: GATE }).run(
        { model: recModel(), measure: QUICK, dataset, workDir: workDir() },
        recordingProgress(),
      ),
    );
    expect(
      error.message.startsWith('the command "python3 -c print(\\"no document\\")" exited with code 0 but wrote no run-result document'),
    ).toBe(true);
    expect(error.message).not.toContain('harness');
  });

  it('a 40 MB line and 5 MB on stderr without newlines: the message keeps each line short, head and tail', async () => {
    const script =
      'import sys; sys.stdout.write("HEAD-OUT" + "x" * 40_000_000 + "TAIL-OUT"); sys.stderr.write("HEAD-ERR" + "y" * 5_000_000 + "TAIL-ERR"); sys.exit(4)';
    const dir = workDir();
    const error = await failure(
      createDockerRunner(dockerPlan({ command: ['python3', '-c', script] }), { gateId: GATE }).run(
        { model: recModel(), measure: QUICK, dataset, workDir: dir },
        recordingProgress(),
      ),
    );
    expect(error.message).toMatch(
      /exited with code 4; last log lines: HEAD-OUTx+ … x+TAIL-OUT; last stderr lines: HEAD-ERRy+ … y+TAIL-ERR/,
    );
    expect(error.message.length).toBeLessThan(2000);
    const log = await readFile(join(dir, 'container.log'), 'utf8');
    expect(log).toMatch(/^HEAD-OUTx+\[… \d+ characters cut …\]x+TAIL-OUT$/m);
    expect(log).toMatch(/^HEAD-ERRy+\[… \d+ characters cut …\]y+TAIL-ERR$/m);
    expect(log.length).toBeLessThan(100_000);
  }, 120_000);

  it('24 MB of \\r progress frames: the last frame stands', async () => {
    const script =
      'import sys\nfor i in range(300_000): sys.stdout.write("\\r%6d |%s|" % (i, "#" * 66))\nsys.stdout.write("\\n"); sys.exit(5)';
    const dir = workDir();
    const error = await failure(
      createDockerRunner(dockerPlan({ command: ['python3', '-c', script] }), { gateId: GATE }).run(
        { model: recModel(), measure: QUICK, dataset, workDir: dir },
        recordingProgress(),
      ),
    );
    expect(error.message).toContain(`exited with code 5; last log lines: 299999 |${'#'.repeat(66)}|`);
    expect((await stat(join(dir, 'container.log'))).size).toBeLessThan(1000);
  }, 120_000);

  it('container.log keeps its head and tail with a note of what was dropped; every line before the exit is drained', async () => {
    // 14 MB of numbered lines, then the last one, then exit: all of it reaches the runner.
    const script =
      'import sys\nfor i in range(200_000): print("line %06d %s" % (i, "-" * 58))\nprint("THE-LAST-LINE"); sys.stdout.flush(); sys.exit(6)';
    const dir = workDir();
    const error = await failure(
      createDockerRunner(dockerPlan({ command: ['python3', '-c', script] }), { gateId: GATE }).run(
        { model: recModel(), measure: QUICK, dataset, workDir: dir },
        recordingProgress(),
      ),
    );
    expect(error.message).toMatch(/exited with code 6; last log lines: .*line 199999 -+ \| THE-LAST-LINE/);
    const log = await readFile(join(dir, 'container.log'), 'utf8');
    expect(log.startsWith('line 000000 ')).toBe(true);
    expect(log.endsWith('line 199999 ' + '-'.repeat(58) + '\nTHE-LAST-LINE\n')).toBe(true);
    const note = /\[paddle-perf-gate: (\d+) bytes of output dropped here; this log keeps the first (\d+) bytes and the last (\d+)\]\n/.exec(
      log,
    );
    expect(note).not.toBeNull();
    const total = 200_000 * 71 + 'THE-LAST-LINE\n'.length;
    expect(Number(note![1]) + Number(note![2]) + Number(note![3])).toBe(total);
    expect(Buffer.byteLength(log)).toBeLessThanOrEqual(LOG_HEAD_BYTES + LOG_TAIL_BYTES + 200 + 71);
  }, 120_000);

  it('leaves no timer behind once the run is over', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    await failure(
      createDockerRunner(dockerPlan({ command: ['python3', '-c', 'print("x")'] }), { gateId: GATE }).run(
        { model: recModel(), measure: QUICK, dataset, workDir: workDir() },
        recordingProgress(),
      ),
    );
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
