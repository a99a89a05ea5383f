/**
 * POST /api/orders/{id}/cancel and /fulfil (docs/design.md §2.5, §11): the order's new state, 409
 * problem+json for a state that refuses, Idempotency-Key honoured, and the stock views of
 * GET /api/inventory. Every reply is checked against the OpenAPI document by the test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../helpers.js';
import { rowCounts, testServer, type TestServer } from './support.js';

describe('cancel and fulfil over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    // jobs run when the test says so (runUntilIdle), on the server's own engine
    server = await testServer({ runner: false, rateLimitPerMinute: 0 });
    await server.call('PUT', '/api/inventory/WIDGET', { json: { onHand: 10 } });
  });
  afterAll(async () => {
    await server.close();
    expect(checkInvariants(server.db)).toEqual([]);
  });

  async function reserved(qty = 2): Promise<number> {
    const created = await server.call('POST', '/api/orders', { json: { sku: 'WIDGET', qty } });
    await server.warehouse.runner.runUntilIdle();
    const id = (created.body as { id: number }).id;
    expect((await server.call('GET', `/api/orders/${id}`)).body).toMatchObject({ status: 'reserved' });
    return id;
  }

  it('shows on hand, reserved and available per SKU', async () => {
    const before = (await server.call('GET', '/api/inventory/WIDGET')).body as { onHand: number; available: number };
    await reserved(2);
    const after = await server.call('GET', '/api/inventory/WIDGET');
    expect(after.body).toMatchObject({ onHand: before.onHand, reserved: expect.any(Number), available: before.available - 2 });
    const list = (await server.call('GET', '/api/inventory')).body as Array<Record<string, number>>;
    expect(list.find((i) => i.sku === ('WIDGET' as unknown))).toMatchObject({ onHand: before.onHand, available: before.available - 2 });
  });

  it('cancels a reserved order (200), releasing its units, and refuses a second cancel with 409', async () => {
    const id = await reserved(3);
    const available = ((await server.call('GET', '/api/inventory/WIDGET')).body as { available: number }).available;
    const r = await server.call('POST', `/api/orders/${id}/cancel`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, status: 'cancelled' });
    expect((await server.call('GET', '/api/inventory/WIDGET')).body).toMatchObject({ available: available + 3 });
    const before = rowCounts(server.db);
    const again = await server.call('POST', `/api/orders/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(again.body).toMatchObject({ type: 'urn:warehouse:problem:order-state', status: 409, orderStatus: 'cancelled' });
    expect((again.body as { detail: string }).detail).toMatch(/is cancelled: it cannot be cancelled \(a cancelled order is final\)/);
    expect(rowCounts(server.db)).toEqual(before);
  });

  it('replays a cancel under its Idempotency-Key with the first answer, cancelling once', async () => {
    const id = await reserved(1);
    const headers = { 'idempotency-key': `cancel-${id}` };
    const first = await server.call('POST', `/api/orders/${id}/cancel`, { headers });
    const again = await server.call('POST', `/api/orders/${id}/cancel`, { headers });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const events = ((await server.call('GET', `/api/orders/${id}`)).body as { events: Array<{ type: string }> }).events;
    expect(events.filter((e) => e.type === 'OrderCancelled')).toHaveLength(1);
    // the same key on another order is another request
    const other = await server.call('POST', `/api/orders/${id + 1000}/cancel`, { headers });
    expect(other.status).toBe(422);
  });

  it('fulfils a reserved order (200) and refuses a pending one with 409', async () => {
    const id = await reserved(2);
    const onHand = ((await server.call('GET', '/api/inventory/WIDGET')).body as { onHand: number }).onHand;
    const r = await server.call('POST', `/api/orders/${id}/fulfil`, { headers: { 'idempotency-key': `fulfil-${id}` } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, status: 'fulfilled' });
    expect((await server.call('GET', '/api/inventory/WIDGET')).body).toMatchObject({ onHand: onHand - 2 });
    const pending = (await server.call('POST', '/api/orders', { json: { sku: 'WIDGET', qty: 1 } })).body as { id: number };
    const refused = await server.call('POST', `/api/orders/${pending.id}/fulfil`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ orderStatus: 'pending' });
    await server.call('POST', `/api/orders/${pending.id}/cancel`);
    await server.warehouse.runner.runUntilIdle();
  });

  it('counts cancellations and fulfilments in /metrics', async () => {
    const text = (await server.call('GET', '/metrics')).text;
    expect(text).toMatch(/^warehouse_orders_ended_total\{outcome="cancelled"\} [1-9]/m);
    expect(text).toMatch(/^warehouse_orders_ended_total\{outcome="fulfilled"\} [1-9]/m);
    expect(text).toMatch(/^warehouse_compensations_total\{result="cancelled"\} 0/m);
  });

  it('answers 404 for an unknown order and 422 for a bad id', async () => {
    expect((await server.call('POST', '/api/orders/999999/cancel')).status).toBe(404);
    expect((await server.call('POST', '/api/orders/abc/fulfil')).status).toBe(422);
  });

  it('refuses a reservationTtl that does not parse with 422 naming it, storing nothing', async () => {
    const before = rowCounts(server.db);
    const r = await server.call('POST', '/api/orders', { json: { sku: 'WIDGET', qty: 1, reservationTtl: 'later' } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ field: 'reservationTtl' });
    expect(rowCounts(server.db)).toEqual(before);
  });
});
