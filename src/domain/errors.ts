/**
 * Typed errors. Whether a failure is retried is a property of the error (`retryable`), never
 * decided by matching message text. Messages say what failed, why, and what to do.
 */
export abstract class WarehouseError extends Error {
  abstract readonly code: string;
  /** true when the job runner should try again later */
  readonly retryable: boolean = false;
  /** CLI exit code when this error reaches the entry point */
  readonly exitCode: number = 1;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from the user: a field broke a rule. Exit 2 / HTTP 422. */
export class ValidationError extends WarehouseError {
  readonly code = 'validation';
  override readonly exitCode = 2;
  constructor(
    readonly field: string,
    readonly rule: string,
    message?: string,
  ) {
    super(message ?? `invalid ${field}: ${rule}`);
  }
}

export class NotFoundError extends WarehouseError {
  readonly code = 'not_found';
  constructor(
    readonly entity: 'order' | 'job' | 'sku' | 'dead letter',
    readonly id: string | number,
    hint?: string,
  ) {
    super(`${entity} ${id} not found${hint ? `: ${hint}` : ''}`);
  }
}

/** The database refused a change (constraint or trigger), or the code tried an illegal one. */
export class IllegalTransitionError extends WarehouseError {
  readonly code = 'illegal_transition';
  constructor(
    readonly orderId: number,
    readonly from: string,
    readonly to: string,
  ) {
    super(`order ${orderId} cannot go from ${from} to ${to}`);
  }
}

/** The database file cannot be used (not SQLite, locked past the busy timeout, unreadable). */
export class DatabaseError extends WarehouseError {
  readonly code = 'database';
  constructor(
    message: string,
    readonly file?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A job lost its lease to another runner before it could commit; its work is discarded. */
export class LeaseLostError extends WarehouseError {
  readonly code = 'lease_lost';
  constructor(readonly jobId: number) {
    super(`job ${jobId} lost its lease to another runner; its result was discarded`);
  }
}

/** An Idempotency-Key's in-flight claim expired and passed to another request before this one committed. */
export class IdempotencyClaimLostError extends WarehouseError {
  readonly code = 'idempotency_claim_lost';
  constructor(readonly key: string) {
    super(`the Idempotency-Key ${JSON.stringify(key)} was taken over by another request; retry to get its response`);
  }
}

/** A supplier call failed in a way worth retrying: 5xx, timeout, network error, malformed body. */
export class SupplierUnavailableError extends WarehouseError {
  readonly code = 'supplier_unavailable';
  override readonly retryable = true;
  constructor(
    readonly kind: 'http_error' | 'timeout' | 'network' | 'malformed',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A supplier answer that no retry will fix (a 4xx other than 408/429). */
export class SupplierContractError extends WarehouseError {
  readonly code = 'supplier_contract';
  constructor(message: string) {
    super(message);
  }
}

/** Usage error found after commander parsed the line (e.g. no terminal to ask on). */
export class UsageError extends WarehouseError {
  readonly code = 'usage';
  override readonly exitCode = 2;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof WarehouseError ? error.retryable : false;
}
