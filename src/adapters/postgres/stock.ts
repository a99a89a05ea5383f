/**
 * The reservation strategies (domain/settings.ts ReserveStrategy) on PostgreSQL: how the snapshot
 * of a SKU's on-hand is read for the planner, and how the plan's movements change the row. All run
 * inside the order's transaction, after the order's own row lock (`SELECT … FOR UPDATE`).
 *
 * - pessimistic (the default): `SELECT … FOR UPDATE` on the inventory row, plan on what it holds,
 *   write the new on-hand. Concurrent reservations of one SKU queue on the row lock.
 * - optimistic: read without a lock, plan, `UPDATE … SET version = version + 1 WHERE sku = $1 AND
 *   version = $2`. No row updated means another transaction changed the row since the read: the
 *   whole transaction is rolled back (VersionConflict) and run again by the store, counted.
 * - atomic: read without a lock, plan, then each movement is one conditional
 *   `UPDATE … SET on_hand = on_hand + $d WHERE sku = $1 AND on_hand + $d >= 0 RETURNING on_hand`.
 *   No row updated means the stock went in the meantime: plan again on a fresh read (nothing was
 *   written yet). When it succeeds on another value than the one read, the plan is made again on the
 *   value the statement really saw, so the events say what the ledger says.
 *
 * A SKU's inventory row is created at 0 by its first movement (docs/design.md §2.4): a plan with movements
 * on a SKU without a row creates it (`INSERT … ON CONFLICT DO NOTHING`) and reads it again.
 */
import { eq, sql } from 'drizzle-orm';
import { DatabaseError } from '../../domain/errors.js';
import type { Order } from '../../domain/order.js';
import type { Plan, Snapshot } from '../../domain/plans.js';
import type { ReserveStrategy } from '../../domain/settings.js';
import { prepared, type Named, type Tx } from './connection.js';
import * as t from './schema.js';

/** The optimistic strategy's versioned update found the row changed: roll back and try again. */
export class VersionConflict extends Error {
  constructor(readonly sku: string) {
    super(`inventory row ${sku} changed since it was read`);
  }
}

/** Plans made in one transaction at most (a new row read again; the atomic strategy finding the stock gone). */
const MAX_PLANS = 20;

interface StockRow {
  onHand: number;
  version: number;
}

const STOCK = 'SELECT on_hand AS "onHand", version FROM inventory WHERE sku = $1::text';
const STOCK_LOCKED = `${STOCK} FOR UPDATE`;

export async function readStock(tx: Tx, sku: string, lock: boolean): Promise<StockRow | null> {
  const [row] = await prepared<StockRow>(tx, lock ? 'wh_stock_locked' : 'wh_stock', lock ? STOCK_LOCKED : STOCK, [sku]);
  return row ?? null;
}

/**
 * Snapshot.supplierAsked: the order's first SupplierReservationRequested (found through
 * order_events_order_id). Only a transaction holding the order's row lock writes that event, so
 * once the caller holds it, any statement's snapshot sees them all — the stock read's included.
 * Not in the order's own `SELECT … FOR UPDATE`: a statement that waits for a row lock keeps the
 * snapshot it took before waiting (READ COMMITTED re-reads only the locked row), so it would miss
 * the event the lock's holder had just committed.
 */
const askedOf = (orderParam: string) => `SELECT json_build_object('key', data->>'key') FROM order_events
  WHERE order_id = ${orderParam}::int AND type = 'SupplierReservationRequested' ORDER BY id LIMIT 1`;
const ASKED = askedOf('$2');
const STOCK_ASKED = `SELECT on_hand AS "onHand", version, (${ASKED}) AS asked FROM inventory WHERE sku = $1::text`;
const STOCK_ASKED_LOCKED = `${STOCK_ASKED} FOR UPDATE OF inventory`;
/** the same, the SKU found from the order ($1): sent with the order's lock, right behind it */
const STOCK_ASKED_BY_ORDER = `SELECT on_hand AS "onHand", version, (${askedOf('$1')}) AS asked FROM inventory
  WHERE sku = (SELECT sku FROM orders WHERE id = $1::int)`;

type StockAskedRow = StockRow & { asked: { key: string | null } | null };
export interface FirstRead {
  row: StockRow | null;
  asked: Snapshot['supplierAsked'];
}

/**
 * The stock read and supplierAsked of an order, as a statement that goes out in the same round
 * trip as the order's `SELECT … FOR UPDATE` (connection.ts `run`), right behind it: the server runs
 * it once the lock is held, with a snapshot of its own taken then, so it sees what the lock's last
 * holder committed. The SKU comes from the order's row (it never changes). Read its rows with
 * `firstReadOf`.
 */
