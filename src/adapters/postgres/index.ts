/**
 * `openPostgresBackend`: the store, the in-database queue and the idempotency records over one
 * connection pool (ports/database.ts). Opening connects, creates the schema if needed and applies
 * pending migrations under an advisory lock (migrate.ts); a server that cannot be reached fails
 * here with one line saying which URL and what to check.
 */
import type { ReserveStrategy } from '../../domain/settings.js';
import type { Backend } from '../../ports/database.js';
import { openPgConnection, type PgConnectionOptions } from './connection.js';
import { createPostgresIdempotencyStore } from './idempotency.js';
import { migrate } from './migrate.js';
import { createPostgresQueue } from './queue.js';
import { createPostgresStore } from './store.js';

export interface PostgresBackendOptions extends PgConnectionOptions {
  /** attempts a new job gets (Settings.jobAttempts) */
  jobAttempts?: number;
  reserveStrategy?: ReserveStrategy;
}

export async function openPostgresBackend(opts: PostgresBackendOptions): Promise<Backend> {
  const c = openPgConnection(opts);
  try {
    await migrate(c.pool, c.schema);
  } catch (error) {
    await c.close();
    throw c.describe(error);
  }
  const jobAttempts = opts.jobAttempts ?? 5;
  return {
    name: c.label,
    store: createPostgresStore(c, { jobAttempts, strategy: opts.reserveStrategy ?? 'pessimistic' }),
    queue: createPostgresQueue(c, { jobAttempts }),
    idempotency: createPostgresIdempotencyStore(c),
    close: () => c.close(),
  };
}
