/**
 * The docker runner: the user's Paddle image runs the Python harness (or the user's own
 * command) with the model, the prepared dataset and the harness mounted read-only and one
 * writable output directory, no network, resource limits, and GPUs through DeviceRequests.
 * The container is removed in every case: success, failure, timeout and cancellation.
 */
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import Dockerode from 'dockerode';
import { RunnerError } from '../errors.js';
import type { Progress, RunRequest, Runner } from '../ports.js';
import type { RunResult, RunnerPlan } from '../types.js';
import { buildJob, HarnessLines, JOB_FILE, prepareRun, readRunResult, RESULT_FILE, writeJob } from './job.js';

export type DockerPlan = Extract<RunnerPlan, { kind: 'docker' }>;

export interface DockerRunnerOptions {
  /** A client for the engine; default: from DOCKER_HOST (or PPG_DOCKER_HOST) / the default socket. */
  docker?: Dockerode;
  harnessPath?: string;
  /** Extra read-only mounts (host path → container path), e.g. a repo directory for a user's command. */
  mounts?: Array<{ host: string; container: string }>;
  /** Extra environment for the container. */
  env?: Record<string, string>;
  /** Label value identifying the gate (the gate id); every container also carries paddle-perf-gate=1. */
  gateId?: string;
}

/** Where things are inside the container. */
const IN = { model: '/ppg/model', data: '/ppg/data', harness: '/ppg/harness/bench.py', out: '/ppg/out' } as const;
export const CONTAINER_LABEL = 'paddle-perf-gate';

