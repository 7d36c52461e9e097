/**
 * The JSON Schema of report.json (what `paddle-perf-gate run` writes and `compare` reads), published
 * as schema/report.schema.json, and the validator that checks a parsed document against it.
 *
 * One source: the validator interprets the very schema object that is written to the file (a small
 * draft 2020-12 subset: type, enum, pattern, min/max, properties, required, additionalProperties,
 * items, minItems, maxItems, anyOf, $ref to #/$defs), so the two cannot disagree. Two rules JSON
 * Schema cannot say are added in code: numbers must be finite (`1e999` parses to Infinity), and
 * parallel arrays must have equal lengths.
 *
 * Unknown properties are ignored (a report from a newer version still compares); every known one
 * is checked, so nothing downstream meets a missing field or a string where a number belongs.
 */
import { SchemaError } from '../errors.js';
import type { GateReport } from '../types.js';
import { GATE_ID_PATTERN } from '../config/spec.js';
import { counted } from '../plural.js';

type Json = Record<string, unknown>;

const str = (description: string, extra: Json = {}): Json => ({ type: 'string', description, ...extra });
const nonEmpty = (description: string): Json => str(description, { minLength: 1 });
const num = (description: string, extra: Json = {}): Json => ({ type: 'number', description, ...extra });
const int = (description: string, minimum = 0): Json => ({ type: 'integer', minimum, description });
const nullableNum = (description: string): Json => ({ type: ['number', 'null'], description });
const obj = (description: string, properties: Record<string, Json>, required: string[] = Object.keys(properties)): Json => ({
  type: 'object',
  description,
  properties,
  required,
});
const arr = (description: string, items: Json, extra: Json = {}): Json => ({ type: 'array', description, items, ...extra });
const ref = (name: string): Json => ({ $ref: `#/$defs/${name}` });

const VERDICTS = ['pass', 'warn', 'fail', 'inconclusive', 'incomparable', 'no-baseline', 'unreadable', 'accepted'];
const VIA = { type: 'string', enum: ['label', 'comment'], description: 'How it was given: a PR label or a /perf-gate accept comment.' };
const UNITS = ['%', 'ms', '/s', 'MB', 'MB/1k'];
const BETTER = ['higher', 'lower'];

