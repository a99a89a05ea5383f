/**
 * Job handlers: the two steps of DESIGN §2 that run on the queue. Each one commits through the
 * store with the job's lease, so its effects and the job's completion land in one transaction,
 * and calls the supplier only between transactions.
 */
import type { Job, JobType } from '../domain/jobs.js';
import { planReserveFromStock, planStatusAnswer, planSupplierReservation, skip } from '../domain/plans.js';
import type { Settings } from '../domain/settings.js';
import type { Clock } from '../ports/clock.js';
import type { JobLease, Store } from '../ports/store.js';
import type { Supplier } from '../ports/supplier.js';
import type { Bus } from './bus.js';
import { publishApplied } from './publish.js';

export type JobHandler = (job: Job, lease: JobLease) => Promise<string>;
export type JobHandlers = Record<JobType, JobHandler>;

export interface HandlerDeps {
  store: Store;
  supplier: Supplier;
  clock: Clock;
  bus: Bus;
  settings: Settings;
}

export const idempotencyKeyFor = (orderId: number) => `order-${orderId}`;

export function createHandlers({ store, supplier, clock, bus, settings }: HandlerDeps): JobHandlers {
  return {
    async ReserveInventory(job, lease) {
      const local = await store.applyToOrder(job.orderId, clock.now(), (s) => planReserveFromStock(s, job.attempts), lease);
      publishApplied(bus, local, job);
      if (local.plan.outcome !== 'needs-supplier') return local.plan.outcome;

      const { sku, qty } = local.order;
      const answer = await supplier.reserve({ sku, qty, idempotencyKey: idempotencyKeyFor(job.orderId) });
      const now = clock.now();
      const applied = await store.applyToOrder(job.orderId, now, (s) => planSupplierReservation(s, answer, now, settings), lease);
      publishApplied(bus, applied, job);
      return applied.plan.outcome;
    },

    async CheckSupplierStatus(job, lease) {
      const check = (job.payload as { check?: number }).check ?? 1;
      const order = await store.getOrder(job.orderId);
      if (!order || order.status !== 'awaiting_restock' || order.supplierChecks !== check - 1 || !order.supplierRef) {
        const done = await store.applyToOrder(job.orderId, clock.now(), () => skip(order?.status ?? 'missing'), lease);
        return done.plan.outcome;
      }
      const status = await supplier.status(order.supplierRef);
      const now = clock.now();
      const applied = await store.applyToOrder(job.orderId, now, (s) => planStatusAnswer(s, status, check, now, settings), lease);
      publishApplied(bus, applied, job);
      return applied.plan.outcome;
    },
  };
}
