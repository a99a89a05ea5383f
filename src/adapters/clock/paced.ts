/**
 * A paced virtual clock, for a class watching (`serve --clock virtual`, `warehouse demo`): virtual
 * time that never moves by itself. The runner does not jump it either: where it would, it waits
 * at the pacer (ports/clock.ts ClockPacer) and tells it the next moment anything can happen. The
 * controls move time:
 *
 * - `pause()` / `play(rate)`: play moves virtual time at `rate` × wall time (×1, ×10, ×100), and
 *   stops at each moment something is due, so every job still runs exactly at its due time.
 * - `step()`: to the next moment the runner waits for (a job falling due, a timer such as a
 *   supplier call's timeout), and lets everything due then run.
 * - `advanceBy(ms)` / `advanceTo(t)`: through every moment up to the target, in time order, each
 *   one run before the next (a jump of +15 s runs a check due at +5 s at +5 s, not at +15 s).
 * - `settled()`: resolves once the runner has nothing left to do at the current instant.
 * - `lock(owner, step?)`: while set (the demo drives the clock), the HTTP controls are refused;
 *   a Step is passed to the owner's `step` when it gave one (the demo's next moment).
 *
 * Control operations run one at a time, in the order called. The gate where the runner waits is
 * adapters/clock/gate.ts.
 */
import type { ClockControls, ClockState, PacedClock, PlayRate } from '../../ports/clock.js';
import { createGate } from './gate.js';
import { createVirtualClock } from './virtual.js';

/** How often play moves time (wall ms). */
const TICK_MS = 50;
/** A jump stops after this many moments, whatever is left (a guard, far above any class's need). */
const MAX_HOPS = 100_000;

export function createPacedClock(start = Date.now()): PacedClock {
  const vc = createVirtualClock(start);
  const listeners = new Set<(s: ClockState) => void>();
  let playing = false;
  let rate: PlayRate = 1;
  let lockedBy: string | null = null;
  /** the lock owner's own move, taken by a Step while it holds the lock */
  let ownersMove: (() => Promise<void>) | null = null;
  let ticker: NodeJS.Timeout | undefined;
  let lastTick = 0;
  /** play's fraction of a millisecond not yet moved: time moves in whole milliseconds, as every clock's */
  let carry = 0;
  let lastNext: number | null | undefined;
  let busy = false;
  let queue: Promise<unknown> = Promise.resolve();

  const gate = createGate(vc, {
    waited: (next) => {
      if (next !== lastNext) changed();
    },
    moved: () => changed(),
  });
  const { moveTo, settled } = gate;

  const state = (): ClockState => ({ now: vc.now(), playing, rate, next: gate.next, settled: gate.waiting, lockedBy });
  function changed(): void {
    const s = state();
    lastNext = s.next;
    for (const l of listeners) {
      try {
        l(s);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /** one control operation at a time */
  function serial<T>(op: () => Promise<T>): Promise<T> {
    const run = queue.then(async () => {
      busy = true;
      try {
        return await op();
      } finally {
        busy = false;
      }
    });
    queue = run.catch(() => undefined);
    return run;
  }

  async function runTo(target: number): Promise<ClockState> {
    for (let hops = 0; hops < MAX_HOPS; hops++) {
      await settled();
      const next = gate.next;
      if (next !== null && next <= target && next > vc.now()) {
        moveTo(next);
        continue;
      }
      break;
    }
    if (vc.now() < target) moveTo(target);
    await settled();
    return state();
  }

  function tick(): void {
    const wall = performance.now();
    const budget = (wall - lastTick) * rate + carry;
    lastTick = wall;
    // time flows while the runner waits; a control operation in progress has the clock
    if (!gate.waiting || busy) {
      carry = 0;
      return;
    }
    const whole = Math.floor(budget);
    carry = budget - whole;
    const target = vc.now() + whole;
    const next = gate.next;
    moveTo(next !== null && next <= target ? next : target);
  }

  const controls: ClockControls = {
    state,
    pause() {
      playing = false;
      if (ticker) clearInterval(ticker);
      ticker = undefined;
      changed();
      return state();
    },
    play(r) {
      rate = r;
      playing = true;
      lastTick = performance.now();
      carry = 0;
      if (!ticker) {
        ticker = setInterval(tick, TICK_MS);
        ticker.unref?.();
      }
      changed();
      return state();
    },
    step: () =>
      serial(async () => {
        await settled();
        const next = gate.next;
        if (next !== null) {
          moveTo(Math.max(next, vc.now()));
          await settled();
        }
        return state();
      }),
    advanceBy: (ms) => serial(() => runTo(vc.now() + Math.max(0, ms))),
    advanceTo: (t) => serial(() => runTo(t)),
    settled,
    lock(owner, step) {
      lockedBy = owner;
      ownersMove = owner ? (step ?? null) : null;
      changed();
    },
    ownerStep: () => ownersMove?.() ?? null,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  return {
    mode: 'virtual',
    now: vc.now,
    get parked() {
      return vc.parked;
    },
    sleep: vc.sleep,
    timeout: vc.timeout,
    nextTimerAt: vc.nextTimerAt,
    advanceTo: vc.advanceTo,
    onPark: vc.onPark,
    pacer: gate.pacer,
    controls,
  };
}
