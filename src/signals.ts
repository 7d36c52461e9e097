/**
 * SIGINT / SIGTERM for both entries: what a cancelled workflow sends (SIGINT, then SIGTERM
 * about 7.5 s later, then SIGKILL) and what Ctrl-C sends. The first signal cancels the run
 * through its AbortSignal (the docker runner kills and removes its container); a second signal,
 * or a run still going after the grace period, removes every container this process started
 * right away and exits. Nothing is left holding a GPU for the next job.
 */
import { GateError } from './errors.js';
import type { Progress } from './ports.js';
import { removeLiveContainers } from './runners/container-lifecycle.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type Handled = (typeof SIGNALS)[number];

/** 128 + the signal number, as a shell reports a process ended by it. */
export function signalExitCode(signal: Handled): number {
  return signal === 'SIGINT' ? 130 : 143;
}

export interface SignalGuard {
  signal: AbortSignal;
  /** The first signal received, if any. */
  received(): Handled | undefined;
  dispose(): void;
}

export function guardSignals(progress: Progress, graceSeconds = 10): SignalGuard {
  const controller = new AbortController();
  let first: Handled | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  const forceExit = (signal: Handled) => {
    void removeLiveContainers()
      .catch(() => 0)
      .then((n) => {
        if (n > 0) progress.warn(`${n} container${n === 1 ? '' : 's'} removed`);
        process.exit(signalExitCode(first ?? signal));
      });
  };
  const handlers = new Map<Handled, () => void>();
  for (const name of SIGNALS) {
    const handler = () => {
      if (first === undefined) {
        first = name;
        progress.warn(`${name}: stopping the run (its container is stopped and removed)`);
        controller.abort(new GateError(`interrupted by ${name}`));
        // A runner that does not stop on its own (in-process inference) must not outlive the job.
        watchdog = setTimeout(() => {
          progress.warn(`the run did not stop within ${graceSeconds} s of ${name}: exiting`);
          forceExit(name);
        }, graceSeconds * 1000);
        watchdog.unref();
        return;
      }
      progress.warn(`${name} again: removing containers now and exiting`);
      forceExit(name);
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  return {
    signal: controller.signal,
    received: () => first,
    dispose: () => {
      clearTimeout(watchdog);
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
