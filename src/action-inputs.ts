/**
 * The action's inputs, read and checked by code (action.yml's `required:` enforces nothing).
 * Every error names the input and what was expected. Webhook URLs and secrets are masked
 * (setSecret) before anything could log them.
 */
import * as core from '@actions/core';
import { registerSecret } from './secrets.js';
import { ConfigError } from './errors.js';
import type { CommentMode } from './publish/index.js';
import type { NotifyOn, NotifyTargets } from './notify/index.js';
import { withoutUndefined } from './defined.js';
import { DEFAULT_ACCEPT_LABEL, DEFAULT_ARCHIVE_RETENTION_DAYS, DEFAULT_S3_PREFIX, DEFAULT_S3_REGION } from './config/defaults.js';
import { parseShard } from './shard.js';
import type { ShardSpec } from './types.js';

export type FailOn = 'fail' | 'warn' | 'inconclusive' | 'unreadable';
export type { NotifyOn };

export interface S3Inputs {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
}

/** The webhooks and secrets come as NotifyTargets. */
export interface ActionInputs extends NotifyTargets {
  /** Path of gate.yml; '' when the input is empty. */
  config: string;
  runner?: 'embedded' | 'docker' | 'local';
  image?: string;
  model?: string;
  s3?: S3Inputs;
  githubToken: string;
  comment: CommentMode;
  /** undefined: gate.yml's `fail-on` decides. */
  failOn?: FailOn[];
  promote: 'auto' | 'true' | 'false';
  /** undefined: gate.yml's `promote-failure`, else fail on the default branch. */
  promoteFailure?: 'warn' | 'fail';
  language: 'en' | 'zh';
  notifyOn: NotifyOn;
  outputDir?: string;
  /**
   * gate: measure and judge; comment-from-artifact: post a measuring run's artifact (fork PRs);
   * aggregate: merge the shards' artifacts into one report, verdict and promotion.
   */
  mode: 'gate' | 'comment-from-artifact' | 'aggregate';
  /**
   * The downloaded artifact(s) (modes comment-from-artifact and aggregate), or an earlier run's
   * report files to judge again (mode gate).
   */
  artifactDir?: string;
  /** Run only this part of the gate (`i/n`), mode gate only. */
  shard?: ShardSpec;
  /** The PR label that accepts a regression (issue 15). */
  acceptLabel: string;
  /** Whether the PR's author may accept alone. */
  acceptByAuthor: boolean;
  /** Credentials for pulling a private runner image (masked). */
  registryAuth?: RegistryAuth;
  /** A checkout of the baseline's commit for the A/B confirmation's base side (relative to the workspace). */
  baseCheckout?: string;
  /** Archive the output directory (workflow artifact; with S3 also under runs/<commit>/<run-id>/). */
  archive: boolean;
  /** The artifact's name; undefined: perf-gate-<gate id>. */
  archiveName?: string;
  archiveRetentionDays: number;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress?: string;
}

type Reader = (name: string) => string;

/** core.getInput by default; tests and the CLI may pass their own. */
const defaultReader: Reader = (name) => core.getInput(name);

function oneOf<T extends string>(read: Reader, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(name).trim();
  if (raw === '') return fallback;
  const value = raw.toLowerCase();
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`input \`${name}\`: expected one of ${allowed.join(', ')}; got "${raw}"`);
}

function optional(read: Reader, name: string): string | undefined {
  const raw = read(name).trim();
  return raw === '' ? undefined : raw;
}

function bool(read: Reader, name: string, fallback: boolean): boolean {
  const raw = read(name).trim().toLowerCase();
  if (raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`input \`${name}\`: expected true or false; got "${read(name).trim()}"`);
}

/** A whole number of days in 1…90 (the artifact service's range). */
function retentionDays(read: Reader, name: string, fallback: number): number {
  const raw = read(name).trim();
  if (raw === '') return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= 90)) throw new ConfigError(`input \`${name}\`: expected a whole number of days from 1 to 90; got "${raw}"`);
  return n;
}

/** Masked in the job log (the runner) and in the logs the gate writes (secrets.ts). */
function hide(value: string): void {
  core.setSecret(value);
  registerSecret(value);
}

function url(read: Reader, name: string): string | undefined {
  const raw = optional(read, name);
  if (raw === undefined) return undefined;
  // Masked before validation so even the error path cannot print it.
  hide(raw);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`input \`${name}\`: expected an http(s) URL (the value is masked)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`input \`${name}\`: expected an http(s) URL; got a ${parsed.protocol} URL`);
  }
  return raw;
}

function secret(read: Reader, name: string): string | undefined {
  const raw = optional(read, name);
  if (raw !== undefined) hide(raw);
  return raw;
}

const FAIL_ON: readonly FailOn[] = ['fail', 'warn', 'inconclusive', 'unreadable'];

function failOn(read: Reader): FailOn[] | undefined {
  const raw = read('fail-on').trim();
  if (raw === '') return undefined;
  const items = raw
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!(FAIL_ON as readonly string[]).includes(item)) {
      throw new ConfigError(`input \`fail-on\`: expected a comma-separated list of ${FAIL_ON.join(', ')}; got "${item}" in "${raw}"`);
    }
  }
  return [...new Set(items as FailOn[])];
}

