/**
 * DNS rebinding: a page on another site rebinds its name to 127.0.0.1 and the victim's browser
 * calls a loopback server with that name in Host. Both servers (`serve`, `supplier serve`) answer
 * only their own names there (421 otherwise), and hold the same token rules beyond loopback.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/domain/errors.js';
import { startSupplierService } from '../../src/supplier/service.js';
import { tempDb } from '../helpers.js';
import { testService } from '../supplier/support.js';
import { callWithHost } from './host-check.js';
import { rowCounts, testServer } from './support.js';

describe('warehouse serve on loopback', () => {
  it('answers 421 problem+json to a Host that is not its own, and changes nothing', async () => {
    const server = await testServer({ runner: false });
    const port = new URL(server.url).port;
    const before = rowCounts(server.db);
    const r = await callWithHost(server.url, '/api/inventory/A', `attacker.example:${port}`, { method: 'PUT', body: { onHand: 5 } });
    expect(r.status).toBe(421);
    expect(r.type).toMatch(/application\/problem\+json/);
    expect(r.json).toMatchObject({ status: 421, detail: expect.stringMatching(/--allowed-host/) });
    expect((await callWithHost(server.url, '/api/clock', 'attacker.example', { method: 'POST', body: { action: 'pause' } })).status).toBe(421);
    expect(rowCounts(server.db)).toEqual(before);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST'])
      expect((await callWithHost(server.url, '/api/inventory/A', host, { method: 'PUT', body: { onHand: 5 } })).status).toBe(200);
    await server.close();
  });

  it('answers the names given with --allowed-host', async () => {
    const server = await testServer({ runner: false, allowedHosts: ['dev.example.test'] });
    expect((await callWithHost(server.url, '/healthz', 'dev.example.test:8080')).status).toBe(200);
    expect((await callWithHost(server.url, '/healthz', 'other.example.test')).status).toBe(421);
    await server.close();
  });
});

describe('warehouse supplier serve', () => {
  it('answers 421 on loopback to a Host that is not its own', async () => {
    const service = await testService();
    const r = await callWithHost(service.url, '/mock/scripts/A', 'attacker.example', { method: 'PUT', body: { reserve: ['reject'] } });
    expect(r.status).toBe(421);
    expect(r.json).toMatchObject({ status: 421 });
    expect(await service.state.listScripts()).toEqual([]);
    expect((await callWithHost(service.url, '/mock/scripts', `localhost:${new URL(service.url).port}`)).status).toBe(200);
  });

  it.each([
    ['no token', undefined, /without WAREHOUSE_SUPPLIER_TOKEN/],
    ['a 1-character token', 't', /weak WAREHOUSE_SUPPLIER_TOKEN \(1 characters\)/],
    ['40 identical characters', 'a'.repeat(40), /weak WAREHOUSE_SUPPLIER_TOKEN \(only 1 distinct characters\)/],
  ])('refuses to listen beyond loopback with %s, naming the command that makes a good one', async (_name, token, message) => {
    const err = await startSupplierService({ state: { file: tempDb() }, port: 0, host: '0.0.0.0', token }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/openssl rand -hex 32/);
  });

  it('locks a client out for the rest of the minute after 10 wrong tokens: 429 with Retry-After, even with the right one', async () => {
    const token = '0123456789abcdef'.repeat(2);
    const service = await testService({ token });
    const call = (t: string) => fetch(`${service.url}/mock/scripts`, { headers: { authorization: `Bearer ${t}` } });
    for (let i = 0; i < 10; i++) expect((await call(`guess-${i}`)).status).toBe(401);
    for (const t of ['guess-10', token]) {
      const r = await call(t);
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });
});
