/**
 * The PostgreSQL adapter of the Store port. Each write is one READ COMMITTED transaction on one
 * pooled client (connection.ts). A plan is applied as docs/design.md §4.2 says: `SELECT … FOR UPDATE`
 * on the order, the SKU's stock read as the reservation strategy says (stock.ts: a row lock for
 * `pessimistic`), plan, apply, commit — together with the jobs the plan enqueues and the settlement
 * of the job that made it.
 *
 * Locks are always taken in one order — the order's row, then the SKU's inventory row, then the
 * job's row — so two transactions of this adapter cannot deadlock each other; job claims skip
 * locked rows and wait for nothing.
 */
import { and, asc, count, desc, eq, gt, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { DatabaseError, IdempotencyClaimLostError, NotFoundError } from '../../domain/errors.js';
import type { PlannedEvent, TimelineEvent } from '../../domain/events.js';
import { adjustmentFor, type InventoryItem } from '../../domain/inventory.js';
import { countsByStatus, type Order } from '../../domain/order.js';
import { applyOrderChange, type Plan, type Snapshot } from '../../domain/plans.js';
import { flatPlan, inLockOrder, type LineLockOrder, type LineSnapshot, type LinesPlan, type LinesSnapshot, parentSku } from '../../domain/lines.js';
import type { PlannedJob } from '../../domain/jobs.js';
import type { ReserveStrategy } from '../../domain/settings.js';
import type { JobStep } from '../../ports/queue.js';
import type { Applied, IdempotentResponse, OrderPage, Store, Violation } from '../../ports/store.js';
import { auditPostgresAt } from './audit.js';
import { jitterPause, prepared, run, type PgConnection, type Tx } from './connection.js';
import { settle, settlementOf, writePlanRows, type EnqueueOptions, type PlanSettlement } from './outbox.js';
import {
  ensureStockRow,
  firstReadOf,
  insertMovement,
  moveLines,
  planAndMove,
  readLinesStock,
  readStock,
  stockAskedByOrder,
  VersionConflict,
  writeOnHand,
} from './stock.js';
import * as t from './schema.js';

/** Transactions the optimistic strategy runs for one change before it gives up as a `conflict`. */
export const OPTIMISTIC_TRIES = 16;

/** An inventory row with the units its SKU's reserved orders hold (through orders_sku_status). */
const inventoryColumns = {
  sku: t.inventory.sku,
  onHand: t.inventory.onHand,
  // written out: drizzle renders a column of either table unqualified inside the subquery ("sku" = "sku": every SKU's reserved orders)
  reserved: sql<number>`(SELECT coalesce(sum(o.qty), 0)::int FROM orders o WHERE o.sku = inventory.sku AND o.status = 'reserved')`,
  version: t.inventory.version,
  updatedAt: t.inventory.updatedAt,
};

/** The hot statements of a job's transaction, prepared once per connection (connection.ts `prepared`). */
const LOCK_ORDER = `SELECT id, sku, qty, status, supplier_ref, supplier_checks, failure_reason, created_at, updated_at
  FROM orders WHERE id = $1::int FOR UPDATE`;

interface OrderRow {
  id: number;
  sku: string;
  qty: number;
  status: Order['status'];
  supplier_ref: string | null;
  supplier_checks: number;
  failure_reason: Order['failureReason'];
  /** bigint: text from the driver */
  created_at: string;
  updated_at: string;
}

const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  sku: r.sku,
  qty: r.qty,
  status: r.status,
  supplierRef: r.supplier_ref,
  supplierChecks: r.supplier_checks,
  failureReason: r.failure_reason,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export function createPostgresStore(c: PgConnection, opts: EnqueueOptions & { strategy: ReserveStrategy; lineLockOrder?: LineLockOrder }): Store {
  /** the last audit's answer and the snapshot it read (see audit.ts) */
  let checked: { version: string; violations: Violation[] } | null = null;
  let running: { version: string; result: ReturnType<typeof auditPostgresAt> } | null = null;
  const audits = { run: 0, cached: 0 };
  const { db } = c;

  async function lockOrder(tx: Tx, id: number): Promise<Order> {
    const [row] = await prepared<OrderRow>(tx, 'wh_lock_order', LOCK_ORDER, [id]);
    if (!row) throw new NotFoundError('order', id);
    return toOrder(row);
  }

  /** Complete an Idempotency-Key record inside the caller's write transaction. */
  async function completeIdempotency(tx: Tx, idempotent: IdempotentResponse, order: Order): Promise<void> {
    const response = idempotent.respond(order);
    const done = await tx
      .update(t.idempotencyKeys)
      .set({ state: 'completed', ...response })
      .where(
        and(eq(t.idempotencyKeys.key, idempotent.key), eq(t.idempotencyKeys.fingerprint, idempotent.fingerprint), eq(t.idempotencyKeys.state, 'in_flight')),
      )
      .returning({ key: t.idempotencyKeys.key });
    // the claim was lost (expired and taken over): roll the write back rather than answer twice
    if (done.length !== 1) throw new IdempotencyClaimLostError(idempotent.key);
  }

  /** Apply the plan's order change, events and jobs to a locked order (its movements are done). */
  async function applyPlan(
    tx: Tx,
    order: Order,
    plan: Plan,
    now: number,
    notes: PlannedEvent[] = [],
    settlement?: PlanSettlement,
    commit = false,
  ): Promise<Applied> {
    const { after, from } = applyOrderChange(order, plan.order, now);
    const { jobIds, events } = await writePlanRows(
      tx,
      order.id,
      now,
      { order: after, events: [...notes, ...plan.events], jobs: plan.jobs },
      opts,
      settlement,
      commit,
    );
    return { plan, order: after ?? order, from, events, jobIds };
  }

  /**
   * One change of an order in its own transaction; under the optimistic strategy a version
   * conflict rolls it back and runs it again after a jittered pause, counted, and the transaction
   * that commits records how many on the order's timeline (InventoryConflict).
   */
  async function change(orderId: number, now: number, planner: (s: Snapshot) => Plan, step?: JobStep, idempotent?: IdempotentResponse): Promise<Applied> {
    for (let conflicts = 0; ; ) {
      try {
        return await c.tx(
          async (tx) => {
            // BEGIN, the order's lock and the stock read (with the order's supplierAsked, stock.ts) in one round trip
            const [locked, stock] = await run(tx, [{ name: 'wh_lock_order', text: LOCK_ORDER, values: [orderId] }, stockAskedByOrder(orderId, opts.strategy)]);
            if (!locked![0]) throw new NotFoundError('order', orderId);
            const order = toOrder(locked![0] as OrderRow);
            const plan = await planAndMove(
              tx,
              order,
              now,
              (onHand, supplierAsked) => planner({ order, onHand, supplierAsked }),
              opts.strategy,
              firstReadOf(stock!),
            );
            // a runner that lost its job's lease changes nothing: the settlement throws and the transaction rolls back
            const s = step ? settlementOf(step, plan) : null;
            // keep or complete with nothing dropped goes into the plan's own statement (one round trip
            // less; the job's row is still locked after the order's and the SKU's); the rest on its own, first
            const merged: PlanSettlement | undefined =
              step && s && (s.kind === 'keep' || s.kind === 'complete') && !plan.dropJobs?.length ? { kind: s.kind, lease: step.lease } : undefined;
            if (step && s && !merged) await settle(tx, step, s, now);
            const notes: PlannedEvent[] = conflicts > 0 ? [{ type: 'InventoryConflict', data: { sku: order.sku, strategy: opts.strategy, conflicts } }] : [];
            for (const type of plan.dropJobs ?? []) {
              await tx.delete(t.jobs).where(and(eq(t.jobs.orderId, order.id), eq(t.jobs.type, type), sql`${t.jobs.status} <> 'running'`));
            }
            // the plan's statement is the last one unless an Idempotency-Key record follows: COMMIT goes with it
            const applied = await applyPlan(tx, order, plan, now, notes, merged, !idempotent);
            if (idempotent) await completeIdempotency(tx, idempotent, applied.order);
            return applied;
          },
          { lazyBegin: true },
        );
      } catch (error) {
        if (!(error instanceof VersionConflict)) throw error;
        conflicts++;
        c.counters.conflicts++;
        if (conflicts >= OPTIMISTIC_TRIES) {
          throw new DatabaseError(
            `order ${orderId}: the stock of ${error.sku} changed under ${conflicts} optimistic tries in a row; it will run again after a pause`,
            c.label,
            { fault: 'conflict' },
          );
        }
        c.counters.retries++;
        await jitterPause(Math.min(conflicts, 5));
      }
    }
  }

  /**
   * A multi-line order's change (docs/design.md §2.6) in one transaction: the order's row lock, its
   * lines' rows, their SKUs' stock in the global lock order (stock.ts readLinesStock), the plan, the
   * lines' movements in that same order, then every row the plan writes. A conflict of the stock
   * (optimistic, atomic) runs it all again, as `change` does.
   */
  async function changeLines(
    orderId: number,
    now: number,
    planner: (s: LinesSnapshot) => LinesPlan,
    step?: JobStep,
    idempotent?: IdempotentResponse,
  ): Promise<Applied> {
    for (let conflicts = 0; ; ) {
      try {
        return await c.tx(async (tx) => {
          const parent = await lockOrder(tx, orderId);
          const rows = inLockOrder(await tx.select().from(t.orders).where(eq(t.orders.parentId, orderId)).for('update'), opts.lineLockOrder);
          const stocks = await readLinesStock(
            tx,
            rows.map((r) => r.sku),
            opts.strategy,
          );
          const askedRows = await tx
            .select({ orderId: t.orderEvents.orderId, key: sql<string | null>`${t.orderEvents.data}->>'key'` })
            .from(t.orderEvents)
            .where(
              and(
                sql`${t.orderEvents.orderId} IN (SELECT id FROM orders WHERE parent_id = ${orderId})`,
                eq(t.orderEvents.type, 'SupplierReservationRequested'),
              ),
            )
            .orderBy(asc(t.orderEvents.id));
          const asked = new Map<number, { key: string | null }>();
          for (const a of askedRows) if (!asked.has(a.orderId)) asked.set(a.orderId, { key: a.key });
          const lines: LineSnapshot[] = rows.map((order) => ({
            order,
            lineNo: order.lineNo ?? 0,
            onHand: stocks.get(order.sku)?.onHand ?? 0,
            supplierAsked: asked.get(order.id) ?? null,
          }));
          const lp = planner({ order: parent, lines });
          const flat = flatPlan(lp);
          await moveLines(
            tx,
            opts.strategy,
            lines.map((l) => ({ sku: l.order.sku, orderId: l.order.id, movements: lp.lines.get(l.lineNo)?.movements ?? [] })),
            stocks,
            now,
          );
          if (step) await settle(tx, step, settlementOf(step, flat), now);
          const events: TimelineEvent[] = [];
          const lineJobs: PlannedJob[] = [];
          const linesAfter = new Map(lines.map((l) => [l.lineNo, l.order]));
          for (const l of lines) {
            const p = lp.lines.get(l.lineNo);
            if (!p) continue;
            for (const type of p.dropJobs ?? []) await dropJobs(tx, orderId, type, l.lineNo);
            const { after } = applyOrderChange(l.order, p.order, now);
            if (after) linesAfter.set(l.lineNo, after);
            const tagged = p.events.map((e) => ({ ...e, data: { ...e.data, line: l.lineNo } }));
            const written = await writePlanRows(tx, l.order.id, now, { order: after, events: tagged, jobs: [] }, opts);
            events.push(...written.events.map((e) => ({ ...e, orderId })));
            lineJobs.push(...p.jobs);
          }
          for (const type of lp.order.dropJobs ?? []) await dropJobs(tx, orderId, type, 0);
          const notes: PlannedEvent[] =
            conflicts > 0 ? [{ type: 'InventoryConflict', data: { skus: rows.map((r) => r.sku), strategy: opts.strategy, conflicts } }] : [];
          const { after, from } = applyOrderChange(parent, lp.order.order, now);
          const written = await writePlanRows(
            tx,
            orderId,
            now,
            { order: after, events: [...notes, ...lp.order.events], jobs: [...lineJobs, ...lp.order.jobs] },
            opts,
          );
          events.push(...written.events);
          const byNumber = [...linesAfter.entries()].sort(([a], [b]) => a - b).map(([, o]) => o);
          const applied: Applied = { plan: flat, order: { ...(after ?? parent), lines: byNumber }, from, events, jobIds: written.jobIds };
          if (idempotent) await completeIdempotency(tx, idempotent, applied.order);
          return applied;
        });
      } catch (error) {
        if (!(error instanceof VersionConflict)) throw error;
        conflicts++;
        c.counters.conflicts++;
        if (conflicts >= OPTIMISTIC_TRIES) {
          throw new DatabaseError(
            `order ${orderId}: the stock of ${error.sku} changed under ${conflicts} tries in a row; it will run again after a pause`,
            c.label,
            {
              fault: 'conflict',
            },
          );
        }
        c.counters.retries++;
        await jitterPause(Math.min(conflicts, 5));
      }
    }
  }

  /** the jobs of one line (line 0: the order's own) of a multi-line order that no runner holds */
  async function dropJobs(tx: Tx, orderId: number, type: string, line: number): Promise<void> {
    await tx
      .delete(t.jobs)
      .where(
        and(
          eq(t.jobs.orderId, orderId),
          sql`${t.jobs.type} = ${type}`,
          sql`${t.jobs.status} <> 'running'`,
          sql`coalesce((${t.jobs.payload}->>'line')::int, 0) = ${line}`,
        ),
      );
  }

  /** A stock count or restock: always under the row lock (the strategies are about reservations). */
  async function adjust(sku: string, now: number, delta: (onHand: number) => number, type: 'adjustment' | 'restock'): Promise<InventoryItem> {
    return c.tx(async (tx) => {
      let row = await readStock(tx, sku, true);
      if (!row) {
        await ensureStockRow(tx, sku, now);
        row = (await readStock(tx, sku, true))!;
      }
      const d = delta(row.onHand);
      if (d !== 0) {
        await writeOnHand(tx, sku, row.onHand + d, now);
        await insertMovement(tx, { sku, type, qty: d, orderId: null, onHandAfter: row.onHand + d, at: now });
      }
      const [item] = await tx.select(inventoryColumns).from(t.inventory).where(eq(t.inventory.sku, sku));
      return item!;
    });
  }

  return {
    createOrder(sku, qty, now, planner, idempotent) {
      return c.tx(async (tx) => {
        const [order] = await tx.insert(t.orders).values({ sku, qty, status: 'pending', supplierChecks: 0, createdAt: now, updatedAt: now }).returning();
        const applied = await applyPlan(tx, order!, planner(order!), now);
        if (idempotent) await completeIdempotency(tx, idempotent, applied.order);
        return applied;
      });
    },

    applyToOrder: change,

    createOrderLines(lines, now, planner, idempotent) {
      return c.tx(async (tx) => {
        const qty = lines.reduce((n, l) => n + l.qty, 0);
        const [parent] = await tx
          .insert(t.orders)
          .values({ sku: parentSku(lines), qty, status: 'pending', supplierChecks: 0, lineCount: lines.length, createdAt: now, updatedAt: now })
          .returning();
        const rows = await tx
          .insert(t.orders)
          .values(
            lines.map((l, i) => ({
              sku: l.sku,
              qty: l.qty,
              status: 'pending' as const,
              supplierChecks: 0,
              parentId: parent!.id,
              lineNo: i + 1,
              createdAt: now,
              updatedAt: now,
            })),
          )
          .returning();
        rows.sort((a, b) => (a.lineNo ?? 0) - (b.lineNo ?? 0));
        const applied = await applyPlan(tx, parent!, planner(parent!), now);
        // each line's own creation (the one-line invariants hold for a line: docs/design.md §6)
        await tx
          .insert(t.orderEvents)
          .values(rows.map((r) => ({ orderId: r.id, at: now, type: 'OrderCreated', data: { sku: r.sku, qty: r.qty, line: r.lineNo, orderId: parent!.id } })));
        for (const r of rows)
          applied.events.push({ orderId: parent!.id, at: now, type: 'OrderCreated', data: { sku: r.sku, qty: r.qty, line: r.lineNo, orderId: parent!.id } });
        applied.order = { ...applied.order, lines: rows };
        if (idempotent) await completeIdempotency(tx, idempotent, applied.order);
        return applied;
      });
    },

    applyToLines: changeLines,

    getLines(orderId) {
      return c.read(async () => await db.select().from(t.orders).where(eq(t.orders.parentId, orderId)).orderBy(asc(t.orders.lineNo)));
    },

    getOrder(id) {
      return c.read(async () => (await db.select().from(t.orders).where(eq(t.orders.id, id)))[0] ?? null);
    },

    countOrders() {
      // the lines of multi-line orders are not orders of their own: their count (a partial index) comes off
      return c.read(async () => {
        const counts = countsByStatus(await db.select({ status: t.orders.status, n: count() }).from(t.orders).groupBy(t.orders.status));
        const lines = await db.select({ status: t.orders.status, n: count() }).from(t.orders).where(isNotNull(t.orders.parentId)).groupBy(t.orders.status);
        for (const r of lines) counts[r.status] -= Number(r.n);
        return counts;
      });
    },

    readEvents(afterId, limit) {
      // ids are handed out before commit: an event may commit after a higher one (app/stats.ts reads back a window)
      return c.read(async () =>
        (await db.select().from(t.orderEvents).where(gt(t.orderEvents.id, afterId)).orderBy(asc(t.orderEvents.id)).limit(limit)).map((r) => ({
          id: r.id,
          orderId: r.orderId,
          at: r.at,
          type: r.type as TimelineEvent['type'],
          data: r.data as Record<string, unknown>,
        })),
      );
    },

    getTimeline(orderId, o) {
      // a multi-line order's: its lines' events with its own, told as the order's
      const which = o?.lines
        ? sql`${t.orderEvents.orderId} IN (SELECT ${orderId}::int UNION ALL SELECT id FROM orders WHERE parent_id = ${orderId})`
        : eq(t.orderEvents.orderId, orderId);
      return c.read(async () =>
        (await db.select().from(t.orderEvents).where(which).orderBy(asc(t.orderEvents.id))).map((r) => ({
          orderId,
          at: r.at,
          type: r.type as TimelineEvent['type'],
          data: r.data as Record<string, unknown>,
        })),
      );
    },

    listOrders({ status, limit = 100, cursor, order = 'oldest' }) {
      return c.read(async () => {
        const rows = await db
          .select()
          .from(t.orders)
          .where(
            and(
              isNull(t.orders.parentId),
              status ? eq(t.orders.status, status) : undefined,
              cursor !== undefined ? (order === 'newest' ? lt(t.orders.id, cursor) : gt(t.orders.id, cursor)) : undefined,
            ),
          )
          .orderBy(order === 'newest' ? desc(t.orders.id) : asc(t.orders.id))
          .limit(limit + 1);
        const page = rows.slice(0, limit);
        return { orders: page, nextCursor: rows.length > limit ? page.at(-1)!.id : null } satisfies OrderPage;
      });
    },

    setOnHand(sku, onHand, now) {
      return adjust(sku, now, (current) => adjustmentFor(current, onHand), 'adjustment');
    },

    addStock(sku, qty, now) {
      return adjust(sku, now, () => qty, 'restock');
    },

    getInventory(sku) {
      return c.read(async () => (await db.select(inventoryColumns).from(t.inventory).where(eq(t.inventory.sku, sku)))[0] ?? null);
    },

    listInventory() {
      return c.read(() => db.select(inventoryColumns).from(t.inventory).orderBy(asc(t.inventory.sku)));
    },

    listMovements(sku) {
      return c.read(() => db.select().from(t.movements).where(eq(t.movements.sku, sku)).orderBy(asc(t.movements.id)));
    },

    async audit() {
      // answered from the last audit while the server's snapshot has not moved (audit.ts says why that is sound)
      const version = (await c.read(() => c.pool.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s'))).rows[0]!.s;
      if (checked?.version === version) {
        audits.cached++;
        return checked.violations;
      }
      // checks asked for at once on the same snapshot share one audit (its own snapshot is that one or later)
      if (running?.version === version) {
        audits.cached++;
        return (await running.result).violations;
      }
      audits.run++;
      const started = { version, result: auditPostgresAt(c) };
      running = started;
      try {
        const result = await started.result;
        checked = { version: result.snapshot, violations: result.violations };
        return result.violations;
      } finally {
        if (running === started) running = null;
      }
    },

    async ping() {
      await c.read(() => c.pool.query('SELECT 1'));
    },

    health() {
      return c.health();
    },

    info() {
      return c.read(async () => {
        const r = await c.pool.query<{ v: string; iso: string }>(
          `SELECT current_setting('server_version') AS v, current_setting('transaction_isolation') AS iso`,
        );
        return {
          database: 'postgres',
          url: c.label,
          schema: c.schema,
          serverVersion: r.rows[0]?.v ?? '',
          isolation: r.rows[0]?.iso ?? '',
          reserveStrategy: opts.strategy,
          poolSize: c.pool.options.max ?? 10,
          ...c.counters,
          /** audits run, and audits answered from the last one because the snapshot had not moved */
          auditsRun: audits.run,
          auditsCached: audits.cached,
        };
      });
    },
  };
}
