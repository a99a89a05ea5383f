/**
 * Multi-line orders (docs/design.md §2.6): all or nothing, compensation when a line fails at the
 * supplier, cancel / fulfil / expiry of every line, and bad lines refused with nothing stored —
 * in virtual time on a real SQLite file (and on a PostgreSQL schema in the `postgres` project);
 * the invariants of docs/design.md §6 are checked after each test.
 */
import { describe, expect, it } from 'vitest';
import { checkedEngines } from '../support/checked-engine.js';
import { explainOrder } from '../../src/app/explain.js';
import { createStatsService } from '../../src/app/stats.js';
import { inventoryJson, orderJson } from '../../src/app/json.js';
import { OrderStateError, ValidationError } from '../../src/domain/errors.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { join } from 'node:path';
import { compare } from '../../src/sim/expect.js';
import { loadScenarioFile } from '../../src/sim/loader.js';
import { replay } from '../../src/sim/runner.js';
import { freshDatabase, invariantsOf, ROOT } from '../helpers.js';

const engine = checkedEngines();

/** Runs jobs until order `id` reaches `status` (told by the bus as it commits), or until nothing is left to run. */
async function runUntil(w: Warehouse, id: number, status?: string) {
  let reached = false;
  const off = w.bus.on('order:transition', (t) => {
    if (t.orderId === id && t.to === status) reached = true;
  });
  await w.runner.runUntilIdle(status ? { until: () => reached } : {});
  off();
}

const ledger = async (w: Warehouse, sku: string) => (await w.inventory.movements(sku)).filter((m) => m.orderId !== null).map((m) => [m.type, m.qty]);
const lineStates = async (w: Warehouse, id: number) => ((await w.orders.get(id)).lines ?? []).map((l) => [l.lineNo, l.sku, l.status, l.failureReason]);
const views = async (w: Warehouse, sku: string) => {
  const { onHand, reserved, available } = inventoryJson(await w.inventory.get(sku));
  return { onHand, reserved, available };
};

