/**
 * The invariants of docs/design.md §6, checked with SQL straight on the tables, independent of the code
 * that wrote them. Used by `warehouse check` and by the tests after every scenario.
 */
import type Database from 'better-sqlite3';
import type { Violation } from '../../ports/store.js';

interface Rule {
  rule: string;
  sql: string;
  message: (row: Record<string, unknown>) => string;
  ids: (row: Record<string, unknown>) => Violation['ids'];
}

const RULES: Rule[] = [
  {
    rule: 'on-hand-not-negative',
    sql: `SELECT sku, on_hand FROM inventory WHERE on_hand < 0`,
    message: (r) => `${r.sku} has on-hand ${r.on_hand}`,
    ids: (r) => ({ sku: String(r.sku) }),
  },
  {
    rule: 'ledger-matches-on-hand',
    sql: `SELECT i.sku, i.on_hand, COALESCE(SUM(m.qty), 0) AS total
          FROM inventory i LEFT JOIN movements m ON m.sku = i.sku
          GROUP BY i.sku HAVING i.on_hand <> COALESCE(SUM(m.qty), 0)`,
    message: (r) => `${r.sku} has on-hand ${r.on_hand} but its movements sum to ${r.total}`,
    ids: (r) => ({ sku: String(r.sku) }),
  },
  {
    rule: 'one-movement-per-order-and-type',
    sql: `SELECT order_id, type, COUNT(*) AS n, group_concat(id) AS movement_ids FROM movements
          WHERE order_id IS NOT NULL GROUP BY order_id, type HAVING n > 1`,
    message: (r) => `order ${r.order_id} has ${r.n} ${r.type} movements (${r.movement_ids})`,
    ids: (r) => ({ orderId: Number(r.order_id) }),
  },
  {
    rule: 'reserved-has-one-reservation',
    sql: `SELECT o.id, (SELECT COUNT(*) FROM movements m WHERE m.order_id = o.id AND m.type = 'reservation') AS n
          FROM orders o WHERE o.status = 'reserved' AND n <> 1`,
    message: (r) => `reserved order ${r.id} has ${r.n} reservation movements (expected 1)`,
    ids: (r) => ({ orderId: Number(r.id) }),
  },
  {
    rule: 'unreserved-has-no-movement',
    sql: `SELECT o.id, o.status, COUNT(m.id) AS n FROM orders o JOIN movements m ON m.order_id = o.id
          WHERE o.status <> 'reserved' GROUP BY o.id`,
    message: (r) => `${r.status} order ${r.id} has ${r.n} movements (expected none)`,
    ids: (r) => ({ orderId: Number(r.id) }),
  },
  {
    rule: 'open-order-has-one-live-job',
    sql: `SELECT o.id, o.status, (SELECT COUNT(*) FROM jobs j WHERE j.order_id = o.id) AS n
          FROM orders o WHERE o.status IN ('pending', 'awaiting_restock') AND n <> 1`,
    message: (r) => `${r.status} order ${r.id} has ${r.n} live jobs (expected exactly 1 to move it on)`,
    ids: (r) => ({ orderId: Number(r.id) }),
  },
  {
    rule: 'movement-has-inventory-row',
    sql: `SELECT m.sku, COUNT(*) AS n FROM movements m LEFT JOIN inventory i ON i.sku = m.sku WHERE i.sku IS NULL GROUP BY m.sku`,
    message: (r) => `${r.n} movements for ${r.sku}, which has no inventory row`,
    ids: (r) => ({ sku: String(r.sku) }),
  },
  {
    rule: 'order-movement-matches-order',
    sql: `SELECT m.id, m.order_id, m.sku AS msku, o.sku AS osku, m.qty, o.qty AS oqty, m.type FROM movements m JOIN orders o ON o.id = m.order_id
          WHERE m.sku <> o.sku OR ABS(m.qty) <> o.qty OR m.type = 'adjustment'`,
    message: (r) => `movement ${r.id} (${r.type} ${r.msku} ${r.qty}) does not match order ${r.order_id} (${r.osku} × ${r.oqty})`,
    ids: (r) => ({ orderId: Number(r.order_id), movementId: Number(r.id) }),
  },
  {
    rule: 'no-orphan-rows',
    sql: `SELECT 'order_events' AS tbl, id, order_id FROM order_events WHERE order_id NOT IN (SELECT id FROM orders)
          UNION ALL SELECT 'jobs', id, order_id FROM jobs WHERE order_id NOT IN (SELECT id FROM orders)
          UNION ALL SELECT 'movements', id, order_id FROM movements WHERE order_id IS NOT NULL AND order_id NOT IN (SELECT id FROM orders)
          UNION ALL SELECT 'dead_letters', id, order_id FROM dead_letters WHERE order_id NOT IN (SELECT id FROM orders)`,
    message: (r) => `${r.tbl} row ${r.id} points at order ${r.order_id}, which does not exist`,
    ids: (r) => ({ orderId: Number(r.order_id) }),
  },
  {
    rule: 'order-has-creation-event',
    sql: `SELECT o.id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.type = 'OrderCreated')`,
    message: (r) => `order ${r.id} has no OrderCreated event`,
    ids: (r) => ({ orderId: Number(r.id) }),
  },
];

/** each connection's statements, prepared once (`warehouse explore` audits after every schedule) */
const prepared = new WeakMap<Database.Database, Database.Statement[]>();

export function auditDatabase(db: Database.Database): Violation[] {
  let statements = prepared.get(db);
  if (!statements) prepared.set(db, (statements = RULES.map((rule) => db.prepare(rule.sql))));
  return RULES.flatMap((rule, i) =>
    (statements[i]!.all() as Array<Record<string, unknown>>).map((row) => ({ rule: rule.rule, message: rule.message(row), ids: rule.ids(row) })),
  );
}
