/**
 * The order's life after the reservation (docs/design.md §2.5): cancel, fulfil and expiry, with the
 * stock views and the ledger, in virtual time on a real SQLite file (and on a PostgreSQL schema in
 * the `postgres` project); the invariants of docs/design.md §6 are checked after each test.
 */
import { describe, expect, it } from 'vitest';
import { checkedEngines } from '../support/checked-engine.js';
import { inventoryJson } from '../../src/app/json.js';
import { explainOrder } from '../../src/app/explain.js';
import { createStatsService } from '../../src/app/stats.js';
import { OrderStateError } from '../../src/domain/errors.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';

const engine = checkedEngines();

const types = (o: { events: Array<{ type: string }> }) => o.events.map((e) => e.type);
const ledger = async (w: Warehouse, sku: string) => (await w.inventory.movements(sku)).map((m) => [m.type, m.qty, m.orderId, m.onHandAfter]);
const views = async (w: Warehouse, sku: string) => {
  const { onHand, reserved, available } = inventoryJson(await w.inventory.get(sku));
  return { onHand, reserved, available };
};

/** Runs jobs until order `id` reaches `status` (told by the bus as it commits). */
async function runUntil(w: Warehouse, id: number, status: string) {
  let reached = false;
  const seen = (t: { orderId: number; to: string }) => {
    if (t.orderId === id && t.to === status) reached = true;
  };
  const off = w.bus.on('order:transition', seen);
  await w.runner.runUntilIdle({ until: () => reached });
  off();
}

async function reservedOrder(w: Warehouse, sku = 'WIDGET', qty = 3, stock = 10) {
  await w.inventory.set(sku, stock);
  const order = await w.orders.create({ sku, qty });
  await runUntil(w, order.id, 'reserved');
  expect((await w.orders.get(order.id)).status).toBe('reserved');
  return order;
}

describe('the stock views', () => {
  it('show on hand = reserved + available, the ledger summing to available', async () => {
    const w = await engine();
    await reservedOrder(w, 'WIDGET', 3, 10);
    expect(await views(w, 'WIDGET')).toEqual({ onHand: 10, reserved: 3, available: 7 });
    expect((await w.inventory.movements('WIDGET')).reduce((sum, m) => sum + m.qty, 0)).toBe(7);
  });

  it('leave reserved units out of a stock count: it counts what is available', async () => {
    const w = await engine();
    await reservedOrder(w, 'WIDGET', 3, 10);
    expect(inventoryJson(await w.inventory.set('WIDGET', 12))).toMatchObject({ onHand: 15, reserved: 3, available: 12 });
    expect(await views(w, 'WIDGET')).toEqual({ onHand: 15, reserved: 3, available: 12 });
  });
});

