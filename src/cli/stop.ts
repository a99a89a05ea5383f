/**
 * What stops a command that talks to a person while it runs (`demo`): Ctrl-C (SIGINT), SIGTERM, or
 * its reader going away (EPIPE on stdout or stderr: `warehouse demo | head`). Each aborts `signal`,
 * so the command ends its story and cleans up in its own `finally` (the temporary database). A
 * second signal while it cleans up runs `now()` (what must not be left behind, done synchronously)
 * and then lets the signal end the process as it would have.
 */
import type { Io } from './context.js';

export type StopReason = 'SIGINT' | 'SIGTERM' | 'EPIPE';

export interface StopWatch {
  readonly signal: AbortSignal;
  /** why it was stopped, or null */
  reason(): StopReason | null;
  /** removes the listeners */
  dispose(): void;
}

export function watchForStop(io: Io, now: () => void): StopWatch {
  const controller = new AbortController();
  let reason: StopReason | null = null;
  const stop = (why: StopReason) => {
    if (reason) return;
    reason = why;
    controller.abort(why);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (!reason) return stop(sig as StopReason);
    // asked twice: what must go goes now, then the signal does what it does by default
    dispose();
    now();
    process.kill(process.pid, sig);
  };
  // a stream whose reader has gone: stop; later writes to it fail quietly, here, instead of throwing
  const onStreamError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stop('EPIPE');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  io.stdout.on('error', onStreamError);
  io.stderr.on('error', onStreamError);
  function dispose() {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // the listeners on the streams stay: a write still queued may yet fail, and must not throw
  }
  return { signal: controller.signal, reason: () => reason, dispose };
}

/** Resolves when `signal` is aborted. */
export const untilAborted = (signal: AbortSignal): Promise<void> =>
  signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
