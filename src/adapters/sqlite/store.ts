/**
 * The SQLite adapter of the Store port (orders, inventory, movements, timeline) and of the
 * JobQueue port (the jobs table is the outbox and the queue at once). Each write is one
 * synchronous `BEGIN IMMEDIATE` transaction on better-sqlite3, wrapped in an async function:
 * nothing is awaited inside a transaction, so no other work can interleave with it.
 *
 * Group commit (`groupCommit: true`): writes issued in the same turn of the event loop are run
 * in one IMMEDIATE transaction, each inside its own SAVEPOINT (a failing write rolls back alone),
 * and every caller is answered only after the shared COMMIT: one fsync for many writes, the same
 * durability for each.
 */
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type Database from 'better-sqlite3';
import { IdempotencyClaimLostError, IllegalTransitionError, LeaseLostError, NotFoundError } from '../../domain/errors.js';
import type { EventData, TimelineEvent } from '../../domain/events.js';
import { adjustmentFor, type Movement } from '../../domain/inventory.js';
import type { DeadLetter, Job, JobType } from '../../domain/jobs.js';
import { canTransition, type Order } from '../../domain/order.js';
import type { Plan, Snapshot } from '../../domain/plans.js';
import type { Applied, IdempotentResponse, JobLease, OrderPage, Store } from '../../ports/store.js';
import { auditDatabase } from './audit.js';
import { describeSqliteError, openDatabase, type OpenOptions } from './open.js';
import * as t from './schema.js';
import { prepareStatements } from './statements.js';

export interface SqliteStoreOptions extends OpenOptions {
  /** attempts a new job gets (Settings.jobAttempts) */
  jobAttempts?: number;
  /** batch the writes of one event-loop turn into one transaction (see above) */
  groupCommit?: boolean;
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

  const q = prepareStatements(db);
  const describe = (error: unknown) => describeSqliteError(error, opts.file, busyTimeoutMs) ?? error;

  // one write in its own IMMEDIATE transaction; nested inside a batch, better-sqlite3 makes it a SAVEPOINT
  const inTransaction = raw.transaction((fn: () => unknown) => fn());
  const immediate = <T>(fn: () => T): T => inTransaction.immediate(fn) as T;
  interface Pending {
    fn: () => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }
  let batch: Pending[] = [];
  const runBatch = raw.transaction((items: Pending[]) =>
    items.map((item) => {
      try {
        return { ok: true as const, value: inTransaction(item.fn) };
      } catch (error) {
        return { ok: false as const, error };
      }
    }),
  );
  function flush(): void {
    const items = batch;
    batch = [];
    let results: ReturnType<typeof runBatch>;
    try {
      results = runBatch.immediate(items);
    } catch (error) {
      for (const item of items) item.reject(describe(error));
      return;
    }
    results.forEach((r, i) => (r.ok ? items[i]!.resolve(r.value) : items[i]!.reject(describe(r.error))));
  }

