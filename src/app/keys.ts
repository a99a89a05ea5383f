/**
 * The one writer of the supplier's Idempotency-Key format (docs/design.md §5.2):
 * `order-<id>.<the first 16 hex digits of the database's identity>`. The identity is made once
 * per database, by its migration (`engine_meta.instance`, JobQueue.instanceId), so two databases
 * (a reset file, two environments, a class sharing one supplier service) never send one key for
 * two orders. Every reserve call of an order carries the key its conversation began with, as
 * recorded on its first `SupplierReservationRequested`: an order whose conversation began before
 * keys named the database (its event records no key) keeps `order-<id>`.
 */
import type { Snapshot } from '../domain/plans.js';

/** how much of the database's identity a key carries: 64 random bits */
export const DATABASE_ID_DIGITS = 16;

/** The key of a new conversation for `orderId` in the database whose identity is `databaseId`. */
export const idempotencyKeyFor = (orderId: number, databaseId: string): string => `order-${orderId}.${databaseId.slice(0, DATABASE_ID_DIGITS)}`;

/** The key of a conversation that began before keys named the database. */
export const keyBeforeIdentity = (orderId: number): string => `order-${orderId}`;

/**
 * The key the order's conversation with the supplier already uses, from its first
 * SupplierReservationRequested as read under the row lock (Snapshot.supplierAsked); null when the
 * supplier was never asked.
 */
export function keyInUse(orderId: number, asked: Snapshot['supplierAsked']): string | null {
  if (!asked) return null;
  return asked.key ?? keyBeforeIdentity(orderId);
}

/**
 * The Idempotency-Key of the compensation (`POST /supplier/cancel`) for `orderId`: one per order, so
 * every run of its CancelSupplierReservation asks the same question and the supplier cancels once.
 */
export const cancelKeyFor = (orderId: number, databaseId: string): string => `cancel-${idempotencyKeyFor(orderId, databaseId)}`;