describe('cancelling an order', () => {
  it('releases a reserved order’s units in the same transaction as the cancellation', async () => {
    const w = await engine();
    const order = await reservedOrder(w);
    const cancelled = await w.orders.cancel(order.id);
    expect(cancelled.status).toBe('cancelled');
    const full = await w.orders.get(order.id);
    expect(types(full).slice(-2)).toEqual(['ReservationReleased', 'OrderCancelled']);
    expect(full.events.at(-2)!.at).toBe(full.events.at(-1)!.at);
    expect(await ledger(w, 'WIDGET')).toEqual([
      ['adjustment', 10, null, 10],
      ['reservation', -3, order.id, 7],
      ['release', 3, order.id, 10],
    ]);
    expect(await views(w, 'WIDGET')).toEqual({ onHand: 10, reserved: 0, available: 10 });
  });

  it('cancels a pending order at once, and its reservation job later changes nothing', async () => {
    const w = await engine();
    await w.inventory.set('WIDGET', 10);
    const order = await w.orders.create({ sku: 'WIDGET', qty: 3 });
    expect((await w.orders.cancel(order.id)).status).toBe('cancelled');
    await w.runner.runUntilIdle();
    const full = await w.orders.get(order.id);
    expect(full.status).toBe('cancelled');
    expect(types(full)).toEqual(['OrderCreated', 'OrderCancelled']);
    expect(await ledger(w, 'WIDGET')).toEqual([['adjustment', 10, null, 10]]);
    expect(await w.queue.list()).toEqual([]);
  });

  it('refuses a final order with why, changing nothing', async () => {
    const w = await engine();
    const order = await reservedOrder(w);
    await w.orders.cancel(order.id);
    const before = await w.orders.get(order.id);
    const again = w.orders.cancel(order.id);
    await expect(again).rejects.toThrow(OrderStateError);
    await expect(again).rejects.toThrow(`order ${order.id} is cancelled: it cannot be cancelled (a cancelled order is final)`);
    await expect(w.orders.fulfil(order.id)).rejects.toThrow(/is cancelled: it cannot be fulfilled/);
    expect(await w.orders.get(order.id)).toEqual(before);
  });

  it('of a failed order is refused', async () => {
    const w = await engine({}, { WIDGET: { reserve: 'rejected' } });
    const order = await w.orders.create({ sku: 'WIDGET', qty: 1 });
    await w.runner.runUntilIdle();
    await expect(w.orders.cancel(order.id)).rejects.toThrow(/is failed: it cannot be cancelled/);
  });

  it('while the supplier holds a reservation moves it to cancelling, the status check dropped', async () => {
    const w = await engine({}, { WIDGET: { status: ['delayed'] } });
    const order = await w.orders.create({ sku: 'WIDGET', qty: 2 });
    await runUntil(w, order.id, 'awaiting_restock');
    const cancelling = await w.orders.cancel(order.id);
    expect(cancelling.status).toBe('cancelling');
    const jobs = await w.queue.list();
    expect(jobs.map((j) => j.type)).toEqual(['CancelSupplierReservation']);
    // a second cancel changes nothing more
    expect((await w.orders.cancel(order.id)).status).toBe('cancelling');
    expect((await w.queue.list()).length).toBe(1);
  });
});

