/**
 * What the docker and local runners share: finding a model's files, the job file the Python
 * harness reads, the harness's output lines, and reading back the run-result document.
 */
import { maskSecrets } from '../secrets.js';
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
import { LineSplitter, messageLine } from './lines.js';

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
 * The harness's output as lines (lines.ts: one pass, each line cut to its head and tail):
 * `PPG-PROGRESS`/`PPG-WARN` go to the Progress port, `PPG-ERROR` is kept for the error message,
 * everything else is log only. `who` names the program in messages: "the harness", or the
 * user's own `runner.command`.
 */
export class HarnessLines {
  readonly tail: string[] = [];
  readonly errors: string[] = [];
  /** The last stderr lines: where Python tracebacks, CUDA and TensorRT errors land. */
  readonly errTail: string[] = [];
  /** The harness reported `done` (it writes its result, atomically, before that line). */
  finished = false;
  private readonly out = new LineSplitter((line) => this.line(line));
  private readonly err = new LineSplitter((line) => this.errLine(line));

  constructor(
    private readonly progress: Progress,
    private readonly prefix: string,
    private readonly sink: (text: string) => void,
    readonly who = 'the harness',
  ) {}

  push(chunk: Buffer | string): void {
    this.out.push(chunk);
  }

  /** stderr: written to the log line by line; its last lines go into an error message, never into a verdict. */
  pushErr(chunk: Buffer | string): void {
    this.err.push(chunk);
  }

  private errLine(raw: string): void {
    // Masked like the job log (secrets.ts): the tail goes into error messages and the log file is archived.
    const line = maskSecrets(raw);
    this.sink(line + '\n');
    if (NOISE.test(line)) return;
    keepLast(this.errTail, messageLine(line, 400));
  }

  end(): void {
    this.out.end();
    this.err.end();
  }

  private line(raw: string): void {
    const line = maskSecrets(raw);
    this.sink(line + '\n');
    if (line.startsWith('PPG-PROGRESS done')) this.finished = true;
    if (line.startsWith('PPG-PROGRESS ')) this.progress.info(`${this.prefix}${messageLine(line.slice(13), 2000)}`);
    else if (line.startsWith('PPG-WARN ')) this.progress.warn(`${this.prefix}${messageLine(line.slice(9), 2000)}`);
    else if (line.startsWith('PPG-ERROR ')) keepLast(this.errors, messageLine(line.slice(10), 2000));
    if (!NOISE.test(line)) keepLast(this.tail, messageLine(line));
  }

  /** "the harness exited with code 3: <its error>" or "...; last log lines: a | b | c". */
  describeExit(code: number | string): string {
    const what = typeof code === 'number' ? `exited with code ${code}` : `was ended by ${code}`;
    const error = this.errors.at(-1);
    const stderr = this.errTail.slice(-6).join(' | ');
    if (error) return `${this.who} ${what}: ${error}${stderr ? `; last stderr lines: ${stderr}` : ''}`;
    const last = this.tail.slice(-8).join(' | ');
    return `${this.who} ${what}; last log lines: ${last || '(no output)'}${stderr ? `; last stderr lines: ${stderr}` : ''}`;
  }
}

/** At most 12 entries, the newest last. */
function keepLast(list: string[], item: string): void {
  list.push(item);
  if (list.length > 12) list.shift();
}

/** How a user's own `runner.command` is named in messages (cut: a long inline script stays readable). */
export function commandName(command: readonly string[]): string {
  return `the command ${JSON.stringify(messageLine(command.join(' '), 200))}`;
}

/** Reads and validates the document the harness (or the user's command) wrote. */
export async function readRunResult(path: string, lines: HarnessLines): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    const last = lines.tail.slice(-8).join(' | ');
    throw new RunnerError(
      `${lines.who} exited with code 0 but wrote no run-result document at ${path}; last log lines: ${last || '(no output)'}`,
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
