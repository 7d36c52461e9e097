/**
 * The S3 store: any S3-compatible endpoint (AWS, MinIO, Baidu BOS, …). Commit objects are
 * written with If-None-Match: *, seals and manifests with If-Match: <etag>, so two concurrent
 * promotions cannot overwrite each other (and a probe on the first promotion checks that the
 * service really honours those conditions). Transient failures are retried by the SDK's
 * standard retry strategy; every operation, retries included, runs under one deadline (an
 * abort signal), so an endpoint that hangs or drips bytes cannot hold the gate.
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
  /** Promote even where the probe found that the service ignores conditional writes. */
  unsafeUnconditionalWrites?: boolean;
  /** Defaults to process.env; credentials come from the standard AWS chain read from it. */
  env?: NodeJS.ProcessEnv;
  /** The conflict backoff's sleep (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Per-request limits (ms): connecting, and silence on an open connection. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** The whole operation (all attempts, the body read included), ms. Default 60 s. */
  operationTimeoutMs?: number;
  /** Attempts per operation, the first included (the SDK's standard retry strategy). */
  attempts?: number;
}

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

/** One line a user can act on, from whatever the SDK threw. */
function explain(error: unknown): string {
  const e = error as AwsLikeError;
  const status = statusOf(error);
  const what = [e?.name, e?.code].filter((x, i, a) => x && a.indexOf(x) === i).join('/');
  const base = `${what || 'error'}${status ? ` (HTTP ${status})` : ''}: ${e?.message ?? String(error)}`;
  if (status === 403) return `${base} — access denied: check the credentials (AWS_* environment, OIDC role) and the bucket policy`;
  if (e?.name === 'NoSuchBucket') return `${base} — the bucket does not exist at this endpoint`;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || /timed? ?out/i.test(e?.message ?? ''))
    return `${base} — the endpoint did not answer in time`;
  return base;
}

export class S3Backend implements ObjectBackend {
  readonly location: string;
  private readonly client: S3Client;
  private readonly prefix: string;
  private readonly deadlineMs: number;

  constructor(private readonly opts: S3StoreOptions) {
    this.prefix = opts.prefix.replace(/^\/+|\/+$/g, '');
    this.location = `s3://${opts.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.deadlineMs = opts.operationTimeoutMs ?? 60_000;
    const env = opts.env ?? process.env;
    const config: S3ClientConfig = {
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      // The SDK's standard strategy: exponential backoff with jitter, a retry quota, and no
      // retry of 4xx answers (403, 404, 412 are final).
      retryMode: 'standard',
      maxAttempts: Math.max(1, opts.attempts ?? 4),
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
    return this.operation(`read ${this.describe(path)}`, async (abortSignal) => {
      try {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.key(path) }), { abortSignal });
        const body = await untilAborted(res.Body?.transformToString('utf8') ?? Promise.resolve(''), abortSignal).catch((error: unknown) => {
          // A dripping body would keep its socket open after the deadline: close it.
          (res.Body as { destroy?: () => void } | undefined)?.destroy?.();
          throw error;
        });
        return { body, etag: res.ETag ?? '' };
      } catch (error) {
        if ((error as AwsLikeError).name === 'NoSuchKey') return undefined;
        throw error;
      }
    });
  }

  async write(path: string, body: string, condition: WriteCondition): Promise<boolean> {
    return this.operation(`write ${this.describe(path)}`, async (abortSignal) => {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.opts.bucket,
            Key: this.key(path),
            Body: body,
            ContentType: 'application/json',
            ...('ifNoneMatch' in condition ? { IfNoneMatch: '*' } : { IfMatch: condition.ifMatch }),
          }),
          { abortSignal },
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

  /** One operation under one deadline; SDK errors become one StoreError a user can act on. */
  private async operation<T>(what: string, op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.deadlineMs);
    try {
      return await op(signal);
    } catch (error) {
      if (signal.aborted) {
        throw new StoreError(
          `cannot ${what}: no complete answer within the ${this.deadlineMs / 1000} s deadline — the endpoint did not answer in time (hung or dripping)`,
          { cause: error },
        );
      }
      const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
      const tries = attempts !== undefined && attempts > 1 ? ` (after ${attempts} attempts)` : '';
      throw new StoreError(`cannot ${what}${tries}: ${explain(error)}`, { cause: error });
    }
  }
}

/** Rejects when the signal fires, even if the body stream never ends (a dripping endpoint). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export class S3Store extends LayoutStore {
  constructor(opts: S3StoreOptions) {
    super(new S3Backend(opts), {
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      allowUnconditional: opts.unsafeUnconditionalWrites === true,
    });
  }
}
