/**
 * The runner's driver port: what feeds claimed jobs to the executor (app/executor.ts, which runs
 * one job whatever queue delivered it). The in-database queue's driver is app/driver.ts; a driver
 * for an external queue (BullMQ on Redis: src/adapters/bullmq) implements the same interface and is
 * handed to the runner by src/wiring/, with the executor and the few engine events it needs.
 *
 * Both drivers share one state machine, written down here once (DRIVER_TRANSITIONS, moved through
 * the guarded `to()` of createDriverStateMachine), and one reaction to the database's recovery
 * (`recovered`):
 *
 *   from \ to   running  idle  degraded  draining  stopped
 *   stopped        ✓       ✓
 *   running                ✓      ✓         ✓        ✓
 *   idle           ✓              ✓         ✓        ✓
 *   degraded       ✓       ✓                ✓        ✓
 *   draining                      ✓                  ✓
 *
 * - stopped: not running. `run…` starts it: `running` (the in-database driver, which looks for
 *   jobs at once) or `idle` (the BullMQ driver, which waits for deliveries).
 * - running: jobs claimed or in flight.
 * - idle: nothing due; waiting for the next due job, a wake-up or a poll (app/idle.ts: how each
 *   clock waits).
 * - degraded: its queue or the database cannot be reached (`reason` says which, with the fault's
 *   owner); backing off on the wall clock. Leaving it after the database's trouble resumes the
 *   jobs parked for it (`recovered`).
 * - draining: asked to stop; no new claims, waiting for the jobs in flight.
 */
import type { TimelineEvent } from '../domain/events.js';
import type { Job } from '../domain/jobs.js';
import type { ClaimedJob, JobQueue } from './queue.js';

export const DriverState = {
  stopped: 'stopped',
  running: 'running',
  idle: 'idle',
  degraded: 'degraded',
  draining: 'draining',
} as const;
export type DriverState = (typeof DriverState)[keyof typeof DriverState];

/** Where each state may go (a move to the same state with another reason is always allowed). */
export const DRIVER_TRANSITIONS: Readonly<Record<DriverState, readonly DriverState[]>> = {
  stopped: ['running', 'idle'],
  running: ['idle', 'degraded', 'draining', 'stopped'],
  idle: ['running', 'degraded', 'draining', 'stopped'],
  degraded: ['running', 'idle', 'draining', 'stopped'],
  draining: ['degraded', 'stopped'],
};

export interface DriverStatus {
  state: DriverState;
  /** why it is degraded */
  reason: string | null;
  /** when it entered this state (clock time) */
  since: number;
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

export interface Driver {
  /** Run jobs until none is queued (or `until` holds). */
  runUntilIdle(opts?: RunOptions): Promise<void>;
  /** Run jobs until `signal` aborts, then let running jobs finish. Never stops on an error. */
  runForever(signal: AbortSignal): Promise<void>;
  readonly inFlight: number;
  readonly status: DriverStatus;
  /** resolves when the jobs in flight have settled */
  drain(): Promise<void>;
}

export interface DriverStateMachine {
  readonly status: DriverStatus;
  /**
   * Move to `state` (with `reason`, when degraded). Nothing happens when both are unchanged; a
   * move DRIVER_TRANSITIONS does not list throws (a bug in the driver).
   */
  to(state: DriverState, reason?: string | null): void;
}

/** The driver's state, guarded by DRIVER_TRANSITIONS; `changed` hears every move. */
export function createDriverStateMachine(now: () => number, changed: (status: DriverStatus) => void): DriverStateMachine {
  let status: DriverStatus = { state: 'stopped', reason: null, since: now() };
  return {
    get status() {
      return status;
    },
    to(state, reason = null) {
      if (state === status.state && reason === status.reason) return;
      if (state !== status.state && !DRIVER_TRANSITIONS[status.state].includes(state)) {
        throw new Error(`runner cannot go from ${status.state} to ${state}`);
      }
      status = { state, reason, since: now() };
      changed(status);
    },
  };
}

/** Jobs put back on the queue, each with its JobResumed event. */
export type Resumed = ReadonlyArray<{ job: Job; event: TimelineEvent }>;

/**
 * After the database's trouble: put back the jobs parked for it (best effort, never fatal: a
 * failure goes to `failed`, and the next recovery tries again).
 */
export function recovered(queue: Pick<JobQueue, 'resumeParked'>, at: number, resumed: (resumed: Resumed) => void, failed: (error: unknown) => void): void {
  queue.resumeParked(at, { reasonPrefix: 'database' }).then(resumed).catch(failed);
}

/** Runs one claimed job to its end, settling it in the order's transaction; never throws. */
export interface JobExecutor {
  execute(job: ClaimedJob): Promise<void>;
}

/** The engine's events a driver of an external queue hears and tells (src/wiring/driver-events.ts maps them onto the bus). */
export interface DriverEvents {
  /** `listener` runs when jobs were enqueued, retried or resumed in this process (a relay should look) */
  onJobsToRelay(listener: () => void): () => void;
  /** `listener` runs with the lease token of a run whose end could not be committed */
  onUnsettled(listener: (leaseToken: string) => void): () => void;
  stateChanged(state: DriverState, reason: string | null, at: number): void;
  /** jobs the driver put back on the queue (parked for the database's trouble), with their JobResumed events */
  resumed(resumed: Resumed): void;
  /** a failure nobody awaits: reported, never thrown */
  failed(what: string, error: unknown): void;
}
