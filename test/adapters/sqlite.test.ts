import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openConnection } from '../../src/adapters/sqlite/connection.js';
import { openSqliteBackend } from '../../src/adapters/sqlite/index.js';
import { DatabaseError, LeaseLostError } from '../../src/domain/errors.js';
import { ORDER_STATUSES, canTransition } from '../../src/domain/order.js';
import { planCreateOrder } from '../../src/domain/plans.js';
import { tempDb } from '../helpers.js';

/** A migrated SQLite backend on a temp file, and a raw connection of the test's own to the same file. */
async function rawDb() {
  const file = tempDb();
  const backend = await openSqliteBackend({ file });
  const db = new Database(file);
  return { file, store: backend.store, queue: backend.queue, db, close: async () => (db.close(), backend.close()) };
}

function insertOrder(db: Database.Database, status = 'pending') {
  return Number(
    db.prepare(`INSERT INTO orders (sku, qty, status, supplier_checks, created_at, updated_at) VALUES ('A', 1, ?, 0, 0, 0)`).run(status).lastInsertRowid,
  );
}

/** The legal steps from pending to each status. */
const PATH_TO: Record<string, string[]> = {
  awaiting_restock: ['awaiting_restock'],
  reserved: ['reserved'],
  failed: ['failed'],
  cancelling: ['cancelling'],
  cancelled: ['cancelled'],
  expired: ['reserved', 'expired'],
  fulfilled: ['reserved', 'fulfilled'],
};

/** Walks a fresh order to `status` through legal steps. */
function orderIn(db: Database.Database, status: string): number {
  const id = insertOrder(db);
  const set = (s: string, reason: string | null) => db.prepare(`UPDATE orders SET status = ?, failure_reason = ? WHERE id = ?`).run(s, reason, id);
  for (const step of PATH_TO[status] ?? []) set(step, step === 'failed' ? 'supplier_failed' : null);
  return id;
}

