/**
 * A scratch database for `warehouse explore`: one in-memory SQLite connection (opened, migrated and
 * its statements prepared once, which costs tens of milliseconds) emptied between two schedules
 * in well under one, ids starting again at 1, so thousands of schedules a second run on the real
 * store and queue.
 */
import type { Backend } from '../../ports/database.js';
import { openConnection } from './connection.js';
import { createSqliteIdempotencyStore } from './idempotency.js';
import type { SqliteBackendOptions } from './index.js';
import { createSqliteQueue } from './queue.js';
import { createSqliteStore } from './store.js';

export interface ScratchBackend extends Backend {
  /** every row deleted, every id sequence back to the start */
  reset(): void;
}

export function openScratchBackend(opts: Omit<SqliteBackendOptions, 'file'>): ScratchBackend {
  const c = openConnection({ ...opts, file: ':memory:' });
  const stamp = { jobAttempts: opts.jobAttempts ?? 5, clock: opts.clock ?? 'real' };
  const tables = (c.raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'`).all() as Array<{ name: string }>).map(
    (r) => r.name,
  );
  // the append-only guards (triggers) step aside while the rows go
  const triggers = c.raw.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger'`).all() as Array<{ name: string; sql: string }>;
  const wipe = c.raw.transaction(() => {
    for (const tr of triggers) c.raw.exec(`DROP TRIGGER "${tr.name}"`);
    for (const table of tables) c.raw.prepare(`DELETE FROM "${table}"`).run();
    for (const tr of triggers) c.raw.exec(tr.sql);
    if (c.raw.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`).get()) c.raw.prepare('DELETE FROM sqlite_sequence').run();
  });
  return {
    name: 'sqlite::memory: (explore)',
    store: createSqliteStore(c, { ...stamp, strategy: opts.reserveStrategy ?? 'pessimistic', naive: opts.naive }),
    queue: createSqliteQueue(c, { ...stamp, leaseMs: opts.leaseMs ?? 30_000 }),
    idempotency: createSqliteIdempotencyStore(c),
    backup: () => Promise.reject(new Error('the explorer’s scratch database is not backed up')),
    reset() {
      c.raw.pragma('foreign_keys = OFF');
      try {
        wipe();
      } finally {
        c.raw.pragma('foreign_keys = ON');
      }
    },
    async close() {
      c.close();
    },
  };
}
