/**
 * The runner's driver port: what feeds claimed jobs to the executor (app/executor.ts, which runs
 * one job whatever queue delivered it). The in-database queue's driver is app/driver.ts; a driver
 * for an external queue (BullMQ on Redis: src/adapters/bullmq) implements the same interface and is
 * handed to the runner by wiring.ts, with the executor and the few engine events it needs.
 *
 * States (the transitions are written down with the in-database driver, app/driver.ts):
 * stopped, running (jobs in flight), idle (nothing to run), degraded (its queue or the database
 * cannot be reached; `reason` says which), draining (asked to stop; waiting for the jobs in flight).
 */
import type { TimelineEvent } from '../domain/events.js';
import type { Job } from '../domain/jobs.js';
import type { ClaimedJob } from './queue.js';

export const DriverState = {
  stopped: 'stopped',
  running: 'running',
  idle: 'idle',
  degraded: 'degraded',
  draining: 'draining',
} as const;
export type DriverState = (typeof DriverState)[keyof typeof DriverState];

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

/** Runs one claimed job to its end, settling it in the order's transaction; never throws. */
export interface JobExecutor {
  execute(job: ClaimedJob): Promise<void>;
}

/** The engine's events a driver of an external queue hears and tells (wiring.ts maps them onto the bus). */
export interface DriverEvents {
  /** `listener` runs when jobs were enqueued, retried or resumed in this process (a relay should look) */
  onJobsToRelay(listener: () => void): () => void;
  /** `listener` runs with the lease token of a run whose end could not be committed */
  onUnsettled(listener: (leaseToken: string) => void): () => void;
  stateChanged(state: DriverState, reason: string | null, at: number): void;
  /** jobs the driver put back on the queue (parked for the database's trouble), with their JobResumed events */
  resumed(resumed: ReadonlyArray<{ job: Job; event: TimelineEvent }>): void;
  /** a failure nobody awaits: reported, never thrown */
  failed(what: string, error: unknown): void;
}
