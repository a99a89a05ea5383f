/**
 * The one writer of the supplier's Idempotency-Key format (docs/design.md §5.2): `order-<id>`. Every reserve
 * call for an order carries it, so the supplier answers a repeated call with the same reservation.
 */
export const idempotencyKeyFor = (orderId: number): string => `order-${orderId}`;
