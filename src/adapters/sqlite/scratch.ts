/**
 * A scratch database for `warehouse explore`: one in-memory SQLite connection (opened, migrated and
 * its statements prepared once, which costs tens of milliseconds) emptied between two schedules
 * by rolling back the transaction each schedule runs in (ids start again at 1), so many schedules
 * run on the real store and queue without paying for a new database each.
 */
import type { Backend } from '../../ports/database.js';
import { auditDatabase } from './audit.js';
import { openConnection } from './connection.js';
import { createSqliteIdempotencyStore } from './idempotency.js';
import type { SqliteBackendOptions } from './index.js';
import { createSqliteQueue } from './queue.js';
import { createSqliteStore } from './store.js';
import { createSqliteTokenStore } from './tokens.js';

export interface ScratchBackend extends Backend {
  /** every row deleted, every id sequence back to the start */
  reset(): void;
}

export async function openScratchBackend(opts: Omit<SqliteBackendOptions, 'file'>): Promise<ScratchBackend> {
  // one transaction per write: every schedule runs inside one outer transaction (below), and the
  // explorer decides each interleaving itself, which a batch's wait for the loop's next turn is not
  const c = await openConnection({ ...opts, file: ':memory:', groupCommit: false });
  const stamp = { jobAttempts: opts.jobAttempts ?? 5, clock: opts.clock ?? 'real' };
  // every schedule runs inside one outer transaction, rolled back to empty the database: the
  // store's own transactions nest in it as savepoints (better-sqlite3), and see each other's writes
  c.raw.exec('BEGIN');
  const store = createSqliteStore(c, { ...stamp, strategy: opts.reserveStrategy ?? 'pessimistic', naive: opts.naive });
  return {
    name: 'sqlite::memory: (explore)',
    // the rules of `warehouse check`, without SQLite's integrity_check: a scratch database in memory
    // is never damaged, and the check would cost more than the schedule it follows
    store: { ...store, audit: () => c.read(() => c.raw.transaction(() => auditDatabase(c.raw)).deferred()) },
    queue: createSqliteQueue(c, { ...stamp, leaseMs: opts.leaseMs ?? 30_000 }),
    idempotency: createSqliteIdempotencyStore(c),
    tokens: createSqliteTokenStore(c),
    backup: () => Promise.reject(new Error('the explorer’s scratch database is not backed up')),
    reset() {
      if (c.raw.inTransaction) c.raw.exec('ROLLBACK');
      c.raw.exec('BEGIN');
    },
    async close() {
      c.close();
    },
  };
}
