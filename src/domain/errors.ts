/**
 * Typed errors. What happens after a failure is decided by the error, never by matching message
 * text: each error says whose trouble it is (`owner`) and whether trying again may help
 * (`retryable`). Messages say what failed, why, and what to do.
 *
 * Owners (docs/architecture.md, "Faults have owners"):
 * - `supplier`: the supplier's trouble (5xx, timeout, network, malformed body, a contract breach).
 *   The only owner whose trouble may fail an order (`supplier_unavailable`, once attempts run out;
 *   `supplier_key_conflict` at once when the supplier refuses the order's key as used before).
 * - `database`: the engine's own database is busy, locked, full, unreadable, corrupt, in conflict
 *   (PostgreSQL serialization failures, deadlocks) or unreachable. Retried with backoff; never
 *   spends a job's attempts, never fails an order.
 * - `user`: bad input or usage (exit 2, HTTP 4xx). Nothing was stored.
 * - `concurrency`: another runner or request won a race (a lost lease or idempotency claim): this
 *   work is discarded, the winner's stands.
 * - `bug`: anything else, including errors that are not ours. Retried a bounded number of times,
 *   then the job is parked for an operator; the order is never failed for it.
 */
export type FaultOwner = 'supplier' | 'database' | 'user' | 'concurrency' | 'bug';

export abstract class WarehouseError extends Error {
  abstract readonly code: string;
  abstract readonly owner: FaultOwner;
  /** true when trying the same thing again later may succeed */
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
  readonly owner = 'user';
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
  readonly owner = 'user';
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
  readonly owner = 'bug';
  constructor(
    readonly orderId: number,
    readonly from: string,
    readonly to: string,
  ) {
    super(`order ${orderId} cannot go from ${from} to ${to}`);
  }
}

/**
 * What went wrong with the database, as far as an operator needs to know:
 * - `busy`: another process holds the write lock (SQLite), or a lock timeout (PostgreSQL 55P03)
 * - `conflict`: a serialization failure or deadlock (PostgreSQL 40001, 40P01); the transaction
 *   was rolled back and may simply run again
 * - `full`: the disk (or quota) is full
 * - `io`: the disk could not be read or written
 * - `corrupt`: the file is damaged; refused for writes until restored
 * - `readonly`: the file or its directory cannot be written
 * - `unavailable`: the file cannot be opened, or the server cannot be reached
 * - `not_a_database`: the file is not a database of ours at all
 */
export type DatabaseFault = 'busy' | 'conflict' | 'full' | 'io' | 'corrupt' | 'readonly' | 'unavailable' | 'not_a_database';

/** The database could not do what was asked. Retried by the job runner; HTTP 503. */
export class DatabaseError extends WarehouseError {
  readonly code = 'database';
  readonly owner = 'database';
  override readonly retryable: boolean;
  constructor(
    message: string,
    readonly file?: string,
    options?: ErrorOptions & { fault?: DatabaseFault },
  ) {
    super(message, options);
    this.fault = options?.fault ?? 'unavailable';
    this.retryable = this.fault !== 'not_a_database';
  }
  readonly fault: DatabaseFault;
}

/**
 * The external job queue (Redis, `--queue`) could not be reached or refused a command. The
 * engine's own infrastructure, like its database: retried, never a job's attempt, never an
 * order's failure; at start, the command fails with this message.
 */
export class QueueError extends WarehouseError {
  readonly code = 'queue';
  readonly owner = 'database';
  override readonly retryable = true;
}

/** A job lost its lease to another runner before it could commit; its work is discarded. */
export class LeaseLostError extends WarehouseError {
  readonly code = 'lease_lost';
  readonly owner = 'concurrency';
  constructor(readonly jobId: string) {
    super(`job ${jobId} lost its lease to another runner; its result was discarded`);
  }
}

/** An Idempotency-Key's in-flight claim expired and passed to another request before this one committed. */
export class IdempotencyClaimLostError extends WarehouseError {
  readonly code = 'idempotency_claim_lost';
  readonly owner = 'concurrency';
  constructor(readonly key: string) {
    super(`the Idempotency-Key ${JSON.stringify(key)} was taken over by another request; retry to get its response`);
  }
}

/** A supplier call failed in a way worth retrying: 5xx, timeout, network error, malformed body. */
export class SupplierUnavailableError extends WarehouseError {
  readonly code = 'supplier_unavailable';
  readonly owner = 'supplier';
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
  readonly owner = 'supplier';
  constructor(message: string) {
    super(message);
  }
}

/**
 * The supplier refused a reserve call because its Idempotency-Key was used before with another
 * body (HTTP 422, docs/design.md §5.2): two orders share a key. No retry can fix it, and the
 * reservation it answers about is not this order's: the job is dead-lettered at once and the
 * order fails `supplier_key_conflict`, never booked on another order's answer.
 */
export class SupplierKeyConflictError extends WarehouseError {
  readonly code = 'supplier_key_conflict';
  readonly owner = 'supplier';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** Usage error found after commander parsed the line (e.g. no terminal to ask on). */
/**
 * The order's state does not allow what was asked (cancel a final order, fulfil one that is not
 * reserved): nothing changed. Exit 1 / HTTP 409.
 */
export class OrderStateError extends WarehouseError {
  readonly code = 'order_state';
  readonly owner = 'user';
  constructor(
    readonly orderId: number,
    readonly status: string,
    readonly action: 'cancel' | 'fulfil',
    why: string,
  ) {
    super(`order ${orderId} is ${status}: it cannot be ${action === 'cancel' ? 'cancelled' : 'fulfilled'} (${why})`);
  }
}

export class UsageError extends WarehouseError {
  readonly code = 'usage';
  readonly owner = 'user';
  override readonly exitCode = 2;
}

/** Whose trouble an error is, and whether trying again may help. */
export interface Fault {
  owner: FaultOwner;
  retryable: boolean;
  /** a short word for logs, metrics and the timeline: the error's code or kind */
  kind: string;
  message: string;
}

export function faultOf(error: unknown): Fault {
  if (error instanceof WarehouseError) {
    const kind = error instanceof SupplierUnavailableError ? error.kind : error instanceof DatabaseError ? error.fault : error.code;
    return { owner: error.owner, retryable: error.retryable, kind, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { owner: 'bug', retryable: false, kind: error instanceof Error ? error.name : 'error', message };
}