describe('the SQLite database itself', () => {
  it('creates and migrates a new file on first open, in WAL mode with synchronous=FULL', async () => {
    const { file, store, db, close } = await rawDb();
    expect(existsSync(file)).toBe(true);
    expect(await store.info()).toMatchObject({ journalMode: 'wal', synchronous: 2 });
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['orders', 'inventory', 'movements', 'order_events', 'jobs', 'dead_letters']));
    const migrations = () => (db.prepare('SELECT COUNT(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
    const applied = migrations();
    expect(applied).toBeGreaterThanOrEqual(4);
    // reopening applies nothing twice
    const again = await openSqliteBackend({ file });
    expect(migrations()).toBe(applied);
    await again.close();
    await close();
  });

  it('commits the writes asked for in one turn together by default, and one by one with groupCommit: false', async () => {
    for (const [groupCommit, commits] of [
      [undefined, 1],
      [false, 3],
    ] as const) {
      const c = await openConnection({ file: tempDb(), groupCommit });
      c.raw.exec('CREATE TABLE t (n INTEGER)');
      const insert = c.raw.prepare('INSERT INTO t VALUES (?)');
      const before = c.commits;
      // the second write fails: under group commit it rolls back alone (its SAVEPOINT), the others commit
      const results = await Promise.allSettled([
        c.write(() => insert.run(1)),
        c.write(() => {
          insert.run(2);
          throw new Error('refused');
        }),
        c.write(() => insert.run(3)),
        c.write(() => insert.run(4)),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(c.commits - before, `groupCommit: ${groupCommit}`).toBe(commits);
      expect(c.raw.prepare('SELECT n FROM t ORDER BY n').pluck().all()).toEqual([1, 3, 4]);
      // the batch ran once without savepoints, met the throw, and ran again with them
      expect(c.reruns, `groupCommit: ${groupCommit}`).toBe(groupCommit === false ? 0 : 1);
      c.close();
    }
  });

  it('runs a group-commit batch once when no write throws, and each write of a rerun batch sees only its own effects', async () => {
    const c = await openConnection({ file: tempDb() });
    c.raw.exec('CREATE TABLE t (n INTEGER)');
    const insert = c.raw.prepare('INSERT INTO t VALUES (?)');
    const count = c.raw.prepare('SELECT count(*) FROM t').pluck();
    const runs = [0, 0, 0];
    // each write reads what the writes before it left: the same on the rerun as on the first run
    const seen: number[][] = [[], [], []];
    const write = (i: number, fail = false) =>
      c.write(() => {
        runs[i]!++;
        seen[i]!.push(count.get() as number);
        insert.run(i);
        if (fail) throw new Error('refused');
        return count.get();
      });
    expect(await Promise.all([write(0), write(1), write(2)])).toEqual([1, 2, 3]);
    expect(runs).toEqual([1, 1, 1]);
    expect(c.reruns).toBe(0);

    runs.fill(0);
    seen.forEach((s) => (s.length = 0));
    const results = await Promise.allSettled([write(0), write(1, true), write(2)]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual([4, 'rejected', 5]);
    // the first run stopped at the throw (write 2 never ran in it); the rerun ran all three
    expect(runs).toEqual([2, 2, 1]);
    expect(seen).toEqual([[3, 3], [4, 4], [4]]);
    expect(c.reruns).toBe(1);
    expect(count.get()).toBe(5);
    c.close();
  });

  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      if (from === to) continue;
      const legal = canTransition(from, to);
      it(`${legal ? 'accepts' : 'refuses'} raw SQL moving an order ${from} → ${to}`, async () => {
        const { db } = await rawDb();
        const id = orderIn(db, from);
        const reason = to === 'failed' ? 'supplier_failed' : null;
        const attempt = () => db.prepare(`UPDATE orders SET status = ?, failure_reason = ? WHERE id = ?`).run(to, reason, id);
        if (legal) expect(attempt).not.toThrow();
        else expect(attempt).toThrow(/illegal order status transition|a final order never changes|CHECK constraint/);
      });
    }
  }

  it('refuses an order inserted in any state but pending', async () => {
    const { db } = await rawDb();
    expect(() => insertOrder(db, 'reserved')).toThrow(/starts pending/);
  });

  it('refuses a negative on-hand', async () => {
    const { db } = await rawDb();
    db.prepare(`INSERT INTO inventory (sku, on_hand, updated_at) VALUES ('A', 1, 0)`).run();
    expect(() => db.prepare(`UPDATE inventory SET on_hand = -1 WHERE sku = 'A'`).run()).toThrow(/CHECK constraint/);
  });

  it('refuses a second movement of the same type for one order', async () => {
    const { db } = await rawDb();
    const id = insertOrder(db);
    const add = () => db.prepare(`INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES ('A', 'reservation', -1, ?, 0, 0)`).run(id);
    add();
    expect(add).toThrow(/UNIQUE constraint/);
  });

  it('keeps movements append-only', async () => {
    const { db } = await rawDb();
    db.prepare(`INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES ('A', 'restock', 5, NULL, 5, 0)`).run();
    expect(() => db.prepare(`UPDATE movements SET qty = 6`).run()).toThrow(/append-only/);
    expect(() => db.prepare(`DELETE FROM movements`).run()).toThrow(/append-only/);
  });

  it('refuses to open a file that is not SQLite, and leaves it untouched', async () => {
    const file = tempDb();
    writeFileSync(file, 'just some text, not a database\n');
    await expect(openSqliteBackend({ file })).rejects.toThrow(DatabaseError);
    expect(readFileSync(file, 'utf8')).toBe('just some text, not a database\n');
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('reports a database locked past the busy timeout as a DatabaseError', async () => {
    const { file, close } = await rawDb();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const blocked = await openSqliteBackend({ file, busyTimeoutMs: 50 });
    await expect(blocked.store.setOnHand('A', 1, 0)).rejects.toThrow(/locked by another process/);
    other.exec('ROLLBACK');
    other.close();
    await blocked.close();
    await close();
  });

  it('discards the work of a runner whose lease passed to another', async () => {
    const { store, queue, close } = await rawDb();
    const created = await store.createOrder('A', 1, 0, () => planCreateOrder('A', 1, 0));
    expect(await queue.count()).toEqual({ queued: 1, running: 0, parked: 0, dead: 0 });
    const [mine] = await queue.claim(0, 1, 'runner-a', 1_000);
    expect(mine?.orderId).toBe(created.order.id);
    expect(await queue.count()).toEqual({ queued: 0, running: 1, parked: 0, dead: 0 });
    // runner-a goes silent; after its lease, runner-b takes the job over
    const [theirs] = await queue.claim(1_000, 1, 'runner-b', 1_000);
    expect(theirs?.id).toBe(mine!.id);
    expect(theirs?.runs).toBe(2);
    // a run cut short spends no attempt
    expect(theirs?.attempt).toBe(1);
    await expect(
      store.applyToOrder(
        created.order.id,
        1_001,
        () => ({ outcome: 'x', order: { status: 'failed', failureReason: 'supplier_failed' }, movements: [], events: [], jobs: [] }),
        {
          lease: mine!.lease,
          settle: { kind: 'complete' },
        },
      ),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect((await store.getOrder(created.order.id))?.status).toBe('pending');
    await close();
  });
});
