/**
 * The in-database queue's driver: it claims due jobs under a lease and hands them to the executor
 * with bounded concurrency (p-queue; jobs due at the same moment start in the order they were
 * enqueued). Any queue whose jobs live in the database (SQLite, PostgreSQL) is driven by it.
 *
 * Its states (written once, in DRIVER_TRANSITIONS):
 *
 *   stopped ──run──► running ◄──────► idle          running: jobs claimed or in flight
 *                      │  ▲             │            idle: nothing due; waiting for the next due
 *                      ▼  │             ▼                  job, a wake-up (a job enqueued here,
 *                    degraded ◄─────────┘                  a parked wait) or the poll interval
 *                      │                             degraded: the queue could not be read (the
 *   running|idle|degraded ──stop──► draining ──► stopped     database's trouble): backing off on
 *                                                            the wall clock, then trying again
 *                                                    draining: asked to stop; no new claims,
 *                                                            waiting for the jobs in flight
 *
 * Time: with the real clock, idle sleeps until the next due job (polling for jobs other processes
 * enqueue). With the virtual clock it never sleeps: when no job can run and every running job is
 * parked on a clock wait, it jumps time to the next due job or timer — unless the clock is paced
 * (ports/clock.ts ClockPacer): then it reports that moment to the pacer and waits for the
 * controls to move time.
 *
 * Leaving `degraded` for `running` after the database's trouble resumes the jobs parked for it.
 */
import PQueue from 'p-queue';
import { faultOf } from '../domain/errors.js';
import { DATABASE_BACKOFF } from '../domain/retry.js';
import { backoffDelay } from '../domain/settings.js';
import { isVirtual, type Clock, type ClockPacer, type VirtualClockControl } from '../ports/clock.js';
import type { JobQueue } from '../ports/queue.js';
import type { Bus } from './bus.js';
import type { Executor } from './executor.js';
import { DriverState, type Driver, type DriverStatus, type RunOptions } from '../ports/driver.js';

export { DriverState, type Driver, type DriverStatus, type RunOptions };

export const DRIVER_TRANSITIONS: Readonly<Record<DriverState, readonly DriverState[]>> = {
  stopped: ['running'],
  running: ['idle', 'degraded', 'draining', 'stopped'],
  idle: ['running', 'degraded', 'draining', 'stopped'],
  degraded: ['running', 'idle', 'draining', 'stopped'],
  draining: ['degraded', 'stopped'],
};

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
}

