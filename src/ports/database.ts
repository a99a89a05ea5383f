/**
 * A database backend: the store and the in-database queue over one connection (or pool), so that
 * an order's change, the jobs it enqueues and the settlement of the job that made it commit
 * together. `wiring.ts` opens one per engine from a `DatabaseConfig`.
 */
import type { IdempotencyStore } from './idempotency.js';
import type { JobQueue } from './queue.js';
import type { Store } from './store.js';

export interface Backend {
  /** `sqlite:<file>` or the server URL without its password: for messages and logs */
  readonly name: string;
  readonly store: Store;
  readonly queue: JobQueue;
  /** the HTTP API's Idempotency-Key records */
  readonly idempotency: IdempotencyStore;
  /** Commit what was already accepted, then release the connection(s). */
  close(): Promise<void>;
}
