import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/domain/errors.js';
import { isLoopback } from '../../src/serving/bind.js';
import { tokenMatches } from '../../src/serving/tokens.js';
import { startServer } from '../../src/http/server.js';
import type { VirtualClockControl } from '../../src/ports/clock.js';
import { runCli, tempDb } from '../helpers.js';
import { rowCounts, testServer, type TestServer } from './support.js';

const STRONG = '0123456789abcdef'.repeat(2);

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

  it('listens on any address once a strong token is set', async () => {
    const server = await startServer({ database: tempDb(), host: '0.0.0.0', port: 0, logLevel: 'silent', token: STRONG });
    expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    await server.close();
  });
});

describe('a weak token', () => {
  it.each([
    ['one character', 't'],
    ['31 characters', 'x'.repeat(31)],
  ])('with %s is refused beyond loopback, with how to make a strong one', async (_name, token) => {
    const err = await startServer({ database: tempDb(), host: '0.0.0.0', port: 0, logLevel: 'silent', token }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      new RegExp(`weak WAREHOUSE_API_TOKEN \\(${token.length} characters\\): beyond loopback it must have at least 32; make one with \`openssl rand -hex 32\``),
    );
  });

  it('with 40 identical characters is refused beyond loopback: length is not strength', async () => {
    const err = await startServer({ database: tempDb(), host: '0.0.0.0', port: 0, logLevel: 'silent', token: 'a'.repeat(40) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /weak WAREHOUSE_API_TOKEN \(only 1 distinct characters\): beyond loopback it must have at least 10 .*openssl rand -hex 32/,
    );
  });

  it.each([
    ['a space', ' '],
    ['blanks', '   '],
    ['a space inside', 'a'.repeat(20) + ' ' + 'b'.repeat(20)],
  ])('made of %s is refused everywhere', async (_name, token) => {
    const err = await startServer({ database: tempDb(), port: 0, logLevel: 'silent', token }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/must not be blank or hold spaces/);
  });

  it('is still fine on loopback', async () => {
    const server = await startServer({ database: tempDb(), port: 0, logLevel: 'silent', token: 'short' });
    await server.close();
  });

  it('makes `serve` exit 2 beyond loopback, naming the fix', async () => {
    const r = await runCli(['--db', tempDb(), 'serve', '--host', '0.0.0.0', '--port', '0'], { env: { WAREHOUSE_API_TOKEN: 'x' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/weak WAREHOUSE_API_TOKEN \(1 characters\).*openssl rand -hex 32/);
  });
});

describe('wrong tokens, again and again', () => {
  it('lock the client out for the rest of the minute after 10: 429 with Retry-After, even with the right token', async () => {
    const server = await testServer({ token: STRONG, clock: 'virtual', runner: false });
    const clock = server.warehouse.clock as VirtualClockControl;
    const write = (token: string) => server.call('PUT', '/api/inventory/A', { json: { onHand: 1 }, headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 10; i++) expect((await write(`guess-${i}`)).status).toBe(401);
    const before = rowCounts(server.db);
    for (const token of ['guess-10', STRONG]) {
      const r = await write(token);
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBe(60);
      expect(r.body).toMatchObject({ type: 'about:blank', status: 429, detail: expect.stringMatching(/wrong or missing bearer token/) });
    }
    expect(rowCounts(server.db)).toEqual(before);
    // reads are not locked, and the lock ends with the minute
    expect((await server.call('GET', '/healthz')).status).toBe(200);
    clock.advanceTo(clock.now() + 30_000);
    expect(Number((await write(STRONG)).headers.get('retry-after'))).toBe(30);
    clock.advanceTo(clock.now() + 30_000);
    expect((await write(STRONG)).status).toBe(200);
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
