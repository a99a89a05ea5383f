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
}
