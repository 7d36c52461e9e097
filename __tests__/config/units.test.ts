import { describe, expect, it } from 'vitest';
import { BYTES_PATTERN, DURATION_PATTERN, LEVEL_PATTERN, readBytes, readDuration, readLevel } from '../../src/config/units.js';

describe('readLevel', () => {
  it.each([
    ['10%', { value: 0.1, kind: 'relative' }],
    ['0.5%', { value: 0.005, kind: 'relative' }],
    ['0.5pp', { value: 0.5, kind: 'absolute' }],
    ['64MB', { value: 64, kind: 'absolute' }],
    ['1GB', { value: 1024, kind: 'absolute' }],
    ['512KB', { value: 0.5, kind: 'absolute' }],
    ['2ms', { value: 2, kind: 'absolute' }],
    ['1s', { value: 1000, kind: 'absolute' }],
    ['250us', { value: 0.25, kind: 'absolute' }],
    ['5/s', { value: 5, kind: 'absolute' }],
    ['1MB/1k', { value: 1, kind: 'absolute' }],
    ['10 %', { value: 0.1, kind: 'relative' }],
    ['.5pp', { value: 0.5, kind: 'absolute' }],
  ])('%s → %o', (text, level) => {
    const parsed = readLevel(text);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(parsed.level.kind).toBe(level.kind);
    expect(parsed.level.value).toBeCloseTo(level.value, 12);
  });

  it.each([
    [
      0.1,
      'expected a level such as 10% (relative), 0.5pp (percentage points, accuracy only), 2ms, 64MB, 5/s or 1MB/1k, got the bare number 0.1',
    ],
    ['0.1', 'got the bare number "0.1"'],
    ['-5%', 'got "-5%"'],
    ['10 percent', 'got "10 percent"'],
    ['', 'got ""'],
    ['5MiB', 'got "5MiB"'],
  ])('%o is refused with the reason', (text, message) => {
    const read = readLevel(text);
    expect(read).toEqual(expect.stringContaining(message));
    expect(read).toMatch(/^expected a (finite )?level such as /);
  });
});

describe('readBytes', () => {
  it.each([
    ['16g', 16 * 1024 ** 3],
    ['512m', 512 * 1024 ** 2],
    ['2GB', 2 * 1024 ** 3],
    ['2 GiB', 2 * 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['100b', 100],
    ['1024', 1024],
    [1024, 1024],
    ['1t', 1024 ** 4],
  ])('%o → %d', (text, bytes) => {
    expect(readBytes(text)).toBe(bytes);
  });

  it.each([['16 gigs'], ['-1g'], ['g'], [1.5], [-1], ['5ib']])('%o is an error', (text) => {
    expect(readBytes(text)).toMatch(/^expected a number of bytes or a size such as 512m, 16g, 2GB/);
  });
});

describe('readDuration', () => {
  it.each([
    ['20m', 1200],
    ['90s', 90],
    ['1h30m', 5400],
    ['1h 30m', 5400],
    ['1.5h', 5400],
    ['500ms', 0.5],
    ['2m30s', 150],
    ['45', 45],
    [45, 45],
    [0.5, 0.5],
  ])('%o → %d s', (text, seconds) => {
    expect(readDuration(text)).toBeCloseTo(seconds, 9);
  });

  it.each([['soon'], ['45 30s'], ['m'], [''], ['-5m'], [-1], ['1d']])('%o is an error', (text) => {
    expect(readDuration(text)).toMatch(/^expected a number of seconds or a duration such as 90s, 20m, 1h30m/);
  });
});

// The editor schema uses these patterns: the parser must accept exactly what they accept.
describe('schema patterns agree with the parsers', () => {
  const samples = [
    '10%',
    '0.5pp',
    '3PP',
    '64MB',
    '64mb',
    '1GB',
    '512KB',
    '2ms',
    '2MS',
    '1s',
    '250us',
    '5/s',
    '1MB/1k',
    '512KB/1k',
    '10 %',
    '0.1',
    '-5%',
    'abc',
    '5MiB',
    '1 h',
    '16g',
    '512m',
    '2GB',
    '2 GiB',
    '100b',
    '1024',
    '5ib',
    '1.5g',
    '1t',
    '20m',
    '90s',
    '1h30m',
    '1h 30m',
    '500ms',
    '45',
    '45 30s',
    '2m30s',
    '1d',
    '.5',
    '5.',
    'm',
    '1e3',
  ];
  it.each([
    ['level', LEVEL_PATTERN, readLevel],
    ['bytes', BYTES_PATTERN, readBytes],
    ['duration', DURATION_PATTERN, readDuration],
  ] as const)('%s', (_, pattern, read) => {
    const regex = new RegExp(pattern);
    for (const sample of samples) {
      const accepted = typeof read(sample) !== 'string';
      expect({ sample, accepted }).toEqual({ sample, accepted: regex.test(sample) });
    }
  });
});
