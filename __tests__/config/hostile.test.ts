/**
 * gate.yml as a hostile PR author or a careless user writes it: alias bombs, huge and repeated
 * keys, impossible thresholds, other encodings. Each is refused quickly, with one clear
 * message, as a ConfigError (exit 2).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { decodeUtf8, invalidUtf8Offset } from '../../src/config/text.js';
import { ConfigError } from '../../src/errors.js';
import { MINIMAL, makeProject, type Project } from './fixtures.js';

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project.cleanup());

function problems(text: string): string {
  try {
    parseConfig(text, project.file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for:\n${text.slice(0, 500)}`);
}

async function fileProblems(bytes: Uint8Array): Promise<string> {
  writeFileSync(project.file, bytes);
  try {
    await loadConfig(project.file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

/** The classic billion-laughs block: `levels` anchors, each a list of 9 aliases of the one before. */
function aliasBomb(levels: number): string {
  let yaml = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
  for (let i = 1; i < levels; i++)
    yaml += `a${i}: &a${i} [${Array(9)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`;
  return yaml;
}

describe('YAML limits', () => {
  it('refuses a billion-laughs block under an unknown key, naming the first alias', { timeout: 20_000 }, () => {
    const bomb = aliasBomb(9)
      .split('\n')
      .map((line) => (line ? `  ${line}` : line))
      .join('\n');
    const message = problems(`${MINIMAL}lol:\n${bomb}`);
    expect(message).toMatch(/gate\.yml:11:\d+: YAML: aliases expand too far \(more than 100 expansions/);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('refuses the same bomb inside a known key (models)', { timeout: 20_000 }, () => {
    const text = `gate: g\n${aliasBomb(9)}models: [*a8]\n`;
    expect(problems(text)).toMatch(/YAML: aliases expand too far/);
  });

  it('refuses an alias inside the node it names', () => {
    expect(problems(`${MINIMAL}fingerprint: &f [engine, *f]\n`)).toMatch(
      /gate\.yml:9:\d+: YAML: alias \*f refers to a node that contains it/,
    );
  });

  it('still accepts a shared block used a few times', () => {
    const yaml = `gate: g
models:
  - name: a
    path: models/rec.onnx
    task: ocr-rec
    dataset: &ds
      labels: data/rec/rec_gt.txt
      dictionary: ppocr_keys_v1.txt
  - { name: b, path: models/rec.onnx, task: ocr-rec, dataset: *ds }
  - { name: c, path: models/rec.onnx, task: ocr-rec, dataset: *ds }
`;
    expect(parseConfig(yaml, project.file).models.map((m) => m.dataset.format)).toEqual(['ppocr-rec', 'ppocr-rec', 'ppocr-rec']);
  });

  it('finds duplicate keys in a linear pass and caps the repeated lines', { timeout: 20_000 }, () => {
    // 40,000 keys, each twice: the library's quadratic check took ~12 s on this; one set per mapping does not.
    const keys = Array.from({ length: 40_000 }, (_, i) => `  k${i}: 1\n  k${i}: 2\n`).join('');
    const message = problems(`${MINIMAL}lol:\n${keys}`);
    const lines = message.split('\n');
    expect(lines[0]).toMatch(/gate\.yml:11:3: YAML: duplicate key "k0": keys of a mapping must be unique \(first at line 10\)/);
    expect(lines.length).toBeLessThanOrEqual(45);
    expect(message).toMatch(/… 39,960 more problems left out: fix the ones above first$/);
  });

  it('caps one message repeated for every unknown key', { timeout: 20_000 }, () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1\n`).join('');
    const lines = problems(`${MINIMAL}${keys}`).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/gate\.yml:9:1: k0: unknown key; expected one of: gate, models/);
    expect(lines[3]).toMatch(/^… 19,997 more like "unknown key; expected one of: gate, models, /);
  });

  it('refuses a file over 1 MiB before parsing it', async () => {
    const big = `${MINIMAL}# ${'x'.repeat(1024 * 1024)}\n`;
    expect(await fileProblems(Buffer.from(big))).toMatch(
      /gate\.yml: the file is 1\.0 MiB, more than a gate configuration may be \(1 MiB\)/,
    );
  });
});

describe('threshold bounds', () => {
  const threshold = (metric: string, entry: string): string => `${MINIMAL}thresholds:\n  ${metric}: ${entry}\n`;

  it.each([
    ['accuracy.line', '{ fail: 150pp }', 'thresholds.accuracy.line.fail: 150pp can never be exceeded: accuracy.line is a percentage'],
    ['accuracy.line', '{ fail: 100pp }', '100pp can never be exceeded'],
    ['accuracy.line', '{ fail: 150% }', 'thresholds.accuracy.line.fail: 150% can never be exceeded: accuracy.line is better when higher'],
    ['accuracy.top1', '{ noise: 100%, warn: 100%, fail: 100% }', 'thresholds.accuracy.top1.noise: 100% can never be exceeded'],
    ['throughput', '{ fail: 120% }', 'thresholds.throughput.fail: 120% can never be exceeded'],
    ['accuracy.edit', '{ min: 100pp }', 'thresholds.accuracy.edit.min: 100pp can never be exceeded'],
    ['latency.p90', `{ fail: 1${'0'.repeat(400)}ms }`, 'thresholds.latency.p90.fail: expected a finite level'],
  ])('%s %.40s is refused', (metric, entry, says) => {
    expect(problems(threshold(metric, entry))).toContain(says);
  });

  it.each([
    ['latency.p90', '{ fail: 150% }'],
    ['accuracy.line', '{ warn: 50pp, fail: 99.9pp }'],
    ['throughput', '{ fail: 99% }'],
    ['memory.rss.peak', '{ warn: 300% }'],
  ])('%s %s is possible, so accepted', (metric, entry) => {
    expect(() => parseConfig(threshold(metric, entry), project.file)).not.toThrow();
  });

  it('measure.precision must be below 100%', () => {
    expect(problems(`${MINIMAL}measure: { precision: 100% }\n`)).toContain(
      'measure.precision: expected a relative level above 0 and below 100% such as 1%, got 100%',
    );
  });

  it('a model name too long for a directory name is refused', () => {
    expect(problems(MINIMAL.replace('name: PP-OCRv4-rec', `name: ${'m'.repeat(300)}`))).toContain(
      'models[0].name: expected a string of 1-64 letters, digits, `.`, `_` and `-`, got "mmmm',
    );
  });

  it('a timeout past what a timer can hold is refused (it would fire at once)', () => {
    expect(problems(`${MINIMAL}runner: { kind: local, limits: { timeout: 999999h } }\n`)).toContain(
      'runner.limits.timeout: expected a duration up to 7 days (604800 s), got 3599996400 s',
    );
  });

  it('a count that would never finish is refused with its bounds', () => {
    expect(problems(`${MINIMAL}measure: { rounds: 1000000000 }\n`)).toContain('measure.rounds: expected an integer from 2 to 1,000');
  });
});

describe('encodings', () => {
  const utf16 = (text: string, bom: boolean, big: boolean): Buffer => {
    const le = Buffer.from(text, 'utf16le');
    const body = big ? Buffer.from(le).swap16() : le;
    return Buffer.concat([bom ? Buffer.from(big ? [0xfe, 0xff] : [0xff, 0xfe]) : Buffer.alloc(0), body]);
  };

  it.each([
    ['UTF-16LE with a BOM', utf16(MINIMAL, true, false), 'the file is UTF-16LE (byte-order mark FF FE), expected UTF-8: convert it'],
    ['UTF-16LE without a BOM', utf16(MINIMAL, false, false), 'the file is UTF-16LE (no byte-order mark), expected UTF-8'],
    ['UTF-16BE with a BOM', utf16(MINIMAL, true, true), 'the file is UTF-16BE (byte-order mark FE FF)'],
    ['UTF-16BE without a BOM', utf16(MINIMAL, false, true), 'the file is UTF-16BE (no byte-order mark)'],
    [
      'UTF-32LE',
      Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('g\0\0\0')]),
      'the file is UTF-32LE (byte-order mark FF FE 00 00)',
    ],
    ['UTF-32BE without a BOM', Buffer.from([0, 0, 0, 0x67, 0, 0, 0, 0x3a]), 'the file is UTF-32BE (no byte-order mark)'],
  ])('%s is named, with how to convert it', async (_name, bytes, says) => {
    const message = await fileProblems(bytes);
    expect(message).toContain(says);
    expect(message.length).toBeLessThan(300);
  });

  it('Latin-1 text: not valid UTF-8, with the line, column and byte offset', async () => {
    const latin1 = Buffer.from(MINIMAL.replace('gate: ppocr-rec', 'gate: ppocr-rec # café'), 'latin1');
    expect(await fileProblems(latin1)).toMatch(/gate\.yml:1:22: not valid UTF-8: byte offset 21 starts E9 0A/);
  });

  it('a NUL byte in the middle: expected a text file', async () => {
    expect(await fileProblems(Buffer.from(`${MINIMAL}# \0\n`))).toMatch(
      /gate\.yml:9:3: a NUL byte at byte offset \d+: expected a text file/,
    );
  });

  it('a UTF-8 byte-order mark is fine', async () => {
    writeFileSync(project.file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(MINIMAL)]));
    expect((await loadConfig(project.file)).gate).toBe('ppocr-rec');
  });

  it('the UTF-8 check agrees with the platform decoder on overlongs, surrogates and truncation', () => {
    const samples = [
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe4, 0xbd],
      [0x61, 0xe4, 0xbd, 0xa0, 0x62],
      [0xf0, 0x9f, 0x98, 0x80],
    ];
    for (const bytes of samples) {
      const data = Uint8Array.from(bytes);
      let platform = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(data);
      } catch {
        platform = false;
      }
      expect(invalidUtf8Offset(data) === -1).toBe(platform);
    }
    expect('text' in decodeUtf8(Buffer.from('你好\n'), 'x')).toBe(true);
  });
});
