export const MovementType = {
  reservation: 'reservation',
  restock: 'restock',
  adjustment: 'adjustment',
} as const;
export type MovementType = (typeof MovementType)[keyof typeof MovementType];
export const MOVEMENT_TYPES = Object.values(MovementType) as readonly MovementType[];

export interface InventoryItem {
  sku: string;
  onHand: number;
  /** grows by one with every change of the row (optimistic locking compares it) */
  version: number;
  updatedAt: number;
}

/** One signed change of on-hand. `orderId` is null for a restock or a stock count. */
export interface Movement {
  id: number;
  sku: string;
  type: MovementType;
  qty: number;
  orderId: number | null;
  onHandAfter: number;
  at: number;
}

/** The reservation decision (docs/design.md §4.2): local stock covers the order, or the supplier must. */
export type ReservationDecision = { kind: 'local'; onHandAfter: number } | { kind: 'supplier'; shortBy: number };

export function decideReservation(onHand: number, qty: number): ReservationDecision {
  return onHand >= qty ? { kind: 'local', onHandAfter: onHand - qty } : { kind: 'supplier', shortBy: qty - onHand };
}

/** A stock count: the adjustment movement that brings on-hand to `target` (none when equal). */
export function adjustmentFor(current: number, target: number): number {
  return target - current;
}
