/**
 * The pure planners (src/domain/plans.ts), table by table: for each snapshot and answer, the
 * plan's outcome, the order's change, the movements, the events and the jobs that follow.
 */
import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../src/domain/errors.js';
import {
  applyOrderChange,
  NEEDS_SUPPLIER,
  planCreateOrder,
  planDeadLetter,
  planReserveFromStock,
  planStatusAnswer,
  planSupplierReservation,
  type Snapshot,
  type SupplierStatus,
} from '../../src/domain/plans.js';
import type { OrderStatus } from '../../src/domain/order.js';

const NOW = Date.UTC(2026, 0, 1, 9, 0, 0);
const SETTINGS = { checkDelayMs: 15_000, maxDelayedRetries: 2 };

function snap(status: OrderStatus, onHand: number, over: Partial<Snapshot['order']> = {}, asked = false): Snapshot {
  return {
    order: { id: 7, sku: 'A', qty: 3, status, supplierRef: null, supplierChecks: 0, failureReason: null, createdAt: NOW, updatedAt: NOW, ...over },
    onHand,
    supplierAsked: asked ? { key: 'order-7.0123456789abcdef' } : null,
  };
}
const types = (p: { events: Array<{ type: string }> }) => p.events.map((e) => e.type);

describe('planCreateOrder', () => {
  it('records OrderCreated and enqueues ReserveInventory, due at once', () => {
    expect(planCreateOrder('A', 3, NOW)).toEqual({
      outcome: 'created',
      movements: [],
      events: [{ type: 'OrderCreated', data: { sku: 'A', qty: 3 } }],
      jobs: [{ type: 'ReserveInventory', runAt: NOW, payload: {} }],
    });
  });
});

describe('planReserveFromStock', () => {
  it.each([
    // status, onHand, supplier asked, outcome, order status after, movements, events
    ['pending', 5, false, 'reserved:stock', 'reserved', [{ type: 'reservation', qty: -3 }], ['InventoryReserved', 'OrderReserved']],
    ['pending', 3, false, 'reserved:stock', 'reserved', [{ type: 'reservation', qty: -3 }], ['InventoryReserved', 'OrderReserved']],
    ['pending', 2, false, NEEDS_SUPPLIER, undefined, [], ['SupplierReservationRequested']],
    ['pending', 0, false, NEEDS_SUPPLIER, undefined, [], ['SupplierReservationRequested']],
    // asked before: finish with the supplier even when stock arrived since
    ['pending', 5, true, NEEDS_SUPPLIER, undefined, [], ['SupplierReservationRequested']],
    ['reserved', 5, false, 'skipped:reserved', undefined, [], []],
    ['awaiting_restock', 5, false, 'skipped:awaiting_restock', undefined, [], []],
    ['failed', 5, false, 'skipped:failed', undefined, [], []],
  ] as const)('%s with %i on hand (asked before: %s): %s', (status, onHand, asked, outcome, after, movements, events) => {
    const p = planReserveFromStock(snap(status, onHand, {}, asked), 1);
    expect(p.outcome).toBe(outcome);
    expect(p.order?.status).toBe(after);
    expect(p.movements).toEqual(movements);
    expect(types(p)).toEqual(events);
    expect(p.jobs).toEqual([]);
  });

  it('says how short it is, which attempt this is, and whether the supplier was asked before', () => {
    expect(planReserveFromStock(snap('pending', 1, {}, true), 2).events[0]!.data).toEqual({ qty: 3, onHand: 1, shortBy: 2, attempt: 2, again: true });
    expect(planReserveFromStock(snap('pending', 1), 1).events[0]!.data).toEqual({ qty: 3, onHand: 1, shortBy: 2, attempt: 1 });
  });
});

describe('planSupplierReservation', () => {
  it.each([
    // status, accepted, outcome, order change, events, jobs
    [
      'pending',
      true,
      'awaiting-restock',
      { status: 'awaiting_restock', supplierRef: 'R1' },
      ['SupplierReservationAccepted'],
      [{ type: 'CheckSupplierStatus', runAt: NOW + 15_000, payload: { check: 1 } }],
    ],
    [
      'pending',
      false,
      'failed:supplier_rejected',
      { status: 'failed', failureReason: 'supplier_rejected' },
      ['SupplierReservationRejected', 'OrderFailed'],
      [],
    ],
    ['reserved', true, 'skipped:reserved', undefined, [], []],
    ['failed', false, 'skipped:failed', undefined, [], []],
  ] as const)('%s, accepted %s: %s', (status, accepted, outcome, change, events, jobs) => {
    const p = planSupplierReservation(snap(status, 0), { accepted, ref: 'R1' }, NOW, SETTINGS);
    expect(p.outcome).toBe(outcome);
    expect(p.order).toEqual(change);
    expect(types(p)).toEqual(events);
    expect(p.jobs).toEqual(jobs);
  });
});

