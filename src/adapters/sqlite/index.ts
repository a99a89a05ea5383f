/** `openSqliteBackend`: the store and the queue over one SQLite connection (ports/database.ts). */
import type { ReserveStrategy } from '../../domain/settings.js';
import type { Backend } from '../../ports/database.js';
import { createSqliteIdempotencyStore } from './idempotency.js';
import { createSqliteTokenStore } from './tokens.js';
import { openConnection, type ConnectionOptions } from './connection.js';
import { createSqliteQueue } from './queue.js';
import type { NaivePause } from './naive.js';
import { createSqliteStore } from './store.js';

export interface SqliteBackendOptions extends ConnectionOptions {
  /** attempts a new job gets (Settings.jobAttempts) */
  jobAttempts?: number;
  /** the engine's clock (default real): jobs enqueued on the virtual clock are marked as such */
  clock?: 'real' | 'virtual';
  /** Settings.leaseMs: how far a re-based lease reaches */
  leaseMs?: number;
  /** how reservations take stock (all serialised by SQLite's single writer) */
  reserveStrategy?: ReserveStrategy;
  /** teaching only (`warehouse explore --reserve-strategy naive`): see naive.ts */
  naive?: NaivePause;
}

export async function openSqliteBackend(opts: SqliteBackendOptions): Promise<Backend> {
  const c = await openConnection(opts);
  const stamp = { jobAttempts: opts.jobAttempts ?? 5, clock: opts.clock ?? 'real' };
  return {
    name: `sqlite:${opts.file}`,
    store: createSqliteStore(c, { ...stamp, strategy: opts.reserveStrategy ?? 'pessimistic', naive: opts.naive }),
    queue: createSqliteQueue(c, { ...stamp, leaseMs: opts.leaseMs ?? 30_000 }),
    idempotency: createSqliteIdempotencyStore(c),
    tokens: createSqliteTokenStore(c),
    backup: async (destination) => (await import('./backup.js')).backupSqlite(c, destination),
    async close() {
      c.close();
    },
  };
}
