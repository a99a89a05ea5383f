/**
 * The dashboard's own client of the HTTP API (public/dashboard/api.js), run in Node against a real
 * server: the paged lists (orders, a SKU's ledger) are read the way the API pages them, across
 * page boundaries, and an answer of another shape fails with a message instead of leaving a panel
 * blank. (The ledger's pagination, issue 10, once left the page filtering a `{movements,
 * nextCursor}` object as if it were an array: the order's detail never appeared.)
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPacedClock } from '../../src/adapters/clock/paced.js';
import { checkInvariants, ROOT } from '../helpers.js';
import { recordTransitions, testServer, type TestServer } from '../http/support.js';

interface Movement {
  id: number;
  sku: string;
  type: string;
  qty: number;
  orderId: number | null;
}
interface ApiModule {
  allOrders(status?: string, max?: number, pageSize?: number): Promise<Array<{ id: number; status: string }>>;
  ledgerTail(sku: string, n?: number, pageSize?: number): Promise<Movement[]>;
  orderMovements(sku: string, orderId: number, expected: number, pageSize?: number): Promise<Movement[]>;
}

// a non-literal specifier: the page's plain JS module, loaded as the browser loads it
const API_JS = pathToFileURL(join(ROOT, 'public', 'dashboard', 'api.js')).href;

describe("the dashboard's API client", () => {
  let server: TestServer;
  let api: ApiModule;
  /** the paths the client asked for, in order */
  const asked: string[] = [];
  let answer: ((path: string) => unknown) | null = null;

  beforeAll(async () => {
    const clock = createPacedClock(Date.UTC(2026, 0, 1, 9));
    server = await testServer({ clock });
    const realFetch = globalThis.fetch;
    // the page's fetch: paths relative to the server it came from (the engine's own calls to its
    // supplier mock, absolute URLs, go through untouched)
    vi.stubGlobal('fetch', async (path: string, init?: RequestInit) => {
      if (!path.startsWith('/')) return realFetch(path, init);
      asked.push(path);
      const fake = answer?.(path);
      if (fake !== undefined) return new Response(JSON.stringify(fake), { headers: { 'content-type': 'application/json' } });
      return realFetch(`${server.url}${path}`, init);
    });
    vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => undefined, removeItem: () => undefined });
    api = (await import(API_JS)) as ApiModule;

    // WIDGET: 1 adjustment, 3 restocks, order #1's reservation from stock, 2 restocks after it
    const w = server.warehouse;
    const rec = recordTransitions(server);
    await w.inventory.set('WIDGET', 5);
    for (let i = 0; i < 3; i++) await w.inventory.add('WIDGET', 1);
    const fromStock = await w.orders.create({ sku: 'WIDGET', qty: 2 });
    await rec.reached(fromStock.id, 'reserved');
    for (let i = 0; i < 2; i++) await w.inventory.add('WIDGET', 1);
    // GADGET: 3 adjustments (on-hand 1), then order #2 for 2 is delivered by the supplier: a restock and a reservation
    for (const n of [1, 0, 1]) await w.inventory.set('GADGET', n);
    const delivered = await w.orders.create({ sku: 'GADGET', qty: 2 });
    await rec.reached(delivered.id, 'awaiting_restock');
    await clock.controls.settled();
    await clock.controls.step();
    await rec.reached(delivered.id, 'reserved');
    rec.stop();
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await server.close();
    expect(checkInvariants(server.db)).toEqual([]);
  });

  const ledger = async (sku: string): Promise<Movement[]> => (await server.call('GET', `/api/inventory/${sku}/movements?limit=1000`)).body.movements;

  it("finds an order's movements across pages, and stops reading once it has them", async () => {
    asked.length = 0;
    const widget = await api.orderMovements('WIDGET', 1, 1, 2);
    expect(widget.map((m) => [m.type, m.qty, m.orderId])).toEqual([['reservation', -2, 1]]);
    // pages of 2: [adjustment, restock] [restock, restock] [reservation, restock]: the fourth page is never read
    expect(asked).toEqual([
      '/api/inventory/WIDGET/movements?limit=2',
      expect.stringMatching(/movements\?limit=2&cursor=\d+$/),
      expect.stringMatching(/cursor=/),
    ]);

    // the supplier's delivery: the restock and the reservation straddle a page boundary
    const gadget = await api.orderMovements('GADGET', 2, 2, 2);
    expect(gadget.map((m) => [m.type, m.qty, m.orderId])).toEqual([
      ['restock', 2, 2],
      ['reservation', -2, 2],
    ]);
  });

  it("shows the newest movements of a SKU's ledger, read to its last page", async () => {
    const whole = await ledger('WIDGET');
    expect(whole).toHaveLength(7);
    for (const pageSize of [1, 2, 3, 1000]) {
      expect(await api.ledgerTail('WIDGET', 3, pageSize)).toEqual(whole.slice(-3));
    }
    expect(await api.ledgerTail('GADGET', 50)).toEqual(await ledger('GADGET'));
  });

  it('reads the newest orders first, page by page, filtered by status', async () => {
    expect((await api.allOrders(undefined, 5000, 1)).map((o) => o.id)).toEqual([2, 1]);
    expect(await api.allOrders('reserved', 5000, 1)).toHaveLength(2);
    expect(await api.allOrders('failed')).toEqual([]);
    expect((await api.allOrders(undefined, 1, 1)).map((o) => o.id)).toEqual([2]);
  });

  it('fails with a message when a list comes back in another shape', async () => {
    answer = (path) => (path.includes('/movements') ? [] : undefined); // the ledger as it was before it was paged
    try {
      await expect(api.ledgerTail('WIDGET')).rejects.toThrow('GET /api/inventory/WIDGET/movements answered without a list of movements');
      await expect(api.orderMovements('WIDGET', 1, 1)).rejects.toThrow(/without a list of movements/);
    } finally {
      answer = null;
    }
  });
});
