/**
 * Issue 18, defect 2 (PostgreSQL): another session holds `LOCK TABLE` on the in-process mock's
 * tables (`mock_*`, in the engine's own schema) while orders need the supplier. Before, all ended
 * `failed: supplier_unavailable` (the supplier client's timeout fired first) while `/healthz` said
 * 200. Now the mock's state is the engine's database: its trouble defers the jobs without spending
 * an attempt, `/healthz` says 503 with the reason while it lasts, and the orders are reserved once
 * the lock goes. Real PostgreSQL sessions, a real Fastify server on port 0.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { poolConfig } from '../../src/adapters/postgres/connection.js';
import { startServer } from '../../src/http/server.js';
import { tempPgUrl, tempSchema, testWarehouse } from '../helpers.js';
import { PG_TEST_URL } from './support.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MOCK_TABLES = 'mock_meta, mock_scripts, mock_order_scripts, mock_conversations, mock_calls';
/** longer than the whole retry budget of a supplier failure (3 attempts of 1 s timeouts, 50–200 ms apart) */
const LOCK_MS = 8_000;

interface OrderJson {
  id: number;
  status: string;
  failureReason: string | null;
  events: Array<{ type: string; data: Record<string, unknown> }>;
}

describe("a lock on the in-process mock's tables (PostgreSQL)", () => {
  it('defers the orders that need the supplier (no attempt spent, /healthz 503 while it lasts), then reserves them', { timeout: 90_000 }, async () => {
    const schema = tempSchema();
    const w = await testWarehouse({
      db: tempPgUrl(schema),
      clock: 'real',
      settings: { checkDelayMs: 200, supplierTimeoutMs: 1_000, backoffBaseMs: 50, backoffCapMs: 200, jobAttempts: 3 },
    });
    cleanups.push(() => w.close());
    const server = await startServer({ warehouse: w, port: 0, logLevel: 'silent' });
    cleanups.push(() => server.close());
    const api = server.url;

    const holder = new pg.Client(poolConfig({ url: PG_TEST_URL, schema }));
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${MOCK_TABLES}`);
    const lockedAt = performance.now();

    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${api}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'S', qty: 1 + i }),
      });
      expect(r.status).toBe(201);
      ids.push(((await r.json()) as { id: number }).id);
    }
    // /healthz says so while the lock lasts
    let health = await fetch(`${api}/healthz`);
    while (health.status === 200 && performance.now() - lockedAt < LOCK_MS - 1_000) {
      await new Promise((r) => setTimeout(r, 100));
      health = await fetch(`${api}/healthz`);
    }
    expect(health.status).toBe(503);
    expect(((await health.json()) as { detail: string }).detail).toMatch(
      /^database busy: the mock supplier's state \(its mock_\* tables in the engine's database\)/,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, LOCK_MS - (performance.now() - lockedAt))));
    // none failed while the lock lasted: the supplier was never asked
    for (const id of ids) {
      const o = (await (await fetch(`${api}/api/orders/${id}`)).json()) as OrderJson;
      expect(o.status).toBe('pending');
    }
    await holder.query('COMMIT');

    const final: OrderJson[] = [];
    for (const id of ids) {
      let o = (await (await fetch(`${api}/api/orders/${id}`)).json()) as OrderJson;
      for (let i = 0; i < 300 && !['reserved', 'failed'].includes(o.status); i++) {
        await new Promise((r) => setTimeout(r, 100));
        o = (await (await fetch(`${api}/api/orders/${id}`)).json()) as OrderJson;
      }
      final.push(o);
    }
    expect(final.map((o) => [o.status, o.failureReason])).toEqual([
      ['reserved', null],
      ['reserved', null],
      ['reserved', null],
    ]);
    for (const o of final) {
      const types = o.events.map((e) => e.type);
      expect(types).toContain('JobDeferred');
      expect(types).not.toContain('SupplierCallFailed');
      expect(o.events.find((e) => e.type === 'JobDeferred')!.data).toMatchObject({ owner: 'database', attempt: 1 });
    }
    expect(await w.jobs.failed()).toEqual([]);
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
    expect(await w.store.audit()).toEqual([]);
  });
});
