/**
 * What the docker and local runners share: finding a model's files, the job file the Python
 * harness reads, the harness's output lines, and reading back the run-result document.
 */
import { statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunnerError, SchemaError } from '../errors.js';
import { harnessStopping } from '../measure/stopping.js';
import type { Progress, RunRequest } from '../ports.js';
import type { RunResult } from '../types.js';
import { modelFiles, type ModelFiles } from '../model-files.js';
import { parseRunResult } from './result.js';
import { float32Copy } from '../dataset/samples.js';

const JOB_SCHEMA = 'paddle-perf-gate/job@1';
export const JOB_FILE = 'job.json';
export const RESULT_FILE = 'run.json';

/** Paths as the harness sees them (inside the container, or the host's for the local runner). */
export interface JobPaths {
  modelDir: string;
  datasetDir: string;
  output: string;
}

export function buildJob(request: RunRequest, files: ModelFiles, paths: JobPaths): Record<string, unknown> {
  const { model, measure, dataset } = request;
  const names = files.params ? [files.entry, files.params] : [files.entry];
  return {
    schema: JOB_SCHEMA,
    model: {
      name: model.name,
      format: model.format,
      entry: join(paths.modelDir, files.entry),
      params: files.params ? join(paths.modelDir, files.params) : null,
      files: names.map((name) => ({ name, path: join(paths.modelDir, name) })),
      // A directory with both Paddle formats: the harness picks by its Paddle's version (bench.py PaddleEngine._program).
      ...(files.alternative && {
        alternative: {
          format: 'paddle-pdmodel',
          entry: join(paths.modelDir, files.alternative.entry),
          params: join(paths.modelDir, files.alternative.params),
          files: [files.alternative.entry, files.alternative.params].map((name) => ({ name, path: join(paths.modelDir, name) })),
        },
      }),
    },
    task: model.task,
    engine: model.engine,
    measure,
    // Adaptive stopping is decided in the harness by the same rule as stopDecision (measure/stopping.ts).
    stopping: harnessStopping(measure),
    timingOnly: request.timingOnly === true,
    // Golden outputs for drift checks: the byte cap, by the rule of runners/golden.ts (harness: Golden).
    goldenBytes: request.goldenBytes ?? 0,
    // The harness reads the samples in chunks; a compact dataset (8-bit pixels) comes with the
    // widths and lookup table that rebuild its float32 tensors (see dataset/prepared.ts).
    dataset: { dir: paths.datasetDir, ids: dataset.ids, shape: dataset.shape, ...(dataset.encoding ? { encoding: dataset.encoding } : {}) },
    output: paths.output,
    // Set again just before the process/container starts: startupSeconds counts from there.
    launchedAt: null,
  };
}

/** Writes the job with `launchedAt` = now; call right before starting the harness. */
export async function writeJob(path: string, job: Record<string, unknown>): Promise<void> {
  await writeFile(path, JSON.stringify({ ...job, launchedAt: Date.now() / 1000 }, null, 1));
}

/** The harness shipped next to this module (src/runners/harness/bench.py, or dist/harness/bench.py). */
export function defaultHarnessPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'harness', 'bench.py'), join(here, 'runners', 'harness', 'bench.py')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next layout
    }
  }
  throw new RunnerError(`the Python harness bench.py is missing next to ${here} (expected harness/bench.py); reinstall paddle-perf-gate`);
}

/** Debian's onnxruntime prints these at import by the hundred: kept in the log, left out of error tails. */
const NOISE = /Schema error: Trying to register schema|^\s*$/;

/**
 * Splits the harness's output into lines: `PPG-PROGRESS`/`PPG-WARN` go to the Progress port,
 * `PPG-ERROR` is kept for the error message, everything else is log only.
 */
export class HarnessLines {
  readonly tail: string[] = [];
  readonly errors: string[] = [];
  /** The last stderr lines: where Python tracebacks, CUDA and TensorRT errors land. */
  readonly errTail: string[] = [];
  private partial = '';
  private errPartial = '';

  constructor(
    private readonly progress: Progress,
    private readonly prefix: string,
    private readonly sink: (text: string) => void,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** stderr: written to the log; its last lines go into an error message, never into a verdict. */
  pushErr(chunk: Buffer | string): void {
    this.sink(chunk.toString());
    const lines = (this.errPartial + chunk.toString()).split('\n');
    this.errPartial = lines.pop() ?? '';
    for (const line of lines) this.errLine(line);
  }

  private errLine(raw: string): void {
    const line = raw.replace(/\r$/, '');
    if (NOISE.test(line)) return;
    this.errTail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
    if (this.errTail.length > 12) this.errTail.shift();
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    if (this.errPartial) this.errLine(this.errPartial);
    this.errPartial = '';
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, '');
    this.sink(line + '\n');
    if (line.startsWith('PPG-PROGRESS ')) this.progress.info(`${this.prefix}${line.slice(13)}`);
    else if (line.startsWith('PPG-WARN ')) this.progress.warn(`${this.prefix}${line.slice(9)}`);
    else if (line.startsWith('PPG-ERROR ')) this.errors.push(line.slice(10));
    if (!NOISE.test(line)) {
      this.tail.push(line);
      if (this.tail.length > 12) this.tail.shift();
    }
  }

  /** "the harness exited with code 3: <its error>" or "...; last log lines: a | b | c". */
  describeExit(code: number | string): string {
    const what = typeof code === 'number' ? `exited with code ${code}` : `was ended by ${code}`;
    const error = this.errors.at(-1);
    const stderr = this.errTail.slice(-6).join(' | ');
    if (error) return `the harness ${what}: ${error}${stderr ? `; last stderr lines: ${stderr}` : ''}`;
    const last = this.tail.slice(-8).join(' | ');
    return `the harness ${what}; last log lines: ${last || '(no output)'}${stderr ? `; last stderr lines: ${stderr}` : ''}`;
  }
}

/** Reads and validates the document the harness (or the user's command) wrote. */
export async function readRunResult(path: string, lines: HarnessLines): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    const last = lines.tail.slice(-8).join(' | ');
    throw new RunnerError(
      `the harness exited with code 0 but wrote no run-result document at ${path}; last log lines: ${last || '(no output)'}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RunnerError(`run-result document invalid: ${path}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    return parseRunResult(json, path);
  } catch (error) {
    if (error instanceof SchemaError) throw new RunnerError(`run-result document invalid: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * What the docker and local runners do before starting the harness: refuse a cancelled run,
 * resolve the model's files and the harness, and make a fresh work directory (an old run.json
 * must never be read back as this run's result).
 */
export async function prepareRun(
  request: RunRequest,
  harnessPath: string | undefined,
  ownCommand = false,
): Promise<{ files: ModelFiles; harness: string; workDir: string; request: RunRequest }> {
  if (request.signal?.aborted) throw new RunnerError(`run of ${request.model.name} cancelled before it started`);
  const files = modelFiles(request.model);
  const harness = resolve(harnessPath ?? defaultHarnessPath());
  const workDir = resolve(request.workDir);
  await mkdir(workDir, { recursive: true });
  await rm(join(workDir, RESULT_FILE), { force: true });
  // A user's own command reads PPG_DATASET's float32 inputs.npy (its documented input): a compact
  // dataset is expanded for it into the work directory, in chunks. The harness reads either form.
  if (ownCommand && request.dataset.encoding) {
    const dataset = await float32Copy(request.dataset, join(workDir, 'dataset'));
    return { files, harness, workDir, request: { ...request, dataset } };
  }
  return { files, harness, workDir, request };
}
