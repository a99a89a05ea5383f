/**
 * The BullMQ driver: a BullMQ Worker that hands each delivery to the same executor as the
 * in-database driver (app/executor.ts), after taking the job's lease in the database.
 *
 * A delivery (`<outbox id>.<generation>`) is only a hint that a job may be due; the database says
 * what it is (JobQueue.claimDelivery):
 * - `claimed`: the lease is ours; the executor runs the job and settles it in the order's
 *   transaction (retry, dead letter, park: all in the database, as always). The BullMQ job then
 *   completes, whatever the executor decided: a retry is a new generation the relay hands over.
 *   Only a run whose end could not be committed (the database away) keeps its delivery: it is
 *   delivered again when its lease ends, to be taken over then.
 * - `later`: not due yet, or another runner's lease runs until then: the BullMQ job is moved to
 *   BullMQ's delayed set until that moment (a duplicate of a job that is being run finds it done then).
 * - `gone`: done, dead, parked, or a newer generation carries it: the BullMQ job completes.
 * - the database cannot answer: delayed by a backoff, as the in-database driver backs off.
 *
 * BullMQ's own retries are never used (attempts: 1). A worker killed mid-job leaves its BullMQ job
 * active with a lock that is no longer renewed: BullMQ's stalled check (every lease length) moves it
 * back to wait, and the next delivery takes the expired lease over. SIGTERM (runForever's signal)
 * closes the worker, which stops fetching and waits for the jobs it runs.
 *
 * Its states are the driver port's (ports/driver.ts DRIVER_TRANSITIONS, through the same guarded
 * `to()`): stopped → idle ⇄ running, draining once asked to stop, then stopped; it reports itself
 * degraded while Redis or the database is away (the relay's trouble included). Leaving the
 * database's trouble resumes the jobs parked for it (ports/driver.ts `recovered`), as the
 * in-database driver does.
 */