describe('a multi-line order', () => {
  it('is reserved at once when every line is in stock, all lines in one transaction', async () => {
    const w = await engine();
    await w.inventory.set('A', 5);
    await w.inventory.set('B', 2);
    const order = await w.orders.create({
      lines: [
        { sku: 'b', qty: 2 },
        { sku: 'A', qty: 1 },
      ],
    });
    expect(order).toMatchObject({ status: 'pending', sku: 'B+A', qty: 3, lineCount: 2 });
    expect(order.lines?.map((l) => [l.lineNo, l.sku, l.qty, l.status])).toEqual([
      [1, 'B', 2, 'pending'],
      [2, 'A', 1, 'pending'],
    ]);
    const commits: string[] = [];
    w.bus.on('order:transition', (t) => commits.push(`${t.orderId}:${t.from}->${t.to}`));
    await runUntil(w, order.id, 'reserved');
    // one transition of the order: both lines were reserved in the commit that reserved it
    expect(commits).toEqual([`${order.id}:pending->reserved`]);
    expect(await lineStates(w, order.id)).toEqual([
      [1, 'B', 'reserved', null],
      [2, 'A', 'reserved', null],
    ]);
    expect(await views(w, 'A')).toEqual({ onHand: 5, reserved: 1, available: 4 });
    expect(await views(w, 'B')).toEqual({ onHand: 2, reserved: 2, available: 0 });
    // the lines are not orders of their own in the list and the counts
    expect((await w.orders.list()).orders.map((o) => o.id)).toEqual([order.id]);
    const counts = await w.store.countOrders();
    expect(counts.reserved).toBe(1);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('waits (awaiting_restock) while a line waits on the supplier, and is reserved when it delivers', async () => {
    const w = await engine({}, { GADGET: { reserve: ['accepted'], status: ['delayed', 'ok'] } });
    await w.inventory.set('WIDGET', 5);
    const order = await w.orders.create({
      lines: [
        { sku: 'WIDGET', qty: 2 },
        { sku: 'GADGET', qty: 1 },
      ],
    });
    await runUntil(w, order.id, 'awaiting_restock');
    expect(await lineStates(w, order.id)).toEqual([
      [1, 'WIDGET', 'reserved', null],
      [2, 'GADGET', 'awaiting_restock', null],
    ]);
    await runUntil(w, order.id, 'reserved');
    const done = await w.orders.get(order.id);
    expect(done.status).toBe('reserved');
    expect(done.lines?.[1]).toMatchObject({ status: 'reserved', supplierChecks: 2 });
    expect(await ledger(w, 'GADGET')).toEqual([
      ['restock', 1],
      ['reservation', -1],
    ]);
    // the timeline is the order's and its lines', each line event naming its line
    const types = done.events.map((e) => `${e.type}${e.data.line ? `/${e.data.line}` : ''}`);
    expect(types).toContain('SupplierReservationAccepted/2');
    expect(types.at(-1)).toBe('OrderReserved');
    expect(orderJson(done).lines?.map((l) => [l.line, l.status])).toEqual([
      [1, 'reserved'],
      [2, 'reserved'],
    ]);
  });

  it('fails with the failing line’s reason; the line taken from stock is released (compensation)', async () => {
    const w = await engine({}, { GADGET: { reserve: ['accepted'], status: ['fail'] } });
    await w.inventory.set('WIDGET', 5);
    const order = await w.orders.create({
      lines: [
        { sku: 'WIDGET', qty: 3 },
        { sku: 'GADGET', qty: 1 },
      ],
    });
    await runUntil(w, order.id, 'failed');
    const failed = await w.orders.get(order.id);
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'supplier_failed' });
    expect(await lineStates(w, order.id)).toEqual([
      [1, 'WIDGET', 'cancelled', null],
      [2, 'GADGET', 'failed', 'supplier_failed'],
    ]);
    expect(await ledger(w, 'WIDGET')).toEqual([
      ['reservation', -3],
      ['release', 3],
    ]);
    expect(await views(w, 'WIDGET')).toEqual({ onHand: 5, reserved: 0, available: 5 });
    const failedAt = failed.events.find((e) => e.type === 'OrderFailed' && e.data.line === undefined);
    expect(failedAt?.data).toMatchObject({ reason: 'supplier_failed', failedLine: 2, sku: 'GADGET' });
    // order explain tells the order's path and each line's part
    const x = explainOrder(failed, failed.events, w.settings);
    expect(x.pathText).toBe('pending → awaiting_restock → failed');
    // in commit order: the stock step writes its lines in SKU order (GADGET before WIDGET), a commit its lines before the order
    expect(x.summary).toBe('line 2 short → line 1 from stock → line 2 accepted by the supplier → line 2 failed → line 1 undone → failed: supplier_failed');
    expect(x.events.find((e) => e.type === 'LineCompensated')?.text).toMatch(/^Line 1 \(WIDGET × 3\) is undone \(it was reserved\)/);
    // the figures count the undone line among the compensations, and the order once, failed
    const stats = await createStatsService({ store: w.store, queue: w.queue, clock: w.clock }).read();
    expect(stats.compensations).toEqual({ cancelled: 0, tooLate: 0, failedCalls: 0, linesUndone: 1 });
    expect(stats.failures).toEqual({ supplier_failed: 1 });
  });

  it('a line whose supplier never answers is dead-lettered: the order fails supplier_unavailable, the stock line released', async () => {
    const w = await engine({ jobAttempts: 2 }, { DOWN: { reserve: 'error' } });
    await w.inventory.set('UP', 5);
    const order = await w.orders.create({
      lines: [
        { sku: 'UP', qty: 2 },
        { sku: 'DOWN', qty: 1 },
      ],
    });
    await runUntil(w, order.id, 'failed');
    expect(await w.orders.get(order.id)).toMatchObject({ status: 'failed', failureReason: 'supplier_unavailable' });
    expect(await lineStates(w, order.id)).toEqual([
      [1, 'UP', 'cancelled', null],
      [2, 'DOWN', 'failed', 'supplier_unavailable'],
    ]);
    expect(await ledger(w, 'UP')).toEqual([
      ['reservation', -2],
      ['release', 2],
    ]);
    // the dead letter names the order and the line
    const [dead] = await w.jobs.failed();
    expect(dead).toMatchObject({ orderId: order.id, type: 'ReserveInventory', payload: { line: 2 } });
  });

  it('cancels at the supplier a line it holds when another line is rejected', async () => {
    const w = await engine({}, { GADGET: { reserve: ['accepted'], status: ['delayed', 'delayed', 'ok'], cancel: ['ok'] }, NOPE: { reserve: ['rejected'] } });
    const order = await w.orders.create({
      lines: [
        { sku: 'GADGET', qty: 1 },
        { sku: 'NOPE', qty: 1 },
      ],
    });
    await runUntil(w, order.id);
    expect(await w.orders.get(order.id)).toMatchObject({ status: 'failed', failureReason: 'supplier_rejected' });
    expect(await lineStates(w, order.id)).toEqual([
      [1, 'GADGET', 'cancelled', null],
      [2, 'NOPE', 'failed', 'supplier_rejected'],
    ]);
    const calls = (w.mock?.calls ?? []).map((c) => `${c.kind}:${c.answer}`);
    // whichever line's call comes first (the runner runs both at once), GADGET's reservation is cancelled at the supplier
    expect(calls.sort()).toEqual(['cancel:ok', 'reserve:accepted', 'reserve:rejected']);
    expect(await w.jobs.list()).toEqual([]);
  });

  it('cancel releases every reserved line; fulfil records each line; a final order refuses both', async () => {
    const w = await engine();
    await w.inventory.set('A', 5);
    await w.inventory.set('B', 5);
    const one = await w.orders.create({
      lines: [
        { sku: 'A', qty: 2 },
        { sku: 'B', qty: 3 },
      ],
    });
    const two = await w.orders.create({
      lines: [
        { sku: 'B', qty: 1 },
        { sku: 'A', qty: 1 },
      ],
    });
    await runUntil(w, two.id, 'reserved');
    const cancelled = await w.orders.cancel(one.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.lines?.map((l) => l.status)).toEqual(['cancelled', 'cancelled']);
    expect(await ledger(w, 'A')).toEqual([
      ['reservation', -2],
      ['reservation', -1],
      ['release', 2],
    ]);
    const fulfilled = await w.orders.fulfil(two.id);
    expect(fulfilled.lines?.map((l) => l.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await views(w, 'A')).toEqual({ onHand: 4, reserved: 0, available: 4 });
    await expect(w.orders.cancel(one.id)).rejects.toBeInstanceOf(OrderStateError);
    await expect(w.orders.fulfil(two.id)).rejects.toBeInstanceOf(OrderStateError);
    // a line is not cancelled on its own: the order is, all its lines or none
    const lineId = fulfilled.lines![0]!.id;
    await expect(w.orders.cancel(lineId)).rejects.toThrow(`order ${lineId} is line 1 of order ${two.id}`);
  });

  it('cancelled while a line waits on the supplier: cancelling, then cancelled once the supplier cancels', async () => {
    const w = await engine({}, { GADGET: { reserve: ['accepted'], status: ['delayed', 'delayed', 'ok'], cancel: ['ok'] } });
    await w.inventory.set('WIDGET', 5);
    const order = await w.orders.create({
      lines: [
        { sku: 'WIDGET', qty: 1 },
        { sku: 'GADGET', qty: 1 },
      ],
    });
    await runUntil(w, order.id, 'awaiting_restock');
    const cancelling = await w.orders.cancel(order.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.lines?.map((l) => l.status)).toEqual(['cancelled', 'cancelling']);
    await runUntil(w, order.id, 'cancelled');
    expect(await lineStates(w, order.id)).toEqual([
      [1, 'WIDGET', 'cancelled', null],
      [2, 'GADGET', 'cancelled', null],
    ]);
    expect(await views(w, 'WIDGET')).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });

  it('expires as a whole: every line released when the order’s time to live runs out', async () => {
    const w = await engine();
    await w.inventory.set('A', 5);
    await w.inventory.set('B', 5);
    const order = await w.orders.create({
      lines: [
        { sku: 'A', qty: 2 },
        { sku: 'B', qty: 3 },
      ],
      reservationTtl: '10m',
    });
    await runUntil(w, order.id, 'reserved');
    const reservedAt = (await w.orders.get(order.id)).updatedAt;
    await runUntil(w, order.id, 'expired');
    const expired = await w.orders.get(order.id);
    expect(expired.updatedAt - reservedAt).toBe(600_000);
    expect(expired.lines?.map((l) => l.status)).toEqual(['expired', 'expired']);
    expect(await views(w, 'A')).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await views(w, 'B')).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });

  it('with one line is a one-line order', async () => {
    const w = await engine();
    await w.inventory.set('A', 5);
    const order = await w.orders.create({ lines: [{ sku: 'a', qty: 2 }] });
    expect(order).toMatchObject({ sku: 'A', qty: 2 });
    expect(order.lineCount ?? 0).toBe(0);
    expect(Object.keys(orderJson(order))).not.toContain('lines');
  });
});

