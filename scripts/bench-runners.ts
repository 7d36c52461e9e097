/**
 * Measures what the docker runner costs against the embedded one on PP-OCRv4 rec (1 thread):
 * container overhead (container start → first timed iteration) and p50 latency of each.
 *   eval "$(scripts/docker-env.sh start)" && ./node_modules/.bin/tsx scripts/bench-runners.ts [repeats]
 * Progress and results go to stderr/stdout as plain text; nothing is written outside a temp dir.
 */
import { DEFAULT_MEASURE } from '../src/config/defaults.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDockerRunner } from '../src/runners/docker.js';
import { dockerFromEnv, dockerodeEngine } from '../src/runners/dockerode-engine.js';
import { createEmbeddedRunner } from '../src/runners/embedded.js';
import type { RunResult } from '../src/types.js';
import { makeOcrDataset, recModel, TEST_IMAGE } from '../__tests__/runners/fixtures.js';

const repeats = Number(process.argv[2] ?? 3);
const measure = { ...DEFAULT_MEASURE, rounds: 5, minIterationsPerRound: 30 };
const root = await mkdtemp(join(tmpdir(), 'ppg-bench-'));
const dataset = await makeOcrDataset(join(root, 'data'), 20);
const quiet = { info: () => undefined, warn: (m: string) => process.stderr.write(`warn: ${m}\n`) };

const p50 = (r: RunResult) => {
  const all = r.timing.rounds.flat().sort((a, b) => a - b);
  return all[Math.floor(all.length / 2)]!;
};
const docker = createDockerRunner(
  {
    kind: 'docker',
    image: TEST_IMAGE,
    pull: 'never',
    gpus: 'none',
    network: false,
    limits: { timeoutSeconds: 300, pullTimeoutSeconds: 1800 },
    python: 'python3',
  },
  { engine: dockerodeEngine(dockerFromEnv()) },
);
const embedded = createEmbeddedRunner();
const rows: string[] = [];
for (let i = 0; i < repeats; i++) {
  // Interleaved so drift of the machine hits both alike.
  for (const [name, runner] of [
    ['docker', docker],
    ['embedded', embedded],
  ] as const) {
    const r = await runner.run({ model: recModel(), measure, dataset, workDir: join(root, `${name}-${i}`) }, quiet);
    const n = r.timing.rounds.flat().length;
    const phases = r.notes?.find((x) => x.startsWith('startup:')) ?? '';
    rows.push(
      `${name}\trun ${i + 1}\tp50 ${p50(r).toFixed(2)} ms\tstartup ${r.timing.startupSeconds.toFixed(2)} s\titerations ${n}\t${r.engine.version}\t${phases}`,
    );
    process.stdout.write(rows.at(-1) + '\n');
  }
}
await rm(root, { recursive: true, force: true });
