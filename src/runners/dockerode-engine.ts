/**
 * The ContainerEngine over dockerode: the only module that knows the Docker client.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Dockerode from 'dockerode';
import { RunnerError } from '../errors.js';
import { EngineError, type ContainerEngine, type ContainerSpec, type PullEvent, type RunningContainer } from './container-engine.js';

function statusOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function reasonOf(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  const text = error instanceof Error ? error.message : String(error);
  // dockerode wraps the engine's reason as "(HTTP code 500) server error - <reason>": keep the reason.
  return text.replace(/^\(HTTP code \d+\)[^-]*- /, '').trim();
}

/** Any failure of a client call as an EngineError with the engine's reason and status. */
function engineError(error: unknown): EngineError {
  return error instanceof EngineError ? error : new EngineError(reasonOf(error), statusOf(error), { cause: error });
}

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw engineError(error);
  }
}

/**
 * A client from the environment, through the client's own handling of DOCKER_HOST,
 * DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (unix://, tcp:// with TLS, ssh://). PPG_DOCKER_HOST,
 * when set, stands in for DOCKER_HOST. As the docker CLI does, DOCKER_TLS_VERIFY without
 * DOCKER_CERT_PATH takes the certificates from ~/.docker.
 */
export function dockerFromEnv(env: NodeJS.ProcessEnv = process.env): Dockerode {
  const host = env['PPG_DOCKER_HOST'] ?? env['DOCKER_HOST'];
  const tls = env['DOCKER_TLS_VERIFY'] !== undefined && env['DOCKER_TLS_VERIFY'] !== '' && env['DOCKER_TLS_VERIFY'] !== '0';
  const certPath = env['DOCKER_CERT_PATH'] || (tls ? join(homedir(), '.docker') : undefined);
  if (tls && certPath && !existsSync(join(certPath, 'ca.pem'))) {
    throw new RunnerError(
      `DOCKER_TLS_VERIFY is set but ${join(certPath, 'ca.pem')} does not exist: set DOCKER_CERT_PATH to the directory with ca.pem, cert.pem and key.pem`,
    );
  }
  // docker-modem reads these variables when the client is made: set them for that moment only.
  const wanted: Record<string, string | undefined> = {
    DOCKER_HOST: host,
    DOCKER_TLS_VERIFY: tls ? '1' : undefined,
    DOCKER_CERT_PATH: certPath && (tls || env['DOCKER_CERT_PATH']) ? certPath : undefined,
  };
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(wanted)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    return new Dockerode();
  } catch (error) {
    throw new RunnerError(`cannot set up the Docker client from DOCKER_HOST=${host ?? '(default socket)'}: ${reasonOf(error)}`);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

function deviceRequests(gpus: ContainerSpec['gpus']): Dockerode.DeviceRequest[] {
  if (gpus === 'none') return [];
  if (gpus === 'all') return [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }];
  return [{ Driver: 'nvidia', DeviceIDs: gpus, Capabilities: [['gpu']] }];
}

function container(c: Dockerode.Container): RunningContainer {
  return {
    id: c.id,
    attach: async (stdout, stderr) => {
      const stream = await call(() => c.attach({ stream: true, stdout: true, stderr: true }));
      const out = new PassThrough();
      const err = new PassThrough();
      out.on('data', stdout);
      err.on('data', stderr);
      c.modem.demuxStream(stream, out, err);
      const ended = new Promise<void>((res) => {
        stream.on('end', res);
        stream.on('close', res);
        stream.on('error', () => res());
      });
      return { ended };
    },
    start: () => call(() => c.start()).then(() => undefined),
    wait: async () => ((await call(() => c.wait())) as { StatusCode: number }).StatusCode,
    kill: () =>
      c.kill().then(
        () => undefined,
        () => undefined, // 404/409: already gone or stopped
      ),
    oomKilled: async () => (await call(() => c.inspect())).State.OOMKilled,
    remove: () => call(() => c.remove({ force: true })).then(() => undefined),
  };
}

