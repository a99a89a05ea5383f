/**
 * Issue 10 item 5: a known path with a method it does not have is 405 with `Allow` (not 404),
 * OPTIONS lists a path's methods, and CORS is off unless `--cors-origin` names the one origin
 * whose pages may call the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/domain/errors.js';
import { startServer } from '../../src/http/server.js';
import { runCli, tempDb } from '../helpers.js';
import { rowCounts, testServer, type TestServer } from './support.js';

const FRONT_END = 'http://localhost:5173';
const preflight = (method: string, headers = 'authorization, content-type, idempotency-key') => ({
  headers: { origin: FRONT_END, 'access-control-request-method': method, 'access-control-request-headers': headers },
});

describe('405 and OPTIONS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ runner: false, token: 'x'.repeat(32) });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['DELETE', '/api/orders/1', 'GET, HEAD, OPTIONS'],
    ['PUT', '/api/orders', 'GET, HEAD, POST, OPTIONS'],
    ['GET', '/api/order', 'POST, OPTIONS'],
    ['PATCH', '/api/inventory/A', 'GET, HEAD, PUT, OPTIONS'],
    ['GET', '/api/inventory/A/restock', 'POST, OPTIONS'],
    ['POST', '/healthz', 'GET, HEAD, OPTIONS'],
  ])('answers %s %s with 405 and Allow: %s, before auth and without reading the body', async (method, path, allow) => {
    const before = rowCounts(server.db);
    const r = await server.call(method, path, { raw: '{not json' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe(allow);
    expect(r.body).toMatchObject({ type: 'about:blank', title: 'Method Not Allowed', status: 405 });
    expect(r.body.detail).toContain(allow);
    expect(rowCounts(server.db)).toEqual(before);
  });

  it('answers OPTIONS on a known path with 204 and its methods, and 404 on an unknown one', async () => {
    const r = await server.call('OPTIONS', '/api/inventory/A/movements');
    expect(r.status).toBe(204);
    expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(r.text).toBe('');
    expect((await server.call('OPTIONS', '/api/nowhere')).status).toBe(404);
  });

  it('sends no CORS headers when no origin is allowed', async () => {
    const read = await server.call('GET', '/healthz', { headers: { origin: FRONT_END } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await server.call('OPTIONS', '/api/orders', preflight('POST'));
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
  });
});

describe('CORS with --cors-origin', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ runner: false, token: 't'.repeat(32), corsOrigin: FRONT_END });
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers the allowed origin's preflight with the path's methods and the headers a front end sends", async () => {
    const r = await server.call('OPTIONS', '/api/orders', preflight('POST'));
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(FRONT_END);
    expect(r.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, OPTIONS');
    expect(r.headers.get('access-control-allow-headers')?.toLowerCase().split(', ')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']),
    );
    expect(Number(r.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  it('lets the allowed origin read answers and their headers, errors included', async () => {
    const created = await server.call('POST', '/api/orders', {
      json: { sku: 'A', qty: 1 },
      headers: { origin: FRONT_END, authorization: `Bearer ${'t'.repeat(32)}` },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(FRONT_END);
    expect(created.headers.get('access-control-expose-headers')).toMatch(/Location/);
    expect(created.headers.get('vary')).toMatch(/Origin/);
    const refused = await server.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 }, headers: { origin: FRONT_END } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(FRONT_END);
  });

  it('gives any other origin nothing a browser would accept', async () => {
    const other = { origin: 'https://evil.example' };
    expect((await server.call('GET', '/healthz', { headers: other })).headers.get('access-control-allow-origin')).toBeNull();
    const pre = await server.call('OPTIONS', '/api/orders', { headers: { ...other, 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('refuses a --cors-origin that is not one origin', async () => {
    for (const bad of ['*', 'localhost:5173', 'http://localhost:5173/', 'http://a.example/app', 'ftp://a.example']) {
      const err = await startServer({ port: 0, database: tempDb(), logLevel: 'silent', corsOrigin: bad }).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(/--cors-origin must be one origin/);
    }
    const r = await runCli(['--db', tempDb(), 'serve', '--port', '0', '--cors-origin', '*']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--cors-origin must be one origin, scheme:\/\/host\[:port\]/);
  });
});
