import type { VirtualClockControl } from '../../ports/clock.js';

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/**
 * Virtual time: `now()` moves only when `advanceTo` is called (by the job runner, when every
 * running job is parked). Timers fire in (time, creation) order, so a replay is deterministic.
 */
export function createVirtualClock(start = Date.UTC(2026, 0, 1, 9, 0, 0)): VirtualClockControl {
  let now = start;
  let seq = 0;
  let parked = 0;
  const timers: Timer[] = [];
  const parkListeners = new Set<() => void>();

  const add = (t: Timer) => {
    // keep sorted by (at, seq); timers are few, so insertion is cheap
    let i = timers.length;
    while (i > 0 && (timers[i - 1]!.at > t.at || (timers[i - 1]!.at === t.at && timers[i - 1]!.seq > t.seq))) i--;
    timers.splice(i, 0, t);
  };
  const remove = (t: Timer) => {
    const i = timers.indexOf(t);
    if (i >= 0) timers.splice(i, 1);
  };

  return {
    mode: 'virtual',
    now: () => now,
    get parked() {
      return parked;
    },
    sleep(ms, signal) {
      return new Promise<boolean>((resolve) => {
        if (signal?.aborted) return resolve(false);
        const done = (passed: boolean) => {
          parked--;
          signal?.removeEventListener('abort', onAbort);
          resolve(passed);
        };
        const timer: Timer = { at: now + Math.max(0, ms), seq: seq++, fire: () => done(true) };
        const onAbort = () => {
          remove(timer);
          done(false);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        parked++;
        add(timer);
        for (const l of parkListeners) l();
      });
    },
    timeout(ms) {
      const controller = new AbortController();
      const timer: Timer = {
        at: now + Math.max(0, ms),
        seq: seq++,
        fire: () => controller.abort(new DOMException(`timed out after ${ms} ms (virtual)`, 'TimeoutError')),
      };
      add(timer);
      return { signal: controller.signal, clear: () => remove(timer) };
    },
    nextTimerAt() {
      return timers[0]?.at ?? null;
    },
    advanceTo(t) {
      while (timers.length > 0 && timers[0]!.at <= t) {
        const timer = timers.shift()!;
        now = Math.max(now, timer.at);
        timer.fire();
      }
      now = Math.max(now, t);
    },
    onPark(listener) {
      parkListeners.add(listener);
      return () => parkListeners.delete(listener);
    },
  };
}
