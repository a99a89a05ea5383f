export const MovementType = {
  reservation: 'reservation',
  restock: 'restock',
  adjustment: 'adjustment',
  /** a reservation given back (+qty): its order was cancelled, or the reservation expired */
  release: 'release',
} as const;
export type MovementType = (typeof MovementType)[keyof typeof MovementType];
export const MOVEMENT_TYPES = Object.values(MovementType) as readonly MovementType[];

/**
 * A SKU's stock. `onHand` is the ledger's balance: the units a new order can take (the views call it
 * *available*). `reserved` is what `reserved` orders hold; both together are on the shelves
 * (docs/design.md §2.4).
 */
export interface InventoryItem {
  sku: string;
  onHand: number;
  /** units held by orders in `reserved` (not in the ledger's balance any more, still in the building) */
  reserved: number;
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

/**
 * A stock count (docs/design.md §2.4): the units free on the shelves, those set aside for reserved
 * orders not counted, become `target`: the adjustment movement is the difference (none when equal).
 */
export function adjustmentFor(available: number, target: number): number {
  return target - available;
}
