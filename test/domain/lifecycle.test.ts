/** The lifecycle planners (src/domain/lifecycle.ts) and the reservation planners' answers to a cancelled order, as pure functions. */
import { describe, expect, it } from 'vitest';
import { OrderStateError } from '../../src/domain/errors.js';
import { planCancel, planCancelAnswer, planExpire, planFulfil } from '../../src/domain/lifecycle.js';
import type { OrderStatus } from '../../src/domain/order.js';
import { planDeadLetter, planReserveFromStock, planStatusAnswer, planSupplierReservation, type Snapshot } from '../../src/domain/plans.js';

const NOW = Date.UTC(2026, 0, 1, 9, 0, 0);
const SETTINGS = { checkDelayMs: 15_000, maxDelayedRetries: 2 };

function snap(status: OrderStatus, onHand = 5, asked = false, supplierRef: string | null = null): Snapshot {
  return {
    order: { id: 7, sku: 'A', qty: 3, status, supplierRef, supplierChecks: 0, failureReason: null, createdAt: NOW, updatedAt: NOW },
    onHand,
    supplierAsked: asked ? { key: 'order-7.0123456789abcdef' } : null,
  };
}
const types = (p: { events: Array<{ type: string }> }) => p.events.map((e) => e.type);

describe('planCancel', () => {
  it('cancels a pending order the supplier was never asked for, dropping its queued job', () => {
    const p = planCancel(snap('pending'), NOW);
    expect(p.order).toEqual({ status: 'cancelled' });
    expect(p.dropJobs).toEqual(['ReserveInventory']);
    expect(p.movements).toEqual([]);
  });

  it('makes a pending order whose reserve call is under way cancelling, with no job of its own', () => {
    const p = planCancel(snap('pending', 0, true), NOW);
    expect(p.order).toEqual({ status: 'cancelling' });
    expect(p.jobs).toEqual([]);
    expect(types(p)).toEqual(['CancelRequested']);
  });

  it('compensates an order waiting on the supplier, and releases a reserved one', () => {
    const waiting = planCancel(snap('awaiting_restock', 0, true, 'R1'), NOW);
    expect(waiting.jobs).toEqual([{ type: 'CancelSupplierReservation', runAt: NOW, payload: {} }]);
    expect(waiting.dropJobs).toEqual(['CheckSupplierStatus']);
    const reserved = planCancel(snap('reserved', 2), NOW);
    expect(reserved.movements).toEqual([{ type: 'release', qty: 3 }]);
    expect(reserved.events[0]).toEqual({ type: 'ReservationReleased', data: { qty: 3, onHandAfter: 5, reason: 'cancelled' } });
  });

  it('refuses every final state and changes nothing for one already cancelling', () => {
    for (const status of ['failed', 'cancelled', 'expired', 'fulfilled'] as const) expect(() => planCancel(snap(status), NOW)).toThrow(OrderStateError);
    expect(planCancel(snap('cancelling'), NOW).outcome).toBe('skipped:cancelling');
  });
});

describe('planFulfil and planExpire', () => {
  it('fulfil only a reserved order; expire only a reserved one, releasing it', () => {
    expect(planFulfil(snap('reserved')).order).toEqual({ status: 'fulfilled' });
    for (const status of ['pending', 'awaiting_restock', 'cancelling', 'failed', 'cancelled'] as const)
      expect(() => planFulfil(snap(status))).toThrow(OrderStateError);
    expect(planExpire(snap('reserved', 1)).movements).toEqual([{ type: 'release', qty: 3 }]);
    expect(planExpire(snap('fulfilled')).outcome).toBe('skipped:fulfilled');
  });
});

describe('a cancelling order meets the supplier', () => {
  it('finishes a reserve call to learn the ref, then compensates; a refusal leaves nothing to undo', () => {
    expect(planReserveFromStock(snap('cancelling', 10, true), 2).outcome).toBe('needs-supplier');
    const accepted = planSupplierReservation(snap('cancelling', 0, true), { accepted: true, ref: 'R1' }, NOW, SETTINGS);
    expect(accepted.order).toEqual({ supplierRef: 'R1' });
    expect(accepted.jobs.map((j) => j.type)).toEqual(['CancelSupplierReservation']);
    expect(planSupplierReservation(snap('cancelling', 0, true), { accepted: false, ref: '' }, NOW, SETTINGS).order).toEqual({ status: 'cancelled' });
  });

  it('books a delivery that arrives while cancelling (a status ok, or a cancel too late) to stock', () => {
    const ok = planStatusAnswer(snap('cancelling', 1, true, 'R1'), 'ok', 1, NOW, SETTINGS);
    expect(ok.order).toEqual({ status: 'cancelled' });
    expect(ok.movements).toEqual([{ type: 'restock', qty: 3 }]);
    expect(planCancelAnswer(snap('cancelling', 0, true, 'R1'), 'too_late').movements).toEqual([{ type: 'restock', qty: 3 }]);
    expect(planCancelAnswer(snap('cancelling', 0, true, 'R1'), 'cancelled').movements).toEqual([]);
    expect(planCancelAnswer(snap('cancelled'), 'cancelled').outcome).toBe('skipped:cancelled');
  });

  it('cancels for good when the reserve call dies, and waits for an operator when the compensation does', () => {
    const info = { jobId: '1', attempts: 5, error: 'HTTP 500' };
    expect(planDeadLetter(snap('cancelling', 0, true), { ...info, jobType: 'ReserveInventory' }).order).toEqual({ status: 'cancelled' });
    expect(planDeadLetter(snap('cancelling', 0, true, 'R1'), { ...info, jobType: 'CancelSupplierReservation' }).order).toBeUndefined();
    expect(planDeadLetter(snap('reserved'), { ...info, jobType: 'ExpireReservation' }).order).toBeUndefined();
  });
});