export function stockAskedByOrder(orderId: number, strategy: ReserveStrategy): Named {
  const lock = strategy === 'pessimistic';
  return {
    name: lock ? 'wh_stock_asked_by_order_locked' : 'wh_stock_asked_by_order',
    text: lock ? `${STOCK_ASKED_BY_ORDER} FOR UPDATE OF inventory` : STOCK_ASKED_BY_ORDER,
    values: [orderId],
  };
}

/** The rows of `stockAskedByOrder`; null when the SKU has no row yet (then planAndMove asks on its own). */
export function firstReadOf(rows: unknown[]): FirstRead | null {
  const row = rows[0] as StockAskedRow | undefined;
  return row ? { row: { onHand: row.onHand, version: row.version }, asked: row.asked } : null;
}

/** The stock read (as readStock) and the order's supplierAsked in one round trip. */
async function readStockAndAsked(tx: Tx, sku: string, lock: boolean, orderId: number): Promise<FirstRead> {
  const [row] = await prepared<StockAskedRow>(tx, lock ? 'wh_stock_asked_locked' : 'wh_stock_asked', lock ? STOCK_ASKED_LOCKED : STOCK_ASKED, [sku, orderId]);
  if (row) return { row: { onHand: row.onHand, version: row.version }, asked: row.asked };
  // no row for the SKU yet: the question on its own
  const [only] = await prepared<{ asked: { key: string | null } }>(tx, 'wh_asked', `SELECT (${ASKED}) AS asked WHERE $1::text IS NOT NULL`, [sku, orderId]);
  return { row: null, asked: only?.asked ?? null };
}

/** Creates a SKU's row at on-hand 0 unless it exists (another transaction may create it at once). */
export async function ensureStockRow(tx: Tx, sku: string, now: number): Promise<void> {
  await tx.insert(t.inventory).values({ sku, onHand: 0, version: 0, updatedAt: now }).onConflictDoNothing();
}

export async function insertMovement(
  tx: Tx,
  m: { sku: string; type: t.MovementRowType; qty: number; orderId: number | null; onHandAfter: number; at: number },
): Promise<void> {
  await tx.insert(t.movements).values(m);
}

/** Sets a locked row's on-hand (and bumps its version). */
export async function writeOnHand(tx: Tx, sku: string, onHand: number, now: number): Promise<void> {
  await tx
    .update(t.inventory)
    .set({ onHand, version: sql`${t.inventory.version} + 1`, updatedAt: now })
    .where(eq(t.inventory.sku, sku));
}

/**
 * One movement of an order in one statement: the row's update (`set`, under the extra condition
 * `where`, as each strategy writes it) and, when it updated the row, the movement with the on-hand
 * it left. $1 now, $2 sku, $3 type, $4 qty, $5 order id, then the strategy's own: $6 the on-hand
 * to write, $7 the version read.
 */
const moveText = (set: string, where: string) => `WITH u AS (
    UPDATE inventory SET on_hand = ${set}, version = version + 1, updated_at = $1::bigint WHERE sku = $2::text${where} RETURNING on_hand)
  INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at)
  SELECT $2::text, $3::text, $4::int, $5::int, u.on_hand, $1::bigint FROM u RETURNING on_hand_after`;
const MOVE = {
  /** the row is locked: the on-hand the plan was made on, moved */
  pessimistic: moveText('$6::int', ''),
  /** only while the row is still the version read */
  optimistic: moveText('$6::int', ' AND version = $7::int'),
  /** relative, only while it leaves the on-hand at 0 or above */
  atomic: moveText('on_hand + $4::int', ' AND on_hand + $4::int >= 0'),
} as const satisfies Record<ReserveStrategy, string>;

/** Returns the on-hand the movement left, or null when the strategy's condition refused it (nothing was written). */
export async function moveRow(
  tx: Tx,
  strategy: ReserveStrategy,
  sku: string,
  m: { type: string; qty: number },
  orderId: number,
  now: number,
  state: unknown[] = [],
): Promise<number | null> {
  const rows = await prepared<{ on_hand_after: number }>(tx, `wh_move_${strategy}`, MOVE[strategy], [now, sku, m.type, m.qty, orderId, ...state]);
  return rows[0]?.on_hand_after ?? null;
}

const sameMovements = (a: Plan, b: Plan) => JSON.stringify(a.movements) === JSON.stringify(b.movements);

/**
 * Plan the order on its SKU's stock and apply the plan's movements, as `strategy` says. Returns the
 * plan applied. Throws VersionConflict (optimistic) for the caller to retry the transaction.
 */
