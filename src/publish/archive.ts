/**
 * The archive of a run: the whole output directory (report.html/md/json, per-model run.json,
 * metrics.json, container.log, harness.log) kept where a reviewer can open it after the runner is
 * gone. Two ArchivePort implementations: a workflow artifact (the toolkit's @actions/artifact,
 * the artifact service of the run) and an S3 prefix beside the baselines
 * (`<prefix>/runs/<commit>/<run-id>/…`, each object with an expiry). Archiving is a courtesy to
 * the reader: a failure is a warning and never decides the gate.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { ArchivePort, Progress } from '../ports.js';
import type { ShardSpec } from '../types.js';
import { counted } from '../plural.js';

/** Every file under `dir`, absolute, sorted; an absent directory has none. */
async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Stores the directory in every archive; returns what was stored where. A failure is a warning,
 * unless `required` (a shard's documents: the aggregate job cannot do without them), then it throws.
 */
export async function archiveDir(
  dir: string,
  archives: readonly ArchivePort[],
  progress: Progress,
  opts: { required?: string } = {},
): Promise<Array<{ name: string; url?: string }>> {
  if (archives.length === 0) return [];
  const files = await filesUnder(dir);
  if (files.length === 0) {
    if (opts.required) throw new Error(`nothing to archive: ${dir} holds no file, so ${opts.required}`);
    progress.warn(`nothing archived: ${dir} holds no file`);
    return [];
  }
  const done: Array<{ name: string; url?: string }> = [];
  for (const archive of archives) {
    try {
      const { url } = await archive.store(dir, files);
      progress.info(`archived ${counted(files.length, 'file', 'files')} of ${dir} as ${archive.name}${url ? `: ${url}` : ''}`);
      done.push({ name: archive.name, ...(url ? { url } : {}) });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (opts.required) throw new Error(`${archive.name} (${dir}) could not be written, so ${opts.required}: ${why}`, { cause: error });
      progress.warn(`${archive.name} not written: ${why}`);
    }
  }
  return done;
}

/** `paddle-perf-gate-<gate>-shard-<i>-of-<n>`: the aggregate job downloads `paddle-perf-gate-<gate>-shard-*`. */
export function shardArtifactName(gate: string, shard: ShardSpec, attempt = 1): string {
  // Artifact names are unique within a workflow run, across its attempts: a re-run shard gets its own.
  return `paddle-perf-gate-${gate}-shard-${shard.index}-of-${shard.count}${attempt > 1 ? `-attempt${attempt}` : ''}`;
}

/** The workflow artifact, through the toolkit's artifact client (needs the runner's ACTIONS_RUNTIME_TOKEN). */
export function artifactArchive(opts: { name: string; retentionDays: number; runUrl?: string }): ArchivePort {
  return {
    name: `artifact ${opts.name}`,
    async store(dir, files) {
      // Loaded on this path only: the client and its blob-storage SDK are large.
      const { DefaultArtifactClient } = await import('@actions/artifact');
      const client = new DefaultArtifactClient();
      const { id } = await client.uploadArtifact(opts.name, files, dir, { retentionDays: opts.retentionDays });
      return opts.runUrl && id !== undefined ? { url: `${opts.runUrl}/artifacts/${id}` } : {};
    },
  };
}

export interface S3ArchiveOptions {
  bucket: string;
  /** The store's prefix; the run goes under `<prefix>/runs/<commit>/<runId>/`. */
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  commit: string;
  runId: string;
  retentionDays: number;
  now?: () => Date;
}

/** The S3 copy: one object per file under `<prefix>/runs/<commit>/<runId>/`, expiring after the retention. */
export function s3Archive(opts: S3ArchiveOptions): ArchivePort {
  const prefix = [opts.prefix.replace(/^\/+|\/+$/g, ''), 'runs', opts.commit, opts.runId].filter((p) => p !== '').join('/');
  const location = `s3://${opts.bucket}/${prefix}/`;
  return {
    name: location,
    async store(dir, files) {
      const config: S3ClientConfig = {
        region: opts.region,
        forcePathStyle: opts.forcePathStyle,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      };
      if (opts.endpoint) config.endpoint = opts.endpoint;
      const client = new S3Client(config);
      const expires = new Date((opts.now ?? (() => new Date()))().getTime() + opts.retentionDays * 86_400_000);
      try {
        for (const file of files) {
          const key = `${prefix}/${relative(dir, file).split(sep).join('/')}`;
          await client.send(
            new PutObjectCommand({
              Bucket: opts.bucket,
              Key: key,
              Body: await readFile(file),
              ContentType: contentType(file),
              // Expires tells caches; the tag lets a bucket lifecycle rule delete the run after the retention.
              Expires: expires,
              Tagging: `paddle-perf-gate-retention-days=${opts.retentionDays}`,
            }),
          );
        }
      } finally {
        client.destroy();
      }
      return { url: location };
    },
  };
}

function contentType(file: string): string {
  if (file.endsWith('.html')) return 'text/html; charset=utf-8';
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.md')) return 'text/markdown; charset=utf-8';
  return 'text/plain; charset=utf-8';
}