/** Wait `ms` of wall time (or until aborted): for other processes, whatever the engine's clock. */
function wallWait(ms: number, signal?: AbortSignal): Promise<void> {
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

export function createDriver(deps: DriverDeps): Driver {
  const { queue, executor, clock, bus, random, workerId, concurrency, leaseMs } = deps;
  const pollMs = deps.pollMs ?? 250;
  const giveUpAfterMs = deps.giveUpAfterMs ?? 120_000;
  const pq = new PQueue({ concurrency });
  let status: DriverStatus = { state: 'stopped', reason: null, since: clock.now() };

  function to(state: DriverState, reason: string | null = null): void {
    if (state === status.state && reason === status.reason) return;
    if (state !== status.state && !DRIVER_TRANSITIONS[status.state].includes(state)) {
      throw new Error(`runner cannot go from ${status.state} to ${state}`);
    }
    status = { state, reason, since: clock.now() };
    bus.emit('runner:state', { state, reason, at: status.since });
  }

  // a promise that resolves at the next "something happened"; replaced each time it fires
  let resolveWake!: () => void;
  let woken = new Promise<void>((r) => (resolveWake = r));
  const wake = () => {
    const r = resolveWake;
    woken = new Promise<void>((res) => (resolveWake = res));
    r();
  };
  bus.on('job:enqueued', wake);
  if (isVirtual(clock)) clock.onPark(wake);

  // counted here rather than read from p-queue, which updates its own counts only after a task's
  // promise settles: a wake-up sent from a job's `finally` must already see the job gone
  let running = 0;

  async function fill(): Promise<number> {
    const free = concurrency - running;
    if (free <= 0) return 0;
    const jobs = await queue.claim(clock.now(), free, workerId, leaseMs);
    running += jobs.length;
    for (const job of jobs) {
      void pq.add(async () => {
        try {
          await executor.execute(job);
        } finally {
          running--;
          wake();
        }
      });
    }
    return jobs.length;
  }

  /** Real clock: wait for a wake-up, the next due time, or the poll interval, whichever is first. */
  async function idleWait(until: number | null, signal?: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const ms = Math.min(pollMs, until === null ? pollMs : Math.max(0, until - clock.now()));
    await Promise.race([woken, clock.sleep(ms, stop.signal)]);
    stop.abort();
    signal?.removeEventListener('abort', onAbort);
  }

  /**
   * Paced virtual time: wait at the pacer, which moves time or not, until it does, something
   * happens here (a wake-up), or a wall-clock poll passes (jobs other processes enqueue).
   */
  async function atPacer(pacer: ClockPacer, next: number | null, wakeSeen: Promise<void>, signal?: AbortSignal): Promise<void> {
    const poll = new AbortController();
    const onAbort = () => poll.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await pacer.idle(next, Promise.race([wakeSeen, wallWait(pollMs, poll.signal)]));
    } finally {
      poll.abort(); // ends the poll's timer with the wait
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** After the database's trouble: resume what was parked for it (best effort, never fatal). */
  function recovered(): void {
    queue
      .resumeParked(clock.now(), { reasonPrefix: 'database' })
      .then((resumed) => {
        for (const { event } of resumed) bus.emit('order:event', event);
        if (resumed.length > 0) wake();
      })
      .catch((error: unknown) => bus.emit('listener:error', { event: 'runner:recovered', error }));
  }

  /** Returns 'horizon' when the run stopped at its horizon (jobs may still be waiting). */
  async function loop(opts: RunOptions & { forever: boolean }): Promise<'horizon' | 'done'> {
    // the virtual clock moves through here, so that it never passes the horizon
    const advance = (vc: VirtualClockControl, t: number): boolean => {
      if (opts.horizon !== undefined && t > opts.horizon) {
        vc.advanceTo(Math.max(opts.horizon, vc.now()));
        return false;
      }
      vc.advanceTo(t);
      return true;
    };
    let failures = 0;
    let troubleSince: number | null = null;
    to('running');
    for (;;) {
      if (status.state !== 'draining' && (opts.signal?.aborted || opts.until?.())) to('draining');
      const draining = status.state === 'draining';
      if (draining && running === 0) break;
      const wakeSeen = woken;
      try {
        const claimed = draining ? 0 : await fill();
        if (status.state === 'degraded') {
          const wasDatabase = status.reason?.startsWith('database');
          to(running > 0 ? 'running' : 'idle');
          if (wasDatabase) recovered();
        }
        failures = 0;
        troubleSince = null;
        if (claimed > 0) {
          to('running');
          continue;
        }
        const busy = running;
        if (!draining) to(busy > 0 ? 'running' : 'idle');
        if (isVirtual(clock)) {
          // a paced clock (serve --clock virtual, demo) is moved by its controls, not here: where
          // this loop would jump to the next moment, it waits at the pacer instead (and looks
          // again after a wake-up or a wall-clock poll). While draining it moves time itself, so
          // that a stop never waits for a teacher's click.
          const pacer = draining ? undefined : clock.pacer;
          if (busy === 0) {
            const next = await queue.nextDueAt();
            if (next === null) {
              if (!opts.forever) break;
              // nothing queued here: look again after a wall-clock poll (a wait on the virtual clock
              // would park, and a parked wait wakes the runner at once), or when work is enqueued
              if (pacer) await atPacer(pacer, null, wakeSeen, opts.signal);
              else await Promise.race([wakeSeen, wallWait(pollMs, opts.signal)]);
              continue;
            }
            if (pacer && next > clock.now()) {
              await atPacer(pacer, next, wakeSeen, opts.signal);
              continue;
            }
            if (!advance(clock, Math.max(next, clock.now()))) return 'horizon';
            continue;
          }
          if (clock.parked >= busy) {
            // every running job waits on the clock: move to the first moment anything can happen
            const due = await queue.nextDueAt();
            const timer = clock.nextTimerAt();
            const now = clock.now();
            const candidates = [timer, !draining && due !== null && due > now ? due : null].filter((x): x is number => x !== null);
            if (candidates.length > 0) {
              const next = Math.min(...candidates);
              if (pacer && next > now) {
                await atPacer(pacer, next, wakeSeen, opts.signal);
                continue;
              }
              if (!advance(clock, next)) return 'horizon';
              continue;
            }
          }
          await wakeSeen;
          continue;
        }
        // real clock
        if (draining) {
          await wakeSeen;
          continue;
        }
        if (busy === 0 && !opts.forever) {
          const next = await queue.nextDueAt();
          if (next === null) break;
          await idleWait(next, opts.signal);
          continue;
        }
        const next = busy < concurrency ? await queue.nextDueAt() : null;
        await Promise.race([wakeSeen, idleWait(next, opts.signal)]);
      } catch (error) {
        // never stop on an error: back off on the wall clock (another process holds the lock, the
        // disk is full, the server is away) and try again; jobs in flight carry on meanwhile
        const fault = faultOf(error);
        failures++;
        troubleSince ??= performance.now();
        to('degraded', `${fault.owner}: ${fault.kind}: ${fault.message}`);
        if (!opts.forever && performance.now() - troubleSince > giveUpAfterMs) {
          await pq.onIdle();
          throw error;
        }
        await Promise.race([wakeSeen, wallWait(backoffDelay(failures, DATABASE_BACKOFF, random), opts.signal)]);
      }
    }
    to('stopped');
    return 'done';
  }

  return {
    get inFlight() {
      return running;
    },
    get status() {
      return status;
    },
    async runUntilIdle(opts = {}) {
      if ((await loop({ ...opts, forever: false })) === 'horizon') {
        to('stopped');
        return;
      }
      await pq.onIdle();
    },
    async runForever(signal) {
      await loop({ signal, forever: true });
      await pq.onIdle();
    },
    drain: () => pq.onIdle(),
  };
}
