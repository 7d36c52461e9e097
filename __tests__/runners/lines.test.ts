/**
 * The runners' line splitter and capped log (runners/lines.ts): the same lines whatever the chunk
 * boundaries (a `\r\n` or a UTF-8 character split between two chunks included), a terminal's view
 * of `\r`, long lines kept as head and tail, and a log that keeps its head and tail and counts
 * what it dropped.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CappedLog, LineSplitter, messageLine } from '../../src/runners/lines.js';

/** What a terminal shows, line by line: split at \n (a \r before it belongs to it), each line from its last \r on. */
function reference(text: string): string[] {
  const pieces = text.split('\n');
  const last = pieces.pop()!;
  const shown = (piece: string) => {
    const line = piece.endsWith('\r') ? piece.slice(0, -1) : piece;
    return line.slice(line.lastIndexOf('\r') + 1);
  };
  const lines = pieces.map(shown);
  if (shown(last) !== '') lines.push(shown(last));
  return lines;
}

function split(chunks: Buffer[], keep?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), keep);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

/** `bytes` cut at the given offsets. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe('LineSplitter', () => {
  it('gives a terminal’s lines whatever the chunk boundaries (\\r\\n and UTF-8 characters split between chunks)', () => {
    const piece = fc.constantFrom('a', 'bc', '飞桨', '😀', '\n', '\r', '\r\n', ' ', 'PPG-PROGRESS x');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 10 }), (parts, cuts) => {
        const text = parts.join('');
        expect(split(chunked(Buffer.from(text), cuts))).toEqual(reference(text));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a long line as its head and tail around the count of what was cut, however it arrives', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.array(fc.nat(), { maxLength: 12 }), (extra, cuts) => {
        const line = `H${'x'.repeat(18 + extra)}T`;
        const [got] = split(chunked(Buffer.from(`${line}\nnext`), cuts), 10);
        if (line.length <= 20) expect(got).toBe(line);
        else expect(got).toBe(`${line.slice(0, 10)}[… ${line.length - 20} characters cut …]${line.slice(-10)}`);
      }),
      { numRuns: 300 },
    );
  });

  it('a 40 MB line is held as 16 KiB: head, count, tail', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    const block = Buffer.alloc(64 * 1024, 'x');
    splitter.push('BEGIN');
    for (let i = 0; i < 640; i++) splitter.push(block);
    splitter.push('END\n');
    splitter.end();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith('BEGIN')).toBe(true);
    expect(lines[0]!.endsWith('END')).toBe(true);
    expect(lines[0]).toContain(`[… ${640 * 64 * 1024 + 8 - 16 * 1024} characters cut …]`);
    expect(lines[0]!.length).toBeLessThan(17 * 1024);
  });
});

describe('messageLine', () => {
  it('keeps short lines and cuts long ones to their start and end', () => {
    expect(messageLine('short')).toBe('short');
    const long = `${'a'.repeat(500)}${'b'.repeat(500)}`;
    const cut = messageLine(long, 100);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut).toMatch(/^a+ … b+$/);
  });
});

describe('CappedLog', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ppg-lines-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes everything under the cap as it came', async () => {
    const log = new CappedLog(join(dir, 'small.log'), 100, 50);
    for (const line of ['one\n', 'two\n', '飞桨\n']) log.write(line);
    await log.close();
    expect(await readFile(join(dir, 'small.log'), 'utf8')).toBe('one\ntwo\n飞桨\n');
  });

  it('keeps the head and the tail, and counts the bytes dropped between', async () => {
    const log = new CappedLog(join(dir, 'big.log'), 1000, 500);
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`); // 10 bytes each
    for (const line of lines) log.write(line);
    await log.close();
    const text = await readFile(join(dir, 'big.log'), 'utf8');
    expect(text.startsWith(lines.slice(0, 100).join(''))).toBe(true);
    expect(text.endsWith(lines.slice(-50).join(''))).toBe(true);
    const note = /\[paddle-perf-gate: (\d+) bytes of output dropped here; this log keeps the first (\d+) bytes and the last (\d+)\]\n/.exec(
      text,
    );
    expect(note).not.toBeNull();
    expect(Number(note![1]) + Number(note![2]) + Number(note![3])).toBe(10_000);
    expect(Number(note![2])).toBe(1000);
    expect(Number(note![3])).toBeGreaterThanOrEqual(500);
    expect(Number(note![3])).toBeLessThan(510);
  });
});