/** A client honouring PPG_DOCKER_HOST, then DOCKER_HOST (unix:// or tcp://), then the default socket. */
export function dockerFromEnv(): Dockerode {
  const host = process.env['PPG_DOCKER_HOST'] ?? process.env['DOCKER_HOST'];
  if (!host) return new Dockerode();
  if (host.startsWith('unix://')) return new Dockerode({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Dockerode({ host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' });
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function messageOf(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  const text = error instanceof Error ? error.message : String(error);
  // dockerode wraps the engine's reason as "(HTTP code 500) server error - <reason>": keep the reason.
  return text.replace(/^\(HTTP code \d+\)[^-]*- /, '').trim();
}

function megabytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${bytes} bytes`;
}

export function createDockerRunner(plan: DockerPlan, opts: DockerRunnerOptions = {}): Runner {
  return {
    kind: 'docker',
    run: (request, progress) => runDocker(plan, opts, request, progress),
  };
}

async function ensureImage(
  docker: Dockerode,
  plan: DockerPlan,
  progress: Progress,
  signal: AbortSignal | undefined,
): Promise<Dockerode.ImageInspectInfo> {
  const inspect = () => docker.getImage(plan.image).inspect();
  let present: Dockerode.ImageInspectInfo | undefined;
  try {
    present = await inspect();
  } catch (error) {
    if (statusOf(error) !== 404) throw new RunnerError(`cannot inspect image ${plan.image} on the Docker engine: ${messageOf(error)}`);
  }
  if (present && plan.pull !== 'always') return present;
  if (!present && plan.pull === 'never') {
    throw new RunnerError(`image ${plan.image} is not present and runner.pull is never: load or build it on this machine first`);
  }
  progress.info(`pulling ${plan.image}`);
  try {
    const stream = await docker.pull(plan.image, plan.registryAuth ? { authconfig: plan.registryAuth } : {});
    const seen = new Set<string>();
    await new Promise<void>((resolvePull, rejectPull) => {
      // Cancelled mid-pull: stop following (closing the stream ends the engine's pull request).
      const onAbort = () => {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        rejectPull(new Error('cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      docker.modem.followProgress(
        stream,
        (err: Error | null) => {
          signal?.removeEventListener('abort', onAbort);
          if (err) rejectPull(err);
          else resolvePull();
        },
        (event: { status?: string; id?: string; error?: string }) => {
          // One line per layer state change, not per byte: the job log stays readable.
          const key = `${event.id ?? ''} ${event.status ?? ''}`;
          if (event.status && !event.status.startsWith('Downloading') && !event.status.startsWith('Extracting') && !seen.has(key)) {
            seen.add(key);
            progress.info(`pull ${plan.image}: ${event.id ? `${event.id} ` : ''}${event.status}`);
          }
        },
      );
    });
    return await inspect();
  } catch (error) {
    if (signal?.aborted) throw new RunnerError(`cancelled while pulling ${plan.image}; no container was started`);
    if (present) {
      progress.warn(`pulling ${plan.image} failed (${messageOf(error)}); using the local image`);
      return present;
    }
    throw new RunnerError(`image ${plan.image} is not present and cannot be pulled (${messageOf(error)})`, { cause: error });
  }
}

async function runDocker(plan: DockerPlan, opts: DockerRunnerOptions, request: RunRequest, progress: Progress): Promise<RunResult> {
  const docker = opts.docker ?? dockerFromEnv();
  const { model, dataset } = request;
  const { files, harness, workDir } = await prepareRun(request, opts.harnessPath);

  let engineVersion: string | null = null;
  try {
    engineVersion = (await docker.version()).Version ?? null;
  } catch (error) {
    throw new RunnerError(`cannot reach the Docker engine (${process.env['DOCKER_HOST'] ?? 'default socket'}): ${messageOf(error)}`);
  }
  const image = await ensureImage(docker, plan, progress, request.signal);
  const imageDigest = image.RepoDigests?.[0] ?? image.Id;

  const job = buildJob(request, files, { modelDir: IN.model, datasetDir: IN.data, output: `${IN.out}/${RESULT_FILE}` });
  const env: Record<string, string> = {
    NVIDIA_DRIVER_CAPABILITIES: 'compute,utility',
    PYTHONUNBUFFERED: '1',
    PPG_JOB: `${IN.out}/${JOB_FILE}`,
    PPG_OUTPUT: `${IN.out}/${RESULT_FILE}`,
    PPG_DATASET: IN.data,
    PPG_MODEL: `${IN.model}/${files.entry}`,
    ...opts.env,
  };
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0) env['HOME'] = '/tmp'; // a non-root user has no home in the image
  const binds = [
    `${files.dir}:${IN.model}:ro`,
    `${resolve(dataset.dir)}:${IN.data}:ro`,
    `${harness}:${IN.harness}:ro`,
    `${workDir}:${IN.out}:rw`,
    ...(opts.mounts ?? []).map((m) => `${resolve(m.host)}:${m.container}:ro`),
  ];
  const deviceRequests: Dockerode.DeviceRequest[] =
    plan.gpus === 'none'
      ? []
      : plan.gpus === 'all'
        ? [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }]
        : [{ Driver: 'nvidia', DeviceIDs: plan.gpus, Capabilities: [['gpu']] }];
  const labels: Record<string, string> = { [CONTAINER_LABEL]: '1', [`${CONTAINER_LABEL}.model`]: model.name };
  if (opts.gateId) labels[`${CONTAINER_LABEL}.gate`] = opts.gateId;

  const container = await docker
    .createContainer({
      Image: plan.image,
      Cmd: plan.command ?? [plan.python, IN.harness, `${IN.out}/${JOB_FILE}`],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      WorkingDir: IN.out,
      Labels: labels,
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      // Files in the output directory must stay removable by the gate's own user.
      ...(uid !== undefined && uid !== 0 ? { User: `${uid}:${process.getgid?.() ?? uid}` } : {}),
      HostConfig: {
        Binds: binds,
        NetworkMode: plan.network ? 'bridge' : 'none',
        DeviceRequests: deviceRequests,
        ...(plan.limits.memory ? { Memory: plan.limits.memory, MemorySwap: plan.limits.memory } : {}),
        ...(plan.limits.cpus ? { NanoCpus: Math.round(plan.limits.cpus * 1e9) } : {}),
        ...(plan.limits.pids ? { PidsLimit: plan.limits.pids } : {}),
        ShmSize: 256 * 1024 * 1024, // Paddle's data loaders and NCCL want more than Docker's 64 MB
      },
    })
    .catch((error: unknown) => {
      throw new RunnerError(`cannot create a container from ${plan.image}: ${messageOf(error)}`, { cause: error });
    });

  const log = createWriteStream(join(workDir, 'container.log'));
  const lines = new HarnessLines(progress, `${model.name}: `, (text) => log.write(text));
  let ended: 'timeout' | 'abort' | undefined;
  let timer: NodeJS.Timeout | undefined;
  const kill = async (why: 'timeout' | 'abort') => {
    ended ??= why;
    await container.kill().catch(() => undefined); // 404/409: already gone or stopped
  };
  const onAbort = () => void kill('abort');
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    const err = new PassThrough();
    out.on('data', (c: Buffer) => lines.push(c));
    err.on('data', (c: Buffer) => log.write(c)); // stderr is log only: never parsed or judged
    container.modem.demuxStream(stream, out, err);
    const streamDone = new Promise<void>((res) => {
      stream.on('end', res);
      stream.on('close', res);
      stream.on('error', () => res());
    });

    await writeJob(join(workDir, JOB_FILE), job);
    await container.start();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    if (request.signal?.aborted) onAbort();
    timer = setTimeout(() => void kill('timeout'), plan.limits.timeoutSeconds * 1000);
    const waited = (await container.wait()) as { StatusCode: number };
    clearTimeout(timer);
    // The attach stream ends right after exit; do not hang on a stream the engine forgot to close.
    await Promise.race([streamDone, new Promise((r) => setTimeout(r, 2000))]);
    lines.end();

    if (ended === 'abort') throw new RunnerError(`run of ${model.name} cancelled; container stopped and removed`);
    if (ended === 'timeout') {
      throw new RunnerError(
        `${model.name}: timed out after ${plan.limits.timeoutSeconds} s (runner.limits.timeout); the container was killed`,
      );
    }
    const state = (await container.inspect()).State;
    if (state.OOMKilled) {
      const limit = plan.limits.memory
        ? `under the ${megabytes(plan.limits.memory)} memory limit (runner.limits.memory)`
        : 'with no memory limit set (the machine ran out of memory)';
      throw new RunnerError(`${model.name}: killed by the OOM killer ${limit}`);
    }
    if (waited.StatusCode !== 0) {
      const who = plan.command ? `the command ${JSON.stringify(plan.command.join(' '))}` : 'the harness';
      throw new RunnerError(
        `${model.name}: ${lines.describeExit(waited.StatusCode).replace('the harness', who)} (log: ${join(workDir, 'container.log')})`,
      );
    }
    const result = await readRunResult(join(workDir, RESULT_FILE), lines);
    result.env = {
      ...result.env,
      runner: 'docker',
      image: plan.image,
      imageDigest,
      dockerVersion: engineVersion,
    };
    return result;
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
    await container.remove({ force: true }).catch((error: unknown) => {
      const status = statusOf(error);
      // 404: gone already; 409: removal already in progress.
      if (status !== 404 && status !== 409) progress.warn(`could not remove container ${container.id.slice(0, 12)}: ${messageOf(error)}`);
    });
    await new Promise<void>((res) => log.end(res));
  }
}