const $defs: Record<string, Json> = {
  reasonParts: arr(
    'The reason as message keys with raw arguments (the report renders them in its language).',
    obj(
      'A message key with its arguments.',
      {
        key: nonEmpty('Message key.'),
        args: {
          type: 'object',
          description:
            'Arguments: text, a number, or an object saying how to show a number (level, value, change, amount, rel, percent, p, rows).',
          additionalProperties: {
            anyOf: [str('Text.'), num('A number.'), { type: 'object', description: 'A number with how to show it.' }],
          },
        },
      },
      ['key'],
    ),
  ),
  better: { type: 'string', enum: BETTER, description: 'Which direction is an improvement.' },
  unit: { type: 'string', enum: UNITS, description: "The metric's unit." },
  verdict: { type: 'string', enum: VERDICTS, description: 'A verdict.' },
  metricValue: obj(
    'One measured metric.',
    {
      id: nonEmpty('Metric id, e.g. latency.p90.'),
      label: str('Human label.'),
      unit: ref('unit'),
      better: ref('better'),
      value: nullableNum('The value; null when not measurable.'),
      rounds: arr('Per-round values.', num('A round value.')),
      perSample: obj('Per-sample correctness (accuracy).', {
        ids: arr('Sample ids.', str('A sample id.')),
        ok: arr('1 when correct, else 0 (one per id).', num('0 or 1.', { minimum: 0, maximum: 1 })),
      }),
      interval: arr('Interval of the value [lo, hi].', num('A bound.'), { minItems: 2, maxItems: 2 }),
    },
    ['id', 'label', 'unit', 'better', 'value'],
  ),
  modelMetrics: obj(
    "A model's metrics.",
    {
      model: nonEmpty('Model name.'),
      task: { type: 'string', enum: ['classification', 'ocr-rec', 'generic'], description: 'Task.' },
      samples: int('Dataset samples.'),
      iterations: int('Timed iterations.'),
      metrics: arr('The metrics.', ref('metricValue')),
      decoded: arr(
        'Decoded predictions, for the examples.',
        obj('One decoded sample.', {
          id: str('Sample id.'),
          label: { type: ['string', 'null'], description: 'The label, or null.' },
          prediction: str('The decoded prediction.'),
        }),
      ),
      labelEncoding: obj('OCR: label characters outside the dictionary, dropped before scoring (PaddleOCR label encoding).', {
        characters: int('Characters dropped.'),
        lines: int('Labels they were in.'),
        emptied: int('Labels left empty (not scored).'),
      }),
    },
    ['model', 'task', 'samples', 'iterations', 'metrics'],
  ),
  row: obj(
    'One compared metric.',
    {
      metric: nonEmpty('Metric id.'),
      label: str('Human label.'),
      unit: ref('unit'),
      better: ref('better'),
      baseline: nullableNum("The baseline's value."),
      current: nullableNum("This run's value."),
      deltaAbs: nullableNum('current − baseline.'),
      deltaRel: nullableNum('(current − baseline) / |baseline|.'),
      interval: obj('Confidence interval of the change.', {
        lo: num('Lower bound.'),
        hi: num('Upper bound.'),
        of: { type: 'string', enum: ['relative', 'absolute'], description: 'Of which change.' },
        level: num('Confidence level.', { minimum: 0, maximum: 1 }),
      }),
      pValue: num('p-value.', { minimum: 0, maximum: 1 }),
      band: { type: 'string', enum: ['pass', 'warn', 'fail', 'inconclusive', 'missing', 'accepted'], description: 'Band.' },
      reason: str('Why, in one line.'),
      reasonParts: ref('reasonParts'),
      accepted: obj(
        'The acceptance that let this failing row through (band accepted).',
        {
          by: nonEmpty('Login of who accepted.'),
          at: str('ISO 8601 time.'),
          reason: str('Why, in their words.'),
          via: VIA,
          sha: nonEmpty('The PR head it was given for.'),
          pr: int('PR number.', 1),
          carried: { type: 'boolean', description: 'Given for an earlier head; this change is no worse.' },
        },
        ['by', 'at', 'reason', 'via', 'sha', 'pr'],
      ),
      drift: obj("Output drift rows: one output tensor's values against the baseline's golden outputs.", {
        output: str('Output tensor name.'),
        values: int('Values compared.'),
        samples: int('Samples compared.'),
        maxAbs: num('Largest |Δ|.'),
        meanAbs: num('Mean |Δ|.'),
        maxRel: num('Largest |Δ| / |golden| (golden ≠ 0).'),
        cosine: num('Cosine similarity.'),
        outside: int('Values outside atol + rtol·|golden|.'),
        atol: num('Absolute tolerance.', { minimum: 0 }),
        rtol: num('Relative tolerance.', { minimum: 0 }),
        worst: arr(
          'The samples that moved most, worst first.',
          obj(
            'A sample.',
            {
              id: str('Sample id.'),
              maxAbs: nullableNum('Its largest |Δ|; null when its output changed size.'),
              outside: int('Its values outside the tolerance.'),
            },
            ['id', 'outside'],
          ),
        ),
      }),
    },
    ['metric', 'label', 'unit', 'better', 'baseline', 'current', 'deltaAbs', 'deltaRel', 'band', 'reason'],
  ),
  comparison: obj(
    "A model's comparison with its baseline.",
    {
      model: nonEmpty('Model name.'),
      verdict: ref('verdict'),
      reason: str('Why, in one line.'),
      reasonParts: ref('reasonParts'),
      rows: arr('Compared metrics.', ref('row')),
      differences: arr(
        "Fingerprint fields that differ from the baseline's.",
        obj('A differing field.', {
          field: nonEmpty('Field.'),
          baseline: { type: ['string', 'null'], description: "The baseline's value." },
          current: { type: ['string', 'null'], description: "This run's value." },
        }),
      ),
    },
    ['model', 'verdict', 'reason', 'rows'],
  ),
  run: obj('How the model was run (the environment fingerprint is computed from this).', {
    model: obj('The model.', {
      name: nonEmpty('Model name.'),
      format: { type: 'string', enum: ['onnx', 'paddle-pdmodel', 'paddle-pir'], description: 'Model format.' },
      files: arr(
        'Model files.',
        obj('A model file.', {
          path: nonEmpty('Path.'),
          sha256: str('SHA-256, hex.', { pattern: '^[0-9a-f]{64}$' }),
          bytes: int('Size in bytes.'),
        }),
      ),
    }),
    engine: obj('The engine.', {
      name: { type: 'string', enum: ['onnxruntime', 'paddle'], description: 'Engine.' },
      version: nonEmpty('Engine version.'),
      device: { type: 'string', enum: ['cpu', 'gpu'], description: 'Device.' },
      precision: { type: 'string', enum: ['fp32', 'fp16', 'bf16', 'int8'], description: 'Precision.' },
      options: {
        type: 'object',
        description: 'Engine options.',
        additionalProperties: { type: ['string', 'number', 'boolean'], description: 'An option value.' },
      },
    }),
    env: {
      type: 'object',
      description: 'Environment fingerprint; null = unknown.',
      additionalProperties: { type: ['string', 'null'], description: 'A field value.' },
    },
    rounds: int('Timed rounds.'),
    iterations: int('Timed iterations.'),
    warmupIterations: int('Warm-up iterations.'),
    batchSize: int('Samples per call.', 1),
  }),
  model: obj(
    'One model of the gate.',
    {
      variant: obj('Set when this row group is one variant of a gate.yml model (variants:).', {
        of: nonEmpty('The model entry the variant belongs to.'),
        label: nonEmpty('The variant label.'),
      }),
      comparison: ref('comparison'),
      metrics: ref('modelMetrics'),
      run: ref('run'),
      baseline: obj('The baseline compared with.', {
        commit: nonEmpty('Commit.'),
        branch: str('Branch.'),
        createdAt: str('ISO 8601 time.'),
      }),
      trend: arr(
        'Latency p50 of the last baselines and this run, oldest first.',
        obj(
          'A point.',
          {
            commit: str('Commit.'),
            value: num('p50, ms.'),
            accepted: { type: 'boolean', description: 'Promoted with an accepted regression.' },
          },
          ['commit', 'value'],
        ),
      ),
    },
    ['comparison', 'metrics', 'run'],
  ),
};

