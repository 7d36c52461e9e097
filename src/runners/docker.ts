/**
 * The docker runner: the user's Paddle image runs the Python harness (or the user's own
 * command) with the model, the prepared dataset and the harness mounted read-only and one
 * writable output directory, no network, resource limits, and GPUs through DeviceRequests.
 * The container is removed in every case: success, failure, timeout and cancellation.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { RunnerError } from '../errors.js';
import type { Progress, RunRequest, Runner } from '../ports.js';
import type { RunResult, RunnerPlan } from '../types.js';
import { buildJob, commandName, HarnessLines, JOB_FILE, prepareRun, readRunResult, RESULT_FILE, writeJob } from './job.js';
import { CappedLog } from './lines.js';
import { ContainerCancelled, ContainerLifecycle, containerName } from './container-lifecycle.js';
import { checkOwner, HEARTBEAT_FILE, HEARTBEAT_STALE_MS, ownerLabels, startHeartbeat } from './container-owner.js';
import { EngineError, type ContainerEngine, type ImageInfo, type RegistryCredentials } from './container-engine.js';
import { dockerodeEngine } from './dockerode-engine.js';
import { authFromDockerConfig, registryName, registryOf } from './registry-auth.js';

export type DockerPlan = Extract<RunnerPlan, { kind: 'docker' }>;

export interface DockerRunnerOptions {
  /** The container engine; default: dockerode from DOCKER_HOST (or PPG_DOCKER_HOST) / the default socket. */
  engine?: ContainerEngine;
  harnessPath?: string;
  /** Extra read-only mounts (host path → container path), e.g. a repo directory for a user's command. */
  mounts?: Array<{ host: string; container: string }>;
  /** Extra environment for the container. */
  env?: Record<string, string>;
  /** Label value identifying the gate (the gate id); every container also carries paddle-perf-gate=1. */
  gateId?: string;
  /** The image pull's deadline in seconds (default: runner.limits.pull-timeout, else 30 min). */
  pullTimeoutSeconds?: number;
}

/** Where things are inside the container. */
const IN = { model: '/ppg/model', data: '/ppg/data', harness: '/ppg/harness/bench.py', out: '/ppg/out' } as const;
const CONTAINER_LABEL = 'paddle-perf-gate';

/** After the container exits, its output is drained until the stream ends or stays silent this long. */
const DRAIN_IDLE_MS = 5000;

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((done) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    };
    const timer = setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
  });
}

/**
 * Removes this gate's containers left by a run that died without cleaning up (SIGKILL, a lost
 * runner): same gate label and an owner proved gone (container-owner.ts): in this PID namespace
 * by its PID and start time, elsewhere by a heartbeat that stopped. Never anyone else's: other
 * gates, live runs in any PID namespace or on any host, and containers whose owner cannot be told.
 */
async function sweepOrphans(engine: ContainerEngine, gateId: string, progress: Progress, signal: AbortSignal | undefined): Promise<number> {
  const list = await engine.list([`${CONTAINER_LABEL}=1`, `${CONTAINER_LABEL}.gate=${gateId}`]).catch(() => []);
  const dead: Array<{ id: string; why: string }> = [];
  const elsewhere: Array<{ id: string; pid: number; host: string }> = [];
  for (const info of list) {
    const owner = checkOwner(info.labels);
    if (owner.state === 'dead') dead.push({ id: info.id, why: `process ${owner.pid}` });
    else if (owner.state === 'elsewhere') elsewhere.push({ id: info.id, pid: owner.pid, host: owner.host });
  }
  if (elsewhere.length > 0) {
    const beat = (id: string) => engine.readFile(id, `${IN.out}/${HEARTBEAT_FILE}`).catch(() => 'unreadable');
    const before = await Promise.all(elsewhere.map((c) => beat(c.id)));
    await pause(HEARTBEAT_STALE_MS, signal);
    if (signal?.aborted) return 0;
    const after = await Promise.all(elsewhere.map((c) => beat(c.id)));
    elsewhere.forEach((c, i) => {
      // A beat that cannot be read through the engine proves nothing; one that stood still for the whole pause does.
      if (after[i] !== 'unreadable' && after[i] === before[i]) {
        dead.push({ id: c.id, why: `process ${c.pid}; on ${c.host} or in another PID namespace, its heartbeat stopped` });
      }
    });
  }
  let removed = 0;
  for (const { id, why } of dead) {
    await engine
      .remove(id)
      .then(() => {
        removed++;
        progress.warn(`removed container ${id.slice(0, 12)} left by an earlier run (${why}) that ended without cleaning up`);
      })
      .catch(() => undefined); // 404/409: someone else removed it meanwhile
  }
  return removed;
}

