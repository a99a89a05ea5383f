/**
 * The Store port's contract (ports/store.ts), the same tests on every adapter: SQLite in the `all`
 * project, PostgreSQL in the `postgres` project.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyClaimLostError, IllegalTransitionError, LeaseLostError, NotFoundError } from '../../src/domain/errors.js';
import { planReserveFromStock, type Plan } from '../../src/domain/plans.js';
import { RESERVE_STRATEGIES } from '../../src/domain/settings.js';
import { rawSql } from '../helpers.js';
import { itNeedsDatabase, noop, ON_MEMORY, T0, testBackend, withJob } from './support.js';

const reserve = (s: Parameters<typeof planReserveFromStock>[0]) => planReserveFromStock(s, 1);

describe('the store', () => {
  it('creates an order pending, with its events and its jobs, in one transaction', async () => {
    const { store, queue } = await testBackend();
    const created = await store.createOrder('A', 2, T0, () => withJob('A', 2));
    expect(created.order).toMatchObject({
      sku: 'A',
      qty: 2,
      status: 'pending',
      supplierChecks: 0,
      supplierRef: null,
      failureReason: null,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(created.events).toEqual([{ orderId: created.order.id, at: T0, type: 'OrderCreated', data: { sku: 'A', qty: 2 } }]);
    expect(created.jobIds).toHaveLength(1);
    expect(typeof created.jobIds[0]).toBe('string');
    expect(await store.getOrder(created.order.id)).toEqual(created.order);
    expect(await store.getTimeline(created.order.id)).toEqual(created.events);
    expect((await queue.list()).map((j) => j.id)).toEqual(created.jobIds);
  });

  it('stores nothing when the creation planner throws', async () => {
    const { store, queue } = await testBackend();
    await expect(
      store.createOrder('A', 1, T0, () => {
        throw new Error('planner broke');
      }),
    ).rejects.toThrow('planner broke');
    expect((await store.listOrders({})).orders).toEqual([]);
    expect(await queue.list()).toEqual([]);
  });

  it('applies a plan: the order changes, its movements enter the ledger, a new SKU row starts at 0', async () => {
    const { store } = await testBackend();
    const { order } = await store.createOrder('NEW', 4, T0, () => withJob('NEW', 4));
    const supplierOk: Plan = {
      outcome: 'reserved:supplier',
      order: { status: 'reserved', supplierChecks: 1 },
      movements: [
        { type: 'restock', qty: 4 },
        { type: 'reservation', qty: -4 },
      ],
      events: [{ type: 'OrderReserved', data: {} }],
      jobs: [],
    };
    const applied = await store.applyToOrder(order.id, T0 + 5, () => supplierOk);
    expect(applied.from).toBe('pending');
    expect(applied.order).toMatchObject({ status: 'reserved', supplierChecks: 1, updatedAt: T0 + 5 });
    expect((await store.listMovements('NEW')).map((m) => [m.type, m.qty, m.orderId, m.onHandAfter, m.at])).toEqual([
      ['restock', 4, order.id, 4, T0 + 5],
      ['reservation', -4, order.id, 0, T0 + 5],
    ]);
    expect(await store.getInventory('NEW')).toEqual({ sku: 'NEW', onHand: 0, reserved: 4, version: 2, updatedAt: T0 + 5 });
    // the in-memory backend has no audit (it refuses one): the ledger above is what it keeps
    if (!ON_MEMORY) expect(await store.audit()).toEqual([]);
  });

  it('hands the planner the order and its SKU on-hand, 0 for a SKU never seen', async () => {
    const { store } = await testBackend();
    await store.setOnHand('A', 7, T0);
    const a = await store.createOrder('A', 1, T0, () => withJob('A', 1));
    const b = await store.createOrder('B', 1, T0, () => withJob('B', 1));
    const seen: number[] = [];
    await store.applyToOrder(a.order.id, T0, (s) => (seen.push(s.onHand), noop()));
    await store.applyToOrder(b.order.id, T0, (s) => (seen.push(s.onHand), noop()));
    expect(seen).toEqual([7, 0]);
    expect(await store.getInventory('B')).toBeNull();
  });

  it('hands the planner whether the supplier was asked, with the key its first request recorded', async () => {
    const { store } = await testBackend();
    const fresh = await store.createOrder('A', 1, T0, () => withJob('A', 1));
    const before = await store.createOrder('A', 1, T0, () => withJob('A', 1));
    const ask = (data: Record<string, unknown>): Plan => ({ ...noop(), events: [{ type: 'SupplierReservationRequested', data }] });
    const seen: unknown[] = [];
    const look = (id: number) => store.applyToOrder(id, T0, (s) => (seen.push(s.supplierAsked), noop()));
    await look(fresh.order.id);
    await store.applyToOrder(fresh.order.id, T0, () => ask({ attempt: 1, key: 'order-1.first' }));
    await store.applyToOrder(fresh.order.id, T0, () => ask({ attempt: 2, again: true, key: 'order-1.other' }));
    await look(fresh.order.id);
    // a request recorded before keys named the database carries no key
    await store.applyToOrder(before.order.id, T0, () => ask({ attempt: 1 }));
    await look(before.order.id);
    expect(seen).toEqual([null, { key: 'order-1.first' }, { key: null }]);
  });

  it('refuses an illegal transition and leaves the order as it was', async () => {
    const { store } = await testBackend();
    const { order } = await store.createOrder('A', 1, T0, () => withJob('A', 1));
    await store.applyToOrder(order.id, T0, () => ({ ...noop(), order: { status: 'failed', failureReason: 'supplier_failed' } }));
    await expect(store.applyToOrder(order.id, T0 + 1, () => ({ ...noop(), order: { status: 'reserved' } }))).rejects.toBeInstanceOf(IllegalTransitionError);
    expect(await store.getOrder(order.id)).toMatchObject({ status: 'failed', updatedAt: T0 });
  });

  it('says which order does not exist', async () => {
    const { store } = await testBackend();
    await expect(store.applyToOrder(999, T0, () => noop())).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.getOrder(999)).toBeNull();
  });

  it('commits nothing for a runner whose lease passed to another', async () => {
    const { store, queue } = await testBackend();
    await store.setOnHand('A', 5, T0);
    const { order } = await store.createOrder('A', 2, T0, () => withJob('A', 2));
    const [mine] = await queue.claim(T0, 1, 'runner-a', 1_000);
    const [theirs] = await queue.claim(T0 + 1_000, 1, 'runner-b', 1_000);
    expect(theirs!.id).toBe(mine!.id);
    await expect(store.applyToOrder(order.id, T0 + 1_001, reserve, { lease: mine!.lease, settle: { kind: 'complete' } })).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    expect(await store.getOrder(order.id)).toMatchObject({ status: 'pending' });
    expect((await store.getInventory('A'))!.onHand).toBe(5);
    expect(await store.listMovements('A')).toHaveLength(1);
    // the owner commits its effect and its job's end together
    const done = await store.applyToOrder(order.id, T0 + 1_002, reserve, { lease: theirs!.lease, settle: { kind: 'complete' } });
    expect(done.order.status).toBe('reserved');
    expect(await queue.list()).toEqual([]);
  });

  itNeedsDatabase('stores the response of an idempotent creation in the same transaction, or nothing when the claim was lost', async () => {
    const { store, idempotency } = await testBackend();
    expect(await idempotency.begin('key-1', 'fp', T0, { ttlMs: 60_000, leaseMs: 1_000 })).toEqual({ kind: 'new' });
    const respond = (o: { id: number }) => ({ status: 201, body: JSON.stringify({ id: o.id }), location: `/api/orders/${o.id}` });
    const { order } = await store.createOrder('A', 1, T0, () => withJob('A', 1), { key: 'key-1', fingerprint: 'fp', respond });
    expect(await idempotency.begin('key-1', 'fp', T0 + 1, { ttlMs: 60_000, leaseMs: 1_000 })).toEqual({ kind: 'replay', response: respond(order) });
    await expect(store.createOrder('A', 1, T0, () => withJob('A', 1), { key: 'never-claimed', fingerprint: 'fp', respond })).rejects.toBeInstanceOf(
      IdempotencyClaimLostError,
    );
    expect((await store.listOrders({})).orders.map((o) => o.id)).toEqual([order.id]);
  });

  it('counts and restocks through movements; the version grows by one with every change', async () => {
    const { store } = await testBackend();
    expect(await store.setOnHand('A', 10, T0)).toEqual({ sku: 'A', onHand: 10, reserved: 0, version: 1, updatedAt: T0 });
    expect(await store.addStock('A', 5, T0 + 1)).toEqual({ sku: 'A', onHand: 15, reserved: 0, version: 2, updatedAt: T0 + 1 });
    expect(await store.setOnHand('A', 15, T0 + 2)).toMatchObject({ onHand: 15, version: 2 });
    expect(await store.setOnHand('A', 4, T0 + 3)).toMatchObject({ onHand: 4, version: 3 });
    expect((await store.listMovements('A')).map((m) => [m.type, m.qty, m.orderId, m.onHandAfter])).toEqual([
      ['adjustment', 10, null, 10],
      ['restock', 5, null, 15],
      ['adjustment', -11, null, 4],
    ]);
    // a count of a new SKU to 0 creates its row without a movement
    expect(await store.setOnHand('ZERO', 0, T0)).toEqual({ sku: 'ZERO', onHand: 0, reserved: 0, version: 0, updatedAt: T0 });
    expect((await store.listInventory()).map((i) => i.sku)).toEqual(['A', 'ZERO']);
    expect(await store.getInventory('NEVER')).toBeNull();
  });

  it('lists orders oldest first, by status, a page at a time', async () => {
    const { store } = await testBackend();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await store.createOrder('A', 1, T0, () => withJob('A', 1))).order.id);
    await store.applyToOrder(ids[1]!, T0, () => ({ ...noop(), order: { status: 'failed', failureReason: 'supplier_rejected' } }));
    const first = await store.listOrders({ limit: 2 });
    expect(first.orders.map((o) => o.id)).toEqual(ids.slice(0, 2));
    const second = await store.listOrders({ limit: 2, cursor: first.nextCursor! });
    expect(second.orders.map((o) => o.id)).toEqual(ids.slice(2, 4));
    expect((await store.listOrders({ limit: 2, cursor: second.nextCursor! })).nextCursor).toBeNull();
    expect((await store.listOrders({ status: 'failed' })).orders.map((o) => o.id)).toEqual([ids[1]]);
    expect(await store.countOrders()).toEqual({
      pending: 4,
      awaiting_restock: 0,
      reserved: 0,
      failed: 1,
      cancelling: 0,
      cancelled: 0,
      expired: 0,
      fulfilled: 0,
    });
  });

  itNeedsDatabase('audits the invariants: clean after the engine, a violation named when raw SQL breaks a rule', async () => {
    const { store, db } = await testBackend();
    await store.createOrder('A', 1, T0, () => withJob('A', 1));
    expect(await store.audit()).toEqual([]);
    await rawSql(db, `INSERT INTO orders (sku, qty, status, supplier_checks, created_at, updated_at) VALUES ('B', 1, 'pending', 0, 0, 0)`);
    const rules = (await store.audit()).map((v) => v.rule).sort();
    expect(rules).toEqual(['open-order-has-one-live-job', 'order-has-creation-event']);
  });

  it('answers a ping and describes itself', async () => {
    const { store } = await testBackend();
    await expect(store.ping()).resolves.toBeUndefined();
    expect((await store.info()).database).toMatch(/^(sqlite|postgres|memory)$/);
  });

  for (const strategy of RESERVE_STRATEGIES) {
    it(`never oversells with the ${strategy} strategy: 30 reservations at once for 10 units reserve exactly 10`, async () => {
      const { store } = await testBackend({ reserveStrategy: strategy });
      await store.setOnHand('HOT', 10, T0);
      const orders = [];
      for (let i = 0; i < 30; i++) orders.push((await store.createOrder('HOT', 1, T0, () => withJob('HOT', 1))).order.id);
      const outcomes = await Promise.all(orders.map((id) => store.applyToOrder(id, T0 + 1, reserve)));
      expect(outcomes.filter((a) => a.plan.outcome === 'reserved:stock')).toHaveLength(10);
      expect((await store.getInventory('HOT'))!).toMatchObject({ onHand: 0, version: 11 });
      const ledger = await store.listMovements('HOT');
      expect(ledger.map((m) => m.onHandAfter)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      // each reservation's event says the on-hand its movement left
      for (const a of outcomes.filter((o) => o.plan.outcome === 'reserved:stock')) {
        const reserved = a.events.find((e) => e.type === 'InventoryReserved')!;
        expect(reserved.data.onHandAfter).toBe(ledger.find((m) => m.orderId === a.order.id)!.onHandAfter);
      }
      if (!ON_MEMORY) expect(await store.audit()).toEqual([]);
    });
  }
});
