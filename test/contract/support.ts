/**
 * What the port contract suites share: a backend (store + queue + idempotency records) on a fresh
 * database, chosen the way the engine suites are (SQLite in the `all` project, PostgreSQL in the
 * `postgres` one, the simulator's in-memory backend in the `memory` one), opened through
 * src/wiring/warehouse.ts's openBackend and closed after each test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openMemoryBackend } from '../../src/adapters/memory/index.js';
import { parseDatabase } from '../../src/config.js';
import { planCreateOrder, type Plan } from '../../src/domain/plans.js';
import { DEFAULT_SETTINGS, type Settings } from '../../src/domain/settings.js';
import type { Backend } from '../../src/ports/database.js';
import { openBackend } from '../../src/wiring/warehouse.js';
import { freshDatabase, groupCommit } from '../helpers.js';

export const T0 = Date.UTC(2026, 0, 1, 9);

const opened: Backend[] = [];
afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
});

/**
 * The `memory` project: the store and queue suites on the simulator's in-memory backend
 * (src/adapters/memory), which keeps what SQLite keeps for a virtual replay and refuses what only a
 * database keeps (test/adapters/memory-backend.test.ts checks the refusals).
 */
export const ON_MEMORY = process.env.WAREHOUSE_TEST_BACKEND === 'memory';
type Test = (name: string, body: () => Promise<void>) => void;
/**
 * A test of what only a database keeps (the audit, Idempotency-Key records, the relay). On the
 * in-memory backend, which refuses these by design, the same body runs and must be refused with
 * the backend's message — never skipped, never passing by accident.
 */
export const itNeedsDatabase: Test = ON_MEMORY
  ? (name, body) =>
      it(`${name} — refused by the in-memory backend`, async () => {
        await expect(body()).rejects.toThrow(/is not kept by the simulator's in-memory backend \(a database keeps it: run with --db\)/);
      })
  : (name, body) => it(name, body);
/** A suite of such tests: its body gets the `it` to use (itNeedsDatabase). */
export const describeNeedsDatabase = (name: string, body: (it: Test) => void) => describe(name, () => body(itNeedsDatabase));

export async function testBackend(settings: Partial<Settings> = {}): Promise<Backend & { db: string }> {
  const all = { ...DEFAULT_SETTINGS, ...settings };
  if (ON_MEMORY) {
    const backend = openMemoryBackend({ jobAttempts: all.jobAttempts, reserveStrategy: all.reserveStrategy });
    opened.push(backend);
    return { ...backend, db: ':memory:' };
  }
  const db = freshDatabase();
  const backend = await openBackend(parseDatabase(db, { groupCommit: groupCommit() }), all);
  opened.push(backend);
  return { ...backend, db };
}

/** The creation plan, its ReserveInventory job due at `runAt` (the planner's own). */
export const withJob = (sku: string, qty: number, runAt = T0): Plan => planCreateOrder(sku, qty, runAt);

/** A plan that changes nothing but one timeline note. */
export const noop = (outcome = 'noop'): Plan => ({ outcome, movements: [], events: [], jobs: [] });
