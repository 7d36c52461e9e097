/**
 * The container engine as the docker runner uses it: the few calls it needs (as testcontainers'
 * ContainerClient narrows its client), in terms of the runner's own needs rather than the Docker
 * API's. One implementation, over dockerode (dockerode-engine.ts); the runner never sees the client.
 */

/** An engine error: the engine's own reason (no client wrapping) and its HTTP status when it gave one. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

export interface ImageInfo {
  id: string;
  /** The first repo digest, when the image came from a registry. */
  digest?: string;
}

/** Credentials for a pull, as the engine takes them (a password, or an identity token from a credential helper). */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  identitytoken?: string;
  /** Absent for the engine's default registry. */
  serveraddress?: string;
}

/** One line of a pull's progress, as the engine reports it. */
export interface PullEvent {
  id?: string;
  status?: string;
  current?: number;
  total?: number;
}

export interface ContainerSpec {
  /** Chosen before the create request, so a container whose create reply never came can still be removed by it. */
  name: string;
  image: string;
  /** The program and its arguments: the program is the container's Entrypoint, so an image's ENTRYPOINT never wraps it. */
  cmd: string[];
  env: Record<string, string>;
  workingDir: string;
  labels: Record<string, string>;
  /** "uid:gid", when not the image's user. */
  user?: string;
  /** host:container[:ro|rw] */
  binds: string[];
  network: 'bridge' | 'none';
  gpus: 'none' | 'all' | string[];
  memoryBytes?: number;
  cpus?: number;
  pids?: number;
  shmBytes: number;
}

export interface RunningContainer {
  readonly id: string;
  /** Attaches stdout and stderr (demultiplexed) before start; resolves once attached, `ended` when the streams close. */
  attach(stdout: (chunk: Buffer) => void, stderr: (chunk: Buffer) => void): Promise<{ ended: Promise<void> }>;
  start(): Promise<void>;
  /** Waits for the container to exit; its exit code. */
  wait(): Promise<number>;
  /** SIGKILL; a container already gone or stopped is not an error. */
  kill(): Promise<void>;
  /** Whether the kernel's OOM killer ended it. */
  oomKilled(): Promise<boolean>;
  /** Force-removes it; throws EngineError (404: gone, 409: removal in progress). */
  remove(): Promise<void>;
}

export interface ContainerEngine {
  /** For messages: DOCKER_HOST or the default socket. */
  readonly host: string;
  /** The engine's version; throws EngineError when it cannot be reached. */
  version(): Promise<string | null>;
  /** undefined when the image is not present; throws EngineError on any other trouble. */
  inspectImage(image: string): Promise<ImageInfo | undefined>;
  /** Pulls the image, reporting progress; stops (rejects) when `signal` fires. */
  pull(image: string, opts: { auth?: RegistryCredentials; signal: AbortSignal; onEvent: (event: PullEvent) => void }): Promise<void>;
  /** Containers (running or not) carrying every one of `labels` ("key=value"). */
  list(labels: string[]): Promise<Array<{ id: string; labels: Record<string, string> }>>;
  create(spec: ContainerSpec): Promise<RunningContainer>;
  /** Force-removes a container by id or name; throws EngineError (404: no such container, 409: removal in progress). */
  remove(idOrName: string): Promise<void>;
  /** A small file's text from a container's file system (its mounts included); undefined when it is not there. */
  readFile(id: string, path: string): Promise<string | undefined>;
}
