/**
 * The harness on real Paddle Inference (CPU builds 3.3.1 and 2.6.2, from the Pythons of
 * scripts/python-env.sh) through the local runner, on a small paddle.nn model saved with
 * paddle.jit.save: everything about Paddle that a CPU build can show, shown on Paddle itself.
 *  - CPU fp32 with oneDNN off and on, 1 and 2 threads: the same predictions; the version tells 2.6 from 3.3;
 *  - bf16 on CPU really runs bfloat16 (scores change), or is refused where Paddle would run fp32;
 *  - a GPU run asked of a CPU build is refused (Config.use_gpu() is False after enable_use_gpu);
 *  - every Config writes Paddle's optimisation cache into the work directory, not the model's;
 *  - a directory with inference.json and inference.pdmodel: 3.x loads the .json, 2.6 the .pdmodel,
 *    and a note says which; a PIR program alone is refused on 2.6 (which crashes on it);
 *  - why paddle.tensorrt.convert gets the model prefix: load_inference_model appends ".json".
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_SCHEMA, INPUTS_FILE, MANIFEST_FILE, type PreparedDataset } from '../../src/dataset/prepared.js';
import { RunnerError } from '../../src/errors.js';
import { resolveModel } from '../../src/model-files.js';
import { defaultHarnessPath } from '../../src/runners/job.js';
import { createLocalRunner } from '../../src/runners/local.js';
import type { EnginePlan, ModelPlan, RunResult } from '../../src/types.js';
import { encodeNpy } from '../helpers/npy.js';
import { ENGINE, PADDLE_TINY, paddlePythons, QUICK, recordingProgress } from './fixtures.js';

const run = promisify(execFile);
const pythons = paddlePythons();
const HARNESS_DIR = join(defaultHarnessPath(), '..');
/** qemu-user's x86-64 emulator: runs this very Paddle on a CPU model without AVX-512. */
/** Paddle's own condition for oneDNN bfloat16 (MayIUse(avx512_core)): this machine's CPU flags. */
const CPU_FLAGS = new Set((/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/));
const AVX512_CORE = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => CPU_FLAGS.has(f));
const QEMU = ['/usr/bin/qemu-x86_64', '/usr/local/bin/qemu-x86_64'].find((p) => existsSync(p));

/** Runs Python code with `python`; stdout's last line parsed as JSON. */
async function py(python: string, code: string, env: Record<string, string> = {}): Promise<unknown> {
  const { stdout } = await run(python, ['-c', code], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error,
  );

/** 12 seeded 3×8×8 samples, labelled 0–9, as a prepared classification set. */
async function tinyDataset(dir: string): Promise<PreparedDataset> {
  const n = 12;
  const data = new Float32Array(n * 3 * 8 * 8);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  const shape = [n, 3, 8, 8];
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, INPUTS_FILE), encodeNpy(data, shape));
  const ids = Array.from({ length: n }, (_, i) => `#${i}`);
  const labels = ids.map((_, i) => String(i % 10));
  const classNames = Array.from({ length: 10 }, (_, i) => String(i));
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ schema: DATASET_SCHEMA, hash: 'tiny', shape, ids, labels, classNames }));
  return { dir, hash: 'tiny', shape, ids, labels, classNames };
}

describe.skipIf(pythons.length > 0)('the harness on real Paddle', () => {
  it.skip('needs PPG_PADDLE33_PYTHON / PPG_PADDLE26_PYTHON (scripts/python-env.sh)', () => undefined);
});

