/**
 * The base side of the A/B confirmation is the base commit as it was promoted (issue 9): the
 * baseline's commit checked out — by the gate itself (`git worktree add` of that commit into a temp
 * dir, removed afterwards) or by the workflow (`--base-checkout DIR` / input `base-checkout`,
 * verified to be at that commit) — with its own gate.yml at the same relative path, the model of the
 * same name, run with its own options. `baseline-path` stays as a shorthand for "the baseline's run
 * spec with another model file", allowed only when this model's spec equals the recorded one but
 * for the model hash.
 *
 * Anything that prevents building the base side refuses the confirmation with a one-line reason;
 * the stored verdict then stands (confirm.ts confirmationNotUsed).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { BaseSide } from './confirm.js';
import { loadConfig } from './config/load.js';
import { prepareDataset } from './dataset/prepare.js';
import { git } from './stores/git.js';
import { ConfigError } from './errors.js';
import type { Progress } from './ports.js';
import { describeDifferences, specDifferences } from './run-spec.js';
import type { Baseline, GatePlan, ModelPlan, RunSpec } from './types.js';

const short = (commit: string) => commit.slice(0, 12);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export type Built<T> = { ok: T } | { refused: string };

/** The base plan of one commit: its gate.yml loaded from the checkout. */
interface BasePlan {
  plan: GatePlan;
  /** gate.yml's path relative to the checkout root, for messages. */
  configRel: string;
  commit: string;
}

/**
 * Base checkouts for one gate run: one per baseline commit, made lazily and removed by cleanup()
 * (call it in a finally). With a prepared directory, that directory is used for every model and
 * verified to be at the baseline's commit.
 */
export class BaseCheckouts {
  private readonly made: string[] = [];
  private readonly plans = new Map<string, Promise<Built<BasePlan>>>();
  private repoRoot?: Promise<string>;

  constructor(
    private readonly opts: {
      /** Absolute path of this run's gate.yml. */
      configPath: string;
      /** A checkout the workflow prepared (`--base-checkout`); undefined: the gate makes worktrees. */
      dir?: string;
      progress: Progress;
    },
  ) {}

  /** Whether the workflow gave a directory (then it takes precedence over `baseline-path`). */
  get prepared(): boolean {
    return this.opts.dir !== undefined;
  }

