/**
 * A generated corpus of hostile and careless input (issue 12), seeded and reproducible:
 * the project's own gate.yml files, label files and report.json, mutated — keys deleted, types
 * swapped, huge / negative / NaN / infinite numbers, impossible thresholds, unicode, deep
 * nesting, alias bombs, other encodings, truncation, stray bytes, devices as paths. For every
 * case: exit 0, 1 or 2 within seconds; never a stack trace, "undefined" or "[object Object]";
 * never a write to the store on exit 2.
 *
 * 1,100 cases run in-process through the same functions the CLI calls (loadConfig,
 * prepareDataset, compareFiles + renderMarkdown; an error that is not a GateError is what the
 * CLI prints with a stack, so it fails the property). A dozen more go through the real CLI
 * binary (dist/cli.js: `npm run build` first), with a baseline in a real file store.
 *
 * Reproduce a failure: PPG_CORPUS_SEED=<seed printed by fast-check> npx vitest run __tests__/corpus
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { compareFiles } from '../../src/compare-files.js';
import { DEFAULT_FINGERPRINT_FIELDS, DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';
import { prepareDataset } from '../../src/dataset/prepare.js';
import { GateError } from '../../src/errors.js';
import { renderJson, renderMarkdown } from '../../src/report/index.js';
import { FileStore } from '../../src/stores/index.js';
import { BASELINE_SCHEMA, type DatasetPlan } from '../../src/types.js';
import { DATA, MODELS, ROOT, runCli, tinyGate } from '../helpers/cli.js';
import { ocrMetrics, report as fixtureReport } from '../report/fixture.js';

const SEED = Number(process.env['PPG_CORPUS_SEED'] ?? 20_261_129);
const RUNS = { gate: 600, labels: 200, report: 300 };
/** Generous: parsing and validating take milliseconds; a hang (alias bomb, quadratic check) takes minutes. */
const IN_PROCESS_MS = 5_000;
const CLI_MS = 20_000;

// ───────────────────────────── what every outcome must look like ─────────────────────────────

interface Outcome {
  code: 0 | 1 | 2;
  text: string;
}

/** The CLI's own rule (cli.ts): a GateError is exit 2 with its message; anything else would print a stack trace. */
async function outcome(run: () => Promise<{ failed?: boolean; text?: string }>): Promise<Outcome> {
  try {
    const result = await run();
    return { code: result.failed ? 1 : 0, text: result.text ?? '' };
  } catch (error) {
    if (error instanceof GateError) return { code: 2, text: `paddle-perf-gate: ${error.name}: ${error.message}` };
    throw new Error(`not a GateError (the CLI would print a stack trace): ${error instanceof Error ? error.stack : String(error)}`);
  }
}

function expectClean(text: string, what: string): void {
  const say = `${what}:\n${text.slice(0, 2000)}`;
  expect(text, say).not.toMatch(/\bundefined\b/);
  expect(text, say).not.toMatch(/\[object Object\]/);
  expect(text, say).not.toMatch(/^\s+at .+(:\d+:\d+\)?|\(native\))$/m);
  expect(text, say).not.toMatch(/(TypeError|RangeError|ReferenceError|SyntaxError): /);
}

async function timed(run: () => Promise<Outcome>): Promise<Outcome & { ms: number }> {
  const start = performance.now();
  const result = await run();
  return { ...result, ms: performance.now() - start };
}

// ───────────────────────────── mutations ─────────────────────────────

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** Values a careless or hostile author writes where something else belongs. */
const weird: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    true,
    false,
    0,
    -1,
    1e308,
    -1e308,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53 + 1,
    0.1,
    '',
    ' ',
    '\u0000',
    'x-->',
    '<!-- -->',
    '150pp',
    '150%',
    '-5%',
    `1${'0'.repeat(400)}ms`,
    '0%',
    '../../../../etc/passwd',
    '/dev/zero',
    'null',
    '💥🔥',
    'ℌ\u202e\u200b',
    'a'.repeat(5000),
    [],
    {},
    ['a'],
    { x: 1 },
    '__INF__',
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 4 }),
);