function s3(read: Reader): S3Inputs | undefined {
  const bucket = optional(read, 's3-bucket');
  const others = ['s3-prefix', 's3-region', 's3-endpoint', 's3-path-style'].filter((n) => read(n).trim() !== '');
  if (bucket === undefined) {
    if (others.length > 0) throw new ConfigError(`input \`s3-bucket\`: required when ${others.map((n) => `\`${n}\``).join(', ')} is set`);
    return undefined;
  }
  const endpoint = optional(read, 's3-endpoint');
  if (endpoint !== undefined) {
    try {
      new URL(endpoint);
    } catch {
      throw new ConfigError(`input \`s3-endpoint\`: expected a URL such as https://s3.example.com; got "${endpoint}"`);
    }
  }
  return {
    bucket,
    prefix: optional(read, 's3-prefix') ?? DEFAULT_S3_PREFIX,
    region: optional(read, 's3-region') ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? DEFAULT_S3_REGION,
    ...(endpoint !== undefined ? { endpoint } : {}),
    // Custom endpoints (MinIO, BOS…) mostly need path-style addressing.
    forcePathStyle: bool(read, 's3-path-style', endpoint !== undefined),
  };
}

/** `user:token` or JSON {"username","password","serveraddress"}; masked before anything can print it. */
function registryAuth(read: Reader): RegistryAuth | undefined {
  const raw = optional(read, 'registry-auth');
  if (raw === undefined) return undefined;
  hide(raw);
  const expected = 'expected `user:token` or JSON {"username", "password", "serveraddress"} (the value is masked)';
  let auth: RegistryAuth;
  if (raw.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ConfigError(`input \`registry-auth\`: not valid JSON; ${expected}`);
    }
    const { username, password, serveraddress } = (json ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
      throw new ConfigError(`input \`registry-auth\`: JSON needs non-empty "username" and "password"; ${expected}`);
    }
    if (serveraddress !== undefined && typeof serveraddress !== 'string') {
      throw new ConfigError('input `registry-auth`: "serveraddress" must be a string such as registry.example.com');
    }
    auth = { username, password, ...(serveraddress ? { serveraddress } : {}) };
  } else {
    const colon = raw.indexOf(':');
    if (colon <= 0 || colon === raw.length - 1) throw new ConfigError(`input \`registry-auth\`: ${expected}`);
    auth = { username: raw.slice(0, colon), password: raw.slice(colon + 1) };
  }
  hide(auth.password);
  return auth;
}

/** Reads and checks every input; throws ConfigError naming the first wrong one. */
export function readInputs(read: Reader = defaultReader): ActionInputs {
  const githubToken = read('github-token').trim();
  if (githubToken !== '') hide(githubToken);
  const runner =
    optional(read, 'runner') === undefined ? undefined : oneOf(read, 'runner', ['embedded', 'docker', 'local'] as const, 'embedded');
  const dingtalkSecret = secret(read, 'dingtalk-secret');
  const feishuSecret = secret(read, 'feishu-secret');
  const inputs: ActionInputs = withoutUndefined({
    config: read('config').trim(),
    runner,
    image: optional(read, 'image'),
    model: optional(read, 'model'),
    s3: s3(read),
    githubToken,
    comment: oneOf(read, 'comment', ['always', 'on-change', 'on-regression', 'off'] as const, 'always'),
    failOn: failOn(read),
    promote: oneOf(read, 'promote', ['auto', 'true', 'false'] as const, 'auto'),
    promoteFailure:
      optional(read, 'promote-failure') === undefined ? undefined : oneOf(read, 'promote-failure', ['warn', 'fail'] as const, 'fail'),
    language: oneOf(read, 'language', ['en', 'zh'] as const, 'en'),
    wecomWebhook: url(read, 'wecom-webhook'),
    dingtalkWebhook: url(read, 'dingtalk-webhook'),
    dingtalkSecret,
    feishuWebhook: url(read, 'feishu-webhook'),
    feishuSecret,
    slackWebhook: url(read, 'slack-webhook'),
    notifyOn: oneOf(read, 'notify-on', ['regression', 'always', 'never'] as const, 'regression'),
    outputDir: optional(read, 'output-dir'),
    mode: oneOf(read, 'mode', ['gate', 'comment-from-artifact', 'aggregate'] as const, 'gate'),
    artifactDir: optional(read, 'artifact-dir'),
    shard: optional(read, 'shard') === undefined ? undefined : parseShard(read('shard'), 'input `shard`'),
    registryAuth: registryAuth(read),
    baseCheckout: optional(read, 'base-checkout'),
    archive: bool(read, 'archive', true),
    archiveName: optional(read, 'archive-name'),
    archiveRetentionDays: retentionDays(read, 'archive-retention-days', DEFAULT_ARCHIVE_RETENTION_DAYS),
    acceptLabel: optional(read, 'accept-label') ?? DEFAULT_ACCEPT_LABEL,
    acceptByAuthor: bool(read, 'accept-by-author', false),
  });
  if (inputs.mode !== 'gate' && inputs.artifactDir === undefined) {
    throw new ConfigError(`input \`artifact-dir\`: required with mode: ${inputs.mode} (the directory actions/download-artifact wrote)`);
  }
  if (inputs.shard && inputs.promote === 'true') {
    throw new ConfigError('input `promote`: a shard never promotes; the aggregate job (mode: aggregate) promotes every shard at once');
  }
  if (inputs.shard && inputs.mode !== 'gate') {
    throw new ConfigError(`input \`shard\`: runs a part of the gate (mode: gate), but mode is ${inputs.mode}`);
  }
  if (inputs.dingtalkSecret && !inputs.dingtalkWebhook) {
    throw new ConfigError('input `dingtalk-secret`: set without `dingtalk-webhook`');
  }
  if (inputs.feishuSecret && !inputs.feishuWebhook) {
    throw new ConfigError('input `feishu-secret`: set without `feishu-webhook`');
  }
  if (inputs.image !== undefined && inputs.runner !== undefined && inputs.runner !== 'docker') {
    throw new ConfigError(`input \`image\`: only used by the docker runner, but \`runner\` is "${inputs.runner}"`);
  }
  return inputs;
}