  /** Checks a prepared directory up front: it must exist and be a git checkout (exit 2 otherwise). */
  static async checkDir(dir: string, what: string): Promise<string> {
    const abs = resolve(dir);
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isDirectory()) throw new ConfigError(`${what}: not a directory: ${abs}`);
    try {
      await git(abs, ['rev-parse', '--verify', 'HEAD^{commit}']);
    } catch (error) {
      throw new ConfigError(`${what}: ${abs} is not a git checkout with a commit (${message(error)})`);
    }
    return abs;
  }

  private root(): Promise<string> {
    this.repoRoot ??= git(dirname(this.opts.configPath), ['rev-parse', '--show-toplevel']).then((r) => resolve(r));
    return this.repoRoot;
  }

  /** The base's plan at `commit` (cached per commit). */
  planAt(commit: string): Promise<Built<BasePlan>> {
    let p = this.plans.get(commit);
    if (!p) {
      p = this.load(commit);
      this.plans.set(commit, p);
    }
    return p;
  }

  private async load(commit: string): Promise<Built<BasePlan>> {
    let root: string;
    try {
      root = await this.root();
    } catch (error) {
      return { refused: `no base checkout: ${this.opts.configPath} is not in a git checkout (${message(error)})` };
    }
    const configRel = relative(root, this.opts.configPath);
    if (configRel.startsWith('..') || configRel.startsWith(sep)) {
      return { refused: `no base checkout: ${this.opts.configPath} is outside the git checkout ${root}` };
    }
    let checkout: string;
    if (this.opts.dir !== undefined) {
      checkout = this.opts.dir;
      let head: string;
      let want: string | undefined;
      try {
        head = await git(checkout, ['rev-parse', 'HEAD']);
        want = await git(checkout, ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`]).catch(() => undefined);
      } catch (error) {
        return { refused: `base checkout ${checkout}: ${message(error)}` };
      }
      if ((want ?? commit) !== head) {
        return {
          refused: `base checkout ${checkout} is at ${short(head)}, not at the baseline's commit ${short(commit)}`,
        };
      }
    } else {
      try {
        await git(root, ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`]);
      } catch {
        return {
          refused: `the baseline's commit ${short(commit)} is not in this checkout (fetch the full history, e.g. actions/checkout with fetch-depth: 0, or pass base-checkout)`,
        };
      }
      const dir = await mkdtemp(join(tmpdir(), `ppg-base-${short(commit)}-`));
      try {
        await git(root, ['worktree', 'add', '--detach', '--force', dir, commit], 120_000);
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        return { refused: `git worktree add of ${short(commit)} failed: ${message(error)}` };
      }
      this.made.push(dir);
      this.opts.progress.info(`base checkout: ${short(commit)} in ${dir}`);
      checkout = dir;
    }
    const file = join(checkout, configRel);
    try {
      await stat(file);
    } catch {
      return { refused: `the base checkout (${short(commit)}) has no ${configRel}` };
    }
    try {
      return { ok: { plan: await loadConfig(file), configRel, commit } };
    } catch (error) {
      return { refused: `the base's ${configRel} (${short(commit)}) does not load: ${firstLine(message(error))}` };
    }
  }

  /** Models of the base's gate.yml at each loaded commit that this gate.yml no longer has. */
  async gone(names: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const p of this.plans.values()) {
      const built = await p;
      if (!('ok' in built)) continue;
      for (const m of built.ok.plan.models) {
        if (!names.includes(m.name))
          out.push(
            `${m.name}: in the base's ${built.ok.configRel} (${short(built.ok.commit)}) but not in this one: gone in this change, not judged`,
          );
      }
    }
    return out;
  }

  /** Removes the worktrees this gate made (never a prepared directory). */
  async cleanup(): Promise<void> {
    const root = this.made.length > 0 ? await this.root().catch(() => undefined) : undefined;
    for (const dir of this.made.splice(0)) {
      if (root) await git(root, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
    if (root) await git(root, ['worktree', 'prune']).catch(() => undefined);
  }
}

function firstLine(text: string): string {
  const lines = text.split('\n');
  return lines.length > 1 ? `${lines[0]} (+${lines.length - 1} more)` : text;
}

/**
 * The base side of one model's confirmation, or why there is none.
 * - no run record in the baseline: refused (it predates recording);
 * - a prepared checkout, or no `baseline-path`: the base commit's own model of the same name;
 * - `baseline-path`: this model's plan with the other file, only when the spec matches but the model.
 */
export async function baseSideFor(args: {
  model: ModelPlan;
  headSpec: RunSpec;
  baseline: Baseline;
  checkouts: BaseCheckouts;
  measure: GatePlan['measure'];
  dataset: BaseSide['dataset'];
  cacheDir: string;
  progress: Progress;
}): Promise<Built<BaseSide>> {
  const { model, baseline } = args;
  const recorded = baseline.run;
  if (!recorded) {
    return {
      refused: `the baseline (${short(baseline.commit)}) has no recorded run spec (promoted by an older paddle-perf-gate): promote the base again`,
    };
  }
  if (model.baselinePath !== undefined && !args.checkouts.prepared) {
    const diffs = specDifferences(recorded.spec, args.headSpec, { exceptModel: true });
    if (diffs.length > 0) {
      return {
        refused: `baseline-path only swaps the model file, but this run's spec differs from the baseline's in ${describeDifferences(diffs)}`,
      };
    }
    // The head's other-format program (ModelPlan.alternative) sits beside the head's file, not the base's.
    const { alternative: _headAlternative, ...swapped } = model;
    return {
      ok: {
        model: { ...swapped, path: model.baselinePath },
        measure: args.measure,
        dataset: args.dataset,
        from: `baseline-path ${model.baselinePath}`,
      },
    };
  }
  const built = await args.checkouts.planAt(baseline.commit);
  if (!('ok' in built)) return built;
  const { plan, configRel } = built.ok;
  const base = plan.models.find((m) => m.name === model.name);
  if (!base) {
    return { refused: `new in this change: the base's ${configRel} (${short(baseline.commit)}) has no model '${model.name}'` };
  }
  try {
    const dataset = await prepareDataset(base.dataset, args.cacheDir, args.progress);
    return { ok: { model: base, measure: plan.measure, dataset, from: `base checkout of ${short(baseline.commit)}` } };
  } catch (error) {
    return {
      refused: `the base's dataset of '${model.name}' (${short(baseline.commit)}) cannot be prepared: ${firstLine(message(error))}`,
    };
  }
}
