/**
 * What every section builder of config/load.ts shares: the diagnostics (all problems are reported
 * together), the config's directory for relative paths, the CLI/action overrides, and the
 * document's types as read.ts hands them over, derived from the table of spec.ts.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
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

export class BuildContext {
  constructor(
    readonly diagnostics: Diagnostics,
    readonly baseDir: string,
    readonly overrides: ConfigOverrides,
  ) {}

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
