import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA, runCli, tinyGate } from '../helpers/cli.js';

/** Every file under dir with its content: what "nothing is ever lost" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out[p.slice(dir.length)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('paddle-perf-gate run (embedded, real PP-OCRv4 rec)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppg-cli-'));
  const storeDir = join(dir, 'baselines');
  const env = { PPG_CACHE_DIR: join(dir, 'cache') };
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  let first: Awaited<ReturnType<typeof runCli>>;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    first = await runCli(['run', '--config', write('base.yml', tinyGate({ storeDir, outDir: join(dir, 'out-base') })), '--promote'], {
      env,
    });
  }, 120_000);

  it('first run: no baseline yet, exit 0, promoted into the file store', () => {
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('no baseline yet — this run is now the baseline');
    expect(first.stdout).not.toContain('when it lands on the default branch');
    // "promoted" once in the log and once in the report, not two or three times
    expect(first.stderr.match(/promoted \w+ \(/g)).toHaveLength(1);
    expect(first.stdout.match(/promoted \w+ \(/g)).toHaveLength(1);
    expect(first.stdout.startsWith('### ')).toBe(true);
    expect(first.stdout).toMatch(/PP-OCRv4-rec/);
    expect(first.stderr).toMatch(/warm-up/);
    expect(first.stderr).toMatch(/round 1\/4/);
    expect(Object.keys(snapshot(storeDir)).some((f) => f.includes('/commits/'))).toBe(true);
    const report = JSON.parse(readFileSync(join(dir, 'out-base', 'report.json'), 'utf8'));
    expect(report.verdict).toBe('no-baseline');
    const line = report.models[0].metrics.metrics.find((m: { id: string }) => m.id === 'accuracy.line');
    expect(line.value).toBeGreaterThan(50);
  });

  it('an accuracy regression: exit 1, ❌ in the table, and the baseline is untouched even with --promote', async () => {
    // The same images with labels the model cannot match: line accuracy falls to 0 whatever the
    // machine's load (a latency verdict on real inference would depend on it; the rules behind
    // latency verdicts are tested exactly in compare/ and confirm/scripted.test.ts).
    const labels = readFileSync(join(DATA, 'ocr-rec/rec_gt.txt'), 'utf8').replace(/\t.*$/gm, '\t错误的标签');
    const before = snapshot(storeDir);
    const regressed = await runCli(
      [
        'run',
        '--config',
        write('regressed.yml', tinyGate({ storeDir, outDir: join(dir, 'out-regressed'), labels: write('wrong_gt.txt', labels) })),
        '--promote',
      ],
      { env },
    );
    expect(regressed.code).toBe(1);
    expect(regressed.stdout).toMatch(/❌/);
    expect(regressed.stdout).toMatch(/accuracy/);
    expect(regressed.stdout).toMatch(/latency p50/);
    expect(regressed.stderr).toMatch(/not promoted/);
    expect(snapshot(storeDir)).toEqual(before);
    const report = JSON.parse(readFileSync(join(dir, 'out-regressed', 'report.json'), 'utf8'));
    expect(report.verdict).toBe('fail');

    // The same two reports through `compare` give the same verdict.
    const cmp = await runCli(['compare', join(dir, 'out-base', 'report.json'), join(dir, 'out-regressed', 'report.json')], { env });
    expect(cmp.code).toBe(1);
    expect(cmp.stdout).toMatch(/❌/);
  }, 120_000);

  it('inside a pull request job (GITHUB_HEAD_REF set) --promote never writes the default branch: store untouched, exit 0', async () => {
    const before = snapshot(storeDir);
    const pr = await runCli(
      [
        'run',
        '--config',
        write('pr.yml', tinyGate({ storeDir, outDir: join(dir, 'out-pr'), extra: 'engine: { threads: 3 }\n' })),
        '--promote',
      ],
      { env: { ...env, GITHUB_HEAD_REF: 'main', GITHUB_BASE_REF: 'main' } },
    );
    expect(pr.code).toBe(0);
    expect(pr.stderr).toMatch(/not promoted: a pull-request run never writes the baseline of the default branch 'main'/);
    expect(snapshot(storeDir)).toEqual(before);
  }, 120_000);

  it('another environment (2 threads instead of 1) is incomparable: numbers shown, the differing field named, exit 0', async () => {
    const res = await runCli(
      [
        'run',
        '--config',
        write('threads.yml', tinyGate({ storeDir, outDir: join(dir, 'out-threads'), extra: 'engine: { threads: 2 }\n' })),
      ],
      {
        env,
      },
    );
    expect(res.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'out-threads', 'report.json'), 'utf8'));
    expect(report.verdict).toBe('incomparable');
    expect(report.models[0].comparison.differences).toEqual([{ field: 'threads', baseline: '1', current: '2' }]);
    expect(res.stdout).toMatch(/threads/);
  }, 120_000);

  it('a corrupt baseline is "unreadable": a warning naming the object, exit 0, and the corrupt object is left as it was', async () => {
    const copy = join(dir, 'corrupt-store');
    const { cpSync } = await import('node:fs');
    cpSync(storeDir, copy, { recursive: true });
    const objects = Object.keys(snapshot(copy)).filter((f) => f.includes('/commits/'));
    for (const f of objects) writeFileSync(join(copy, f), '{"schema": "paddle-perf-gate/baseline@1", "trunc');
    const before = snapshot(copy);
    const res = await runCli(['run', '--config', write('corrupt.yml', tinyGate({ storeDir: copy, outDir: join(dir, 'out-corrupt') }))], {
      env,
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/baseline unreadable/);
    expect(res.stderr).toMatch(/commits\/[0-9a-f]+\.json/);
    expect(JSON.parse(readFileSync(join(dir, 'out-corrupt', 'report.json'), 'utf8')).verdict).toBe('unreadable');
    expect(snapshot(copy)).toEqual(before);
  }, 120_000);

  it('broken input exits 2 with a message naming the file, line and field', async () => {
    const bad = write('bad.yml', tinyGate({ storeDir, outDir: join(dir, 'out-bad') }).replace('task: ocr-rec', 'task: ocr'));
    const res = await runCli(['run', '--config', bad], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/bad\.yml:\d+:\d+/);
    expect(res.stderr).toMatch(/models\[0\]\.task/);
  });

  it('unknown flags and commands exit 2 and say what was expected', async () => {
    const flag = await runCli(['run', '--config', 'x.yml', '--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/frobnicate/);
    const cmd = await runCli(['judge']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command "judge"/);
    const missing = await runCli(['compare', join(dir, 'nope.json'), join(dir, 'nope2.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json/);
  });
});
