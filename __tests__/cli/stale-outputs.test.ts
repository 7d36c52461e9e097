/**
 * A failed run never leaves an earlier run's results looking like its own: report.json,
 * report.md and each model's run.json / metrics.json are removed when a run starts, so a broken
 * run (exit 2) leaves none of them for an artifact upload or a reader of report.json to pick up.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tinyGate } from '../helpers/cli.js';

describe('outputs of an earlier run', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('are removed when the next run starts, so a failed run leaves no stale metrics or report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppg-stale-'));
    dirs.push(dir);
    const env = { PPG_CACHE_DIR: join(dir, 'cache') };
    const outDir = join(dir, 'out');
    const storeDir = join(dir, 'baselines');
    const files = ['report.json', 'report.md', 'PP-OCRv4-rec/run.json', 'PP-OCRv4-rec/metrics.json'].map((f) => join(outDir, f));

    writeFileSync(join(dir, 'good.yml'), tinyGate({ storeDir, outDir, limit: 4 }));
    const good = await runCli(['run', '--config', join(dir, 'good.yml')], { env });
    expect(good.code, good.stderr).toBe(0);
    for (const f of files) expect(existsSync(f), f).toBe(true);

    // The same gate and output directory, but the model cannot be loaded: a broken run.
    writeFileSync(join(dir, 'broken.onnx'), 'not an ONNX model');
    const broken = tinyGate({ storeDir, outDir, limit: 4 }).replace(
      /path: .*ch_PP-OCRv4_rec_infer\.onnx/,
      `path: ${join(dir, 'broken.onnx')}`,
    );
    writeFileSync(join(dir, 'broken.yml'), broken);
    const bad = await runCli(['run', '--config', join(dir, 'broken.yml')], { env });
    expect(bad.code, bad.stderr).toBe(2);
    for (const f of files) expect(existsSync(f), `${f} left from the earlier run`).toBe(false);
  }, 120_000);
});
