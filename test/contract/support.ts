/**
 * What the port contract suites share: a backend (store + queue + idempotency records) on a fresh
 * database, chosen the way the engine suites are (SQLite in the `all` project, PostgreSQL in the
 * `postgres` one), opened through src/wiring/warehouse.ts's openBackend and closed after each test.
 */
import { afterEach } from 'vitest';
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

export async function testBackend(settings: Partial<Settings> = {}): Promise<Backend & { db: string }> {
  const db = freshDatabase();
  const backend = await openBackend(parseDatabase(db, { groupCommit: groupCommit() }), { ...DEFAULT_SETTINGS, ...settings });
  opened.push(backend);
  return { ...backend, db };
}

/** The creation plan, its ReserveInventory job due at `runAt` (the planner's own). */
export const withJob = (sku: string, qty: number, runAt = T0): Plan => planCreateOrder(sku, qty, runAt);

/** A plan that changes nothing but one timeline note. */
export const noop = (outcome = 'noop'): Plan => ({ outcome, movements: [], events: [], jobs: [] });
