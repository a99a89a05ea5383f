/**
 * The SQLite adapter of the Store port (orders, inventory, movements, timeline). Each write is one
 * `BEGIN IMMEDIATE` transaction on the shared connection (connection.ts): the order's change, the
 * jobs its plan enqueues and the settlement of the job that made it commit together.
 *
 * Reservation strategies: the write lock of BEGIN IMMEDIATE covers the whole file, so every
 * strategy is correct here and all are serialised by the single writer; each still runs its own
 * SQL (see `reserveMove`). The difference between them shows on PostgreSQL.
 */
import { and, asc, count, desc, eq, gt, isNull, lt } from './drizzle.js';
import { DatabaseError, IdempotencyClaimLostError, NotFoundError } from '../../domain/errors.js';
import type { EventData, TimelineEvent } from '../../domain/events.js';
import { adjustmentFor, type Movement } from '../../domain/inventory.js';
import { assertNever, countsByStatus, type Order } from '../../domain/order.js';
import { applyOrderChange, type Plan, type Snapshot } from '../../domain/plans.js';
import { flatPlan, inLockOrder, type LineLockOrder, type LineSnapshot, type LinesPlan, parentSku } from '../../domain/lines.js';
import type { ReserveStrategy } from '../../domain/settings.js';
import type { JobStep } from '../../ports/queue.js';
import type { Applied, IdempotentResponse, OrderPage, Store, Violation } from '../../ports/store.js';
import { auditDatabase } from './audit.js';
import { auditOffThread } from './audit-thread.js';
import type { Connection } from './connection.js';
import { corruptMessage, integrityProblems } from './open.js';
import { limitOf } from './limit.js';
import { naiveApply, type NaivePause } from './naive.js';
import { enqueue, settle, type EnqueueOptions } from './outbox.js';
import * as t from './schema.js';
import { inventoryColumns } from './statements.js';

const toEvent = (r: typeof t.orderEvents.$inferSelect): TimelineEvent => ({
  orderId: r.orderId,
  at: r.at,
  type: r.type as TimelineEvent['type'],
  data: JSON.parse(r.data) as EventData,
});

/** Records `events` on an order's timeline, within the caller's transaction. */
export function insertEvents(c: Connection, orderId: number, now: number, events: Plan['events']): TimelineEvent[] {
  if (events.length === 2) {
    const [a, b] = events as [Plan['events'][number], Plan['events'][number]];
    c.q.insertTwoEvents.run({ orderId, at: now, type1: a.type, data1: JSON.stringify(a.data), type2: b.type, data2: JSON.stringify(b.data) });
    return [
      { orderId, at: now, type: a.type, data: a.data },
      { orderId, at: now, type: b.type, data: b.data },
    ];
  }
  return events.map((e) => {
    c.q.insertEvent.run({ orderId, at: now, type: e.type, data: JSON.stringify(e.data) });
    return { orderId, at: now, type: e.type, data: e.data };
  });
}

interface Stock {
  onHand: number;
  version: number;
}

const conflict = (sku: string) =>
  new DatabaseError(`the inventory row of ${sku} changed under the reservation; it will run again`, undefined, { fault: 'conflict' });

