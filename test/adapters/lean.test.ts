/**
 * src/adapters/sqlite/lean.ts: the SQLite adapter's prepared statements answered from a plan made
 * once instead of drizzle's per-call work. They must answer exactly as drizzle does: the same
 * arguments bound, the same rows mapped, the same values decoded, and the statements it cannot plan
 * left to drizzle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openConnection, type Connection } from '../../src/adapters/sqlite/connection.js';
import { drizzle, eq, integer, sql, sqliteTable, text } from '../../src/adapters/sqlite/drizzle.js';
import { lean, type Calls } from '../../src/adapters/sqlite/lean.js';
import * as t from '../../src/adapters/sqlite/schema.js';
import { prepareStatements, type Statements } from '../../src/adapters/sqlite/statements.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lean-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const isDrizzles = (s: unknown) => Object.getPrototypeOf(s) !== Object.prototype;

/** what a call gave, comparable across two databases (a RunResult's fields, rows as they are) */
const plain = (r: unknown): unknown => {
  if (!r || typeof r !== 'object' || !('changes' in r)) return r;
  const { changes, lastInsertRowid } = r as Database.RunResult;
  return { changes, lastInsertRowid: Number(lastInsertRowid) };
};

/** One order's life on the hot path and the reads around it, through `q`; every answer in order. */
function script(q: Statements): unknown[] {
  const out: unknown[] = [];
  const call = (r: unknown) => out.push(plain(r));
  const now = 1_000;
  call(q.insertInventory.run({ sku: 'A', now }));
  call(q.updateOnHand.run({ sku: 'A', onHand: 5, now }));
  call(q.stock.get({ sku: 'A' }));
  call(q.inventoryItem.get({ sku: 'A' }));
  const order = q.insertOrder.get({ sku: 'A', qty: 2, now }) as { id: number };
  call(order);
  call(q.insertEvent.run({ orderId: order.id, at: now, type: 'OrderCreated', data: '{"sku":"A","qty":2}' }));
  call(q.insertJob.get({ type: 'ReserveInventory', orderId: order.id, payload: '{}', runAt: now, maxAttempts: 5, virtual: 0, headers: '{}', now }));
  call(q.anyDue.get({ now }));
  call(q.countJobs.get());
  const [job] = q.claimDue.all({ now, limit: 4, workerId: 'w1', lockedUntil: now + 30_000 }) as Array<{ id: number; lockedBy: string }>;
  call(job);
  call(q.jobById.get({ id: job!.id }));
  call(q.supplierAsked.get({ orderId: order.id }));
  call(q.orderById.get({ id: order.id }));
  call(q.updateOrder.run({ id: order.id, status: 'reserved', supplierRef: null, supplierChecks: 0, failureReason: null, updatedAt: now + 1 }));
  call(q.addOnHandIfEnough.get({ sku: 'A', qty: -2, now: now + 1 }));
  call(q.addOnHandIfEnough.get({ sku: 'A', qty: -100, now: now + 1 })); // refused: no row
  call(q.insertMovement.run({ sku: 'A', type: 'reservation', qty: -2, orderId: order.id, onHandAfter: 3, at: now + 1 }));
  call(
    q.insertTwoEvents.run({
      orderId: order.id,
      at: now + 1,
      type1: 'InventoryReserved',
      data1: '{"source":"stock"}',
      type2: 'OrderReserved',
      data2: '{}',
    }),
  );
  call(q.completeLeased.run({ id: job!.id, token: 'someone else' })); // not the lease: nothing
  call(q.completeLeased.run({ id: job!.id, token: job!.lockedBy }));
  call(q.timeline.all({ orderId: order.id }));
  call(q.eventsAfter.all({ afterId: 0, limit: 2 }));
  call(q.timelineWithLines.all({ orderId: order.id }));
  call(q.countLines.all());
  call(q.orderById.get({ id: order.id }));
  call(q.onHand.get({ sku: 'A' }));
  call(q.orderById.get({ id: 999 })); // absent: undefined
  // a step's reads: the order, its stock, and the supplier asked (with a key, then without one)
  call(q.orderStep.get({ id: order.id }));
  call(q.insertEvent.run({ orderId: order.id, at: now + 2, type: 'SupplierReservationRequested', data: '{"qty":2,"key":"order-1.ab"}' }));
  call(q.insertEvent.run({ orderId: order.id, at: now + 3, type: 'SupplierReservationRequested', data: '{"qty":2}' }));
  call(q.orderStep.get({ id: order.id }));
  const elsewhere = q.insertOrder.get({ sku: 'NO-ROW', qty: 1, now }) as { id: number };
  call(q.orderStep.get({ id: elsewhere.id }));
  return out;
}

const dump = (raw: Database.Database) =>
  Object.fromEntries(
    ['orders', 'order_events', 'jobs', 'inventory', 'movements'].map((table) => [table, raw.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()]),
  );

