import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type ConfigOverrides } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { MINIMAL, makeProject, type Project } from './fixtures.js';

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project.cleanup());

/** The ConfigError message parseConfig throws for `text` (fails the test when it does not throw). */
function problems(text: string, overrides?: ConfigOverrides): string {
  try {
    parseConfig(text, project.file, overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

/** MINIMAL with `extra` appended at the top level (so line numbers of MINIMAL stay put). */
const withTop = (extra: string): string => MINIMAL + extra;

interface Case {
  name: string;
  yaml: string;
  /** `line:col: field.path` that must appear (after the file name). */
  at: string;
  /** What the message must also say. */
  says: string | RegExp;
}

// Line 9 is the first line after MINIMAL (8 lines).
const cases: Case[] = [
  {
    name: 'task outside its enum',
    yaml: MINIMAL.replace('task: ocr-rec', 'task: ocr'),
    at: '5:11: models[0].task',
    says: 'expected one of classification, ocr-rec, generic, got "ocr"',
  },
  {
    name: 'misspelt dataset key',
    yaml: MINIMAL.replace('labels:', 'lables:'),
    at: '7:7: models[0].dataset.lables',
    says: 'unknown key; did you mean `labels`?',
  },
  {
    name: 'snake_case engine key',
    yaml: withTop('engine:\n  batch_size: 4\n'),
    at: '10:3: engine.batch_size',
    says: 'did you mean `batch-size`?',
  },
  {
    name: 'number written as a string',
    yaml: withTop('engine:\n  threads: "4"\n'),
    at: '10:12: engine.threads',
    says: 'expected an integer from 1 to 1,024, got "4" (a string: write the number without quotes)',
  },
  {
    name: 'too few rounds',
    yaml: withTop('measure: { rounds: 1 }\n'),
    at: '9:20: measure.rounds',
    says: 'expected an integer from 2 to 1,000, got 1',
  },
  {
    name: 'YAML 1.1 boolean',
    yaml: withTop('engine: { device: gpu, tensorrt: yes }\nrunner: { kind: docker, image: paddle:3 }\n'),
    at: '9:34: engine.tensorrt',
    says: 'YAML 1.2 reads it as text: write true or false',
  },
  {
    name: 'unknown metric id',
    yaml: withTop('thresholds:\n  latency.p95: { fail: 15% }\n'),
    at: '10:3: thresholds.latency.p95',
    says: /did you mean `latency\.p9[09]`\?/,
  },
  {
    name: 'bare number as a level',
    yaml: withTop('thresholds:\n  accuracy.line: { fail: 0.1 }\n'),
    at: '10:26: thresholds.accuracy.line.fail',
    says: 'got the bare number 0.1',
  },
  {
    name: 'a unit that does not fit the metric',
    yaml: withTop('thresholds:\n  latency.p90: { warn: 64MB }\n'),
    at: '10:24: thresholds.latency.p90.warn',
    says: '64MB does not fit latency.p90, which is measured in ms',
  },
  {
    name: 'percentage points on a latency',
    yaml: withTop('thresholds:\n  latency.p50: { fail: 1pp }\n'),
    at: '10:24: thresholds.latency.p50.fail',
    says: '1pp does not fit latency.p50',
  },
  {
    name: 'fail below the default warn',
    yaml: withTop('thresholds:\n  latency.p90: { fail: 3% }\n'),
    at: '10:24: thresholds.latency.p90.fail',
    says: 'fail 3% is below warn 5% (default): levels must be fail ≥ warn ≥ noise',
  },
  {
    name: 'fail below warn, both written',
    yaml: withTop('thresholds:\n  accuracy.line:\n    fail: 0.3pp\n    warn: 0.4pp\n'),
    at: '11:11: thresholds.accuracy.line.fail',
    says: 'fail 0.3pp is below warn 0.4pp',
  },
  {
    name: 'a relative floor',
    yaml: withTop('thresholds:\n  memory.rss.peak: { min: 10% }\n'),
    at: '10:27: thresholds.memory.rss.peak.min',
    says: "min is an absolute amount in memory.rss.peak's unit (MB)",
  },
  {
    name: 'docker without an image',
    yaml: withTop('runner:\n  kind: docker\n'),
    at: '10:3: runner.image',
    says: 'required for runner kind docker',
  },
  {
    name: 'two stores',
    yaml: withTop('store:\n  file: { dir: b }\n  s3: { bucket: perf-baselines }\n'),
    at: '10:3: store',
    says: 'expected exactly one of file, s3, actions-cache, got file and s3',
  },
  {
    name: 'a secret in gate.yml',
    yaml: withTop('notify:\n  wecom:\n    webhook: https://example.invalid/hook\n'),
    at: '11:5: notify.wecom.webhook',
    says: 'looks like a secret',
  },
  {
    name: 'a token next to the store',
    yaml: withTop('store:\n  s3: { bucket: perf-baselines, session-token: abc }\n'),
    at: '10:33: store.s3.session-token',
    says: 'pass secrets (tokens, passwords, webhook URLs) as action inputs',
  },
  {
    name: 'missing labels file',
    yaml: MINIMAL.replace('data/rec/rec_gt.txt', 'data/rec/missing.txt'),
    at: '7:15: models[0].dataset.labels',
    says: /labels file not found: \/.*\/data\/rec\/missing\.txt/,
  },
  {
    name: 'missing model file',
    yaml: MINIMAL.replace('models/rec.onnx', 'models/nope.onnx'),
    at: '4:11: models[0].path',
    says: /file or directory not found: \/.*\/models\/nope\.onnx/,
  },
  {
    name: 'missing dictionary for ocr-rec',
    yaml: MINIMAL.replace('      dictionary: ppocr_keys_v1.txt\n', ''),
    at: '7:7: models[0].dataset.dictionary',
    says: 'required for task ocr-rec',
  },
  {
    name: 'duplicate model names',
    yaml: MINIMAL + MINIMAL.split('\n').slice(2).join('\n'),
    at: '9:11: models[1].name',
    says: 'duplicate model name "PP-OCRv4-rec" (also models[0].name)',
  },
  {
    name: 'a Paddle model on the embedded runner',
    yaml: MINIMAL.replace('models/rec.onnx', 'models/pir'),
    at: '4:11: models[0].path',
    says: 'the embedded runner runs ONNX models only, but PP-OCRv4-rec is paddle-pir',
  },
  {
    name: 'Paddle weights missing',
    yaml: MINIMAL.replace('models/rec.onnx', 'models/no-params/model.pdmodel'),
    at: '4:11: models[0].path',
    says: /the weights .*no-params\/model\.pdiparams are missing/,
  },
  {
    name: 'a directory holding ONNX and Paddle models',
    yaml: MINIMAL.replace('models/rec.onnx', 'models/mixed'),
    at: '4:11: models[0].path',
    says: 'holds both a Paddle model and rec.onnx: set format',
  },
  {
    name: 'format contradicting the file',
    yaml: MINIMAL.replace('    task: ocr-rec', '    format: paddle-pir\n    task: ocr-rec'),
    at: '5:13: models[0].format',
    says: /format paddle-pir does not match .*rec\.onnx, which is a onnx model/,
  },
  {
    name: 'TensorRT on CPU',
    yaml: MINIMAL.replace('models/rec.onnx', 'models/pd') + 'runner: { kind: local }\nengine:\n  tensorrt: true\n',
    at: '11:13: engine.tensorrt',
    says: 'TensorRT needs device gpu',
  },
  {
    name: 'gpus none while a model wants one',
    yaml: withTop('runner: { kind: docker, image: paddle:3, gpus: none }\nengine: { device: gpu }\n'),
    at: '9:48: runner.gpus',
    says: 'none, but PP-OCRv4-rec run on device gpu',
  },
  {
    name: 'dataset format for another task',
    yaml: MINIMAL.replace('task: ocr-rec', 'task: classification').replace('    dataset:\n', '    dataset:\n      format: ppocr-rec\n'),
    at: '7:15: models[0].dataset.format',
    says: 'format ppocr-rec is for task ocr-rec',
  },
  {
    name: 'generic task without a dataset format',
    yaml: MINIMAL.replace('task: ocr-rec', 'task: generic').replace('      dictionary: ppocr_keys_v1.txt\n', ''),
    at: '7:7: models[0].dataset.format',
    says: 'required for task generic',
  },
  {
    name: 'a size that is not one',
    yaml: withTop('runner:\n  kind: docker\n  image: paddle:3\n  limits: { memory: 16 gigs }\n'),
    at: '12:21: runner.limits.memory',
    says: 'expected a number of bytes or a size such as 512m, 16g',
  },
  {
    name: 'a duration that is not one',
    yaml: withTop('runner:\n  kind: local\n  limits:\n    timeout: soon\n'),
    at: '12:14: runner.limits.timeout',
    says: 'expected a number of seconds or a duration such as 90s, 20m, 1h30m, got "soon"',
  },
  {
    name: 'class names on an OCR model',
    yaml: MINIMAL.replace('      dictionary', "      class-names: ['0', '180']\n      dictionary"),
    at: '8:20: models[0].dataset.class-names',
    says: 'only for classification',
  },
  {
    name: 'no gate id',
    yaml: MINIMAL.replace('gate: ppocr-rec\n', ''),
    at: '1:1: gate',
    says: 'required',
  },
  {
    name: 'a gate id with a space',
    yaml: MINIMAL.replace('gate: ppocr-rec', 'gate: ppocr rec'),
    at: '1:7: gate',
    says: 'expected a string of 1-64 letters, digits, `.`, `_` and `-`, got "ppocr rec"',
  },
  {
    name: 'models as a mapping',
    yaml: 'gate: g\nmodels:\n  name: x\n',
    at: '3:3: models',
    says: 'expected a list of mappings, got a mapping',
  },
  {
    name: 'empty models',
    yaml: 'gate: g\nmodels: []\n',
    at: '2:9: models',
    says: 'expected at least 1 item, got 0',
  },
  {
    name: 'a near miss of a fingerprint field',
    yaml: withTop('fingerprint: [gpuname, cuda]\n'),
    at: '9:15: fingerprint[0]',
    says: 'did you mean `gpuName`?',
  },
  {
    name: 'fail-on outside its enum',
    yaml: withTop('fail-on: [fail, regress]\n'),
    at: '9:17: fail-on[1]',
    says: 'expected one of fail, warn, inconclusive, unreadable, got "regress"',
  },
  {
    name: 'promote-on with fail (a regression never becomes a baseline)',
    yaml: withTop('promote-on: [pass, fail]\n'),
    at: '9:20: promote-on[1]',
    says: 'expected one of pass, warn, no-baseline, incomparable, inconclusive, unreadable, got "fail"',
  },
  {
    name: 'a model named ..',
    yaml: MINIMAL.replace('name: PP-OCRv4-rec', 'name: ".."'),
    at: '3:11: models[0].name',
    says: '".." is not a model name',
  },
  {
    name: 'crop larger than the resize',
    yaml: MINIMAL.replace('task: ocr-rec', 'task: classification')
      .replace('data/rec/rec_gt.txt', 'data/cls/cls_gt.txt')
      .replace('      dictionary: ppocr_keys_v1.txt\n', '      preprocess: { kind: imagenet, resize-short: 200, crop: 224 }\n'),
    at: '8:62: models[0].dataset.preprocess.crop',
    says: 'the crop (224) must fit in the resized image (resize-short 200)',
  },
  {
    name: 'a shape of two dimensions',
    yaml: MINIMAL.replace('      dictionary', '      preprocess: { kind: ppocr-rec, shape: [48, 320] }\n      dictionary'),
    at: '8:45: models[0].dataset.preprocess.shape',
    says: 'expected exactly 3 items, got 2',
  },
  {
    name: 'measurement that cannot fit its bound',
    yaml: withTop('measure: { rounds: 10, round-seconds: 5, max-seconds: 30 }\n'),
    at: '9:55: measure.max-seconds',
    says: 'does not fit in max-seconds (30 s)',
  },
];

describe('malformed gate.yml', () => {
  it.each(cases)('$name', ({ yaml, at, says }) => {
    const message = problems(yaml);
    const line = message.split('\n').find((candidate) => candidate.includes(`gate.yml:${at}:`));
    expect(line, `no line with gate.yml:${at}: in\n${message}`).toBeDefined();
    if (typeof says === 'string') expect(line).toContain(says);
    else expect(line).toMatch(says);
  });

  it('reports every problem, one per line, in file order', () => {
    const yaml = MINIMAL.replace('task: ocr-rec', 'task: ocr').replace('labels:', 'lables:') + 'engine:\n  threads: 0\n';
    const lines = problems(yaml).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/gate\.yml:5:11: models\[0\]\.task: /);
    expect(lines[1]).toMatch(/gate\.yml:7:7: models\[0\]\.dataset\.lables: /);
    expect(lines[2]).toMatch(/gate\.yml:10:12: engine\.threads: expected an integer from 1 to 1,024, got 0/);
  });

  it.each([
    { name: 'unclosed flow mapping', yaml: 'gate: g\nmodels: [\n  {name: x', at: /gate\.yml:3:\d+: YAML syntax: /, count: 1 },
    {
      name: 'duplicate key',
      yaml: 'gate: g\ngate: h\nmodels: []\n',
      at: /^.*gate\.yml:2:1: YAML: duplicate key "gate": keys of a mapping must be unique \(first at line 1\)$/,
      count: 1,
    },
    { name: 'tab indentation', yaml: 'gate: g\nmodels:\n\t- name: x\n', at: /gate\.yml:3:1: YAML syntax: /, count: 1 },
  ])('YAML syntax error: $name', ({ yaml, at }) => {
    const message = problems(yaml);
    expect(message).toMatch(at);
  });

  it('an empty file says what is expected', () => {
    expect(problems('# nothing yet\n')).toMatch(/gate\.yml:1:1: the file is empty: expected a mapping with at least `gate` and `models`/);
  });

  it('a list at the top level', () => {
    expect(problems('- gate: g\n')).toMatch(/gate\.yml:1:1: expected a mapping, got a list/);
  });

  it.each<{ name: string; overrides: ConfigOverrides; says: string }>([
    {
      name: 'a path override on a two-model gate',
      overrides: { model: 'models/rec.onnx' },
      says: 'input model: replaces the path of a single-model gate, but gate.yml has 2 models',
    },
    {
      name: 'an image without docker',
      overrides: { image: 'paddle:3' },
      says: 'input image: only used by runner docker, but the runner is embedded',
    },
    { name: 'docker from the input without an image', overrides: { runner: 'docker' }, says: 'input runner: docker needs an image' },
    {
      name: 'an unknown runner kind',
      overrides: { runner: 'k8s' as 'docker' },
      says: 'input runner: expected one of embedded, docker, local, got "k8s"',
    },
  ])('input override: $name', ({ overrides, says }) => {
    const twoModels = MINIMAL + MINIMAL.split('\n').slice(2).join('\n').replace('name: PP-OCRv4-rec', 'name: second');
    const yaml = overrides.model !== undefined ? twoModels : MINIMAL;
    expect(problems(yaml, overrides)).toContain(says);
  });
});