export function createSqliteStore(
  c: Connection,
  opts: EnqueueOptions & { strategy: ReserveStrategy; naive?: NaivePause; lineLockOrder?: LineLockOrder },
): Store {
  const { q, db } = c;
  /** the last audit's answer and the data's version it was read at (see `dataVersion`) */
  let checked: { version: string; violations: Violation[] } | null = null;
  let running: { version: string; result: Promise<Awaited<ReturnType<typeof auditOffThread>> | null> } | null = null;
  const audits = { run: 0, cached: 0 };
  /**
   * Changes whenever the data may have: `data_version` moves when another connection (another
   * process, the audit thread's never writes) commits; `total_changes()` counts this connection's
   * own row changes, which data_version does not see.
   */
  const dataVersion = () => c.read(() => `${c.raw.pragma('data_version', { simple: true })}:${c.raw.prepare('SELECT total_changes()').pluck().get()}`);

  function loadOrder(id: number): Order {
    const order = q.orderById.get({ id });
    if (!order) throw new NotFoundError('order', id);
    return order;
  }

  /** Snapshot.supplierAsked of the order (its first SupplierReservationRequested), read in the caller's transaction */
  function supplierAsked(orderId: number): Snapshot['supplierAsked'] {
    const row = q.supplierAsked.get({ orderId });
    return row ? { key: typeof row.key === 'string' ? row.key : null } : null;
  }

  /** A stock count or restock: one signed change of on-hand and its movement. Creates the row at 0. */
  function move(sku: string, type: Movement['type'], qty: number, orderId: number | null, now: number): number {
    const row = q.onHand.get({ sku });
    if (!row) q.insertInventory.run({ sku, now });
    const onHandAfter = (row?.onHand ?? 0) + qty;
    q.updateOnHand.run({ sku, onHand: onHandAfter, now });
    q.insertMovement.run({ sku, type, qty, orderId, onHandAfter, at: now });
    return onHandAfter;
  }

  /**
   * One movement of an order's reservation, as the strategy says (domain/settings.ts). Under
   * SQLite's single writer (`BEGIN IMMEDIATE`) the snapshot cannot change before the write, so the
   * optimistic and atomic statements never find the row changed; they run so that each strategy's
   * SQL is the one exercised, and a refusal would be a DatabaseError like PostgreSQL's.
   */
  function reserveMove(sku: string, type: Movement['type'], qty: number, orderId: number, now: number, stock: Stock | undefined): Stock {
    if (!stock) {
      q.insertInventory.run({ sku, now });
      stock = { onHand: 0, version: 0 };
    }
    let onHandAfter = stock.onHand + qty;
    switch (opts.strategy) {
      case 'pessimistic':
        q.updateOnHand.run({ sku, onHand: onHandAfter, now });
        break;
      case 'optimistic':
        if (q.updateOnHandAtVersion.run({ sku, onHand: onHandAfter, version: stock.version, now }).changes !== 1) throw conflict(sku);
        break;
      case 'atomic': {
        const row = q.addOnHandIfEnough.get({ sku, qty, now });
        if (!row) throw conflict(sku);
        onHandAfter = row.onHand;
        break;
      }
      default:
        assertNever(opts.strategy, 'reserve strategy');
    }
    q.insertMovement.run({ sku, type, qty, orderId, onHandAfter, at: now });
    return { onHand: onHandAfter, version: stock.version + 1 };
  }

  /** Apply a plan to a locked order, within the caller's transaction. */
  function applyPlan(order: Order, plan: Plan, now: number, step?: JobStep, stock?: Stock): Applied {
    // a runner that lost its job's lease changes nothing: settle throws and the transaction rolls back
    if (step) settle(c, step, plan, now);
    for (const type of plan.dropJobs ?? []) q.dropJobs.run({ orderId: order.id, type });
    const { after, from } = applyOrderChange(order, plan.order, now);
    if (after) q.updateOrder.run({ ...after });
    for (const m of plan.movements) stock = reserveMove(order.sku, m.type, m.qty, order.id, now, stock);
    const events = insertEvents(c, order.id, now, plan.events);
    const jobIds = enqueue(c, order.id, plan.jobs, now, opts);
    return { plan, order: after ?? order, from, events, jobIds };
  }

  /**
   * Apply a multi-line order's plan (domain/lines.ts) within the caller's transaction: the lines'
   * changes in the order their stock was read (by SKU), then the parent's. A line's events are
   * stored on the line's row and told as the order's (with `line`); every job goes on the order.
   */
  function applyLinesPlan(parent: Order, lines: LineSnapshot[], lp: LinesPlan, now: number, stocks: Map<string, Stock | undefined>, step?: JobStep): Applied {
    const flat = flatPlan(lp);
    if (step) settle(c, step, flat, now);
    const events: TimelineEvent[] = [];
    const jobIds: string[] = [];
    const linesAfter = new Map(lines.map((l) => [l.lineNo, l.order]));
    for (const l of lines) {
      const p = lp.lines.get(l.lineNo);
      if (!p) continue;
      const line = l.order;
      for (const type of p.dropJobs ?? []) q.dropLineJobs.run({ orderId: parent.id, type, line: l.lineNo });
      const { after } = applyOrderChange(line, p.order, now);
      if (after) {
        q.updateOrder.run({ ...after });
        linesAfter.set(l.lineNo, after);
      }
      let stock = stocks.get(line.sku);
      for (const m of p.movements) stock = reserveMove(line.sku, m.type, m.qty, line.id, now, stock);
      stocks.set(line.sku, stock);
      const tagged = p.events.map((e) => ({ ...e, data: { ...e.data, line: l.lineNo } }));
      for (const e of insertEvents(c, line.id, now, tagged)) events.push({ ...e, orderId: parent.id });
      jobIds.push(...enqueue(c, parent.id, p.jobs, now, opts));
    }
    for (const type of lp.order.dropJobs ?? []) q.dropLineJobs.run({ orderId: parent.id, type, line: 0 });
    const { after, from } = applyOrderChange(parent, lp.order.order, now);
    if (after) q.updateOrder.run({ ...after });
    events.push(...insertEvents(c, parent.id, now, lp.order.events));
    jobIds.push(...enqueue(c, parent.id, lp.order.jobs, now, opts));
    const byNumber = [...linesAfter.entries()].sort(([a], [b]) => a - b).map(([, o]) => o);
    return { plan: flat, order: { ...(after ?? parent), lines: byNumber }, from, events, jobIds };
  }

  /** A multi-line order's lines under the write lock, sorted as the lock order says, with their stock. */
  function readLines(parent: Order): { lines: LineSnapshot[]; stocks: Map<string, Stock | undefined> } {
    const rows = inLockOrder(q.linesOf.all({ parentId: parent.id }), opts.lineLockOrder);
    const stocks = new Map<string, Stock | undefined>();
    const lines = rows.map((order) => {
      const stock = q.stock.get({ sku: order.sku });
      stocks.set(order.sku, stock);
      let asked: Snapshot['supplierAsked'] | undefined;
      return {
        order,
        lineNo: order.lineNo ?? 0,
        onHand: stock?.onHand ?? 0,
        get supplierAsked() {
          if (asked === undefined) asked = supplierAsked(order.id);
          return asked;
        },
      } satisfies LineSnapshot;
    });
    return { lines, stocks };
  }

  /** Complete an Idempotency-Key record inside the caller's write transaction. */
  function storeResponse<T>(idempotent: IdempotentResponse<T>, result: T): void {
    const done = q.completeIdempotency.run({ key: idempotent.key, fingerprint: idempotent.fingerprint, ...idempotent.respond(result) });
    // the claim was lost (expired and taken over): roll the write back rather than do it twice
    if (done.changes !== 1) throw new IdempotencyClaimLostError(idempotent.key);
  }

  return {
    createOrder(sku, qty, now, planner, idempotent) {
      return c.write(() => {
        const order = q.insertOrder.get({ sku, qty, now })!;
        const applied = applyPlan(order, planner(order), now);
        if (idempotent) storeResponse(idempotent, applied.order);
        return applied;
      });
    },

    createOrderLines(lines, now, planner, idempotent) {
      return c.write(() => {
        const total = lines.reduce((n, l) => n + l.qty, 0);
        const parent = q.insertOrderRow.get({ sku: parentSku(lines), qty: total, lineCount: lines.length, parentId: null, lineNo: null, now })!;
        const rows = lines.map((l, i) => q.insertOrderRow.get({ sku: l.sku, qty: l.qty, lineCount: 0, parentId: parent.id, lineNo: i + 1, now })!);
        const applied = applyPlan(parent, planner(parent), now);
        // each line's own creation (the one-line invariants hold for a line: docs/design.md §6)
        for (const row of rows) {
          const [e] = insertEvents(c, row.id, now, [{ type: 'OrderCreated', data: { sku: row.sku, qty: row.qty, line: row.lineNo, orderId: parent.id } }]);
          applied.events.push({ ...e!, orderId: parent.id });
        }
        applied.order = { ...applied.order, lines: rows };
        if (idempotent) storeResponse(idempotent, applied.order);
        return applied;
      });
    },

    applyToLines(orderId, now, planner, step, idempotent) {
      return c.write(() => {
        const parent = loadOrder(orderId);
        const { lines, stocks } = readLines(parent);
        const applied = applyLinesPlan(parent, lines, planner({ order: parent, lines }), now, stocks, step);
        if (idempotent) storeResponse(idempotent, applied.order);
        return applied;
      });
    },

    async getLines(orderId) {
      return c.read(() => q.linesOf.all({ parentId: orderId }));
    },

    applyToOrder(orderId, now, planner, step, idempotent) {
      // teaching only: the lost update of naive.ts (never the strategy of a real run)
      if (opts.naive)
        return naiveApply(c, opts.naive, orderId, loadOrder, (order, stock) =>
          applyPlan(order, planner({ order, onHand: stock?.onHand ?? 0, supplierAsked: supplierAsked(orderId) }), now, step, stock),
        );
      return c.write(() => {
        // the order, its stock and whether the supplier was asked: one statement (statements.ts orderStep)
        const row = q.orderStep.get({ id: orderId });
        if (!row) throw new NotFoundError('order', orderId);
        const { onHand, version, asked, askedKey, ...order } = row;
        const inv = onHand === null || version === null ? undefined : { onHand, version };
        const snapshot: Snapshot = { order, onHand: onHand ?? 0, supplierAsked: asked ? { key: typeof askedKey === 'string' ? askedKey : null } : null };
        const applied = applyPlan(order, planner(snapshot), now, step, inv);
        if (idempotent) storeResponse(idempotent, applied.order);
        return applied;
      });
    },

    async getOrder(id) {
      return c.read(() => q.orderById.get({ id }) ?? null);
    },

    async getTimeline(orderId, opts) {
      if (!opts?.lines) return c.read(() => q.timeline.all({ orderId }).map(toEvent));
      // a line's events, told as the order's
      return c.read(() => q.timelineWithLines.all({ orderId }).map((r) => ({ ...toEvent(r), orderId })));
    },

    async readEvents(afterId, limit) {
      // SQLite has one writer: ids are given in commit order
      return c.read(() => q.eventsAfter.all({ afterId, limit }).map((r) => ({ id: r.id, ...toEvent(r) })));
    },

    async listOrders({ status, limit = 100, cursor, order = 'oldest' }) {
      return c.read(() => {
        const rows = db
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
          .limit(limitOf(limit + 1))
          .all();
        const page = rows.slice(0, limit);
        return { orders: page, nextCursor: rows.length > limit ? page.at(-1)!.id : null } satisfies OrderPage;
      });
    },

    async countOrders() {
      // one pass over the (status, id) index: no row is read
      // the lines of multi-line orders are not orders of their own: their count (a partial index) comes off
      return c.read(() => {
        const counts = countsByStatus(db.select({ status: t.orders.status, n: count() }).from(t.orders).groupBy(t.orders.status).all());
        for (const r of q.countLines.all()) counts[r.status] -= Number(r.n);
        return counts;
      });
    },

    setOnHand(sku, onHand, now) {
      return c.write(() => {
        const row = q.onHand.get({ sku });
        const delta = adjustmentFor(row?.onHand ?? 0, onHand);
        if (delta !== 0) move(sku, 'adjustment', delta, null, now);
        else if (!row) q.insertInventory.run({ sku, now });
        return q.inventoryItem.get({ sku })!;
      });
    },

    addStock(sku, qty, now, idempotent) {
      return c.write(() => {
        move(sku, 'restock', qty, null, now);
        const item = q.inventoryItem.get({ sku })!;
        if (idempotent) storeResponse(idempotent, item);
        return item;
      });
    },

    async getInventory(sku) {
      return c.read(() => q.inventoryItem.get({ sku }) ?? null);
    },

    async listInventory() {
      return c.read(() => db.select(inventoryColumns).from(t.inventory).orderBy(asc(t.inventory.sku)).all());
    },

    async listMovements(sku, { limit, cursor } = {}) {
      return c.read(() => {
        const query = db
          .select()
          .from(t.movements)
          .where(and(eq(t.movements.sku, sku), cursor !== undefined ? gt(t.movements.id, cursor) : undefined))
          .orderBy(asc(t.movements.id));
        return (limit !== undefined ? query.limit(limitOf(limit)) : query).all();
      });
    },

    async audit() {
      // a file: on a worker thread, so that a large database does not hold this thread (audit-thread.ts),
      // and not again while the data has not changed since (the dashboard asks after every change)
      if (c.file !== ':memory:' && !c.file.startsWith('file:')) {
        const version = await dataVersion();
        if (checked?.version === version) {
          audits.cached++;
          return checked.violations;
        }
        // checks asked for at once, on the same data, share one audit
        let run = running?.version === version ? running : null;
        if (run) audits.cached++;
        else {
          audits.run++;
          const started = { version, result: auditOffThread(c.file).catch(() => null) };
          running = run = started;
          void started.result.finally(() => {
            if (running === started) running = null;
          });
        }
        const result = await run.result;
        if (result && 'violations' in result) {
          // the version read before the audit began: a write during it makes the next check run again
          checked = { version, violations: result.violations };
          return result.violations;
        }
        // damage, or the thread could not read the file: the same check again here, which says what is wrong
      }
      checked = null;
      // SQLite's own check first: on a damaged file the rules below would report its symptoms
      const damage = await c.read(() => integrityProblems(c.raw, 'integrity_check'));
      if (damage.length > 0) return [{ rule: 'database-intact', message: corruptMessage(c.file, damage.slice(0, 5).join('; ')), ids: {} }];
      // one read transaction, so the checks see one consistent state
      return c.read(() => c.raw.transaction(() => auditDatabase(c.raw)).deferred());
    },

    health: () => c.health(),

    async ping() {
      if (c.corrupt) throw c.corrupt;
      await c.read(() => c.raw.prepare('SELECT 1').get());
    },

    async info() {
      return c.read(() => ({
        database: 'sqlite',
        file: c.file,
        journalMode: String(c.raw.pragma('journal_mode', { simple: true })),
        /** 2 = FULL, 1 = NORMAL */
        synchronous: Number(c.raw.pragma('synchronous', { simple: true })),
        sqliteVersion: String(c.raw.prepare('SELECT sqlite_version() AS v').pluck().get()),
        /** audits run on the file, and audits answered from the last one because the data had not changed */
        auditsRun: audits.run,
        auditsCached: audits.cached,
        /** write transactions this process committed on the file (a group-commit batch counts once) */
        commits: c.commits,
        /** group-commit batches run again, with a savepoint per write, because one of their writes threw */
        batchReruns: c.reruns,
      }));
    },
  };
}
