/**
 * The flow of docs/design.md §4 as pure functions. Each planner sees a snapshot read under the row lock
 * and returns a Plan: the changes to commit in that same transaction. Adapters apply plans; they
 * never decide anything. A planner that finds the order in a state it does not expect returns a
 * no-op plan, which is what makes every job safe to run twice.
 */
import type { EventData, EventType, PlannedEvent } from './events.js';
import { decideReservation, type MovementType } from './inventory.js';
import { JobType, type PlannedJob, type TtlPayload } from './jobs.js';
import { IllegalTransitionError } from './errors.js';
import { assertNever, canTransition, FailureReason, type Order, OrderStatus } from './order.js';
import type { Settings } from './settings.js';

export interface Snapshot {
  order: Order;
  /** on-hand of the order's SKU; 0 when the SKU has never been seen */
  onHand: number;
  /**
   * the order's first SupplierReservationRequested: null when the supplier was never asked, else
   * the Idempotency-Key recorded on it (null on an event from before keys named the database)
   */
  supplierAsked: { key: string | null } | null;
}

export interface OrderChange {
  status?: OrderStatus;
  supplierRef?: string;
  supplierChecks?: number;
  failureReason?: FailureReason;
}

export interface Plan {
  /** a short tag for logs, metrics and the caller's branch */
  outcome: string;
  order?: OrderChange;
  /** movements of the order's SKU, applied in order, each tagged with the order id */
  movements: Array<{ type: MovementType; qty: number }>;
  events: PlannedEvent[];
  jobs: PlannedJob[];
  /**
   * the order's other jobs of these types that are not running (queued or parked) are deleted in
   * the same transaction: the check a cancellation makes pointless, the expiry of a reservation
   * that was fulfilled. A running one finishes by itself and finds nothing to do.
   */
  dropJobs?: JobType[];
}

/**
 * A plan's change applied to the order read under the lock, at `now`: the order as it is to be
 * stored (null when the plan changes nothing of it) and the status it left (null when it kept its
 * status). A move TRANSITIONS does not allow throws IllegalTransitionError: a bug, never stored.
 * The store adapters persist what this returns; they decide nothing of it.
 */
export function applyOrderChange(order: Order, change: OrderChange | undefined, now: number): { after: Order | null; from: OrderStatus | null } {
  if (!change) return { after: null, from: null };
  const next = change.status ?? order.status;
  if (next !== order.status && !canTransition(order.status, next)) throw new IllegalTransitionError(order.id, order.status, next);
  return { after: { ...order, ...change, status: next, updatedAt: now }, from: next !== order.status ? order.status : null };
}

export const ev = (type: EventType, data: EventData = {}): PlannedEvent => ({ type, data });

export function plan(outcome: string, parts: Partial<Omit<Plan, 'outcome'>> = {}): Plan {
  return { outcome, movements: [], events: [], jobs: [], ...parts };
}

/** The order is not in the state this step acts from: change nothing. */
export const skip = (why: string): Plan => plan(`skipped:${why}`);

/** Record one event on the order's timeline and change nothing else (a job's retry, a deferral). */
export const note = (type: EventType, data: EventData): Plan => plan(`noted:${type}`, { events: [ev(type, data)] });

function fail(reason: FailureReason, events: PlannedEvent[], extra: OrderChange = {}): Plan {
  return plan(`failed:${reason}`, {
    order: { ...extra, status: OrderStatus.failed, failureReason: reason },
    events: [...events, ev('OrderFailed', { reason })],
  });
}

/**
 * Creating an order records OrderCreated and enqueues its first job, ReserveInventory, due at once:
 * stored in the same transaction (the transactional outbox), so a crash never leaves an order
 * without the job that moves it on. Every job that follows another is decided here, in the
 * planners, and nowhere else.
 */
export function planCreateOrder(sku: string, qty: number, now: number, reservationTtlMs?: number | null): Plan {
  const payload: TtlPayload = reservationTtlMs == null ? {} : { reservationTtlMs };
  return plan('created', {
    events: [ev('OrderCreated', { sku, qty, ...payload })],
    jobs: [{ type: JobType.ReserveInventory, runAt: now, payload }],
  });
}

/**
 * A reservation's expiry: with a time to live, the ExpireReservation job due when it runs out,
 * written in the reservation's own transaction (the outbox), and the time for OrderReserved.
 */
