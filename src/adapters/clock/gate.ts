/**
 * The gate of a paced virtual clock (adapters/clock/paced.ts): where the runner waits instead of
 * moving time itself (ports/clock.ts ClockPacer), and how the controls let it through.
 *
 * - The runner calls `pacer.idle(next, interrupt)`: it has nothing left to do now, and `next` is the
 *   first moment anything can happen. It waits at the gate until time reaches `next`, `interrupt`
 *   resolves, or `settled()` kicks it to look again.
 * - `moveTo(t)` moves time (timers fire on the way) and opens the gate when `t` reaches `next`.
 * - `settled()` resolves once the runner waits at the gate again (or after a wall-clock timeout),
 *   i.e. when everything due at the current instant has run.
 */
import type { ClockPacer, VirtualClockControl } from '../../ports/clock.js';

const SETTLE_TIMEOUT_MS = 10_000;

export interface Gate {
  readonly pacer: ClockPacer;
  /** the runner waits at the gate (nothing to do at the current instant) */
  readonly waiting: boolean;
  /** the moment the waiting runner waits for; null: not waiting, or nothing scheduled */
  readonly next: number | null;
  moveTo(t: number): void;
  settled(timeoutMs?: number): Promise<void>;
}

export interface GateHooks {
  /** the runner came to the gate, waiting for `next` */
  waited(next: number | null): void;
  /** time moved */
  moved(): void;
}

export function createGate(vc: VirtualClockControl, hooks: GateHooks): Gate {
  /** the runner's current wait at the gate */
  let gate: { next: number | null; release: () => void } | null = null;
  const settledWaiters = new Set<() => void>();

  const pacer: ClockPacer = {
    idle(next, interrupt) {
      return new Promise<void>((resolve) => {
        const me = {
          next,
          release: () => {
            if (gate === me) gate = null;
            resolve();
          },
        };
        gate = me;
        interrupt.then(me.release, me.release);
        for (const w of [...settledWaiters]) w();
        hooks.waited(next);
      });
    },
  };

  return {
    pacer,
    get waiting() {
      return gate !== null;
    },
    get next() {
      return gate?.next ?? null;
    },
    moveTo(t) {
      const wake = gate !== null && gate.next !== null && t >= gate.next;
      vc.advanceTo(t);
      if (wake) gate?.release();
      hooks.moved();
    },
    settled(timeoutMs = SETTLE_TIMEOUT_MS) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          settledWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        timer.unref?.();
        settledWaiters.add(done);
        // kick: the runner claims whatever is due now before it waits at the gate again
        gate?.release();
      });
    },
  };
}
