/**
 * A database backend: the store and the in-database queue over one connection (or pool), so that
 * an order's change, the jobs it enqueues and the settlement of the job that made it commit
 * together. `src/wiring/warehouse.ts` opens one per engine from a `DatabaseConfig`.
 */
import type { IdempotencyStore } from './idempotency.js';
import type { MockState } from './mock-state.js';
import type { JobQueue } from './queue.js';
import type { Store } from './store.js';
import type { ApiTokenStore } from './tokens.js';

export interface BackupResult {
  destination: string;
  bytes: number;
  /** SQLite's quick_check of the copy: [] when intact */
  problems: string[];
}

export interface Backend {
  /** `sqlite:<file>` or the server URL without its password: for messages and logs */
  readonly name: string;
  readonly store: Store;
  readonly queue: JobQueue;
  /** the HTTP API's Idempotency-Key records */
  readonly idempotency: IdempotencyStore;
  /** the API's named tokens (hashes only) */
  readonly tokens: ApiTokenStore;
  /**
   * A consistent copy of the whole database into a new file, taken while it is in use (SQLite's
   * online backup), checked after; backends that have their own tools (pg_dump) refuse with a
   * UsageError naming them.
   */
  backup(destination: string): Promise<BackupResult>;
  /**
   * The in-process mock supplier's state in this database on the backend's own connections
   * (PostgreSQL: its pool), closed before the backend. Absent: the wiring opens the state itself.
   */
  openMockState?(): Promise<MockState>;
  /** Commit what was already accepted, then release the connection(s). */
  close(): Promise<void>;
}
