/**
 * The import boundaries of docs/ARCHITECTURE.md, checked against the code: every relative import
 * under src/ (static, `export … from`, `import type` and dynamic `import()`) is read with the
 * TypeScript parser, each file is placed in its stage, and an import of a later stage fails.
 * Stages that do not exist yet on a branch (src/text/, src/publish/) are simply empty.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * The stages, earliest first: a module may import its own stage and the ones above it in this
 * list, never one below. Paths are relative to src/; a directory covers every file under it; the
 * most specific entry wins. Keep this table and the picture in docs/ARCHITECTURE.md together.
 */
const STAGES: ReadonlyArray<{ stage: string; paths: readonly string[] }> = [
  {
    stage: 'kernel',
    paths: [
      'types.ts',
      'errors.ts',
      'version.ts',
      'defined.ts',
      'plural.ts',
      'ports.ts',
      'dataset/prepared.ts',
      'fingerprint.ts',
      'model-files.ts',
      'secrets.ts',
    ],
  },
  { stage: 'config', paths: ['config/'] },
  { stage: 'inputs', paths: ['dataset/', 'stores/', 'run-spec.ts'] },
  { stage: 'measure', paths: ['measure/'] },
  { stage: 'runners', paths: ['runners/'] },
  { stage: 'judge', paths: ['compare/', 'confirm.ts', 'base-side.ts'] },
  { stage: 'render', paths: ['text/', 'report/'] },
  { stage: 'publish', paths: ['publish/', 'github/', 'notify/'] },
  { stage: 'pipeline', paths: ['gate.ts', 'preflight.ts', 'compare-files.ts', 'shard.ts'] },
  { stage: 'entries', paths: ['index.ts', 'action.ts', 'action-inputs.ts', 'cli.ts', 'signals.ts'] },
];

/** Rules the issue names, stated on their own so a failure says which one broke. */
const FORBIDDEN: ReadonlyArray<{ from: readonly string[]; to: readonly string[]; why: string }> = [
  {
    from: ['compare/', 'measure/', 'confirm.ts'],
    to: ['report/', 'notify/', 'publish/', 'text/'],
    why: 'judging never renders: reasons are structured data, worded by text/ in report/ and notify/',
  },
  { from: ['runners/'], to: ['compare/', 'config/'], why: 'runners know nothing of config or verdicts: they get a resolved plan' },
];

/**
 * Imports that break a rule today and are being removed. Exact: an entry that no longer occurs
 * fails too, so this list can only shrink. (Empty since compare/ and confirm.ts return structured
 * reasons that text/ words.)
 */
const PENDING: readonly string[] = [];

function stageOf(file: string): string | undefined {
  let best: { stage: string; length: number } | undefined;
  for (const { stage, paths } of STAGES) {
    for (const path of paths) {
      const hit = path.endsWith('/') ? file.startsWith(path) : file === path;
      if (hit && (!best || path.length > best.length)) best = { stage, length: path.length };
    }
  }
  return best?.stage;
}

const rank = (stage: string) => STAGES.findIndex((s) => s.stage === stage);
const under = (file: string, paths: readonly string[]) => paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p));

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(SRC, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

interface Edge {
  from: string;
  to: string;
}

/** Every relative import of every file under src/, resolved to a path relative to src/. */
function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sources(SRC)) {
    const info = ts.preProcessFile(readFileSync(join(SRC, file), 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(join(SRC, file)), fileName).replace(/\.js$/, '.ts');
      const rel = relative(SRC, target).split(sep).join('/');
      if (rel.startsWith('..')) continue; // package.json for the version
      out.push({ from: file, to: rel });
    }
  }
  return out;
}

describe('architecture: imports follow the stages of docs/ARCHITECTURE.md', () => {
  const all = edges();

  it('reads the imports (the parser sees static, type-only and dynamic imports)', () => {
    expect(all.length).toBeGreaterThan(100);
    expect(all).toContainEqual({ from: 'runners/embedded.ts', to: 'measure/stopping.ts' });
    expect(all).toContainEqual({ from: 'index.ts', to: 'action.ts' });
  });

  it('places every file under src/ in a stage', () => {
    expect(sources(SRC).filter((f) => stageOf(f) === undefined)).toEqual([]);
  });

  it('no module imports a later stage', () => {
    const upward = all
      .filter((e) => rank(stageOf(e.to) ?? 'kernel') > rank(stageOf(e.from) ?? 'kernel'))
      .map((e) => `${e.from} imports ${e.to}`)
      .filter((line) => !PENDING.includes(line));
    expect(upward).toEqual([]);
  });

  it.each(FORBIDDEN)('$from imports nothing from $to: $why', ({ from, to }) => {
    const broken = all
      .filter((e) => under(e.from, from) && under(e.to, to))
      .map((e) => `${e.from} imports ${e.to}`)
      .filter((line) => !PENDING.includes(line));
    expect(broken).toEqual([]);
  });

  it('every pending exception still occurs (remove it from PENDING once fixed)', () => {
    const lines = new Set(all.map((e) => `${e.from} imports ${e.to}`));
    expect(PENDING.filter((line) => !lines.has(line))).toEqual([]);
  });

  it('Docker is reached through the ContainerEngine port: only its one implementation imports dockerode', () => {
    const users = sources(SRC).filter((file) =>
      ts.preProcessFile(readFileSync(join(SRC, file), 'utf8'), true, true).importedFiles.some((f) => f.fileName === 'dockerode'),
    );
    expect(users).toEqual(['runners/dockerode-engine.ts']);
  });

  it('the rules catch an upward import (a runner importing config, compare importing report)', () => {
    const bad: Edge[] = [
      { from: 'runners/job.ts', to: 'config/defaults.ts' },
      { from: 'compare/index.ts', to: 'report/format.ts' },
      { from: 'measure/index.ts', to: 'text/index.ts' },
    ];
    const flagged = (e: Edge) =>
      rank(stageOf(e.to)!) > rank(stageOf(e.from)!) || FORBIDDEN.some((r) => under(e.from, r.from) && under(e.to, r.to));
    expect(bad.map(flagged)).toEqual([true, true, true]);
    expect(flagged({ from: 'report/index.ts', to: 'compare/index.ts' })).toBe(false);
  });
});
