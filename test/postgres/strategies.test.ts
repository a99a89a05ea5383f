/**
 * The three reservation strategies on PostgreSQL, each caught at its race: another transaction (a
 * raw client of the test's) changes the SKU's row and holds it, uncommitted, while the adapter's
 * reservation reads and plans; once the reservation is seen waiting on the row lock, the other
 * transaction commits. What each strategy then does is the lesson (docs/architecture.md).
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { poolConfig } from '../../src/adapters/postgres/connection.js';
import { openPostgresBackend } from '../../src/adapters/postgres/index.js';
import { planReserveFromStock } from '../../src/domain/plans.js';
import type { ReserveStrategy } from '../../src/domain/settings.js';
import type { Backend } from '../../src/ports/database.js';
import { tempSchema, testWarehouse, tempPgUrl } from '../helpers.js';
import { PG_TEST_URL } from './support.js';

const T0 = Date.UTC(2026, 0, 1, 9);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A backend whose connections carry a name of their own, so the test can see them wait. */
async function setUp(strategy: ReserveStrategy, onHand: number) {
  const schema = tempSchema();
  const name = `h_pg_${schema}`;
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('application_name', name);
  const backend: Backend = await openPostgresBackend({ url: url.toString(), schema, reserveStrategy: strategy });
  cleanups.push(() => backend.close());
  await backend.store.setOnHand('HOT', onHand, T0);
  const other = new pg.Client(poolConfig({ url: PG_TEST_URL, schema }));
  await other.connect();
  cleanups.push(() => other.end());
  /** resolves once one of the backend's statements waits on a lock */
  const waiting = async () => {
    for (let i = 0; i < 200; i++) {
      const r = await other.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [name]);
      if (r.rows[0].n > 0) return;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error('the reservation never waited on the row lock');
  };
  /** another transaction takes `qty` units (with its movement) and holds the row until `commit()` */
  const takeAndHold = async (qty: number) => {
    await other.query('BEGIN');
    const r = await other.query(`UPDATE inventory SET on_hand = on_hand - $1, version = version + 1 WHERE sku = 'HOT' RETURNING on_hand`, [qty]);
    await other.query(`INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES ('HOT', 'adjustment', $1, NULL, $2, $3)`, [
      -qty,
      r.rows[0].on_hand,
      T0,
    ]);
    return { commit: () => other.query('COMMIT') };
  };
  const order = async (qty: number) =>
    (
      await backend.store.createOrder('HOT', qty, T0, () => ({
        outcome: 'created',
        movements: [],
        events: [{ type: 'OrderCreated', data: {} }],
        jobs: [{ type: 'ReserveInventory', runAt: T0, payload: {} }],
      }))
    ).order;
  return { backend, schema, waiting, takeAndHold, order };
}

const reserve = (s: Parameters<typeof planReserveFromStock>[0]) => planReserveFromStock(s, 1);

