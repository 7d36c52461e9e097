/** The shard split (pure): deterministic, every model once, longest first onto the least loaded shard. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readInputs } from '../../src/action-inputs.js';
import { shardArtifactName } from '../../src/publish/archive.js';
import { ROOT } from '../helpers/cli.js';
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

describe('examples/workflows/sharded-gpu-pool.yml', () => {
  it('a 4-shard matrix whose artifacts the aggregate job downloads, with inputs action.yml declares', async () => {
    type Step = { uses?: string; with?: Record<string, string> };
    const read = async (path: string) => parse(await readFile(join(ROOT, path), 'utf8')) as unknown;
    const workflow = (await read('examples/workflows/sharded-gpu-pool.yml')) as {
      jobs: Record<string, { needs?: string; strategy?: { matrix: { shard: number[] } }; steps: Step[] }>;
    };
    const declared = Object.keys(((await read('action.yml')) as { inputs: Record<string, unknown> }).inputs);
    const { shard, aggregate } = workflow.jobs;
    expect(shard!.strategy!.matrix.shard).toEqual([1, 2, 3, 4]);
    expect(aggregate!.needs).toBe('shard');
    const gateStep = (steps: Step[]) => steps.find((s) => s.uses?.startsWith('paddle-perf-gate/'))!.with!;
    const shardInputs = gateStep(shard!.steps);
    const aggregateInputs = gateStep(aggregate!.steps);
    for (const inputs of [shardInputs, aggregateInputs]) for (const name of Object.keys(inputs)) expect(declared).toContain(name);
    expect(shardInputs['shard']).toBe('${{ matrix.shard }}/4');
    expect(aggregateInputs['mode']).toBe('aggregate');
    expect(aggregateInputs['config']).toBe(shardInputs['config']);
    // The download pattern matches the name a shard uploads under, into the aggregate's artifact-dir.
    const download = aggregate!.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!.with!;
    const pattern = new RegExp(`^${download['pattern']!.replace(/\*/g, '.*')}$`);
    expect(shardArtifactName('ppocr', { index: 3, count: 4 })).toMatch(pattern);
    // A re-run attempt uploads under its own name (names are unique across a run's attempts), which the pattern takes too.
    expect(shardArtifactName('ppocr', { index: 3, count: 4 }, 2)).toMatch(pattern);
    expect(shardArtifactName('ppocr', { index: 3, count: 4 }, 2)).not.toBe(shardArtifactName('ppocr', { index: 3, count: 4 }));
    expect(download['path']).toBe(aggregateInputs['artifact-dir']);
  });
});

describe('the action inputs shard and mode: aggregate', () => {
  const inputs = (given: Record<string, string>) => readInputs((name) => given[name] ?? '');
  it('shard: i/n is read strictly, and only where it means something', () => {
    expect(inputs({ shard: '2/4' }).shard).toEqual({ index: 2, count: 4 });
    expect(inputs({}).shard).toBeUndefined();
    expect(() => inputs({ shard: '5/4' })).toThrow(/^input `shard`: expected i\/n with 1 ≤ i ≤ n ≤ 256/);
    expect(() => inputs({ shard: '1/2', promote: 'true' })).toThrow(/^input `promote`: a shard never promotes/);
    expect(() => inputs({ shard: '1/2', mode: 'aggregate', 'artifact-dir': 'x' })).toThrow(
      /^input `shard`: runs a part of the gate \(mode: gate\), but mode is aggregate/,
    );
  });
  it('mode: aggregate needs artifact-dir', () => {
    expect(inputs({ mode: 'aggregate', 'artifact-dir': 'shards' })).toMatchObject({ mode: 'aggregate', artifactDir: 'shards' });
    expect(() => inputs({ mode: 'aggregate' })).toThrow(/^input `artifact-dir`: required with mode: aggregate/);
  });
});
