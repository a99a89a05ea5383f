/**
 * A virtual clock with a horizon: time may run up to the next scenario step, not past it.
 *
 * The job runner moves virtual time itself (to the next due job or timer) whenever every running
 * job waits on the clock. A scenario step at time T must happen when time reaches T, also while
 * jobs are parked on a timer beyond T (a supplier call that will time out). So this clock lets
 * the runner advance freely up to the horizon; asked to go further, it stops at the horizon and
 * calls `onBlocked` (once per horizon), and the simulator applies the steps due there, then moves
 * the horizon on. Meanwhile the runner keeps asking (its loop yields on every store call), so it
 * resumes by itself once the horizon has moved.
 */
import { createVirtualClock } from '../adapters/clock/virtual.js';
import type { VirtualClockControl } from '../ports/clock.js';

export interface HorizonClock extends VirtualClockControl {
  /** epoch ms that time may not pass; null: no limit */
  horizon: number | null;
  /** called when someone asked to advance past the horizon; time then stands at the horizon */
  onBlocked: (() => void) | null;
}

export function createHorizonClock(start: number): HorizonClock {
  const inner = createVirtualClock(start);
  let blockedAt: number | null = null;
  const clock: HorizonClock = {
    mode: 'virtual',
    horizon: null,
    onBlocked: null,
    now: () => inner.now(),
    get parked() {
      return inner.parked;
    },
    sleep: (ms, signal) => inner.sleep(ms, signal),
    timeoutSignal: (ms) => inner.timeoutSignal(ms),
    nextTimerAt: () => inner.nextTimerAt(),
    onPark: (listener) => inner.onPark(listener),
    advanceTo(t) {
      const h = clock.horizon;
      if (h === null || t <= h) return inner.advanceTo(t);
      inner.advanceTo(h);
      if (blockedAt !== h) {
        blockedAt = h;
        clock.onBlocked?.();
      }
    },
  };
  return clock;
}