describe("the SQLite adapter's lean statements", () => {
  it('answer every statement of the adapter from a plan (none is left to drizzle)', async () => {
    const c = await openConnection({ file: join(dir, 'a.db'), durability: 'normal', quickCheck: false });
    try {
      const left = Object.entries(c.q).filter(([, s]) => isDrizzles(s));
      expect(left.map(([name]) => name)).toEqual([]);
      // and each still tells its SQL, as drizzle's own does
      const own = prepareStatements(c.db);
      for (const [name, s] of Object.entries(c.q))
        expect((s as unknown as { getQuery(): unknown }).getQuery(), name).toEqual(own[name as keyof Statements].getQuery());
    } finally {
      c.close();
    }
  });

  it("answer as drizzle's own prepared queries do, and write the same rows", async () => {
    const a: Connection = await openConnection({ file: join(dir, 'drizzle.db'), durability: 'normal', quickCheck: false });
    const b: Connection = await openConnection({ file: join(dir, 'lean.db'), durability: 'normal', quickCheck: false });
    try {
      const own = prepareStatements(a.db);
      expect(isDrizzles(own.orderById)).toBe(true);
      const byDrizzle = script(own);
      const byLean = script(b.q);
      expect(byLean).toEqual(byDrizzle);
      // the script reached what it meant to: an order reserved, a row refused, a lease kept
      expect(byLean).toContainEqual(expect.objectContaining({ sku: 'A', qty: 2, status: 'reserved' }));
      expect(byLean).toContainEqual({ onHand: 3 });
      expect(byLean).toContainEqual(expect.objectContaining({ sku: 'A', onHand: 3, asked: 0, askedKey: null }));
      expect(byLean).toContainEqual(expect.objectContaining({ sku: 'A', onHand: 3, asked: 1, askedKey: 'order-1.ab' }));
      expect(byLean).toContainEqual(expect.objectContaining({ sku: 'NO-ROW', onHand: null, version: null, asked: 0 }));
      // no row: the refused update, the supplier never asked, the absent order
      expect(byLean.filter((r) => r === undefined)).toHaveLength(3);
      expect(dump(b.raw)).toEqual(dump(a.raw));
      expect(dump(b.raw).jobs).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
  });

  it("decode and encode values through drizzle's columns and sql types", () => {
    const raw = new Database(':memory:');
    try {
      raw.exec(`CREATE TABLE things (id INTEGER PRIMARY KEY, flag INTEGER NOT NULL, doc TEXT, at INTEGER)`);
      const things = sqliteTable('things', {
        id: integer('id').primaryKey(),
        flag: integer('flag', { mode: 'boolean' }).notNull(),
        doc: text('doc', { mode: 'json' }).$type<{ n: number }>(),
        at: integer('at', { mode: 'timestamp_ms' }),
      });
      const db = drizzle(raw);
      const at = new Date(1_700_000_000_123);
      const insert = db
        .insert(things)
        .values({ flag: sql.placeholder('flag'), doc: sql.placeholder('doc'), at: sql.placeholder('at') })
        .returning()
        .prepare();
      const select = db
        .select({ id: things.id, flag: things.flag, doc: things.doc, at: things.at, twice: sql<number>`${things.id} * 2`.mapWith(String) })
        .from(things)
        .where(eq(things.flag, sql.placeholder('flag')))
        .prepare();
      const leanInsert = lean(insert as Calls);
      const leanSelect = lean(select as Calls);
      expect(isDrizzles(leanInsert) || isDrizzles(leanSelect)).toBe(false);

      // each value through both: the same row stored (1/0, JSON text, milliseconds) and returned
      for (const values of [
        { flag: true, doc: { n: 1 }, at },
        { flag: false, doc: null, at: new Date(5) },
      ]) {
        const { id: byDrizzle, ...mine } = insert.get(values);
        const { id: byLean, ...theirs } = leanInsert.get(values) as typeof mine & { id: number };
        expect(theirs).toEqual(mine);
        const stored = raw.prepare<[number], object>('SELECT flag, doc, at FROM things WHERE id = ?');
        expect(stored.get(byLean)).toEqual(stored.get(byDrizzle));
      }
      expect(raw.prepare('SELECT flag, doc, at FROM things WHERE id = 2').get()).toEqual({ flag: 1, doc: '{"n":1}', at: at.getTime() });
      // a placeholder compared with a column is bound as it is, by drizzle too: 1/0 here
      for (const flag of [1, 0]) expect(leanSelect.all({ flag })).toEqual(select.all({ flag }));
      expect(leanSelect.get({ flag: 1 })).toEqual({ id: 1, flag: true, doc: { n: 1 }, at, twice: '2' });
      expect(leanSelect.all({ flag: 0 })).toHaveLength(2);
    } finally {
      raw.close();
    }
  });

  it("refuses a missing placeholder as drizzle does, and leaves a joined table's selection to drizzle", async () => {
    const c = await openConnection({ file: join(dir, 'a.db'), durability: 'normal', quickCheck: false });
    try {
      expect(() => c.q.orderById.get({})).toThrow('No value for placeholder "id" was provided');
      expect(() => prepareStatements(c.db).orderById.get({})).toThrow('No value for placeholder "id" was provided');
      // { order, events }: drizzle nulls an absent left-joined row; the plan does not cover that
      const joined = c.db
        .select({ order: t.orders, event: t.orderEvents })
        .from(t.orders)
        .leftJoin(t.orderEvents, eq(t.orderEvents.orderId, t.orders.id))
        .where(eq(t.orders.id, sql.placeholder('id')))
        .prepare();
      expect(lean(joined as Calls)).toBe(joined);
    } finally {
      c.close();
    }
  });
});
