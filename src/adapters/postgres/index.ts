/**
 * `openPostgresBackend`: the store, the in-database queue and the idempotency records over one
 * connection pool (ports/database.ts). Opening connects, creates the schema if needed and applies
 * pending migrations under an advisory lock (migrate.ts); a server that cannot be reached fails
 * here with one line saying which URL and what to check.
 */
import type { LineLockOrder } from '../../domain/lines.js';
import type { ReserveStrategy } from '../../domain/settings.js';
import { UsageError } from '../../domain/errors.js';
import type { Backend } from '../../ports/database.js';
import { openPgConnection, type PgConnectionOptions } from './connection.js';
import { createPostgresIdempotencyStore } from './idempotency.js';
import { createPostgresTokenStore } from './tokens.js';
import { migrate } from './migrate.js';
import { createPostgresQueue } from './queue.js';
import { createPostgresStore } from './store.js';

export interface PostgresBackendOptions extends PgConnectionOptions {
  /** attempts a new job gets (Settings.jobAttempts) */
  jobAttempts?: number;
  reserveStrategy?: ReserveStrategy;
  /** the engine's clock (default real): jobs enqueued on the virtual clock are marked as such */
  clock?: 'real' | 'virtual';
  /** Settings.leaseMs: how far a re-based lease reaches */
  leaseMs?: number;
  /** teaching and its test only: lock a multi-line order's SKUs in the lines' order instead of by SKU (domain/lines.ts) */
  lineLockOrder?: LineLockOrder;
}

export async function openPostgresBackend(opts: PostgresBackendOptions): Promise<Backend> {
  const c = openPgConnection(opts);
  try {
    await migrate(c.pool, c.schema);
  } catch (error) {
    await c.close();
    throw c.describe(error);
  }
  const stamp = { jobAttempts: opts.jobAttempts ?? 5, clock: opts.clock ?? 'real' };
  return {
    name: c.label,
    store: createPostgresStore(c, { ...stamp, strategy: opts.reserveStrategy ?? 'pessimistic', lineLockOrder: opts.lineLockOrder ?? 'sku' }),
    queue: createPostgresQueue(c, { ...stamp, leaseMs: opts.leaseMs ?? 30_000 }),
    idempotency: createPostgresIdempotencyStore(c),
    tokens: createPostgresTokenStore(c),
    async backup() {
      throw new UsageError(
        `warehouse backup copies SQLite files; for PostgreSQL use its own tools: pg_dump --schema=${c.schema} '<the database URL>' > backup.sql`,
      );
    },
    async openMockState() {
      // the mock's calls share the engine's pool (mock-state.ts says why that is safe)
      const { openPostgresMockState } = await import('./mock-state.js');
      return openPostgresMockState({ url: opts.url, schema: c.schema, pool: c.pool });
    },
    close: () => c.close(),
  };
}
