/**
 * Who owns a gate's container, in a way another gate on the same engine can check: a PID alone
 * names a different process in every PID namespace (two runner containers on one host share a
 * hostname and an engine socket, not their PIDs). Each container carries its run id, the owner's
 * host, PID, PID namespace and process start time; the owner also rewrites a heartbeat file in
 * the container's output mount every second while the container lives.
 *
 * The orphan sweep (docker.ts) decides with these: in its own PID namespace an owner is dead when
 * its PID is gone or now belongs to a process started at another time; in any other namespace, or
 * on another host, only when its heartbeat has stopped. Without a run id (a container of an older
 * paddle-perf-gate) nothing can be proved, and the container is left alone.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';

const PREFIX = 'paddle-perf-gate';
const OWNER_LABELS = {
  run: `${PREFIX}.run`,
  owner: `${PREFIX}.owner`,
  pidns: `${PREFIX}.owner-pidns`,
  start: `${PREFIX}.owner-start`,
} as const;

/** The heartbeat's file name in the work directory (the container's /ppg/out). */
export const HEARTBEAT_FILE = '.ppg-heartbeat';
const HEARTBEAT_INTERVAL_MS = 1000;
/** An owner whose heartbeat did not change over this long is gone. */
export const HEARTBEAT_STALE_MS = 5000;

/** This process's PID namespace ("pid:[4026531836]"), or '' where /proc does not say. */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

/** A process's start time (clock ticks since boot, /proc/PID/stat field 22), or '' when it does not exist. */
function startTime(pid: number | 'self'): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

const SELF = { host: hostname(), pid: process.pid, pidns: pidNamespace(), start: startTime('self') };

/** The labels that name this process as a container's owner in run `runId`. */
export function ownerLabels(runId: string): Record<string, string> {
  return {
    [OWNER_LABELS.run]: runId,
    [OWNER_LABELS.owner]: `${SELF.host}:${SELF.pid}`,
    [OWNER_LABELS.pidns]: SELF.pidns,
    [OWNER_LABELS.start]: SELF.start,
  };
}

export interface OwnerCheck {
  /** alive / dead: known here; elsewhere: another PID namespace or host, only its heartbeat can tell; unknown: no run id. */
  state: 'alive' | 'dead' | 'elsewhere' | 'unknown';
  pid: number;
  host: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What this process can tell about a container's owner from its labels alone. */
export function checkOwner(labels: Record<string, string>): OwnerCheck {
  const owner = labels[OWNER_LABELS.owner] ?? '';
  const colon = owner.lastIndexOf(':');
  const host = colon > 0 ? owner.slice(0, colon) : '';
  const pid = Number(owner.slice(colon + 1));
  if (!labels[OWNER_LABELS.run] || !host || !Number.isInteger(pid) || pid <= 0) return { state: 'unknown', pid, host };
  const pidns = labels[OWNER_LABELS.pidns] ?? '';
  if (host !== SELF.host || pidns === '' || pidns !== SELF.pidns) return { state: 'elsewhere', pid, host };
  if (pid === SELF.pid) return { state: labels[OWNER_LABELS.start] === SELF.start ? 'alive' : 'dead', pid, host };
  if (!alive(pid)) return { state: 'dead', pid, host };
  // The PID is taken: by the owner, or by a process started after it died.
  const start = labels[OWNER_LABELS.start] ?? '';
  return { state: start !== '' && startTime(pid) !== '' && startTime(pid) !== start ? 'dead' : 'alive', pid, host };
}

/** Rewrites `path` with the run id and a counter every second until stopped; the timer never keeps the process alive. */
export function startHeartbeat(path: string, runId: string): { stop(): Promise<void>; first: Promise<void> } {
  let beat = 0;
  let writing: Promise<void> | undefined;
  const write = () => {
    if (writing) return writing;
    // Written aside and renamed: a reader never sees a half-written beat (two equal reads mean a stopped one).
    writing = writeFile(`${path}.tmp`, `${runId} ${++beat} ${Date.now()}\n`)
      .then(() => rename(`${path}.tmp`, path))
      .catch(() => undefined)
      .finally(() => {
        writing = undefined;
      });
    return writing;
  };
  const first = write();
  const timer = setInterval(() => void write(), HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return {
    first,
    // The file goes with the run: it must not end up among the report's files.
    stop: async () => {
      clearInterval(timer);
      await writing;
      await Promise.all([rm(path, { force: true }), rm(`${path}.tmp`, { force: true })]).catch(() => undefined);
    },
  };
}
