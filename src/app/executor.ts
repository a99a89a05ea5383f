/**
 * The executor runs one claimed job, whatever queue delivered it: its handler, then — when the run
 * failed — the decision of domain/retry.ts carried out in one transaction with a note on the
 * order's timeline (retry after backoff, defer for the database, dead-letter, park). It never
 * throws: a failure to settle (the database still unwell) leaves the job to its lease, after
 * which it is claimed again.
 */
import { faultOf, type Fault } from '../domain/errors.js';
import type { EventType } from '../domain/events.js';
import { note, planDeadLetter, type Plan } from '../domain/plans.js';
import { crashLoopReason, decideFailure } from '../domain/retry.js';
import type { Settings } from '../domain/settings.js';
import type { Clock } from '../ports/clock.js';
import type { JobExecutor } from '../ports/driver.js';
import type { ClaimedJob, JobSettlement } from '../ports/queue.js';
import type { Store } from '../ports/store.js';
import { NO_TRACING, type Tracing } from '../ports/tracing.js';
import type { Bus } from './bus.js';
import { handle, type JobHandlers, linesOf } from './handlers.js';
import { planLineStep, planParent } from '../domain/lines.js';
import { publishApplied } from './publish.js';

export interface ExecutorDeps {
  store: Store;
  clock: Clock;
  bus: Bus;
  settings: Settings;
  handlers: JobHandlers;
  random: () => number;
  /** each run in a consumer span continuing the trace its job's headers carry (app/tracing.ts) */
  tracing?: Tracing;
}

/** Runs `job` to its end (completed, retried, deferred, dead-lettered, parked or lost): ports/driver.ts's JobExecutor. */
export type Executor = JobExecutor;

export function createExecutor({ store, clock, bus, settings, handlers, random, tracing = NO_TRACING }: ExecutorDeps): Executor {
  const elapsed = (start: number) => performance.now() - start;

  /** One commit: the note on the order's timeline and the job's settlement. */
  async function settleWith(job: ClaimedJob, planner: Plan | ((s: Parameters<typeof planDeadLetter>[0]) => Plan), settle: JobSettlement): Promise<void> {
    const { lines, line } = linesOf(job);
    const now = clock.now();
    const applied =
      line !== undefined
        ? // a line's job: the note (or the dead letter) on the line, the order settled with it (a failed line fails the order)
          await store.applyToLines(
            job.orderId,
            now,
            (s) => planLineStep(s, line, typeof planner === 'function' ? planner : () => planner, { now, ttlMs: null }),
            {
              lease: job.lease,
              settle,
            },
          )
        : lines !== undefined
          ? // the order's own job: a dead letter fails the order and undoes its lines
            await store.applyToLines(
              job.orderId,
              now,
              (s) => planParent(s, typeof planner === 'function' ? planner({ order: s.order, onHand: 0, supplierAsked: null }) : planner, now),
              { lease: job.lease, settle },
            )
          : await store.applyToOrder(job.orderId, now, typeof planner === 'function' ? planner : () => planner, { lease: job.lease, settle });
    publishApplied(bus, applied, job);
  }

  async function fail(job: ClaimedJob, fault: Fault, started: number): Promise<void> {
    const now = clock.now();
    const decision = decideFailure(fault, { attempt: job.attempt, runs: job.runs }, settings, random);
    const base = { jobId: job.id, jobType: job.type, attempt: job.attempt, error: fault.message, kind: fault.kind };
    switch (decision.kind) {
      case 'discard':
        bus.emit('job:lost', { job });
        return;
      case 'retry': {
        const retryAt = now + decision.delayMs;
        // the supplier's trouble is SupplierCallFailed (an attempt spent); anyone else's is JobDeferred
        // (a failed cancel call is the compensation's own: SupplierReservationCancelFailed)
        const type: EventType = !decision.counted
          ? 'JobDeferred'
          : job.type === 'CancelSupplierReservation'
            ? 'SupplierReservationCancelFailed'
            : 'SupplierCallFailed';
        await settleWith(job, note(type, { ...base, owner: fault.owner, retryAt }), {
          kind: 'retry',
          runAt: retryAt,
          error: fault.message,
          counted: decision.counted,
        });
        bus.emit('job:retry', { job, error: fault.message, owner: fault.owner, counted: decision.counted, retryAt, durationMs: elapsed(started) });
        return;
      }
      case 'dead':
        await settleWith(job, (s) => planDeadLetter(s, { jobId: job.id, jobType: job.type, attempts: job.attempt, error: fault.message }, decision.reason), {
          kind: 'dead',
          error: fault.message,
        });
        bus.emit('job:dead', { job, error: fault.message, durationMs: elapsed(started) });
        return;
      case 'park':
        await park(job, decision.reason);
        return;
    }
  }

  async function park(job: ClaimedJob, reason: string): Promise<void> {
    await settleWith(job, note('JobParked', { jobId: job.id, jobType: job.type, reason }), { kind: 'park', reason });
    bus.emit('job:parked', { job, reason });
  }

  /** messaging conventions: one `process <JobType>` span per run (docs/observability.md) */
  const runAttributes = (job: ClaimedJob) => ({
    'messaging.system': 'warehouse',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': job.type,
    'messaging.message.id': job.id,
    'warehouse.order.id': job.orderId,
    'warehouse.job.attempt': job.attempt,
    'warehouse.job.run': job.runs,
  });

  const executor: Executor = {
    async execute(job) {
      const started = performance.now();
      try {
        const looping = crashLoopReason(job.runs);
        if (looping) {
          await park(job, looping);
          return;
        }
        bus.emit('job:start', { job, at: clock.now() });
        try {
          const outcome = await handle(handlers, job);
          bus.emit('job:complete', { job, outcome, durationMs: elapsed(started) });
        } catch (error) {
          await fail(job, faultOf(error), started);
        }
      } catch (error) {
        // the settlement itself failed: a lost lease is another runner's job now; the database's
        // trouble leaves the job to its lease (it is claimed again); anything else is reported
        const fault = faultOf(error);
        if (fault.owner === 'concurrency') bus.emit('job:lost', { job });
        else bus.emit('job:unsettled', { job, error: fault.message, owner: fault.owner });
      }
    },
  };
  return tracing.enabled
    ? { execute: (job) => tracing.consume(`process ${job.type}`, job.headers, runAttributes(job), () => executor.execute(job)) }
    : executor;
}
