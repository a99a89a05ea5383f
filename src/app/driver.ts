/**
 * The in-database queue's driver: it claims due jobs under a lease and hands them to the executor
 * with bounded concurrency (a claim takes no more jobs than there are free slots; jobs due at the
 * same moment start in the order they were enqueued). Any queue whose jobs live in the database
 * (SQLite, PostgreSQL) is driven by it.
 *
 * Its states and their moves are the driver port's (ports/driver.ts DRIVER_TRANSITIONS). One turn
 * of the loop:
 *
 *   draining and nothing in flight      → stopped
 *   claim what is due (not when draining)
 *     too few slots free to refill      → wait for the next job to end, or the hold's end (a
 *                                         backlog, real clock: see `refillAt`)
 *     the claim failed                  → degraded (the fault's owner and kind); back off on the
 *                                         wall clock, then look again
 *     it worked after degraded          → running or idle; after the database's trouble, resume
 *                                         the jobs parked for it
 *     jobs claimed                      → running; look again
 *     nothing claimed                   → running (jobs in flight) or idle; wait as the clock does
 *                                         (app/idle.ts): again, done (→ stopped) or at the horizon
 */
import { faultOf } from '../domain/errors.js';
import { DATABASE_BACKOFF } from '../domain/retry.js';
import { backoffDelay } from '../domain/settings.js';
import { createWakeSignal, wallSleep } from '../kit/wake.js';
import { isVirtual, type Clock } from '../ports/clock.js';
import { createDriverStateMachine, DriverState, recovered, type Driver, type DriverStatus, type RunOptions } from '../ports/driver.js';
import type { ClaimedJob, JobQueue } from '../ports/queue.js';
import { publishResumed, type Bus } from './bus.js';
import type { Executor } from './executor.js';
import { idleStrategyFor } from './idle.js';

export { DRIVER_TRANSITIONS } from '../ports/driver.js';
export { DriverState, type Driver, type DriverStatus, type RunOptions };

export interface DriverDeps {
  queue: JobQueue;
  executor: Executor;
  clock: Clock;
  bus: Bus;
  random: () => number;
  workerId: string;
  concurrency: number;
  leaseMs: number;
  /** real clock: how often to look for jobs enqueued by other processes */
  pollMs?: number;
  /** runUntilIdle gives up (throws the last error) after the queue failed this long in a row */
  giveUpAfterMs?: number;
  /** real clock, a queue with a backlog: the longest a freed slot waits to be refilled with others (see `refillAt`) */
  refillWaitMs?: number;
}

/** Free slots held for a refill: their wait ends after refillWaitMs (`expired`), or by the claim (`stop`). */
interface Hold {
  over: Promise<void>;
  expired: boolean;
  stop: AbortController;
}

/** The default of DriverDeps.refillWaitMs. */
const REFILL_WAIT_MS = 5;
/** the reason a hold's timer is ended with (a reason of our own: `abort()` without one builds a DOMException) */
const HOLD_OVER = 'refilled';

