/**
 * A promotion that dies: runs one real promotion against a real store and kills its own process
 * with SIGKILL just before the n-th write (the injected crash point), as a runner that loses
 * power or is cancelled mid-step would. Run by reliability.test.ts with tsx; reads its task from
 * PPG_CRASH_TASK (JSON): { store: {kind:'file', dir} | {kind:'s3', ...}, crashAt, request }.
 * Prints the number of writes when it survives (crashAt beyond the last write).
 */
import { FileBackend } from '../../src/stores/file.js';
import { LayoutStore, type ObjectBackend, type StoredObject, type WriteCondition } from '../../src/stores/layout.js';
import { S3Backend, type S3StoreOptions } from '../../src/stores/s3.js';
import type { PromotionRequest } from '../../src/ports.js';

interface Task {
  store: { kind: 'file'; dir: string } | ({ kind: 's3' } & S3StoreOptions);
  crashAt: number;
  request: PromotionRequest;
}

class CrashingBackend implements ObjectBackend {
  writes = 0;
  constructor(
    private readonly inner: ObjectBackend,
    private readonly crashAt: number,
  ) {}
  get location(): string {
    return this.inner.location;
  }
  describe(path: string): string {
    return this.inner.describe(path);
  }
  read(path: string): Promise<StoredObject | undefined> {
    return this.inner.read(path);
  }
  write(path: string, body: string, condition: WriteCondition): Promise<boolean> {
    this.writes += 1;
    if (this.writes === this.crashAt) process.kill(process.pid, 'SIGKILL');
    return this.inner.write(path, body, condition);
  }
}

const task = JSON.parse(process.env['PPG_CRASH_TASK'] ?? '{}') as Task;
const inner = task.store.kind === 'file' ? new FileBackend(task.store.dir) : new S3Backend(task.store);
const backend = new CrashingBackend(inner, task.crashAt);
await new LayoutStore(backend).promote(task.request);
process.stdout.write(`writes=${backend.writes}\n`);
