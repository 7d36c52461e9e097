import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FileStore } from '../../src/stores/file.js';
import { createStore } from '../../src/stores/index.js';
import { layout } from '../../src/stores/keys.js';
import { makeBaseline, sha, storeContract, uniqueKey } from './contract.js';

const root = await mkdtemp(join(tmpdir(), 'ppg-file-store-'));
const dir = join(root, 'baselines');
afterAll(() => rm(root, { recursive: true, force: true }));

storeContract('file', {
  create: () => new FileStore(dir),
  async plant(files) {
    for (const [path, body] of Object.entries(files)) {
      const file = join(dir, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, body);
    }
  },
  async breakWrites(key, commit) {
    // A directory where the commit object must go: the write fails with a real EISDIR.
    const file = join(dir, layout.commit(key, commit));
    await mkdir(file, { recursive: true });
    return () => rm(file, { recursive: true, force: true });
  },
});

async function walk(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

it('never writes outside its directory, whatever the names', async () => {
  const store = createStore({ kind: 'file', dir });
  const key = uniqueKey({ repo: '../../outside', gate: '..', model: '/etc/passwd', fingerprintHash: '.' });
  await store.put(key, makeBaseline(key, sha(1), new Date().toISOString(), '../../../x'));
  for (const f of await walk(root)) expect(relative(dir, f).startsWith('..')).toBe(false);
  expect((await store.get(key, { commits: [sha(1)], branch: 'main' })).baseline?.repo).toBe('../../outside');
  expect(store.location).toBe(`file://${dir}`);
});