describe.each(pythons)('the harness on real Paddle $label (CPU, local runner)', ({ python, version, label }) => {
  let root: string;
  let dataset: PreparedDataset;
  /** The model in this Paddle's own format (3.x: inference.json; 2.6: inference.pdmodel). */
  let own: string;
  /** A directory with inference.json (from Paddle 3 when this is 2.6: the same weights) and inference.pdmodel. */
  let both: string;
  let reference: RunResult;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), `ppg-paddle-${label}-`));
    dataset = await tinyDataset(join(root, 'data'));
    await run(python, [PADDLE_TINY, join(root, 'own', 'inference')]);
    const ext = label === '2.6' ? 'pdmodel' : 'json';
    own = join(root, 'own', `inference.${ext}`);
    // The other format from this Paddle (3.x with FLAGS_enable_pir_api=0 saves a .pdmodel) or,
    // for 2.6, a PIR program from any Paddle 3 at hand (the weights file is the same bytes).
    const other = pythons.find((p) => p.label !== label);
    const otherDir = join(root, 'other');
    if (label === '2.6') {
      if (other) await run(other.python, [PADDLE_TINY, join(otherDir, 'inference')]);
    } else {
      await run(python, [PADDLE_TINY, join(otherDir, 'inference')], { env: { ...process.env, FLAGS_enable_pir_api: '0' } });
    }
    both = join(root, 'both');
    await mkdir(both, { recursive: true });
    await copyFile(own, join(both, `inference.${ext}`));
    await copyFile(join(root, 'own', 'inference.pdiparams'), join(both, 'inference.pdiparams'));
    const otherExt = ext === 'json' ? 'pdmodel' : 'json';
    if (existsSync(join(otherDir, `inference.${otherExt}`)))
      await copyFile(join(otherDir, `inference.${otherExt}`), join(both, `inference.${otherExt}`));
  }, 120_000);
  afterAll(() => rm(root, { recursive: true, force: true }));

  const plan = (path: string, engine: Partial<EnginePlan> = {}): ModelPlan => {
    const resolved = resolveModel(path);
    if (typeof resolved === 'string') throw new Error(resolved);
    return {
      name: 'tiny',
      path: resolved.file,
      format: resolved.format,
      ...(resolved.alternative !== undefined && { alternative: resolved.alternative }),
      task: 'classification',
      dataset: { format: 'npy', inputs: 'unused' },
      engine: { ...ENGINE, name: 'paddle', ...engine },
    };
  };
  const gate = (name: string, model: ModelPlan) =>
    createLocalRunner({ kind: 'local', python, timeoutSeconds: 120 }).run(
      { model, measure: { ...QUICK, accuracy: { batch: 6, threads: model.engine.threads } }, dataset, workDir: join(root, name) },
      recordingProgress(),
    );
  const notes = (r: RunResult) => r.notes?.join('\n') ?? '';
  const scores = (r: RunResult) => r.outputs.predictions.map((p) => (p.kind === 'topk' ? p.scores : []));
  const top = (r: RunResult) => r.outputs.predictions.map((p) => (p.kind === 'topk' ? p.ids : []));

  it('CPU fp32, oneDNN off, 1 thread: Paddle itself, its version and commit; timed copy_from_cpu + run + copy_to_cpu', async () => {
    reference = await gate('fp32', plan(own, { mkldnn: false, threads: 1 }));
    expect(reference.engine).toMatchObject({ name: 'paddle', version, device: 'cpu', precision: 'fp32' });
    expect(reference.env).toMatchObject({
      runner: 'local',
      paddle: version,
      paddleCommit: expect.stringMatching(/^[0-9a-f]{40}$/),
      cuda: null,
    });
    expect(reference.model.format).toBe(label === '2.6' ? 'paddle-pdmodel' : 'paddle-pir');
    expect(notes(reference)).toContain('Config.disable_mkldnn()');
    expect(notes(reference)).toContain('Config.set_cpu_math_library_num_threads(1)');
    // Paddle's optimisation cache goes to the job's work directory (the docker runner mounts the model read-only).
    expect(notes(reference)).toContain(`Config.set_optim_cache_dir('${join(root, 'fp32', 'paddle_opt_cache')}')`);
    expect(existsSync(join(root, 'fp32', 'paddle_opt_cache'))).toBe(true);
    expect(await readdir(join(root, 'own'))).not.toContain('_opt_cache');
    expect(reference.outputs.predictions).toHaveLength(12);
    expect(reference.timing.rounds.flat().length).toBeGreaterThanOrEqual(10);
  });

  it('oneDNN on, 2 threads: the same top-5 classes, scores within 1e-5', async () => {
    const r = await gate('mkldnn2', plan(own, { mkldnn: true, threads: 2 }));
    expect(notes(r)).toContain('Config.enable_mkldnn()');
    expect(notes(r)).toContain('Config.set_cpu_math_library_num_threads(2)');
    expect(top(r)).toEqual(top(reference));
    scores(r).forEach((row, i) => row.forEach((v, k) => expect(Math.abs(v - scores(reference)[i]![k]!)).toBeLessThanOrEqual(1e-5)));
  });

  it('bf16 on CPU runs bfloat16 for real: oneDNN bf16 on, and the scores move off the fp32 ones (refused on a CPU without avx512_core)', async () => {
    if (!AVX512_CORE) {
      // A CI machine without AVX-512: the same run must be refused, never measured as fp32 labelled bf16.
      const e = await failure(gate('bf16', plan(own, { precision: 'bf16', mkldnn: true })));
      expect(e.message).toMatch(/precision bf16 on CPU cannot run here: this CPU lacks avx512_core/);
      return;
    }
    const r = await gate('bf16', plan(own, { precision: 'bf16', mkldnn: true }));
    expect(r.engine.precision).toBe('bf16');
    expect(notes(r)).toContain('Config.enable_mkldnn_bfloat16()');
    expect(notes(r)).toMatch(/bf16 on CPU: oneDNN bfloat16, (native|emulated)/);
    // An fp32 run under a bf16 label would give fp32's scores exactly.
    const moved = scores(r)
      .flat()
      .filter((v, j) => v !== scores(reference).flat()[j]).length;
    expect(moved).toBeGreaterThan(scores(r).flat().length / 2);
  });

  it("bf16 detection is Paddle's own condition: core.supports_bfloat16() (avx512_core) in a oneDNN build", async () => {
    const result = (await py(
      python,
      `import json, sys; sys.path.insert(0, ${JSON.stringify(HARNESS_DIR)}); import bench, paddle, types
core = bench.paddle_core(paddle)
flags = set(next(l for l in open("/proc/cpuinfo") if l.startswith("flags")).split())
no_avx512 = types.SimpleNamespace(is_compiled_with_mkldnn=lambda: True, supports_bfloat16=lambda: False)
no_onednn = types.SimpleNamespace(is_compiled_with_mkldnn=lambda: False, supports_bfloat16=lambda: True)
print(json.dumps({"here": bench.cpu_bf16_problem(core), "avx512core": {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags,
  "supports": core.supports_bfloat16(), "noAvx512": bench.cpu_bf16_problem(no_avx512), "noOnednn": bench.cpu_bf16_problem(no_onednn)}))`,
    )) as { here: string | null; avx512core: boolean; supports: boolean; noAvx512: string; noOnednn: string };
    expect(result.supports).toBe(result.avx512core);
    expect(result.here === null).toBe(result.avx512core);
    expect(result.noAvx512).toMatch(/this CPU lacks avx512_core/);
    expect(result.noOnednn).toMatch(/built without oneDNN/);
  });

  it('bf16 on a CPU without avx512_core (this Paddle under qemu-x86_64 -cpu Haswell) is refused: Paddle would run fp32', async () => {
    if (!QEMU) {
      process.stderr.write('SKIPPED: qemu-x86_64 not installed (apt-get install qemu-user): bf16 refused on a CPU without AVX-512\n');
      return;
    }
    // The same Python and Paddle on an emulated Haswell: Paddle's own CPU check (cpuid) sees no AVX-512.
    const wrapper = join(root, 'python-on-haswell.sh');
    await writeFile(wrapper, `#!/bin/sh\nexec ${QEMU} -cpu Haswell ${python} "$@"\n`);
    await chmod(wrapper, 0o755);
    const e = await failure(
      createLocalRunner({ kind: 'local', python: wrapper, timeoutSeconds: 300 }).run(
        { model: plan(own, { precision: 'bf16', mkldnn: true }), measure: QUICK, dataset, workDir: join(root, 'bf16-haswell') },
        recordingProgress(),
      ),
    );
    expect(e.message).toMatch(
      /the harness exited with code 3: precision bf16 on CPU cannot run here: this CPU lacks avx512_core \(AVX-512 F, BW, VL and DQ\), which Paddle's oneDNN bfloat16 needs \(core\.supports_bfloat16\(\) is False\); Paddle would measure fp32 under the bf16 label/,
    );
  }, 300_000);

  it('int8 on CPU: oneDNN int8 enabled (mkldnn_int8_enabled() asked)', async () => {
    const r = await gate('int8', plan(own, { precision: 'int8', mkldnn: true }));
    expect(notes(r)).toContain('Config.enable_mkldnn_int8()');
    expect(notes(r)).toContain('int8 on CPU: oneDNN runs the quantized operators');
  });

  it('a GPU run asked of this CPU build is refused with the reason, before anything is measured', async () => {
    const e = await failure(gate('gpu', plan(own, { device: 'gpu' })));
    expect(e).toBeInstanceOf(RunnerError);
    expect(e.message).toMatch(
      new RegExp(
        `the harness exited with code 3: engine\\.device is gpu, but Paddle ${version.replace(/\./g, '\\.')} here is a CPU build \\(paddle\\.is_compiled_with_cuda\\(\\) is False\\): Config\\.use_gpu\\(\\) is False after enable_use_gpu`,
      ),
    );
    expect(existsSync(join(root, 'gpu', 'run.json'))).toBe(false);
  });

  it('a directory with inference.json and inference.pdmodel: the format this Paddle loads, said in one note', async () => {
    const model = plan(both, { threads: 1 });
    if (label === '2.6' && !model.alternative) return; // no Paddle 3 here to make the .json
    expect(model).toMatchObject({ format: 'paddle-pir', path: join(both, 'inference.json'), alternative: join(both, 'inference.pdmodel') });
    const r = await gate('both', model);
    const loads = label === '2.6' ? 'inference.pdmodel' : 'inference.json';
    expect(r.notes!.filter((n) => n.startsWith('model: '))).toEqual([
      `model: ${both} holds inference.json and inference.pdmodel; Paddle ${version} loads ${loads}${label === '2.6' ? ' (a PIR program needs Paddle 3)' : ''}`,
    ]);
    expect(r.model.format).toBe(label === '2.6' ? 'paddle-pdmodel' : 'paddle-pir');
    expect(r.model.files.map((f) => f.path)).toEqual([loads, 'inference.pdiparams']);
    expect(top(r)).toEqual(top(reference));
  });

  it.runIf(label === '2.6')('a PIR program alone on Paddle 2.6 is refused (2.6 crashes on a .json)', async () => {
    const pir = join(both, 'inference.json');
    if (!existsSync(pir)) return;
    // The file itself, not the directory: no .pdmodel to fall back to.
    const { alternative: _none, ...alone } = plan(pir);
    const e = await failure(gate('pir-on-26', alone));
    expect(e.message).toMatch(
      /the harness exited with code 3: .*inference\.json is a Paddle 3 PIR program \(format paddle-pir\); Paddle 2\.6\.2 cannot load it/,
    );
  });

  it.runIf(label === '3.3')(
    "why paddle.tensorrt.convert gets the prefix: Paddle's load_inference_model appends .json to what it is given",
    async () => {
      const prefix = join(root, 'own', 'inference');
      const result = (await py(
        python,
        `import json, paddle
paddle.enable_static()
exe = paddle.static.Executor(paddle.CPUPlace())
out = {}
for name, path in (("prefix", ${JSON.stringify(prefix)}), ("file", ${JSON.stringify(prefix + '.json')})):
    try:
        with paddle.pir_utils.IrGuard():
            program, feeds, fetches = paddle.static.load_inference_model(path, exe)
        out[name] = feeds
    except Exception as e:
        out[name] = "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[-1][:200] if str(e).strip() else "")
print(json.dumps(out))`,
      )) as { prefix: unknown; file: unknown };
      expect(result.prefix).toEqual(['x']);
      expect(typeof result.file).toBe('string');
    },
  );

  it("Paddle writes what it derives from a model into set_optim_cache_dir's directory, else into the model's", async () => {
    const model = join(root, 'cache-model');
    await mkdir(model, { recursive: true });
    for (const f of await readdir(join(root, 'own'))) await copyFile(join(root, 'own', f), join(model, f));
    const cache = join(root, 'cache');
    const result = (await py(
      python,
      `import json, os, paddle.inference as pi
def run(cache):
    c = pi.Config(${JSON.stringify(own.replace(join(root, 'own'), model))}, ${JSON.stringify(join(model, 'inference.pdiparams'))})
    c.disable_gpu(); c.enable_save_optim_model(True); c.disable_glog_info()
    if cache: c.set_optim_cache_dir(cache)
    pi.create_predictor(c)
run(${JSON.stringify(cache)})
named = sorted(os.listdir(${JSON.stringify(cache)})) if os.path.isdir(${JSON.stringify(cache)}) else []
before = sorted(os.listdir(${JSON.stringify(model)}))
run(None)
print(json.dumps({"named": named, "before": before, "after": sorted(os.listdir(${JSON.stringify(model)}))}))`,
    )) as { named: string[]; before: string[]; after: string[] };
    expect(result.named.length).toBeGreaterThan(0);
    expect(result.after.filter((f) => !result.before.includes(f)).length).toBeGreaterThan(0);
  });
});