/** The text of the first file in a tar archive (the engine's archive of one path), or undefined when there is none. */
function firstTarEntry(tar: Buffer): string | undefined {
  if (tar.length < 512) return undefined;
  const type = String.fromCharCode(tar[156] ?? 0);
  if (type !== '0' && type !== '\0') return undefined;
  const size = parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim() || '0', 8);
  if (!Number.isFinite(size) || 512 + size > tar.length) return undefined;
  return tar.subarray(512, 512 + size).toString('utf8');
}

/** The engine behind `docker` (default: from the environment, see dockerFromEnv). */
export function dockerodeEngine(
  docker: Dockerode = dockerFromEnv(),
  host = process.env['DOCKER_HOST'] ?? 'default socket',
): ContainerEngine {
  return {
    host,
    version: async () => (await call(() => docker.version())).Version ?? null,
    inspectImage: async (image) => {
      try {
        const info = await docker.getImage(image).inspect();
        return { id: info.Id, ...(info.RepoDigests?.[0] ? { digest: info.RepoDigests[0] } : {}) };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw engineError(error);
      }
    },
    pull: async (image, { auth, signal, onEvent }) => {
      const stream = await call(() => docker.pull(image, { ...(auth ? { authconfig: auth } : {}), abortSignal: signal }));
      await new Promise<void>((resolvePull, rejectPull) => {
        // Stopped: stop following (closing the stream ends the engine's pull request).
        const onStop = () => {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          rejectPull(new EngineError('pull stopped'));
        };
        signal.addEventListener('abort', onStop, { once: true });
        if (signal.aborted) onStop();
        docker.modem.followProgress(
          stream,
          (err: Error | null) => {
            signal.removeEventListener('abort', onStop);
            if (err) rejectPull(engineError(err));
            else resolvePull();
          },
          (event: { status?: string; id?: string; progressDetail?: { current?: number; total?: number } }) => {
            const e: PullEvent = {};
            if (event.id !== undefined) e.id = event.id;
            if (event.status !== undefined) e.status = event.status;
            if (event.progressDetail?.current !== undefined) e.current = event.progressDetail.current;
            if (event.progressDetail?.total !== undefined) e.total = event.progressDetail.total;
            onEvent(e);
          },
        );
      });
    },
    list: async (labels) => {
      const list = await call(() => docker.listContainers({ all: true, filters: { label: labels } }));
      return list.map((info) => ({ id: info.Id, labels: info.Labels ?? {} }));
    },
    create: async (spec) => {
      const created = await call(() =>
        docker.createContainer({
          name: spec.name,
          Image: spec.image,
          // The program is the entrypoint: an image's own ENTRYPOINT (a shell wrapper, a server)
          // would otherwise get the harness as arguments and may never run it.
          Entrypoint: spec.cmd.slice(0, 1),
          Cmd: spec.cmd.slice(1),
          Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
          WorkingDir: spec.workingDir,
          Labels: spec.labels,
          Tty: false,
          AttachStdout: true,
          AttachStderr: true,
          ...(spec.user ? { User: spec.user } : {}),
          HostConfig: {
            Binds: spec.binds,
            NetworkMode: spec.network,
            DeviceRequests: deviceRequests(spec.gpus),
            ...(spec.memoryBytes ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
            ...(spec.cpus ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
            ...(spec.pids ? { PidsLimit: spec.pids } : {}),
            ShmSize: spec.shmBytes,
          },
        }),
      );
      return container(created);
    },
    remove: (id) => call(() => docker.getContainer(id).remove({ force: true })).then(() => undefined),
    readFile: async (id, path) => {
      let archive: NodeJS.ReadableStream;
      try {
        archive = await docker.getContainer(id).getArchive({ path });
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw engineError(error);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of archive as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > 1 << 20) throw new EngineError(`${path} in container ${id.slice(0, 12)} is larger than 1 MB`);
        chunks.push(chunk);
      }
      return firstTarEntry(Buffer.concat(chunks));
    },
  };
}
