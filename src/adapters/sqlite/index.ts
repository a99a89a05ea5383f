/** `openSqliteBackend`: the store and the queue over one SQLite connection (ports/database.ts). */
import type { ReserveStrategy } from '../../domain/settings.js';
import type { Backend } from '../../ports/database.js';
import { createSqliteIdempotencyStore } from './idempotency.js';
import { openConnection, type ConnectionOptions } from './connection.js';
import { createSqliteQueue } from './queue.js';
import { createSqliteStore } from './store.js';

export interface SqliteBackendOptions extends ConnectionOptions {
  /** attempts a new job gets (Settings.jobAttempts) */
  jobAttempts?: number;
  /** how reservations take stock (all serialised by SQLite's single writer) */
  reserveStrategy?: ReserveStrategy;
}

export function openSqliteBackend(opts: SqliteBackendOptions): Backend {
  const c = openConnection(opts);
  const jobAttempts = opts.jobAttempts ?? 5;
  return {
    name: `sqlite:${opts.file}`,
    store: createSqliteStore(c, { jobAttempts, strategy: opts.reserveStrategy ?? 'pessimistic' }),
    queue: createSqliteQueue(c, { jobAttempts }),
    idempotency: createSqliteIdempotencyStore(c.raw, opts.busyTimeoutMs),
    async close() {
      c.close();
    },
  };
}
