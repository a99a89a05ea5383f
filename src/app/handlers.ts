/**
 * Job handlers: the steps of the flow (docs/design.md §4) that run on the queue. Each one commits through the
 * store with the job's lease, so its effects and the job's end land in one transaction, and calls
 * the supplier only between transactions.
 */
import type { JobType } from '../domain/jobs.js';
import { planCancelAnswer, planExpire } from '../domain/lifecycle.js';
import { NEEDS_SUPPLIER, planReserveFromStock, planStatusAnswer, planSupplierReservation, type Snapshot, skip } from '../domain/plans.js';
import type { Settings } from '../domain/settings.js';
import type { Clock } from '../ports/clock.js';
import type { ClaimedJob, JobStep } from '../ports/queue.js';
import type { Store } from '../ports/store.js';
import type { Supplier } from '../ports/supplier.js';
import type { Bus } from './bus.js';
import { cancelKeyFor, idempotencyKeyFor, keyInUse } from './keys.js';
import { publishApplied } from './publish.js';

/** Runs one job to its end; returns the outcome of its last plan. Throws on failure (see executor.ts). */
export type JobHandler<T extends JobType = JobType> = (job: ClaimedJob<T>) => Promise<string>;
/** One handler per job type, each receiving its own type's payload (domain/jobs.ts JobPayloads). */
export type JobHandlers = { [T in JobType]: JobHandler<T> };

/** Hands `job` to the handler of its type (the one place a job meets the mapped type). */
export function handle<T extends JobType>(handlers: JobHandlers, job: ClaimedJob<T>): Promise<string> {
  return (handlers[job.type] as JobHandler<T>)(job);
}

export interface HandlerDeps {
  store: Store;
  supplier: Supplier;
  clock: Clock;
  bus: Bus;
  settings: Settings;
  /** the database's identity (JobQueue.instanceId): part of every new supplier key (app/keys.ts) */
  databaseId: () => Promise<string>;
}

const complete = (job: ClaimedJob): JobStep => ({ lease: job.lease, settle: { kind: 'complete' } });

export function createHandlers({ store, supplier, clock, bus, settings, databaseId }: HandlerDeps): JobHandlers {
  /** the order's own reservation TTL (carried by its jobs), else the runner's */
  const ttlOf = (payload: { reservationTtlMs?: number }) => payload.reservationTtlMs ?? settings.reservationTtlMs;
  return {
    async ReserveInventory(job) {
      // a run after another (a retry, or a run cut short) may find the supplier already asked (read
      // under the row lock): it asks again with the key the conversation began with
      const fresh = idempotencyKeyFor(job.orderId, await databaseId());
      let key = fresh;
      const reserve = (s: Snapshot) => {
        key = keyInUse(job.orderId, s.supplierAsked) ?? fresh;
        return planReserveFromStock(s, job.attempt, key, { now: clock.now(), ttlMs: ttlOf(job.payload) });
      };
      // stock on hand (or nothing to do) finishes the job; a shortage keeps it running for the supplier call
      const local = await store.applyToOrder(job.orderId, clock.now(), reserve, {
        lease: job.lease,
        settle: (plan) => (plan.outcome === NEEDS_SUPPLIER ? { kind: 'keep' } : { kind: 'complete' }),
      });
      publishApplied(bus, local, job);
      if (local.plan.outcome !== NEEDS_SUPPLIER) return local.plan.outcome;

      const { sku, qty } = local.order;
      const answer = await supplier.reserve({ sku, qty, idempotencyKey: key });
      const now = clock.now();
      const applied = await store.applyToOrder(job.orderId, now, (s) => planSupplierReservation(s, answer, now, settings, ttlOf(job.payload)), complete(job));
      publishApplied(bus, applied, job);
      return applied.plan.outcome;
    },

    async CheckSupplierStatus(job) {
      const check = job.payload.check ?? 1;
      const order = await store.getOrder(job.orderId);
      if (!order || order.status !== 'awaiting_restock' || order.supplierChecks !== check - 1 || !order.supplierRef) {
        const done = await store.applyToOrder(job.orderId, clock.now(), () => skip(order?.status ?? 'missing'), complete(job));
        return done.plan.outcome;
      }
      const status = await supplier.status(order.supplierRef);
      const now = clock.now();
      const applied = await store.applyToOrder(job.orderId, now, (s) => planStatusAnswer(s, status, check, now, settings, ttlOf(job.payload)), complete(job));
      publishApplied(bus, applied, job);
      return applied.plan.outcome;
    },

    async ExpireReservation(job) {
      const applied = await store.applyToOrder(job.orderId, clock.now(), planExpire, complete(job));
      publishApplied(bus, applied, job);
      return applied.plan.outcome;
    },

    async CancelSupplierReservation(job) {
      const order = await store.getOrder(job.orderId);
      if (!order || order.status !== 'cancelling' || !order.supplierRef) {
        const done = await store.applyToOrder(job.orderId, clock.now(), () => skip(order?.status ?? 'missing'), complete(job));
        return done.plan.outcome;
      }
      const answer = await supplier.cancel({ ref: order.supplierRef, idempotencyKey: cancelKeyFor(job.orderId, await databaseId()) });
      const applied = await store.applyToOrder(job.orderId, clock.now(), (s) => planCancelAnswer(s, answer), complete(job));
      publishApplied(bus, applied, job);
      return applied.plan.outcome;
    },
  };
}
