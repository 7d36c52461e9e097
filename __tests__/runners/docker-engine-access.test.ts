/**
 * How the docker runner reaches the engine and the registry, on the real engine: over TLS with
 * client certificates (DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as docker-in-docker on 2376), the
 * credentials a private pull sends (seen by a recording proxy in front of the engine socket: no
 * registry can be reached here), the pull deadline, and no GPUs for a CPU run.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnerError } from '../../src/errors.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { createDockerRunner, type DockerPlan } from '../../src/runners/docker.js';
import { dockerFromEnv, dockerodeEngine } from '../../src/runners/dockerode-engine.js';
import { registryOf } from '../../src/runners/registry-auth.js';
import { startRecordingProxy, startTlsFront, type RecordingProxy, type TlsFront } from '../helpers/engine-proxy.js';
import { dockerHostOrSkip, makeOcrDataset, QUICK, recModel, recordingProgress, validDoc, dockerPlan } from './fixtures.js';

const host = dockerHostOrSkip();
const socket = host?.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
const GATE = `engine-access-test-${process.pid}`;
const PRIVATE = '127.0.0.1:5999/team/paddle:private';

const plan = dockerPlan;

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error,
  );

describe('registryOf', () => {
  it.each([
    ['paddlepaddle/paddle:3.0.0-gpu', undefined],
    ['ubuntu', undefined],
    ['registry.example.com/paddlepaddle/paddle:2.6.1', 'registry.example.com'],
    ['127.0.0.1:5999/team/paddle:private', '127.0.0.1:5999'],
    ['localhost/x', 'localhost'],
  ])('%s → %s', (image, registry) => expect(registryOf(image)).toBe(registry));
});

describe.skipIf(!socket)('engine access (real engine)', () => {
  let root: string;
  let dataset: PreparedDataset;
  let proxy: RecordingProxy;
  let tls: TlsFront;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ppg-engine-access-'));
    dataset = await makeOcrDataset(join(root, 'data'), 2);
    proxy = await startRecordingProxy(socket!);
    await mkdir(join(root, 'certs'));
    tls = await startTlsFront(socket!, join(root, 'certs'));
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await tls?.stop();
    const docker = dockerFromEnv();
    const left = await docker.listContainers({ all: true, filters: { label: [`paddle-perf-gate.gate=${GATE}`] } });
    await rm(root, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it('reaches a TLS engine through DOCKER_TLS_VERIFY / DOCKER_CERT_PATH and runs there; a CPU run sees no GPUs', async () => {
    const env = { DOCKER_HOST: `tcp://127.0.0.1:${tls.port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tls.certPath };
    const docker = dockerFromEnv(env);
    expect((await docker.version()).Version).toMatch(/^\d+\./);
    // A whole run through the TLS front (attach included). The command reports what the container sees.
    const inDir = join(root, 'byo');
    await mkdir(inDir, { recursive: true });
    await writeFile(join(inDir, 'template.json'), JSON.stringify(validDoc()));
    const script = [
      'import json, os',
      'doc = json.load(open("/ppg/in/template.json"))',
      'doc["notes"] = [os.environ.get("NVIDIA_VISIBLE_DEVICES", "<unset>")]',
      'json.dump(doc, open(os.environ["PPG_OUTPUT"], "w"))',
    ].join('\n');
    const run = await createDockerRunner(plan({ command: ['python3', '-c', script] }), {
      engine: dockerodeEngine(docker),
      gateId: GATE,
      mounts: [{ host: inDir, container: '/ppg/in' }],
    }).run({ model: recModel(), measure: QUICK, dataset, workDir: join(root, 'tls-run') }, recordingProgress());
    expect(run.notes).toEqual(['void']);
    expect(run.env['dockerVersion']).toMatch(/^\d+\./);
  }, 120_000);

  it('without the TLS settings the same address is refused; TLS without certificates names the missing file', async () => {
    const plain = dockerFromEnv({ DOCKER_HOST: `tcp://127.0.0.1:${tls.port}` });
    await expect(plain.version()).rejects.toThrow();
    const empty = join(root, 'no-certs');
    await mkdir(empty, { recursive: true });
    expect(() => dockerFromEnv({ DOCKER_HOST: `tcp://127.0.0.1:${tls.port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: empty })).toThrow(
      new RunnerError(
        `DOCKER_TLS_VERIFY is set but ${join(empty, 'ca.pem')} does not exist: set DOCKER_CERT_PATH to the directory with ca.pem, cert.pem and key.pem`,
      ),
    );
  });

  const pullPrivate = async (over: Partial<DockerPlan> = {}) => {
    const before = proxy.pullAuths().length;
    const error = await failure(
      createDockerRunner(plan({ image: PRIVATE, ...over }), {
        engine: dockerodeEngine(dockerFromEnv({ DOCKER_HOST: proxy.host })),
        gateId: GATE,
      }).run({ model: recModel(), measure: QUICK, dataset, workDir: join(root, 'pull') }, recordingProgress()),
    );
    expect(error).toBeInstanceOf(RunnerError);
    expect(error.message).toMatch(new RegExp(`^image ${PRIVATE.replace(/[.]/g, '\\.')} is not present and cannot be pulled \\(.+\\)`));
    const auths = proxy.pullAuths().slice(before);
    expect(auths).toHaveLength(1);
    return auths[0];
  };

  const withEnv = async <T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> => {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
      return await body();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };

  it('a private pull sends the explicit credentials (the action input) to the engine', async () => {
    const empty = join(root, 'docker-config-empty');
    await mkdir(empty, { recursive: true });
    const auth = await withEnv({ DOCKER_CONFIG: empty }, () => pullPrivate({ registryAuth: { username: 'ci-bot', password: 'tok-123' } }));
    expect(auth).toEqual({ username: 'ci-bot', password: 'tok-123', serveraddress: '127.0.0.1:5999' });
  }, 60_000);

  it('without them, the docker config file: auths of the image registry, then a credential helper', async () => {
    const dir = join(root, 'docker-config');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://registry.example.com/v1/': { auth: Buffer.from('other-user:other-pass').toString('base64') },
          '127.0.0.1:5999': { auth: Buffer.from('robot$team:robot-token').toString('base64') },
        },
      }),
    );
    expect(await withEnv({ DOCKER_CONFIG: dir }, () => pullPrivate())).toEqual({
      username: 'robot$team',
      password: 'robot-token',
      serveraddress: '127.0.0.1:5999',
    });

    // A credential helper named for this registry wins over auths; it is asked for the registry's address on stdin.
    const bin = join(root, 'bin');
    await mkdir(bin, { recursive: true });
    const helper = join(bin, 'docker-credential-ppgtest');
    await writeFile(
      helper,
      '#!/bin/sh\n[ "$1" = get ] || exit 1\nread server\nprintf \'{"ServerURL":"%s","Username":"helper-for-%s","Secret":"helper-secret"}\' "$server" "$server"\n',
    );
    await chmod(helper, 0o755);
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: { '127.0.0.1:5999': { auth: Buffer.from('a:b').toString('base64') } },
        credHelpers: { '127.0.0.1:5999': 'ppgtest' },
      }),
    );
    expect(await withEnv({ DOCKER_CONFIG: dir, PATH: `${bin}:${process.env['PATH']}` }, () => pullPrivate())).toEqual({
      username: 'helper-for-127.0.0.1:5999',
      password: 'helper-secret',
      serveraddress: '127.0.0.1:5999',
    });
  }, 60_000);

  it('a pull the engine does not answer stops at runner.limits.pull-timeout, with no container', async () => {
    proxy.stallPulls = true;
    try {
      const started = Date.now();
      const error = await failure(
        createDockerRunner(plan({ image: PRIVATE, limits: { timeoutSeconds: 60, pullTimeoutSeconds: 1 } }), {
          engine: dockerodeEngine(dockerFromEnv({ DOCKER_HOST: proxy.host })),
          gateId: GATE,
        }).run({ model: recModel(), measure: QUICK, dataset, workDir: join(root, 'stall') }, recordingProgress()),
      );
      expect(error.message).toBe(
        `pulling ${PRIVATE} took longer than 1 s (runner.limits.pull-timeout); pull it on the runner beforehand or raise the limit`,
      );
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      proxy.stallPulls = false;
    }
  }, 60_000);
});
