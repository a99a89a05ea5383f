/**
 * Several `warehouse work` processes racing on one SQLite file and one hot SKU: no SQLITE_BUSY
 * reaches anyone, no oversell, no job runs twice, every order ends final.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createWarehouse } from '../../src/wiring/warehouse.js';
import { checkInvariants, runCli, tempDb } from '../helpers.js';

describe('three worker processes on one hot SKU', () => {
  it('reserve exactly the stock there is and settle every order once', async () => {
    const db = tempDb();
    const w = await createWarehouse({ database: db, clock: 'real' });
    await w.inventory.set('HOT', 50);
    for (let i = 0; i < 150; i++) await w.orders.create({ sku: 'HOT', qty: 1 });
    await w.close();

    const runs = await Promise.all([1, 2, 3].map(() => runCli(['--db', db, '--json', 'work', '--until-idle', '--supplier-reserve', 'rejected'])));
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/SQLITE_BUSY|locked/);
    }
    const ran = runs.map((r) => JSON.parse(r.stdout).jobsRun as number);
    expect(ran.reduce((a, b) => a + b, 0)).toBe(150);

    const raw = new Database(db, { readonly: true });
    const byStatus = raw.prepare(`SELECT status, failure_reason AS reason, COUNT(*) AS n FROM orders GROUP BY status, failure_reason ORDER BY status`).all();
    expect(byStatus).toEqual([
      { status: 'failed', reason: 'supplier_rejected', n: 100 },
      { status: 'reserved', reason: null, n: 50 },
    ]);
    expect(raw.prepare(`SELECT on_hand FROM inventory WHERE sku = 'HOT'`).get()).toEqual({ on_hand: 0 });
    const doubled = raw.prepare(`SELECT order_id, type, COUNT(*) AS n FROM order_events GROUP BY order_id, type HAVING n > 1`).all();
    expect(doubled).toEqual([]);
    raw.close();
    expect(checkInvariants(db)).toEqual([]);
  });
});
