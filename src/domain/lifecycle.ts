/**
 * The order's life after the reservation flow (docs/design.md §2.5): cancel, fulfil, expire, and
 * the compensation at the supplier. Pure planners, like plans.ts: each sees the snapshot read under
 * the order's row lock and returns what to commit in that same transaction.
 *
 * | from               | cancel                                   | fulfil    | expiry (job) |
 * |--------------------|------------------------------------------|-----------|--------------|
 * | `pending`          | `cancelled` (`cancelling` if the supplier was asked) | refused | —    |
 * | `awaiting_restock` | `cancelling`, CancelSupplierReservation  | refused   | —            |
 * | `cancelling`       | nothing more (already under way)         | refused   | —            |
 * | `reserved`         | `cancelled`, a `release` movement        | `fulfilled` | `expired`, a `release` |
 * | final              | refused                                  | refused   | nothing      |
 *
 * A refusal throws OrderStateError: nothing is written (CLI exit 1, HTTP 409).
 */
import { OrderStateError } from './errors.js';
import { JobType } from './jobs.js';
import { assertNever, isFinal, OrderStatus } from './order.js';
import { deliveredAfterCancel, ev, plan, type Plan, type Snapshot, skip } from './plans.js';

/** The reservation's units back to on-hand, and why. */
function release(s: Snapshot, reason: 'cancelled' | 'expired'): Pick<Plan, 'movements'> & { event: ReturnType<typeof ev> } {
  return {
    movements: [{ type: 'release', qty: s.order.qty }],
    event: ev('ReservationReleased', { qty: s.order.qty, onHandAfter: s.onHand + s.order.qty, reason }),
  };
}

const finalWhy = (status: OrderStatus) => `a ${status} order is final`;

export function planCancel(s: Snapshot, now: number): Plan {
  const { order } = s;
  switch (order.status) {
    case 'pending':
      if (s.supplierAsked === null) {
        // its ReserveInventory job finds it cancelled and does nothing
        return plan('cancelled', {
          order: { status: OrderStatus.cancelled },
          events: [ev('OrderCancelled', { from: 'pending' })],
          dropJobs: [JobType.ReserveInventory],
        });
      }
      // the reserve call is under way (or will be retried): its answer decides what to undo
      return plan('cancelling', { order: { status: OrderStatus.cancelling }, events: [ev('CancelRequested', { from: 'pending' })] });
    case 'awaiting_restock':
      return plan('cancelling', {
        order: { status: OrderStatus.cancelling },
        events: [ev('CancelRequested', { from: 'awaiting_restock', ref: order.supplierRef })],
        jobs: [{ type: JobType.CancelSupplierReservation, runAt: now, payload: {} }],
        dropJobs: [JobType.CheckSupplierStatus],
      });
    case 'cancelling':
      return skip('cancelling');
    case 'reserved': {
      const r = release(s, 'cancelled');
      return plan('cancelled', {
        order: { status: OrderStatus.cancelled },
        movements: r.movements,
        events: [r.event, ev('OrderCancelled', { from: 'reserved' })],
        dropJobs: [JobType.ExpireReservation],
      });
    }
    case 'failed':
    case 'cancelled':
    case 'expired':
    case 'fulfilled':
      throw new OrderStateError(order.id, order.status, 'cancel', finalWhy(order.status));
    default:
      return assertNever(order.status, 'order status');
  }
}

export function planFulfil(s: Snapshot): Plan {
  const { order } = s;
  if (order.status === OrderStatus.reserved) {
    // the units left with the reservation: on-hand does not move again (docs/design.md §2.4)
    return plan('fulfilled', {
      order: { status: OrderStatus.fulfilled },
      events: [ev('OrderFulfilled', { qty: order.qty })],
      dropJobs: [JobType.ExpireReservation],
    });
  }
  const why = isFinal(order.status) ? finalWhy(order.status) : 'only a reserved order can be fulfilled; it holds no stock yet';
  throw new OrderStateError(order.id, order.status, 'fulfil', why);
}

/** ExpireReservation: the reservation's time ran out. Anything but a reserved order is left alone. */
export function planExpire(s: Snapshot): Plan {
  if (s.order.status !== OrderStatus.reserved) return skip(s.order.status);
  const r = release(s, 'expired');
  return plan('expired', { order: { status: OrderStatus.expired }, movements: r.movements, events: [r.event, ev('OrderExpired', {})] });
}

/** The supplier's answer to `POST /supplier/cancel`. */
export type CancelAnswer = 'cancelled' | 'too_late';

/** CancelSupplierReservation: the compensation's answer. Acts only from `cancelling`. */
export function planCancelAnswer(s: Snapshot, answer: CancelAnswer): Plan {
  if (s.order.status !== OrderStatus.cancelling) return skip(s.order.status);
  const ref = s.order.supplierRef;
  switch (answer) {
    case 'cancelled':
      return plan('cancelled', {
        order: { status: OrderStatus.cancelled },
        events: [ev('SupplierReservationCancelled', { ref }), ev('OrderCancelled', { from: 'cancelling' })],
      });
    case 'too_late':
      return deliveredAfterCancel(s, [ev('SupplierReservationCancelled', { ref, tooLate: true })], 'the supplier had delivered (too late to cancel)');
    default:
      return assertNever(answer, 'cancel answer');
  }
}