import { DelayedError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { faultOf } from '../../domain/errors.js';
import { DATABASE_BACKOFF } from '../../domain/retry.js';
import { backoffDelay } from '../../domain/settings.js';
import { wallSleep } from '../../kit/wake.js';
import type { Clock } from '../../ports/clock.js';
import {
  createDriverStateMachine,
  recovered,
  type Driver,
  type DriverEvents,
  type DriverStatus,
  type JobExecutor,
  type RunOptions,
} from '../../ports/driver.js';
import type { Delivery, JobQueue } from '../../ports/queue.js';
import { redisTrouble } from './redis.js';
import type { DeliveryData, Relay } from './relay.js';

export interface BullDriverDeps {
  queueName: string;
  prefix: string;
  /** the worker's connection (BullMQ duplicates it for its blocking reads) */
  connection: Redis;
  jobs: JobQueue;
  executor: JobExecutor;
  relay: Relay;
  clock: Clock;
  events: DriverEvents;
  random: () => number;
  workerId: string;
  concurrency: number;
  leaseMs: number;
  redeliverAfterMs: number;
  /** runUntilIdle: how often to look whether the database still holds jobs */
  pollMs?: number;
}

export interface DeliveryStats {
  claimed: number;
  later: number;
  gone: number;
}

export function createBullDriver(deps: BullDriverDeps): Driver & { readonly deliveries: DeliveryStats; setRedisTrouble(reason: string | null): void } {
  const { jobs, executor, relay, clock, events, random, workerId, leaseMs, redeliverAfterMs } = deps;
  const pollMs = deps.pollMs ?? 250;
  const deliveries: DeliveryStats = { claimed: 0, later: 0, gone: 0 };
  const machine = createDriverStateMachine(
    () => clock.now(),
    ({ state, reason, since }) => events.stateChanged(state, reason, since),
  );
  const to = machine.to;
  let redisReason: string | null = null;
  let databaseReason: string | null = null;
  let databaseFailures = 0;
  let running = 0;
  const inFlight = new Set<Promise<void>>();
  /** lease tokens of runs whose end could not be committed (the executor's job:unsettled) */
  const unsettled = new Set<string>();
  events.onUnsettled((token) => unsettled.add(token));
  let worker: Worker | null = null;

  const settleState = () => {
    const { state } = machine.status;
    if (state === 'running' || state === 'idle') to(running > 0 ? 'running' : 'idle');
  };

  async function deliver(job: BullJob<DeliveryData>, token?: string): Promise<string> {
    const { jobId, generation } = job.data;
    redisReason = null; // a delivery came: Redis answers
    let delivery: Delivery;
    try {
      delivery = await jobs.claimDelivery(jobId, generation, clock.now(), workerId, leaseMs, redeliverAfterMs);
      if (databaseReason !== null) {
        recovered(jobs, clock.now(), events.resumed, (error) => events.failed('runner:recovered', error));
      }
      databaseFailures = 0;
      databaseReason = null;
    } catch (error) {
      const fault = faultOf(error);
      databaseFailures++;
      databaseReason = `${fault.owner}: ${fault.kind}: ${fault.message}`;
      await job.moveToDelayed(Date.now() + backoffDelay(databaseFailures, DATABASE_BACKOFF, random), token);
      throw new DelayedError();
    }
    switch (delivery.kind) {
      case 'claimed': {
        deliveries.claimed++;
        running++;
        settleState();
        const leaseEnd = Date.now() + leaseMs;
        const run = executor.execute(delivery.job);
        inFlight.add(run);
        try {
          await run;
        } finally {
          inFlight.delete(run);
          running--;
          settleState();
        }
        // its end could not be committed (the database's trouble): the job is still ours until the
        // lease ends; deliver it again then, for whoever takes the lease over
        if (unsettled.delete(delivery.job.lease.token)) {
          await job.moveToDelayed(leaseEnd, token);
          throw new DelayedError();
        }
        return 'ran';
      }
      case 'later':
        deliveries.later++;
        // BullMQ's delays run on the wall clock (virtual time is refused with a queue)
        await job.moveToDelayed(Math.max(delivery.at, Date.now() + 1), token);
        throw new DelayedError();
      case 'gone':
        deliveries.gone++;
        return delivery.reason;
    }
  }

  function start(): Worker {
    worker = new Worker<DeliveryData>(deps.queueName, deliver, {
      connection: deps.connection,
      prefix: deps.prefix,
      name: workerId,
      autorun: false,
      concurrency: deps.concurrency,
      lockDuration: leaseMs,
      stalledInterval: leaseMs,
      // a job whose worker keeps dying is parked by the executor (domain/retry.ts), not failed by BullMQ
      maxStalledCount: 1_000,
      // after a failed fetch (Redis away) BullMQ waits this long before fetching again (default 15 s)
      runRetryDelay: 1_000,
    });
    worker.on('error', (error) => (redisReason = redisTrouble(error)));
    return worker;
  }

  async function stop(w: Worker): Promise<void> {
    to('draining');
    await w.close(); // stops fetching; waits for the jobs being run
    await Promise.all(inFlight);
    to('stopped');
    worker = null;
  }

  return {
    get inFlight() {
      return running;
    },
    get status(): DriverStatus {
      const { state, since } = machine.status;
      const trouble = redisReason ?? databaseReason ?? (relay.health.ok ? null : relay.health.reason);
      if (trouble !== null && state !== 'draining') return { state: 'degraded', reason: trouble, since: relay.health.ok ? since : relay.health.since };
      return { state, reason: null, since };
    },
    deliveries,
    /** the worker's connection reports Redis gone (an error) and back (ready) */
    setRedisTrouble(reason) {
      redisReason = reason;
    },
    async runForever(signal) {
      const w = start();
      to('idle');
      const done = w.run();
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      await stop(w);
      await done.catch(() => {});
    },
    async runUntilIdle(opts: RunOptions = {}) {
      const w = start();
      to('idle');
      const done = w.run();
      // the database says when nothing is left: no job queued, running or due later
      for (;;) {
        if (opts.signal?.aborted || opts.until?.()) break;
        relay.wake();
        const counts = await jobs.count().catch(() => null);
        if (counts && counts.queued + counts.running === 0 && running === 0) break;
        await wallSleep(pollMs);
      }
      await stop(w);
      await done.catch(() => {});
    },
    drain: async () => {
      await Promise.all(inFlight);
    },
  };
}
