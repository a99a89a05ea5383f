/**
 * The locking benchmark's baseline (bench/locking.ts): the statements the PostgreSQL adapter sends
 * for one ReserveInventory job, per strategy, written by hand on a `pg` client — claim, then one
 * transaction (stock taken), or two (stock short: the supplier is asked, rejects, the order fails),
 * with the supplier's rejection answered in-process. C workers run jobs until the queue is empty.
 */
import type pg from 'pg';
import type { ReserveStrategy } from '../src/domain/settings.js';

const OPTIMISTIC_TRIES = 16;
const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * 2 * 2 ** Math.min(attempt, 5)));

class Conflict extends Error {}

interface Job {
  id: number;
  order_id: number;
  locked_by: string;
}

const CLAIM = `WITH due AS (
    SELECT id FROM jobs WHERE run_at <= $1 AND (status = 'queued' OR (status = 'running' AND locked_until <= $1))
    ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
  UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, locked_by = $2::text || '#' || (j.attempts + 1), locked_until = $1 + 30000
  FROM due WHERE j.id = due.id RETURNING j.id, j.order_id, j.locked_by`;
const ORDER = `select "id", "sku", "qty", "status", "supplier_ref", "supplier_checks", "failure_reason", "created_at", "updated_at" from "orders" where "orders"."id" = $1 for update`;
const STOCK = `select "on_hand", "version" from "inventory" where "inventory"."sku" = $1`;
const MOVE = (set: string, where: string) => `WITH u AS (
    UPDATE inventory SET on_hand = ${set}, version = version + 1, updated_at = $1::bigint WHERE sku = $2${where} RETURNING on_hand)
  INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at)
  SELECT $2::text, 'reservation'::text, -1::int, $3::int, u.on_hand, $1::bigint FROM u RETURNING on_hand_after`;
const KEEP = `select "id" from "jobs" where ("jobs"."id" = $1 and "jobs"."status" = 'running' and "jobs"."locked_by" = $2) for update`;
const COMPLETE = `delete from "jobs" where ("jobs"."id" = $1 and "jobs"."status" = 'running' and "jobs"."locked_by" = $2) returning "id"`;
const EVENTS = (n: number) =>
  `e AS (INSERT INTO order_events (order_id, at, type, data) VALUES ${Array.from({ length: n }, (_, i) => `($1::int, $2::bigint, $${3 + 2 * i}, $${4 + 2 * i}::json)`).join(', ')})`;
const NONE = `SELECT NULL::int AS id WHERE false`;

export interface BaselineResult {
  latencies: number[];
  conflicts: number;
  deferred: number;
  deadlocks: number;
}

