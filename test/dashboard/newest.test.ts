/**
 * The dashboard on a large database: it loads the newest orders, not the oldest (6,000 orders:
 * #6000 is first), through GET /api/orders?order=newest, whose cursor pages on in that direction.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../helpers.js';
import { testServer, type TestServer } from '../http/support.js';

const API_JS = pathToFileURL(join(ROOT, 'public', 'dashboard', 'api.js')).href;
const ORDERS = 6_000;

describe('orders newest first', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ runner: false });
    // rows as the engine inserts them (pending), written straight to the file: 6,000 through the API would take a while
    const db = new Database(server.db);
    const insert = db.prepare(`INSERT INTO orders (sku, qty, status, created_at, updated_at) VALUES ('A', 1, 'pending', ?, ?)`);
    db.transaction(() => {
      for (let i = 0; i < ORDERS; i++) insert.run(i, i);
    })();
    db.close();
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await server.close();
  });

  it('pages from the newest order down, the cursor going on in that direction', async () => {
    const first = await server.call('GET', '/api/orders?order=newest&limit=2');
    expect(first.body.orders.map((o: { id: number }) => o.id)).toEqual([6000, 5999]);
    const next = await server.call('GET', `/api/orders?order=newest&limit=2&cursor=${first.body.nextCursor}`);
    expect(next.body.orders.map((o: { id: number }) => o.id)).toEqual([5998, 5997]);
    expect((await server.call('GET', '/api/orders?limit=1')).body.orders[0].id).toBe(1);
    expect((await server.call('GET', '/api/orders?order=sideways')).status).toBe(422);
  });

  it("gives the dashboard's list the newest 5,000, #6000 first, and the overview counts all 6,000", async () => {
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', (path: string, init?: RequestInit) => realFetch(path.startsWith('/') ? `${server.url}${path}` : path, init));
    vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => undefined, removeItem: () => undefined });
    const api = (await import(API_JS)) as { allOrders(status?: string, max?: number): Promise<Array<{ id: number }>> };
    const orders = await api.allOrders(undefined, 5000);
    expect(orders).toHaveLength(5000);
    expect(orders[0]!.id).toBe(ORDERS);
    expect(orders.at(-1)!.id).toBe(ORDERS - 4999);
    expect((await server.call('GET', '/api/overview')).body.orders.pending).toBe(ORDERS);
  });
});
