import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNotifiers, dingtalkSign, feishuSign, notifyAll, shouldNotify } from '../../src/notify/index.js';
import { buildMessage, changeText } from '../../src/notify/message.js';
import type { Progress } from '../../src/ports.js';
import { Receivers } from './receivers.js';
import { sampleReport } from './report.js';

const noSleep = async () => {};
const rx = new Receivers();
beforeAll(() => rx.start());
afterAll(() => rx.stop());
beforeEach(() => {
  rx.received.length = 0;
  rx.failNext = { count: 0, how: '500' };
});

function collect(): Progress & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => {}, warn: (m) => warnings.push(m) };
}

const ctx = {
  lang: 'en' as const,
  prUrl: 'https://github.com/paddle/ocr/pull/7',
  prTitle: 'Faster CTC decode',
  runUrl: 'https://github.com/paddle/ocr/actions/runs/42',
};

describe('signatures (published vectors)', () => {
  it.each([
    // From a DingTalk SDK's own unit test: timestamp 1700000000000, secret "secret".
    [1700000000000, 'secret', 'OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D'],
  ])('DingTalk sign(%i, %s)', (ts, secret, expected) => {
    expect(dingtalkSign(ts, secret)).toBe(expected);
  });
  it('Feishu sign differs from DingTalk’s rule (key = timestamp\\nsecret, empty message)', () => {
    const s = feishuSign(1700000000, 'secret');
    expect(s).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(s).not.toBe(decodeURIComponent(dingtalkSign(1700000000, 'secret')));
  });
});

describe('robots against local receivers', () => {
  it('all four receive a signed, accepted alert naming the regression and the PR', async () => {
    const notifiers = createNotifiers(
      {
        wecomWebhook: rx.wecom,
        dingtalkWebhook: rx.dingtalk,
        dingtalkSecret: rx.dingtalkSecret,
        feishuWebhook: rx.feishu,
        feishuSecret: rx.feishuSecret,
        slackWebhook: rx.slack,
      },
      ctx,
      { sleep: noSleep },
    );
    const progress = collect();
    const sent = await notifyAll(notifiers, sampleReport('fail'), '', progress);
    expect(progress.warnings).toEqual([]);
    expect(sent.sort()).toEqual(['dingtalk', 'feishu', 'slack', 'wecom']);
    expect(rx.received.map((r) => [r.kind, r.accepted]).sort()).toEqual([
      ['dingtalk', true],
      ['feishu', true],
      ['slack', true],
      ['wecom', true],
    ]);
    const wecom = rx.received.find((r) => r.kind === 'wecom')!.body['markdown'] as { content: string };
    expect(wecom.content).toContain('ppocr-rec: regression (1 regression, 1 warning)');
    expect(wecom.content).toContain('PP-OCRv4-rec · line accuracy: 91.90 % → 90.80 % (−1.10 pp)');
    expect(wecom.content).toContain('latency p50: 4.21 ms → 4.43 ms (+5.2 %)');
    expect(wecom.content).toContain('[Faster CTC decode](https://github.com/paddle/ocr/pull/7)');
    const slack = rx.received.find((r) => r.kind === 'slack')!.body['text'] as string;
    expect(slack).toContain('<https://github.com/paddle/ocr/pull/7|Faster CTC decode>');
  });

  it('a wrong secret is a warning naming the robot and its answer, never a throw', async () => {
    const notifiers = createNotifiers(
      { dingtalkWebhook: rx.dingtalk, dingtalkSecret: 'SECwrong', feishuWebhook: rx.feishu, feishuSecret: 'wrong' },
      ctx,
      { sleep: noSleep },
    );
    const progress = collect();
    expect(await notifyAll(notifiers, sampleReport('fail'), '', progress)).toEqual([]);
    expect(progress.warnings.join('\n')).toMatch(/dingtalk notification failed.*310000 sign not match/);
    expect(progress.warnings.join('\n')).toMatch(/feishu notification failed.*19021/);
    // A signature error is not retried.
    expect(rx.received).toHaveLength(2);
  });

  it('retries a 500 with backoff and then succeeds', async () => {
    rx.failNext = { count: 2, how: '500' };
    const waits: number[] = [];
    const [wecom] = createNotifiers({ wecomWebhook: rx.wecom }, ctx, { sleep: async (ms) => void waits.push(ms), backoffMs: 100 });
    const progress = collect();
    expect(await notifyAll([wecom!], sampleReport('fail'), '', progress)).toEqual(['wecom']);
    expect(waits).toEqual([100, 200]);
    expect(rx.received.filter((r) => r.accepted)).toHaveLength(1);
  });

  it('a robot that never answers times out into a warning without the webhook token', async () => {
    rx.failNext = { count: 2, how: 'hang' };
    const [slack] = createNotifiers({ slackWebhook: rx.slack }, ctx, { sleep: noSleep, timeoutMs: 200, attempts: 2 });
    const progress = collect();
    const started = Date.now();
    expect(await notifyAll([slack!], sampleReport('fail'), '', progress)).toEqual([]);
    // Two 200 ms attempts, not a hang (the robot never answers); generous for a busy machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(progress.warnings[0]).toMatch(/slack notification failed .*no answer within 200 ms \(after 2 attempts\)/);
    expect(progress.warnings[0]).not.toContain('slack-secret-path');
  });

  it('Chinese alert', async () => {
    const [wecom] = createNotifiers({ wecomWebhook: rx.wecom }, { ...ctx, lang: 'zh' }, { sleep: noSleep });
    await notifyAll([wecom!], sampleReport('fail'), '', collect());
    const content = (rx.received[0]!.body['markdown'] as { content: string }).content;
    expect(content).toContain('ppocr-rec: 退化 (1 项退化，1 项警告)');
    expect(content).toContain('[运行日志](https://github.com/paddle/ocr/actions/runs/42)');
  });
});

describe('message', () => {
  it.each([
    ['regression', 'fail', true],
    ['regression', 'warn', false],
    ['regression', 'pass', false],
    ['always', 'pass', true],
    ['never', 'fail', false],
  ] as const)('notify-on %s with verdict %s → %s', (on, verdict, want) => {
    expect(shouldNotify(on, sampleReport(verdict))).toBe(want);
  });

  it('markdown in model names cannot inject links or formatting', () => {
    const m = buildMessage(sampleReport('fail', '[click](http://evil)**x**'), { lang: 'en' });
    const text = m.items.join('\n');
    expect(text).not.toContain('[click]');
    expect(text).not.toContain('**');
    // and no URL for the robot to autolink (issue 25)
    expect(text).toContain('click http: //evil x · line accuracy');
  });

  it.each([
    [{ unit: '%', deltaAbs: -1.1, deltaRel: -0.012 }, '−1.10 pp'],
    [{ unit: 'ms', deltaAbs: 0.22, deltaRel: 0.0523 }, '+5.2 %'],
    [{ unit: 'MB', deltaAbs: 6, deltaRel: 0.005 }, '+6.0 MB'],
    [{ unit: '/s', deltaAbs: -11, deltaRel: -0.0464 }, '−4.6 %'],
    [{ unit: 'ms', deltaAbs: null, deltaRel: null }, '—'],
  ] as const)('change text %j → %s', (r, want) => {
    expect(changeText({ metric: 'm', label: 'l', better: 'lower', baseline: 1, current: 1, band: 'pass', reason: '', ...r })).toBe(want);
  });
});
