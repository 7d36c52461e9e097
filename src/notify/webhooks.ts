/**
 * The four chat robots. Each is a Notifier: it builds the short alert (message.ts), signs when
 * the robot wants it, and posts with timeouts and retries (http.ts). Failures throw; the caller
 * (notifyAll) turns them into warnings.
 */
import { createHmac } from 'node:crypto';
import type { Notifier } from '../ports.js';
import type { GateReport } from '../types.js';
import { checkJsonCode, postJson, WebhookError, type PostOptions } from './http.js';
import { buildMessage, toMarkdown, toSlack, type MessageContext } from './message.js';

export interface NotifierOptions extends PostOptions {
  /** Clock for signatures (ms since the epoch); injectable for tests. */
  now?: () => number;
}

/**
 * DingTalk robot "加签": string to sign `timestamp + "\n" + secret` (timestamp in ms), HMAC-SHA256
 * keyed with the secret, base64, URL-encoded; sent as `&timestamp=…&sign=…` on the webhook URL.
 */
export function dingtalkSign(timestampMs: number, secret: string): string {
  const digest = createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
  return encodeURIComponent(digest);
}

function dingtalkSignedUrl(webhook: string, secret: string, timestampMs: number): string {
  const url = new URL(webhook);
  url.searchParams.set('timestamp', String(timestampMs));
  // searchParams would re-encode the already URL-encoded sign; DingTalk expects it encoded once.
  url.searchParams.delete('sign');
  return `${url.toString()}&sign=${dingtalkSign(timestampMs, secret)}`;
}

/**
 * Feishu/Lark custom bot "签名校验": HMAC-SHA256 keyed with `timestamp + "\n" + secret`
 * (timestamp in seconds) over an empty message, base64; `timestamp` and `sign` go in the body.
 */
export function feishuSign(timestampSeconds: number, secret: string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** WeCom rejects markdown content over 4,096 bytes. */
function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let cut = text;
  while (Buffer.byteLength(cut, 'utf8') > maxBytes - 4) cut = cut.slice(0, Math.floor(cut.length * 0.9));
  return `${cut.slice(0, cut.lastIndexOf('\n') > 0 ? cut.lastIndexOf('\n') : cut.length)}\n…`;
}

abstract class ChatNotifier implements Notifier {
  abstract readonly kind: string;
  constructor(
    protected readonly webhook: string,
    protected readonly ctx: MessageContext,
    protected readonly options: NotifierOptions = {},
  ) {}
  protected now(): number {
    return (this.options.now ?? Date.now)();
  }
  abstract send(report: GateReport, markdown: string): Promise<void>;
}

/** A robot whose webhook may carry a signing secret (DingTalk 加签, Feishu 签名校验). */
abstract class SignedChatNotifier extends ChatNotifier {
  constructor(
    webhook: string,
    protected readonly secret: string | undefined,
    ctx: MessageContext,
    options?: NotifierOptions,
  ) {
    super(webhook, ctx, options);
  }
}

export class WeComNotifier extends ChatNotifier {
  readonly kind = 'wecom';
  async send(report: GateReport): Promise<void> {
    const content = fitBytes(toMarkdown(buildMessage(report, this.ctx), this.ctx.lang), 4096);
    await postJson(this.webhook, { msgtype: 'markdown', markdown: { content } }, { ...this.options, check: checkJsonCode });
  }
}

export class DingTalkNotifier extends SignedChatNotifier {
  readonly kind = 'dingtalk';
  async send(report: GateReport): Promise<void> {
    const message = buildMessage(report, this.ctx);
    const url = this.secret ? dingtalkSignedUrl(this.webhook, this.secret, this.now()) : this.webhook;
    await postJson(
      url,
      { msgtype: 'markdown', markdown: { title: message.title, text: toMarkdown(message, this.ctx.lang) } },
      { ...this.options, check: checkJsonCode },
    );
  }
}

export class FeishuNotifier extends SignedChatNotifier {
  readonly kind = 'feishu';
  async send(report: GateReport): Promise<void> {
    const message = buildMessage(report, this.ctx);
    const template = report.verdict === 'fail' ? 'red' : report.verdict === 'pass' ? 'green' : 'orange';
    const card = {
      header: { title: { tag: 'plain_text', content: message.title }, template },
      elements: [{ tag: 'markdown', content: toMarkdown(message, this.ctx.lang, false) }],
    };
    const timestamp = Math.floor(this.now() / 1000);
    const signed = this.secret ? { timestamp: String(timestamp), sign: feishuSign(timestamp, this.secret) } : {};
    await postJson(this.webhook, { ...signed, msg_type: 'interactive', card }, { ...this.options, check: checkJsonCode });
  }
}

export class SlackNotifier extends ChatNotifier {
  readonly kind = 'slack';
  async send(report: GateReport): Promise<void> {
    const text = toSlack(buildMessage(report, this.ctx), this.ctx.lang);
    await postJson(
      this.webhook,
      { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] },
      {
        ...this.options,
        // Slack answers a plain "ok"; anything else at HTTP 200 is unexpected.
        check: (status, body) => {
          if (body.trim() !== 'ok') throw new WebhookError(`answered HTTP ${status}: ${body.slice(0, 200)}`, false);
        },
      },
    );
  }
}
