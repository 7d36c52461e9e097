/**
 * A promoting run whose store cannot be reached (moto stopped): the baseline is not written, and
 * the run says so — the report's and summary's "Baseline:" line, the `promoted` output (failed) —
 * and exits as promote-failure chooses: 2 by default on the default branch, by the verdict with
 * warn (or, by default, on another branch). Through the bundled CLI and the action.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateReport } from '../../src/types.js';
import { ACTION_ENTRY, actionEnv, readOutputs, start } from '../helpers/action-env.js';
import { DATA, MODELS, ROOT, runCli } from '../helpers/cli.js';
import { FaultProxy, freePort, startMoto } from './servers.js';

const dir = mkdtempSync(join(tmpdir(), 'ppg-promote-failure-'));
const creds = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_MAX_ATTEMPTS: '1' };
const branch = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
let endpoint = '';

const models = `models:
  - name: cls
    path: ${MODELS}/ch_ppocr_mobile_v2.0_cls_infer.onnx
    task: classification
    dataset:
      format: image-list
      labels: ${DATA}/ocr-cls/cls_gt.txt
      class-names: ['0', '180']
      preprocess: { kind: ppocr-cls, shape: [3, 48, 192] }
      limit: 4
measure: { warmup: 1, warmup-seconds: 0, rounds: 2, iterations: 3, round-seconds: 0 }
`;

function gateFile(name: string, extra = ''): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(
    file,
    `gate: unreachable\n${models}store:\n  s3: { bucket: gone, prefix: gate, endpoint: "${endpoint}" }\noutput:\n  dir: ${join(dir, name)}\n${extra}`,
  );
  return file;
}

const report = (name: string) => JSON.parse(readFileSync(join(dir, name, 'report.json'), 'utf8')) as GateReport;
const env = { ...creds, PPG_CACHE_DIR: join(dir, 'cache'), GITHUB_HEAD_REF: '', GITHUB_REPOSITORY: 'paddle/ocr' };
// The terminal's progress lines say s3://; the markdown report (stdout, the summary) breaks the
// autolink a data URL would make (text/inert.ts): s3&#58;//.
const FAILED = /promotion FAILED: the baseline store s3(?::|&#58;)\/\/gone\/gate could not be read for cls, so nothing was promoted/;

beforeAll(async () => {
  // A real S3 endpoint that is gone: moto started, then stopped (its port refuses connections).
  const moto = await startMoto();
  endpoint = moto.endpoint;
  await moto.stop();
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a promoting run whose store cannot be reached', () => {
  it('CLI on the default branch: exit 2, and the report says the promotion failed', async () => {
    const r = await runCli(['run', '--config', gateFile('cli-default'), '--promote', '--default-branch', branch], { env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(FAILED);
    expect(r.stdout).toMatch(new RegExp(`Baseline: ${FAILED.source}`));
    expect(report('cli-default').promotion).toMatchObject({ done: false, failed: true });
    expect(report('cli-default').models[0]!.comparison.verdict).toBe('unreadable');
  }, 120_000);

  it('CLI with --promote-failure warn, or gate.yml promote-failure: warn: a warning, exit by the verdict', async () => {
    const flag = await runCli(
      ['run', '--config', gateFile('cli-warn'), '--promote', '--default-branch', branch, '--promote-failure', 'warn'],
      {
        env,
      },
    );
    expect(flag.code, flag.stderr).toBe(0);
    expect(flag.stderr).toMatch(/⚠ promotion failed \(promote-failure: warn\): the baseline store s3:\/\/gone\/gate could not be read/);
    expect(report('cli-warn').promotion).toMatchObject({ done: false, failed: true });
    const yml = await runCli(['run', '--config', gateFile('cli-yml', 'promote-failure: warn\n'), '--promote', '--default-branch', branch], {
      env,
    });
    expect(yml.code, yml.stderr).toBe(0);
    // The flag wins over gate.yml.
    const over = await runCli(
      [
        'run',
        '--config',
        gateFile('cli-over', 'promote-failure: warn\n'),
        '--promote',
        '--default-branch',
        branch,
        '--promote-failure',
        'fail',
      ],
      { env },
    );
    expect(over.code, over.stderr).toBe(2);
    const bad = await runCli(['run', '--config', gateFile('cli-bad'), '--promote-failure', 'maybe'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--promote-failure: expected warn or fail, got "maybe"');
  }, 240_000);

  it('CLI promoting on another branch: by default a warning, exit by the verdict', async () => {
    const r = await runCli(['run', '--config', gateFile('cli-other'), '--promote', '--default-branch', `not-${branch}`], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/promotion failed \(promote-failure: warn\)/);
  }, 120_000);

  it('CLI: the store goes away after the lookups, before the write: exit 2, nothing in the bucket', async () => {
    const moto = await startMoto();
    const proxy = new FaultProxy(await freePort(), moto.endpoint);
    await proxy.up();
    try {
      const s3 = new S3Client({
        region: 'us-east-1',
        endpoint: moto.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      await s3.send(new CreateBucketCommand({ Bucket: 'late' }));
      const file = join(dir, 'late.yml');
      writeFileSync(
        file,
        `gate: late\n${models.replace('rounds: 2, iterations: 3, round-seconds: 0', 'rounds: 30, min-rounds: 30, iterations: 3, round-seconds: 0.1')}store:\n  s3: { bucket: late, prefix: gate, endpoint: "${proxy.endpoint}" }\noutput:\n  dir: ${join(dir, 'late')}\n`,
      );
      const run = start(
        [join(ROOT, 'dist/cli.js'), 'run', '--config', file, '--promote', '--default-branch', branch],
        { ...(process.env as Record<string, string>), ...env },
        ROOT,
      );
      await run.waitFor(/cls: round 1\//);
      await proxy.down(); // the lookups are done (no baseline yet); the promotion's writes meet a closed port
      expect(await run.exit, run.output()).toBe(2);
      expect(report('late').promotion).toMatchObject({
        done: false,
        failed: true,
        message: expect.stringMatching(/^promotion FAILED: .*nothing was promoted/),
      });
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'late' }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([]);
    } finally {
      await proxy.down();
      await moto.stop();
    }
  }, 120_000);

  it.each([
    ['', 0],
    ['fail', 2],
  ] as const)(
    'the action (promote: true on a feature branch, promote-failure "%s"): promoted=failed, exit %i',
    async (mode, code) => {
      const ws = join(dir, `ws-${mode || 'default'}`);
      mkdirSync(ws, { recursive: true });
      writeFileSync(join(ws, 'gate.yml'), `gate: unreachable\n${models}`);
      const { env: actionVars, files } = await actionEnv({
        dir: join(dir, `action-${mode || 'default'}`),
        workspace: ws,
        inputs: { promote: 'true', 'promote-failure': mode, 's3-bucket': 'gone', 's3-endpoint': endpoint, archive: 'false' },
        extra: { ...creds, PPG_CACHE_DIR: join(dir, 'cache') },
      });
      const run = start(ACTION_ENTRY, actionVars, ws);
      expect(await run.exit, run.output()).toBe(code);
      expect((await readOutputs(files.output))['promoted']).toBe('failed');
      expect(readFileSync(files.summary, 'utf8')).toMatch(
        /Baseline: promotion FAILED: the baseline store s3&#58;\/\/gone\/paddle-perf-gate could not be read for cls/,
      );
      if (code === 2) expect(run.output()).toMatch(/^::error::promotion failed: the baseline store/m);
      else expect(run.output()).toMatch(/^::warning::promotion failed \(promote-failure: warn\)/m);
    },
    120_000,
  );
});
