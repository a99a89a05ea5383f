/**
 * The simulator's in-memory backend (src/adapters/memory): what a replay relies on beyond the
 * outcomes test/sim/transports.test.ts compares with SQLite's — a write that throws leaves nothing
 * behind, a lost lease rolls the settlement back, jobs come in due order, and what only a
 * database keeps is refused with a message.
 */
import { describe, expect, it } from 'vitest';
import { openMemoryBackend } from '../../src/adapters/memory/index.js';
import { LeaseLostError } from '../../src/domain/errors.js';
import { planCreateLines } from '../../src/domain/lines.js';
import { planCreateOrder, type Plan } from '../../src/domain/plans.js';

const T0 = Date.UTC(2026, 0, 1, 9);
const open = () => openMemoryBackend({ jobAttempts: 5, reserveStrategy: 'pessimistic' });
const reserve = (qty: number): Plan => ({
  outcome: 'reserved',
  order: { status: 'reserved' },
  movements: [{ type: 'reservation', qty: -qty }],
  events: [{ type: 'InventoryReserved', data: { qty } }],
  jobs: [],
});

describe('the in-memory backend', () => {
  it('undoes every change of a write that throws, ids included', async () => {
    const { store, queue } = open();
    await store.setOnHand('A', 5, T0);
    const { order } = await store.createOrder('A', 2, T0, () => planCreateOrder('A', 2, T0));
    const refused = store.applyToOrder(order.id, T0 + 1, (s) => {
      // a plan whose movement would take on-hand below 0: refused as the CHECK constraint would
      expect(s.onHand).toBe(5);
      return reserve(9);
    });
    await expect(refused).rejects.toThrow(/on_hand/);
    expect(await store.getOrder(order.id)).toMatchObject({ status: 'pending' });
    expect((await store.getInventory('A'))?.onHand).toBe(5);
    expect((await store.getTimeline(order.id)).map((e) => e.type)).toEqual(['OrderCreated']);
    const again = await store.applyToOrder(order.id, T0 + 2, () => reserve(2));
    expect(again.events).toHaveLength(1);
    // the refused write's event took no id: the log goes on from where it was
    expect((await store.readEvents(0, 10)).map((e) => [e.id, e.type])).toEqual([
      [1, 'OrderCreated'],
      [2, 'InventoryReserved'],
    ]);
    expect((await store.listMovements('A')).map((m) => [m.type, m.qty, m.onHandAfter])).toEqual([
      ['adjustment', 5, 5],
      ['reservation', -2, 3],
    ]);
    expect(await queue.count()).toEqual({ queued: 1, running: 0, parked: 0, dead: 0 });
  });

  it('refuses a settlement whose lease was taken over, and keeps the job with its new runner', async () => {
    const { store, queue } = open();
    const { order } = await store.createOrder('A', 1, T0, () => planCreateOrder('A', 1, T0));
    const [first] = await queue.claim(T0, 1, 'dies', 1_000);
    expect(await queue.nextDueAt()).toBe(T0 + 1_000);
    const [second] = await queue.claim(T0 + 1_000, 1, 'lives', 1_000);
    expect(second).toMatchObject({ id: first!.id, runs: 2, attempt: 1 });
    const late = store.applyToOrder(order.id, T0 + 1_001, () => reserve(1), { lease: first!.lease, settle: { kind: 'complete' } });
    await expect(late).rejects.toBeInstanceOf(LeaseLostError);
    expect(await store.getOrder(order.id)).toMatchObject({ status: 'pending' });
    expect((await queue.list()).map((j) => [j.state, j.lockedBy])).toEqual([['running', second!.lease.token]]);
  });

  it('claims due jobs by run time then id, retried ones at their new time, and says when the next is due', async () => {
    const { store, queue } = open();
    const ids: number[] = [];
    for (const at of [T0 + 30, T0 + 10, T0 + 10, T0 + 20]) ids.push((await store.createOrder('A', 1, T0, () => planCreateOrder('A', 1, at))).order.id);
    expect(await queue.nextDueAt()).toBe(T0 + 10);
    expect(await queue.claim(T0 + 5, 10, 'w', 60_000)).toEqual([]);
    const claimed = await queue.claim(T0 + 20, 2, 'w', 60_000);
    expect(claimed.map((j) => j.orderId)).toEqual([ids[1], ids[2]]);
    // the first one is retried later than the others are due
    await store.applyToOrder(ids[1]!, T0 + 20, () => ({ outcome: 'noop', movements: [], events: [], jobs: [] }), {
      lease: claimed[0]!.lease,
      settle: { kind: 'retry', runAt: T0 + 40, error: 'supplier down', counted: true },
    });
    const rest = await queue.claim(T0 + 100, 10, 'w', 60_000);
    expect(rest.map((j) => [j.orderId, j.attempt])).toEqual([
      [ids[3], 1],
      [ids[0], 1],
      [ids[1], 2],
    ]);
    expect(await queue.nextDueAt()).toBe(T0 + 20 + 60_000);
  });

  it("keeps a multi-line order's lines as rows of their own, out of the order list and counts", async () => {
    const { store } = open();
    await store.createOrder('A', 1, T0, () => planCreateOrder('A', 1, T0));
    const lines = [
      { sku: 'B', qty: 2 },
      { sku: 'A', qty: 1 },
    ];
    const made = await store.createOrderLines(lines, T0, () => planCreateLines(lines, T0));
    expect(made.order).toMatchObject({ sku: 'B+A', qty: 3, lineCount: 2, parentId: null });
    expect((await store.getLines(made.order.id)).map((l) => [l.lineNo, l.sku, l.parentId])).toEqual([
      [1, 'B', made.order.id],
      [2, 'A', made.order.id],
    ]);
    expect((await store.listOrders({})).orders.map((o) => o.id)).toEqual([1, made.order.id]);
    expect((await store.countOrders()).pending).toBe(2);
    const timeline = await store.getTimeline(made.order.id, { lines: true });
    expect(timeline.map((e) => [e.orderId, e.type, e.data.line])).toEqual([
      [made.order.id, 'OrderCreated', undefined],
      [made.order.id, 'OrderCreated', 1],
      [made.order.id, 'OrderCreated', 2],
    ]);
  });

  it('refuses what only a database keeps, saying so', async () => {
    const { store, queue, idempotency } = open();
    await expect(store.audit()).rejects.toThrow(/in-memory backend/);
    await expect(queue.claimForRelay(T0, 1, 1_000)).rejects.toThrow(/relay/);
    await expect(idempotency.begin('k', 'f', T0, { ttlMs: 1, leaseMs: 1 })).rejects.toThrow(/Idempotency-Key/);
  });
});