export function createDriver(deps: DriverDeps): Driver {
  const { queue, executor, clock, bus, random, workerId, concurrency, leaseMs } = deps;
  const pollMs = deps.pollMs ?? 250;
  const giveUpAfterMs = deps.giveUpAfterMs ?? 120_000;
  const machine = createDriverStateMachine(
    () => clock.now(),
    ({ state, reason, since }) => bus.emit('runner:state', { state, reason, at: since }),
  );
  const to = machine.to;

  // "something happened": a job enqueued here, a job ended, a wait parked on the virtual clock
  const wake = createWakeSignal();
  bus.on('job:enqueued', wake.wake);
  // the database answers again (a health probe saw it): a degraded runner looks now, not at its backoff's end
  bus.on('database:answered', () => {
    if (machine.status.state === 'degraded') wake.wake();
  });
  if (isVirtual(clock)) clock.onPark(wake.wake);
  const idle = idleStrategyFor(clock, { wake, pollMs, concurrency });

  /**
   * The jobs in flight. The bound needs no queue of its own: a claim never takes more jobs than
   * there are free slots, and every job claimed starts at once, in the claim's (due) order. (This
   * was p-queue, which kept an id, a symbol, timestamps and events for every job to keep a bound
   * nothing ever reached: docs/decisions.md, "The driver counts its jobs in flight itself".)
   * Counted when a job ends, before its wake-up, so the loop it wakes sees the slot free.
   */
  let running = 0;
  /** fired when the last job in flight ends (a drain, the end of a run wait for it) */
  const drained = createWakeSignal();
  const whenIdle = (): Promise<void> => (running === 0 ? Promise.resolve() : drained.next);
  async function run(job: ClaimedJob): Promise<void> {
    try {
      await executor.execute(job);
    } finally {
      running--;
      if (running === 0) drained.wake();
      wake.wake();
    }
  }

  /**
   * Refilling in batches (real clock; docs/decisions.md, "The runner refills its slots in
   * batches"): while the queue has a backlog — the last claim filled every free slot — and jobs
   * are in flight, a slot freed by a job's end waits until a quarter of the slots are free
   * (`refillAt`) or for `refillWaitMs` at most, whichever comes first, and they are claimed
   * together: one claim (a write and its round trip) for several jobs instead of one for every job
   * that ends. A claim that comes back short ends the backlog: then any free slot is claimed at
   * once, so a job enqueued into a quiet queue never waits for others to end. Nothing is claimed
   * ahead: every claimed job starts at once. On the virtual clock every freed slot is claimed at
   * once as before, so a replay starts each job at the moment it would have started.
   */
  const refillAt = isVirtual(clock) ? 1 : Math.max(1, Math.floor(concurrency / 4));
  const refillWaitMs = deps.refillWaitMs ?? REFILL_WAIT_MS;
  let backlog = false;
  /** the free slots' wait for the refill: over after refillWaitMs, or ended by the claim */
  let hold: Hold | null = null;
  const startHold = (): Hold => {
    const stop = new AbortController();
    const h: Hold = { expired: false, stop, over: Promise.resolve() };
    h.over = clock.sleep(refillWaitMs, stop.signal).then(() => {
      h.expired = true;
    });
    return h;
  };
  const endHold = () => {
    hold?.stop.abort(HOLD_OVER);
    hold = null;
  };

  /** The jobs claimed and started, or the wait of the free slots held for the refill (see refillAt). */
  async function fill(): Promise<number | { held: Promise<void> }> {
    const free = concurrency - running;
    if (free <= 0) return 0;
    if (backlog && running > 0 && free < refillAt) {
      hold ??= startHold();
      // wrapped: a promise returned from an async function would be waited for by its caller's await
      if (!hold.expired) return { held: hold.over };
    }
    endHold();
    backlog = false;
    const jobs = await queue.claim(clock.now(), free, workerId, leaseMs);
    backlog = jobs.length === free;
    running += jobs.length;
    for (const job of jobs) void run(job);
    return jobs.length;
  }

  /** Returns 'horizon' when the run stopped at its horizon (jobs may still be waiting). */
  async function loop(opts: RunOptions & { forever: boolean }): Promise<'horizon' | 'done'> {
    const nextDueAt = () => queue.nextDueAt();
    let failures = 0;
    let troubleSince: number | null = null;
    to('running');
    for (;;) {
      if (machine.status.state !== 'draining' && (opts.signal?.aborted || opts.until?.())) to('draining');
      const draining = machine.status.state === 'draining';
      if (draining && running === 0) break;
      const wakeSeen = wake.next;
      try {
        const claimed = draining ? 0 : await fill();
        if (typeof claimed !== 'number') {
          // jobs are in flight and the queue has more: the next job to end or the hold's end wakes the loop
          await Promise.race([wakeSeen, claimed.held]);
          continue;
        }
        if (machine.status.state === 'degraded') {
          const wasDatabase = machine.status.reason?.startsWith('database');
          to(running > 0 ? 'running' : 'idle');
          if (wasDatabase) {
            recovered(
              queue,
              clock.now(),
              (resumed) => publishResumed(bus, resumed),
              (error) => bus.emit('listener:error', { event: 'runner:recovered', error }),
            );
          }
        }
        failures = 0;
        troubleSince = null;
        if (claimed > 0) {
          to('running');
          continue;
        }
        if (!draining) to(running > 0 ? 'running' : 'idle');
        const next = await idle.wait({ running, draining, forever: opts.forever, horizon: opts.horizon, wakeSeen, signal: opts.signal, nextDueAt });
        if (next === 'horizon') return 'horizon'; // the virtual clock's: it never holds slots
        if (next === 'done') break;
      } catch (error) {
        // never stop on an error: back off on the wall clock (another process holds the lock, the
        // disk is full, the server is away) and try again; jobs in flight carry on meanwhile
        const fault = faultOf(error);
        failures++;
        troubleSince ??= performance.now();
        to('degraded', `${fault.owner}: ${fault.kind}: ${fault.message}`);
        if (!opts.forever && performance.now() - troubleSince > giveUpAfterMs) {
          await whenIdle();
          throw error;
        }
        await Promise.race([wakeSeen, wallSleep(backoffDelay(failures, DATABASE_BACKOFF, random), opts.signal)]);
      }
    }
    endHold(); // draining stops claims, and so ends a hold by hand
    to('stopped');
    return 'done';
  }

  return {
    get inFlight() {
      return running;
    },
    get status(): DriverStatus {
      return machine.status;
    },
    async runUntilIdle(opts = {}) {
      if ((await loop({ ...opts, forever: false })) === 'horizon') {
        to('stopped');
        return;
      }
      await whenIdle();
    },
    async runForever(signal) {
      await loop({ signal, forever: true });
      await whenIdle();
    },
    drain: () => whenIdle(),
  };
}
