import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/store.js';
import { DatabaseError, LeaseLostError } from '../../src/domain/errors.js';
import { ORDER_STATUSES, canTransition } from '../../src/domain/order.js';
import { planCreateOrder } from '../../src/domain/plans.js';
import { tempDb } from '../helpers.js';

function rawDb() {
  const file = tempDb();
  const store = openSqliteStore({ file });
  return { file, store, db: store.raw };
}

function insertOrder(db: Database.Database, status = 'pending') {
  return Number(
    db.prepare(`INSERT INTO orders (sku, qty, status, supplier_checks, created_at, updated_at) VALUES ('A', 1, ?, 0, 0, 0)`).run(status).lastInsertRowid,
  );
}

/** Walks a fresh order to `status` through legal steps. */
function orderIn(db: Database.Database, status: string): number {
  const id = insertOrder(db);
  const set = (s: string, reason: string | null) => db.prepare(`UPDATE orders SET status = ?, failure_reason = ? WHERE id = ?`).run(s, reason, id);
  if (status === 'awaiting_restock') set('awaiting_restock', null);
  if (status === 'reserved') set('reserved', null);
  if (status === 'failed') set('failed', 'supplier_failed');
  return id;
}

describe('the SQLite database itself', () => {
  it('creates and migrates a new file on first open, in WAL mode with synchronous=FULL', async () => {
    const { file, store, db } = rawDb();
    expect(existsSync(file)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['orders', 'inventory', 'movements', 'order_events', 'jobs', 'dead_letters']));
    await store.close();
    // reopening applies nothing twice
    const again = openSqliteStore({ file });
    expect((again.raw.prepare('SELECT COUNT(*) AS n FROM __drizzle_migrations').get() as { n: number }).n).toBeGreaterThanOrEqual(2);
    await again.close();
  });

  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      if (from === to) continue;
      const legal = canTransition(from, to);
      it(`${legal ? 'accepts' : 'refuses'} raw SQL moving an order ${from} → ${to}`, () => {
        const { db } = rawDb();
        const id = orderIn(db, from);
        const reason = to === 'failed' ? 'supplier_failed' : null;
        const attempt = () => db.prepare(`UPDATE orders SET status = ?, failure_reason = ? WHERE id = ?`).run(to, reason, id);
        if (legal) expect(attempt).not.toThrow();
        else expect(attempt).toThrow(/illegal order status transition|a final order never changes|CHECK constraint/);
      });
    }
  }

  it('refuses an order inserted in any state but pending', () => {
    const { db } = rawDb();
    expect(() => insertOrder(db, 'reserved')).toThrow(/starts pending/);
  });

  it('refuses a negative on-hand', () => {
    const { db } = rawDb();
    db.prepare(`INSERT INTO inventory (sku, on_hand, updated_at) VALUES ('A', 1, 0)`).run();
    expect(() => db.prepare(`UPDATE inventory SET on_hand = -1 WHERE sku = 'A'`).run()).toThrow(/CHECK constraint/);
  });

  it('refuses a second movement of the same type for one order', () => {
    const { db } = rawDb();
    const id = insertOrder(db);
    const add = () => db.prepare(`INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES ('A', 'reservation', -1, ?, 0, 0)`).run(id);
    add();
    expect(add).toThrow(/UNIQUE constraint/);
  });

  it('keeps movements append-only', () => {
    const { db } = rawDb();
    db.prepare(`INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES ('A', 'restock', 5, NULL, 5, 0)`).run();
    expect(() => db.prepare(`UPDATE movements SET qty = 6`).run()).toThrow(/append-only/);
    expect(() => db.prepare(`DELETE FROM movements`).run()).toThrow(/append-only/);
  });

  it('refuses to open a file that is not SQLite, and leaves it untouched', () => {
    const file = tempDb();
    writeFileSync(file, 'just some text, not a database\n');
    expect(() => openSqliteStore({ file })).toThrow(DatabaseError);
    expect(readFileSync(file, 'utf8')).toBe('just some text, not a database\n');
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('reports a database locked past the busy timeout as a DatabaseError', async () => {
    const { file, store } = rawDb();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const blocked = openSqliteStore({ file, busyTimeoutMs: 50 });
    await expect(blocked.setOnHand('A', 1, 0)).rejects.toThrow(/locked by another process/);
    other.exec('ROLLBACK');
    other.close();
    await blocked.close();
    await store.close();
  });

  it('discards the work of a runner whose lease passed to another', async () => {
    const { store } = rawDb();
    const created = await store.createOrder('A', 1, 0, () => ({ ...planCreateOrder('A', 1), jobs: [{ type: 'ReserveInventory', runAt: 0, payload: {} }] }));
    expect(await store.countJobs()).toEqual({ queued: 1, running: 0, dead: 0 });
    const [mine] = await store.claim(0, 1, 'runner-a', 1_000);
    expect(mine?.orderId).toBe(created.order.id);
    expect(await store.countJobs()).toEqual({ queued: 0, running: 1, dead: 0 });
    // runner-a goes silent; after its lease, runner-b takes the job over
    const [theirs] = await store.claim(1_000, 1, 'runner-b', 1_000);
    expect(theirs?.id).toBe(mine!.id);
    expect(theirs?.attempts).toBe(2);
    await expect(
      store.applyToOrder(created.order.id, 1_001, () => ({ outcome: 'x', order: { status: 'failed', failureReason: 'supplier_failed' }, movements: [], events: [], jobs: [], completeJob: true }), {
        jobId: mine!.id,
        workerId: 'runner-a',
        mode: 'complete',
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect((await store.getOrder(created.order.id))?.status).toBe('pending');
  });
});
