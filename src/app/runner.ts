/**
 * The job runner. It claims due jobs from the queue under a lease, runs them with bounded
 * concurrency (p-queue; jobs due at the same moment start in the order they were enqueued), and
 * settles each one: completed by its handler, rescheduled with backoff after a transient error, or
 * dead-lettered when its attempts run out (its order then fails with `supplier_unavailable`).
 *
 * Time: with the real clock it sleeps until the next due job (polling for jobs other processes
 * enqueue). With the virtual clock it never sleeps: when no job can run and every running job is
 * parked on a clock wait, it jumps time to the next due job or timer.
 */
import { hostname } from 'node:os';
import PQueue from 'p-queue';
import { isRetryable, LeaseLostError, SupplierUnavailableError, WarehouseError } from '../domain/errors.js';
import type { Job } from '../domain/jobs.js';
import { planDeadLetter } from '../domain/plans.js';
import { backoffDelay, type Settings } from '../domain/settings.js';
import { isVirtual, type Clock, type VirtualClockControl } from '../ports/clock.js';
import type { JobLease, Store } from '../ports/store.js';
import type { Bus } from './bus.js';
import type { JobHandlers } from './handlers.js';
import { publishApplied } from './publish.js';

export interface RunnerDeps {
  store: Store;
  clock: Clock;
  bus: Bus;
  settings: Settings;
  handlers: JobHandlers;
  random: () => number;
  workerId?: string;
  /** real clock: how often to look for jobs enqueued by other processes */
  pollMs?: number;
}

export interface RunOptions {
  /** stop as soon as this returns true (checked whenever something happened) */
  until?: () => boolean;
  signal?: AbortSignal;
  /**
   * Virtual clock only: time may move up to this instant (epoch ms), not past it. When the runner
   * would move past it, time stops at the horizon and `runUntilIdle` returns at once, leaving jobs
   * that wait on later timers waiting; a later call carries on from there.
   */
  horizon?: number;
}

