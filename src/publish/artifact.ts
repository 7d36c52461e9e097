/**
 * A shard's report documents as a workflow artifact, for the aggregate job to download: the one
 * place that talks to GitHub's artifact service (@actions/artifact, loaded only on this path).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from '../ports.js';
import type { ShardSpec } from '../types.js';

/** `paddle-perf-gate-<gate>-shard-<i>-of-<n>`: the aggregate job downloads `paddle-perf-gate-<gate>-shard-*`. */
export function shardArtifactName(gate: string, shard: ShardSpec): string {
  return `paddle-perf-gate-${gate}-shard-${shard.index}-of-${shard.count}`;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Uploads every file under `dir` as artifact `name`; a failure throws (the aggregate needs every shard). */
export async function uploadArtifactDir(name: string, dir: string, progress: Progress): Promise<void> {
  const files = await filesUnder(dir);
  const { DefaultArtifactClient } = await import('@actions/artifact');
  try {
    const result = await new DefaultArtifactClient().uploadArtifact(name, files, dir, { retentionDays: 7 });
    progress.info(`artifact ${name}: ${files.length} files${result.size !== undefined ? `, ${result.size} bytes` : ''}`);
  } catch (error) {
    throw new Error(
      `artifact ${name} (${dir}) could not be uploaded, so the aggregate job would miss this shard: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
