/**
 * Supplier port (docs/design.md §5). Implementations throw SupplierUnavailableError (retryable) for 5xx,
 * timeouts, network errors and malformed bodies; they never run inside a DB transaction.
 */
export interface ReserveRequest {
  sku: string;
  qty: number;
  /** `order-<id>`: the supplier returns the same ref for the same key */
  idempotencyKey: string;
}

export interface Supplier {
  reserve(req: ReserveRequest): Promise<{ accepted: boolean; ref: string }>;
  status(ref: string): Promise<'ok' | 'fail' | 'delayed'>;
  cancel(req: CancelRequest): Promise<CancelOutcome>;
}

/** `POST /supplier/cancel`: undo the reservation `ref` (docs/design.md §5.1). */
export interface CancelRequest {
  ref: string;
  /** `cancel-order-<id>.<db>`: one per order, whatever run asks */
  idempotencyKey: string;
}

/**
 * What the supplier says to a cancel: `cancelled` (nothing will be delivered), or `too_late` (it
 * has delivered, or will: the goods come to stock).
 */
export type CancelOutcome = 'cancelled' | 'too_late';
