/**
 * How the docker and local runners' output handling scales (issue 33): a 40 MB line without a
 * newline, 24 MB of `\r` progress frames, and 24 MB of ordinary lines. Not a test: it prints wall
 * time and peak RSS, each case in a fresh process.
 *
 *   npx tsx scripts/bench-output.ts            the line handling in-process (runners/job.ts HarnessLines + log)
 *   npx tsx scripts/bench-output.ts --docker   end to end through the docker runner and the real engine
 *                                              (DOCKER_HOST; image PPG_TEST_IMAGE or ppg-test/ort:trixie)
 *
 * PPG_BENCH_SRC=/path/to/other/checkout/src measures another checkout's runner (before/after).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CASES = {
  'one 40 MB line': { python: 'import sys; sys.stdout.write("x" * 40_000_000); sys.stdout.flush()', bytes: 40_000_000, shape: 'line' },
  '24 MB of \\r bars': {
    python: 'import sys\nfor i in range(300_000): sys.stdout.write("\\r%6d |%s|" % (i, "#" * 66))\nsys.stdout.flush()',
    bytes: 24_000_000,
    shape: 'cr',
  },
  '24 MB of lines': {
    python: 'import sys\nfor i in range(300_000): sys.stdout.write("%6d |%s|\\n" % (i, "#" * 66))\nsys.stdout.flush()',
    bytes: 24_000_000,
    shape: 'nl',
  },
} as const;
type CaseName = keyof typeof CASES;

const src = resolve(process.env['PPG_BENCH_SRC'] ?? join(fileURLToPath(import.meta.url), '../../src'));
const quiet = { info: () => undefined, warn: () => undefined };

/** The same bytes as the Python, in 64 KiB chunks (what a pipe or the engine's attach stream delivers). */
function* chunks(shape: 'line' | 'cr' | 'nl', bytes: number): Generator<Buffer> {
  const frame = (i: number) =>
    shape === 'cr' ? `\r${String(i).padStart(6)} |${'#'.repeat(66)}|` : `${String(i).padStart(6)} |${'#'.repeat(66)}|\n`;
  const size = 64 * 1024;
  if (shape === 'line') {
    const block = Buffer.alloc(size, 'x');
    for (let left = bytes; left > 0; left -= size) yield left >= size ? block : block.subarray(0, left);
    return;
  }
  let pending = '';
  for (let i = 0; i < bytes / 80; i++) {
    pending += frame(i);
    if (pending.length >= size) {
      yield Buffer.from(pending);
      pending = '';
    }
  }
  if (pending) yield Buffer.from(pending);
}

async function inProcess(name: CaseName, dir: string): Promise<void> {
  const { HarnessLines } = (await import(pathToFileURL(join(src, 'runners/job.ts')).href)) as typeof import('../src/runners/job.js');
  const c = CASES[name];
  // The runner's own log file where the checkout has one (lines.ts CappedLog), else a plain stream as before.
  const { existsSync, createWriteStream } = await import('node:fs');
  const path = join(dir, 'container.log');
  let log: { write(text: string): void; close(): Promise<void> };
  if (existsSync(join(src, 'runners/lines.ts'))) {
    const { CappedLog } = (await import(pathToFileURL(join(src, 'runners/lines.ts')).href)) as typeof import('../src/runners/lines.js');
    log = new CappedLog(path);
  } else {
    const stream = createWriteStream(path);
    log = { write: (text) => void stream.write(text), close: () => new Promise<void>((done) => stream.end(done)) };
  }
  let logged = 0;
  const lines = new HarnessLines(quiet, 'm: ', (text: string) => {
    logged += text.length;
    log.write(text);
  });
  for (const chunk of chunks(c.shape, c.bytes)) lines.push(chunk);
  lines.end();
  await log.close();
  process.stdout.write(JSON.stringify({ logged }) + '\n');
}

async function docker(name: CaseName, dir: string): Promise<void> {
  const { createDockerRunner } = (await import(
    pathToFileURL(join(src, 'runners/docker.ts')).href
  )) as typeof import('../src/runners/docker.js');
  const fixtures = await import('../__tests__/runners/fixtures.js');
  const dataset = await fixtures.makeOcrDataset(join(dir, 'data'), 1);
  const plan = fixtures.dockerPlan({ command: ['python3', '-c', CASES[name].python] });
  const error = await createDockerRunner(plan, { gateId: 'bench-output' })
    .run({ model: fixtures.recModel(), measure: fixtures.QUICK, dataset, workDir: join(dir, 'work') }, quiet)
    .then(
      () => 'ok',
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
  process.stdout.write(JSON.stringify({ message: error.length > 160 ? `${error.slice(0, 160)}… (${error.length} chars)` : error }) + '\n');
}

async function main(): Promise<void> {
  const [mode, name, dir] = process.argv.slice(2);
  if (mode === '--child' || mode === '--child-docker') {
    const started = performance.now();
    await (mode === '--child' ? inProcess : docker)(name as CaseName, dir!);
    const rssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(JSON.stringify({ seconds: (performance.now() - started) / 1000, rssMb }) + '\n');
    return;
  }
  const useDocker = process.argv.includes('--docker');
  console.log(`output handling of ${src} (${useDocker ? 'docker runner, real engine' : 'in-process'})`);
  for (const name of Object.keys(CASES) as CaseName[]) {
    const tmp = await mkdtemp(join(tmpdir(), 'ppg-bench-output-'));
    try {
      const run = spawnSync(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), useDocker ? '--child-docker' : '--child', name, tmp],
        { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600_000 },
      );
      const docs = run.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const figures = Object.assign({}, ...docs) as { seconds?: number; rssMb?: number; logged?: number; message?: string };
      if (figures.seconds === undefined) {
        console.log(`${name.padEnd(20)} failed (status ${run.status}, signal ${run.signal}): ${run.stderr.slice(-400)}`);
        continue;
      }
      console.log(
        `${name.padEnd(20)} ${figures.seconds.toFixed(2).padStart(7)} s  peak RSS ${figures.rssMb!.toFixed(0).padStart(5)} MB` +
          (figures.logged !== undefined ? `  logged ${(figures.logged / 1e6).toFixed(1)} M chars` : '') +
          (figures.message !== undefined ? `  → ${figures.message}` : ''),
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}

await main();
