/**
 * What every section builder of config/load.ts shares: the diagnostics (all problems are reported
 * together), the config's directory for relative paths, the CLI/action overrides, and the
 * document's types as read.ts hands them over, derived from the table of spec.ts.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FailOnVerdict, ModelPlan, StorePlan } from '../../types.js';
import type { Diagnostics } from '../read.js';
import type { GATE_SPEC, RawOf } from '../spec.js';

export interface ConfigOverrides {
  runner?: 'embedded' | 'docker' | 'local';
  image?: string;
  /** Path override for a single-model gate (relative paths resolve from the working directory). */
  model?: string;
  outputDir?: string;
  /** A store replacing gate.yml's `store:` (CLI --store-dir, the action's s3-* inputs): one way for both entries. */
  store?: StorePlan;
  failOn?: FailOnVerdict[];
  /** The action's promote-failure input, the CLI's --promote-failure. */
  promoteFailure?: 'warn' | 'fail';
}

export type RawGate = RawOf<typeof GATE_SPEC>;
export type RawEngine = NonNullable<RawGate['engine']>;
export type RawModel = NonNullable<NonNullable<RawGate['models']>[number]>;
export type RawDataset = NonNullable<RawModel['dataset']>;
export type RawPreprocess = NonNullable<RawDataset['preprocess']>;
export type RawRunner = NonNullable<RawGate['runner']>;
export type RawMeasure = NonNullable<RawGate['measure']>;
export type RawThreshold = NonNullable<NonNullable<RawGate['thresholds']>[string]>;
export type RawStore = NonNullable<RawGate['store']>;

/** A model plan and where its settings came from in gate.yml, for messages. */
export interface BuiltModel {
  plan: ModelPlan;
  path: string;
  engineOrigin: (field: keyof RawEngine) => string;
}

/** The directory the action (or the CLI) is installed in: its example data and bundled models may be read. */
function ownRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      if (statSync(join(dir, 'action.yml')).isFile()) return dir;
    } catch {
      // not here
    }
    dir = dirname(dir);
  }
  return undefined;
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export class BuildContext {
  /** Where data paths may point (issue 25): the workspace, gate.yml's directory, the action's own files, `data-dirs`. */
  readonly dataRoots: string[];

  constructor(
    readonly diagnostics: Diagnostics,
    readonly baseDir: string,
    readonly overrides: ConfigOverrides,
    dataDirs: readonly string[] = [],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const own = ownRoot();
    this.dataRoots = [
      env['GITHUB_WORKSPACE'] || process.cwd(),
      baseDir,
      ...(own ? [own] : []),
      ...dataDirs.map((d) => resolve(baseDir, d)),
    ].map(real);
  }

  /**
   * A data file or directory from gate.yml (labels, image root, dictionary, inputs): as
   * `existing`, and inside one of dataRoots once links are followed, so gate.yml cannot make the
   * gate read (and quote in an error) a file elsewhere on the runner.
   */
  dataPath(path: string, value: string, kind: 'file' | 'dir', what: string): string {
    const absolute = this.existing(path, value, kind, what);
    if (this.diagnostics.bad.has(path)) return absolute;
    const target = real(absolute);
    if (!this.dataRoots.some((root) => inside(target, root))) {
      this.error(
        path,
        `${what} ${absolute} is outside the workspace and gate.yml's directory; name its directory in \`data-dirs\` to read data from there`,
      );
    }
    return absolute;
  }

  /** One problem per field: the reader's own error for a field wins over a later rule's. */
  error(path: string, message: string): void {
    if (!this.diagnostics.bad.has(path)) this.diagnostics.error(path, message);
  }

  /** An absolute path from gate.yml, checked to be a file or a directory. */
  existing(path: string, value: string, kind: 'file' | 'dir', what: string): string {
    const absolute = resolve(this.baseDir, value);
    let actual: 'file' | 'dir' | undefined;
    try {
      const stats = statSync(absolute);
      actual = stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : undefined;
    } catch {
      actual = undefined;
    }
    if (actual === undefined) this.error(path, `${what} not found: ${absolute}`);
    else if (actual !== kind)
      this.error(
        path,
        `expected ${kind === 'file' ? 'a file' : 'a directory'} (${what}), got a ${actual === 'dir' ? 'directory' : 'file'}: ${absolute}`,
      );
    return absolute;
  }
}