const op = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: weird }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      at: fc.nat(),
      key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('token', 'password', '__proto__', 'constructor', '<<')),
      value: weird,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nest' as const), at: fc.nat(), depth: fc.integer({ min: 10, max: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('grow' as const), at: fc.nat(), times: fc.integer({ min: 2, max: 200 }) }) },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function paths(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => out.push(...paths(item, [...prefix, i])));
  else if (value !== null && typeof value === 'object')
    for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, key]));
  return out;
}

function parentOf(root: Json, path: Path): { parent: Json; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let node: Json = root;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, Json>)[key] ?? null;
  return { parent: node, key: path[path.length - 1]! };
}

function mutate(seed: Json, ops: Op[]): Json {
  let doc = structuredClone(seed);
  for (const o of ops) {
    const all = paths(doc);
    const path = all[o.at % all.length]!;
    const place = parentOf(doc, path);
    const target = place ? (place.parent as Record<string | number, Json>)[place.key]! : doc;
    const set = (value: Json) => {
      if (!place) doc = value;
      else (place.parent as Record<string | number, Json>)[place.key] = value;
    };
    switch (o.kind) {
      case 'delete':
        if (!place) doc = null;
        else if (Array.isArray(place.parent)) place.parent.splice(Number(place.key), 1);
        else delete (place.parent as Record<string, Json>)[place.key];
        break;
      case 'replace':
        set(o.value);
        break;
      case 'add':
        if (target !== null && typeof target === 'object' && !Array.isArray(target))
          Object.defineProperty(target, o.key, { value: o.value, enumerable: true, writable: true, configurable: true });
        else if (Array.isArray(target)) target.push(o.value);
        break;
      case 'nest': {
        let value: Json = target;
        for (let i = 0; i < o.depth; i++) value = i % 2 ? [value] : { n: value };
        set(value);
        break;
      }
      case 'grow':
        set(Array.from({ length: o.times }, () => structuredClone(target)));
        break;
    }
  }
  return doc;
}

/** A billion-laughs block: 9 levels of 9 aliases. */
const BOMB =
  'lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' +
  Array.from({ length: 8 }, (_, i) => `lol${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]\n`).join('');

const bytesOp = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'none' as const, at: 0 }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'utf16le-bom' as const,
        'utf16le' as const,
        'utf16be' as const,
        'utf32le-bom' as const,
        'latin1' as const,
        'nul' as const,
        'truncate' as const,
        'bom8' as const,
        'crlf' as const,
        'tab' as const,
        'dup-line' as const,
        'bomb' as const,
        'keys' as const,
      ),
      at: fc.nat(),
    }),
  },
);
type BytesOp = typeof bytesOp extends fc.Arbitrary<infer T> ? T : never;

function mutateBytes(text: string, o: BytesOp, yaml: boolean): Buffer {
  const lines = text.split('\n');
  const line = o.at % Math.max(1, lines.length);
  switch (o.kind) {
    case 'none':
      return Buffer.from(text);
    case 'utf16le-bom':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'utf16be':
      return Buffer.from(text, 'utf16le').swap16();
    case 'utf32le-bom': {
      const cps = [...text].map((c) => c.codePointAt(0)!);
      const out = Buffer.alloc(4 + cps.length * 4);
      out.writeUInt32LE(0xfeff, 0);
      cps.forEach((cp, i) => out.writeUInt32LE(cp, 4 + i * 4));
      return out;
    }
    case 'latin1': {
      const b = Buffer.from(text);
      const at = o.at % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from([0xe9, 0xff]), b.subarray(at)]);
    }
    case 'nul': {
      const b = Buffer.from(text);
      const at = o.at % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from([0]), b.subarray(at)]);
    }
    case 'truncate': {
      const b = Buffer.from(text);
      return b.subarray(0, o.at % (b.length + 1));
    }
    case 'bom8':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case 'crlf':
      return Buffer.from(text.replace(/\n/g, '\r\n'));
    case 'tab':
      lines[line] = `\t${lines[line]}`;
      return Buffer.from(lines.join('\n'));
    case 'dup-line':
      lines.splice(line, 0, lines[line]!);
      return Buffer.from(lines.join('\n'));
    case 'bomb':
      return Buffer.from(yaml ? `${text}\n${BOMB}` : `${text}\n${BOMB.replace(/\n/g, '\t\n')}`);
    case 'keys':
      return Buffer.from(`${text}\n${Array.from({ length: 3000 }, (_, i) => `k${i % 1500}: ${i}`).join('\n')}\n`);
  }
}