function expiry(ttlMs: number | null | undefined, now: number): { jobs: PlannedJob[]; data: EventData } {
  if (ttlMs == null) return { jobs: [], data: {} };
  const expiresAt = now + ttlMs;
  return { jobs: [{ type: JobType.ExpireReservation, runAt: expiresAt, payload: {} }], data: { expiresAt } };
}

/** The TTL a job carries on to the next job of the same order (none when it has none of its own). */
const carry = (ttlMs: number | null | undefined): TtlPayload => (ttlMs == null ? {} : { reservationTtlMs: ttlMs });

const NO_TTL = { now: 0, ttlMs: null };

/** The outcome of `planReserveFromStock` when the supplier must be asked. */
export const NEEDS_SUPPLIER = 'needs-supplier';

/**
 * ReserveInventory, first half: take local stock if there is enough. When there is not, nothing
 * changes but the record that the supplier is being asked; the caller then calls the supplier
 * outside the transaction and comes back with `planSupplierReservation`.
 *
 * Once the supplier has been asked (`s.supplierAsked`: an earlier run recorded the request), the
 * conversation is finished with the supplier even if stock has arrived since: the supplier may
 * already hold a reservation under the order's Idempotency-Key, and asking again with the same key
 * returns it instead of leaving it orphaned.
 *
 * `key` is the Idempotency-Key the supplier is asked with; it is recorded on the event, so every
 * later run asks with the key the conversation began with (app/keys.ts).
 */
export function planReserveFromStock(s: Snapshot, attempt: number, key?: string, reservation: { now: number; ttlMs: number | null } = NO_TTL): Plan {
  const supplierAsked = s.supplierAsked !== null;
  // an order cancelled after the supplier was asked finishes the conversation, to learn the ref to cancel
  const finishing = s.order.status === OrderStatus.cancelling && supplierAsked;
  if (s.order.status !== OrderStatus.pending && !finishing) return skip(s.order.status);
  const decision = decideReservation(s.onHand, s.order.qty);
  if (decision.kind === 'local' && !supplierAsked) {
    const expires = expiry(reservation.ttlMs, reservation.now);
    return plan('reserved:stock', {
      order: { status: OrderStatus.reserved },
      movements: [{ type: 'reservation', qty: -s.order.qty }],
      events: [ev('InventoryReserved', { source: 'stock', qty: s.order.qty, onHandAfter: decision.onHandAfter }), ev('OrderReserved', expires.data)],
      jobs: expires.jobs,
    });
  }
  const shortBy = Math.max(0, s.order.qty - s.onHand);
  return plan(NEEDS_SUPPLIER, {
    events: [
      ev('SupplierReservationRequested', {
        qty: s.order.qty,
        onHand: s.onHand,
        shortBy,
        attempt,
        ...(supplierAsked ? { again: true } : {}),
        ...(key === undefined ? {} : { key }),
      }),
    ],
  });
}

export type ReserveAnswer = { accepted: boolean; ref: string };

/** ReserveInventory, second half: the supplier answered the reserve call. */
export function planSupplierReservation(
  s: Snapshot,
  answer: ReserveAnswer,
  now: number,
  settings: Pick<Settings, 'checkDelayMs'>,
  ttlMs?: number | null,
): Plan {
  if (s.order.status === OrderStatus.cancelling) {
    // cancelled while the supplier was being asked: nothing to undo if it refused, else compensate
    if (!answer.accepted) {
      return plan('cancelled', {
        order: { status: OrderStatus.cancelled },
        events: [ev('SupplierReservationRejected', {}), ev('OrderCancelled', { from: 'cancelling' })],
      });
    }
    return plan('compensating', {
      order: { supplierRef: answer.ref },
      events: [ev('SupplierReservationAccepted', { ref: answer.ref })],
      jobs: [{ type: JobType.CancelSupplierReservation, runAt: now, payload: {} }],
    });
  }
  if (s.order.status !== OrderStatus.pending) return skip(s.order.status);
  if (!answer.accepted) {
    return fail(FailureReason.supplierRejected, [ev('SupplierReservationRejected', {})]);
  }
  const checkAt = now + settings.checkDelayMs;
  return plan('awaiting-restock', {
    order: { status: OrderStatus.awaitingRestock, supplierRef: answer.ref },
    events: [ev('SupplierReservationAccepted', { ref: answer.ref, nextCheckAt: checkAt })],
    jobs: [{ type: JobType.CheckSupplierStatus, runAt: checkAt, payload: { check: 1, ...carry(ttlMs) } }],
  });
}

