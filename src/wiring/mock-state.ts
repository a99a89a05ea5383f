/**
 * Picks where the mock supplier keeps its state (ports/mock-state.ts): in memory for ':memory:'
 * engines, in SQLite tables of its own in a given file (adapters/sqlite/mock-state.ts), or in
 * PostgreSQL tables of its own in the engine's database and schema (adapters/postgres/mock-state.ts).
 * Each database adapter implements the port with its own connection rules (lock waits, errors,
 * pools), so the mock adapter never reaches into a database adapter.
 */
import { describeSqliteError } from '../adapters/sqlite/open.js';
import { openSqliteMockState } from '../adapters/sqlite/mock-state.js';
import { parseDatabase, type PostgresConfig } from '../config.js';
import type { MockState } from '../ports/mock-state.js';

export type MockStateOptions =
  | {
      /** a SQLite file, or ':memory:' */
      file: string;
      busyTimeoutMs?: number;
      /** how long opening waits for another process's lock (default busyTimeoutMs; Infinity: as long as it lasts) */
      lockWaitMs?: number;
      /** told once when opening waits for another process's lock */
      onLockWait?: (message: string) => void;
    }
  /** the engine's PostgreSQL database (its URL and schema; the mock opens a small pool of its own) */
  | PostgresConfig;

export async function openMockState(opts: MockStateOptions): Promise<MockState> {
  if (!('file' in opts)) {
    // loaded only for PostgreSQL: a SQLite run never loads pg
    const { openPostgresMockState } = await import('../adapters/postgres/mock-state.js');
    return openPostgresMockState(opts);
  }
  // loaded only for an in-memory engine (the simulator's)
  if (opts.file === ':memory:') return (await import('../adapters/mock-supplier/memory-state.js')).createMemoryMockState();
  return openSqliteMockState(opts);
}

/**
 * `warehouse supplier serve`'s state: a postgres:// URL (its `?schema=` honoured) is a PostgreSQL
 * state, anything else a SQLite file; a file that is not one comes out as a clear DatabaseError.
 */
export async function openMockStateAt(where: string): Promise<MockState> {
  try {
    // a postgres:// URL is a PostgreSQL state (its errors are DatabaseErrors already); anything else a file
    return await openMockState(/^postgres(ql)?:\/\//i.test(where) ? parseDatabase(where) : { file: where });
  } catch (error) {
    throw describeSqliteError(error, where, 5_000) ?? error;
  }
}
