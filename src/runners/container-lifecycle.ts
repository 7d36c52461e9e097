/**
 * One container's life as a small state machine:
 *
 *   new ──create()──▶ creating ──reply──▶ created ──start()──▶ started ──exit──▶ exited
 *    │                   │                   │                    │                │
 *    └──────────── cancel() / remove() at any point ──────────────┴────────────────┴──▶ removed
 *
 * The container is *live* (in the process-wide set a second signal empties) from the moment its
 * create is requested, and it has a name chosen before that request, so a create whose reply
 * comes late, or never, is still removed by name. A cancelled container is never started: start()
 * refuses after cancel(), and a cancel that lands while the start request is in flight kills it
 * as soon as the request returns. remove() is idempotent and always ends in `removed`.
 */
import { randomBytes } from 'node:crypto';
import { EngineError, type ContainerEngine, type ContainerSpec, type RunningContainer } from './container-engine.js';

export type ContainerState = 'new' | 'creating' | 'created' | 'starting' | 'started' | 'exited' | 'removed';

/** Thrown by create() and start() once the container was cancelled: it was (or will be) removed, never started. */
export class ContainerCancelled extends Error {
  constructor(readonly stage: ContainerState) {
    super(`container cancelled (${stage})`);
    this.name = 'ContainerCancelled';
  }
}

/** Every container of this process between its create request and its removal. */
const live = new Set<ContainerLifecycle>();

/** How long a forced removal waits for a create request still in flight to be answered. */
const CREATE_SETTLE_MS = 10_000;

/** A container name nobody else chooses: `ppg-<gate>-<12 hex>`, within Docker's name rule. */
export function containerName(gate: string, runId = randomBytes(6).toString('hex')): string {
  const safe = gate.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  return `ppg-${safe}-${runId}`;
}

function settled(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((done) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        done();
      },
      () => {
        clearTimeout(timer);
        done();
      },
    );
  });
}

export class ContainerLifecycle {
  state: ContainerState = 'new';
  private cancelled = false;
  private handle: RunningContainer | undefined;
  private creating: Promise<RunningContainer> | undefined;
  private removal: Promise<void> | undefined;

  constructor(
    private readonly engine: ContainerEngine,
    private readonly spec: ContainerSpec,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** Requests the container; it is live from now. Throws ContainerCancelled when cancelled before or during the request. */
  async create(): Promise<RunningContainer> {
    if (this.state !== 'new') throw new Error(`create() in state ${this.state}`);
    if (this.cancelled) throw new ContainerCancelled('new');
    live.add(this);
    this.state = 'creating';
    this.creating = this.engine.create(this.spec);
    let handle: RunningContainer;
    try {
      handle = await this.creating;
    } catch (error) {
      // The engine may have made it even so (a reply lost on the way): removal is by name.
      await this.remove();
      throw error;
    }
    this.handle = handle;
    if (this.cancelled) {
      await this.remove();
      throw new ContainerCancelled('creating');
    }
    this.state = 'created';
    return handle;
  }

  /**
   * Starts it, unless it was cancelled (ContainerCancelled: never started). A cancel that lands
   * while the start request is in flight kills it as the request returns; it did start, so wait()
   * gives how it ended (it may have finished its work first: the runner decides what that means).
   */
  async start(): Promise<void> {
    if (this.cancelled || this.state !== 'created' || !this.handle) throw new ContainerCancelled(this.state);
    this.state = 'starting';
    await this.handle.start();
    if (this.state === 'starting') this.state = 'started';
    if (this.cancelled) await this.handle.kill();
  }

  /** The container's exit code (it was started). */
  async wait(): Promise<number> {
    const code = await this.handle!.wait();
    if (this.state === 'started') this.state = 'exited';
    return code;
  }

  /** Stops it for good: never started from now on; killed if running. Removal follows (remove()). */
  cancel(): void {
    this.cancelled = true;
    if (this.state === 'started') void this.handle?.kill();
  }

  /** SIGKILL when running (a timeout); a container not started is only marked cancelled. */
  kill(): Promise<void> {
    this.cancelled = true;
    return this.state === 'started' || this.state === 'starting' ? (this.handle?.kill() ?? Promise.resolve()) : Promise.resolve();
  }

  /**
   * Force-removes it, by name, in any state; idempotent. When the engine has no such container yet
   * while the create is in flight, the request is waited for (at most CREATE_SETTLE_MS) and the
   * name removed again, so a late reply leaves nothing.
   * Errors other than "no such container" / "removal in progress" are thrown.
   */
  remove(): Promise<void> {
    this.cancelled = true;
    this.removal ??= this.doRemove().finally(() => {
      this.state = 'removed';
      live.delete(this);
    });
    return this.removal;
  }

  private async doRemove(): Promise<void> {
    if (this.state === 'new') return;
    /** true: removed (or being removed); false: the engine has no container of that name. */
    const byName = () =>
      this.engine.remove(this.spec.name).then(
        () => true,
        (error: unknown) => {
          const status = error instanceof EngineError ? error.status : undefined;
          if (status === 409) return true;
          if (status === 404) return false;
          throw error;
        },
      );
    const pending = this.state === 'creating' ? this.creating : undefined;
    // Not there yet while the create request is in flight: it may still be made; remove it once the request settles.
    if (!(await byName()) && pending) {
      await settled(pending, CREATE_SETTLE_MS);
      await byName();
    }
  }
}

/** Cancels and force-removes every live container of this process; resolves with their count. */
export async function removeLiveContainers(): Promise<number> {
  const all = [...live];
  for (const c of all) c.cancel();
  await Promise.all(all.map((c) => c.remove().catch(() => undefined)));
  return all.length;
}
