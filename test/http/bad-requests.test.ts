import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, rowCounts, type CallInit, type TestServer } from './support.js';

const V = 'urn:warehouse:problem:validation';
const B = 'about:blank';

interface Case {
  name: string;
  method: string;
  path: string;
  init?: CallInit;
  status: number;
  type?: string;
  field?: string;
}

const order = (json: unknown): CallInit => ({ json });
const raw = (body: string, contentType = 'application/json'): CallInit => ({ raw: body, contentType });

const CASES: Case[] = [
  { name: 'malformed JSON', method: 'POST', path: '/api/order', init: raw('{"sku":'), status: 400 },
  { name: 'JSON with trailing garbage', method: 'POST', path: '/api/order', init: raw('{"sku":"A","qty":1}x'), status: 400 },
  { name: 'single-quoted JSON', method: 'POST', path: '/api/order', init: raw("{'sku':'A','qty':1}"), status: 400 },
  { name: 'an empty JSON body', method: 'POST', path: '/api/order', init: raw(''), status: 400 },
  { name: '__proto__ key', method: 'POST', path: '/api/order', init: raw('{"sku":"A","qty":1,"__proto__":{"status":"reserved"}}'), status: 400 },
  { name: 'constructor.prototype key', method: 'POST', path: '/api/order', init: raw('{"sku":"A","qty":1,"constructor":{"prototype":{"x":1}}}'), status: 400 },
  { name: 'text/plain body', method: 'POST', path: '/api/order', init: raw('{"sku":"A","qty":1}', 'text/plain'), status: 415 },
  { name: 'form body', method: 'POST', path: '/api/order', init: raw('sku=A&qty=1', 'application/x-www-form-urlencoded'), status: 415 },
  { name: 'XML body on PUT', method: 'PUT', path: '/api/inventory/A', init: raw('<onHand>1</onHand>', 'application/xml'), status: 415 },
  { name: 'a body over 16 KiB', method: 'POST', path: '/api/order', init: raw(JSON.stringify({ sku: 'A', qty: 1, pad: 'x'.repeat(17 * 1024) })), status: 413 },
  { name: 'qty as a string', method: 'POST', path: '/api/order', init: order({ sku: 'A', qty: '5' }), status: 422, type: V, field: 'qty' },
  { name: 'qty 0', method: 'POST', path: '/api/order', init: order({ sku: 'A', qty: 0 }), status: 422, type: V, field: 'qty' },
  { name: 'negative qty', method: 'POST', path: '/api/order', init: order({ sku: 'A', qty: -1 }), status: 422, type: V, field: 'qty' },
  { name: 'fractional qty', method: 'POST', path: '/api/order', init: order({ sku: 'A', qty: 1.5 }), status: 422, type: V, field: 'qty' },
  { name: 'qty over a million', method: 'POST', path: '/api/order', init: order({ sku: 'A', qty: 1_000_001 }), status: 422, type: V, field: 'qty' },
  { name: 'qty 1e400 (Infinity)', method: 'POST', path: '/api/order', init: raw('{"sku":"A","qty":1e400}'), status: 422, type: V, field: 'qty' },
  { name: 'qty null', method: 'POST', path: '/api/order', init: order({ sku: 'A', qty: null }), status: 422, type: V, field: 'qty' },
  { name: 'qty true', method: 'POST', path: '/api/order', init: order({ sku: 'A', qty: true }), status: 422, type: V, field: 'qty' },
  { name: 'qty as an array', method: 'POST', path: '/api/order', init: order({ sku: 'A', qty: [1] }), status: 422, type: V, field: 'qty' },
  { name: 'qty missing', method: 'POST', path: '/api/order', init: order({ sku: 'A' }), status: 422, type: V, field: 'qty' },
  { name: 'sku as a number', method: 'POST', path: '/api/order', init: order({ sku: 42, qty: 1 }), status: 422, type: V, field: 'sku' },
  { name: 'empty sku', method: 'POST', path: '/api/order', init: order({ sku: '', qty: 1 }), status: 422, type: V, field: 'sku' },
  { name: 'blank sku', method: 'POST', path: '/api/order', init: order({ sku: '   ', qty: 1 }), status: 422, type: V, field: 'sku' },
  { name: 'sku with a space and !', method: 'POST', path: '/api/order', init: order({ sku: 'bad sku!', qty: 1 }), status: 422, type: V, field: 'sku' },
  { name: 'sku of 65 characters', method: 'POST', path: '/api/order', init: order({ sku: 'A'.repeat(65), qty: 1 }), status: 422, type: V, field: 'sku' },
  { name: 'sku starting with -', method: 'POST', path: '/api/order', init: order({ sku: '-LEAD', qty: 1 }), status: 422, type: V, field: 'sku' },
  { name: 'sku null', method: 'POST', path: '/api/order', init: order({ sku: null, qty: 1 }), status: 422, type: V, field: 'sku' },
  { name: 'sku as an object', method: 'POST', path: '/api/order', init: order({ sku: { $ne: '' }, qty: 1 }), status: 422, type: V, field: 'sku' },
  { name: 'sku missing', method: 'POST', path: '/api/order', init: order({ qty: 1 }), status: 422, type: V, field: 'sku' },
  {
    name: 'a client-set status',
    method: 'POST',
    path: '/api/order',
    init: order({ sku: 'A', qty: 1, status: 'reserved' }),
    status: 422,
    type: V,
    field: 'status',
  },
  { name: 'a client-set id', method: 'POST', path: '/api/orders', init: order({ id: 7, sku: 'A', qty: 1 }), status: 422, type: V, field: 'id' },
  {
    name: 'a plain constructor key',
    method: 'POST',
    path: '/api/order',
    init: order({ sku: 'A', qty: 1, constructor: 1 }),
    status: 422,
    type: V,
    field: 'constructor',
  },
  { name: 'an array body', method: 'POST', path: '/api/order', init: order([{ sku: 'A', qty: 1 }]), status: 422, type: V, field: 'body' },
  { name: 'a null body', method: 'POST', path: '/api/order', init: raw('null'), status: 422, type: V, field: 'body' },
  { name: 'a string body', method: 'POST', path: '/api/order', init: raw('"A,1"'), status: 422, type: V, field: 'body' },
  { name: 'no body at all', method: 'POST', path: '/api/order', status: 400 },
  {
    name: 'an Idempotency-Key with a space',
    method: 'POST',
    path: '/api/order',
    init: { json: { sku: 'A', qty: 1 }, headers: { 'idempotency-key': 'a b' } },
    status: 422,
    type: V,
    field: 'idempotency-key',
  },
  {
    name: 'an Idempotency-Key of 256 characters',
    method: 'POST',
    path: '/api/order',
    init: { json: { sku: 'A', qty: 1 }, headers: { 'idempotency-key': 'k'.repeat(256) } },
    status: 422,
    type: V,
    field: 'idempotency-key',
  },
  { name: 'negative onHand', method: 'PUT', path: '/api/inventory/A', init: order({ onHand: -1 }), status: 422, type: V, field: 'onHand' },
  { name: 'onHand as a string', method: 'PUT', path: '/api/inventory/A', init: order({ onHand: '3' }), status: 422, type: V, field: 'onHand' },
  { name: 'PUT with an extra sku field', method: 'PUT', path: '/api/inventory/A', init: order({ onHand: 3, sku: 'B' }), status: 422, type: V, field: 'sku' },
  { name: 'PUT with a bad SKU in the path', method: 'PUT', path: '/api/inventory/bad!', init: order({ onHand: 3 }), status: 422, type: V, field: 'sku' },
  { name: 'restock of 0', method: 'POST', path: '/api/inventory/A/restock', init: order({ qty: 0 }), status: 422, type: V, field: 'qty' },
  { name: 'restock with qty as a string', method: 'POST', path: '/api/inventory/A/restock', init: order({ qty: '2' }), status: 422, type: V, field: 'qty' },
  { name: 'a non-numeric order id', method: 'GET', path: '/api/orders/abc', status: 422, type: V, field: 'id' },
  { name: 'order id 0', method: 'GET', path: '/api/orders/0', status: 422, type: V, field: 'id' },
  { name: 'a fractional order id', method: 'GET', path: '/api/orders/1.5', status: 422, type: V, field: 'id' },
  { name: 'an order id with a leading zero', method: 'GET', path: '/api/orders/01', status: 422, type: V, field: 'id' },
  { name: 'an unknown order id', method: 'GET', path: '/api/orders/999', status: 404 },
  { name: 'an unknown SKU', method: 'GET', path: '/api/inventory/NOPE', status: 404 },
  { name: 'the ledger of an unknown SKU', method: 'GET', path: '/api/inventory/nope/movements', status: 404 },
  { name: 'a malformed SKU', method: 'GET', path: '/api/inventory/%2Fetc', status: 422, type: V, field: 'sku' },
  { name: 'limit 0', method: 'GET', path: '/api/orders?limit=0', status: 422, type: V, field: 'limit' },
  { name: 'limit over 1000', method: 'GET', path: '/api/orders?limit=1001', status: 422, type: V, field: 'limit' },
  { name: 'a non-numeric limit', method: 'GET', path: '/api/orders?limit=ten', status: 422, type: V, field: 'limit' },
  { name: 'an unknown status filter', method: 'GET', path: '/api/orders?status=done', status: 422, type: V, field: 'status' },
  { name: 'a negative cursor', method: 'GET', path: '/api/orders?cursor=-1', status: 422, type: V, field: 'cursor' },
  { name: 'an unknown query parameter', method: 'GET', path: '/api/orders?sort=desc', status: 422, type: V, field: 'sort' },
  { name: 'an unknown route', method: 'GET', path: '/api/nope', status: 404 },
  { name: 'a method the route does not have', method: 'DELETE', path: '/api/orders/1', status: 405 },
];

describe('bad requests', () => {
  let server: TestServer;
  let before: Record<string, number>;

  beforeAll(async () => {
    server = await testServer({ rateLimitPerMinute: 0 });
    await server.call('PUT', '/api/inventory/A', { json: { onHand: 10 } });
    before = rowCounts(server.db);
  });
  afterAll(async () => {
    await server.close();
  });

  it('has a table of at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('$name → $status', async (c) => {
    const r = await server.call(c.method, c.path, c.init);
    expect(r.status).toBe(c.status);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const { detail, errors, ...rest } = r.body;
    expect(typeof detail).toBe('string');
    expect(detail.length).toBeGreaterThan(0);
    expect(rest).toEqual({ type: c.type ?? B, title: expect.any(String), status: c.status, ...(c.field ? { field: c.field } : {}) });
    if (c.field) expect(errors).toContainEqual({ field: c.field, message: expect.any(String) });
    else expect(errors).toBeUndefined();
  });

  it('left the database exactly as it was', () => {
    expect(rowCounts(server.db)).toEqual(before);
  });
});
