/**
 * Consumer side of the contract: every request the engine's HTTP client sends conforms to
 * contracts/supplier.openapi.json: from the client itself over the shapes of input it can get,
 * and from a whole engine running orders through a recording proxy in front of the service.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRealClock } from '../../src/adapters/clock/real.js';
import { createHttpSupplier } from '../../src/adapters/supplier/http.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { testWarehouse } from '../helpers.js';
import { loadContract, recordingFetch, type SeenRequest } from './contract.js';
import { testService } from './support.js';

const contract = loadContract();
const clock = createRealClock();

/** answers like a supplier that accepts everything */
const stub: typeof fetch = async (input) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const body = url.pathname === '/supplier/reserve' ? { accepted: true, ref: 'R-1' } : { status: 'ok' };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
};

describe("the client's requests", () => {
  it('conform for every shape of SKU, quantity, key and ref the engine can hand it', async () => {
    const rec = recordingFetch(stub);
    const c = createHttpSupplier({ baseUrl: 'http://supplier.test/', clock, timeoutMs: 1000, fetch: rec.fetch });
    for (const [sku, qty, id] of [
      ['A', 1, 1],
      ['WIDGET-1', 1_000_000, 42],
      ['X.Y_Z-9', 7, 123456789],
      ['9'.repeat(64), 3, 2],
    ] as const) {
      await c.reserve({ sku, qty, idempotencyKey: `order-${id}` });
    }
    // refs are the supplier's: the client must carry any of them in the path
    for (const ref of ['R.order-1.A', 'ref with spaces', 'a/b?c#d', 'ünïcödé', '%41', 'x'.repeat(200)]) await c.status(ref);
    expect(rec.seen).toHaveLength(10);
    const problems = rec.seen.flatMap(({ request }) => contract.checkRequest(request).map((p) => `${request.method} ${request.url}: ${p}`));
    expect(problems).toEqual([]);
    // and the ref arrives intact
    const paths = rec.seen
      .filter((s) => s.request.method === 'GET')
      .map((s) => decodeURIComponent(new URL(s.request.url).pathname.slice('/supplier/status/'.length)));
    expect(paths).toEqual(['R.order-1.A', 'ref with spaces', 'a/b?c#d', 'ünïcödé', '%41', 'x'.repeat(200)]);
  });

  it('carry the bearer token on both operations when one is configured, and none otherwise', async () => {
    const withToken = recordingFetch(stub);
    const c = createHttpSupplier({ baseUrl: 'http://supplier.test', clock, timeoutMs: 1000, fetch: withToken.fetch, token: 'tok-1' });
    await c.reserve({ sku: 'A', qty: 1, idempotencyKey: 'order-1' });
    await c.status('R-1');
    expect(withToken.seen.map((s) => s.request.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1']);
    const without = recordingFetch(stub);
    await createHttpSupplier({ baseUrl: 'http://supplier.test', clock, timeoutMs: 1000, fetch: without.fetch }).reserve({
      sku: 'A',
      qty: 1,
      idempotencyKey: 'order-1',
    });
    expect(without.seen[0]!.request.headers.authorization).toBeUndefined();
  });
});

/** A proxy that records each request as it went over the wire, then hands it to `target`. */
async function recordingProxy(target: string) {
  const seen: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? Buffer.concat(chunks).toString() : null;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      seen.push({ method: req.method!, url: `http://proxy${req.url}`, headers, body });
      const forward = Object.fromEntries(Object.entries(headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)));
      fetch(`${target}${req.url}`, { method: req.method, headers: forward, body: body ?? undefined, signal: AbortSignal.timeout(10_000) })
        .then(async (r) => res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' }).end(await r.text()))
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const engines: Warehouse[] = [];
afterEach(async () => {
  for (const w of engines.splice(0)) await w.close();
});

describe("an engine's requests, as sent over the wire", () => {
  it('all conform while orders go through every branch', async () => {
    const s = await testService({
      script: {
        OK: { status: ['delayed', 'ok'] },
        FLAKY: { reserve: ['error', 'malformed', 'accepted'], status: ['error', 'fail'] },
        NO: { reserve: 'rejected' },
      },
    });
    const proxy = await recordingProxy(s.url);
    try {
      const w = await testWarehouse({ supplierUrl: proxy.url, supplierToken: 'tok', settings: { backoffBaseMs: 10, backoffCapMs: 20 } });
      engines.push(w);
      for (const sku of ['OK', 'FLAKY', 'NO']) await w.orders.create({ sku, qty: 2 });
      await w.runner.runUntilIdle();
      const final = (await w.orders.list()).orders.map((o) => [o.sku, o.status]);
      expect(final).toEqual([
        ['OK', 'reserved'],
        ['FLAKY', 'failed'],
        ['NO', 'failed'],
      ]);
      // reserve ×5 (OK 1, FLAKY 3, NO 1) and status ×4 (OK 2, FLAKY 2)
      expect(proxy.seen.map((r) => r.method)).toEqual(expect.arrayContaining(['POST', 'GET']));
      expect(proxy.seen).toHaveLength(9);
      expect(proxy.seen.flatMap((r) => contract.checkRequest(r).map((p) => `${r.method} ${r.url}: ${p}`))).toEqual([]);
      expect(new Set(proxy.seen.map((r) => r.headers.authorization))).toEqual(new Set(['Bearer tok']));
    } finally {
      await proxy.close();
    }
  });
});