const REPORT_JSON_SCHEMA: Json = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'paddle-perf-gate/report.schema.json',
  title: 'paddle-perf-gate report.json',
  description:
    'What `paddle-perf-gate run` writes as report.json and `paddle-perf-gate compare` reads. Numbers must also be finite; unknown properties are ignored.',
  type: 'object',
  properties: {
    gate: str('Gate id (the same rule as gate.yml `gate`).', { pattern: GATE_ID_PATTERN }),
    verdict: ref('verdict'),
    regressions: int('Metrics that failed.'),
    warnings: int('Metrics that warned.'),
    inconclusive: int('Metrics that were inconclusive.'),
    accepted: int('Failing metrics let through by an acceptance.'),
    acceptance: obj('Acceptance on the PR (the records are kept hidden in the PR comment).', {
      pr: int('PR number.', 1),
      head: nonEmpty('The PR head this run judged.'),
      records: arr(
        'Acceptances, each bound to the head it was given for.',
        obj(
          'An acceptance.',
          {
            by: nonEmpty('Login.'),
            at: str('ISO 8601 time.'),
            reason: str('Why.'),
            via: VIA,
            sha: nonEmpty('The PR head it was given for.'),
            pr: int('PR number.', 1),
            metrics: {
              anyOf: [{ type: 'string', enum: ['all'], description: 'Every metric.' }, arr('Metric ids or prefixes.', str('A metric id.'))],
              description: 'What it covers.',
            },
            rows: arr(
              'The failing rows it accepted at that head.',
              obj(
                'An accepted change.',
                {
                  model: str('Model.'),
                  metric: str('Metric id.'),
                  unit: ref('unit'),
                  deltaAbs: nullableNum('current − baseline.'),
                  deltaRel: nullableNum('relative change.'),
                },
                ['model', 'metric', 'deltaAbs', 'deltaRel'],
              ),
            ),
          },
          ['by', 'at', 'reason', 'via', 'sha', 'pr', 'metrics', 'rows'],
        ),
      ),
      refused: arr(
        'Acceptances not counted, with why.',
        obj('A refusal.', {
          by: nonEmpty('Login.'),
          via: VIA,
          why: { type: 'object', description: 'Why, as a message key with arguments.' },
        }),
      ),
    }),
    models: arr('One entry per model.', ref('model'), { minItems: 1 }),
    promotion: obj(
      'What happened to the baseline.',
      {
        done: { type: 'boolean', description: 'Promoted.' },
        failed: {
          type: 'boolean',
          description: 'A promoting run whose promotion could not happen (the store could not be read or written).',
        },
        message: str('Why.'),
      },
      ['done', 'message'],
    ),
    warningsLog: arr('Warnings of the run.', str('A warning.')),
    shards: int('Set by aggregate: how many shards (run --shard i/n) this report merges.', 1),
    startedAt: str('ISO 8601 start time.'),
    durationSeconds: num('Seconds the run took.', { minimum: 0 }),
  },
  required: ['gate', 'verdict', 'regressions', 'warnings', 'models', 'warningsLog', 'startedAt', 'durationSeconds'],
  $defs,
};

