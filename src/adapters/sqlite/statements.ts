/**
 * The statements of the hot path (order creation, job claims, plan application), built with
 * drizzle and prepared once per connection: re-building and re-preparing SQL on every call cost
 * more CPU than SQLite's own work (see docs/performance.md).
 */
import { and, asc, eq, getTableColumns, gt, inArray, lte, or, sql } from './drizzle.js';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { limitOf } from './limit.js';
import * as t from './schema.js';

const p = <T extends string>(name: T) => sql.placeholder(name);
/** a placeholder where drizzle's `set()` wants an SQL value */
const v = (name: string) => sql`${sql.placeholder(name)}`;

/** An inventory row with the units its SKU's reserved orders hold (through orders_sku_status). */
export const inventoryColumns = {
  sku: t.inventory.sku,
  onHand: t.inventory.onHand,
  // written out: drizzle renders a column of either table unqualified inside the subquery ("sku" = "sku": every SKU's reserved orders)
  reserved: sql<number>`(SELECT coalesce(sum(o.qty), 0) FROM orders o WHERE o.sku = inventory.sku AND o.status = 'reserved')`,
  version: t.inventory.version,
  updatedAt: t.inventory.updatedAt,
};

export function prepareStatements(db: BetterSQLite3Database<typeof t>) {
  return {
    orderById: db
      .select()
      .from(t.orders)
      .where(eq(t.orders.id, p('id')))
      .prepare(),
    eventsAfter: db
      .select()
      .from(t.orderEvents)
      .where(gt(t.orderEvents.id, p('afterId')))
      .orderBy(asc(t.orderEvents.id))
      .limit(limitOf(p('limit')))
      .prepare(),
    timeline: db
      .select()
      .from(t.orderEvents)
      .where(eq(t.orderEvents.orderId, p('orderId')))
      .orderBy(asc(t.orderEvents.id))
      .prepare(),
    /** the order's first SupplierReservationRequested and the key on it (Snapshot.supplierAsked), found through order_events_order_id */
    supplierAsked: db
      .select({ key: sql<string | null>`json_extract(${t.orderEvents.data}, '$.key')` })
      .from(t.orderEvents)
      .where(and(eq(t.orderEvents.orderId, p('orderId')), eq(t.orderEvents.type, 'SupplierReservationRequested')))
      .orderBy(asc(t.orderEvents.id))
      .limit(limitOf(1))
      .prepare(),
    /**
     * The reads of one step on an order, in one statement (store.ts applyToOrder): the order, its
     * SKU's stock (null, null: the SKU has no row) and Snapshot.supplierAsked (whether the order
     * has a SupplierReservationRequested, and the key on the first; through order_events_order_id).
     * (Three statements before; one saves their calls, ~1 % of an order's CPU: docs/performance.md.)
     */
    orderStep: db
      .select({
        ...getTableColumns(t.orders),
        onHand: t.inventory.onHand,
        version: t.inventory.version,
        asked: sql<number>`exists (SELECT 1 FROM order_events e WHERE e.order_id = ${t.orders.id} AND e.type = 'SupplierReservationRequested')`,
        askedKey: sql<
          string | null
        >`(SELECT json_extract(e.data, '$.key') FROM order_events e WHERE e.order_id = ${t.orders.id} AND e.type = 'SupplierReservationRequested' ORDER BY e.id LIMIT 1)`,
      })
      .from(t.orders)
      .leftJoin(t.inventory, eq(t.inventory.sku, t.orders.sku))
      .where(eq(t.orders.id, p('id')))
      .prepare(),
    insertOrder: db
      .insert(t.orders)
      .values({ sku: p('sku'), qty: p('qty'), status: 'pending', supplierChecks: 0, createdAt: p('now'), updatedAt: p('now') })
      .returning()
      .prepare(),
    /** a multi-line order's parent row, or one of its lines (docs/design.md §2.6) */
    insertOrderRow: db
      .insert(t.orders)
      .values({
        sku: p('sku'),
        qty: p('qty'),
        status: 'pending',
        supplierChecks: 0,
        lineCount: p('lineCount'),
        parentId: p('parentId'),
        lineNo: p('lineNo'),
        createdAt: p('now'),
        updatedAt: p('now'),
      })
      .returning()
      .prepare(),
    /** a multi-line order's lines, by number (through orders_parent_line) */
    linesOf: db
      .select()
      .from(t.orders)
      .where(and(eq(t.orders.parentId, p('parentId')), sql`${t.orders.parentId} IS NOT NULL`))
      .orderBy(asc(t.orders.lineNo))
      .prepare(),
    /** a multi-line order's timeline: its own events and its lines', by id */
    timelineWithLines: db
      .select({
        id: t.orderEvents.id,
        orderId: t.orderEvents.orderId,
        at: t.orderEvents.at,
        type: t.orderEvents.type,
        data: t.orderEvents.data,
        lineNo: t.orders.lineNo,
      })
      .from(t.orderEvents)
      .innerJoin(t.orders, eq(t.orders.id, t.orderEvents.orderId))
      .where(
        sql`${t.orderEvents.orderId} IN (SELECT ${p('orderId')} UNION ALL SELECT id FROM orders WHERE parent_id = ${p('orderId')} AND parent_id IS NOT NULL)`,
      )
      .orderBy(asc(t.orderEvents.id))
      .prepare(),
    /** the jobs of one line (or, line 0, the order's own) of a multi-line order that no runner holds */
    dropLineJobs: db
      .delete(t.jobs)
      .where(
        and(
          eq(t.jobs.orderId, p('orderId')),
          eq(t.jobs.type, p('type')),
          sql`${t.jobs.status} <> 'running'`,
          sql`coalesce(json_extract(${t.jobs.payload}, '$.line'), 0) = ${p('line')}`,
        ),
      )
      .prepare(),
    /** lines per status: subtracted from the orders' count (through the partial orders_line_status) */
    countLines: db
      .select({ status: t.orders.status, n: sql<number>`count(*)` })
      .from(t.orders)
      .where(sql`${t.orders.parentId} IS NOT NULL`)
      .groupBy(t.orders.status)
      .prepare(),
    updateOrder: db
      .update(t.orders)
      .set({
        status: v('status'),
        supplierRef: v('supplierRef'),
        supplierChecks: v('supplierChecks'),
        failureReason: v('failureReason'),
        updatedAt: v('updatedAt'),
      })
      .where(eq(t.orders.id, p('id')))
      .prepare(),
    /** a SKU's stock (no reserved sum): a multi-line order's steps and naive.ts (a one-line step reads it with its order: orderStep) */
    stock: db
      .select({ onHand: t.inventory.onHand, version: t.inventory.version })
      .from(t.inventory)
      .where(eq(t.inventory.sku, p('sku')))
      .prepare(),
    onHand: db
      .select({ onHand: t.inventory.onHand })
      .from(t.inventory)
      .where(eq(t.inventory.sku, p('sku')))
      .prepare(),
    inventoryItem: db
      .select(inventoryColumns)
      .from(t.inventory)
      .where(eq(t.inventory.sku, p('sku')))
      .prepare(),
    /** the order's jobs of one type that no runner holds (Plan.dropJobs) */
    dropJobs: db
      .delete(t.jobs)
      .where(and(eq(t.jobs.orderId, p('orderId')), eq(t.jobs.type, p('type')), sql`${t.jobs.status} <> 'running'`))
      .prepare(),
    insertInventory: db
      .insert(t.inventory)
      .values({ sku: p('sku'), onHand: 0, updatedAt: p('now') })
      .prepare(),
    updateOnHand: db
      .update(t.inventory)
      .set({ onHand: v('onHand'), version: sql`${t.inventory.version} + 1`, updatedAt: v('now') })
      .where(eq(t.inventory.sku, p('sku')))
      .prepare(),
    /** optimistic strategy: the change applies only to the version that was read */
    updateOnHandAtVersion: db
      .update(t.inventory)
      .set({ onHand: v('onHand'), version: sql`${t.inventory.version} + 1`, updatedAt: v('now') })
      .where(and(eq(t.inventory.sku, p('sku')), eq(t.inventory.version, p('version'))))
      .prepare(),
    /** atomic strategy: one conditional update, refused when it would take on-hand below 0 */
    addOnHandIfEnough: db
      .update(t.inventory)
      .set({ onHand: sql`${t.inventory.onHand} + ${sql.placeholder('qty')}`, version: sql`${t.inventory.version} + 1`, updatedAt: v('now') })
      .where(and(eq(t.inventory.sku, p('sku')), sql`${t.inventory.onHand} + ${sql.placeholder('qty')} >= 0`))
      .returning({ onHand: t.inventory.onHand })
      .prepare(),
    insertMovement: db
      .insert(t.movements)
      .values({ sku: p('sku'), type: p('type'), qty: p('qty'), orderId: p('orderId'), onHandAfter: p('onHandAfter'), at: p('at') })
      .prepare(),
    insertEvent: db
      .insert(t.orderEvents)
      .values({ orderId: p('orderId'), at: p('at'), type: p('type'), data: p('data') })
      .prepare(),
    /** two events of one order at once (a step's usual pair, e.g. InventoryReserved and OrderReserved) */
    insertTwoEvents: db
      .insert(t.orderEvents)
      .values([
        { orderId: p('orderId'), at: p('at'), type: p('type1'), data: p('data1') },
        { orderId: p('orderId'), at: p('at'), type: p('type2'), data: p('data2') },
      ])
      .prepare(),
    insertJob: db
      .insert(t.jobs)
      .values({
        type: p('type'),
        orderId: p('orderId'),
        payload: p('payload'),
        runAt: p('runAt'),
        maxAttempts: p('maxAttempts'),
        virtual: p('virtual'),
        headers: p('headers'),
        createdAt: p('now'),
      })
      .returning({ id: t.jobs.id })
      .prepare(),
    jobById: db
      .select()
      .from(t.jobs)
      .where(eq(t.jobs.id, p('id')))
      .prepare(),
    deleteJob: db
      .delete(t.jobs)
      .where(eq(t.jobs.id, p('id')))
      .prepare(),
    /** a finished job, deleted only if the lease is still the caller's (one statement for the read and the delete) */
    completeLeased: db
      .delete(t.jobs)
      .where(and(eq(t.jobs.id, p('id')), eq(t.jobs.status, 'running'), eq(t.jobs.lockedBy, p('token'))))
      .prepare(),
    /**
     * A claim in one statement: the due jobs, in due order, up to the limit, each leased to
     * `workerId#runs` (a lease token names the runner and the claim, so a re-claim by the same
     * runner is another lease) with its runs counted; the rows come back in no
     * particular order (RETURNING), so the caller sorts them.
     */
    claimDue: db
      .update(t.jobs)
      .set({
        status: 'running',
        attempts: sql`${t.jobs.attempts} + 1`,
        lockedBy: sql`${sql.placeholder('workerId')} || '#' || (${t.jobs.attempts} + 1)`,
        lockedUntil: v('lockedUntil'),
      })
      .where(
        inArray(
          t.jobs.id,
          db
            .select({ id: t.jobs.id })
            .from(t.jobs)
            .where(and(lte(t.jobs.runAt, p('now')), or(eq(t.jobs.status, 'queued'), and(eq(t.jobs.status, 'running'), lte(t.jobs.lockedUntil, p('now'))))))
            .orderBy(asc(t.jobs.runAt), asc(t.jobs.id))
            .limit(limitOf(p('limit'))),
        ),
      )
      .returning()
      .prepare(),
    anyDue: db
      .select({ id: t.jobs.id })
      .from(t.jobs)
      .where(and(lte(t.jobs.runAt, p('now')), or(eq(t.jobs.status, 'queued'), and(eq(t.jobs.status, 'running'), lte(t.jobs.lockedUntil, p('now'))))))
      .limit(limitOf(1))
      .prepare(),
    requeueJob: db
      .update(t.jobs)
      // a retried job needs a new delivery: a new relay generation, relayed at once (ports/queue.ts)
      .set({
        status: 'queued',
        runAt: v('runAt'),
        lockedBy: null,
        lockedUntil: null,
        lastError: v('lastError'),
        failures: sql`${t.jobs.failures} + ${sql.placeholder('counted')}`,
        relaySeq: sql`${t.jobs.relaySeq} + 1`,
        relayedAt: null,
        relayDueAt: 0,
      })
      .where(eq(t.jobs.id, p('id')))
      .prepare(),
    parkJob: db
      .update(t.jobs)
      .set({ status: 'parked', lockedBy: null, lockedUntil: null, parkedReason: v('reason'), lastError: v('reason') })
      .where(eq(t.jobs.id, p('id')))
      .prepare(),
    completeIdempotency: db
      .update(t.idempotencyKeys)
      .set({ state: 'completed', status: v('status'), body: v('body'), location: v('location') })
      .where(and(eq(t.idempotencyKeys.key, p('key')), eq(t.idempotencyKeys.fingerprint, p('fingerprint')), eq(t.idempotencyKeys.state, 'in_flight')))
      .prepare(),
    countJobs: db
      .select({
        queued: sql<number>`coalesce(sum(${t.jobs.status} = 'queued'), 0)`,
        running: sql<number>`coalesce(sum(${t.jobs.status} = 'running'), 0)`,
        parked: sql<number>`coalesce(sum(${t.jobs.status} = 'parked'), 0)`,
        dead: sql<number>`(SELECT count(*) FROM ${t.deadLetters} WHERE ${t.deadLetters.retriedAt} IS NULL)`,
      })
      .from(t.jobs)
      .prepare(),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