  /** A write transaction; SQLite errors become DatabaseErrors a user can act on. */
  function write<T>(fn: () => T): Promise<T> {
    if (!opts.groupCommit) {
      try {
        return Promise.resolve(immediate(fn));
      } catch (error) {
        return Promise.reject(describe(error));
      }
    }
    return new Promise<T>((resolve, reject) => {
      if (batch.length === 0) setImmediate(flush);
      batch.push({ fn, resolve: resolve as (v: unknown) => void, reject });
    });
  }
  function read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw describe(error);
    }
  }

  function loadOrder(id: number): Order {
    const order = q.orderById.get({ id });
    if (!order) throw new NotFoundError('order', id);
    return order;
  }

  function checkLease(lease: JobLease): JobRow {
    const job = q.jobById.get({ id: lease.jobId });
    if (!job || job.status !== 'running' || job.lockedBy !== lease.workerId) throw new LeaseLostError(lease.jobId);
    return job;
  }

  function insertEvents(orderId: number, now: number, events: Plan['events']): TimelineEvent[] {
    return events.map((e) => {
      q.insertEvent.run({ orderId, at: now, type: e.type, data: JSON.stringify(e.data) });
      return { orderId, at: now, type: e.type, data: e.data };
    });
  }

  /** Apply one signed change to a SKU's on-hand and write its movement. Creates the row at 0. */
  function move(sku: string, type: Movement['type'], qty: number, orderId: number | null, now: number, known?: number): number {
    let onHand = known;
    if (onHand === undefined) {
      const row = q.onHand.get({ sku });
      if (!row) q.insertInventory.run({ sku, now });
      onHand = row?.onHand ?? 0;
    }
    const onHandAfter = onHand + qty;
    q.updateOnHand.run({ sku, onHand: onHandAfter, now });
    q.insertMovement.run({ sku, type, qty, orderId, onHandAfter, at: now });
    return onHandAfter;
  }

  /** Apply a plan to a locked order, within the caller's transaction. */
  function applyPlan(order: Order, plan: Plan, now: number, lease?: JobLease, onHand?: { value: number; exists: boolean }): Applied {
    const job = lease ? checkLease(lease) : undefined;
    let after = order;
    let from: Order['status'] | null = null;
    if (plan.order) {
      const next = plan.order.status ?? order.status;
      if (next !== order.status) {
        if (!canTransition(order.status, next)) throw new IllegalTransitionError(order.id, order.status, next);
        from = order.status;
      }
      after = { ...order, ...plan.order, status: next, updatedAt: now };
      q.updateOrder.run({ ...after });
    }
    let known = onHand?.exists ? onHand.value : undefined;
    for (const m of plan.movements) known = move(order.sku, m.type, m.qty, order.id, now, known);
    const events = insertEvents(order.id, now, plan.events);
    const jobIds = plan.jobs.map(
      (j) => q.insertJob.get({ type: j.type, orderId: order.id, payload: JSON.stringify(j.payload ?? {}), runAt: j.runAt, maxAttempts: jobAttempts, now })!.id,
    );
    if (job && lease) {
      if (lease.mode === 'dead') {
        db.insert(t.deadLetters)
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
      if (lease.mode === 'dead' || plan.completeJob) q.deleteJob.run({ id: job.id });
    }
    return { plan, order: after, from, events, jobIds };
  }

  /** Complete an Idempotency-Key record inside the caller's write transaction. */
  function storeResponse<T>(idempotent: IdempotentResponse<T>, result: T): void {
    const done = q.completeIdempotency.run({ key: idempotent.key, fingerprint: idempotent.fingerprint, ...idempotent.respond(result) });
    // the claim was lost (expired and taken over): roll the write back rather than do it twice
    if (done.changes !== 1) throw new IdempotencyClaimLostError(idempotent.key);
  }

  const store: Store & { raw: Database.Database } = {
    raw,

    createOrder(sku, qty, now, planner, idempotent) {
      return write(() => {
        const order = q.insertOrder.get({ sku, qty, now })!;
        const applied = applyPlan(order, planner(order), now);
        if (idempotent) {
          const response = idempotent.respond(applied.order);
          const done = q.completeIdempotency.run({ key: idempotent.key, fingerprint: idempotent.fingerprint, ...response });
          // the claim was lost (expired and taken over): roll the order back rather than answer twice
          if (done.changes !== 1) throw new IdempotencyClaimLostError(idempotent.key);
        }
        return applied;
      });
    },

    applyToOrder(orderId, now, planner, lease) {
      return write(() => {
        const order = loadOrder(orderId);
        const inv = q.onHand.get({ sku: order.sku });
        const snapshot: Snapshot = { order, onHand: inv?.onHand ?? 0 };
        return applyPlan(order, planner(snapshot), now, lease, { value: snapshot.onHand, exists: inv !== undefined });
      });
    },

    async getOrder(id) {
      return read(() => q.orderById.get({ id }) ?? null);
    },

    async getTimeline(orderId) {
      return read(() =>
        q.timeline.all({ orderId }).map(toEvent),
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

    setOnHand(sku, onHand, now) {
      return write(() => {
        const row = q.onHand.get({ sku });
        const delta = adjustmentFor(row?.onHand ?? 0, onHand);
        if (delta !== 0) move(sku, 'adjustment', delta, null, now);
        else if (!row) q.insertInventory.run({ sku, now });
        return q.inventoryItem.get({ sku })!;
      });
    },

    addStock(sku, qty, now, idempotent) {
      return write(() => {
        const onHand = move(sku, 'restock', qty, null, now);
        const item = { sku, onHand, updatedAt: now };
        if (idempotent) storeResponse(idempotent, item);
        return item;
      });
    },

    async getInventory(sku) {
      return read(() => q.inventoryItem.get({ sku }) ?? null);
    },

    async listInventory() {
      return read(() =>
        db.select({ sku: t.inventory.sku, onHand: t.inventory.onHand, updatedAt: t.inventory.updatedAt }).from(t.inventory).orderBy(asc(t.inventory.sku)).all(),
      );
    },

    async listMovements(sku, { limit, cursor } = {}) {
      return read(() => {
        const query = db
          .select()
          .from(t.movements)
          .where(and(eq(t.movements.sku, sku), cursor !== undefined ? gt(t.movements.id, cursor) : undefined))
          .orderBy(asc(t.movements.id));
        return (limit !== undefined ? query.limit(limit) : query).all();
      });
    },

    async claim(now, limit, workerId, leaseMs) {
      if (limit <= 0) return [];
      // most polls find nothing: a plain read answers them without taking the write lock
      if (!read(() => q.anyDue.get({ now }))) return [];
      // not batched: a claim must see the jobs committed just before it, and is cheap to repeat
      return read(() =>
        immediate(() =>
          q.dueJobs.all({ now, limit }).map((row) => {
            const claimed = { ...row, status: 'running' as const, lockedBy: workerId, lockedUntil: now + leaseMs, attempts: row.attempts + 1 };
            q.claimJob.run({ id: row.id, workerId, lockedUntil: claimed.lockedUntil, attempts: claimed.attempts });
            return toJob(claimed);
          }),
        ),
      );
    },

    reschedule(lease, runAt, now, data) {
      return write(() => {
        const job = checkLease(lease);
        q.requeueJob.run({ id: job.id, runAt, lastError: lease.error ?? null });
        return insertEvents(job.orderId, now, [{ type: 'SupplierCallFailed', data }])[0] ?? null;
      });
    },

    async nextDueAt() {
      return read(() => q.nextDueAt.get()?.next ?? null);
    },

    async listJobs() {
      return read(() => db.select().from(t.jobs).orderBy(asc(t.jobs.runAt), asc(t.jobs.id)).all().map(toJob));
    },

    async countJobs() {
      return read(() => q.countJobs.get() ?? { queued: 0, running: 0, dead: 0 });
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

    retryDeadLetter(id, now) {
      return write(() => {
        const tx = db;
        const dead = tx.select().from(t.deadLetters).where(eq(t.deadLetters.id, id)).get();
        if (!dead) throw new NotFoundError('dead letter', id, 'see `warehouse jobs failed` for the ids');
        if (dead.retriedAt !== null) throw new NotFoundError('dead letter', id, 'it was already retried; see `warehouse jobs list`');
        const row = tx
          .insert(t.jobs)
          .values({ type: dead.type as JobType, orderId: dead.orderId, payload: dead.payload, runAt: now, maxAttempts: jobAttempts, createdAt: now })
          .returning()
          .get();
        tx.update(t.deadLetters).set({ retriedAt: now }).where(eq(t.deadLetters.id, id)).run();
        const [event] = insertEvents(dead.orderId, now, [{ type: 'JobRetried', data: { deadLetterId: id, jobId: row.id, jobType: dead.type } }]);
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
      if (batch.length > 0 && raw.open) flush(); // writes already accepted still commit
      if (raw.open) raw.close();
    },
  };
  return store;
}
