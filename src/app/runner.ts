/**
 * The job runner of one process: the executor (app/executor.ts: run one job, decide what a failure
 * means) fed by a driver — the in-database queue's (app/driver.ts: claim, lease, wait, virtual
 * time) unless another is given (`driver`: e.g. BullMQ's, src/adapters/bullmq, which delivers
 * jobs from Redis to the same executor).
 */
import { hostname } from 'node:os';
import type { Settings } from '../domain/settings.js';
import type { Clock } from '../ports/clock.js';
import type { JobQueue } from '../ports/queue.js';
import type { Store } from '../ports/store.js';
import type { Tracing } from '../ports/tracing.js';
import type { Bus } from './bus.js';
import { createDriver, type Driver, type RunOptions } from './driver.js';
import { createExecutor, type Executor } from './executor.js';
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
  /** builds the driver that feeds the executor; default: the in-database queue's */
  driver?: DriverFactory;
}

/** builds a driver (ports/driver.ts) that feeds this runner's executor */
export type DriverFactory = (parts: { executor: Executor; workerId: string }) => Driver;

export interface Runner extends Driver {
  readonly workerId: string;
}

export function createRunner(deps: RunnerDeps): Runner {
  const { store, queue, clock, bus, settings, handlers, random } = deps;
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${Math.floor(random() * 1e9).toString(36)}`;
  const executor = createExecutor({ store, clock, bus, settings, handlers, random, tracing: deps.tracing });
  const driver = deps.driver
    ? deps.driver({ executor, workerId })
    : createDriver({ queue, executor, clock, bus, random, workerId, concurrency: settings.concurrency, leaseMs: settings.leaseMs, pollMs: deps.pollMs });
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