/** The file's text (a test keeps schema/report.schema.json equal to it). */
export function reportSchemaText(): string {
  return `${JSON.stringify(REPORT_JSON_SCHEMA, null, 2)}\n`;
}

// ───────────────────────────── the validator ─────────────────────────────

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  if (text === undefined) return typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'null':
      return v === null;
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return false;
  }
}

const TYPE_WORDS: Record<string, string> = {
  null: 'null',
  string: 'a string',
  boolean: 'true or false',
  number: 'a finite number',
  integer: 'an integer',
  array: 'an array',
  object: 'an object',
};

/** "an integer ≥ 0", "one of pass, warn", "a string matching ^…$": what a schema node expects. */
function expectation(schema: Json): string {
  if (Array.isArray(schema['enum'])) return `one of ${(schema['enum'] as unknown[]).join(', ')}`;
  const types = ([] as string[]).concat((schema['type'] as string | string[] | undefined) ?? []);
  let text = types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
  if (typeof schema['minimum'] === 'number') text += ` ≥ ${schema['minimum']}`;
  if (typeof schema['maximum'] === 'number') text += ` ≤ ${schema['maximum']}`;
  if (typeof schema['pattern'] === 'string') text += ` matching ${schema['pattern']}`;
  if (schema['minLength'] === 1) text = `a non-empty ${text.replace(/^a /, '')}`;
  return text;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  return path === '' ? name : /^[A-Za-z_$]/.test(name) ? `${path}.${name}` : `${path}[${name}]`;
}

class Validator {
  constructor(
    private readonly root: Json,
    private readonly source: string,
  ) {}

  /** `got` is shown as JSON; `gotText` (a count, a length) as it is. */
  fail(path: string, expected: string, value: unknown, gotText?: string): never {
    throw new SchemaError(`${this.source}: ${path || '(document)'}: expected ${expected}, got ${gotText ?? show(value)}`);
  }

