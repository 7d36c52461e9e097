/**
 * The environment the Actions runner gives the action: EVERY input of action.yml as INPUT_*
 * with its default (the runner passes defaults, it never leaves an input unset), then what a
 * case overrides, plus the GITHUB_* files. What the tests of the defaults and of cancellation share.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../..');
export const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
const BUNDLE = join(ROOT, 'dist/index.js');
export const ACTION_ENTRY = existsSync(BUNDLE)
  ? [BUNDLE]
  : ['--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(ROOT, 'src/index.ts')];

/** Every input of action.yml with its default; `${{ github.token }}` becomes the token the runner would pass. */
export function actionDefaults(token = 'ghs_actions_token'): Record<string, string> {
  const doc = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: unknown }> };
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(doc.inputs)) {
    const value = spec.default === undefined || spec.default === null ? '' : String(spec.default);
    out[name] = value.replace(/\$\{\{\s*github\.token\s*\}\}/g, token);
  }
  return out;
}

/** INPUT_<NAME> as the runner writes it: upper case, spaces to underscores, dashes kept. */
function inputVar(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export interface ActionFiles {
  event: string;
  output: string;
  summary: string;
}

/** A push event's environment with every default input, overridden by `inputs`. */
export async function actionEnv(opts: {
  dir: string;
  workspace: string;
  inputs?: Record<string, string>;
  extra?: Record<string, string>;
  sha?: string;
}): Promise<{ env: Record<string, string>; files: ActionFiles }> {
  await mkdir(opts.dir, { recursive: true });
  const files = { event: join(opts.dir, 'event.json'), output: join(opts.dir, 'output'), summary: join(opts.dir, 'summary.md') };
  const sha = opts.sha ?? '0'.repeat(40);
  await writeFile(
    files.event,
    JSON.stringify({
      ref: 'refs/heads/feature',
      before: '0000000',
      after: sha,
      repository: { id: 1, name: 'ocr', full_name: 'paddle/ocr', default_branch: 'main', master_branch: 'main' },
      head_commit: { id: sha, message: 'change' },
    }),
  );
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? opts.dir,
    ORT_DISABLE_TELEMETRY: '1',
    RUNNER_TEMP: join(opts.dir, 'runner-temp'),
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_REPOSITORY: 'paddle/ocr',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_SHA: sha,
    GITHUB_REF: 'refs/heads/feature',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_RUN_ID: '1',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    ...opts.extra,
  };
  for (const [name, value] of Object.entries({ ...actionDefaults(), ...opts.inputs })) env[inputVar(name)] = value;
  return { env, files };
}

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
  /** Resolves once the combined output matches. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
}

/** Starts a Node entry with its output collected (stdout and stderr together). */
/** Node with `args`; `wrap` runs it under another program (e.g. `unshare --pid --fork --mount-proc`). */
export function start(args: string[], env: Record<string, string>, cwd: string, wrap: string[] = []): Spawned {
  const [command, ...prefix] = [...wrap, NODE];
  const child = spawn(command, [...prefix, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters: Array<{ pattern: RegExp; done: () => void }> = [];
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<number | null>((done) => child.on('close', (code, signal) => done(code ?? (signal ? -1 : null))));
  return {
    child,
    output: () => text,
    exit,
    waitFor: (pattern, timeoutMs = 120_000) =>
      new Promise<void>((done, fail) => {
        if (pattern.test(text)) return done();
        const timer = setTimeout(
          () => fail(new Error(`timed out waiting for ${pattern}; output so far:\n${text.slice(-3000)}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          done: () => {
            clearTimeout(timer);
            done();
          },
        });
        void exit.then(() => {
          clearTimeout(timer);
          if (!pattern.test(text)) fail(new Error(`exited before ${pattern}; output:\n${text.slice(-3000)}`));
        });
      }),
  };
}

/** The GITHUB_OUTPUT file's name<<delimiter blocks. */
export async function readOutputs(file: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of (await readFile(file, 'utf8')).matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}

/** This tree's sources through tsx (not dist/): acceptance and trust are judged by the code under test. */
export const SOURCES_TSX = ['--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href];

export interface SourceRun {
  code: number | null;
  /** stdout and stderr together, as the job log shows them. */
  stdout: string;
  outputs: Record<string, string>;
}

/**
 * One run of the action from the sources with only the inputs given (the acceptance and trust
 * tests set each input they depend on), an event payload, and the GitHub API at `apiUrl`.
 */
export async function runActionSources(o: {
  tmp: string;
  ws: string;
  apiUrl: string;
  repo: string;
  runId: string;
  event: string;
  payload: unknown;
  sha: string;
  ref: string;
  inputs: Record<string, string>;
}): Promise<SourceRun> {
  const dir = await mkdtemp(join(o.tmp, 'run-'));
  const files = { event: join(dir, 'event.json'), output: join(dir, 'output'), summary: join(dir, 'summary.md') };
  await writeFile(files.event, JSON.stringify(o.payload));
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? o.tmp,
    ORT_DISABLE_TELEMETRY: '1',
    PPG_CACHE_DIR: join(o.tmp, 'cache'),
    RUNNER_TEMP: join(o.tmp, 'runner-temp'),
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: o.ws,
    GITHUB_REPOSITORY: o.repo,
    GITHUB_EVENT_NAME: o.event,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_SHA: o.sha,
    GITHUB_REF: o.ref,
    GITHUB_API_URL: o.apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: o.runId,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
  };
  for (const [k, v] of Object.entries(o.inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(NODE, [...SOURCES_TSX, join(ROOT, 'src/index.ts')], { cwd: o.ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { code, stdout, outputs: await readOutputs(files.output) };
}