describe('fulfilling an order', () => {
  it('makes a reserved order fulfilled: the units leave on hand, available does not move', async () => {
    const w = await engine();
    const order = await reservedOrder(w);
    const fulfilled = await w.orders.fulfil(order.id);
    expect(fulfilled.status).toBe('fulfilled');
    expect(types(await w.orders.get(order.id)).at(-1)).toBe('OrderFulfilled');
    expect(await views(w, 'WIDGET')).toEqual({ onHand: 7, reserved: 0, available: 7 });
    expect(await ledger(w, 'WIDGET')).toEqual([
      ['adjustment', 10, null, 10],
      ['reservation', -3, order.id, 7],
    ]);
  });

  it('refuses an order that is not reserved', async () => {
    const w = await engine();
    const order = await w.orders.create({ sku: 'WIDGET', qty: 3 });
    await expect(w.orders.fulfil(order.id)).rejects.toThrow(/is pending: it cannot be fulfilled \(only a reserved order can be fulfilled/);
    await w.orders.cancel(order.id);
  });
});

describe('a reservation with a time to live', () => {
  it('expires when the runner’s TTL runs out, its units released by an ExpireReservation job', async () => {
    const w = await engine({ reservationTtlMs: 10 * 60_000 });
    await w.inventory.set('WIDGET', 10);
    const order = await w.orders.create({ sku: 'WIDGET', qty: 3 });
    await w.runner.runUntilIdle();
    const full = await w.orders.get(order.id);
    expect(full.status).toBe('expired');
    expect(full.updatedAt - full.createdAt).toBe(10 * 60_000);
    expect(types(full)).toEqual(['OrderCreated', 'InventoryReserved', 'OrderReserved', 'ReservationReleased', 'OrderExpired']);
    expect(full.events[2]!.data).toEqual({ expiresAt: full.createdAt + 10 * 60_000 });
    expect(await views(w, 'WIDGET')).toEqual({ onHand: 10, reserved: 0, available: 10 });
    expect((await ledger(w, 'WIDGET')).at(-1)).toEqual(['release', 3, order.id, 10]);
  });

  it('of the order’s own wins over the runner’s, and carries through the supplier’s delivery', async () => {
    const w = await engine({ reservationTtlMs: 10 * 60_000 });
    const order = await w.orders.create({ sku: 'WIDGET', qty: 2, reservationTtl: '90s' });
    await w.runner.runUntilIdle();
    const full = await w.orders.get(order.id);
    expect(full.status).toBe('expired');
    // reserved by the supplier's delivery at +15 s, expired 90 s later
    expect(full.updatedAt - full.createdAt).toBe(15_000 + 90_000);
  });

  it('is dropped when the order is fulfilled first', async () => {
    const w = await engine({ reservationTtlMs: 10 * 60_000 });
    const order = await reservedOrder(w);
    expect((await w.queue.list()).map((j) => j.type)).toEqual(['ExpireReservation']);
    await w.orders.fulfil(order.id);
    expect(await w.queue.list()).toEqual([]);
    await w.runner.runUntilIdle();
    expect((await w.orders.get(order.id)).status).toBe('fulfilled');
  });

  it('refuses a duration that does not parse, storing nothing', async () => {
    const w = await engine();
    for (const bad of ['soon', '0s', '10', '-5m', 12]) {
      await expect(w.orders.create({ sku: 'WIDGET', qty: 1, reservationTtl: bad })).rejects.toThrow(expect.objectContaining({ field: 'reservationTtl' }));
    }
    expect((await w.orders.list()).orders).toEqual([]);
  });
});

describe('cancelling an order the supplier holds a reservation for (compensation)', () => {
  async function awaiting(w: Warehouse, qty = 2) {
    const order = await w.orders.create({ sku: 'WIDGET', qty });
    await runUntil(w, order.id, 'awaiting_restock');
    expect((await w.orders.cancel(order.id)).status).toBe('cancelling');
    await w.runner.runUntilIdle();
    return w.orders.get(order.id);
  }
  const cancelCalls = (w: Warehouse) => w.mock!.calls.filter((c) => c.kind === 'cancel').map((c) => c.answer);

  it('cancels the supplier’s reservation, then the order: nothing moves in the ledger', async () => {
    const w = await engine({}, { WIDGET: { status: ['delayed'], cancel: ['ok'] } });
    const order = await awaiting(w);
    expect(order.status).toBe('cancelled');
    expect(types(order).slice(-3)).toEqual(['CancelRequested', 'SupplierReservationCancelled', 'OrderCancelled']);
    expect(cancelCalls(w)).toEqual(['ok']);
    expect(w.mock!.calls.filter((c) => c.kind === 'status')).toEqual([]);
    await expect(w.inventory.movements('WIDGET')).rejects.toThrow(/not found/);
  });

  it('retries a cancel call that failed (SupplierReservationCancelFailed), with the same key', async () => {
    const w = await engine({}, { WIDGET: { status: ['delayed'], cancel: ['error', 'ok'] } });
    const order = await awaiting(w);
    expect(order.status).toBe('cancelled');
    expect(types(order)).toContain('SupplierReservationCancelFailed');
    expect(cancelCalls(w)).toEqual(['error', 'ok']);
    const keys = new Set((await w.mock!.conversations()).flatMap((c) => c.calls.filter((x) => x.kind === 'cancel').map((x) => x.key)));
    expect(keys.size).toBe(1);
  });

  it('books a too-late delivery to stock as a restock: nothing lost, nothing held for the cancelled order', async () => {
    const w = await engine({}, { WIDGET: { status: ['delayed'], cancel: ['too_late'] } });
    const order = await awaiting(w, 4);
    expect(order.status).toBe('cancelled');
    expect(types(order).slice(-3)).toEqual(['SupplierReservationCancelled', 'SupplierDeliveryRestocked', 'OrderCancelled']);
    expect(await ledger(w, 'WIDGET')).toEqual([['restock', 4, order.id, 4]]);
    expect(await views(w, 'WIDGET')).toEqual({ onHand: 4, reserved: 0, available: 4 });
  });

  it('finishes a reserve call under way when the order is cancelled, then cancels what the supplier reserved', async () => {
    const w = await engine({}, { WIDGET: { cancel: ['ok'] } });
    const order = await w.orders.create({ sku: 'WIDGET', qty: 2 });
    // the cancel arrives while the reserve call is out (after SupplierReservationRequested committed)
    const reserve = w.supplier.reserve.bind(w.supplier);
    Object.assign(w.supplier, {
      reserve: async (req: Parameters<typeof reserve>[0]) => {
        const answer = await reserve(req);
        expect((await w.orders.cancel(order.id)).status).toBe('cancelling');
        return answer;
      },
    });
    await w.runner.runUntilIdle();
    const full = await w.orders.get(order.id);
    expect(full.status).toBe('cancelled');
    expect(types(full)).toEqual([
      'OrderCreated',
      'SupplierReservationRequested',
      'CancelRequested',
      'SupplierReservationAccepted',
      'SupplierReservationCancelled',
      'OrderCancelled',
    ]);
    expect(full.supplierRef).toMatch(/^R\./);
    expect(cancelCalls(w)).toEqual(['ok']);
  });

  it('dead-letters a compensation whose attempts run out, leaving the order cancelling for an operator', async () => {
    const w = await engine({ jobAttempts: 2 }, { WIDGET: { status: ['delayed'], cancel: ['error'] } });
    const order = await awaiting(w);
    expect(order.status).toBe('cancelling');
    expect(types(order).at(-1)).toBe('JobDeadLettered');
    const [dead] = await w.jobs.failed();
    expect(dead).toMatchObject({ type: 'CancelSupplierReservation', orderId: order.id });
    await w.mock!.setScript('WIDGET', { status: ['delayed'], cancel: ['ok'] });
    await w.jobs.retry(dead!.id);
    await w.runner.runUntilIdle();
    expect((await w.orders.get(order.id)).status).toBe('cancelled');
  });
});

describe('the figures', () => {
  it('count cancellations, expiries, fulfilments and compensations', async () => {
    const w = await engine({}, { WIDGET: { status: ['delayed'], cancel: ['error', 'too_late'] } });
    await w.inventory.set('STOCK', 10);
    const fulfilled = await w.orders.create({ sku: 'STOCK', qty: 1 });
    const cancelled = await w.orders.create({ sku: 'STOCK', qty: 1 });
    const expiring = await w.orders.create({ sku: 'STOCK', qty: 1, reservationTtl: '1m' });
    const compensated = await w.orders.create({ sku: 'WIDGET', qty: 1 });
    await runUntil(w, compensated.id, 'awaiting_restock');
    await w.orders.fulfil(fulfilled.id);
    await w.orders.cancel(cancelled.id);
    await w.orders.cancel(compensated.id);
    await w.runner.runUntilIdle();
    expect((await w.orders.get(expiring.id)).status).toBe('expired');
    const stats = await createStatsService({ store: w.store, queue: w.queue, clock: w.clock }).read();
    expect(stats.lifecycle).toEqual({ cancelled: 2, expired: 1, fulfilled: 1 });
    expect(stats.compensations).toEqual({ cancelled: 0, tooLate: 1, failedCalls: 1, linesUndone: 0 });
  });
});

describe('order explain', () => {
  it('tells the states and the steps of a cancellation with a too-late delivery, and of an expiry', async () => {
    const w = await engine({}, { WIDGET: { status: ['delayed'], cancel: ['too_late'] } });
    const order = await w.orders.create({ sku: 'WIDGET', qty: 2 });
    await runUntil(w, order.id, 'awaiting_restock');
    await w.orders.cancel(order.id);
    await w.runner.runUntilIdle();
    const full = await w.orders.get(order.id);
    const x = explainOrder(full, full.events, w.settings);
    expect(x.pathText).toBe('pending → awaiting_restock → cancelling → cancelled');
    expect(x.next).toBeNull();
    expect(x.events.map((e) => e.text).join(' ')).toMatch(/compensation.*too late.*booked to stock as a restock/s);

    await w.inventory.set('STOCK', 5);
    const expiring = await w.orders.create({ sku: 'STOCK', qty: 1, reservationTtl: '2m' });
    await runUntil(w, expiring.id, 'reserved');
    const reserved = await w.orders.get(expiring.id);
    expect(explainOrder(reserved, reserved.events, w.settings).next).toBe('the reservation expires at +120 s unless the order is fulfilled or cancelled first');
    await w.runner.runUntilIdle();
    const expired = await w.orders.get(expiring.id);
    expect(explainOrder(expired, expired.events, w.settings).pathText).toBe('pending → reserved → expired');
  });
});
