/**
 * Waiting on the wall clock, shared by the in-database driver (app/driver.ts) and the outbox relay
 * (adapters/bullmq/relay.ts): a wake signal ("something happened, look again") and a sleep that a
 * signal cuts short. Both wait for other processes, whatever the engine's clock says: the Clock
 * port is for the engine's own time.
 */

/** A promise that resolves at the next `wake()`; replaced each time it fires. */
export interface WakeSignal {
  /** resolves at the next wake-up (capture it before looking, then wait on what was captured) */
  readonly next: Promise<void>;
  wake(): void;
}

export function createWakeSignal(): WakeSignal {
  let resolve!: () => void;
  let next = new Promise<void>((r) => (resolve = r));
  return {
    get next() {
      return next;
    },
    wake() {
      const r = resolve;
      next = new Promise<void>((res) => (resolve = res));
      r();
    },
  };
}

/** Wait `ms` of wall time, or until `signal` aborts (resolves either way, never rejects). */
export function wallSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
