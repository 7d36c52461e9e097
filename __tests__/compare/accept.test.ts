/**
 * compare/accept.ts and the comment command's grammar: which failing rows an acceptance covers,
 * on the head it was given for and on a later head (no worse within the noise level), and what
 * is recorded. Pure functions: plain data in, plain data out.
 */
import { describe, expect, it } from 'vitest';
import { applyAcceptance, covers, withoutAcceptance } from '../../src/compare/accept.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/defaults.js';
import { parseAcceptCommand } from '../../src/github/accept.js';
import type { AcceptanceRecord, ComparisonRow, ModelComparison } from '../../src/types.js';

function row(metric: string, band: ComparisonRow['band'], deltaAbs: number, deltaRel: number): ComparisonRow {
  const unit = metric.startsWith('accuracy') ? '%' : metric === 'throughput' ? '/s' : 'ms';
  return {
    metric,
    label: metric,
    unit,
    better: metric.startsWith('accuracy') || metric === 'throughput' ? 'higher' : 'lower',
    baseline: 10,
    current: 10 + deltaAbs,
    deltaAbs,
    deltaRel,
    band,
    reason: '',
    reasonParts: [
      { key: band === 'fail' ? 'reason.riseOver' : 'reason.within', args: { level: { level: { value: 0.1, kind: 'relative' }, unit } } },
    ],
  };
}

function model(rows: ComparisonRow[]): ModelComparison {
  return { model: 'rec', verdict: rows.some((r) => r.band === 'fail') ? 'fail' : 'pass', reason: '', rows };
}

function record(over: Partial<AcceptanceRecord>): AcceptanceRecord {
  return {
    by: 'maint',
    at: '2026-11-29T10:00:00Z',
    reason: 'on purpose',
    via: 'comment',
    sha: 'h1',
    pr: 7,
    metrics: 'all',
    rows: [],
    ...over,
  };
}

const accept = (models: ModelComparison[], records: AcceptanceRecord[], head = 'h1') =>
  applyAcceptance(models, { pr: 7, head, records, refused: [] }, DEFAULT_THRESHOLDS);

