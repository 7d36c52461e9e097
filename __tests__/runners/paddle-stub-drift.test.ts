/**
 * The stand-in paddle.inference (fixtures/paddle_stub/, used only for the GPU and TensorRT calls a
 * CPU build cannot run) against the real one: every class, method, function and enum member it
 * defines exists in Paddle 3.3 and 2.6 with the same parameters, names and defaults (pybind
 * signatures read from __doc__; fixtures/stub_drift.py). A stand-in kinder than Paddle — a method
 * Paddle has no Python binding for, a parameter it lacks — fails here.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { paddlePythons, STUB_DIR } from './fixtures.js';

const run = promisify(execFile);
const DRIFT = resolve('__tests__/runners/fixtures/stub_drift.py');
const pythons = paddlePythons();

interface Report {
  paddle: string;
  checked: string[];
  missing: string[];
  mismatched: Array<{ name: string }>;
  paddle3OnlyPresent: string[];
}

describe.skipIf(pythons.length > 0)('the stand-in against real Paddle', () => {
  it.skip('needs PPG_PADDLE33_PYTHON / PPG_PADDLE26_PYTHON (scripts/python-env.sh)', () => undefined);
});

describe.each(pythons)('the stand-in paddle.inference against real Paddle $label', ({ python, version }) => {
  it('fakes nothing Paddle lacks: every name and signature exists in the real module', async () => {
    const { stdout } = await run(python, [DRIFT, STUB_DIR], { maxBuffer: 1 << 24 });
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as Report;
    expect(report.paddle).toBe(version);
    expect(report.missing).toEqual([]);
    expect(report.mismatched).toEqual([]);
    // The 3.x-only methods (PIR programs) are really absent from 2.6, so that list cannot rot either.
    expect(report.paddle3OnlyPresent).toEqual([]);
    // What the harness calls on a GPU: all of it checked.
    for (const name of [
      'Config.__init__',
      'Config.enable_use_gpu',
      'Config.use_gpu',
      'Config.enable_tensorrt_engine',
      'Config.set_optim_cache_dir',
      'Config.set_trt_dynamic_shape_info',
      'Config.collect_shape_range_info',
      'Config.enable_tuned_tensorrt_dynamic_shape',
      'Predictor.run',
      'Tensor.copy_from_cpu',
      'Tensor.copy_to_cpu',
      'create_predictor',
      'PrecisionType.Int8',
    ]) {
      expect(report.checked).toContain(name);
    }
  });
});
