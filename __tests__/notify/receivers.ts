/**
 * Local chat-robot endpoints that check requests the way the real services do: DingTalk and
 * Feishu signatures are recomputed here from the shared secret (independently of src/notify),
 * timestamps must be within an hour, payload shapes are checked, and the error answers mimic
 * theirs (HTTP 200 with an error code). `failNext` makes the next requests answer 500 or hang.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  kind: 'wecom' | 'dingtalk' | 'feishu' | 'slack';
  query: Record<string, string>;
  body: Record<string, unknown>;
  accepted: boolean;
}

export class Receivers {
  readonly received: Received[] = [];
  readonly dingtalkSecret = 'SECdingtalk0123456789abcdef';
  readonly feishuSecret = 'feishu-secret-xyz';
  /** Next N requests: answer HTTP 500, or never answer. */
  failNext: { count: number; how: '500' | 'hang' } = { count: 0, how: '500' };
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get wecom() {
    return `${this.url}/cgi-bin/webhook/send?key=wecom-key-1`;
  }
  get dingtalk() {
    return `${this.url}/robot/send?access_token=ding-token-1`;
  }
  get feishu() {
    return `${this.url}/open-apis/bot/v2/hook/feishu-hook-1`;
  }
  get slack() {
    return `${this.url}/services/T000/B000/slack-secret-path`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.failNext.count > 0) {
      this.failNext.count -= 1;
      if (this.failNext.how === 'hang') return; // the client's timeout must end it
      res.writeHead(500).end('busy');
      return;
    }
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      res.writeHead(400).end('bad json');
      return;
    }
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    const record = (kind: Received['kind'], accepted: boolean) => this.received.push({ kind, query, body, accepted });

    if (url.pathname === '/cgi-bin/webhook/send') {
      const md = body['markdown'] as { content?: unknown } | undefined;
      const ok = body['msgtype'] === 'markdown' && typeof md?.content === 'string' && Buffer.byteLength(md.content) <= 4096;
      record('wecom', ok);
      return json(200, ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 40008, errmsg: 'invalid message type' });
    }
    if (url.pathname === '/robot/send') {
      // DingTalk: sign = urlencode(base64(HmacSHA256(key=secret, msg=timestamp+"\n"+secret))), timestamp in ms.
      const ts = Number(url.searchParams.get('timestamp'));
      const expected = createHmac('sha256', this.dingtalkSecret).update(`${ts}\n${this.dingtalkSecret}`).digest('base64');
      const fresh = Math.abs(Date.now() - ts) < 3600_000;
      const signOk = url.searchParams.get('sign') === expected && fresh; // searchParams decodes the URL-encoding once
      const md = body['markdown'] as { title?: unknown; text?: unknown } | undefined;
      const shapeOk = body['msgtype'] === 'markdown' && typeof md?.title === 'string' && typeof md?.text === 'string';
      record('dingtalk', signOk && shapeOk);
      if (!signOk) return json(200, { errcode: 310000, errmsg: 'sign not match' });
      return json(200, shapeOk ? { errcode: 0, errmsg: 'ok' } : { errcode: 40035, errmsg: 'missing parameter' });
    }
    if (url.pathname.startsWith('/open-apis/bot/v2/hook/')) {
      // Feishu: sign = base64(HmacSHA256(key=timestamp+"\n"+secret, msg="")), timestamp in seconds, both in the body.
      const ts = Number(body['timestamp']);
      const expected = createHmac('sha256', `${ts}\n${this.feishuSecret}`).update('').digest('base64');
      const signOk = body['sign'] === expected && Math.abs(Date.now() / 1000 - ts) < 3600;
      const card = body['card'] as { elements?: unknown[] } | undefined;
      const shapeOk = body['msg_type'] === 'interactive' && Array.isArray(card?.elements);
      record('feishu', signOk && shapeOk);
      if (!signOk) return json(200, { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' });
      return json(200, shapeOk ? { code: 0, msg: 'success', data: {} } : { code: 9499, msg: 'Bad Request' });
    }
    if (url.pathname.startsWith('/services/')) {
      const ok = typeof body['text'] === 'string';
      record('slack', ok);
      res.writeHead(ok ? 200 : 400, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'invalid_payload');
      return;
    }
    res.writeHead(404).end('no such hook');
  }
}
