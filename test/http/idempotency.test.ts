import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnection, type Connection } from '../../src/adapters/sqlite/connection.js';
import { createSqliteIdempotencyStore } from '../../src/adapters/sqlite/idempotency.js';
import { fingerprint, IDEMPOTENCY_TTL_MS } from '../../src/http/idempotency.js';
import { tempDb } from '../helpers.js';
import { rowCounts, testServer, type TestServer } from './support.js';

const countOrders = (file: string): number => rowCounts(file).orders!;

describe('Idempotency-Key on order creation', () => {
  let server: TestServer;
  beforeAll(async () => {
    // no runner: the row counts compared below are the requests' own, not a job's running meanwhile
    server = await testServer({ runner: false, rateLimitPerMinute: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('replays the first response (same status, body and Location) and creates one order', async () => {
    const headers = { 'idempotency-key': 'replay-1' };
    const first = await server.call('POST', '/api/order', { json: { sku: 'widget', qty: 2 }, headers });
    expect(first.status).toBe(201);
    const again = await server.call('POST', '/api/order', { json: { sku: 'widget', qty: 2 }, headers });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // the same order written differently (case, spaces, key order) is the same request
    const same = await server.call('POST', '/api/orders', { raw: '{ "qty": 2, "sku": " Widget " }', headers });
    expect(same.body).toEqual(first.body);
    expect(countOrders(server.db)).toBe(1);
  });

  it('refuses the same key with another body with 422, storing nothing', async () => {
    const headers = { 'idempotency-key': 'mismatch-1' };
    await server.call('POST', '/api/order', { json: { sku: 'WIDGET', qty: 1 }, headers });
    const before = rowCounts(server.db);
    const other = await server.call('POST', '/api/order', { json: { sku: 'WIDGET', qty: 3 }, headers });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ type: 'urn:warehouse:problem:idempotency-key-reused', status: 422, field: 'Idempotency-Key' });
    expect(rowCounts(server.db)).toEqual(before);
  });

  it('answers 409 with Retry-After while the first request with the key is in flight', async () => {
    // a request holding the key right now, as another process would between begin and complete
    const fp = fingerprint('create-order', { sku: 'WIDGET', qty: 5 });
    expect(await server.warehouse.idempotency.begin('busy-1', fp, server.warehouse.clock.now(), { ttlMs: IDEMPOTENCY_TTL_MS, leaseMs: 60_000 })).toEqual({
      kind: 'new',
    });
    const before = rowCounts(server.db);
    const r = await server.call('POST', '/api/order', { json: { sku: 'widget', qty: 5 }, headers: { 'idempotency-key': 'busy-1' } });
    expect(r.status).toBe(409);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.body).toMatchObject({ type: 'urn:warehouse:problem:idempotency-key-in-flight', status: 409 });
    expect(rowCounts(server.db)).toEqual(before);
  });

  it('stores the response in the same transaction that creates the order', async () => {
    const r = await server.call('POST', '/api/order', { json: { sku: 'ATOMIC', qty: 1 }, headers: { 'idempotency-key': 'atomic-1' } });
    expect(r.status).toBe(201);
    const db = new Database(server.db, { readonly: true });
    const row = db.prepare(`SELECT state, status, body, location FROM idempotency_keys WHERE key = 'atomic-1'`).get() as Record<string, unknown>;
    db.close();
    expect(row).toEqual({ state: 'completed', status: 201, body: JSON.stringify(r.body), location: r.headers.get('location') });
  });

  it('rolls the order back when its key was taken over before the order committed', async () => {
    const fp = fingerprint('create-order', { sku: 'LOST', qty: 1 });
    await server.warehouse.idempotency.begin('lost-1', fp, server.warehouse.clock.now(), { ttlMs: IDEMPOTENCY_TTL_MS, leaseMs: 60_000 });
    // another request took the key over (this one's claim expired meanwhile)
    const raw = new Database(server.db);
    raw.prepare(`UPDATE idempotency_keys SET fingerprint = 'someone-else' WHERE key = 'lost-1'`).run();
    raw.close();
    const before = rowCounts(server.db);
    await expect(
      server.warehouse.orders.create({ sku: 'LOST', qty: 1 }, { key: 'lost-1', fingerprint: fp, respond: () => ({ status: 201, body: '{}', location: null }) }),
    ).rejects.toThrow(/taken over/);
    expect(rowCounts(server.db)).toEqual(before);
  });

  it('creates exactly one order when ten requests race with one key', async () => {
    const before = countOrders(server.db);
    const headers = { 'idempotency-key': 'race-1' };
    const replies = await Promise.all(Array.from({ length: 10 }, () => server.call('POST', '/api/order', { json: { sku: 'RACE', qty: 1 }, headers })));
    const created = replies.filter((r) => r.status === 201);
    expect(replies.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    expect(countOrders(server.db)).toBe(before + 1);
  });

  it('still replays after a restart, from the database', async () => {
    const db = tempDb();
    const a = await testServer({ db });
    const first = await a.call('POST', '/api/order', { json: { sku: 'X', qty: 1 }, headers: { 'idempotency-key': 'restart-1' } });
    await a.close();
    const b = await testServer({ db });
    const again = await b.call('POST', '/api/order', { json: { sku: 'X', qty: 1 }, headers: { 'idempotency-key': 'restart-1' } });
    await b.close();
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(countOrders(db)).toBe(1);
  });
});

describe('Idempotency-Key on restock (every POST that writes)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ rateLimitPerMinute: 0, runner: false });
  });
  afterAll(async () => {
    await server.close();
  });
  const restock = (sku: string, qty: number, key?: string) =>
    server.call('POST', `/api/inventory/${sku}/restock`, { json: { qty }, headers: key === undefined ? {} : { 'idempotency-key': key } });

  it('adds the stock once when a restock is retried with its key, and replays the first answer', async () => {
    const first = await restock('BOLT', 5, 'restock-1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ sku: 'BOLT', onHand: 5 });
    const again = await restock('bolt', 5, 'restock-1');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await server.call('GET', '/api/inventory/BOLT')).body.onHand).toBe(5);
    expect(rowCounts(server.db).movements).toBe(1);
    // without a key, a restock is a new restock
    expect((await restock('BOLT', 5)).body.onHand).toBe(10);
  });

  it('refuses the key with another quantity, another SKU or another operation, storing nothing', async () => {
    await restock('NUT', 2, 'restock-2');
    const before = rowCounts(server.db);
    for (const r of [
      await restock('NUT', 3, 'restock-2'),
      await restock('BOLT', 2, 'restock-2'),
      await server.call('POST', '/api/order', { json: { sku: 'NUT', qty: 2 }, headers: { 'idempotency-key': 'restock-2' } }),
    ]) {
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ type: 'urn:warehouse:problem:idempotency-key-reused', field: 'Idempotency-Key' });
    }
    expect(rowCounts(server.db)).toEqual(before);
  });

  it('stores the response in the same transaction as the restock', async () => {
    const r = await restock('WASHER', 7, 'restock-3');
    const db = new Database(server.db, { readonly: true });
    const row = db.prepare(`SELECT state, status, body, location FROM idempotency_keys WHERE key = 'restock-3'`).get() as Record<string, unknown>;
    db.close();
    expect(row).toEqual({ state: 'completed', status: 200, body: JSON.stringify(r.body), location: null });
  });

  it('rolls the restock back when its key was taken over before it committed', async () => {
    const w = server.warehouse;
    const fp = fingerprint('restock', { sku: 'LOST', qty: 1 });
    await w.idempotency.begin('restock-lost', fp, w.clock.now(), { ttlMs: IDEMPOTENCY_TTL_MS, leaseMs: 60_000 });
    const raw = new Database(server.db);
    raw.prepare(`UPDATE idempotency_keys SET fingerprint = 'someone-else' WHERE key = 'restock-lost'`).run();
    raw.close();
    const before = rowCounts(server.db);
    await expect(
      w.inventory.add('LOST', 1, { key: 'restock-lost', fingerprint: fp, respond: () => ({ status: 200, body: '{}', location: null }) }),
    ).rejects.toThrow(/taken over/);
    expect(rowCounts(server.db)).toEqual(before);
  });
});

