/**
 * Glossary (the words used everywhere in this codebase)
 *
 * - **order**: a request to hold `qty` units of one `sku`. It moves through the states below.
 * - **on-hand**: units of a SKU physically in the warehouse and not yet reserved.
 * - **movement**: one signed change of on-hand, written in the same transaction as the change
 *   (`reservation` −qty, `restock` +qty, `adjustment` ± to a counted value). The movements of a SKU
 *   always sum to its on-hand.
 * - **reservation**: taking units off on-hand for an order (local stock, or the supplier's delivery).
 * - **supplier ref**: the supplier's handle for a reservation it accepted; checked later.
 * - **check**: one answered `GET /supplier/status/{ref}` (`ok`, `fail` or `delayed`).
 * - **job**: a durable unit of work in the database (`ReserveInventory`, `CheckSupplierStatus`),
 *   run at-least-once by the job runner; a job whose attempts run out is **dead-lettered**.
 * - **settled**: an order is settled when it reaches a final state; `updatedAt` is then when.
 *
 * - **release**: giving a reservation's units back to on-hand (a `release` movement, +qty) when a
 *   reserved order is cancelled or its reservation expires.
 * - **fulfilment**: a reserved order's units leave the warehouse for good (`fulfilled`).
 * - **compensation**: undoing at the supplier what it holds for a cancelled order
 *   (`CancelSupplierReservation`, `POST /supplier/cancel`).
 *
 * The order state machine (docs/design.md §2):
 *
 *   pending ──► reserved ──► fulfilled | cancelled | expired
 *      │──────► failed                     (supplier rejected, or unavailable)
 *      │──────► cancelled                  (cancelled before the supplier was asked)
 *      │──────► cancelling ──► cancelled   (cancelled after the supplier was asked: compensation)
 *      └──────► awaiting_restock ──► reserved   (supplier said ok)
 *                      │───────────► failed     (supplier said fail, stayed delayed, or unavailable)
 *                      └───────────► cancelling (cancelled while the supplier holds a reservation)
 *
 * `failed`, `cancelled`, `expired` and `fulfilled` are final. The table below is the only place
 * transitions are written; the database triggers are generated from it (see `transitionPairs`).
 */
export const OrderStatus = {
  pending: 'pending',
  awaitingRestock: 'awaiting_restock',
  reserved: 'reserved',
  failed: 'failed',
  /** cancelled after the supplier was asked: waiting for the supplier's reservation to be cancelled */
  cancelling: 'cancelling',
  cancelled: 'cancelled',
  expired: 'expired',
  fulfilled: 'fulfilled',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];
export const ORDER_STATUSES = Object.values(OrderStatus) as readonly OrderStatus[];

/** Orders per status from a store's grouped count: every status present, 0 when it has no row. */
export function countsByStatus(rows: ReadonlyArray<{ status: OrderStatus; n: number }>): Record<OrderStatus, number> {
  const counts = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['reserved', 'awaiting_restock', 'failed', 'cancelled', 'cancelling'],
  awaiting_restock: ['reserved', 'failed', 'cancelling'],
  cancelling: ['cancelled'],
  reserved: ['fulfilled', 'cancelled', 'expired'],
  failed: [],
  cancelled: [],
  expired: [],
  fulfilled: [],
};

export const FailureReason = {
  supplierRejected: 'supplier_rejected',
  supplierFailed: 'supplier_failed',
  supplierDelayed: 'supplier_delayed',
  supplierUnavailable: 'supplier_unavailable',
  /** the supplier refused the order's Idempotency-Key as used before for another body (HTTP 422, §5.2) */
  supplierKeyConflict: 'supplier_key_conflict',
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

export interface Order {
  id: number;
  sku: string;
  qty: number;
  status: OrderStatus;
  supplierRef: string | null;
  supplierChecks: number;
  failureReason: FailureReason | null;
  /** epoch milliseconds, from the Clock port */
  createdAt: number;
  updatedAt: number;
  /** a multi-line order (docs/design.md §2.6): its number of lines (absent or 0: a one-line order, or a line) */
  lineCount?: number;
  /** a line of a multi-line order: the order it belongs to and its number there */
  parentId?: number | null;
  lineNo?: number | null;
  /** a multi-line order's lines (each an order of its own), when read with them */
  lines?: Order[];
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinal(status: OrderStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/**
 * Whether the reservation flow has come to rest: the order is `reserved` (it waits for a person to
 * fulfil or cancel it, or for its expiry) or final. What waits for an order to settle (`order
 * create`, scenarios, the explanation) waits for this, not for a final state.
 */
export function isSettled(status: OrderStatus): boolean {
  return status === OrderStatus.reserved || isFinal(status);
}

/** Every legal (from, to) pair, for the database trigger and for tests. */
export function transitionPairs(): Array<[OrderStatus, OrderStatus]> {
  return ORDER_STATUSES.flatMap((from) => TRANSITIONS[from].map((to) => [from, to] as [OrderStatus, OrderStatus]));
}

export function isOrderStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
