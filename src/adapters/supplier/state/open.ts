/**
 * Picks where the mock keeps its state: in memory for ':memory:' engines, else in SQLite tables
 * of its own in the given file. (A `postgres://` URL will pick a PostgreSQL state here.)
 */
import { createMemoryMockState } from './memory.js';
import { openSqliteMockState } from './sqlite.js';
import type { MockState } from './types.js';

export interface MockStateOptions {
  /** a SQLite file, or ':memory:' */
  file: string;
  busyTimeoutMs?: number;
}

export async function openMockState(opts: MockStateOptions): Promise<MockState> {
  if (opts.file === ':memory:') return createMemoryMockState();
  return openSqliteMockState(opts);
}