// ───────────────────────────── the project's own seeds ─────────────────────────────

let dir: string;
let demoDir: string;
let storeDir: string;
let cacheDir: string;

/** Every file under `d` with its bytes: the store must be byte-identical after an exit 2. */
function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    for (const entry of readdirSync(p, { withFileTypes: true })) {
      const child = join(p, entry.name);
      if (entry.isDirectory()) walk(child);
      else out[child.slice(d.length)] = readFileSync(child).toString('base64');
    }
  };
  walk(d);
  return out;
}

const gateSeeds: Array<{ name: string; doc: Json }> = [];
let reportSeed: Json;
let baseReportFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ppg-corpus-'));
  // The demo gate.yml files use paths relative to examples/demo: give them the same surroundings.
  demoDir = join(dir, 'examples', 'demo');
  mkdirSync(demoDir, { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(ROOT, 'examples', 'data'), join(dir, 'examples', 'data'));
  storeDir = join(dir, 'store');
  cacheDir = join(dir, 'cache');
  for (const name of ['gate.yml', 'gate-wide.yml']) {
    gateSeeds.push({ name, doc: parseYaml(readFileSync(join(ROOT, 'examples', 'demo', name), 'utf8')) as Json });
  }
  gateSeeds.push({ name: 'tiny', doc: parseYaml(tinyGate({ storeDir, outDir: join(dir, 'out'), limit: 4 })) as Json });

  // A report as `run` writes it (real compare/, real renderJson), trimmed to 20 samples so mutations hit every part.
  const trim = (m: ReturnType<typeof ocrMetrics>) => {
    const line = m.metrics[0]!;
    line.perSample = { ids: line.perSample!.ids.slice(0, 20), ok: line.perSample!.ok.slice(0, 20) };
    return { ...m, samples: 20, decoded: m.decoded!.slice(0, 20) };
  };
  const base = trim(ocrMetrics({ wrong: 1, latencyScale: 1, gpuMb: 900 }));
  const head = trim(ocrMetrics({ wrong: 2, latencyScale: 1.3, gpuMb: 990 }));
  baseReportFile = join(dir, 'base-report.json');
  writeFileSync(baseReportFile, renderJson(fixtureReport([{ head: base }])));
  reportSeed = JSON.parse(renderJson(fixtureReport([{ base, head }]))) as Json;

  // A stored baseline for the CLI cases: what must survive every exit 2 byte for byte.
  await new FileStore(storeDir).put(
    { repo: 'o/r', gate: 'tiny', model: 'PP-OCRv4-rec', fingerprintHash: 'f'.repeat(16) },
    {
      schema: BASELINE_SCHEMA,
      gate: 'tiny',
      model: 'PP-OCRv4-rec',
      repo: 'o/r',
      commit: 'a'.repeat(40),
      branch: 'main',
      createdAt: '2026-11-20T10:00:00.000Z',
      fingerprint: {},
      fingerprintHash: 'f'.repeat(16),
      metrics: base,
    },
  );
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const gateCase = fc.record({
  seed: fc.nat(),
  ops: fc.array(op, { minLength: 0, maxLength: 3 }),
  bytes: bytesOp,
});
type GateCase = typeof gateCase extends fc.Arbitrary<infer T> ? T : never;

function gateBytes(c: GateCase): Buffer {
  const seed = gateSeeds[c.seed % gateSeeds.length]!;
  const doc = mutate(seed.doc, c.ops);
  let text: string;
  try {
    text = stringifyYaml(doc, { aliasDuplicateObjects: false });
  } catch {
    text = String(doc);
  }
  return mutateBytes(text, c.bytes, true);
}

// ───────────────────────────── in-process: 1,100 cases ─────────────────────────────

describe('generated corpus, in-process', () => {
  it(`gate.yml: ${RUNS.gate} mutations of the project's gate.yml files → exit 0 or 2, a clean message, within seconds`, async () => {
    const file = join(demoDir, 'gate.yml');
    const codes = { 0: 0, 2: 0 };
    await fc.assert(
      fc.asyncProperty(gateCase, async (c) => {
        writeFileSync(file, gateBytes(c));
        const result = await timed(() => outcome(async () => (await loadConfig(file), {})));
        expect(result.ms).toBeLessThan(IN_PROCESS_MS);
        expect([0, 2]).toContain(result.code);
        expectClean(result.text, 'gate.yml');
        if (result.code === 2) expect(result.text.split('\n').length).toBeLessThanOrEqual(50);
        codes[result.code as 0 | 2] += 1;
      }),
      { seed: SEED, numRuns: RUNS.gate, endOnFailure: true },
    );
    // The corpus exercises both sides: some mutations stay valid, most are refused.
    expect(codes[0]).toBeGreaterThan(10);
    expect(codes[2]).toBeGreaterThan(RUNS.gate / 2);
  }, 300_000);

  it(`label files: ${RUNS.labels} mutations of the shipped OCR and classifier label files → exit 0 or 2, clean`, async () => {
    const rec =
      readFileSync(join(DATA, 'ocr-rec', 'rec_gt.txt'), 'utf8')
        .split('\n')
        .slice(0, 3)
        .join('\n') + '\n';
    const cls =
      readFileSync(join(DATA, 'ocr-cls', 'cls_gt.txt'), 'utf8')
        .split('\n')
        .slice(0, 3)
        .join('\n') + '\n';
    const lineOp = fc.record({
      kind: fc.constantFrom('delete', 'image', 'label', 'sep', 'blank', 'columns'),
      at: fc.nat(),
      value: fc.oneof(
        fc.constantFrom(
          '/dev/zero',
          '../../../../etc/passwd',
          'missing.png',
          '.',
          '',
          ' ',
          '-1',
          '7',
          '1e999',
          'NaN',
          '180',
          '0x1',
          '\u0000',
        ),
        fc.string({ maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
      ),
    });
    const labelCase = fc.record({ cls: fc.boolean(), ops: fc.array(lineOp, { maxLength: 3 }), bytes: bytesOp });
    const codes = { 0: 0, 2: 0 };
    await fc.assert(
      fc.asyncProperty(labelCase, async (c) => {
        const sep = c.cls ? ' ' : '\t';
        const lines = (c.cls ? cls : rec).trimEnd().split('\n');
        for (const o of c.ops) {
          const i = o.at % Math.max(1, lines.length);
          const [image = '', label = ''] = (lines[i] ?? '').split(sep);
          if (o.kind === 'delete') lines.splice(i, 1);
          else if (o.kind === 'image') lines[i] = `${o.value}${sep}${label}`;
          else if (o.kind === 'label') lines[i] = `${image}${sep}${o.value}`;
          else if (o.kind === 'sep') lines[i] = `${image}${sep === ' ' ? '\t' : ' '}${label}`;
          else if (o.kind === 'blank') lines.splice(i, 0, '');
          else lines[i] = `${image}${sep}${label}${sep}${o.value}`;
        }
        const labels = join(dir, c.cls ? 'cls_gt.txt' : 'rec_gt.txt');
        writeFileSync(labels, mutateBytes(`${lines.join('\n')}\n`, c.bytes, false));
        const plan: DatasetPlan = c.cls
          ? {
              format: 'image-list',
              labels,
              root: join(DATA, 'ocr-cls'),
              classNames: ['0', '180'],
              preprocess: { kind: 'ppocr-cls', shape: [3, 48, 192] },
            }
          : {
              format: 'ppocr-rec',
              labels,
              root: join(DATA, 'ocr-rec'),
              dictionary: join(MODELS, 'ppocr_keys_v1.txt'),
              preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320] },
            };
        const warnings: string[] = [];
        const result = await timed(() =>
          outcome(async () => {
            await prepareDataset(plan, cacheDir, { info: () => {}, warn: (m) => warnings.push(m) });
            return { text: warnings.join('\n') };
          }),
        );
        expect(result.ms).toBeLessThan(IN_PROCESS_MS);
        expect([0, 2]).toContain(result.code);
        expectClean(result.text, 'labels');
        codes[result.code as 0 | 2] += 1;
      }),
      { seed: SEED + 1, numRuns: RUNS.labels, endOnFailure: true },
    );
    expect(codes[0]).toBeGreaterThan(5);
    expect(codes[2]).toBeGreaterThan(5);
  }, 300_000);

  it(`report.json: ${RUNS.report} mutations compared → exit 0, 1 or 2; the table never says "undefined"`, async () => {
    const plan = { thresholds: { ...DEFAULT_THRESHOLDS }, fingerprintFields: DEFAULT_FINGERPRINT_FIELDS, failOn: ['fail' as const] };
    const reportCase = fc.record({
      ops: fc.array(op, { minLength: 1, maxLength: 3 }),
      bytes: bytesOp,
      side: fc.constantFrom('head', 'head', 'head', 'base', 'self'),
    });
    const codes = { 0: 0, 1: 0, 2: 0 };
    const mutated = join(dir, 'mutated-report.json');
    await fc.assert(
      fc.asyncProperty(reportCase, async (c) => {
        const text = JSON.stringify(mutate(reportSeed, c.ops), null, 2).replace(/"__INF__"/g, '1e999');
        writeFileSync(mutated, mutateBytes(text, c.bytes, false));
        const [base, head] =
          c.side === 'base' ? [mutated, baseReportFile] : c.side === 'self' ? [mutated, mutated] : [baseReportFile, mutated];
        const result = await timed(() =>
          outcome(async () => {
            const { report, failed } = await compareFiles(base, head, plan);
            return { failed, text: renderMarkdown(report) + renderMarkdown(report, { lang: 'zh' }) };
          }),
        );
        expect(result.ms).toBeLessThan(IN_PROCESS_MS);
        expectClean(result.text, 'compare');
        if (c.side === 'self') expect(result.code).toBe(2);
        codes[result.code] += 1;
      }),
      { seed: SEED + 2, numRuns: RUNS.report, endOnFailure: true },
    );
    expect(codes[2]).toBeGreaterThan(RUNS.report / 3);
    expect(codes[0] + codes[1]).toBeGreaterThan(5);
  }, 300_000);
});

// ───────────────────────────── through the real binary ─────────────────────────────

describe('generated corpus, through the CLI binary', () => {
  it('mutated gate.yml runs with --promote: exit 2, a clean message, the stored baseline byte-identical', async () => {
    const before = snapshot(storeDir);
    // Generated cases the config refuses, plus mutations the config accepts but the model or data refuses.
    const refused: Buffer[] = [];
    for (const c of fc.sample(gateCase, { seed: SEED + 3, numRuns: 200 })) {
      const bytes = gateBytes(c);
      writeFileSync(join(demoDir, 'probe.yml'), bytes);
      const result = await outcome(async () => (await loadConfig(join(demoDir, 'probe.yml')), {}));
      if (result.code === 2) refused.push(bytes);
      if (refused.length === 6) break;
    }
    const tiny = tinyGate({ storeDir, outDir: join(dir, 'out'), limit: 4 });
    const semantic = [
      tiny.replace('shape: [3, 48, 320]', 'shape: [1, 48, 320]'),
      tiny.replace('ch_PP-OCRv4_rec_infer.onnx', 'ch_PP-OCRv4_det_infer.onnx'),
      tiny.replace(`dictionary: ${MODELS}/ppocr_keys_v1.txt`, `dictionary: ${DATA}/ocr-rec/rec_gt.txt`),
      `${tiny}\nthresholds:\n  accuracy.line: { fail: 150pp }\n`,
      tiny.replace(`dir: ${join(dir, 'out')}`, `dir: ${join(dir, 'base-report.json')}`),
      tiny.replace(`${MODELS}/ch_PP-OCRv4_rec_infer.onnx`, join(dir, 'garbage.onnx')),
    ].map((text) => Buffer.from(text));
    writeFileSync(join(dir, 'garbage.onnx'), Buffer.from('not an ONNX model, just text pretending to be one\n'.repeat(20)));
    expect(refused.length).toBe(6);
    for (const [i, bytes] of [...refused, ...semantic].entries()) {
      const file = join(demoDir, `cli-${i}.yml`);
      writeFileSync(file, bytes);
      const start = performance.now();
      const res = await runCli(['run', '--config', file, '--promote', '--store-dir', storeDir, '--default-branch', 'main'], {
        env: { PPG_CACHE_DIR: cacheDir },
      });
      const output = `${res.stdout}\n${res.stderr}`;
      expect(performance.now() - start).toBeLessThan(CLI_MS);
      expect(res.code, output).toBe(2);
      expect(res.stderr).toMatch(/^paddle-perf-gate: \w+Error: /m);
      // The engine's own (coloured) log stays out of the terminal.
      expect(output).not.toContain(`${String.fromCharCode(27)}[`);
      expectClean(output, `run ${file}`);
      expect(snapshot(storeDir)).toEqual(before);
    }
    const garbage = readFileSync(join(dir, 'out', 'PP-OCRv4-rec', 'onnxruntime.log'), 'utf8');
    expect(garbage.length).toBeGreaterThan(0);
    // --store-dir naming a file: refused before the dataset is prepared or the model loaded.
    const file = join(demoDir, 'cli-store.yml');
    writeFileSync(file, tinyGate({ storeDir, outDir: join(dir, 'out'), limit: 4 }));
    const res = await runCli(['run', '--config', file, '--store-dir', baseReportFile], {
      env: { PPG_CACHE_DIR: join(dir, 'cache-unused') },
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `baseline store directory (--store-dir or gate.yml store.file.dir): expected a directory, got a file: ${baseReportFile}`,
    );
    expect(res.stderr).not.toMatch(/preparing|loading/);
  }, 300_000);

  it('mutated report.json through `compare`: the same exit code as in-process, clean output', async () => {
    const plan = { thresholds: { ...DEFAULT_THRESHOLDS }, fingerprintFields: DEFAULT_FINGERPRINT_FIELDS, failOn: ['fail' as const] };
    const cases = fc.sample(fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 2 }), bytes: bytesOp }), {
      seed: SEED + 4,
      numRuns: 5,
    });
    for (const [i, c] of cases.entries()) {
      const file = join(dir, `cli-report-${i}.json`);
      writeFileSync(file, mutateBytes(JSON.stringify(mutate(reportSeed, c.ops)).replace(/"__INF__"/g, '1e999'), c.bytes, false));
      const expected = await outcome(async () => compareFiles(baseReportFile, file, plan));
      const res = await runCli(['compare', baseReportFile, file]);
      const output = `${res.stdout}\n${res.stderr}`;
      expect(res.code, output).toBe(expected.code);
      expectClean(output, `compare ${file}`);
    }
    const outDir = await runCli(['compare', join(dir, 'base-report.json'), join(dir, 'cli-report-0.json'), '--out', dir]);
    expect(outDir.code).toBe(2);
    expect(outDir.stderr).toContain(`--out: expected a file to write, got a directory: ${dir}`);
    const self = await runCli(['compare', baseReportFile, baseReportFile]);
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('are the same report');
  }, 120_000);
});
