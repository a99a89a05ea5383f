/**
 * Picks where the mock keeps its state: in memory for ':memory:' engines, in SQLite tables of its
 * own in a given file, or in PostgreSQL tables of its own in the engine's database and schema.
 */
import type { PostgresConfig } from '../../../config.js';
import { createMemoryMockState } from './memory.js';
import { openSqliteMockState } from './sqlite.js';
import type { MockState } from './types.js';

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
    const { openPostgresMockState } = await import('./postgres.js');
    return openPostgresMockState(opts);
  }
  if (opts.file === ':memory:') return createMemoryMockState();
  return openSqliteMockState(opts);
}