export async function planAndMove(
  tx: Tx,
  order: Order,
  now: number,
  planner: (onHand: Snapshot['onHand'], supplierAsked: Snapshot['supplierAsked']) => Plan,
  strategy: ReserveStrategy,
  /** `stockAskedByOrder`'s answer, when it went out with the order's lock */
  read?: FirstRead | null,
): Promise<Plan> {
  const { sku } = order;
  const lock = strategy === 'pessimistic';
  // the first read brings supplierAsked with it; it cannot change while this transaction holds the order
  const first = read ?? (await readStockAndAsked(tx, sku, lock, order.id));
  const asked = first.asked;
  const plannerOn = (onHand: Snapshot['onHand']) => planner(onHand, asked);
  for (let replans = 0; replans < MAX_PLANS; replans++) {
    const row = replans === 0 ? first.row : await readStock(tx, sku, lock);
    const plan = plannerOn(row?.onHand ?? 0);
    if (plan.movements.length === 0) return plan;
    if (!row) {
      await ensureStockRow(tx, sku, now);
      continue;
    }
    switch (strategy) {
      case 'pessimistic': {
        // the row is locked: write the on-hand the plan was made on, moved
        let onHand = row.onHand;
        for (const m of plan.movements) {
          onHand += m.qty;
          await moveRow(tx, 'pessimistic', sku, m, order.id, now, [onHand]);
        }
        return plan;
      }
      case 'optimistic': {
        let { onHand, version } = row;
        for (const m of plan.movements) {
          onHand += m.qty;
          const after = await moveRow(tx, 'optimistic', sku, m, order.id, now, [onHand, version]);
          if (after === null) throw new VersionConflict(sku);
          version++;
        }
        return plan;
      }
      case 'atomic': {
        let applied = plan;
        let first = true;
        let gone = false;
        for (const m of plan.movements) {
          const after = await moveRow(tx, 'atomic', sku, m, order.id, now);
          if (after === null) {
            // only the first movement can find the stock gone: later ones follow our own update, under its row lock
            if (!first) throw new Error(`atomic reservation of order ${order.id}: movement refused after the first was applied`);
            gone = true;
            break;
          }
          if (first && after - m.qty !== row.onHand) {
            applied = plannerOn(after - m.qty);
            if (!sameMovements(applied, plan)) throw new Error(`atomic reservation of order ${order.id}: the plan changed with the stock it met`);
          }
          first = false;
        }
        if (gone) continue;
        return applied;
      }
    }
  }
  throw new DatabaseError(`the stock of ${sku} kept changing under the atomic reservation of order ${order.id}; it will run again`, undefined, {
    fault: 'conflict',
  });
}

/**
 * A multi-line order's lines' stock (docs/design.md §2.6), read in the order given — the global
 * lock order, by SKU — under a row lock for `pessimistic`, without one for the others (whose
 * updates take the row locks, in the same order, in moveLines).
 */
export async function readLinesStock(tx: Tx, skus: readonly string[], strategy: ReserveStrategy): Promise<Map<string, StockRow | null>> {
  const stocks = new Map<string, StockRow | null>();
  for (const sku of skus) stocks.set(sku, await readStock(tx, sku, strategy === 'pessimistic'));
  return stocks;
}

/**
 * The movements of the lines' plans, line after line in the order given (the lock order), as
 * `strategy` writes them. Any sign that the stock moved since it was read (an optimistic version
 * changed, an atomic update refused or meeting another value, a row created meanwhile) throws
 * VersionConflict: the caller runs the whole transaction again on fresh reads.
 */
export async function moveLines(
  tx: Tx,
  strategy: ReserveStrategy,
  moves: ReadonlyArray<{ sku: string; orderId: number; movements: Plan['movements'] }>,
  stocks: Map<string, StockRow | null>,
  now: number,
): Promise<void> {
  for (const { sku, orderId, movements } of moves) {
    if (movements.length === 0) continue;
    let row = stocks.get(sku) ?? null;
    if (!row) {
      await ensureStockRow(tx, sku, now);
      row = await readStock(tx, sku, strategy === 'pessimistic');
      if (!row || row.onHand !== 0) throw new VersionConflict(sku);
    }
    let { onHand, version } = row;
    for (const m of movements) {
      onHand += m.qty;
      const after = await moveRow(tx, strategy, sku, m, orderId, now, strategy === 'atomic' ? [] : strategy === 'optimistic' ? [onHand, version] : [onHand]);
      if (after === null || after !== onHand) throw new VersionConflict(sku);
      version++;
    }
    stocks.set(sku, { onHand, version });
  }
}
