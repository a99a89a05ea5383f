/**
 * Job handlers: the steps of the flow (docs/design.md §4) that run on the queue. Each one commits through the
 * store with the job's lease, so its effects and the job's end land in one transaction, and calls
 * the supplier only between transactions.
 */
import type { JobType, TtlPayload } from '../domain/jobs.js';
import { type LineSnapshot, planLineStep, planLinesExpire, planLinesStock } from '../domain/lines.js';
import type { Order } from '../domain/order.js';
import { planCancelAnswer, planExpire } from '../domain/lifecycle.js';
import { NEEDS_SUPPLIER, type Plan, planReserveFromStock, planStatusAnswer, planSupplierReservation, type Snapshot, skip } from '../domain/plans.js';
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

/** A multi-line order's job (docs/design.md §2.6): `lines` for the order's own, `line` for one line's. */
export function linesOf(job: { payload: unknown }): { lines?: number; line?: number } {
  const p = job.payload as { lines?: unknown; line?: unknown } | null;
  return { ...(typeof p?.lines === 'number' ? { lines: p.lines } : {}), ...(typeof p?.line === 'number' ? { line: p.line } : {}) };
}

export function createHandlers({ store, supplier, clock, bus, settings, databaseId }: HandlerDeps): JobHandlers {
  /** the order's own reservation TTL (carried by its jobs), else the runner's */
  const ttlOf = (payload: { reservationTtlMs?: number }) => payload.reservationTtlMs ?? settings.reservationTtlMs;
  const ctxOf = (payload: { reservationTtlMs?: number }) => ({ now: clock.now(), ttlMs: ttlOf(payload) });

  /** One line's step: its one-line planner, under the order's locks, the order settled with it. */
  async function lineStep(job: ClaimedJob, line: number, step: (l: LineSnapshot) => Plan, settle: JobStep = complete(job)): Promise<string> {
    const applied = await store.applyToLines(job.orderId, clock.now(), (s) => planLineStep(s, line, step, ctxOf(job.payload as TtlPayload)), settle);
    publishApplied(bus, applied, job);
    return applied.plan.outcome;
  }

  /** a line's row as it is now (outside a transaction: the step re-reads it under the lock) */
  async function lineRow(orderId: number, line: number): Promise<Order | null> {
    return (await store.getLines(orderId)).find((l) => l.lineNo === line) ?? null;
  }

  async function skipJob(job: ClaimedJob, why: string): Promise<string> {
    const done = await store.applyToOrder(job.orderId, clock.now(), () => skip(why), complete(job));
    return done.plan.outcome;
  }

  return {
    async ReserveInventory(job) {
      const { lines, line } = linesOf(job);
      if (lines !== undefined) {
        // the whole order's stock step: every line's SKU locked in one global order (domain/lines.ts)
        const applied = await store.applyToLines(job.orderId, clock.now(), (s) => planLinesStock(s, job.attempt, ctxOf(job.payload)), complete(job));
        publishApplied(bus, applied, job);
        return applied.plan.outcome;
      }
      if (line !== undefined) {
        // one line short of stock: the one-line conversation with the supplier, keyed by the line's own id
        const dbId = await databaseId();
        let key = '';
        let target: Order | null = null;
        const outcome = await lineStep(
          job,
          line,
          (l) => {
            key = keyInUse(l.order.id, l.supplierAsked) ?? idempotencyKeyFor(l.order.id, dbId);
            target = l.order;
            return planReserveFromStock(l, job.attempt, key);
          },
          { lease: job.lease, settle: (plan) => (plan.outcome === NEEDS_SUPPLIER ? { kind: 'keep' } : { kind: 'complete' }) },
        );
        if (outcome !== NEEDS_SUPPLIER || target === null) return outcome;
        const { sku, qty } = target as Order;
        const answer = await supplier.reserve({ sku, qty, idempotencyKey: key });
        const now = clock.now();
        return lineStep(job, line, (l) => planSupplierReservation(l, answer, now, settings, null));
      }
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
      const { line } = linesOf(job);
      if (line !== undefined) {
        const row = await lineRow(job.orderId, line);
        if (!row || row.status !== 'awaiting_restock' || row.supplierChecks !== check - 1 || !row.supplierRef) return skipJob(job, row?.status ?? 'missing');
        const status = await supplier.status(row.supplierRef);
        const now = clock.now();
        return lineStep(job, line, (l) => planStatusAnswer(l, status, check, now, settings, null));
      }
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
      if (linesOf(job).lines !== undefined) {
        const expired = await store.applyToLines(job.orderId, clock.now(), planLinesExpire, complete(job));
        publishApplied(bus, expired, job);
        return expired.plan.outcome;
      }
      const applied = await store.applyToOrder(job.orderId, clock.now(), planExpire, complete(job));
      publishApplied(bus, applied, job);
      return applied.plan.outcome;
    },

    async CancelSupplierReservation(job) {
      const { line } = linesOf(job);
      if (line !== undefined) {
        const row = await lineRow(job.orderId, line);
        if (!row || row.status !== 'cancelling' || !row.supplierRef) return skipJob(job, row?.status ?? 'missing');
        const answer = await supplier.cancel({ ref: row.supplierRef, idempotencyKey: cancelKeyFor(row.id, await databaseId()) });
        return lineStep(job, line, (l) => planCancelAnswer(l, answer));
      }
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
