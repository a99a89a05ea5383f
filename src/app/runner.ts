/**
 * The job runner of one process: the executor (app/executor.ts: run one job, decide what a failure
 * means) fed by the in-database queue's driver (app/driver.ts: claim, lease, wait, virtual time).
 */
import { hostname } from 'node:os';
import type { Settings } from '../domain/settings.js';
import type { Clock } from '../ports/clock.js';
import type { JobQueue } from '../ports/queue.js';
import type { Store } from '../ports/store.js';
import type { Tracing } from '../ports/tracing.js';
import type { Bus } from './bus.js';
import { createDriver, type Driver, type RunOptions } from './driver.js';
import { createExecutor } from './executor.js';
import type { JobHandlers } from './handlers.js';

export type { RunOptions } from './driver.js';

export interface RunnerDeps {
  store: Store;
  queue: JobQueue;
  clock: Clock;
  bus: Bus;
  settings: Settings;
  handlers: JobHandlers;
  random: () => number;
  workerId?: string;
  /** real clock: how often to look for jobs enqueued by other processes */
  pollMs?: number;
  /** a span per job run (app/executor.ts) */
  tracing?: Tracing;
}

export interface Runner extends Driver {
  readonly workerId: string;
}

export function createRunner(deps: RunnerDeps): Runner {
  const { store, queue, clock, bus, settings, handlers, random } = deps;
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${Math.floor(random() * 1e9).toString(36)}`;
  const executor = createExecutor({ store, clock, bus, settings, handlers, random, tracing: deps.tracing });
  const driver = createDriver({ queue, executor, clock, bus, random, workerId, concurrency: settings.concurrency, leaseMs: settings.leaseMs, pollMs: deps.pollMs });
  return {
    workerId,
    get inFlight() {
      return driver.inFlight;
    },
    get status() {
      return driver.status;
    },
    runUntilIdle: (opts?: RunOptions) => driver.runUntilIdle(opts),
    runForever: (signal) => driver.runForever(signal),
    drain: () => driver.drain(),
  };
}