/** The engine's reason for a failed call. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function megabytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${bytes} bytes`;
}

/** A container that cannot start, with what to do about it (the usual cause on a GPU runner: no NVIDIA runtime). */
function startFailure(plan: DockerPlan, reason: string): string {
  const base = `cannot start a container from ${plan.image}: ${reason}`;
  if (plan.gpus !== 'none' && /could not select device driver|nvidia|unknown or invalid runtime|no such device/i.test(reason)) {
    return (
      `${base}. The Docker engine cannot give containers GPUs (runner.gpus: ${Array.isArray(plan.gpus) ? plan.gpus.join(',') : plan.gpus}): ` +
      'install the NVIDIA Container Toolkit on the runner and register it with Docker ' +
      '(`nvidia-ctk runtime configure --runtime=docker`, then restart dockerd), check `nvidia-smi` works on the host, ' +
      'or run on CPU (engine.device: cpu, runner.gpus: none)'
    );
  }
  return base;
}

export function createDockerRunner(plan: DockerPlan, opts: DockerRunnerOptions = {}): Runner {
  return {
    kind: 'docker',
    run: (request, progress) => runDocker(plan, opts, request, progress),
  };
}

/** Explicit credentials (the action's registry-auth) first, then the docker config file. */
async function pullAuth(plan: DockerPlan, progress: Progress): Promise<RegistryCredentials | undefined> {
  if (plan.registryAuth) {
    const serveraddress = plan.registryAuth.serveraddress ?? registryOf(plan.image);
    return { ...plan.registryAuth, ...(serveraddress ? { serveraddress } : {}) };
  }
  const found = await authFromDockerConfig(plan.image);
  if (found) progress.info(`pull ${plan.image}: credentials for ${registryName(plan.image)} from ${found.source}`);
  return found?.auth;
}

async function ensureImage(
  engine: ContainerEngine,
  plan: DockerPlan,
  progress: Progress,
  signal: AbortSignal | undefined,
  pullTimeoutSeconds: number,
): Promise<ImageInfo> {
  const inspect = () => engine.inspectImage(plan.image);
  let present: ImageInfo | undefined;
  try {
    present = await inspect();
  } catch (error) {
    throw new RunnerError(`cannot inspect image ${plan.image} on the Docker engine: ${messageOf(error)}`);
  }
  if (present && plan.pull !== 'always') return present;
  if (!present && plan.pull === 'never') {
    throw new RunnerError(`image ${plan.image} is not present and runner.pull is never: load or build it on this machine first`);
  }
  progress.info(`pulling ${plan.image}`);
  const auth = await pullAuth(plan, progress);
  let timedOut = false;
  // One switch for the whole pull, the request included: cancellation or the deadline (an
  // engine stuck on a registry may not even answer the request).
  const stopper = new AbortController();
  const onCancel = () => stopper.abort();
  signal?.addEventListener('abort', onCancel, { once: true });
  if (signal?.aborted) stopper.abort();
  const deadline = setTimeout(() => {
    timedOut = true;
    stopper.abort();
  }, pullTimeoutSeconds * 1000);
  try {
    const seen = new Set<string>();
    const bytes = new Map<string, { current: number; total: number }>();
    const started = Date.now();
    // A large Paddle GPU image takes minutes: say how far it is every 15 s.
    const ticker = setInterval(() => {
      let current = 0;
      let total = 0;
      for (const b of bytes.values()) {
        current += b.current;
        total += b.total;
      }
      if (total > 0) {
        progress.info(
          `pull ${plan.image}: ${Math.round(current / 1e6)} of ${Math.round(total / 1e6)} MB downloading (${Math.round((Date.now() - started) / 1000)} s)`,
        );
      }
    }, 15_000);
    try {
      await engine.pull(plan.image, {
        ...(auth ? { auth } : {}),
        signal: stopper.signal,
        onEvent: (event) => {
          if (event.id && event.status?.startsWith('Downloading') && event.total) {
            bytes.set(event.id, { current: event.current ?? 0, total: event.total });
          }
          // One line per layer state change, not per byte: the job log stays readable.
          const key = `${event.id ?? ''} ${event.status ?? ''}`;
          if (event.status && !event.status.startsWith('Downloading') && !event.status.startsWith('Extracting') && !seen.has(key)) {
            seen.add(key);
            progress.info(`pull ${plan.image}: ${event.id ? `${event.id} ` : ''}${event.status}`);
          }
        },
      });
    } finally {
      clearInterval(ticker);
    }
    const pulled = await inspect();
    if (!pulled) throw new EngineError(`the engine reports ${plan.image} pulled, but it is not there`);
    return pulled;
  } catch (error) {
    if (signal?.aborted) throw new RunnerError(`cancelled while pulling ${plan.image}; no container was started`);
    if (timedOut && !present) {
      throw new RunnerError(
        `pulling ${plan.image} took longer than ${pullTimeoutSeconds} s (runner.limits.pull-timeout); pull it on the runner beforehand or raise the limit`,
      );
    }
    if (present) {
      const why = timedOut ? `not done within ${pullTimeoutSeconds} s (runner.limits.pull-timeout)` : messageOf(error);
      progress.warn(`pulling ${plan.image} failed (${why}); using the local image`);
      return present;
    }
    const reason = messageOf(error);
    const hint = /unauthorized|denied|authentication required|no basic auth credentials/i.test(reason)
      ? `; a private image needs credentials: the action's registry-auth input, or \`docker login${registryOf(plan.image) ? ` ${registryOf(plan.image)}` : ''}\` on the runner`
      : '';
    throw new RunnerError(`image ${plan.image} is not present and cannot be pulled (${reason})${hint}`, { cause: error });
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener('abort', onCancel);
  }
}

