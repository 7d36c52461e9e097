/**
 * The local runner: the same Python harness (or the user's own command) as a subprocess of a
 * configured Python, for machines with Paddle installed natively (conda, a venv).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { RunnerError } from '../errors.js';
import { childEnvironment } from '../secrets.js';
import type { Progress, RunRequest, Runner } from '../ports.js';
import type { RunResult, RunnerPlan } from '../types.js';
import { CappedLog } from './lines.js';
import { buildJob, commandName, HarnessLines, JOB_FILE, prepareRun, readRunResult, RESULT_FILE, writeJob } from './job.js';

export type LocalPlan = Extract<RunnerPlan, { kind: 'local' }>;

export interface LocalRunnerOptions {
  harnessPath?: string;
  /** Extra environment for the subprocess (on top of the allow-listed part of this process's, secrets.ts childEnvironment). */
  env?: Record<string, string>;
}

export function createLocalRunner(plan: LocalPlan, opts: LocalRunnerOptions = {}): Runner {
  return { kind: 'local', run: (request, progress) => runLocal(plan, opts, request, progress) };
}

async function runLocal(plan: LocalPlan, opts: LocalRunnerOptions, original: RunRequest, progress: Progress): Promise<RunResult> {
  const { files, harness, workDir, request } = await prepareRun(original, opts.harnessPath, plan.command !== undefined);
  const { model, dataset } = request;
  const output = join(workDir, RESULT_FILE);
  const jobPath = join(workDir, JOB_FILE);
  const job = buildJob(request, files, { modelDir: files.dir, datasetDir: resolve(dataset.dir), output });

  const [cmd, ...args] = plan.command ?? [plan.python, harness, jobPath];
  if (!cmd) throw new RunnerError('runner.command: expected a command and its arguments, got an empty list');
  const logPath = join(workDir, 'harness.log');
  const log = new CappedLog(logPath);
  const lines = new HarnessLines(
    progress,
    `${model.name}: `,
    (text) => log.write(text),
    plan.command ? commandName(plan.command) : 'the harness',
  );
  let ended: 'timeout' | 'abort' | undefined;

  try {
    await writeJob(jobPath, job);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit, rejectExit) => {
      const child = spawn(cmd, args, {
        cwd: workDir,
        // Only what a Python/CUDA/Paddle process needs: no INPUT_*, no token, no webhook (issue 25).
        env: {
          ...childEnvironment(),
          PYTHONUNBUFFERED: '1',
          PPG_JOB: jobPath,
          PPG_OUTPUT: output,
          PPG_DATASET: resolve(dataset.dir),
          PPG_MODEL: join(files.dir, files.entry),
          ...opts.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Own process group, so a timeout or cancellation also ends whatever the command started.
        detached: true,
      });
      const killGroup = (why: 'timeout' | 'abort') => {
        ended ??= why;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const timer = setTimeout(() => killGroup('timeout'), plan.timeoutSeconds * 1000);
      const onAbort = () => killGroup('abort');
      request.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (c: Buffer) => lines.push(c));
      child.stderr.on('data', (c: Buffer) => lines.pushErr(c)); // log and error tail only, never judged
      child.on('error', (error) => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        rejectExit(new RunnerError(`cannot start ${cmd} (runner.${plan.command ? 'command' : 'python'}): ${error.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolveExit({ code, signal });
      });
    });
    lines.end();

    const killed = plan.command ? "the command's process group was killed" : 'the harness process was killed';
    // As the docker runner: a cancellation after the program finished (exit 0, or the harness's
    // `done`, printed once its result is written) keeps the result when it is complete and valid.
    const finishedFirst = ended === 'abort' && (exit.code === 0 || lines.finished);
    if (ended === 'abort' && !finishedFirst) throw new RunnerError(`run of ${model.name} cancelled; ${killed}`);
    if (ended === 'timeout')
      throw new RunnerError(
        `${model.name}: timed out after ${plan.timeoutSeconds} s (runner.timeout); ${killed}; its output so far: ${logPath}`,
      );
    if (exit.code !== 0 && !finishedFirst) {
      throw new RunnerError(`${model.name}: ${lines.describeExit(exit.code ?? exit.signal ?? 'a signal')} (log: ${logPath})`);
    }
    const result = await readRunResult(output, lines).catch((error: unknown) => {
      throw ended === 'abort' ? new RunnerError(`run of ${model.name} cancelled; ${killed}`) : error;
    });
    if (ended === 'abort')
      progress.warn(`${model.name}: the cancellation came after ${lines.who} had finished; its complete result is kept`);
    result.env = { ...result.env, runner: 'local', imageDigest: null };
    return result;
  } finally {
    await log.close();
  }
}
