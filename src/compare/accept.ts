/**
 * Accepting a regression on purpose (issue 15): a failing row becomes `accepted` when an
 * acceptance on the PR covers its metric. An acceptance is bound to the PR head it was given for:
 * on that head it covers every failing row it names; on a later head (a new push, the merge
 * commit on the default branch) it covers a row only when this run's change is no worse than the
 * change it accepted, within the metric's noise level. Pure: the records come in, the judged rows
 * and the records to keep go out.
 */
import type { AcceptanceRecord, AcceptanceState, ComparisonRow, ModelComparison, Threshold } from '../types.js';
import { modelVerdict } from './index.js';

/** Whether `names` (metric ids, prefixes such as 'latency', or 'all') covers metric `id`. */
export function covers(names: AcceptanceRecord['metrics'], id: string): boolean {
  return names === 'all' || names.some((n) => n === id || id.startsWith(`${n}.`));
}

/** The change in the bad direction: positive is worse (relative when the noise level is relative, else absolute). */
function badChange(row: Pick<ComparisonRow, 'better' | 'deltaAbs' | 'deltaRel'>, kind: 'relative' | 'absolute'): number | null {
  const d = kind === 'relative' ? row.deltaRel : row.deltaAbs;
  if (d === null) return null;
  return row.better === 'lower' ? d : -d;
}

/** Whether `row` (this head) is no worse than the accepted change `was`, within the noise level of its metric. */
function noWorse(row: ComparisonRow, was: AcceptanceRecord['rows'][number], threshold: Threshold | undefined): boolean {
  const kind = threshold?.noise?.kind ?? (row.unit === '%' ? 'absolute' : 'relative');
  const slack = threshold?.noise?.value ?? 0;
  const now = badChange(row, kind);
  const then = badChange({ better: row.better, deltaAbs: was.deltaAbs, deltaRel: was.deltaRel }, kind);
  return now !== null && then !== null && now <= then + slack;
}

/**
 * Applies the acceptances to the judged models. Records given for `state.head` take the changes
 * they accepted in this run; records of other heads are kept as they were (never re-bound, so a
 * regression cannot creep up push by push).
 */
export function applyAcceptance(
  models: ModelComparison[],
  state: AcceptanceState,
  thresholds: Record<string, Threshold>,
): { models: ModelComparison[]; state: AcceptanceState } {
  // Newest first: the latest acceptance of a row is the one shown.
  const records = [...state.records].sort((a, b) => b.at.localeCompare(a.at));
  const taken = new Map<AcceptanceRecord, AcceptanceRecord['rows']>();
  const judged = models.map((m) => {
    if (m.verdict === 'incomparable' || m.verdict === 'unreadable' || m.verdict === 'no-baseline') return m;
    let changed = false;
    const rows = m.rows.map((row): ComparisonRow => {
      if (row.band !== 'fail') return row;
      const own = records.find((r) => r.sha === state.head && covers(r.metrics, row.metric));
      const earlier = own
        ? undefined
        : records.find((r) => {
            if (r.sha === state.head || !covers(r.metrics, row.metric)) return false;
            const was = r.rows.find((x) => x.model === m.model && x.metric === row.metric);
            return was !== undefined && noWorse(row, was, thresholds[row.metric]);
          });
      const by = own ?? earlier;
      if (!by) return row;
      changed = true;
      if (own) {
        const list = taken.get(own) ?? [];
        list.push({ model: m.model, metric: row.metric, unit: row.unit, deltaAbs: row.deltaAbs, deltaRel: row.deltaRel });
        taken.set(own, list);
      }
      const mark = { by: by.by, at: by.at, reason: by.reason, via: by.via, sha: by.sha, pr: by.pr, ...(earlier ? { carried: true } : {}) };
      return {
        ...row,
        band: 'accepted',
        accepted: mark,
        reasonParts: [
          ...(row.reasonParts ?? []),
          earlier
            ? { key: 'reason.acceptedCarried', args: { by: `@${by.by}`, sha: by.sha.slice(0, 7), reason: by.reason } }
            : { key: 'reason.accepted', args: { by: `@${by.by}`, reason: by.reason } },
        ],
      };
    });
    if (!changed) return m;
    const { verdict, reasonParts } = modelVerdict(rows);
    return { ...m, rows, verdict, reasonParts };
  });
  const kept = state.records.map((r) => (r.sha === state.head ? { ...r, rows: taken.get(r) ?? [] } : r));
  return { models: judged, state: { ...state, records: kept } };
}

/** The report's rows as they were judged before any acceptance (to judge a stored report again). */
export function withoutAcceptance(models: ModelComparison[]): ModelComparison[] {
  return models.map((m) => {
    if (!m.rows.some((r) => r.band === 'accepted')) return m;
    const rows = m.rows.map((row): ComparisonRow => {
      if (row.band !== 'accepted') return row;
      const { accepted: _mark, ...rest } = row;
      const parts = (row.reasonParts ?? []).filter((p) => p.key !== 'reason.accepted' && p.key !== 'reason.acceptedCarried');
      return { ...rest, band: 'fail', reasonParts: parts };
    });
    const { verdict, reasonParts } = modelVerdict(rows);
    return { ...m, rows, verdict, reasonParts };
  });
}
