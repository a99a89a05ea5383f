import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/domain/errors.js';
import { isLoopback, tokenMatches } from '../../src/http/auth.js';
import { startServer } from '../../src/http/server.js';
import { runCli, tempDb } from '../helpers.js';
import { rowCounts, testServer, type TestServer } from './support.js';

describe('bearer auth (WAREHOUSE_API_TOKEN)', () => {
  let server: TestServer;
  const auth = { authorization: 'Bearer s3cret-token' };
  beforeAll(async () => {
    server = await testServer({ token: 's3cret-token' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses writes without a token, or with a wrong one, and stores nothing', async () => {
    const before = rowCounts(server.db);
    const none = await server.call('POST', '/api/order', { json: { sku: 'A', qty: 1 } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="warehouse"');
    expect(none.body).toMatchObject({ type: 'about:blank', title: 'Unauthorized', status: 401 });
    const wrong = await server.call('PUT', '/api/inventory/A', { json: { onHand: 1 }, headers: { authorization: 'Bearer s3cret-tokeN' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('invalid_token');
    const basic = await server.call('POST', '/api/inventory/A/restock', { json: { qty: 1 }, headers: { authorization: 'Basic czNjcmV0LXRva2Vu' } });
    expect(basic.status).toBe(401);
    // auth is checked before the body: a bad body without a token is still 401
    expect((await server.call('POST', '/api/order', { raw: '{' })).status).toBe(401);
    expect(rowCounts(server.db)).toEqual(before);
  });

  it('accepts writes with the token, and reads without one', async () => {
    const put = await server.call('PUT', '/api/inventory/A', { json: { onHand: 2 }, headers: auth });
    expect(put.status).toBe(200);
    const created = await server.call('POST', '/api/order', { json: { sku: 'A', qty: 1 }, headers: auth });
    expect(created.status).toBe(201);
    expect((await server.call('GET', `/api/orders/${created.body.id}`)).status).toBe(200);
    expect((await server.call('GET', '/api/inventory/A')).status).toBe(200);
  });

  it('compares tokens exactly', () => {
    expect(tokenMatches('abc', 'Bearer abc')).toBe(true);
    expect(tokenMatches('abc', 'bearer abc')).toBe(true);
    expect(tokenMatches('abc', 'Bearer abcd')).toBe(false);
    expect(tokenMatches('abc', 'Bearer ')).toBe(false);
    expect(tokenMatches('abc', undefined)).toBe(false);
  });
});

describe('without a token', () => {
  it('accepts writes from loopback clients', async () => {
    const server = await testServer();
    expect((await server.call('PUT', '/api/inventory/A', { json: { onHand: 1 } })).status).toBe(200);
    await server.close();
  });

  it('refuses to listen on a non-loopback address, and says why', async () => {
    const err = await startServer({ database: tempDb(), host: '0.0.0.0', port: 0, logLevel: 'silent' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/refusing to listen on 0\.0\.0\.0 without WAREHOUSE_API_TOKEN/);
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && isLoopback('[::1]')).toBe(true);
    expect(isLoopback('0.0.0.0') || isLoopback('::') || isLoopback('192.168.1.2') || isLoopback('example.com')).toBe(false);
  });

  it('exits 2 from the CLI', async () => {
    const r = await runCli(['--db', tempDb(), 'serve', '--host', '0.0.0.0', '--port', '0'], { env: { WAREHOUSE_API_TOKEN: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without WAREHOUSE_API_TOKEN/);
  });

  it('listens on any address once a token is set', async () => {
    const server = await startServer({ database: tempDb(), host: '0.0.0.0', port: 0, logLevel: 'silent', token: 't' });
    expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    await server.close();
  });
});

describe('rate limit on order creation', () => {
  it('answers 429 with Retry-After past the limit, and leaves other routes alone', async () => {
    const server = await testServer({ rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await server.call('POST', '/api/order', { json: { sku: 'A', qty: 1 } })).status).toBe(201);
    const before = rowCounts(server.db).orders;
    const limited = await server.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ type: 'about:blank', title: 'Too Many Requests', status: 429 });
    expect(rowCounts(server.db).orders).toBe(before);
    expect((await server.call('GET', '/api/orders')).status).toBe(200);
    expect((await server.call('PUT', '/api/inventory/A', { json: { onHand: 1 } })).status).toBe(200);
    await server.close();
  });
});
