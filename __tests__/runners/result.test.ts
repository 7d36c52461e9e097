/** The run-result schema check: every field a user's own script can get wrong is named by its path. */
import { describe, expect, it } from 'vitest';
import { SchemaError } from '../../src/errors.js';
import { parseRunResult } from '../../src/runners/result.js';
import { validDoc } from './fixtures.js';

type Doc = Record<string, any>;

describe('parseRunResult', () => {
  it('accepts a valid document and returns it unchanged', () => {
    const doc = validDoc();
    expect(parseRunResult(JSON.parse(JSON.stringify(doc)), 'run.json')).toEqual(doc);
  });

  it('accepts GPU memory samples (slightly negative after idle subtraction) with an idle reading', () => {
    const doc: Doc = validDoc();
    doc.memory.gpuIdleMb = 512;
    doc.memory.gpu = { iteration: [0, 10], mb: [-0.5, 800] };
    expect(parseRunResult(doc, 'run.json').memory.gpu).toEqual({ iteration: [0, 10], mb: [-0.5, 800] });
  });

  const cases: Array<[string, (d: Doc) => void, string]> = [
    ['not an object', () => undefined, 'run.json: (document): expected an object, got []'],
    ['wrong schema', (d) => (d.schema = 'run@2'), 'run.json: schema: expected "paddle-perf-gate/run@1", got "run@2"'],
    [
      'latency not a number',
      (d) => (d.timing.rounds[1][1] = 'abc'),
      'run.json: timing.rounds[1][1]: expected a finite number ≥ 0, got "abc"',
    ],
    ['negative latency', (d) => (d.timing.rounds[0][0] = -1), 'run.json: timing.rounds[0][0]: expected a finite number ≥ 0, got -1'],
    ['no rounds', (d) => (d.timing.rounds = []), 'run.json: timing.rounds: expected at least one round, got []'],
    ['an empty round', (d) => (d.timing.rounds[1] = []), 'run.json: timing.rounds[1]: expected at least one iteration, got []'],
    ['batch size 0', (d) => (d.timing.batchSize = 0), 'run.json: timing.batchSize: expected an integer ≥ 1, got 0'],
    [
      'missing startup',
      (d) => delete d.timing.startupSeconds,
      'run.json: timing.startupSeconds: expected a finite number ≥ 0, got nothing',
    ],
    [
      'unknown format',
      (d) => (d.model.format = 'tflite'),
      'run.json: model.format: expected one of onnx, paddle-pdmodel, paddle-pir, got "tflite"',
    ],
    [
      'bad file digest',
      (d) => (d.model.files[0].sha256 = 'xyz'),
      'run.json: model.files[0].sha256: expected a sha256 hex digest, got "xyz"',
    ],
    ['unknown engine', (d) => (d.engine.name = 'tensorrt'), 'run.json: engine.name: expected one of onnxruntime, paddle, got "tensorrt"'],
    [
      'object option',
      (d) => (d.engine.options.trt = { a: 1 }),
      'run.json: engine.options.trt: expected a string, number or boolean, got {"a":1}',
    ],
    ['env number', (d) => (d.env.cuda = 11.8), 'run.json: env.cuda: expected a string or null (unknown), got 11.8'],
    [
      'fake GPU zeros without idle',
      (d) => (d.memory.gpu = { iteration: [0], mb: [0] }),
      'run.json: memory.gpu: expected null when memory.gpuIdleMb is null, got {"iteration":[0],"mb":[0]}',
    ],
    [
      'rss length mismatch',
      (d) => (d.memory.rss.mb = [1]),
      'run.json: memory.rss.mb: expected 2 values (one per iteration index), got "1 value"',
    ],
    ['negative rss', (d) => (d.memory.rss.mb = [1, -2]), 'run.json: memory.rss.mb: expected values ≥ 0, got -2'],
    [
      'fewer predictions than ids',
      (d) => d.outputs.predictions.pop(),
      'run.json: outputs.predictions: expected 3 predictions (one per id), got "2 predictions"',
    ],
    [
      'unknown prediction kind',
      (d) => (d.outputs.predictions[1].kind = 'boxes'),
      'run.json: outputs.predictions[1].kind: expected one of ctc, topk, digest, got "boxes"',
    ],
    [
      'ctc probs short',
      (d) => (d.outputs.predictions[0].probs = [0.1]),
      'run.json: outputs.predictions[0].probs: expected 3 values (one per id), got "1 value"',
    ],
    [
      'fractional class id',
      (d) => (d.outputs.predictions[1].ids[0] = 1.5),
      'run.json: outputs.predictions[1].ids[0]: expected an integer ≥ 0, got 1.5',
    ],
    ['non-string note', (d) => (d.notes = [3]), 'run.json: notes[0]: expected a string, got 3'],
  ];

  it.each(cases)('names the field: %s', (_name, mutate, message) => {
    let doc: unknown = validDoc();
    if (_name === 'not an object') doc = [];
    else mutate(doc as Doc);
    expect(() => parseRunResult(doc, 'run.json')).toThrow(SchemaError);
    expect(() => parseRunResult(doc, 'run.json')).toThrow(message);
  });
});