export interface Runner {
  readonly workerId: string;
  /** Run jobs until none is queued (or `until` holds). */
  runUntilIdle(opts?: RunOptions): Promise<void>;
  /** Run jobs until `signal` aborts, then let running jobs finish. */
  runForever(signal: AbortSignal): Promise<void>;
  /** jobs running or waiting for a slot in this runner */
  readonly inFlight: number;
  /** resolves when the jobs in flight have settled */
  drain(): Promise<void>;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createRunner(deps: RunnerDeps): Runner {
  const { store, clock, bus, settings, handlers, random } = deps;
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${Math.floor(random() * 1e9).toString(36)}`;
  const pollMs = deps.pollMs ?? 250;
  const pq = new PQueue({ concurrency: settings.concurrency });

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
  const inFlight = () => running;
  const elapsed = (start: number) => performance.now() - start;

  async function settleFailure(job: Job, lease: JobLease, error: unknown, started: number): Promise<void> {
    const message = describe(error);
    const now = clock.now();
    const retry = (error instanceof WarehouseError ? isRetryable(error) : true) && job.attempts < settings.jobAttempts;
    if (retry) {
      const retryAt = now + backoffDelay(job.attempts, settings, random);
      const kind = error instanceof SupplierUnavailableError ? error.kind : error instanceof WarehouseError ? error.code : 'error';
      const event = await store.reschedule({ ...lease, error: message }, retryAt, now, {
        jobType: job.type,
        attempt: job.attempts,
        error: message,
        kind,
        retryAt,
      });
      if (event) bus.emit('order:event', event);
      bus.emit('job:retry', { job, error: message, retryAt, durationMs: elapsed(started) });
      return;
    }
    const applied = await store.applyToOrder(
      job.orderId,
      now,
      (s) => planDeadLetter(s, { jobId: job.id, jobType: job.type, attempts: job.attempts, error: message }),
      { ...lease, mode: 'dead', error: message },
    );
    publishApplied(bus, applied, job);
    bus.emit('job:dead', { job, error: message, durationMs: elapsed(started) });
  }

  async function execute(job: Job): Promise<void> {
    const started = performance.now();
    const lease: JobLease = { jobId: job.id, workerId, mode: 'complete' };
    bus.emit('job:start', { job, at: clock.now() });
    try {
      const outcome = await handlers[job.type](job, lease);
      bus.emit('job:complete', { job, outcome, durationMs: elapsed(started) });
    } catch (error) {
      try {
        if (error instanceof LeaseLostError) throw error;
        await settleFailure(job, lease, error, started);
      } catch (inner) {
        // a lost lease means another runner owns the job now: our work is discarded, not an error
        if (inner instanceof LeaseLostError) bus.emit('job:lost', { job });
        else bus.emit('listener:error', { event: 'job:settle', error: inner });
      }
    } finally {
      running--;
      wake();
    }
  }

  async function fill(): Promise<number> {
    const free = settings.concurrency - inFlight();
    if (free <= 0) return 0;
    const jobs = await store.claim(clock.now(), free, workerId, settings.leaseMs);
    running += jobs.length;
    for (const job of jobs) void pq.add(() => execute(job));
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

  /** Virtual clock, idle and running forever: wait `pollMs` of wall time (or until aborted). */
  function wallPoll(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, pollMs);
      signal?.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  /** Returns 'horizon' when the run stopped at its horizon (jobs may still be waiting). */
  async function loop(opts: RunOptions & { forever: boolean }): Promise<'horizon' | 'done'> {
    // the virtual clock moves through here, so that it never passes the horizon
    const advance = (clock: VirtualClockControl, t: number): boolean => {
      if (opts.horizon !== undefined && t > opts.horizon) {
        clock.advanceTo(Math.max(opts.horizon, clock.now()));
        return false;
      }
      clock.advanceTo(t);
      return true;
    };
    // once `until` holds or the signal aborts, stop claiming and let the jobs in flight finish
    let draining = false;
    for (;;) {
      draining ||= Boolean(opts.signal?.aborted || opts.until?.());
      if (draining && inFlight() === 0) break;
      const wakeSeen = woken;
      if (!draining && (await fill()) > 0) continue;
      const busy = inFlight();
      if (isVirtual(clock)) {
        if (busy === 0) {
          const next = await store.nextDueAt();
          if (next === null) {
            if (!opts.forever) break;
            // nothing queued here: look again after a wall-clock poll (a wait on the virtual clock
            // would park, and a parked wait wakes the runner at once), or when work is enqueued
            await Promise.race([wakeSeen, wallPoll(opts.signal)]);
            continue;
          }
          if (!advance(clock, Math.max(next, clock.now()))) return 'horizon';
          continue;
        }
        if (clock.parked >= busy) {
          // every running job waits on the clock: move to the first moment anything can happen
          const due = await store.nextDueAt();
          const timer = clock.nextTimerAt();
          const now = clock.now();
          const candidates = [timer, !draining && due !== null && due > now ? due : null].filter((x): x is number => x !== null);
          if (candidates.length > 0) {
            if (!advance(clock, Math.min(...candidates))) return 'horizon';
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
        const next = await store.nextDueAt();
        if (next === null) break;
        await idleWait(next, opts.signal);
        continue;
      }
      const next = busy < settings.concurrency ? await store.nextDueAt() : null;
      await Promise.race([wakeSeen, idleWait(next, opts.signal)]);
    }
    return 'done';
  }

  return {
    workerId,
    get inFlight() {
      return inFlight();
    },
    async runUntilIdle(opts = {}) {
      if ((await loop({ ...opts, forever: false })) === 'horizon') return;
      await pq.onIdle();
    },
    async runForever(signal) {
      await loop({ signal, forever: true });
      await pq.onIdle();
    },
    drain: () => pq.onIdle(),
  };
}
