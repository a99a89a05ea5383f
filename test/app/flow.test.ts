/**
 * Every branch of the flow (docs/design.md §2, §4), in virtual time, through the real supplier HTTP client and the MSW
 * mock, on a real SQLite file (and on a PostgreSQL schema in the `postgres` project); the invariants of
 * docs/design.md §6 are checked after each.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SupplierScript } from '../../src/domain/supplier-script.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { freshDatabase, invariantsOf, rawSql, TEST_DATABASE, testWarehouse } from '../helpers.js';

const START = Date.UTC(2026, 0, 1, 9);
let open: Array<{ w: Warehouse; file: string }> = [];

async function engine(script: SupplierScript = {}, settings = {}) {
  const file = freshDatabase();
  const w = await testWarehouse({ db: file, supplierScript: script, settings });
  open.push({ w, file });
  return { w, file };
}

afterEach(async () => {
  for (const { w, file } of open) {
    await w.close();
    expect(await invariantsOf(file)).toEqual([]);
  }
  open = [];
});

async function run(w: Warehouse, sku: string, qty: number) {
  const created = await w.orders.create({ sku, qty });
  await w.runner.runUntilIdle();
  return w.orders.get(created.id);
}

const types = (o: { events: Array<{ type: string }> }) => o.events.map((e) => e.type);
const settledAfter = (o: { createdAt: number; updatedAt: number }) => o.updatedAt - o.createdAt;

describe('an order with stock on hand', () => {
  it('is reserved at once from local stock, with one reservation movement', async () => {
    const { w } = await engine();
    await w.inventory.set('WIDGET', 10);
    const order = await run(w, 'widget', 3);
    expect(order).toMatchObject({ sku: 'WIDGET', status: 'reserved', supplierChecks: 0, failureReason: null, supplierRef: null });
    expect(settledAfter(order)).toBe(0);
    expect(types(order)).toEqual(['OrderCreated', 'InventoryReserved', 'OrderReserved']);
    expect((await w.inventory.get('WIDGET')).onHand).toBe(7);
    const moves = await w.inventory.movements('WIDGET');
    expect(moves.map((m) => [m.type, m.qty, m.orderId, m.onHandAfter])).toEqual([
      ['adjustment', 10, null, 10],
      ['reservation', -3, order.id, 7],
    ]);
    expect(w.mock!.calls).toEqual([]);
  });

  it('takes exactly the last units', async () => {
    const { w } = await engine();
    await w.inventory.set('WIDGET', 3);
    expect((await run(w, 'WIDGET', 3)).status).toBe('reserved');
    expect((await w.inventory.get('WIDGET')).onHand).toBe(0);
  });

  it('gives the last units to one of two competing orders (the first, on SQLite); the other goes to the supplier', async () => {
    const { w } = await engine({ WIDGET: { status: ['fail'] } });
    await w.inventory.set('WIDGET', 5);
    const a = await w.orders.create({ sku: 'WIDGET', qty: 3 });
    const b = await w.orders.create({ sku: 'WIDGET', qty: 3 });
    await w.runner.runUntilIdle();
    // on PostgreSQL the two jobs race for the row lock in real time: the server picks the winner
    const [winner, loser] = TEST_DATABASE === 'sqlite' || (await w.orders.get(a.id)).status === 'reserved' ? [a, b] : [b, a];
    if (TEST_DATABASE === 'sqlite') expect(winner).toBe(a);
    expect((await w.orders.get(winner.id)).status).toBe('reserved');
    expect(await w.orders.get(loser.id)).toMatchObject({ status: 'failed', failureReason: 'supplier_failed', supplierChecks: 1 });
    expect((await w.inventory.get('WIDGET')).onHand).toBe(2);
  });
});

describe('an order short of stock', () => {
  it('treats an unknown SKU as stock 0 and reserves through the supplier at the first check', async () => {
    const { w } = await engine();
    const order = await run(w, 'NEW-1', 4);
    expect(order).toMatchObject({ status: 'reserved', supplierChecks: 1, failureReason: null });
    expect(order.supplierRef).toBeTruthy();
    expect(settledAfter(order)).toBe(15_000);
    expect(types(order)).toEqual([
      'OrderCreated',
      'SupplierReservationRequested',
      'SupplierReservationAccepted',
      'SupplierStatusChecked',
      'InventoryReserved',
      'OrderReserved',
    ]);
    const moves = await w.inventory.movements('NEW-1');
    expect(moves.map((m) => [m.type, m.qty, m.onHandAfter])).toEqual([
      ['restock', 4, 4],
      ['reservation', -4, 0],
    ]);
  });

  it('leaves local stock alone when it cannot cover the order', async () => {
    const { w } = await engine();
    await w.inventory.set('BOLT-1', 10);
    const order = await run(w, 'BOLT-1', 30);
    expect(order.status).toBe('reserved');
    expect((await w.inventory.get('BOLT-1')).onHand).toBe(10);
  });

  it('is reserved at 45 s after delayed, delayed, ok, with supplierChecks 3', async () => {
    const { w } = await engine({ BOLT: { status: ['delayed', 'delayed', 'ok'] } });
    const order = await run(w, 'BOLT', 30);
    expect(order).toMatchObject({ status: 'reserved', supplierChecks: 3 });
    expect(settledAfter(order)).toBe(45_000);
    const checks = order.events.filter((e) => e.type === 'SupplierStatusChecked').map((e) => [e.at - START, e.data.status]);
    expect(checks).toEqual([
      [15_000, 'delayed'],
      [30_000, 'delayed'],
      [45_000, 'ok'],
    ]);
  });

  it('fails with supplier_delayed at 45 s after three delayed answers', async () => {
    const { w } = await engine({ BOLT: { status: ['delayed'] } });
    const order = await run(w, 'BOLT', 30);
    expect(order).toMatchObject({ status: 'failed', failureReason: 'supplier_delayed', supplierChecks: 3 });
    expect(settledAfter(order)).toBe(45_000);
    expect(await w.inventory.get('BOLT').catch(() => null)).toBeNull();
  });

  it('follows the configured check delay and delayed-retry budget', async () => {
    const { w } = await engine({ BOLT: { status: ['delayed'] } }, { checkDelayMs: 5_000, maxDelayedRetries: 4 });
    const order = await run(w, 'BOLT', 1);
    expect(order).toMatchObject({ status: 'failed', failureReason: 'supplier_delayed', supplierChecks: 5 });
    expect(settledAfter(order)).toBe(25_000);
  });

  it('fails with supplier_rejected when the supplier refuses the reservation', async () => {
    const { w } = await engine({ GADGET: { reserve: 'rejected' } });
    const order = await run(w, 'GADGET', 1);
    expect(order).toMatchObject({ status: 'failed', failureReason: 'supplier_rejected', supplierChecks: 0, supplierRef: null });
    expect(types(order)).toEqual(['OrderCreated', 'SupplierReservationRequested', 'SupplierReservationRejected', 'OrderFailed']);
  });

  it('fails with supplier_failed when a check answers fail', async () => {
    const { w } = await engine({ GADGET: { status: ['delayed', 'fail'] } });
    const order = await run(w, 'GADGET', 1);
    expect(order).toMatchObject({ status: 'failed', failureReason: 'supplier_failed', supplierChecks: 2 });
    expect(settledAfter(order)).toBe(30_000);
  });
});

describe('transient supplier errors', () => {
  it('retries reserve after a 500, a timeout and a malformed body, then goes on', async () => {
    const { w } = await engine({ FLAKY: { reserve: ['error', 'timeout', 'malformed', 'accepted'] } });
    const order = await run(w, 'FLAKY', 2);
    expect(order).toMatchObject({ status: 'reserved', supplierChecks: 1 });
    const failures = order.events.filter((e) => e.type === 'SupplierCallFailed').map((e) => e.data.kind);
    expect(failures).toEqual(['http_error', 'timeout', 'malformed']);
    // the timeout took the client's 5 s on the virtual clock, not on the wall clock
    expect(settledAfter(order)).toBeGreaterThan(15_000 + 5_000);
    // one Idempotency-Key, four calls, one reservation
    const keys = new Set(w.mock!.calls.filter((c) => c.kind === 'reserve').map((c) => c.key));
    expect(keys).toEqual(new Set([`order-${order.id}.${(await w.databaseId()).slice(0, 16)}`]));
  });

  it('never spends the delayed budget on transient errors', async () => {
    const { w } = await engine({ FLAKY: { status: ['error', 'delayed', 'timeout', 'delayed', 'malformed', 'ok'] } });
    const order = await run(w, 'FLAKY', 2);
    expect(order).toMatchObject({ status: 'reserved', supplierChecks: 3, failureReason: null });
  });

  it('dead-letters a job whose attempts run out and fails the order with supplier_unavailable', async () => {
    const { w } = await engine({ DOWN: { reserve: 'error' } });
    const order = await run(w, 'DOWN', 1);
    expect(order).toMatchObject({ status: 'failed', failureReason: 'supplier_unavailable' });
    expect(w.mock!.calls.filter((c) => c.kind === 'reserve')).toHaveLength(5);
    const dead = await w.jobs.failed();
    expect(dead).toMatchObject([{ type: 'ReserveInventory', orderId: order.id, attempts: 5 }]);
    expect(dead[0]!.lastError).toMatch(/HTTP 500/);
    expect(await w.jobs.list()).toEqual([]);
    expect(await w.jobs.counts()).toEqual({ queued: 0, running: 0, parked: 0, dead: 1 });
    expect(types(order).slice(-2)).toEqual(['JobDeadLettered', 'OrderFailed']);
  });

  it('spaces retries with exponential backoff', async () => {
    const { w } = await engine({ DOWN: { reserve: 'error' } });
    const order = await run(w, 'DOWN', 1);
    const delays = order.events.filter((e) => e.type === 'SupplierCallFailed').map((e) => (e.data.retryAt as number) - e.at);
    expect(delays).toHaveLength(4);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(1_000 * 2 ** i * 0.5);
      expect(d).toBeLessThanOrEqual(1_000 * 2 ** i);
    });
  });

  it('dead-letters a status check when the supplier stops answering', async () => {
    const { w } = await engine({ GONE: { status: ['timeout'] } });
    const order = await run(w, 'GONE', 1);
    expect(order).toMatchObject({ status: 'failed', failureReason: 'supplier_unavailable', supplierChecks: 0 });
    expect((await w.jobs.failed())[0]).toMatchObject({ type: 'CheckSupplierStatus' });
  });
});

describe('at-least-once jobs with exactly-once effects', () => {
  it('writes nothing twice when every job of a finished order runs again', async () => {
    const { w, file } = await engine({ BOLT: { status: ['delayed', 'ok'] } });
    const order = await run(w, 'BOLT', 3);
    const before = { moves: await w.inventory.movements('BOLT'), events: order.events.length, calls: w.mock!.calls.length };
    // redeliver both jobs, as a crashed runner's queue would
    const insert = (type: string, payload: string) =>
      rawSql(file, `INSERT INTO jobs (type, order_id, payload, run_at, max_attempts, created_at) VALUES (?, ?, ?, ?, 5, ?)`, [
        type,
        order.id,
        payload,
        w.clock.now(),
        w.clock.now(),
      ]);
    await insert('ReserveInventory', '{}');
    await insert('CheckSupplierStatus', '{"check":1}');
    await insert('CheckSupplierStatus', '{"check":2}');
    await w.runner.runUntilIdle();
    expect(await w.inventory.movements('BOLT')).toEqual(before.moves);
    expect((await w.orders.get(order.id)).events).toHaveLength(before.events);
    expect(w.mock!.calls).toHaveLength(before.calls);
    expect(await w.jobs.list()).toEqual([]);
  });

  it('gets the same supplier ref for the same Idempotency-Key', async () => {
    const { w } = await engine();
    const first = await w.supplier.reserve({ sku: 'X', qty: 1, idempotencyKey: 'order-77' });
    const again = await w.supplier.reserve({ sku: 'X', qty: 1, idempotencyKey: 'order-77' });
    expect(again.ref).toBe(first.ref);
  });

  it('takes up a job whose runner died once its lease has expired', async () => {
    const { w } = await engine();
    await w.inventory.set('A', 5);
    const order = await w.orders.create({ sku: 'A', qty: 1 });
    const [stolen] = await w.queue.claim(w.clock.now(), 1, 'runner-that-dies', w.settings.leaseMs);
    expect(stolen?.orderId).toBe(order.id);
    await w.runner.runUntilIdle();
    const done = await w.orders.get(order.id);
    expect(done.status).toBe('reserved');
    expect(settledAfter(done)).toBe(w.settings.leaseMs);
  });
});
