/** kill -9 at random moments loses no order and duplicates nothing (docs/design.md §6). */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checkInvariants, tempDb } from '../helpers.js';
import { crashRun, seedOrders } from './crash-harness.js';

describe('workers killed with SIGKILL mid-flight', () => {
  it('leave every order final, once, with the invariants intact', async () => {
    const db = tempDb();
    const ids = await seedOrders(db, 60);
    const stats = await crashRun({ db, orders: ids.length, workers: 2, kills: 4, seed: 11 });
    expect(stats.drainCode).toBe(0);
    expect(stats.kills).toBeGreaterThanOrEqual(4);

    const raw = new Database(db, { readonly: true });
    const open = raw.prepare(`SELECT id, status FROM orders WHERE status NOT IN ('reserved', 'failed')`).all();
    expect(open).toEqual([]);
    expect((raw.prepare('SELECT COUNT(*) AS n FROM orders').get() as { n: number }).n).toBe(ids.length);
    const settledTwice = raw
      .prepare(`SELECT order_id, COUNT(*) AS n FROM order_events WHERE type IN ('OrderReserved', 'OrderFailed') GROUP BY order_id HAVING n <> 1`)
      .all();
    expect(settledTwice).toEqual([]);
    // with 20 attempts and a supplier that always recovers, nothing should have failed
    expect(raw.prepare(`SELECT COUNT(*) AS n FROM orders WHERE status = 'failed'`).get()).toEqual({ n: 0 });
    raw.close();
    expect(checkInvariants(db)).toEqual([]);
  }, 120_000);
});