describe('the Idempotency-Key header', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ rateLimitPerMinute: 0, runner: false });
  });
  afterAll(async () => {
    await server.close();
  });
  const create = (key: string) => server.call('POST', '/api/order', { json: { sku: 'KEYED', qty: 1 }, headers: { 'idempotency-key': key } });

  it("is the same key bare and as the draft's quoted sf-string", async () => {
    const quoted = await create('"sf-1"');
    expect(quoted.status).toBe(201);
    const bare = await create('sf-1');
    expect(bare.headers.get('idempotent-replayed')).toBe('true');
    expect(bare.body).toEqual(quoted.body);
    // and the other way round, with the sf-string's escapes undone
    const first = await create('a"b\\c');
    const again = await create('"a\\"b\\\\c"');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(countOrders(server.db)).toBe(2);
  });

  it.each(['"unterminated', '"a b"', '""', '"bad \\x escape"', '"é"'])('refuses %j with 422 naming the header', async (key) => {
    const r = await create(key);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ field: 'idempotency-key' });
    expect(r.body.detail).toMatch(/Idempotency-Key must be 1-255 visible ASCII characters, bare \(k\) or as a quoted string/);
  });
});

describe('the SQLite idempotency store', () => {
  const T0 = Date.UTC(2026, 0, 1, 9);
  const opts = { ttlMs: IDEMPOTENCY_TTL_MS, leaseMs: 60_000 };
  let connection: Connection;
  let raw: Database.Database;
  beforeAll(async () => {
    connection = await openConnection({ file: tempDb() });
    raw = connection.raw;
  });
  afterAll(() => connection.close());

  it('expires a key 24 h after its first request', async () => {
    const store = createSqliteIdempotencyStore(connection);
    expect(await store.begin('k', 'fp', T0, opts)).toEqual({ kind: 'new' });
    // completed as the order's transaction completes it (src/adapters/sqlite/statements.ts)
    raw.prepare(`UPDATE idempotency_keys SET state = 'completed', status = 201, body = '{"id":1}', location = '/api/orders/1' WHERE key = 'k'`).run();
    expect(await store.begin('k', 'fp', T0 + IDEMPOTENCY_TTL_MS - 1, opts)).toEqual({
      kind: 'replay',
      response: { status: 201, body: '{"id":1}', location: '/api/orders/1' },
    });
    expect(await store.begin('k', 'other', T0 + IDEMPOTENCY_TTL_MS - 1, opts)).toEqual({ kind: 'mismatch' });
    expect(await store.begin('k', 'other', T0 + IDEMPOTENCY_TTL_MS, opts)).toEqual({ kind: 'new' });
  });

  it('purges expired records', async () => {
    const store = createSqliteIdempotencyStore(connection);
    await store.begin('old', 'fp', T0, opts);
    await store.begin('new', 'fp', T0 + 1000, opts);
    expect(await store.expire(T0 + IDEMPOTENCY_TTL_MS + 500)).toBeGreaterThanOrEqual(1);
    expect(raw.prepare(`SELECT key FROM idempotency_keys WHERE key IN ('old', 'new')`).all()).toEqual([{ key: 'new' }]);
  });

  it('lets a new request take over a claim whose lease ran out (its request died)', async () => {
    const store = createSqliteIdempotencyStore(connection);
    await store.begin('crash', 'fp', T0, opts);
    expect(await store.begin('crash', 'fp', T0 + 59_999, opts)).toEqual({ kind: 'in_flight' });
    expect(await store.begin('crash', 'fp', T0 + 60_000, opts)).toEqual({ kind: 'new' });
  });

  it('frees a key whose release could not be written (another process held the lock) for the next request', async () => {
    const file = tempDb();
    const own = await openConnection({ file, busyTimeoutMs: 100 });
    const store = createSqliteIdempotencyStore(own);
    await store.begin('stuck', 'fp', T0, opts);
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    await expect(store.release('stuck', 'fp')).rejects.toThrow(/locked by another process/);
    other.exec('ROLLBACK');
    other.close();
    // the claim is still in the file, in flight for a minute, but this process knows its request failed
    expect(own.raw.prepare(`SELECT state FROM idempotency_keys WHERE key = 'stuck'`).get()).toEqual({ state: 'in_flight' });
    expect(await store.begin('stuck', 'fp', T0 + 1, opts)).toEqual({ kind: 'new' });
    own.close();
  });

  it('frees a key whose request failed', async () => {
    const store = createSqliteIdempotencyStore(connection);
    await store.begin('failed', 'fp', T0, opts);
    await store.release('failed', 'fp');
    expect(await store.begin('failed', 'fp2', T0 + 1, opts)).toEqual({ kind: 'new' });
  });
});
