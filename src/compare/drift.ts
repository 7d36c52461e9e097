/**
 * Output drift: this run's golden outputs against the baseline's, value by value (types.ts
 * `GoldenOutputs`, kept by runners/golden.ts and the Python harness). Per output tensor, over the
 * values both runs kept for the same samples:
 *   max |Δ|, mean |Δ|, max |Δ| / |golden| (values whose golden is not 0), cosine similarity, and
 *   the share of values outside atol + rtol·|golden| (numpy.isclose's rule, PaddleOCR TIPC's
 *   default atol = rtol = 1e-3).
 * The share is the row's value (in %, the baseline's own share being 0): more than the warn level
 * warns, more than the fail level fails. A sample whose output changed size counts all its kept
 * values as outside. The same model on the same runner gives exactly 0 everywhere.
 */
import { inflateRawSync } from 'node:zlib';
import type { ComparisonRow, DriftDetail, GoldenOutputs, ReasonPart, Threshold } from '../types.js';

type Output = GoldenOutputs['outputs'][number];
const WORST = 5;

/** The kept values of one output, per sample; undefined when the stored text is damaged. */
function valuesOf(o: Output): Float32Array[] | undefined {
  try {
    const bytes = inflateRawSync(Buffer.from(o.values, 'base64'));
    const total = o.kept.reduce((a, b) => a + b, 0);
    if (bytes.byteLength !== total * 4) return undefined;
    const all = new Float32Array(total);
    new Uint8Array(all.buffer).set(bytes);
    const out: Float32Array[] = [];
    let at = 0;
    for (const k of o.kept) {
      out.push(all.subarray(at, at + k));
      at += k;
    }
    return out;
  } catch {
    return undefined;
  }
}

function sig(x: number, digits = 3): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}

/** One output's drift; a string names why it cannot be computed. */
function outputDrift(
  base: GoldenOutputs,
  bo: Output,
  head: GoldenOutputs,
  ho: Output,
  tol: { atol: number; rtol: number },
): DriftDetail | string {
  const bv = valuesOf(bo);
  const hv = valuesOf(ho);
  if (!bv || !hv || bv.length !== base.ids.length || hv.length !== head.ids.length) return 'reason.driftUnreadable';
  const baseAt = new Map(base.ids.map((id, i) => [id, i] as const));
  let values = 0;
  let samples = 0;
  let maxAbs = 0;
  let sumAbs = 0;
  let maxRel = 0;
  let outside = 0;
  let dot = 0;
  let nb = 0;
  let nh = 0;
  const perSample: DriftDetail['worst'] = [];
  head.ids.forEach((id, i) => {
    const j = baseAt.get(id);
    if (j === undefined) return;
    const g = bv[j]!;
    const c = hv[i]!;
    samples++;
    if (g.length !== c.length || bo.summary[j]?.[0] !== ho.summary[i]?.[0]) {
      values += c.length;
      outside += c.length;
      perSample.push({ id, maxAbs: null, outside: c.length });
      return;
    }
    let sampleMax = 0;
    let sampleOutside = 0;
    for (let k = 0; k < c.length; k++) {
      const gv = g[k]!;
      const cv = c[k]!;
      const d = Math.abs(cv - gv);
      if (d > sampleMax || Number.isNaN(d)) sampleMax = Number.isNaN(d) ? Number.MAX_VALUE : d;
      sumAbs += d;
      if (gv !== 0) maxRel = Math.max(maxRel, d / Math.abs(gv));
      // numpy.isclose: |a − b| <= atol + rtol·|b|; a NaN is never close.
      if (!(d <= tol.atol + tol.rtol * Math.abs(gv))) sampleOutside++;
      dot += gv * cv;
      nb += gv * gv;
      nh += cv * cv;
    }
    values += c.length;
    outside += sampleOutside;
    maxAbs = Math.max(maxAbs, sampleMax);
    if (sampleMax > 0) perSample.push({ id, maxAbs: sampleMax, outside: sampleOutside });
  });
  if (samples === 0) return 'reason.driftUnpaired';
  const cosine = nb === 0 && nh === 0 ? 1 : nb === 0 || nh === 0 ? 0 : dot / Math.sqrt(nb * nh);
  const rank = (w: DriftDetail['worst'][number]) => w.maxAbs ?? Infinity;
  perSample.sort((a, b) => rank(b) - rank(a) || b.outside - a.outside);
  return {
    output: ho.name,
    values,
    samples,
    maxAbs,
    meanAbs: values > 0 ? sumAbs / values : 0,
    maxRel,
    cosine,
    outside,
    atol: tol.atol,
    rtol: tol.rtol,
    worst: perSample.slice(0, WORST),
  };
}

function beyond(x: number, level: number): boolean {
  return x > level + 1e-9 * Math.max(1, Math.abs(level));
}

/** The drift rows of a model: one per output tensor of this run that the baseline kept too. */
export function driftRows(base: GoldenOutputs | undefined, head: GoldenOutputs | undefined, th: Threshold | undefined): ComparisonRow[] {
  if (!base || !head || !th) return [];
  const tol = th.tolerance ?? { atol: 1e-3, rtol: 1e-3 };
  return head.outputs.map((ho) => {
    const meta = { metric: `drift.${ho.name}`, label: `output drift, ${ho.name}`, unit: '%' as const, better: 'lower' as const };
    const bo = base.outputs.find((o) => o.name === ho.name);
    const missing = (key: string): ComparisonRow => ({
      ...meta,
      baseline: null,
      current: null,
      deltaAbs: null,
      deltaRel: null,
      band: 'missing',
      reason: '',
      reasonParts: [{ key, args: { output: ho.name } }],
    });
    if (!bo) return missing('reason.driftNoOutput');
    const d = outputDrift(base, bo, head, ho, tol);
    if (typeof d === 'string') return missing(d);
    const share = d.values > 0 ? (100 * d.outside) / d.values : 0;
    const parts: ReasonPart[] = [];
    let band: ComparisonRow['band'] = 'pass';
    const level = (l: NonNullable<Threshold['fail']>) => ({ level: l, unit: '%' as const });
    if (th.fail && beyond(share, th.fail.value)) {
      band = 'fail';
      parts.push({ key: 'reason.riseOver', args: { level: level(th.fail) } });
    } else if (th.warn && beyond(share, th.warn.value)) {
      band = 'warn';
      parts.push({ key: 'reason.riseOver', args: { level: level(th.warn) } });
    } else if (d.outside === 0 && d.maxAbs === 0) {
      parts.push({ key: 'reason.driftNone', args: { values: d.values } });
    } else {
      parts.push({ key: 'reason.within', args: { level: level((th.warn ?? th.fail)!) } });
    }
    if (d.maxAbs > 0) {
      parts.push({
        key: 'reason.drift',
        args: {
          maxAbs: sig(d.maxAbs),
          meanAbs: sig(d.meanAbs),
          maxRel: sig(d.maxRel),
          cosine: sig(d.cosine, 10),
          outside: d.outside,
          values: d.values,
          atol: d.atol,
          rtol: d.rtol,
        },
      });
    }
    return { ...meta, baseline: 0, current: share, deltaAbs: share, deltaRel: null, band, reason: '', reasonParts: parts, drift: d };
  });
}
