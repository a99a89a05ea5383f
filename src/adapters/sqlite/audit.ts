/**
 * The invariants of docs/design.md §6 (domain/invariants.ts), checked with SQLite's SQL straight on
 * the tables, independent of the code that wrote them. Used by `warehouse check` and by the tests
 * after every scenario.
 */
import type Database from 'better-sqlite3';
import { INVARIANT_NAMES, violationsOf, type AuditRow, type InvariantName } from '../../domain/invariants.js';
import type { Violation } from '../../ports/store.js';

/** one query per rule: the rows that break it, with the columns its message reads */
const SQL: Record<InvariantName, string> = {
  'on-hand-not-negative': `SELECT sku, on_hand FROM inventory WHERE on_hand < 0`,
  'ledger-matches-on-hand': `SELECT i.sku, i.on_hand, COALESCE(SUM(m.qty), 0) AS total
          FROM inventory i LEFT JOIN movements m ON m.sku = i.sku
          GROUP BY i.sku HAVING i.on_hand <> COALESCE(SUM(m.qty), 0)`,
  'reserved-matches-ledger': `SELECT i.sku,
          (SELECT COALESCE(SUM(o.qty), 0) FROM orders o WHERE o.sku = i.sku AND o.status = 'reserved') AS reserved,
          (SELECT COALESCE(-SUM(m.qty), 0) FROM movements m JOIN orders o ON o.id = m.order_id
            WHERE m.sku = i.sku AND m.type IN ('reservation', 'release') AND o.status <> 'fulfilled') AS held
          FROM inventory i WHERE reserved <> held`,
  'one-movement-per-order-and-type': `SELECT order_id, type, COUNT(*) AS n, group_concat(id) AS movement_ids FROM movements
          WHERE order_id IS NOT NULL GROUP BY order_id, type HAVING n > 1`,
  'reserved-has-one-reservation': `SELECT o.id, o.status, (SELECT COUNT(*) FROM movements m WHERE m.order_id = o.id AND m.type = 'reservation') AS n
          FROM orders o WHERE o.status IN ('reserved', 'fulfilled', 'expired') AND o.line_count = 0 AND n <> 1`,
  'unreserved-has-no-movement': `SELECT o.id, o.status, COUNT(m.id) AS n FROM orders o JOIN movements m ON m.order_id = o.id
          WHERE o.status IN ('pending', 'awaiting_restock', 'failed', 'cancelling') GROUP BY o.id`,
  'release-matches-reservation': `SELECT o.id, o.status,
          (SELECT COUNT(*) FROM movements m WHERE m.order_id = o.id AND m.type = 'release') AS released,
          (SELECT COUNT(*) FROM movements m WHERE m.order_id = o.id AND m.type = 'reservation') AS reservations
          FROM orders o WHERE released <> (CASE WHEN o.status IN ('cancelled', 'expired') THEN reservations ELSE 0 END)`,
  'open-order-has-one-live-job': `SELECT o.id, o.status, (SELECT COUNT(*) FROM jobs j WHERE j.order_id = o.id) AS n
          FROM orders o WHERE o.parent_id IS NULL AND ((o.status IN ('pending', 'awaiting_restock', 'cancelling') AND (n <> 1 AND o.line_count = 0 OR n = 0)
            AND NOT (o.status = 'cancelling' AND n = 0 AND EXISTS (SELECT 1 FROM dead_letters d WHERE d.order_id = o.id AND d.retried_at IS NULL)))
            OR (o.status = 'reserved' AND n > 1))`,
  'movement-has-inventory-row': `SELECT m.sku, COUNT(*) AS n FROM movements m LEFT JOIN inventory i ON i.sku = m.sku WHERE i.sku IS NULL GROUP BY m.sku`,
  'order-movement-matches-order': `SELECT m.id, m.order_id, m.sku AS msku, o.sku AS osku, m.qty, o.qty AS oqty, m.type FROM movements m JOIN orders o ON o.id = m.order_id
          WHERE m.sku <> o.sku OR ABS(m.qty) <> o.qty OR m.type = 'adjustment'`,
  'no-orphan-rows': `SELECT 'order_events' AS tbl, id, order_id FROM order_events WHERE order_id NOT IN (SELECT id FROM orders)
          UNION ALL SELECT 'jobs', id, order_id FROM jobs WHERE order_id NOT IN (SELECT id FROM orders)
          UNION ALL SELECT 'movements', id, order_id FROM movements WHERE order_id IS NOT NULL AND order_id NOT IN (SELECT id FROM orders)
          UNION ALL SELECT 'dead_letters', id, order_id FROM dead_letters WHERE order_id NOT IN (SELECT id FROM orders)`,
  'order-has-creation-event': `SELECT o.id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.type = 'OrderCreated')`,
};

/** each connection's statements, prepared once (`warehouse explore` audits after every schedule) */
const prepared = new WeakMap<Database.Database, Database.Statement[]>();

export function auditDatabase(db: Database.Database): Violation[] {
  let statements = prepared.get(db);
  if (!statements) prepared.set(db, (statements = RULE_SQL.map((sql) => db.prepare(sql))));
  return violationsOfRows(statements.map((st) => st.all() as AuditRow[]));
}

/** The rules' SQL, in INVARIANT_NAMES' order: what a worker thread runs (audit-thread.ts). */
export const RULE_SQL = INVARIANT_NAMES.map((rule) => SQL[rule]);

/** The rows each rule's SQL returned (in RULE_SQL's order) → the violations. */
export function violationsOfRows(rowsPerRule: AuditRow[][]): Violation[] {
  return INVARIANT_NAMES.flatMap((rule, i) => violationsOf(rule, rowsPerRule[i] ?? []));
}
