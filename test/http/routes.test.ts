import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../helpers.js';
import { recordTransitions, testServer, type TestServer } from './support.js';

describe('the HTTP API, route by route', () => {
  let server: TestServer;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    server = await testServer({
      logLevel: 'info',
      logDestination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
      settings: { checkDelayMs: 20 },
    });
  });
  afterAll(async () => {
    await server.close();
    expect(checkInvariants(server.db)).toEqual([]);
  });

  it('sets, restocks and reads inventory, with its ledger', async () => {
    const set = await server.call('PUT', '/api/inventory/%20widget-1%20', { json: { onHand: 5 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ sku: 'WIDGET-1', onHand: 5 });
    const restock = await server.call('POST', '/api/inventory/WIDGET-1/restock', { json: { qty: 3 } });
    expect(restock.body).toMatchObject({ sku: 'WIDGET-1', onHand: 8 });
    const get = await server.call('GET', '/api/inventory/widget-1');
    expect(get.status).toBe(200);
    expect(get.body.onHand).toBe(8);
    const ledger = await server.call('GET', '/api/inventory/WIDGET-1/movements');
    expect(ledger.body.nextCursor).toBeNull();
    expect(ledger.body.movements.map((m: { type: string; qty: number }) => [m.type, m.qty])).toEqual([
      ['adjustment', 5],
      ['restock', 3],
    ]);
  });

  it('creates an order with 201 and Location on both POST routes, and the runner reserves it from stock', async () => {
    const rec = recordTransitions(server);
    const a = await server.call('POST', '/api/order', { json: { sku: 'widget-1', qty: 2 } });
    const b = await server.call('POST', '/api/orders', { json: { sku: 'WIDGET-1', qty: 1 } });
    for (const r of [a, b]) {
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ sku: 'WIDGET-1', status: 'pending', supplierRef: null, supplierChecks: 0, failureReason: null });
      expect(r.headers.get('location')).toBe(`/api/orders/${r.body.id}`);
    }
    await rec.reached(a.body.id, 'reserved');
    await rec.reached(b.body.id, 'reserved');
    rec.stop();
    const shown = await server.call('GET', a.headers.get('location')!);
    expect(shown.body.status).toBe('reserved');
    expect(shown.body.events.map((e: { type: string }) => e.type)).toEqual(['OrderCreated', 'InventoryReserved', 'OrderReserved']);
    expect((await server.call('GET', '/api/inventory/WIDGET-1')).body).toMatchObject({ onHand: 8, reserved: 3, available: 5 });
  });

  it('runs an order through the supplier when stock is short', async () => {
    const rec = recordTransitions(server);
    const created = await server.call('POST', '/api/order', { json: { sku: 'GADGET', qty: 4 } });
    await rec.reached(created.body.id, 'reserved');
    rec.stop();
    const order = (await server.call('GET', `/api/orders/${created.body.id}`)).body;
    expect(order).toMatchObject({ status: 'reserved', supplierChecks: 1 });
    expect(order.supplierRef).toEqual(expect.any(String));
    expect(rec.seen.get(created.body.id)).toEqual(['awaiting_restock', 'reserved']);
  });

  it('lists orders by status, page by page with a cursor', async () => {
    const first = await server.call('GET', '/api/orders?status=reserved&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.orders).toHaveLength(2);
    expect(first.body.nextCursor).toBe(first.body.orders[1].id);
    const second = await server.call('GET', `/api/orders?status=reserved&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.orders).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const pending = await server.call('GET', '/api/orders?status=pending');
    expect(pending.body).toEqual({ orders: [], nextCursor: null });
    const all = await server.call('GET', '/api/orders');
    expect(all.body.orders.map((o: { id: number }) => o.id)).toEqual([1, 2, 3]);
  });

  it('answers /healthz from the database', async () => {
    const r = await server.call('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok', database: 'ok', runner: expect.stringMatching(/^(running|idle)$/) });
  });

  it('exposes Prometheus metrics of orders, reservations, the supplier and jobs', async () => {
    const r = await server.call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const m = r.text;
    expect(m).toContain('warehouse_orders_created_total 3');
    expect(m).toContain('warehouse_orders_settled_total{status="reserved"} 3');
    expect(m).toContain('warehouse_reservations_total{outcome="local",reason=""} 2');
    expect(m).toContain('warehouse_reservations_total{outcome="supplier",reason=""} 1');
    expect(m).toContain('warehouse_supplier_answers_total{call="reserve",answer="accepted"} 1');
    expect(m).toContain('warehouse_supplier_answers_total{call="status",answer="ok"} 1');
    expect(m).toContain('warehouse_job_runs_total{type="ReserveInventory",result="completed"} 3');
    expect(m).toContain('warehouse_job_runs_total{type="CheckSupplierStatus",result="completed"} 1');
    expect(m).toMatch(/warehouse_job_duration_seconds_count\{type="ReserveInventory"\} 3/);
    expect(m).toContain('warehouse_dead_letters 0');
    expect(m).toContain('warehouse_queue_depth{status="queued"} 0');
    expect(m).toMatch(/warehouse_http_request_duration_seconds_count\{method="POST",route="\/api\/order",status="201"\} \d+/);
  });

  it('serves an OpenAPI 3.1 document with every route', async () => {
    const r = await server.call('GET', '/openapi.json');
    expect(r.body.openapi).toBe('3.1.0');
    expect(Object.keys(r.body.paths).sort()).toEqual(
      [
        ...[
          '/api/inventory/{sku}',
          '/api/inventory/{sku}/movements',
          '/api/inventory/{sku}/restock',
          '/api/order',
          '/api/orders',
          '/api/orders/{id}',
          '/api/orders/{id}/cancel',
          '/api/orders/{id}/fulfil',
          '/healthz',
          '/metrics',
          '/openapi.json',
        ],
        // the dashboard and its API (src/http/routes/teaching.ts)
        ...[
          '/',
          '/dashboard/{file}',
          '/api/events',
          '/api/events/tickets',
          '/api/clock',
          '/api/orders/{id}/explain',
          '/api/jobs',
          '/api/jobs/dead-letters',
          '/api/jobs/dead-letters/{id}/retry',
          '/api/jobs/{id}/resume',
        ],
        ...['/api/supplier/scripts', '/api/supplier/scripts/{sku}', '/api/overview', '/api/inventory', '/api/check', '/api/explore/story'],
      ].sort(),
    );
    // one line or several: each form refuses properties it does not know
    const forms = r.body.paths['/api/order'].post.requestBody.content['application/json'].schema.oneOf as Array<{ additionalProperties: unknown }>;
    expect(forms).toHaveLength(2);
    for (const form of forms) expect(form.additionalProperties).toBe(false);
    expect(r.body.components.schemas.Problem).toBeDefined();
  });

  it('logs one JSON line per request with its id, and one per order transition', async () => {
    const r = await server.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-42' } });
    expect(r.headers.get('x-request-id')).toBe('trace-42');
    const line = logs.find((l) => l.msg === 'request' && l.reqId === 'trace-42');
    expect(line).toMatchObject({ method: 'GET', url: '/healthz', route: '/healthz', status: 200 });
    expect(logs.filter((l) => l.reqId === 'trace-42')).toHaveLength(1);
    const transitions = logs.filter((l) => l.msg === 'order transition');
    expect(transitions).toContainEqual(expect.objectContaining({ orderId: 3, from: 'pending', to: 'awaiting_restock', jobId: expect.any(String), attempt: 1 }));
    expect(transitions).toContainEqual(expect.objectContaining({ orderId: 3, from: 'awaiting_restock', to: 'reserved' }));
  });
});
