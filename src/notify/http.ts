/**
 * One JSON POST to a chat webhook, with a per-attempt timeout and retries with backoff on
 * what may pass (network errors, timeouts, 429, 5xx). The robots answer HTTP 200 with an error
 * code in the body for bad signatures or payloads: `check` turns that into an error that is not
 * retried (repeating a bad signature cannot help).
 */
export interface PostOptions {
  timeoutMs?: number;
  /** Attempts in all (1 = no retry). */
  attempts?: number;
  /** Waits between attempts; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  backoffMs?: number;
  /** Throws when the answer's body reports an error. */
  check?: (status: number, body: string) => void;
}

export class WebhookError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where a message may name the target without leaking a token in the path or query. */
function describeUrl(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the webhook';
  }
}

export async function postJson(url: string, payload: unknown, options: PostOptions = {}): Promise<void> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const sleep = options.sleep ?? realSleep;
  const backoff = options.backoffMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let last: WebhookError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(backoff * 2 ** (attempt - 2));
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      if (response.status === 429 || response.status >= 500) {
        last = new WebhookError(`${describeUrl(url)} answered HTTP ${response.status}`, true);
        continue;
      }
      if (response.status >= 400) {
        throw new WebhookError(`${describeUrl(url)} answered HTTP ${response.status}: ${text.slice(0, 200)}`, false);
      }
      options.check?.(response.status, text);
      return;
    } catch (error) {
      if (error instanceof WebhookError && !error.retryable) throw error;
      if (error instanceof WebhookError) {
        last = error;
        continue;
      }
      const name = (error as Error).name;
      const why = name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      last = new WebhookError(`${describeUrl(url)}: ${why}`, true);
    }
  }
  throw new WebhookError(`${last?.message ?? 'failed'} (after ${attempts} attempts)`, false);
}

/** The robots' JSON answers: `{errcode: 0}` (WeCom, DingTalk) or `{code: 0}` / `{StatusCode: 0}` (Feishu). */
export function checkJsonCode(status: number, body: string): void {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new WebhookError(`answered HTTP ${status} with a body that is not JSON: ${body.slice(0, 200)}`, false);
  }
  const code = parsed['errcode'] ?? parsed['code'] ?? parsed['StatusCode'];
  if (code !== undefined && code !== 0) {
    const message = parsed['errmsg'] ?? parsed['msg'] ?? parsed['StatusMessage'] ?? '';
    throw new WebhookError(`rejected the message: code ${String(code)} ${String(message)}`.trim(), false);
  }
}
