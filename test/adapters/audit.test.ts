/** `warehouse check`'s rules: each one is shown to fire on a database broken in its way. */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { auditDatabase } from '../../src/adapters/sqlite/audit.js';
import { checkInvariants, runCli, tempDb, testWarehouse } from '../helpers.js';

/** A healthy database with one reserved order, then the triggers dropped so it can be broken. */
async function healthy() {
  const file = tempDb();
  const w = await testWarehouse({ db: file });
  await w.inventory.set('A', 5);
  const order = await w.orders.create({ sku: 'A', qty: 2 });
  await w.runner.runUntilIdle();
  await w.close();
  const db = new Database(file);
  for (const t of [
    'movements_append_only_update',
    'movements_append_only_delete',
    'orders_status_transition',
    'orders_final_is_final',
    'orders_insert_pending',
  ]) {
    db.exec(`DROP TRIGGER ${t}`);
  }
  db.pragma('foreign_keys = OFF');
  return { file, db, orderId: order.id };
}

const breakages: Array<[string, (db: Database.Database, orderId: number) => void]> = [
  ['on-hand-not-negative', (db) => db.exec(`PRAGMA ignore_check_constraints = ON; UPDATE inventory SET on_hand = -1`)],
  ['ledger-matches-on-hand', (db) => db.exec(`UPDATE inventory SET on_hand = on_hand + 1`)],
  [
    'one-movement-per-order-and-type',
    (db, id) =>
      db.exec(
        `DROP INDEX movements_order_type; INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES ('A', 'reservation', -2, ${id}, 1, 0); UPDATE inventory SET on_hand = 1`,
      ),
  ],
  ['reserved-has-one-reservation', (db, id) => db.exec(`DELETE FROM movements WHERE order_id = ${id}; UPDATE inventory SET on_hand = 5`)],
  [
    'reserved-matches-ledger',
    (db) => db.exec(`INSERT INTO orders (sku, qty, status, supplier_checks, created_at, updated_at) VALUES ('A', 3, 'reserved', 0, 0, 0)`),
  ],
  ['release-matches-reservation', (db, id) => db.exec(`UPDATE orders SET status = 'cancelled' WHERE id = ${id}`)],
  ['unreserved-has-no-movement', (db, id) => db.exec(`UPDATE orders SET status = 'failed', failure_reason = 'supplier_failed' WHERE id = ${id}`)],
  [
    'open-order-has-one-live-job',
    (db) => db.exec(`INSERT INTO orders (sku, qty, status, supplier_checks, created_at, updated_at) VALUES ('A', 1, 'pending', 0, 0, 0)`),
  ],
  [
    'movement-has-inventory-row',
    (db) => db.exec(`INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES ('GHOST', 'restock', 1, NULL, 1, 0)`),
  ],
  [
    'order-movement-matches-order',
    (db, id) =>
      db.exec(
        `INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES ('A', 'restock', 7, ${id}, 10, 0); UPDATE inventory SET on_hand = 10`,
      ),
  ],
  ['no-orphan-rows', (db) => db.exec(`INSERT INTO order_events (order_id, at, type, data) VALUES (999, 0, 'OrderCreated', '{}')`)],
  ['order-has-creation-event', (db, id) => db.exec(`DELETE FROM order_events WHERE order_id = ${id} AND type = 'OrderCreated'`)],
];

describe('the invariant audit', () => {
  it('finds nothing wrong with a database the engine wrote', async () => {
    const { db } = await healthy();
    expect(auditDatabase(db)).toEqual([]);
  });

  for (const [rule, breakIt] of breakages) {
    it(`reports ${rule} with the ids involved`, async () => {
      const { db, orderId } = await healthy();
      breakIt(db, orderId);
      const found = auditDatabase(db);
      expect(found.map((v) => v.rule)).toContain(rule);
      const v = found.find((x) => x.rule === rule)!;
      expect(v.message.length).toBeGreaterThan(10);
      expect(Object.keys(v.ids).length).toBeGreaterThan(0);
    });
  }

  it('`warehouse check` exits 0 on a clean database and 1 with the violations listed', async () => {
    const { file, db } = await healthy();
    const clean = await runCli(['--db', file, '--json', 'check']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toEqual({ ok: true, databaseId: expect.stringMatching(/^[0-9a-f]{32}$/), violations: [] });
    db.exec(`UPDATE inventory SET on_hand = on_hand + 1`);
    db.close();
    const broken = await runCli(['--db', file, 'check']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/ledger-matches-on-hand: A has on-hand 4 but its movements sum to 3/);
    expect(checkInvariants(file)).toHaveLength(1);
  });
});