/** Resolves when `ended` does, or once no output has come for `idleMs` (an engine that never closes the stream); no fixed sleep. */
function drain(ended: Promise<void>, lastOutput: () => number, idleMs = DRAIN_IDLE_MS): Promise<void> {
  return new Promise<void>((done) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      done();
    };
    const check = () => {
      const idle = Date.now() - lastOutput();
      if (idle >= idleMs) finish();
      else timer = setTimeout(check, idleMs - idle);
    };
    void ended.then(finish, finish);
    timer = setTimeout(check, idleMs);
  });
}

async function runDocker(plan: DockerPlan, opts: DockerRunnerOptions, original: RunRequest, progress: Progress): Promise<RunResult> {
  const engine = opts.engine ?? dockerodeEngine();
  const { files, harness, workDir, request } = await prepareRun(original, opts.harnessPath, plan.command !== undefined);
  const { model, dataset } = request;
  const cancelled = () => new RunnerError(`run of ${model.name} cancelled; container stopped and removed`);

  let engineVersion: string | null = null;
  try {
    engineVersion = await engine.version();
  } catch (error) {
    throw new RunnerError(`cannot reach the Docker engine (${engine.host}): ${messageOf(error)}`);
  }
  const gateId = opts.gateId ?? 'default';
  await sweepOrphans(engine, gateId, progress, request.signal);
  const image = await ensureImage(engine, plan, progress, request.signal, opts.pullTimeoutSeconds ?? plan.limits.pullTimeoutSeconds);
  const imageDigest = image.digest ?? image.id;

  const job = buildJob(request, files, { modelDir: IN.model, datasetDir: IN.data, output: `${IN.out}/${RESULT_FILE}` });
  const env: Record<string, string> = {
    NVIDIA_DRIVER_CAPABILITIES: 'compute,utility',
    PYTHONUNBUFFERED: '1',
    PPG_JOB: `${IN.out}/${JOB_FILE}`,
    PPG_OUTPUT: `${IN.out}/${RESULT_FILE}`,
    PPG_DATASET: IN.data,
    PPG_MODEL: `${IN.model}/${files.entry}`,
    // A Paddle GPU image sets NVIDIA_VISIBLE_DEVICES=all: on a host whose default runtime is
    // nvidia, a "CPU" run would still get every GPU. `void` gives it none.
    ...(plan.gpus === 'none' ? { NVIDIA_VISIBLE_DEVICES: 'void' } : {}),
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
  const runId = randomBytes(6).toString('hex');
  const labels: Record<string, string> = {
    [CONTAINER_LABEL]: '1',
    [`${CONTAINER_LABEL}.model`]: model.name,
    [`${CONTAINER_LABEL}.gate`]: gateId,
    ...ownerLabels(runId),
  };
  const who = plan.command ? commandName(plan.command) : 'the harness';
  const container = new ContainerLifecycle(engine, {
    name: containerName(gateId, runId),
    image: plan.image,
    cmd: plan.command ?? [plan.python, IN.harness, `${IN.out}/${JOB_FILE}`],
    env,
    workingDir: IN.out,
    labels,
    // Files in the output directory must stay removable by the gate's own user.
    ...(uid !== undefined && uid !== 0 ? { user: `${uid}:${process.getgid?.() ?? uid}` } : {}),
    binds,
    network: plan.network ? 'bridge' : 'none',
    gpus: plan.gpus,
    ...(plan.limits.memory ? { memoryBytes: plan.limits.memory } : {}),
    ...(plan.limits.cpus ? { cpus: plan.limits.cpus } : {}),
    ...(plan.limits.pids ? { pids: plan.limits.pids } : {}),
    shmBytes: 256 * 1024 * 1024, // Paddle's data loaders and NCCL want more than Docker's 64 MB
  });

  const logPath = join(workDir, 'container.log');
  const log = new CappedLog(logPath);
  const lines = new HarnessLines(progress, `${model.name}: `, (text) => log.write(text), who);
  let lastOutput = Date.now();
  let ended: 'timeout' | 'abort' | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Cancellation counts from here, whatever state the container is in (container-lifecycle.ts).
  const onAbort = () => {
    ended ??= 'abort';
    container.cancel();
  };
  request.signal?.addEventListener('abort', onAbort, { once: true });
  if (request.signal?.aborted) onAbort();
  // Proof of life for other gates' orphan sweeps, from before the create request until the removal.
  const heartbeat = startHeartbeat(join(workDir, HEARTBEAT_FILE), runId);
  try {
    await heartbeat.first;
    const handle = await container.create().catch((error: unknown) => {
      if (error instanceof ContainerCancelled) throw cancelled();
      throw new RunnerError(`cannot create a container from ${plan.image}: ${messageOf(error)}`, { cause: error });
    });
    const { ended: streamDone } = await handle.attach(
      (c) => {
        lastOutput = Date.now();
        lines.push(c);
      },
      (c) => {
        lastOutput = Date.now();
        lines.pushErr(c); // stderr is log (and the error tail) only: never judged
      },
    );

    await writeJob(join(workDir, JOB_FILE), job);
    await container.start().catch((error: unknown) => {
      if (error instanceof ContainerCancelled) throw cancelled();
      throw new RunnerError(startFailure(plan, messageOf(error)), { cause: error });
    });
    timer = setTimeout(() => {
      ended ??= 'timeout';
      void container.kill();
    }, plan.limits.timeoutSeconds * 1000);
    const exitCode = await container.wait();
    clearTimeout(timer);
    // Everything the container wrote, however much: until the stream ends (or goes silent).
    await drain(streamDone, () => lastOutput);
    lines.end();

    // A cancellation that came after the program finished — it exited 0, or the harness had
    // reported `done` (its result is written, atomically, before that line) when the kill landed —
    // is too late to undo the measurement: the result is kept if it is complete and valid
    // (readRunResult checks every field), and the gate goes on to judge and report it.
    const finishedFirst = ended === 'abort' && (exitCode === 0 || lines.finished);
    if (ended === 'abort' && !finishedFirst) throw cancelled();
    if (ended === 'timeout') {
      throw new RunnerError(
        `${model.name}: timed out after ${plan.limits.timeoutSeconds} s (runner.limits.timeout); the container was killed; its output so far: ${logPath}`,
      );
    }
    if (!finishedFirst && (await handle.oomKilled())) {
      const limit = plan.limits.memory
        ? `under the ${megabytes(plan.limits.memory)} memory limit (runner.limits.memory)`
        : 'with no memory limit set (the machine ran out of memory)';
      throw new RunnerError(`${model.name}: killed by the OOM killer ${limit}`);
    }
    if (exitCode !== 0 && !finishedFirst) throw new RunnerError(`${model.name}: ${lines.describeExit(exitCode)} (log: ${logPath})`);
    const result = await readRunResult(join(workDir, RESULT_FILE), lines).catch((error: unknown) => {
      if (ended !== 'abort') throw error;
      throw new RunnerError(`run of ${model.name} cancelled; container stopped and removed`, { cause: error });
    });
    if (ended === 'abort') progress.warn(`${model.name}: the cancellation came after ${who} had finished; its complete result is kept`);
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
    await container.remove().catch((error: unknown) => {
      progress.warn(`could not remove container ${container.name}: ${messageOf(error)}`);
    });
    await heartbeat.stop();
    await log.close();
  }
}
