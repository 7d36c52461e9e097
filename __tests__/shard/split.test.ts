/** The shard split (pure): deterministic, every model once, longest first onto the least loaded shard. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { assignShards, parseShard } from '../../src/shard.js';

const loads = (costs: number[], owner: number[], count: number) =>
  Array.from({ length: count }, (_, s) => costs.reduce((sum, c, i) => (owner[i] === s ? sum + c : sum), 0));

describe('assignShards', () => {
  it.each([
    { costs: [1, 1, 1, 1, 1, 1], count: 3, owner: [0, 1, 2, 0, 1, 2] },
    { costs: [1, 1, 1, 1], count: 3, owner: [0, 1, 2, 0] },
    // one long model gets a shard to itself; the short ones share
    { costs: [9, 3, 3, 3], count: 2, owner: [0, 1, 1, 1] },
    { costs: [2, 8, 5, 5, 4], count: 3, owner: [2, 0, 1, 2, 1] },
    // more shards than models: the extra shards run nothing
    { costs: [1, 2], count: 4, owner: [1, 0] },
  ])('$costs over $count shards', ({ costs, count, owner }) => {
    expect(assignShards(costs, count)).toEqual(owner);
  });

  it('is deterministic and balanced within the longest model', () => {
    const costs = Array.from({ length: 40 }, (_, i) => ((i * 37) % 11) + 1);
    const owner = assignShards(costs, 4);
    expect(assignShards([...costs], 4)).toEqual(owner);
    const l = loads(costs, owner, 4);
    expect(Math.max(...l) - Math.min(...l)).toBeLessThanOrEqual(Math.max(...costs));
  });
});

describe('parseShard', () => {
  it.each(['1/1', '2/4', ' 3 / 3 '])('accepts %s', (value) => {
    expect(parseShard(value, '--shard').count).toBeGreaterThanOrEqual(1);
  });
  it.each(['0/3', '4/3', '1/0', 'a/b', '2', '1/300', ''])('refuses %j, naming the flag', (value) => {
    expect(() => parseShard(value, 'input `shard`')).toThrow(ConfigError);
    expect(() => parseShard(value, 'input `shard`')).toThrow(/^input `shard`: expected i\/n with 1 ≤ i ≤ n ≤ 256 \(e\.g\. 2\/4\)/);
  });
});