describe('applyAcceptance', () => {
  it('on its own head, an acceptance naming a metric (or a prefix, or all) covers only those failing rows', () => {
    const rows = [row('latency.p50', 'fail', 2, 0.2), row('accuracy.line', 'fail', -1, -0.01), row('throughput', 'pass', 0, 0)];
    const cases: Array<[AcceptanceRecord['metrics'], string[], ModelComparison['verdict']]> = [
      ['all', ['accepted', 'accepted', 'pass'], 'accepted'],
      [['latency'], ['accepted', 'fail', 'pass'], 'fail'],
      [['latency.p50', 'accuracy.line'], ['accepted', 'accepted', 'pass'], 'accepted'],
      [['latency.p90'], ['fail', 'fail', 'pass'], 'fail'],
    ];
    for (const [metrics, bands, verdict] of cases) {
      const { models, state } = accept([model(rows)], [record({ metrics })]);
      expect(
        models[0]!.rows.map((r) => r.band),
        JSON.stringify(metrics),
      ).toEqual(bands);
      expect(models[0]!.verdict).toBe(verdict);
      // What it accepted is recorded with the changes, the yardstick for a later push.
      expect(state.records[0]!.rows.map((r) => r.metric)).toEqual(rows.filter((_, i) => bands[i] === 'accepted').map((r) => r.metric));
    }
  });

  it('the accepted row says who and why; a row not failing is left alone', () => {
    const { models } = accept([model([row('latency.p50', 'fail', 2, 0.2)])], [record({})]);
    const r = models[0]!.rows[0]!;
    expect(r.accepted).toEqual({ by: 'maint', at: '2026-11-29T10:00:00Z', reason: 'on purpose', via: 'comment', sha: 'h1', pr: 7 });
    expect(r.reasonParts!.at(-1)).toEqual({ key: 'reason.accepted', args: { by: '@maint', reason: 'on purpose' } });
  });

  it('on a later head: covered when no worse than the accepted change within the noise level, else it fails again', () => {
    const given = record({ rows: [{ model: 'rec', metric: 'latency.p50', unit: 'ms', deltaAbs: 2, deltaRel: 0.2 }] });
    // latency's noise level is 5 % (relative): +20 % accepted → up to +25 % passes.
    const table: Array<[number, 'accepted' | 'fail']> = [
      [0.15, 'accepted'],
      [0.2, 'accepted'],
      [0.249, 'accepted'],
      [0.26, 'fail'],
      [0.4, 'fail'],
    ];
    for (const [rel, band] of table) {
      const { models, state } = accept([model([row('latency.p50', 'fail', rel * 10, rel)])], [given], 'h2');
      expect(models[0]!.rows[0]!.band, `+${rel * 100} %`).toBe(band);
      if (band === 'accepted') expect(models[0]!.rows[0]!.accepted?.carried).toBe(true);
      // never re-bound to the new head: the yardstick stays the change that was accepted
      expect(state.records).toEqual([given]);
    }
  });

  it('accuracy has no noise level: a later head must not drop further at all', () => {
    const given = record({ rows: [{ model: 'rec', metric: 'accuracy.line', unit: '%', deltaAbs: -1, deltaRel: -0.01 }] });
    expect(accept([model([row('accuracy.line', 'fail', -1, -0.01)])], [given], 'h2').models[0]!.rows[0]!.band).toBe('accepted');
    expect(accept([model([row('accuracy.line', 'fail', -1.2, -0.012)])], [given], 'h2').models[0]!.rows[0]!.band).toBe('fail');
  });

  it('a row accepted on another model, or without a recorded change, is not carried', () => {
    const other = record({ rows: [{ model: 'det', metric: 'latency.p50', deltaAbs: 2, deltaRel: 0.2 }] });
    expect(accept([model([row('latency.p50', 'fail', 1, 0.1)])], [other], 'h2').models[0]!.verdict).toBe('fail');
  });

  it('withoutAcceptance gives back the rows as judged, so a stored report can be judged again', () => {
    const judged = model([row('latency.p50', 'fail', 2, 0.2), row('throughput', 'pass', 0, 0)]);
    const { models } = accept([judged], [record({})]);
    expect(withoutAcceptance(models)[0]).toEqual({ ...judged, reasonParts: expect.any(Array) });
    expect(withoutAcceptance(models)[0]!.rows).toEqual(judged.rows);
  });

  it('covers: ids, prefixes at a dot, all', () => {
    expect(covers('all', 'memory.gpu.peak')).toBe(true);
    expect(covers(['memory'], 'memory.gpu.peak')).toBe(true);
    expect(covers(['memory.gpu'], 'memory.gpu.peak')).toBe(true);
    expect(covers(['mem'], 'memory.gpu.peak')).toBe(false);
    expect(covers(['latency.p5'], 'latency.p50')).toBe(false);
  });
});

describe('/perf-gate accept <head> <metrics|all> <reason>', () => {
  const table: Array<[string, ReturnType<typeof parseAcceptCommand>]> = [
    ['/perf-gate accept 0123abcd4567 all on purpose', { head: '0123abcd4567', metrics: 'all', reason: 'on purpose' }],
    ['/perf-gate accept 0123ABC accuracy,latency why not', { head: '0123abc', metrics: ['accuracy', 'latency'], reason: 'why not' }],
    ['/perf-gate accept 0123abc', { error: 'no metrics named' }],
    ['/perf-gate accept 0123abc all', { error: 'no reason given' }],
    // Without the head: understood, and refused with the exact command by gatherAcceptance.
    ['/perf-gate accept all a bigger rec head, on purpose', { metrics: 'all', reason: 'a bigger rec head, on purpose' }],
    ['  /perf-gate  accept latency.p50,accuracy   wider\ninput  ', { metrics: ['latency.p50', 'accuracy'], reason: 'wider input' }],
    ['/PERF-GATE Accept ALL why', { metrics: 'all', reason: 'why' }],
    ['/perf-gate accept all', { error: 'no reason given' }],
    ['/perf-gate accept', { error: 'no metrics named' }],
    ['/perf-gate accept lat$ency because', { error: '"lat$ency" is not a metric list such as latency.p50,accuracy or all' }],
    ['/perf-gate accept all ' + 'x'.repeat(501), { error: 'the reason is longer than 500 characters' }],
    ['LGTM, /perf-gate accept all later', undefined],
    ['/perf-gate acceptance all x', undefined],
  ];
  it.each(table)('%j', (body, expected) => {
    expect(parseAcceptCommand(body)).toEqual(expected);
  });
});