export async function runBaseline(pool: pg.Pool, strategy: ReserveStrategy, concurrency: number): Promise<BaselineResult> {
  const out: BaselineResult = { latencies: [], conflicts: 0, deferred: 0, deadlocks: 0 };

  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    try {
      await c.query('begin');
      const r = await fn(c);
      await c.query('commit');
      return r;
    } catch (error) {
      await c.query('rollback');
      if ((error as { code?: string }).code === '40P01') out.deadlocks++;
      throw error;
    } finally {
      c.release();
    }
  }

  /** the stock read of the strategy; the row lock for pessimistic */
  const readStock = (c: pg.PoolClient, sku: string) =>
    c.query<{ on_hand: number; version: number }>(strategy === 'pessimistic' ? `${STOCK} for update` : STOCK, [sku]);

  /** tries to take one unit as the strategy does; false when the stock is not there */
  async function take(c: pg.PoolClient, orderId: number, sku: string, onHand: number, version: number, now: number): Promise<boolean> {
    for (;;) {
      if (onHand < 1) return false;
      if (strategy === 'pessimistic') {
        await c.query(MOVE('$4::int', ''), [now, sku, orderId, onHand - 1]);
        return true;
      }
      if (strategy === 'optimistic') {
        const r = await c.query(MOVE('$4::int', ' AND version = $5::int'), [now, sku, orderId, onHand - 1, version]);
        if (r.rows.length === 0) throw new Conflict();
        return true;
      }
      const r = await c.query(MOVE('on_hand + -1::int', ' AND on_hand + -1::int >= 0'), [now, sku, orderId]);
      if (r.rows.length === 1) return true;
      onHand = (await readStock(c, sku)).rows[0]!.on_hand; // gone: plan again on a fresh read
    }
  }

  async function reserve(job: Job): Promise<void> {
    let now = Date.now();
    let local = false;
    for (let conflicts = 0; ; ) {
      try {
        local = await tx(async (c) => {
          const order = (await c.query(ORDER, [job.order_id])).rows[0];
          const stock = (await readStock(c, order.sku)).rows[0]!;
          const ok = await take(c, job.order_id, order.sku, stock.on_hand, stock.version, now);
          const events: unknown[] = [];
          if (ok) {
            if ((await c.query(COMPLETE, [job.id, job.locked_by])).rows.length === 0) throw new Error('lease lost');
            if (conflicts > 0) events.push('InventoryConflict', JSON.stringify({ sku: order.sku, strategy, conflicts }));
            events.push('InventoryReserved', JSON.stringify({ source: 'stock', qty: 1, onHandAfter: stock.on_hand - 1 }), 'OrderReserved', '{}');
            await c.query(
              `WITH o AS (UPDATE orders SET status = 'reserved', supplier_ref = NULL, supplier_checks = 0, failure_reason = NULL, updated_at = $2::bigint WHERE id = $1::int), ${EVENTS(events.length / 2)} ${NONE}`,
              [job.order_id, now, ...events],
            );
          } else {
            if ((await c.query(KEEP, [job.id, job.locked_by])).rows.length === 0) throw new Error('lease lost');
            if (conflicts > 0) events.push('InventoryConflict', JSON.stringify({ sku: order.sku, strategy, conflicts }));
            events.push('SupplierReservationRequested', JSON.stringify({ qty: 1, onHand: stock.on_hand, shortBy: 1 - stock.on_hand, attempt: 1 }));
            await c.query(`WITH ${EVENTS(events.length / 2)} ${NONE}`, [job.order_id, now, ...events]);
          }
          return ok;
        });
        break;
      } catch (error) {
        if (!(error instanceof Conflict)) throw error;
        out.conflicts++;
        if (++conflicts >= OPTIMISTIC_TRIES) {
          // gives up as the database's trouble: the job runs again after a pause
          out.deferred++;
          await pool.query(`UPDATE jobs SET status = 'queued', run_at = $2, locked_by = NULL, locked_until = NULL WHERE id = $1`, [job.id, Date.now() + 250]);
          throw new Deferred();
        }
        await pause(conflicts);
      }
    }
    if (local) return;
    // the supplier rejects (answered here, no HTTP); the order fails in a second transaction
    now = Date.now();
    await tx(async (c) => {
      const order = (await c.query(ORDER, [job.order_id])).rows[0];
      await readStock(c, order.sku);
      if ((await c.query(COMPLETE, [job.id, job.locked_by])).rows.length === 0) throw new Error('lease lost');
      await c.query(
        `WITH o AS (UPDATE orders SET status = 'failed', supplier_ref = NULL, supplier_checks = 0, failure_reason = 'supplier_rejected', updated_at = $2::bigint WHERE id = $1::int), ${EVENTS(2)} ${NONE}`,
        [job.order_id, now, 'SupplierReservationRejected', '{}', 'OrderFailed', JSON.stringify({ reason: 'supplier_rejected' })],
      );
    });
  }

  async function worker(n: number): Promise<void> {
    for (;;) {
      const [job] = (await pool.query<Job>(CLAIM, [Date.now(), `baseline-${n}`])).rows;
      if (!job) {
        const left = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs`)).rows[0]!.n;
        if (left === 0) return;
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const t0 = performance.now();
      try {
        await reserve(job);
        out.latencies.push(performance.now() - t0);
      } catch (error) {
        if (!(error instanceof Deferred)) throw error;
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  return out;
}

class Deferred extends Error {}
