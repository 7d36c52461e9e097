/**
 * `paddle-perf-gate compare BASE HEAD`: two report.json files (or a stored baseline as BASE),
 * each validated against its schema (report/schema.ts, stores/codec.ts) before anything reads
 * it, judged with the same function as the gate. Kept out of cli.ts so it runs in-process too.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { gateVerdict, judgeModel } from './compare/index.js';
import { decodeUtf8 } from './config/text.js';
import { ConfigError } from './errors.js';
import { fingerprintOf } from './fingerprint.js';
import { validateModelMetrics, validateReport } from './report/schema.js';
import { decodeBaseline } from './stores/codec.js';
import { describe } from './text/index.js';
import { BASELINE_SCHEMA, type Baseline, type GatePlan, type GateReport } from './types.js';

/** HEAD judged against BASE: the report `compare` prints, and whether it fails the gate. */
export async function compareFiles(
  basePath: string,
  headPath: string,
  plan: Pick<GatePlan, 'thresholds' | 'fingerprintFields' | 'failOn'>,
): Promise<{ report: GateReport; failed: boolean }> {
  const base = await readComparable(basePath);
  const head = await readComparable(headPath);
  if (head.kind !== 'report') throw new ConfigError(`${headPath}: HEAD must be a report.json written by \`paddle-perf-gate run\``);
  if (await sameReport(basePath, headPath)) {
    throw new ConfigError(
      `compare: BASE (${basePath}) and HEAD (${headPath}) are the same report: compare the base commit's report or baseline with this run's`,
    );
  }

  const models: GateReport['models'] = head.report.models.map((entry) => {
    const name = entry.metrics.model;
    const headSide = { metrics: entry.metrics, fingerprint: fingerprintOf({ ...entry.run, batchSize: entry.run.batchSize }) };
    const baseSide = base.find(name);
    return {
      ...entry,
      comparison: describe(judgeModel(baseSide, headSide, plan)),
      ...(baseSide?.ref ? { baseline: baseSide.ref } : {}),
    };
  });
  const summary = gateVerdict(
    models.map((m) => m.comparison),
    plan.failOn,
  );
  const report: GateReport = {
    ...head.report,
    verdict: summary.verdict,
    regressions: summary.regressions,
    warnings: summary.warnings,
    inconclusive: summary.inconclusive,
    models,
  };
  delete report.promotion;
  return { report, failed: summary.failed };
}

type BaseSide = {
  metrics: GateReport['models'][number]['metrics'];
  fingerprint: Record<string, string | null>;
  ref?: Pick<Baseline, 'commit' | 'branch' | 'createdAt'>;
};
type Comparable =
  | { kind: 'report'; report: GateReport; find(model: string): BaseSide | undefined }
  | { kind: 'baseline'; find(model: string): BaseSide | undefined };

/** A report.json (all models of a run) or one stored baseline document, validated (report/schema.ts, stores/codec.ts). */
async function readComparable(file: string): Promise<Comparable> {
  let bytes: Uint8Array;
  try {
    if (!(await stat(file)).isFile()) throw new ConfigError(`${file}: expected a report.json file, got a directory or device`);
    bytes = await readFile(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${file}: cannot read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const decoded = decodeUtf8(bytes, file);
  if ('problem' in decoded) throw new ConfigError(decoded.problem);
  let doc: unknown;
  try {
    doc = JSON.parse(decoded.text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (isObject(doc) && doc['schema'] === BASELINE_SCHEMA) {
    let baseline: Baseline;
    try {
      baseline = decodeBaseline(decoded.text, file);
    } catch (error) {
      throw new ConfigError(error instanceof Error ? error.message : String(error));
    }
    validateModelMetrics(baseline.metrics, file);
    return {
      kind: 'baseline',
      find: (model) =>
        model === baseline.model ? { metrics: baseline.metrics, fingerprint: baseline.fingerprint, ref: baseline } : undefined,
    };
  }
  if (!isObject(doc) || !('models' in doc)) {
    throw new ConfigError(
      `${file}: expected a report.json written by \`paddle-perf-gate run\` (schema/report.schema.json) or a baseline document (schema ${BASELINE_SCHEMA})`,
    );
  }
  const report = validateReport(doc, file);
  return {
    kind: 'report',
    report,
    find: (model) => {
      const entry = report.models.find((m) => m.metrics.model === model);
      return entry && { metrics: entry.metrics, fingerprint: fingerprintOf({ ...entry.run, batchSize: entry.run.batchSize }) };
    },
  };
}

/** BASE and HEAD are one file, or two copies of the same report: a comparison would say nothing. */
async function sameReport(basePath: string, headPath: string): Promise<boolean> {
  const [a, b] = await Promise.all([realpath(basePath), realpath(headPath)]);
  if (a === b) return true;
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
