/**
 * The local runner: the harness (or a user's command) as a subprocess. The full harness on real
 * Paddle through this runner is in paddle-real.test.ts (the Paddle Pythons of scripts/python-env.sh).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, RunnerError } from '../../src/errors.js';
import type { PreparedDataset } from '../../src/dataset/prepared.js';
import { createLocalRunner } from '../../src/runners/local.js';
import { registerSecret } from '../../src/secrets.js';
import { makeOcrDataset, QUICK, recModel, recordingProgress, validDoc } from './fixtures.js';

const python = process.env['PPG_TEST_PYTHON'] ?? 'python3';

let root: string;
let dataset: PreparedDataset;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ppg-local-'));
  dataset = await makeOcrDataset(join(root, 'data'), 4);
});
afterAll(() => rm(root, { recursive: true, force: true }));

const run = (command: string[] | undefined, timeoutSeconds = 30, signal?: AbortSignal, model = recModel()) =>
  createLocalRunner({ kind: 'local', python, timeoutSeconds, ...(command ? { command } : {}) }).run(
    { model, measure: QUICK, dataset, workDir: join(root, `w-${Math.random().toString(36).slice(2)}`), ...(signal ? { signal } : {}) },
    recordingProgress(),
  );

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error,
  );

/** Running (a killed orphan may linger as a zombie until its new parent reaps it: that is dead). */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe('local runner', () => {
  it('hands the harness or runner.command an allow-listed environment, and masks secrets in harness.log (issue 25)', async () => {
    const secrets = {
      'INPUT_GITHUB-TOKEN': 'ghs_inputtoken_0123456789',
      'INPUT_DINGTALK-SECRET': 'SECdingtalk0123456789',
      'INPUT_WECOM-WEBHOOK': 'https://qyapi.example/cgi-bin/webhook/send?key=abcdef0123',
      GITHUB_TOKEN: 'ghs_envtoken_0123456789',
      AWS_SECRET_ACCESS_KEY: 'awsSecretKey0123456789',
      ACTIONS_RUNTIME_TOKEN: 'runtime_token_0123456789',
    };
    const saved = { ...process.env };
    Object.assign(process.env, secrets, { FLAGS_use_mkldnn: '1', OMP_NUM_THREADS: '1' });
    registerSecret('a-registered-input-secret-value');
    try {
      const template = join(root, 'template-env.json');
      await writeFile(template, JSON.stringify(validDoc()));
      const script = `import json, os, sys
doc = json.load(open(${JSON.stringify(template)}))
doc["notes"] = sorted(os.environ.keys())
print("leak:", ${JSON.stringify(Object.values(secrets).join(' '))}, "a-registered-input-secret-value")
print("err leak:", ${JSON.stringify(secrets.GITHUB_TOKEN)}, file=sys.stderr)
json.dump(doc, open(os.environ["PPG_OUTPUT"], "w"))`;
      const workDir = join(root, 'w-env');
      const result = await createLocalRunner({ kind: 'local', python, timeoutSeconds: 30, command: [python, '-c', script] }).run(
        { model: recModel(), measure: QUICK, dataset, workDir },
        recordingProgress(),
      );
      const names = result.notes ?? [];
      expect(names.filter((n) => /^INPUT_|TOKEN|SECRET|WEBHOOK|KEY/.test(n))).toEqual([]);
      expect(names).toEqual(expect.arrayContaining(['PATH', 'FLAGS_use_mkldnn', 'OMP_NUM_THREADS', 'PPG_OUTPUT', 'PPG_JOB']));
      const log = await readFile(join(workDir, 'harness.log'), 'utf8');
      for (const value of [...Object.values(secrets), 'a-registered-input-secret-value']) expect(log).not.toContain(value);
      expect(log).toContain('leak: *** *** *** *** *** *** ***');
      expect(log).toContain('err leak: ***');
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it("validates a user's command's document and passes PPG_OUTPUT / PPG_JOB / PPG_DATASET / PPG_MODEL", async () => {
    const template = join(root, 'template.json');
    await writeFile(template, JSON.stringify(validDoc()));
    const script = `import json, os
doc = json.load(open(${JSON.stringify(template)}))
job = json.load(open(os.environ["PPG_JOB"]))
doc["notes"] = [os.environ["PPG_DATASET"], os.environ["PPG_MODEL"], job["model"]["entry"], str(job["launchedAt"] > 0)]
json.dump(doc, open(os.environ["PPG_OUTPUT"], "w"))`;
    const result = await run([python, '-c', script]);
    expect(result.notes).toEqual([dataset.dir, recModel().path, recModel().path, 'True']);
    expect(result.env).toMatchObject({ runner: 'local', imageDigest: null, cpuModel: 'Some CPU' });
  });

  it('names the bad field of a malformed document', async () => {
    const e = await failure(run([python, '-c', 'import json, os; json.dump({"schema": "nope"}, open(os.environ["PPG_OUTPUT"], "w"))']));
    expect(e).toBeInstanceOf(RunnerError);
    expect(e.message).toMatch(/^run-result document invalid: .*run.json: schema: expected "paddle-perf-gate\/run@1", got "nope"$/);
  });

  it('reports the harness error line when the engine is not importable', async () => {
    const model = recModel({}, { name: 'paddle' });
    const e = await failure(
      createLocalRunner({ kind: 'local', python, timeoutSeconds: 30 }).run(
        { model: { ...model, format: 'onnx' }, measure: QUICK, dataset, workDir: join(root, 'nopaddle') },
        recordingProgress(),
      ),
    );
    // numpy first (a bare CI Python), then paddle: both say which Python lacked what.
    expect(e.message).toMatch(
      /PP-OCRv4-rec: the harness exited with code 3: (numpy|paddle) is not importable by \S+ .*\(log: .*harness.log\)/,
    );
  });

  it('reports a crash with the last log lines and the exit code', async () => {
    const e = await failure(run([python, '-c', 'import sys; print("step one"); print("the end", file=sys.stderr); sys.exit(5)']));
    expect(e.message).toMatch(/the command ".*" exited with code 5; last log lines: step one/);
  });

  it('fails clearly when the command cannot start', async () => {
    const e = await failure(run(['/nonexistent/python3.99']));
    expect(e.message).toMatch(/cannot start \/nonexistent\/python3.99 \(runner.command\): .*ENOENT/);
  });

  it('kills the whole process group on timeout', async () => {
    const pidFile = join(root, 'grandchild.pid');
    const e = await failure(run(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`], 1));
    expect(e.message).toMatch(
      /^PP-OCRv4-rec: timed out after 1 s \(runner\.timeout\); the command's process group was killed; its output so far: \/.*\/harness\.log$/,
    );
    const pid = Number(await readFile(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
    expect(await alive(pid)).toBe(false);
  });

  it('kills the process when the gate is cancelled', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = Date.now();
      controller.abort();
    }, 300);
    const e = await failure(run(['sleep', '30'], 30, controller.signal));
    expect(e.message).toMatch(/cancelled; the command's process group was killed/);
    // Killed, not waited for: well before the 30 s sleep would end, however busy the machine.
    expect(Date.now() - abortedAt).toBeLessThan(15_000);
  });
});

describe('model files: what the harness is told to load (one resolver, shared with gate.yml)', () => {
  const cases: Array<{
    name: string;
    files: string[];
    path: string;
    format: 'onnx' | 'paddle-pdmodel' | 'paddle-pir';
    expect: RegExp | { entry: string; params: string | null };
  }> = [
    { name: 'a .onnx file', files: ['m.onnx'], path: 'm.onnx', format: 'onnx', expect: { entry: 'm.onnx', params: null } },
    {
      name: 'a Paddle 2.6 model with its weights',
      files: ['inference.pdmodel', 'inference.pdiparams', 'inference.pdiparams.info'],
      path: 'inference.pdmodel',
      format: 'paddle-pdmodel',
      expect: { entry: 'inference.pdmodel', params: 'inference.pdiparams' },
    },
    {
      name: 'a Paddle 3.x model with its weights',
      files: ['inference.json', 'inference.pdiparams', 'inference.yml'],
      path: 'inference.json',
      format: 'paddle-pir',
      expect: { entry: 'inference.json', params: 'inference.pdiparams' },
    },
    {
      name: 'weights missing (removed after gate.yml was read)',
      files: ['model.pdmodel'],
      path: 'model.pdmodel',
      format: 'paddle-pdmodel',
      expect: /models\[m\]\.path: the weights .*model\.pdiparams are missing beside .*model\.pdmodel/,
    },
    {
      name: 'format contradicting the file',
      files: ['model.pdmodel', 'model.pdiparams'],
      path: 'model.pdmodel',
      format: 'onnx',
      expect: /models\[m\]\.path: format onnx does not match .*model\.pdmodel, which is a paddle-pdmodel model/,
    },
    {
      name: 'missing path',
      files: [],
      path: 'nope.onnx',
      format: 'onnx',
      expect: /models\[m\]\.path: file or directory not found: .*nope\.onnx/,
    },
  ];
  it.each(cases)('$name', async (c) => {
    const dir = await mkdtemp(join(root, 'model-'));
    for (const f of c.files) await writeFile(join(dir, f), 'x');
    const model = recModel({ name: 'm', path: join(dir, c.path), format: c.format });
    // The command keeps the job file the harness would read, then fails: only the job matters here.
    const kept = join(dir, 'kept-job.json');
    const error = await failure(run(['sh', '-c', `cp "$PPG_JOB" ${kept}; exit 3`], 30, undefined, model));
    if (c.expect instanceof RegExp) {
      expect(error).toBeInstanceOf(DataError);
      expect(error.message).toMatch(c.expect);
    } else {
      expect(error).toBeInstanceOf(RunnerError);
      const job = JSON.parse(await readFile(kept, 'utf8')) as { model: { entry: string; params: string | null } };
      expect(job.model).toMatchObject({
        entry: join(dir, c.expect.entry),
        params: c.expect.params === null ? null : join(dir, c.expect.params),
      });
    }
  });
});
