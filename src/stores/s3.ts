/**
 * The S3 store: any S3-compatible endpoint (AWS, MinIO, Baidu BOS, …). Commit objects are
 * written with If-None-Match: *, pointers and indexes with If-Match: <etag>, so two concurrent
 * promotions cannot overwrite each other. Transient failures (5xx, throttling, resets, timeouts)
 * are retried with backoff; 403, 404 and 412 never are.
 */
import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { StoreError } from '../errors.js';
import { LayoutStore, type ObjectBackend, type StoredObject, type WriteCondition } from './layout.js';

export interface S3StoreOptions {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Defaults to process.env; credentials come from the standard AWS chain read from it. */
  env?: NodeJS.ProcessEnv;
  sleep?: (ms: number) => Promise<void>;
  /** Per-request limits (ms). */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Attempts per operation, the first included. */
  attempts?: number;
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);
const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

function statusOf(error: unknown): number | undefined {
  return (error as AwsLikeError | undefined)?.$metadata?.httpStatusCode;
}

function isTransient(error: unknown): boolean {
  const e = error as AwsLikeError;
  const status = statusOf(error);
  if (status === 403 || status === 404 || status === 412 || status === 409) return false;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (TRANSIENT_NAMES.has(e?.name ?? '') || TRANSIENT_CODES.has(e?.code ?? '')) return true;
  const cause = e?.cause as AwsLikeError | undefined;
  return TRANSIENT_CODES.has(cause?.code ?? '') || /socket hang up|timed? ?out/i.test(e?.message ?? '');
}

/** One line a user can act on, from whatever the SDK threw. */
function explain(error: unknown): string {
  const e = error as AwsLikeError;
  const status = statusOf(error);
  const what = [e?.name, e?.code].filter((x, i, a) => x && a.indexOf(x) === i).join('/');
  const base = `${what || 'error'}${status ? ` (HTTP ${status})` : ''}: ${e?.message ?? String(error)}`;
  if (status === 403) return `${base} — access denied: check the credentials (AWS_* environment, OIDC role) and the bucket policy`;
  if (e?.name === 'NoSuchBucket') return `${base} — the bucket does not exist at this endpoint`;
  if (e?.name === 'TimeoutError' || /timed? ?out/i.test(e?.message ?? '')) return `${base} — the endpoint did not answer in time`;
  return base;
}

export class S3Backend implements ObjectBackend {
  readonly location: string;
  private readonly client: S3Client;
  private readonly prefix: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly attempts: number;

  constructor(private readonly opts: S3StoreOptions) {
    this.prefix = opts.prefix.replace(/^\/+|\/+$/g, '');
    this.location = `s3://${opts.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.attempts = Math.max(1, opts.attempts ?? 4);
    const env = opts.env ?? process.env;
    const config: S3ClientConfig = {
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      // Our own retry loop (injectable sleep, no retry on 403/404/412) replaces the SDK's.
      maxAttempts: 1,
      // s3rver and some S3-compatible services store flexible-checksum framing as data.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: opts.connectTimeoutMs ?? 5_000,
        requestTimeout: opts.requestTimeoutMs ?? 30_000,
        throwOnRequestTimeout: true,
      },
    };
    if (opts.endpoint) config.endpoint = opts.endpoint;
    // An injected env carries its own keys; otherwise the SDK's default chain (env, OIDC web
    // identity, profiles, instance roles) runs as usual.
    if (opts.env && env['AWS_ACCESS_KEY_ID'] && env['AWS_SECRET_ACCESS_KEY']) {
      config.credentials = {
        accessKeyId: env['AWS_ACCESS_KEY_ID'],
        secretAccessKey: env['AWS_SECRET_ACCESS_KEY'],
        ...(env['AWS_SESSION_TOKEN'] ? { sessionToken: env['AWS_SESSION_TOKEN'] } : {}),
      };
    }
    this.client = new S3Client(config);
  }

  private key(path: string): string {
    return this.prefix ? `${this.prefix}/${path}` : path;
  }

  describe(path: string): string {
    return `s3://${this.opts.bucket}/${this.key(path)}`;
  }

  async read(path: string): Promise<StoredObject | undefined> {
    return this.retry(`read ${this.describe(path)}`, async () => {
      try {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.key(path) }));
        const body = (await res.Body?.transformToString('utf8')) ?? '';
        return { body, etag: res.ETag ?? '' };
      } catch (error) {
        if ((error as AwsLikeError).name === 'NoSuchKey') return undefined;
        throw error;
      }
    });
  }

  async write(path: string, body: string, condition: WriteCondition): Promise<boolean> {
    return this.retry(`write ${this.describe(path)}`, async () => {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.opts.bucket,
            Key: this.key(path),
            Body: body,
            ContentType: 'application/json',
            ...('ifNoneMatch' in condition ? { IfNoneMatch: '*' } : { IfMatch: condition.ifMatch }),
          }),
        );
        return true;
      } catch (error) {
        const status = statusOf(error);
        // 412: someone wrote first. 409: a concurrent conditional write is in flight (AWS).
        // 404 on If-Match: the object we read is gone. All three mean "re-read and decide again".
        if (status === 412 || status === 409 || (status === 404 && (error as AwsLikeError).name === 'NoSuchKey')) return false;
        throw error;
      }
    });
  }

  private async retry<T>(what: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (error) {
        if (attempt >= this.attempts || !isTransient(error)) {
          const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
          throw new StoreError(`cannot ${what}${tries}: ${explain(error)}`, { cause: error });
        }
        // Exponential backoff with jitter: 250 ms, 500 ms, 1 s, …
        await this.sleep(250 * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
      }
    }
  }
}

export class S3Store extends LayoutStore {
  constructor(opts: S3StoreOptions) {
    super(new S3Backend(opts));
  }
}
