import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA_FILE } from '../../scripts/write-schema.js';
import { SchemaError } from '../../src/errors.js';
import { renderJson } from '../../src/report/index.js';
import { reportSchemaText, validateModelMetrics, validateReport } from '../../src/report/schema.js';
import { ocrMetrics, report } from './fixture.js';

/** A report as `run` writes it, parsed back from its JSON text. */
function written(): Record<string, any> {
  const base = ocrMetrics({ wrong: 10, latencyScale: 1, gpuMb: 900 });
  const head = ocrMetrics({ wrong: 12, latencyScale: 1.2, gpuMb: 950 });
  return JSON.parse(renderJson(report([{ base, head }], { promotion: { done: false, message: 'not promoted' } })));
}

function refusal(doc: unknown): string {
  try {
    validateReport(doc, 'head.json');
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    return (error as Error).message;
  }
  throw new Error('the document was accepted');
}

describe('report.json schema', () => {
  it('the published schema/report.schema.json is the one the validator uses', () => {
    expect(readFileSync(REPORT_SCHEMA_FILE, 'utf8')).toBe(reportSchemaText());
  });

  it('accepts a report as written, with and without a baseline', () => {
    expect(validateReport(written(), 'r.json').gate).toBe('ppocr-rec');
    const first = JSON.parse(renderJson(report([{ head: ocrMetrics({ wrong: 0, latencyScale: 1, gpuMb: null }) }])));
    expect(validateReport(first, 'r.json').verdict).toBe('no-baseline');
  });

  it('ignores properties it does not know (a newer report still compares)', () => {
    const doc = written();
    doc['comment'] = { url: 'x' };
    doc['models'][0]['extra'] = 1;
    expect(() => validateReport(doc, 'r.json')).not.toThrow();
  });

  const cases: Array<[string, (doc: Record<string, any>) => void, string]> = [
    [
      'gate id that would end the HTML marker',
      (d) => (d['gate'] = 'x-->'),
      'head.json: gate: expected a string matching ^[A-Za-z0-9._-]{1,64}$, got "x-->"',
    ],
    ['gate id too long', (d) => (d['gate'] = 'a'.repeat(65)), 'head.json: gate: expected a string matching'],
    ['empty run', (d) => (d['models'][0]['run'] = {}), 'head.json: models[0].run.model: expected an object (required), got nothing'],
    [
      'metric value as text',
      (d) => (d['models'][0]['metrics']['metrics'][2]['value'] = '58'),
      'head.json: models[0].metrics.metrics[2].value: expected a finite number or null, got "58"',
    ],
    [
      'metric without unit',
      (d) => delete d['models'][0]['metrics']['metrics'][0]['unit'],
      'head.json: models[0].metrics.metrics[0].unit: expected one of %, ms, /s, MB, MB/1k (required), got nothing',
    ],
    [
      'infinite number (1e999 parses to Infinity)',
      (d) => (d['models'][0]['comparison']['rows'][0]['current'] = Infinity),
      'head.json: models[0].comparison.rows[0].current: expected a finite number or null, got Infinity',
    ],
    ['unknown verdict', (d) => (d['verdict'] = 'great'), 'head.json: verdict: expected one of pass, warn, fail'],
    ['negative count', (d) => (d['regressions'] = -1), 'head.json: regressions: expected an integer ≥ 0, got -1'],
    ['batch size 0', (d) => (d['models'][0]['run']['batchSize'] = 0), 'head.json: models[0].run.batchSize: expected an integer ≥ 1, got 0'],
    [
      'env value a number',
      (d) => (d['models'][0]['run']['env']['cuda'] = 12),
      'head.json: models[0].run.env.cuda: expected a string or null, got 12',
    ],
    ['models not a list', (d) => (d['models'] = {}), 'head.json: models: expected an array, got {}'],
    ['no models at all', (d) => (d['models'] = []), 'head.json: models: expected at least 1 item, got 0 items'],
    [
      'per-sample arrays of different lengths',
      (d) => d['models'][0]['metrics']['metrics'][0]['perSample']['ok'].pop(),
      'head.json: models[0].metrics.metrics[0].perSample.ok: expected 1000 values (one per id), got 999',
    ],
    [
      'comparison of another model',
      (d) => (d['models'][0]['comparison']['model'] = 'other'),
      'head.json: models[0].comparison.model: expected the model of models[0].metrics ("PP-OCRv4-rec"), got "other"',
    ],
    [
      'the same model twice',
      (d) => d['models'].push(structuredClone(d['models'][0])),
      'head.json: models[1].metrics.model: expected a model name not used by an earlier entry',
    ],
  ];
  it.each(cases)('refuses %s, naming the field and what was expected', (_name, edit, message) => {
    const doc = written();
    edit(doc);
    expect(refusal(doc)).toContain(message);
  });

  it('refuses a document that is not an object', () => {
    expect(refusal(null)).toBe('head.json: (document): expected an object, got null');
    expect(refusal([1])).toBe('head.json: (document): expected an object, got [1]');
  });

  it("checks a baseline's metrics with the same rules", () => {
    const metrics = written()['models'][0]['metrics'];
    expect(validateModelMetrics(metrics, 'b.json').model).toBe('PP-OCRv4-rec');
    metrics['samples'] = 'many';
    expect(() => validateModelMetrics(metrics, 'b.json')).toThrow('b.json: metrics.samples: expected an integer ≥ 0, got "many"');
  });
});
