/**
 * Multi-line orders over HTTP (docs/design.md §2.6, docs/http.md): POST /api/orders with `lines`,
 * the order's `lines` in every answer, cancel and fulfil of every line, and bad lines refused with
 * 422 problem+json naming the line, nothing stored. Every reply is checked against the OpenAPI
 * document by the test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../helpers.js';
import { rowCounts, testServer, type TestServer } from './support.js';

describe('multi-line orders over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ runner: false, rateLimitPerMinute: 0 });
    await server.call('PUT', '/api/inventory/A', { json: { onHand: 10 } });
    await server.call('PUT', '/api/inventory/B', { json: { onHand: 10 } });
  });
  afterAll(async () => {
    await server.close();
    expect(checkInvariants(server.db)).toEqual([]);
  });

  it('creates an order of several lines (201), each line in the answer, and reserves them all', async () => {
    const created = await server.call('POST', '/api/orders', {
      json: {
        lines: [
          { sku: 'a', qty: 2 },
          { sku: 'B', qty: 3 },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sku: 'A+B',
      qty: 5,
      status: 'pending',
      lines: [
        { line: 1, sku: 'A', qty: 2, status: 'pending' },
        { line: 2, sku: 'B', qty: 3, status: 'pending' },
      ],
    });
    const id = (created.body as { id: number }).id;
    expect(created.headers.get('location')).toBe(`/api/orders/${id}`);
    await server.warehouse.runner.runUntilIdle();
    const got = await server.call('GET', `/api/orders/${id}`);
    expect(got.body).toMatchObject({ status: 'reserved', lines: [{ status: 'reserved' }, { status: 'reserved' }] });
    const events = (got.body as { events: Array<{ type: string; data: { line?: number } }> }).events;
    expect(events.filter((e) => e.type === 'InventoryReserved').map((e) => e.data.line)).toEqual([1, 2]);
    expect((await server.call('GET', '/api/inventory/B')).body).toMatchObject({ onHand: 10, reserved: 3, available: 7 });

    const fulfilled = await server.call('POST', `/api/orders/${id}/fulfil`);
    expect(fulfilled.status).toBe(200);
    expect(fulfilled.body).toMatchObject({ status: 'fulfilled', lines: [{ status: 'fulfilled' }, { status: 'fulfilled' }] });
  });

  it('cancels every line of a reserved order, its units released', async () => {
    const created = await server.call('POST', '/api/orders', {
      json: {
        lines: [
          { sku: 'B', qty: 1 },
          { sku: 'A', qty: 1 },
        ],
      },
    });
    await server.warehouse.runner.runUntilIdle();
    const id = (created.body as { id: number }).id;
    const before = (await server.call('GET', '/api/inventory/A')).body as { available: number };
    const r = await server.call('POST', `/api/orders/${id}/cancel`, { headers: { 'idempotency-key': `lines-cancel-${id}` } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'cancelled', lines: [{ status: 'cancelled' }, { status: 'cancelled' }] });
    expect((await server.call('GET', '/api/inventory/A')).body).toMatchObject({ available: before.available + 1 });
    // a one-line order's answer keeps its shape: no `lines`
    const one = await server.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 } });
    expect(Object.keys(one.body as object)).not.toContain('lines');
  });

  it('replays a multi-line order under its Idempotency-Key with the first answer, creating it once', async () => {
    const headers = { 'idempotency-key': 'lines-create-1' };
    const json = {
      lines: [
        { sku: 'A', qty: 1 },
        { sku: 'B', qty: 1 },
      ],
    };
    const first = await server.call('POST', '/api/orders', { json, headers });
    const before = rowCounts(server.db);
    const again = await server.call('POST', '/api/orders', { json, headers });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((again.body as { lines: unknown[] }).lines).toHaveLength(2);
    expect(rowCounts(server.db)).toEqual(before);
    await server.warehouse.runner.runUntilIdle();
  });

  const bad: Array<[string, unknown, string]> = [
    [
      'the same SKU twice',
      {
        lines: [
          { sku: 'A', qty: 1 },
          { sku: 'b', qty: 1 },
          { sku: 'a', qty: 1 },
        ],
      },
      'line 3: A is already line 1',
    ],
    [
      'a bad qty',
      {
        lines: [
          { sku: 'A', qty: 1 },
          { sku: 'B', qty: '2' },
        ],
      },
      'line 2: qty must be a number',
    ],
    ['51 lines', { lines: Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, qty: 1 })) }, 'at most 50 lines (got 51)'],
    ['lines with sku', { sku: 'A', qty: 1, lines: [{ sku: 'B', qty: 1 }] }, 'either lines or sku and qty'],
  ];
  it.each(bad)('refuses %s with 422 problem+json naming it; nothing stored', async (_what, json, detail) => {
    const before = rowCounts(server.db);
    const r = await server.call('POST', '/api/orders', { json });
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((r.body as { detail: string }).detail).toContain(detail);
    expect(rowCounts(server.db)).toEqual(before);
  });
});
