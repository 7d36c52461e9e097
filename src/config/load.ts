/**
 * gate.yml → GatePlan. Two passes over one document: read.ts checks every key against the
 * table of spec.ts; this file applies the rules that span fields (task ↔ dataset format,
 * runner ↔ engine, threshold units and order), resolves paths from the config's directory,
 * checks that the files exist, and fills the defaults. All problems are reported together,
 * one per line, each `file:line:col: field.path: what was expected`.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import type { GatePlan, PromoteOnVerdict } from '../types.js';
import { BuildContext, type ConfigOverrides, type RawGate } from './build/context.js';
import { buildModels } from './build/models.js';
import { buildRunner } from './build/runner.js';
import { buildMeasure, buildThresholds } from './build/measure.js';
import { buildFailOn, buildFingerprint, buildStore } from './build/store.js';
import { DEFAULT_CONFIRM_PAIRS, DEFAULT_GOLDEN_BYTES, DEFAULT_OUTPUT_DIR, DEFAULT_PARALLEL, DEFAULT_PROMOTE_ON } from './defaults.js';
import { Diagnostics, Reader, capLines, reportSecretKeys } from './read.js';
import { GATE_SPEC } from './spec.js';
import { decodeUtf8 } from './text.js';
import { aliasProblems, duplicateKeys } from './yaml-limits.js';

export type { ConfigOverrides } from './build/context.js';

// ───────────────────────────── entry points ─────────────────────────────

/** Reads and validates gate.yml; relative paths resolve from its directory. */
export async function loadConfig(file: string, overrides: ConfigOverrides = {}): Promise<GatePlan> {
  let bytes: Uint8Array;
  try {
    if (!(await stat(file)).isFile()) throw new ConfigError(`${file}: expected a gate.yml file, got a directory or device`);
    bytes = await readFile(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `${file}: config file not found (resolved: ${resolve(file)})`
        : `${file}: cannot read the config file: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw new ConfigError(tooLarge(file, bytes.length));
  const decoded = decodeUtf8(bytes, file);
  if ('problem' in decoded) throw new ConfigError(decoded.problem);
  return parseConfig(decoded.text, file, overrides);
}

/** Real gate.yml files are a few KB; a bigger one is generated or the wrong file, and parsing it would stall the run. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function tooLarge(file: string, bytes: number): string {
  return `${file}: the file is ${(bytes / 1024 / 1024).toFixed(1)} MiB, more than a gate configuration may be (${MAX_CONFIG_BYTES / 1024 / 1024} MiB): is it the right file?`;
}

/** Validates gate.yml text; `file` names it in messages and its directory is the base of relative paths. */
export function parseConfig(text: string, file: string, overrides: ConfigOverrides = {}): GatePlan {
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigError(tooLarge(file, Buffer.byteLength(text)));
  const lineCounter = new LineCounter();
  // Duplicate keys and alias expansion are checked by yaml-limits.ts: the library's own duplicate check is quadratic.
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  if (document.errors.length > 0) {
    // The tree after a syntax error is a guess: report only what the parser saw.
    const lines = document.errors.map((error) => {
      const position = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      const message = error.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
      return `${file}:${position.line}:${position.col}: YAML syntax: ${message}`;
    });
    throw new ConfigError(capLines(lines).join('\n'));
  }
  const structural = [...duplicateKeys(document), ...aliasProblems(document)];
  if (structural.length > 0) {
    const lines = structural.map(({ offset, message, firstOffset }) => {
      const { line, col } = lineCounter.linePos(offset);
      const first = firstOffset === undefined ? '' : ` (first at line ${lineCounter.linePos(firstOffset).line})`;
      return `${file}:${line}:${col}: YAML: ${message}${first}`;
    });
    throw new ConfigError(capLines(lines).join('\n'));
  }

  const diagnostics = new Diagnostics();
  reportSecretKeys(document, diagnostics);
  const contents = document.contents;
  const emptyDocument = contents === null || (typeof contents === 'object' && 'value' in contents && contents.value === null);
  if (emptyDocument) diagnostics.error('', 'the file is empty: expected a mapping with at least `gate` and `models`');
  const raw = (emptyDocument ? undefined : new Reader(document, diagnostics).read(contents, GATE_SPEC, '', 0)) as RawGate | undefined;

  const configPath = resolve(file);
  const dataDirs = (raw?.['data-dirs'] ?? []).filter((d): d is string => typeof d === 'string');
  const plan = raw ? build(new BuildContext(diagnostics, dirname(configPath), overrides, dataDirs), raw, configPath) : undefined;
  if (diagnostics.list.length > 0 || !plan) throw new ConfigError(diagnostics.format(file, lineCounter).join('\n'));
  return plan;
}

// ───────────────────────────── the plan, section by section (build/) ─────────────────────────────

function build(ctx: BuildContext, raw: RawGate, configPath: string): GatePlan | undefined {
  const built = buildModels(ctx, raw);
  const plan: GatePlan = {
    gate: raw.gate ?? '',
    configPath,
    baseDir: ctx.baseDir,
    models: built.map(({ plan }) => plan),
    runner: buildRunner(ctx, raw.runner ?? {}, built),
    measure: buildMeasure(ctx, raw.measure ?? {}),
    thresholds: buildThresholds(ctx, raw.thresholds ?? {}),
    store: buildStore(ctx, raw.store),
    output: {
      dir:
        ctx.overrides.outputDir !== undefined
          ? resolve(ctx.overrides.outputDir)
          : resolve(ctx.baseDir, raw.output?.dir ?? DEFAULT_OUTPUT_DIR),
    },
    fingerprintFields: buildFingerprint(ctx, raw.fingerprint),
    failOn: buildFailOn(ctx, raw['fail-on']),
    promoteOn:
      raw['promote-on'] !== undefined
        ? raw['promote-on'].filter((verdict): verdict is PromoteOnVerdict => verdict !== undefined)
        : [...DEFAULT_PROMOTE_ON],
    ...((ctx.overrides.promoteFailure ?? raw['promote-failure']) !== undefined && {
      promoteFailure: ctx.overrides.promoteFailure ?? raw['promote-failure'],
    }),
    // A model's baseline-path exists for the confirmation: it turns it on with the default pairs.
    ...((raw.confirm !== undefined || built.some(({ plan: m }) => m.baselinePath !== undefined)) && {
      confirm: { pairs: raw.confirm?.pairs ?? DEFAULT_CONFIRM_PAIRS },
    }),
    ...(raw['thresholds-from-history'] !== undefined && { thresholdsFromHistory: raw['thresholds-from-history'] }),
    goldenBytes: raw.measure?.['golden-bytes'] ?? DEFAULT_GOLDEN_BYTES,
    parallel: raw.parallel ?? DEFAULT_PARALLEL,
  };
  return ctx.diagnostics.list.length > 0 ? undefined : plan;
}
