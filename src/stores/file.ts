/**
 * The file store: the layout as a directory (the embedded default). Conditional writes hold a
 * per-object lock file created with O_EXCL and replace objects by rename, so two processes
 * promoting at once behave like S3's If-Match / If-None-Match.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StoreError } from '../errors.js';
import { LayoutStore, type ObjectBackend, type StoredObject, type WriteCondition } from './layout.js';

const etagOf = (body: string) => createHash('sha256').update(body).digest('hex');
const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;
/** A lock older than this is from a crashed process and may be broken. */
const STALE_LOCK_MS = 30_000;

export class FileBackend implements ObjectBackend {
  readonly dir: string;
  readonly location: string;

  constructor(
    dir: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.dir = resolve(dir);
    this.location = pathToFileURL(this.dir).href;
  }

  describe(path: string): string {
    return join(this.dir, path);
  }

  async read(path: string): Promise<StoredObject | undefined> {
    let body: string;
    try {
      body = await readFile(this.describe(path), 'utf8');
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw new StoreError(`cannot read ${this.describe(path)}: ${(error as Error).message}`, { cause: error });
    }
    return { body, etag: etagOf(body) };
  }

  async write(path: string, body: string, condition: WriteCondition): Promise<boolean> {
    const file = this.describe(path);
    try {
      await mkdir(dirname(file), { recursive: true });
      const unlock = await this.lock(file);
      try {
        const current = await this.read(path);
        const ok = 'ifNoneMatch' in condition ? current === undefined : current?.etag === condition.ifMatch;
        if (!ok) return false;
        const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(tmp, body, { flag: 'wx' });
        await rename(tmp, file);
        return true;
      } finally {
        await unlock();
      }
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`cannot write ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async lock(file: string): Promise<() => Promise<void>> {
    const lockFile = `${file}.lock`;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lockFile, 'wx');
        await handle.close();
        return () => rm(lockFile, { force: true });
      } catch (error) {
        if (code(error) !== 'EEXIST') throw error;
        const age = await stat(lockFile).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > STALE_LOCK_MS) await rm(lockFile, { force: true });
        else if (attempt > 400)
          throw new StoreError(`${lockFile} is held by another process for too long; remove it if no promotion is running`);
        else await this.sleep(5 + Math.random() * 20);
      }
    }
  }
}

export class FileStore extends LayoutStore {
  constructor(dir: string) {
    super(new FileBackend(dir));
  }
}
