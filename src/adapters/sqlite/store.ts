/**
 * The SQLite adapter of the Store port (orders, inventory, movements, timeline) and of the
 * JobQueue port (the jobs table is the outbox and the queue at once). Each method is one
 * synchronous `BEGIN IMMEDIATE` transaction on better-sqlite3, wrapped in an async function:
 * nothing is awaited inside a transaction, so no other work can interleave with it.
 */
import { and, asc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type Database from 'better-sqlite3';
import { IllegalTransitionError, LeaseLostError, NotFoundError } from '../../domain/errors.js';
import type { EventData, TimelineEvent } from '../../domain/events.js';
import type { InventoryItem, Movement } from '../../domain/inventory.js';
import type { DeadLetter, Job, JobType } from '../../domain/jobs.js';
import { canTransition, type Order } from '../../domain/order.js';
import type { Plan, Snapshot } from '../../domain/plans.js';
import type { Applied, JobLease, OrderPage, Store } from '../../ports/store.js';
import { auditDatabase } from './audit.js';
import { describeSqliteError, openDatabase, type OpenOptions } from './open.js';
import * as t from './schema.js';

export interface SqliteStoreOptions extends OpenOptions {
  /** attempts a new job gets (Settings.jobAttempts) */
  jobAttempts?: number;
}

type Db = BetterSQLite3Database<typeof t>;
type JobRow = typeof t.jobs.$inferSelect;
type DeadRow = typeof t.deadLetters.$inferSelect;

const toJob = (r: JobRow): Job => ({ ...r, payload: JSON.parse(r.payload) as Job['payload'] });
const toDead = (r: DeadRow): DeadLetter => ({ ...r, type: r.type as JobType, payload: JSON.parse(r.payload) as unknown });
const toEvent = (r: typeof t.orderEvents.$inferSelect): TimelineEvent => ({
  orderId: r.orderId,
  at: r.at,
  type: r.type as TimelineEvent['type'],
  data: JSON.parse(r.data) as EventData,
});

export function openSqliteStore(opts: SqliteStoreOptions): Store & { readonly raw: Database.Database } {
  const raw = openDatabase(opts);
  const db: Db = drizzle(raw, { schema: t });
  const jobAttempts = opts.jobAttempts ?? 5;
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5_000;

  /** one IMMEDIATE transaction; SQLite errors become DatabaseErrors a user can act on */
  function write<T>(fn: (tx: Db) => T): T {
    try {
      return db.transaction((tx) => fn(tx as unknown as Db), { behavior: 'immediate' });
    } catch (error) {
      throw describeSqliteError(error, opts.file, busyTimeoutMs) ?? error;
    }
  }
  function read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw describeSqliteError(error, opts.file, busyTimeoutMs) ?? error;
    }
  }

  function loadOrder(tx: Db, id: number): Order {
    const order = tx.select().from(t.orders).where(eq(t.orders.id, id)).get();
    if (!order) throw new NotFoundError('order', id);
    return order;
  }

  function checkLease(tx: Db, lease: JobLease): JobRow {
    const job = tx.select().from(t.jobs).where(eq(t.jobs.id, lease.jobId)).get();
    if (!job || job.status !== 'running' || job.lockedBy !== lease.workerId) throw new LeaseLostError(lease.jobId);
    return job;
  }

  function insertEvents(tx: Db, orderId: number, now: number, events: Plan['events']): TimelineEvent[] {
    if (events.length === 0) return [];
    const rows = events.map((e) => ({ orderId, at: now, type: e.type, data: JSON.stringify(e.data) }));
    tx.insert(t.orderEvents).values(rows).run();
    return events.map((e) => ({ orderId, at: now, type: e.type, data: e.data }));
  }

  /** Apply one signed change to a SKU's on-hand and write its movement. Creates the row at 0. */
  function move(tx: Db, sku: string, type: Movement['type'], qty: number, orderId: number | null, now: number): number {
    const row = tx.select({ onHand: t.inventory.onHand }).from(t.inventory).where(eq(t.inventory.sku, sku)).get();
    if (!row) tx.insert(t.inventory).values({ sku, onHand: 0, updatedAt: now }).run();
    const onHandAfter = (row?.onHand ?? 0) + qty;
    tx.update(t.inventory)
      .set({ onHand: onHandAfter, version: sql`${t.inventory.version} + 1`, updatedAt: now })
      .where(eq(t.inventory.sku, sku))
      .run();
    tx.insert(t.movements).values({ sku, type, qty, orderId, onHandAfter, at: now }).run();
    return onHandAfter;
  }

  /** Apply a plan to a locked order, within the caller's transaction. */
  function applyPlan(tx: Db, order: Order, plan: Plan, now: number, lease?: JobLease): Applied {
    const job = lease ? checkLease(tx, lease) : undefined;
    let after = order;
    let from: Order['status'] | null = null;
    if (plan.order) {
      const next = plan.order.status ?? order.status;
      if (next !== order.status) {
        if (!canTransition(order.status, next)) throw new IllegalTransitionError(order.id, order.status, next);
        from = order.status;
      }
      after = { ...order, ...plan.order, status: next, updatedAt: now };
      tx.update(t.orders)
        .set({ ...plan.order, status: next, updatedAt: now })
        .where(eq(t.orders.id, order.id))
        .run();
    }
    for (const m of plan.movements) move(tx, order.sku, m.type, m.qty, order.id, now);
    const events = insertEvents(tx, order.id, now, plan.events);
    const jobIds = plan.jobs.map(
      (j) =>
        tx
          .insert(t.jobs)
          .values({ type: j.type, orderId: order.id, payload: JSON.stringify(j.payload ?? {}), runAt: j.runAt, maxAttempts: jobAttempts, createdAt: now })
          .returning({ id: t.jobs.id })
          .get().id,
    );
    if (job && lease) {
      if (lease.mode === 'dead') {
        tx.insert(t.deadLetters)
          .values({
            jobId: job.id,
            type: job.type,
            orderId: job.orderId,
            payload: job.payload,
            attempts: job.attempts,
            lastError: lease.error ?? job.lastError ?? 'unknown error',
            failedAt: now,
          })
          .run();
      }
      if (lease.mode === 'dead' || plan.completeJob) tx.delete(t.jobs).where(eq(t.jobs.id, job.id)).run();
    }
    return { plan, order: after, from, events, jobIds };
  }

  const store: Store & { raw: Database.Database } = {
    raw,

    async createOrder(sku, qty, now, planner) {
      return write((tx) => {
        const order = tx
          .insert(t.orders)
          .values({ sku, qty, status: 'pending', supplierChecks: 0, createdAt: now, updatedAt: now })
          .returning()
          .get();
        return applyPlan(tx, order, planner(order), now);
      });
    },

    async applyToOrder(orderId, now, planner, lease) {
      return write((tx) => {
        const order = loadOrder(tx, orderId);
        const inv = tx.select({ onHand: t.inventory.onHand }).from(t.inventory).where(eq(t.inventory.sku, order.sku)).get();
        const snapshot: Snapshot = { order, onHand: inv?.onHand ?? 0 };
        return applyPlan(tx, order, planner(snapshot), now, lease);
      });
    },

    async getOrder(id) {
      return read(() => db.select().from(t.orders).where(eq(t.orders.id, id)).get() ?? null);
    },

    async getTimeline(orderId) {
      return read(() =>
        db.select().from(t.orderEvents).where(eq(t.orderEvents.orderId, orderId)).orderBy(asc(t.orderEvents.id)).all().map(toEvent),
      );
    },

    async listOrders({ status, limit = 100, cursor }) {
      return read(() => {
        const rows = db
          .select()
          .from(t.orders)
          .where(and(status ? eq(t.orders.status, status) : undefined, cursor !== undefined ? gt(t.orders.id, cursor) : undefined))
          .orderBy(asc(t.orders.id))
          .limit(limit + 1)
          .all();
        const page = rows.slice(0, limit);
        return { orders: page, nextCursor: rows.length > limit ? page.at(-1)!.id : null } satisfies OrderPage;
      });
    },

    async setOnHand(sku, onHand, now) {
      return write((tx) => {
        const row = tx.select().from(t.inventory).where(eq(t.inventory.sku, sku)).get();
        const delta = onHand - (row?.onHand ?? 0);
        if (delta !== 0) move(tx, sku, 'adjustment', delta, null, now);
        else if (!row) tx.insert(t.inventory).values({ sku, onHand: 0, updatedAt: now }).run();
        return tx.select({ sku: t.inventory.sku, onHand: t.inventory.onHand, updatedAt: t.inventory.updatedAt }).from(t.inventory).where(eq(t.inventory.sku, sku)).get()!;
      });
    },

    async addStock(sku, qty, now) {
      return write((tx) => {
        const onHand = move(tx, sku, 'restock', qty, null, now);
        return { sku, onHand, updatedAt: now };
      });
    },

    async getInventory(sku) {
      return read(
        () =>
          db.select({ sku: t.inventory.sku, onHand: t.inventory.onHand, updatedAt: t.inventory.updatedAt }).from(t.inventory).where(eq(t.inventory.sku, sku)).get() ??
          null,
      );
    },

    async listInventory() {
      return read(() =>
        db.select({ sku: t.inventory.sku, onHand: t.inventory.onHand, updatedAt: t.inventory.updatedAt }).from(t.inventory).orderBy(asc(t.inventory.sku)).all(),
      );
    },

    async listMovements(sku) {
      return read(() => db.select().from(t.movements).where(eq(t.movements.sku, sku)).orderBy(asc(t.movements.id)).all());
    },

    async claim(now, limit, workerId, leaseMs) {
      if (limit <= 0) return [];
      return write((tx) => {
        const due = tx
          .select()
          .from(t.jobs)
          .where(and(lte(t.jobs.runAt, now), or(eq(t.jobs.status, 'queued'), lte(t.jobs.lockedUntil, now))))
          .orderBy(asc(t.jobs.runAt), asc(t.jobs.id))
          .limit(limit)
          .all();
        return due.map((row) => {
          const claimed = { ...row, status: 'running' as const, lockedBy: workerId, lockedUntil: now + leaseMs, attempts: row.attempts + 1 };
          tx.update(t.jobs)
            .set({ status: 'running', lockedBy: workerId, lockedUntil: claimed.lockedUntil, attempts: claimed.attempts })
            .where(eq(t.jobs.id, row.id))
            .run();
          return toJob(claimed);
        });
      });
    },

    async reschedule(lease, runAt, now, data) {
      return write((tx) => {
        const job = checkLease(tx, lease);
        tx.update(t.jobs)
          .set({ status: 'queued', runAt, lockedBy: null, lockedUntil: null, lastError: lease.error ?? null })
          .where(eq(t.jobs.id, job.id))
          .run();
        return insertEvents(tx, job.orderId, now, [{ type: 'SupplierCallFailed', data }])[0] ?? null;
      });
    },

    async release(jobId, workerId) {
      write((tx) =>
        tx
          .update(t.jobs)
          .set({ status: 'queued', lockedBy: null, lockedUntil: null, attempts: sql`max(${t.jobs.attempts} - 1, 0)` })
          .where(and(eq(t.jobs.id, jobId), eq(t.jobs.lockedBy, workerId)))
          .run(),
      );
    },

    async nextDueAt() {
      return read(() => {
        const row = db
          .select({ next: sql<number | null>`min(CASE WHEN ${t.jobs.status} = 'queued' THEN ${t.jobs.runAt} ELSE ${t.jobs.lockedUntil} END)` })
          .from(t.jobs)
          .get();
        return row?.next ?? null;
      });
    },

    async listJobs() {
      return read(() => db.select().from(t.jobs).orderBy(asc(t.jobs.runAt), asc(t.jobs.id)).all().map(toJob));
    },

    async listDeadLetters(opts = {}) {
      return read(() =>
        db
          .select()
          .from(t.deadLetters)
          .where(opts.includeRetried ? undefined : isNull(t.deadLetters.retriedAt))
          .orderBy(asc(t.deadLetters.id))
          .all()
          .map(toDead),
      );
    },

    async retryDeadLetter(id, now) {
      return write((tx) => {
        const dead = tx.select().from(t.deadLetters).where(eq(t.deadLetters.id, id)).get();
        if (!dead) throw new NotFoundError('dead letter', id, 'see `warehouse jobs failed` for the ids');
        if (dead.retriedAt !== null) throw new NotFoundError('dead letter', id, 'it was already retried; see `warehouse jobs list`');
        const row = tx
          .insert(t.jobs)
          .values({ type: dead.type as JobType, orderId: dead.orderId, payload: dead.payload, runAt: now, maxAttempts: jobAttempts, createdAt: now })
          .returning()
          .get();
        tx.update(t.deadLetters).set({ retriedAt: now }).where(eq(t.deadLetters.id, id)).run();
        const [event] = insertEvents(tx, dead.orderId, now, [{ type: 'JobRetried', data: { deadLetterId: id, jobId: row.id, jobType: dead.type } }]);
        return { job: toJob(row), event: event! };
      });
    },

    async audit() {
      // one read transaction, so the checks see one consistent state
      return read(() => raw.transaction(() => auditDatabase(raw)).deferred());
    },

    async ping() {
      read(() => raw.prepare('SELECT 1').get());
    },

    async close() {
      if (raw.open) raw.close();
    },
  };
  return store;
}