export type SupplierStatus = 'ok' | 'fail' | 'delayed';

/**
 * CheckSupplierStatus: the supplier answered check number `check`. A `delayed` answer schedules
 * another check while fewer than `maxDelayedRetries` retries have been made (so with 2: checks at
 * +15 s, +30 s, +45 s), then fails the order with `supplier_delayed`.
 */
export function planStatusAnswer(
  s: Snapshot,
  status: SupplierStatus,
  check: number,
  now: number,
  settings: Pick<Settings, 'checkDelayMs' | 'maxDelayedRetries'>,
  ttlMs?: number | null,
): Plan {
  if (s.order.status === OrderStatus.cancelling && status === 'ok') {
    // delivered before the cancellation reached the supplier: booked to stock, the order cancelled
    return deliveredAfterCancel(s, [ev('SupplierStatusChecked', { status, check })], 'delivered before the cancellation');
  }
  if (s.order.status !== OrderStatus.awaitingRestock) return skip(s.order.status);
  if (s.order.supplierChecks !== check - 1) return skip(`check-${check}-already-applied`);
  const checked = ev('SupplierStatusChecked', { status, check });
  switch (status) {
    case 'ok': {
      const expires = expiry(ttlMs, now);
      return plan('reserved:supplier', {
        order: { status: OrderStatus.reserved, supplierChecks: check },
        movements: [
          { type: 'restock', qty: s.order.qty },
          { type: 'reservation', qty: -s.order.qty },
        ],
        events: [checked, ev('InventoryReserved', { source: 'supplier', qty: s.order.qty, onHandAfter: s.onHand }), ev('OrderReserved', expires.data)],
        jobs: expires.jobs,
      });
    }
    case 'fail':
      return fail(FailureReason.supplierFailed, [checked], { supplierChecks: check });
    case 'delayed': {
      const retriesMade = check - 1;
      if (retriesMade >= settings.maxDelayedRetries) {
        return fail(FailureReason.supplierDelayed, [checked], { supplierChecks: check });
      }
      const nextCheckAt = now + settings.checkDelayMs;
      return plan('delayed', {
        order: { supplierChecks: check },
        events: [{ type: 'SupplierStatusChecked', data: { status, check, nextCheckAt } }],
        jobs: [{ type: JobType.CheckSupplierStatus, runAt: nextCheckAt, payload: { check: check + 1, ...carry(ttlMs) } }],
      });
    }
    default:
      return assertNever(status, 'supplier status');
  }
}

/**
 * A job ran out of attempts (or met a failure no attempt can fix): the order cannot move on, so it
 * fails with `reason` (domain/retry.ts decides it), unless already final.
 */
export function planDeadLetter(
  s: Snapshot,
  info: { jobId: string; jobType: string; attempts: number; error: string },
  reason: FailureReason = FailureReason.supplierUnavailable,
): Plan {
  const dead = ev('JobDeadLettered', info);
  if (s.order.status === OrderStatus.cancelling) {
    // the reserve call never answered: the supplier holds nothing we know of, the cancellation stands
    if (info.jobType === JobType.ReserveInventory)
      return plan('cancelled', { order: { status: OrderStatus.cancelled }, events: [dead, ev('OrderCancelled', { from: 'cancelling' })] });
    // the compensation's attempts ran out: the order waits in `cancelling` for an operator's `jobs retry`
    return plan('dead-lettered', { events: [dead] });
  }
  if (s.order.status !== OrderStatus.pending && s.order.status !== OrderStatus.awaitingRestock) {
    return plan('dead-lettered', { events: [dead] });
  }
  return fail(reason, [dead]);
}

/**
 * The supplier delivered for an order being cancelled (a status `ok` before the cancellation, or a
 * cancel answered `too_late`): the goods are booked to stock as a restock, so nothing is lost and
 * nothing is held for a cancelled order, and the cancellation is complete.
 */
export function deliveredAfterCancel(s: Snapshot, events: PlannedEvent[], why: string): Plan {
  return plan('cancelled:restocked', {
    order: { status: OrderStatus.cancelled },
    movements: [{ type: 'restock', qty: s.order.qty }],
    events: [
      ...events,
      ev('SupplierDeliveryRestocked', { qty: s.order.qty, onHandAfter: s.onHand + s.order.qty, why }),
      ev('OrderCancelled', { from: 'cancelling' }),
    ],
  });
}