describe('the multi-line scenarios of the library', () => {
  it.each(['multi-line.yaml', 'multi-line-compensation.yaml', 'multi-line-supplier-rejects.yaml'])(
    '%s passes on this database, and check holds after it',
    async (name) => {
      const loaded = await loadScenarioFile(join(ROOT, 'scenarios', name));
      if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
      const db = freshDatabase();
      const outcome = await replay(loaded.scenario, { db });
      expect(compare(loaded.scenario.expect, outcome)).toEqual([]);
      expect(await invariantsOf(db)).toEqual([]);
    },
  );
});

describe('bad lines', () => {
  const cases: Array<[string, unknown, string]> = [
    [
      'the same SKU twice, after normalising',
      [
        { sku: 'a', qty: 1 },
        { sku: 'B', qty: 1 },
        { sku: ' A ', qty: 2 },
      ],
      'line 3: A is already line 1',
    ],
    [
      'a qty that is not a whole number',
      [
        { sku: 'A', qty: 1 },
        { sku: 'B', qty: 1.5 },
      ],
      'line 2: qty must be a whole number',
    ],
    ['a qty of 0', [{ sku: 'A', qty: 0 }], 'line 1: qty must be a whole number'],
    [
      'a bad SKU',
      [
        { sku: 'A', qty: 1 },
        { sku: 'no spaces', qty: 1 },
      ],
      'line 2: a SKU is',
    ],
    ['an unknown field', [{ sku: 'A', qty: 1, colour: 'red' }], 'line 1:'],
    ['51 lines', Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, qty: 1 })), 'at most 50 lines (got 51)'],
    ['no lines', [], 'at least one line'],
    ['lines that are not a list', { sku: 'A', qty: 1 }, 'lines must be an array'],
  ];
  it.each(cases)('refuses %s, naming it, and stores nothing', async (_what, lines, message) => {
    const w = await engine();
    const error = await w.orders.create({ lines }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(message);
    expect((await w.orders.list()).orders).toEqual([]);
    expect(await w.jobs.list()).toEqual([]);
  });

  it('refuses lines given with sku and qty', async () => {
    const w = await engine();
    await expect(w.orders.create({ sku: 'A', qty: 1, lines: [{ sku: 'B', qty: 1 }] })).rejects.toThrow('either lines or sku and qty');
  });
});