describe('planStatusAnswer', () => {
  it.each([
    // status, checks made, answer, check, outcome, order change, movements, events, next check
    [
      'awaiting_restock',
      0,
      'ok',
      1,
      'reserved:supplier',
      { status: 'reserved', supplierChecks: 1 },
      [
        { type: 'restock', qty: 3 },
        { type: 'reservation', qty: -3 },
      ],
      ['SupplierStatusChecked', 'InventoryReserved', 'OrderReserved'],
      null,
    ],
    [
      'awaiting_restock',
      0,
      'fail',
      1,
      'failed:supplier_failed',
      { status: 'failed', failureReason: 'supplier_failed', supplierChecks: 1 },
      [],
      ['SupplierStatusChecked', 'OrderFailed'],
      null,
    ],
    ['awaiting_restock', 0, 'delayed', 1, 'delayed', { supplierChecks: 1 }, [], ['SupplierStatusChecked'], 2],
    ['awaiting_restock', 1, 'delayed', 2, 'delayed', { supplierChecks: 2 }, [], ['SupplierStatusChecked'], 3],
    // maxDelayedRetries (2) retries made: the third delay fails the order
    [
      'awaiting_restock',
      2,
      'delayed',
      3,
      'failed:supplier_delayed',
      { status: 'failed', failureReason: 'supplier_delayed', supplierChecks: 3 },
      [],
      ['SupplierStatusChecked', 'OrderFailed'],
      null,
    ],
    // a check already applied (a run of the job again): nothing
    ['awaiting_restock', 1, 'ok', 1, 'skipped:check-1-already-applied', undefined, [], [], null],
    ['reserved', 1, 'ok', 2, 'skipped:reserved', undefined, [], [], null],
    ['pending', 0, 'ok', 1, 'skipped:pending', undefined, [], [], null],
  ] as const)('%s after %i checks, answer %s to check %i: %s', (status, made, answer, check, outcome, change, movements, events, next) => {
    const p = planStatusAnswer(snap(status, 0, { supplierChecks: made }), answer as SupplierStatus, check, NOW, SETTINGS);
    expect(p.outcome).toBe(outcome);
    expect(p.order).toEqual(change);
    expect(p.movements).toEqual(movements);
    expect(types(p)).toEqual(events);
    expect(p.jobs).toEqual(next === null ? [] : [{ type: 'CheckSupplierStatus', runAt: NOW + 15_000, payload: { check: next } }]);
  });
});

describe('planDeadLetter', () => {
  const info = { jobId: 'j1', jobType: 'ReserveInventory', attempts: 5, error: 'supplier: http_503' };
  it.each([
    ['pending', 'failed:supplier_unavailable', ['JobDeadLettered', 'OrderFailed']],
    ['awaiting_restock', 'failed:supplier_unavailable', ['JobDeadLettered', 'OrderFailed']],
    ['reserved', 'dead-lettered', ['JobDeadLettered']],
    ['failed', 'dead-lettered', ['JobDeadLettered']],
  ] as const)('%s: %s', (status, outcome, events) => {
    const p = planDeadLetter(snap(status, 0), info);
    expect(p.outcome).toBe(outcome);
    expect(types(p)).toEqual(events);
    expect(p.events[0]!.data).toEqual(info);
  });
});

describe('applyOrderChange (what the stores persist)', () => {
  it('changes nothing without a change', () => {
    expect(applyOrderChange(snap('pending', 0).order, undefined, NOW + 1)).toEqual({ after: null, from: null });
  });

  it('moves the status along TRANSITIONS and stamps the time', () => {
    const { after, from } = applyOrderChange(snap('pending', 0).order, { status: 'awaiting_restock', supplierRef: 'R1' }, NOW + 1);
    expect(from).toBe('pending');
    expect(after).toMatchObject({ status: 'awaiting_restock', supplierRef: 'R1', updatedAt: NOW + 1 });
  });

  it('keeps the status when the change leaves it (from: null)', () => {
    const { after, from } = applyOrderChange(snap('awaiting_restock', 0).order, { supplierChecks: 1 }, NOW + 1);
    expect(from).toBeNull();
    expect(after).toMatchObject({ status: 'awaiting_restock', supplierChecks: 1, updatedAt: NOW + 1 });
  });

  it('refuses a move TRANSITIONS does not allow', () => {
    expect(() => applyOrderChange(snap('reserved', 0).order, { status: 'pending' }, NOW)).toThrow(IllegalTransitionError);
  });
});
