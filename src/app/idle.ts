/**
 * How the in-database driver waits when it has nothing to claim: an idle strategy per clock
 * (app/driver.ts asks `idleStrategyFor(clock)` once and calls `wait` each time a look found
 * nothing to claim).
 *
 * - real clock (`realIdle`): sleep until the next due job, a wake-up or the poll interval, whichever
 *   comes first (the poll finds jobs other processes enqueue).
 * - virtual clock (`virtualIdle`): never sleep; when no job can run and every running job is parked
 *   on a clock wait, jump time to the next due job or timer, never past the run's horizon.
 * - paced virtual clock (`pacedIdle`, ports/clock.ts ClockPacer): where the virtual clock would
 *   jump, wait at the pacer instead, telling it the next moment, until its controls move time, a
 *   wake-up or a wall-clock poll. While draining it jumps as the virtual clock does, so that a stop
 *   never waits for a teacher's click.
 *
 * `wait` answers what the loop does next: look `again`, stop as `done` (runUntilIdle found nothing
 * left), or stop at the `horizon`.
 */
import { wallSleep, type WakeSignal } from '../kit/wake.js';
import { isVirtual, type Clock, type ClockPacer, type VirtualClockControl } from '../ports/clock.js';

export type IdleOutcome = 'again' | 'done' | 'horizon';

/** What the loop knows when it waits. */
export interface IdleContext {
  /** jobs in flight */
  running: number;
  draining: boolean;
  /** runForever: an empty queue is a reason to wait, not to stop */
  forever: boolean;
  /** virtual clocks: time may not move past this instant */
  horizon?: number;
  /** the wake-up captured before the loop looked (one that came since resolves it at once) */
  wakeSeen: Promise<void>;
  signal?: AbortSignal;
  /** the queue's next due time (epoch ms), or null when nothing is queued */
  nextDueAt(): Promise<number | null>;
}

export interface IdleStrategy {
  wait(ctx: IdleContext): Promise<IdleOutcome>;
}

export interface IdleDeps {
  wake: WakeSignal;
  /** real clock: how often to look for jobs other processes enqueue; virtual: the empty queue's wall-clock poll */
  pollMs: number;
  concurrency: number;
}

export function idleStrategyFor(clock: Clock, deps: IdleDeps): IdleStrategy {
  if (isVirtual(clock)) return clock.pacer ? pacedIdle(clock, clock.pacer, deps) : virtualIdle(clock, deps);
  return realIdle(clock, deps);
}

/**
 * The reason a wait's own timer is ended with: `abort()` without one builds a DOMException (a stack
 * trace) every time, and a busy runner ends a wait after nearly every job.
 */
const WAIT_OVER = 'the wait is over';

export function realIdle(clock: Clock, { wake, pollMs, concurrency }: IdleDeps): IdleStrategy {
  /** wait for a wake-up, the next due time, or the poll interval, whichever is first */
  async function sleep(until: number | null, signal?: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const onAbort = () => stop.abort(WAIT_OVER);
    signal?.addEventListener('abort', onAbort, { once: true });
    const ms = Math.min(pollMs, until === null ? pollMs : Math.max(0, until - clock.now()));
    await Promise.race([wake.next, clock.sleep(ms, stop.signal)]);
    stop.abort(WAIT_OVER);
    signal?.removeEventListener('abort', onAbort);
  }
  return {
    async wait(ctx) {
      // draining: only the jobs in flight matter, and each one's end wakes the loop
      if (ctx.draining) {
        await ctx.wakeSeen;
        return 'again';
      }
      if (ctx.running === 0 && !ctx.forever) {
        const next = await ctx.nextDueAt();
        if (next === null) return 'done';
        await sleep(next, ctx.signal);
        return 'again';
      }
      const next = ctx.running < concurrency ? await ctx.nextDueAt() : null;
      await Promise.race([ctx.wakeSeen, sleep(next, ctx.signal)]);
      return 'again';
    },
  };
}

export function virtualIdle(clock: VirtualClockControl, deps: IdleDeps): IdleStrategy {
  return timeSkipping(clock, undefined, deps);
}

export function pacedIdle(clock: VirtualClockControl, pacer: ClockPacer, deps: IdleDeps): IdleStrategy {
  return timeSkipping(clock, pacer, deps);
}

/** Virtual time: jump to the next moment, or (paced, not draining) wait at the pacer for it. */
function timeSkipping(clock: VirtualClockControl, pacer: ClockPacer | undefined, { pollMs }: IdleDeps): IdleStrategy {
  /** move to `t`, or to the horizon when `t` lies past it (then false) */
  const advance = (t: number, horizon: number | undefined): boolean => {
    if (horizon !== undefined && t > horizon) {
      clock.advanceTo(Math.max(horizon, clock.now()));
      return false;
    }
    clock.advanceTo(t);
    return true;
  };
  /** wait at the pacer until it moves time, a wake-up, or a wall-clock poll (jobs other processes enqueue) */
  async function atPacer(p: ClockPacer, next: number | null, ctx: IdleContext): Promise<void> {
    const poll = new AbortController();
    const onAbort = () => poll.abort(WAIT_OVER);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await p.idle(next, Promise.race([ctx.wakeSeen, wallSleep(pollMs, poll.signal)]));
    } finally {
      poll.abort(WAIT_OVER); // ends the poll's timer with the wait
      ctx.signal?.removeEventListener('abort', onAbort);
    }
  }
  /** jump to `next`, or wait at the pacer for it */
  async function moveOrPace(next: number, ctx: IdleContext, gate: ClockPacer | undefined): Promise<IdleOutcome> {
    if (gate && next > clock.now()) {
      await atPacer(gate, next, ctx);
      return 'again';
    }
    return advance(next, ctx.horizon) ? 'again' : 'horizon';
  }
  return {
    async wait(ctx) {
      const gate = ctx.draining ? undefined : pacer;
      if (ctx.running === 0) {
        const next = await ctx.nextDueAt();
        if (next === null) {
          if (!ctx.forever) return 'done';
          // nothing queued here: look again after a wall-clock poll (a wait on the virtual clock
          // would park, and a parked wait wakes the runner at once), or when work is enqueued
          if (gate) await atPacer(gate, null, ctx);
          else await Promise.race([ctx.wakeSeen, wallSleep(pollMs, ctx.signal)]);
          return 'again';
        }
        return moveOrPace(Math.max(next, clock.now()), ctx, gate);
      }
      if (clock.parked >= ctx.running) {
        // every running job waits on the clock: move to the first moment anything can happen
        const due = await ctx.nextDueAt();
        const timer = clock.nextTimerAt();
        const now = clock.now();
        const candidates = [timer, !ctx.draining && due !== null && due > now ? due : null].filter((x): x is number => x !== null);
        if (candidates.length > 0) return moveOrPace(Math.min(...candidates), ctx, gate);
      }
      await ctx.wakeSeen;
      return 'again';
    },
  };
}
