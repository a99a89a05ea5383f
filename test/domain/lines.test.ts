/**
 * The planners of multi-line orders (src/domain/lines.ts), pure: the lock order, the stock step,
 * the order settled from its lines, and the compensation when a line fails.
 */
import { describe, expect, it } from 'vitest';
import { inLockOrder, type LinesSnapshot, planLinesCancel, planLineStep, planLinesStock } from '../../src/domain/lines.js';
import { type Order, OrderStatus } from '../../src/domain/order.js';
import { planStatusAnswer } from '../../src/domain/plans.js';

const T = 1_000;
const order = (id: number, sku: string, qty: number, extra: Partial<Order> = {}): Order => ({
  id,
  sku,
  qty,
  status: 'pending',
  supplierRef: null,
  supplierChecks: 0,
  failureReason: null,
  createdAt: T,
  updatedAt: T,
  ...extra,
});

function snapshot(
  lines: Array<{ sku: string; qty: number; onHand: number; status?: Order['status']; asked?: boolean }>,
  parent: Partial<Order> = {},
): LinesSnapshot {
  const p = order(1, lines.map((l) => l.sku).join('+'), 0, { lineCount: lines.length, ...parent });
  return {
    order: p,
    lines: inLockOrder(
      lines.map((l, i) => ({
        order: order(2 + i, l.sku, l.qty, {
          parentId: 1,
          lineNo: i + 1,
          status: l.status ?? 'pending',
          ...(l.status === 'awaiting_restock' ? { supplierRef: `R${i}` } : {}),
        }),
        lineNo: i + 1,
        sku: l.sku,
        onHand: l.onHand,
        supplierAsked: l.asked ? { key: `k${i}` } : null,
      })),
    ),
  };
}

describe('the lock order', () => {
  it('is by SKU whatever the order asked; `request` keeps the lines’ order (the test-only variant)', () => {
    const lines = [
      { sku: 'B', lineNo: 1 },
      { sku: 'C', lineNo: 2 },
      { sku: 'A', lineNo: 3 },
    ];
    expect(inLockOrder(lines).map((l) => l.sku)).toEqual(['A', 'B', 'C']);
    expect(inLockOrder([...lines].reverse()).map((l) => l.sku)).toEqual(['A', 'B', 'C']);
    expect(inLockOrder(lines, 'request').map((l) => l.sku)).toEqual(['B', 'C', 'A']);
  });
});

describe('the stock step', () => {
  it('reserves every line that has the stock and sends each short line to the supplier with a job of its own', () => {
    const lp = planLinesStock(
      snapshot([
        { sku: 'B', qty: 2, onHand: 5 },
        { sku: 'A', qty: 3, onHand: 1 },
      ]),
      1,
      { now: T, ttlMs: null },
    );
    expect(lp.lines.get(1)?.outcome).toBe('reserved:stock');
    expect(lp.lines.get(1)?.movements).toEqual([{ type: 'reservation', qty: -2 }]);
    expect(lp.lines.get(2)?.jobs).toEqual([{ type: 'ReserveInventory', runAt: T, payload: { line: 2 } }]);
    // the order waits: one line is not reserved yet
    expect(lp.order.order).toBeUndefined();
  });

  it('reserves the order when every line is, with the order’s expiry', () => {
    const lp = planLinesStock(
      snapshot([
        { sku: 'A', qty: 1, onHand: 1 },
        { sku: 'B', qty: 1, onHand: 9 },
      ]),
      1,
      { now: T, ttlMs: 60_000 },
    );
    expect(lp.order.order).toEqual({ status: 'reserved' });
    expect(lp.order.jobs).toEqual([{ type: 'ExpireReservation', runAt: T + 60_000, payload: { lines: 2 } }]);
    // a line's reservation has no expiry of its own
    expect([...lp.lines.values()].flatMap((p) => p.jobs)).toEqual([]);
  });
});

describe('a line that fails', () => {
  it('fails the order with its reason and compensates every other line as a cancel would', () => {
    const s = snapshot(
      [
        { sku: 'A', qty: 2, onHand: 3, status: 'reserved' },
        { sku: 'B', qty: 1, onHand: 0, status: 'awaiting_restock', asked: true },
        { sku: 'C', qty: 1, onHand: 0, status: 'awaiting_restock', asked: true },
      ],
      { status: 'awaiting_restock' },
    );
    const lp = planLineStep(s, 3, (l) => planStatusAnswer(l, 'fail', 1, T, { checkDelayMs: 15_000, maxDelayedRetries: 2 }), { now: T, ttlMs: null });
    expect(lp.order.order).toEqual({ status: OrderStatus.failed, failureReason: 'supplier_failed' });
    expect(lp.order.events.map((e) => [e.type, e.data])).toEqual([['OrderFailed', { reason: 'supplier_failed', failedLine: 3, sku: 'C' }]]);
    // A: released; B: cancelled at the supplier (the compensation job, on the order with its line)
    expect(lp.lines.get(1)?.order).toEqual({ status: 'cancelled' });
    expect(lp.lines.get(1)?.movements).toEqual([{ type: 'release', qty: 2 }]);
    expect(lp.lines.get(2)?.order).toEqual({ status: 'cancelling' });
    expect(lp.lines.get(2)?.jobs).toEqual([{ type: 'CancelSupplierReservation', runAt: T, payload: { line: 2 } }]);
    expect(lp.lines.get(3)?.order).toMatchObject({ status: 'failed', failureReason: 'supplier_failed' });
  });
});

describe('cancel', () => {
  it('is cancelling while a line waits on the supplier’s cancel, and refuses a final order', () => {
    const s = snapshot(
      [
        { sku: 'A', qty: 2, onHand: 3, status: 'reserved' },
        { sku: 'B', qty: 1, onHand: 0, status: 'awaiting_restock', asked: true },
      ],
      { status: 'awaiting_restock' },
    );
    const lp = planLinesCancel(s, T);
    expect(lp.order.order).toEqual({ status: 'cancelling' });
    expect(lp.lines.get(1)?.movements).toEqual([{ type: 'release', qty: 2 }]);
    expect(lp.lines.get(2)?.order).toEqual({ status: 'cancelling' });
    expect(() => planLinesCancel(snapshot([{ sku: 'A', qty: 1, onHand: 0, status: 'cancelled' }], { status: 'cancelled' }), T)).toThrow(
      /is cancelled: it cannot be cancelled/,
    );
  });
});
