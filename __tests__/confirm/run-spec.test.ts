/**
 * The run record of a baseline (pure): which spec differences are named first, the
 * baseline-path shorthand's exception for the model hash, the predictions digest, and the codec
 * that refuses a damaged record by name.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { describeDifferences, modelHash, predictionsDigest, specDifferences } from '../../src/run-spec.js';
import { decodeBaseline, encodeBaseline } from '../../src/stores/codec.js';
import { BASELINE_SCHEMA, type Baseline, type RunSpec } from '../../src/types.js';

const H = (c: string) => c.repeat(64);

const spec: RunSpec = {
  model: { format: 'onnx', sha256: H('a') },
  task: 'ocr-rec',
  dataset: { format: 'ppocr-rec', sha256: H('b'), samples: 24, preprocess: { kind: 'ppocr-rec', shape: [3, 48, 320] }, limit: 24 },
  inputShape: [3, 48, 320],
  batchSize: 1,
  engine: {
    name: 'onnxruntime',
    device: 'cpu',
    precision: 'fp32',
    threads: 1,
    tensorrt: false,
    mkldnn: false,
    irOptim: true,
    memoryOptim: true,
    deviceId: 0,
  },
  runner: { kind: 'embedded', image: null, command: null, cpus: null, memory: null },
  measure: {
    warmupIterations: 20,
    warmupSeconds: 1,
    rounds: 8,
    minIterationsPerRound: 20,
    minRoundSeconds: 1,
    maxSeconds: 60,
    minRounds: 4,
    precision: 0.01,
  },
};

describe('run spec differences', () => {
  it('a preprocessing change is named by its setting first, the derived hashes last', () => {
    const wide: RunSpec = {
      ...spec,
      dataset: { ...spec.dataset, sha256: H('c'), preprocess: { kind: 'ppocr-rec', shape: [3, 48, 448] } },
      inputShape: [3, 48, 448],
    };
    const diffs = specDifferences(spec, wide);
    expect(diffs.map((d) => d.field)).toEqual(['dataset.preprocess.shape', 'inputShape', 'dataset.sha256']);
    expect(describeDifferences(diffs)).toBe('dataset.preprocess.shape [3,48,320] → [3,48,448] (also inputShape, dataset.sha256)');
  });

  it('baseline-path ignores only the model hash', () => {
    const other = { ...spec, model: { ...spec.model, sha256: H('d') } };
    expect(specDifferences(spec, other, { exceptModel: true })).toEqual([]);
    expect(describeDifferences(specDifferences(spec, other))).toBe(`model.sha256 ${'a'.repeat(12)} → ${'d'.repeat(12)}`);
    const threads = { ...other, engine: { ...spec.engine, threads: 4 } };
    expect(describeDifferences(specDifferences(spec, threads, { exceptModel: true }))).toBe('engine.threads 1 → 4');
    const measure = { ...spec, measure: { ...spec.measure, rounds: 4 } };
    expect(describeDifferences(specDifferences(spec, measure, { exceptModel: true }))).toBe('measure.rounds 8 → 4');
  });

  it('one model file keeps its own hash; several are hashed together, independent of order', () => {
    expect(modelHash([{ path: 'm.onnx', sha256: H('a'), bytes: 1 }])).toBe(H('a'));
    const two = [
      { path: 'dir/inference.json', sha256: H('a'), bytes: 1 },
      { path: 'dir/inference.pdiparams', sha256: H('b'), bytes: 2 },
    ];
    expect(modelHash(two)).toBe(modelHash([two[1]!, two[0]!]));
    expect(modelHash(two)).not.toBe(modelHash([two[0]!, { ...two[1]!, sha256: H('c') }]));
  });

  it('the predictions digest follows what was predicted, not the scores', () => {
    const outputs = (ids: number[], probs: number[]) => ({ ids: ['a.png'], predictions: [{ kind: 'ctc' as const, ids, probs }] });
    expect(predictionsDigest(outputs([0, 5, 5], [0.9, 0.8, 0.7]))).toEqual(predictionsDigest(outputs([0, 5, 5], [0.91, 0.79, 0.7])));
    expect(predictionsDigest(outputs([0, 5, 5], [0.9, 0.8, 0.7])).sha256).not.toBe(
      predictionsDigest(outputs([0, 5, 6], [0.9, 0.8, 0.7])).sha256,
    );
    expect(predictionsDigest(outputs([1], [1])).samples).toBe(1);
  });
});

describe('the run record in the baseline document', () => {
  const baseline: Baseline = {
    schema: BASELINE_SCHEMA,
    gate: 'g',
    model: 'm',
    repo: 'o/r',
    commit: H('e').slice(0, 40),
    branch: 'main',
    createdAt: '2026-11-29T19:00:00.000Z',
    fingerprint: { engine: 'onnxruntime' },
    fingerprintHash: 'f'.repeat(16),
    metrics: { model: 'm', task: 'ocr-rec', samples: 24, iterations: 100, metrics: [] },
    run: { spec, predictions: { sha256: H('9'), samples: 24 }, ownMs: 11.9 },
  };

  it('round-trips, and a document without it (written before) still reads', () => {
    expect(decodeBaseline(encodeBaseline(baseline), 'x').run).toEqual(baseline.run);
    const { run: _omitted, ...older } = baseline;
    expect(decodeBaseline(JSON.stringify(older), 'x').run).toBeUndefined();
  });

  it.each([
    [
      'run.spec.model.sha256',
      (d: any) => (d.run.spec.model.sha256 = 'abc'),
      /field 'run\.spec\.model\.sha256' should be a sha256 hex digest, found "abc"/,
    ],
    [
      'run.spec.engine.threads',
      (d: any) => delete d.run.spec.engine.threads,
      /field 'run\.spec\.engine\.threads' should be a finite number, found nothing/,
    ],
    ['run.predictions', (d: any) => (d.run.predictions = null), /field 'run\.predictions' should be an object/],
    [
      'run.spec.inputShape',
      (d: any) => (d.run.spec.inputShape = '3x48x320'),
      /field 'run\.spec\.inputShape' should be an array of numbers/,
    ],
  ])('a damaged %s is refused by name', (_field, damage, message) => {
    const doc = JSON.parse(JSON.stringify(baseline));
    damage(doc);
    expect(() => decodeBaseline(JSON.stringify(doc), 'commits/x.json')).toThrow(StoreError);
    expect(() => decodeBaseline(JSON.stringify(doc), 'commits/x.json')).toThrow(message);
  });
});
