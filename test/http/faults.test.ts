import { describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/domain/errors.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { testWarehouse } from '../helpers.js';
import { testServer } from './support.js';

/** whether a new request could claim the key now (it claims it) */
const keyIsFree = async (w: Warehouse, key: string): Promise<boolean> =>
  (await w.idempotency.begin(key, 'probe', w.clock.now(), { ttlMs: 60_000, leaseMs: 60_000 })).kind === 'new';

/** An engine whose order creation fails the way `fail` says. */
async function failingWarehouse(fail: () => never): Promise<Warehouse> {
  const w = await testWarehouse({ clock: 'real' });
  return { ...w, orders: { ...w.orders, create: async () => fail() } };
}

describe('server faults', () => {
  it('answers a real fault with 500, the request id and no detail, and logs it with its stack', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const w = await failingWarehouse(() => {
      throw new Error('boom: secret internals');
    });
    const server = await testServer({
      warehouse: w,
      runner: false,
      logLevel: 'info',
      logDestination: { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) },
    });
    const r = await server.call('POST', '/api/order', { json: { sku: 'A', qty: 1 }, headers: { 'x-request-id': 'fault-1', 'idempotency-key': 'fault-key' } });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'internal error (request fault-1); the server log has the details',
    });
    expect(r.text).not.toContain('boom');
    const logged = logs.find((l) => l.reqId === 'fault-1' && l.level === 50) as { err: { message: string; stack: string } } | undefined;
    expect(logged?.err.message).toBe('boom: secret internals');
    expect(logged?.err.stack).toContain('faults.test.ts');
    // the failed request released its Idempotency-Key: the key is free for a retry
    expect(await keyIsFree(w, 'fault-key')).toBe(true);
    await server.close();
    await w.close();
  });

  it('answers 503 with Retry-After when the database is locked past its timeout', async () => {
    const w = await failingWarehouse(() => {
      throw new DatabaseError('database test.db is locked by another process (waited 5000 ms); try again when it is free');
    });
    const server = await testServer({ warehouse: w, runner: false });
    const r = await server.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 } });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.body.detail).toBe('the database is busy or unavailable; try again shortly');
    await server.close();
    await w.close();
  });

  it.each([
    ['busy', 503, '1'],
    ['readonly', 503, '1'],
    ['corrupt', 503, null],
    ['full', 507, null],
  ] as const)("answers the database's %s trouble with %i, and Retry-After %s by the fault's kind", async (fault, status, retryAfter) => {
    const w = await failingWarehouse(() => {
      throw new DatabaseError(`test.db: ${fault}`, 'test.db', { fault });
    });
    const server = await testServer({ warehouse: w, runner: false });
    const r = await server.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 } });
    expect(r.status).toBe(status);
    expect(r.headers.get('retry-after')).toBe(retryAfter);
    await server.close();
    await w.close();
  });

  it('reports an unhealthy database on /healthz with 503', async () => {
    const server = await testServer({ runner: false });
    await server.warehouse.close();
    const r = await server.call('GET', '/healthz');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: 503, detail: expect.stringMatching(/^database unavailable: /) });
    await server.close();
  });
});