describe('the reservation strategies on PostgreSQL, at their race', () => {
  it('pessimistic: waits for the row lock, then plans on what the other transaction committed', async () => {
    const { backend, waiting, takeAndHold, order } = await setUp('pessimistic', 5);
    const o = await order(3);
    const other = await takeAndHold(4);
    const applied = backend.store.applyToOrder(o.id, T0 + 1, reserve);
    await waiting();
    await other.commit();
    const a = await applied;
    expect(a.plan.outcome).toBe('needs-supplier');
    expect(a.events.map((e) => e.type)).toEqual(['SupplierReservationRequested']);
    expect(a.events[0]!.data).toMatchObject({ onHand: 1, shortBy: 2 });
    expect(await backend.store.info()).toMatchObject({ conflicts: 0, retries: 0 });
    expect(await backend.store.audit()).toEqual([]);
  });

  it('optimistic: its versioned update finds the row changed, counts the conflict, reads again, records InventoryConflict', async () => {
    const { backend, waiting, takeAndHold, order } = await setUp('optimistic', 5);
    const o = await order(3);
    const other = await takeAndHold(1);
    const applied = backend.store.applyToOrder(o.id, T0 + 1, reserve);
    await waiting();
    await other.commit();
    const a = await applied;
    // still enough after the other took 1: reserved on the second try, on what is really there
    expect(a.plan.outcome).toBe('reserved:stock');
    expect(a.events.map((e) => [e.type, e.data])).toEqual([
      ['InventoryConflict', { sku: 'HOT', strategy: 'optimistic', conflicts: 1 }],
      ['InventoryReserved', { source: 'stock', qty: 3, onHandAfter: 1 }],
      ['OrderReserved', {}],
    ]);
    expect(await backend.store.getInventory('HOT')).toMatchObject({ onHand: 1, version: 3 });
    expect(await backend.store.info()).toMatchObject({ conflicts: 1, retries: 1 });
    expect(await backend.store.audit()).toEqual([]);
  });

  it('atomic: its conditional update finds the stock gone, and it plans again on a fresh read', async () => {
    const { backend, waiting, takeAndHold, order } = await setUp('atomic', 5);
    const o = await order(3);
    const other = await takeAndHold(4);
    const applied = backend.store.applyToOrder(o.id, T0 + 1, reserve);
    await waiting();
    await other.commit();
    const a = await applied;
    expect(a.plan.outcome).toBe('needs-supplier');
    expect(a.events[0]!.data).toMatchObject({ onHand: 1, shortBy: 2 });
    expect(await backend.store.getInventory('HOT')).toMatchObject({ onHand: 1, version: 2 });
    expect(await backend.store.info()).toMatchObject({ conflicts: 0 });
    expect(await backend.store.audit()).toEqual([]);
  });

  it('atomic: when the stock is still enough, its one statement reserves on the value it met, and the event says so', async () => {
    const { backend, waiting, takeAndHold, order } = await setUp('atomic', 5);
    const o = await order(3);
    const other = await takeAndHold(1);
    const applied = backend.store.applyToOrder(o.id, T0 + 1, reserve);
    await waiting();
    await other.commit();
    const a = await applied;
    expect(a.plan.outcome).toBe('reserved:stock');
    expect(a.events.find((e) => e.type === 'InventoryReserved')!.data).toEqual({ source: 'stock', qty: 3, onHandAfter: 1 });
    expect((await backend.store.listMovements('HOT')).at(-1)).toMatchObject({ type: 'reservation', qty: -3, onHandAfter: 1 });
  });

  it.each(['pessimistic', 'optimistic', 'atomic'] as const)(
    "%s: a change that waited for the order's row lock sees the supplier request its holder committed",
    async (strategy) => {
      const { backend, schema, waiting, order } = await setUp(strategy, 5);
      const o = await order(3);
      // another transaction holds the order and records that the supplier was asked
      const holder = new pg.Client(poolConfig({ url: PG_TEST_URL, schema }));
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT id FROM orders WHERE id = $1 FOR UPDATE', [o.id]);
        await holder.query(`INSERT INTO order_events (order_id, at, type, data) VALUES ($1, $2, 'SupplierReservationRequested', '{"key":"k-1"}')`, [o.id, T0]);
        let seen: unknown = 'not planned';
        const applied = backend.store.applyToOrder(o.id, T0 + 1, (s) => {
          seen = s.supplierAsked;
          return { outcome: 'noop', movements: [], events: [], jobs: [] };
        });
        await waiting();
        await holder.query('COMMIT');
        await applied;
        // read after the lock: a snapshot taken before the wait would say null
        expect(seen).toEqual({ key: 'k-1' });
      } finally {
        await holder.end();
      }
    },
  );

  it('optimistic: with 16 jobs at once on one row, conflicts are counted and retried; nothing oversold, nothing failed, no attempt spent', async () => {
    const url = new URL(tempPgUrl());
    const w = await testWarehouse({ db: url.toString(), settings: { reserveStrategy: 'optimistic', concurrency: 16 } });
    cleanups.push(() => w.close());
    await w.inventory.set('HOT', 40);
    for (let i = 0; i < 60; i++) await w.orders.create({ sku: 'HOT', qty: 1 });
    let conflicts = 0;
    w.bus.on('order:event', (e) => {
      if (e.type === 'InventoryConflict') conflicts += Number(e.data.conflicts);
    });
    await w.runner.runUntilIdle();
    const { orders } = await w.orders.list({ limit: 100 });
    expect(orders.filter((o) => o.status === 'reserved')).toHaveLength(60);
    expect((await w.inventory.get('HOT')).onHand).toBe(0);
    const local = (await w.inventory.movements('HOT')).filter((m) => m.type === 'reservation' && m.onHandAfter >= 0);
    expect(local.length).toBeGreaterThanOrEqual(40);
    expect(await w.jobs.failed()).toEqual([]);
    // 16 jobs at once on one row: conflicts happen, are counted, and cost no attempt
    expect(conflicts).toBeGreaterThan(0);
    for (const o of orders) expect((await w.orders.get(o.id)).events.some((e) => e.type === 'SupplierCallFailed')).toBe(false);
    expect(await w.store.audit()).toEqual([]);
  });
});
