/**
 * `GET /api/check` on PostgreSQL is answered from the last audit while the server's snapshot has
 * not moved (src/adapters/postgres/audit.ts says why that key is sound): a commit by any session,
 * including one that was already in progress when the last audit read, makes the next check run.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { poolConfig } from '../../src/adapters/postgres/connection.js';
import { tempPgUrl, tempSchema, testWarehouse } from '../helpers.js';
import { PG_TEST_URL } from './support.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function engine() {
  const schema = tempSchema();
  const w = await testWarehouse({ db: tempPgUrl(schema), noJobs: true });
  cleanups.push(() => w.close());
  const other = new pg.Client(poolConfig({ url: PG_TEST_URL, schema }));
  await other.connect();
  cleanups.push(() => other.end());
  const audits = async () => {
    const info = (await w.store.info()) as { auditsRun: number; auditsCached: number };
    return { run: info.auditsRun, cached: info.auditsCached };
  };
  return { w, other, audits };
}

/** an order without its OrderCreated event: breaks `order-has-creation-event` */
const BREAK = `INSERT INTO orders (sku, qty, status, created_at, updated_at) VALUES ('B', 1, 'pending', 0, 0)`;

describe('the check on PostgreSQL', () => {
  it('runs again after another session commits, and sees what it committed', async () => {
    const { w, other, audits } = await engine();
    await w.inventory.set('A', 5);
    expect(await w.store.audit()).toEqual([]);
    await other.query(BREAK);
    expect((await w.store.audit()).map((v) => v.rule)).toContain('order-has-creation-event');
    expect((await audits()).run).toBe(2);
  });

  it('runs again when a transaction in progress at the last audit commits after it', async () => {
    const { w, other } = await engine();
    await other.query('BEGIN');
    await other.query(BREAK);
    expect(await w.store.audit()).toEqual([]);
    await other.query('COMMIT');
    expect((await w.store.audit()).map((v) => v.rule)).toContain('order-has-creation-event');
  });

  it('is answered from the last audit while nothing commits anywhere on the server', async () => {
    const { w, audits } = await engine();
    await w.inventory.set('A', 5);
    // the key is the whole server's snapshot: other tests' commits on the shared server move it,
    // so a pair of checks is tried a few times until one falls between them
    for (let i = 0; i < 20 && (await audits()).cached === 0; i++) {
      expect(await w.store.audit()).toEqual([]);
      expect(await w.store.audit()).toEqual([]);
    }
    expect((await audits()).cached).toBeGreaterThan(0);
  });
});
