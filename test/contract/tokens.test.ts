/**
 * Named API tokens with scopes (docs/security.md), end to end on each database: the CLI makes,
 * lists and revokes them, a running server enforces them. SQLite in the `all` project,
 * PostgreSQL (a schema of its own) in the `postgres` project.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, runCli } from '../helpers.js';
import { testServer, type TestServer } from '../http/support.js';

const ALL = 'all-scopes-0123456789abcdefghijklmnop';

async function makeToken(db: string, name: string, scope: string): Promise<string> {
  const r = await runCli(['--db', db, 'token', 'create', '--name', name, '--scope', scope]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').at(-1)!;
}

describe('named tokens with scopes', () => {
  const db = freshDatabase();
  let server: TestServer;
  let stock: string;
  let orders: string;
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  beforeAll(async () => {
    stock = await makeToken(db, 'stock-clerk', 'stock:write,read');
    orders = await makeToken(db, 'shop', 'orders:write');
    server = await testServer({ db, runner: false, token: ALL });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('prints a token once (32 random bytes, base64url) and keeps only its hash', async () => {
    expect(stock).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const r = await runCli(['--db', db, '--json', 'token', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(stock);
    const listed = JSON.parse(r.stdout) as Array<{ name: string; scopes: string[]; revokedAt: string | null }>;
    expect(listed.map((t) => [t.name, t.scopes, t.revokedAt])).toEqual([
      ['stock-clerk', ['read', 'stock:write'], null],
      ['shop', ['orders:write'], null],
    ]);
    const json = await runCli(['--db', db, '--json', 'token', 'create', '--name', 'teacher', '--scope', 'ops:write']);
    expect(JSON.parse(json.stdout)).toEqual({ name: 'teacher', scopes: ['ops:write'], token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
  });

  it('refuses bad input with exit 2, naming what is valid, and writes nothing', async () => {
    const before = (await runCli(['--db', db, '--json', 'token', 'list'])).stdout;
    const scope = await runCli(['--db', db, 'token', 'create', '--name', 'x', '--scope', 'orders:delete']);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(/unknown scope "orders:delete": the scopes are read, orders:write, stock:write, ops:write/);
    const taken = await runCli(['--db', db, 'token', 'create', '--name', 'shop', '--scope', 'read']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/a token named "shop" already exists \(names in use: .*shop/);
    const missing = await runCli(['--db', db, 'token', 'revoke', 'nobody']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no token is named "nobody"; live tokens: .*stock-clerk/);
    expect((await runCli(['--db', db, '--json', 'token', 'list'])).stdout).toBe(before);
  });

  it('answers 401 to an unknown token and 403 naming the missing scope to a token without it', async () => {
    const unknown = await server.call('PUT', '/api/inventory/A', { json: { onHand: 5 }, headers: bearer('not-a-token') });
    expect(unknown.status).toBe(401);
    const wrongScope = await server.call('PUT', '/api/inventory/A', { json: { onHand: 5 }, headers: bearer(orders) });
    expect(wrongScope.status).toBe(403);
    expect(wrongScope.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(wrongScope.body).toMatchObject({ status: 403, missingScope: 'stock:write', detail: expect.stringMatching(/"shop" lacks the scope stock:write/) });
    const clock = await server.call('POST', '/api/clock', { json: { action: 'pause' }, headers: bearer(stock) });
    expect(clock.status).toBe(403);
    expect(clock.body).toMatchObject({ missingScope: 'ops:write' });
  });

  it('lets each token do what its scopes allow, and WAREHOUSE_API_TOKEN everything', async () => {
    expect((await server.call('PUT', '/api/inventory/A', { json: { onHand: 5 }, headers: bearer(stock) })).status).toBe(200);
    expect((await server.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 }, headers: bearer(orders) })).status).toBe(201);
    expect((await server.call('POST', '/api/inventory/A/restock', { json: { qty: 1 }, headers: bearer(ALL) })).status).toBe(200);
    expect((await server.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 }, headers: bearer(ALL) })).status).toBe(201);
    // reads stay open on loopback
    expect((await server.call('GET', '/api/inventory/A')).status).toBe(200);
  });

  it('stops accepting a revoked token on the running server within a second', async () => {
    const r = await runCli(['--db', db, 'token', 'revoke', 'shop']);
    expect(r.code).toBe(0);
    const revokedAt = performance.now();
    let status = 0;
    while (performance.now() - revokedAt < 1_000) {
      status = (await server.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 }, headers: bearer(orders) })).status;
      if (status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(401);
    const listed = JSON.parse((await runCli(['--db', db, '--json', 'token', 'list'])).stdout) as Array<{
      name: string;
      revokedAt: string | null;
      lastUsedAt: string | null;
    }>;
    expect(listed.find((t) => t.name === 'shop')).toMatchObject({ revokedAt: expect.any(String), lastUsedAt: expect.any(String) });
  });
});

describe('once a named token exists', () => {
  it('every write needs one, even on loopback without WAREHOUSE_API_TOKEN', async () => {
    const db = freshDatabase();
    const open = await testServer({ db, runner: false });
    expect((await open.call('PUT', '/api/inventory/A', { json: { onHand: 1 } })).status).toBe(200);
    await makeToken(db, 'clerk', 'stock:write');
    await open.close();
    const server = await testServer({ db, runner: false });
    const none = await server.call('PUT', '/api/inventory/A', { json: { onHand: 1 } });
    expect(none.status).toBe(401);
    expect((await server.call('GET', '/api/overview')).body).toMatchObject({ auth: true });
    await server.close();
    // revoking the last token does not open the writes again
    expect((await runCli(['--db', db, 'token', 'revoke', 'clerk'])).code).toBe(0);
    const after = await testServer({ db, runner: false });
    expect((await after.call('PUT', '/api/inventory/A', { json: { onHand: 1 } })).status).toBe(401);
    await after.close();
  });
});

describe('beyond loopback', () => {
  it('reads need the read scope unless --public-reads', async () => {
    const db = freshDatabase();
    const reader = await makeToken(db, 'reader', 'read');
    const writer = await makeToken(db, 'writer', 'orders:write');
    const server = await testServer({ db, runner: false, host: '0.0.0.0' });
    const port = new URL(server.url).port;
    const get = (headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${port}/api/inventory`, { headers });
    expect((await get()).status).toBe(401);
    const noRead = await get({ authorization: `Bearer ${writer}` });
    expect(noRead.status).toBe(403);
    expect(await noRead.json()).toMatchObject({ missingScope: 'read' });
    expect((await get({ authorization: `Bearer ${reader}` })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await server.close();
    const open = await testServer({ db, runner: false, host: '0.0.0.0', publicReads: true });
    expect((await fetch(`http://127.0.0.1:${new URL(open.url).port}/api/inventory`)).status).toBe(200);
    await open.close();
  });
});