  check(schema: Json, v: unknown, path: string): void {
    const target = schema['$ref'];
    if (typeof target === 'string') {
      const name = target.replace('#/$defs/', '');
      const defs = this.root['$defs'] as Record<string, Json>;
      const resolved = defs[name];
      if (!resolved) throw new Error(`report schema: unknown $ref ${target}`);
      this.check(resolved, v, path);
      return;
    }
    if (Array.isArray(schema['anyOf'])) {
      const variants = schema['anyOf'] as Json[];
      if (!variants.some((variant) => this.passes(variant, v, path))) this.fail(path, variants.map(expectation).join(', or '), v);
    }
    if (schema['type'] !== undefined) {
      const types = ([] as string[]).concat(schema['type'] as string | string[]);
      if (!types.some((t) => typeOk(t, v))) this.fail(path, expectation(schema), v);
    }
    if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(v)) this.fail(path, expectation(schema), v);
    if (typeof v === 'string') {
      if (typeof schema['minLength'] === 'number' && v.length < schema['minLength']) this.fail(path, expectation(schema), v);
      if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(v)) this.fail(path, expectation(schema), v);
    }
    if (typeof v === 'number') {
      if (typeof schema['minimum'] === 'number' && v < schema['minimum']) this.fail(path, expectation(schema), v);
      if (typeof schema['maximum'] === 'number' && v > schema['maximum']) this.fail(path, expectation(schema), v);
    }
    if (Array.isArray(v)) {
      const min = schema['minItems'];
      const max = schema['maxItems'];
      const items = (n: number) => `${n} item${n === 1 ? '' : 's'}`;
      if (typeof min === 'number' && v.length < min) this.fail(path, `at least ${items(min)}`, v, items(v.length));
      if (typeof max === 'number' && v.length > max) this.fail(path, `at most ${items(max)}`, v, items(v.length));
      const each = schema['items'] as Json | undefined;
      if (each) v.forEach((item, i) => this.check(each, item, join(path, i)));
    }
    if (typeOk('object', v)) {
      const o = v as Json;
      for (const key of (schema['required'] as string[] | undefined) ?? []) {
        if (!Object.hasOwn(o, key)) this.fail(join(path, key), `${expectation(this.deref(schema, key))} (required)`, undefined);
      }
      const properties = (schema['properties'] as Record<string, Json> | undefined) ?? {};
      const additional = schema['additionalProperties'] as Json | boolean | undefined;
      for (const [key, value] of Object.entries(o)) {
        const child = Object.hasOwn(properties, key) ? properties[key] : undefined;
        if (child) this.check(child, value, join(path, key));
        else if (additional === false) this.fail(join(path, key), 'no such property', value);
        else if (typeof additional === 'object') this.check(additional, value, join(path, key));
      }
    }
  }

  /** A property's schema with its $ref resolved, for the "(required)" message. */
  private deref(schema: Json, key: string): Json {
    let child = ((schema['properties'] as Record<string, Json> | undefined) ?? {})[key] ?? {};
    const target = child['$ref'];
    if (typeof target === 'string') child = (this.root['$defs'] as Record<string, Json>)[target.replace('#/$defs/', '')] ?? {};
    return child;
  }

  private passes(schema: Json, v: unknown, path: string): boolean {
    try {
      this.check(schema, v, path);
      return true;
    } catch (error) {
      if (error instanceof SchemaError) return false;
      throw error;
    }
  }
}

/**
 * Checks a parsed report.json against REPORT_JSON_SCHEMA (plus finite numbers and equal-length
 * parallel arrays) and returns it typed. `source` names the document in messages:
 * `head.json: models[0].metrics.metrics[3].value: expected a finite number or null, got "58"`.
 */
export function validateReport(doc: unknown, source: string): GateReport {
  const v = new Validator(REPORT_JSON_SCHEMA, source);
  v.check(REPORT_JSON_SCHEMA, doc, '');
  const report = doc as GateReport;
  report.models.forEach((entry, i) => {
    const at = `models[${i}]`;
    entry.metrics.metrics.forEach((metric, j) => {
      const sample = metric.perSample;
      if (sample && sample.ok.length !== sample.ids.length) {
        v.fail(
          `${at}.metrics.metrics[${j}].perSample.ok`,
          `${counted(sample.ids.length, 'value', 'values')} (one per id)`,
          sample.ok,
          `${sample.ok.length}`,
        );
      }
    });
    if (entry.comparison.model !== entry.metrics.model) {
      v.fail(`${at}.comparison.model`, `the model of ${at}.metrics (${show(entry.metrics.model)})`, entry.comparison.model);
    }
  });
  const seen = new Set<string>();
  report.models.forEach((entry, i) => {
    if (seen.has(entry.metrics.model))
      v.fail(`models[${i}].metrics.model`, 'a model name not used by an earlier entry', entry.metrics.model);
    seen.add(entry.metrics.model);
  });
  return report;
}

/**
 * Checks the `metrics` of a stored baseline document (the same shape as a report's
 * `models[].metrics`); `path` is where it sits in that document.
 */
export function validateModelMetrics(doc: unknown, source: string, path = 'metrics'): GateReport['models'][number]['metrics'] {
  const v = new Validator(REPORT_JSON_SCHEMA, source);
  v.check(ref('modelMetrics'), doc, path);
  return doc as GateReport['models'][number]['metrics'];
}
