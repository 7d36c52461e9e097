/**
 * A run's directories may not be one directory or one inside another (issue 33): the output, the
 * file store, every model's dataset, the dataset cache and an aggregate's shard directories.
 * Each case exits 2 naming both, before anything is measured or written (an aggregate's output in
 * a shard directory: shard/aggregate.test.ts).
 */
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA, runCli, tinyGate } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ppg-overlap-'));
// The dataset in a directory of its own, so that a run writing into it harms nothing shipped.
const data = join(dir, 'data');
cpSync(join(DATA, 'ocr-rec'), data, { recursive: true });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function gateFile(opts: { storeDir: string; outDir: string; extra?: string }): string {
  const text = tinyGate({ ...opts, labels: join(data, 'rec_gt.txt') }).replace(`root: ${DATA}/ocr-rec`, `root: ${data}`);
  const file = join(dir, `gate-${++n}.yml`);
  writeFileSync(file, text);
  return file;
}

const OUT = 'output directory (--out, the output-dir input or gate.yml output.dir)';
const STORE = 'baseline store directory (--store-dir or gate.yml store.file.dir)';
const DATASET = 'image root of gate.yml models[0] (PP-OCRv4-rec) dataset.root';
const CACHE = 'dataset cache directory (PPG_CACHE_DIR)';

const cases: Array<{
  name: string;
  out: string;
  store: string;
  cache?: string;
  message: (p: { out: string; store: string; cache: string }) => string;
}> = [
  {
    name: 'the output directory is the store directory',
    out: 'same',
    store: 'same',
    message: ({ out, store }) => `the ${OUT} ${out} is the same directory as the ${STORE} ${store}`,
  },
  {
    name: 'the store is inside the output directory',
    out: 'out',
    store: 'out/baselines',
    message: ({ out, store }) => `the ${OUT} ${out} contains the ${STORE} ${store}`,
  },
  {
    name: 'the output directory is inside the store',
    out: 'store/out',
    store: 'store',
    message: ({ out, store }) => `the ${OUT} ${out} is inside the ${STORE} ${store}`,
  },
  {
    name: 'the output directory is inside the dataset',
    out: 'data/out',
    store: 'store2',
    message: ({ out }) => `the ${OUT} ${out} is inside the ${DATASET} ${data}`,
  },
  {
    name: 'the output directory is the dataset',
    out: 'data',
    store: 'store3',
    message: ({ out }) => `the ${OUT} ${out} is the same directory as the ${DATASET} ${data}`,
  },
  {
    name: 'the dataset cache is inside the output directory',
    out: 'out4',
    store: 'store4',
    cache: 'out4/cache',
    message: ({ out, cache }) => `the ${OUT} ${out} contains the ${CACHE} ${cache}`,
  },
  {
    name: 'the store is the dataset, through a symbolic link',
    out: 'out5',
    store: 'data-link',
    message: ({ store }) => `the ${STORE} ${store} is the same directory as the ${DATASET} ${data}`,
  },
];

describe('overlapping directories', () => {
  symlinkSync(data, join(dir, 'data-link'));

  it.each(cases)('$name: exit 2 naming both, nothing measured or written', async (c) => {
    const out = join(dir, c.out);
    const store = join(dir, c.store);
    const cache = join(dir, c.cache ?? 'cache');
    const existed = existsSync(out);
    const result = await runCli(['run', '--config', gateFile({ storeDir: store, outDir: out })], {
      env: { PPG_CACHE_DIR: cache, GITHUB_HEAD_REF: '' },
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      `${c.message({ out, store, cache })}: a run would write where the other's data lives; give them separate directories`,
    );
    expect(result.stderr).not.toMatch(/warm-up|preparing|PP-OCRv4-rec: /);
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    if (!existed) expect(existsSync(out)).toBe(false);
    expect(existsSync(cache)).toBe(false);
  });
});
