/**
 * The invariants of docs/design.md §6 (domain/invariants.ts: their names, messages and ids) in
 * PostgreSQL's SQL, checked straight on the tables in one REPEATABLE READ, READ ONLY transaction,
 * so every rule sees the same state.
 *
 * A check is answered from the last audit while the server's snapshot has not moved (store.ts):
 * what a transaction sees is decided by its snapshot alone (xmin, xmax, the transactions in
 * progress), so two audits under equal snapshots read the same rows. The snapshot is the whole
 * server's: a write anywhere (another schema, another database, the mock's tables, autovacuum's
 * ANALYZE) moves it, so the cache is conservative: it only ever runs an audit that was not needed,
 * never answers one that was. Narrower keys were refused: the statistics views (`n_tup_ins`, …)
 * are flushed up to seconds late and outside transactions, so a key read from them may stay put
 * after a commit; a change counter kept by triggers would add work to every write.
 */
import { INVARIANT_NAMES, violationsOf, type InvariantName } from '../../domain/invariants.js';
import type { Violation } from '../../ports/store.js';
import type { PgConnection } from './connection.js';

/** one query per rule: the rows that break it, with the columns its message reads */
export const PG_SQL: Record<InvariantName, string> = {
  'on-hand-not-negative': `SELECT sku, on_hand FROM inventory WHERE on_hand < 0`,
  'ledger-matches-on-hand': `SELECT i.sku, i.on_hand, COALESCE(SUM(m.qty), 0)::int AS total
          FROM inventory i LEFT JOIN movements m ON m.sku = i.sku
          GROUP BY i.sku, i.on_hand HAVING i.on_hand <> COALESCE(SUM(m.qty), 0)`,
  'reserved-matches-ledger': `SELECT * FROM (SELECT i.sku,
          (SELECT COALESCE(SUM(o.qty), 0)::int FROM orders o WHERE o.sku = i.sku AND o.status = 'reserved') AS reserved,
          (SELECT COALESCE(-SUM(m.qty), 0)::int FROM movements m JOIN orders o ON o.id = m.order_id
            WHERE m.sku = i.sku AND m.type IN ('reservation', 'release') AND o.status <> 'fulfilled') AS held
          FROM inventory i) x WHERE reserved <> held`,
  'one-movement-per-order-and-type': `SELECT order_id, type, COUNT(*)::int AS n, string_agg(id::text, ',' ORDER BY id) AS movement_ids FROM movements
          WHERE order_id IS NOT NULL GROUP BY order_id, type HAVING COUNT(*) > 1`,
  'reserved-has-one-reservation': `SELECT * FROM (SELECT o.id, o.status, (SELECT COUNT(*)::int FROM movements m WHERE m.order_id = o.id AND m.type = 'reservation') AS n
          FROM orders o WHERE o.status IN ('reserved', 'fulfilled', 'expired') AND o.line_count = 0) x WHERE n <> 1`,
  'unreserved-has-no-movement': `SELECT o.id, o.status, COUNT(m.id)::int AS n FROM orders o JOIN movements m ON m.order_id = o.id
          WHERE o.status IN ('pending', 'awaiting_restock', 'failed', 'cancelling') GROUP BY o.id, o.status`,
  'release-matches-reservation': `SELECT * FROM (SELECT o.id, o.status,
          (SELECT COUNT(*)::int FROM movements m WHERE m.order_id = o.id AND m.type = 'release') AS released,
          (SELECT COUNT(*)::int FROM movements m WHERE m.order_id = o.id AND m.type = 'reservation') AS reservations
          FROM orders o) x WHERE released <> (CASE WHEN status IN ('cancelled', 'expired') THEN reservations ELSE 0 END)`,
  'open-order-has-one-live-job': `SELECT * FROM (SELECT o.id, o.status, o.line_count, (SELECT COUNT(*)::int FROM jobs j WHERE j.order_id = o.id) AS n,
          EXISTS (SELECT 1 FROM dead_letters d WHERE d.order_id = o.id AND d.retried_at IS NULL) AS dead
          FROM orders o WHERE o.status IN ('pending', 'awaiting_restock', 'cancelling', 'reserved') AND o.parent_id IS NULL) x
          WHERE (status <> 'reserved' AND (n <> 1 AND line_count = 0 OR n = 0) AND NOT (status = 'cancelling' AND n = 0 AND dead)) OR (status = 'reserved' AND n > 1)`,
  'movement-has-inventory-row': `SELECT m.sku, COUNT(*)::int AS n FROM movements m LEFT JOIN inventory i ON i.sku = m.sku WHERE i.sku IS NULL GROUP BY m.sku`,
  'order-movement-matches-order': `SELECT m.id, m.order_id, m.sku AS msku, o.sku AS osku, m.qty, o.qty AS oqty, m.type FROM movements m JOIN orders o ON o.id = m.order_id
          WHERE m.sku <> o.sku OR ABS(m.qty) <> o.qty OR m.type = 'adjustment'`,
  'no-orphan-rows': `SELECT 'order_events' AS tbl, id, order_id FROM order_events WHERE order_id NOT IN (SELECT id FROM orders)
          UNION ALL SELECT 'jobs', id, order_id FROM jobs WHERE order_id NOT IN (SELECT id FROM orders)
          UNION ALL SELECT 'movements', id, order_id FROM movements WHERE order_id IS NOT NULL AND order_id NOT IN (SELECT id FROM orders)
          UNION ALL SELECT 'dead_letters', id, order_id FROM dead_letters WHERE order_id NOT IN (SELECT id FROM orders)`,
  'order-has-creation-event': `SELECT o.id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.type = 'OrderCreated')`,
};

export async function auditPostgres(c: PgConnection): Promise<Violation[]> {
  return (await auditPostgresAt(c)).violations;
}

/**
 * The audit and the snapshot it read (`pg_current_snapshot()` of its REPEATABLE READ transaction,
 * taken by its first statement): another audit under an equal snapshot sees the very same rows.
 */
export async function auditPostgresAt(c: PgConnection): Promise<{ snapshot: string; violations: Violation[] }> {
  let client: import('pg').PoolClient | undefined;
  try {
    client = await c.pool.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const taken = await client.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s');
    const out: Violation[] = [];
    for (const rule of INVARIANT_NAMES) {
      const { rows } = await client.query<Record<string, unknown>>(PG_SQL[rule]);
      out.push(...violationsOf(rule, rows));
    }
    await client.query('COMMIT');
    return { snapshot: taken.rows[0]!.s, violations: out };
  } catch (error) {
    await client?.query('ROLLBACK').catch(() => {});
    throw c.describe(error);
  } finally {
    client?.release();
  }
}
