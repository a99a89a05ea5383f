/**
 * kill -9 of `warehouse serve` processes while clients are ordering over HTTP (docs/design.md §6: a crash
 * at any point loses no accepted order and duplicates nothing). Small here; `npm run soak` runs
 * the same harness with thousands of orders and dozens of kills.
 */
import { describe, expect, it } from 'vitest';
import { tempDb } from '../helpers.js';
import { serveCrashRun, verifyServeCrash } from './serve-crash-harness.js';

describe('serve and work processes killed with SIGKILL while orders arrive over HTTP', () => {
  it('leave every order that got a 201 stored and final, and nothing settled twice', async () => {
    const db = tempDb();
    const stats = await serveCrashRun({ db, orders: 120, kills: 6, servers: 2, workers: 1, clients: 4, seed: 17 });
    const verdict = verifyServeCrash(db, stats);
    expect(verdict.problems).toEqual([]);
    // the run really crashed things mid-flight and still accepted most orders
    expect(stats.kills['mid-request'] + stats.kills['after-201'] + stats.kills.worker).toBe(6);
    expect(stats.kills['mid-request']).toBeGreaterThan(0);
    expect(verdict.created).toBeGreaterThan(60);
    // 20 attempts outlast every transient error; the only failure the per-process mock supplier
    // can cause is three checks in three processes, each answering `delayed` (see the harness)
    expect(Object.keys(verdict.failed).filter((reason) => reason !== 'supplier_delayed')).toEqual([]);
    // and the verdict can fail: a 201 whose order is missing, or one key with two orders, is caught
    const forged = { key: 'forged', created: [1, 1_000_000], statuses: [201, 201], noResponse: 0 };
    expect(verifyServeCrash(db, { ...stats, records: [...stats.records, forged] }).problems).toEqual([
      'order 1000000 got a 201 but is not in the database',
      'Idempotency-Key forged answered 201 with orders 1, 1000000',
    ]);
  }, 120_000);
});
