/**
 * docs/design.md §14, in one process: an order's life is one trace, from the HTTP request through every
 * job run, supplier call and transaction. Spans are collected with the SDK's in-memory exporter;
 * the engine runs on the virtual clock against the MSW mock, over a real SQLite file.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SupplierScript } from '../../src/domain/supplier-script.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { NO_TRACING } from '../../src/ports/tracing.js';
import { createWarehouse, type Warehouse } from '../../src/wiring/warehouse.js';
import { tempDb, testWarehouse } from '../helpers.js';

const START = Date.UTC(2026, 0, 1, 9);
const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function traced(script: SupplierScript, db = tempDb()) {
  const exporter = new InMemorySpanExporter();
  const w = await testWarehouse({ db, supplierScript: script, tracing: { exporters: [exporter] } });
  cleanup.push(() => w.close());
  return { w, exporter, db };
}

/** serve the engine; resolves with the server and the log lines it writes */
async function serve(w: Warehouse): Promise<{ server: RunningServer; logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const server = await startServer({ warehouse: w, port: 0, logLevel: 'info', logDestination: { write: (s: string) => void logs.push(JSON.parse(s)) } });
  cleanup.push(() => server.close());
  return { server, logs };
}

function until(w: Warehouse, type: string, orderId: number): Promise<void> {
  return new Promise((resolve) => {
    const off = w.bus.on('order:event', (e) => {
      if (e.orderId === orderId && e.type === type) {
        off();
        resolve();
      }
    });
  });
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const one = (spans: ReadableSpan[], name: string) => {
  const found = named(spans, name);
  expect(
    found.map((s) => s.name),
    `exactly one span "${name}"`,
  ).toEqual([name]);
  return found[0]!;
};
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;

describe('one trace per order', () => {
  it('follows an order from its HTTP request through ReserveInventory, the supplier accepting, delayed, then ok', async () => {
    const { w, exporter } = await traced({ WIDGET: { reserve: 'accepted', status: ['delayed', 'ok'] } });
    const { server, logs } = await serve(w);
    const reserved = until(w, 'OrderReserved', 1);
    const res = await fetch(`${server.url}/api/order`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"widget","qty":30}' });
    expect(res.status).toBe(201);
    await reserved;
    await server.close();
    const spans = exporter.getFinishedSpans();

    // one trace
    const traceId = spans[0]!.spanContext().traceId;
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));

    // the request is the root; the order, its transaction and its first job's producer nest in it
    const request = one(spans, 'POST /api/order');
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(parentOf(request)).toBeUndefined();
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/order',
      'http.response.status_code': 201,
      'url.path': '/api/order',
    });
    const create = one(spans, 'order create');
    expect(parentOf(create)).toBe(idOf(request));
    expect(create.attributes['warehouse.order.id']).toBe(1);
    const created = one(spans, 'tx created');
    expect(parentOf(created)).toBe(idOf(create));
    expect(created.events.map((e) => e.name)).toEqual(['OrderCreated']);
    const produceReserve = one(spans, 'create ReserveInventory');
    expect(produceReserve.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(produceReserve)).toBe(idOf(created));

    // each job run hangs from the request, linked to the span that enqueued it
    const reserve = one(spans, 'process ReserveInventory');
    expect(reserve.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(reserve)).toBe(idOf(request));
    expect(reserve.links.map((l) => l.context.spanId)).toEqual([idOf(produceReserve)]);
    expect(reserve.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'ReserveInventory',
      'warehouse.order.id': 1,
      'warehouse.job.attempt': 1,
    });
    expect(reserve.attributes['warehouse.job.outcome']).toBe('awaiting-restock');
    const inReserve = spans.filter((s) => parentOf(s) === idOf(reserve)).sort((a, b) => ms(a.startTime) - ms(b.startTime) || ms(a.endTime) - ms(b.endTime));
    expect(inReserve.map((s) => s.name)).toEqual(['tx needs-supplier', 'POST /supplier/reserve', 'tx awaiting-restock']);
    const accepted = inReserve[2]!;
    // the events of a write, then the state change they caused (issue 18 defect 8)
    expect(accepted.events.map((e) => [e.name, e.attributes])).toEqual([
      ['SupplierReservationAccepted', expect.objectContaining({ ref: expect.stringMatching(/^R\.order-1\.[0-9a-f]{16}\.WIDGET$/) })],
      ['order.transition', { from: 'pending', to: 'awaiting_restock' }],
    ]);
    const produceCheck1 = spans.find((s) => s.name === 'create CheckSupplierStatus' && parentOf(s) === idOf(accepted))!;
    expect(produceCheck1.kind).toBe(SpanKind.PRODUCER);

    const checks = named(spans, 'process CheckSupplierStatus').sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(checks).toHaveLength(2);
    for (const check of checks) expect(parentOf(check)).toBe(idOf(request));
    expect(checks[0]!.links.map((l) => l.context.spanId)).toEqual([idOf(produceCheck1)]);
    const delayed = spans.find((s) => s.name === 'tx delayed' && parentOf(s) === idOf(checks[0]!))!;
    const produceCheck2 = spans.find((s) => s.name === 'create CheckSupplierStatus' && parentOf(s) === idOf(delayed))!;
    expect(checks[1]!.links.map((l) => l.context.spanId)).toEqual([idOf(produceCheck2)]);
    const final = spans.find((s) => s.name === 'tx reserved:supplier' && parentOf(s) === idOf(checks[1]!))!;
    expect(final.events.map((e) => e.name)).toEqual(['SupplierStatusChecked', 'InventoryReserved', 'OrderReserved', 'order.transition']);
    expect(final.events[3]!.attributes).toEqual({ from: 'awaiting_restock', to: 'reserved' });

    // times are the virtual clock's: checks 15 s and 30 s after the supplier accepted
    const t0 = ms(accepted.endTime);
    expect(checks.map((c) => ms(c.startTime) - t0)).toEqual([15_000, 30_000]);

    // log lines written inside a span name it
    const requestLine = logs.find((l) => l.msg === 'request' && l.route === '/api/order')!;
    expect(requestLine).toMatchObject({ trace_id: traceId, span_id: idOf(request) });
    const transitions = logs.filter((l) => l.msg === 'order transition');
    expect(transitions.map((l) => [l.to, l.trace_id, l.span_id])).toEqual([
      ['awaiting_restock', traceId, idOf(reserve)],
      ['reserved', traceId, idOf(checks[1]!)],
    ]);
  });

  it('gives the supplier calls the HTTP client conventions, the Idempotency-Key and the answer', async () => {
    const { w, exporter } = await traced({ WIDGET: { reserve: 'accepted', status: ['delayed', 'ok'] } });
    await w.tracing.inSpan('test', {}, () => w.orders.create({ sku: 'WIDGET', qty: 30 }));
    await w.runner.runUntilIdle();
    const spans = exporter.getFinishedSpans();
    const db16 = (await w.databaseId()).slice(0, 16);
    const reserveCall = one(spans, 'POST /supplier/reserve');
    expect(reserveCall.kind).toBe(SpanKind.CLIENT);
    expect(reserveCall.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.template': '/supplier/reserve',
      'url.full': `${w.mock!.baseUrl}/supplier/reserve`,
      'server.address': new URL(w.mock!.baseUrl).hostname,
      'http.request.header.idempotency-key': [`order-1.${db16}`],
      'http.response.status_code': 200,
      'warehouse.supplier.answer': 'accepted',
    });
    const statusCalls = named(spans, 'GET /supplier/status/{ref}').sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(statusCalls.map((s) => [s.attributes['url.full'], s.attributes['http.response.status_code'], s.attributes['warehouse.supplier.answer']])).toEqual([
      [`${w.mock!.baseUrl}/supplier/status/R.order-1.${db16}.WIDGET`, 200, 'delayed'],
      [`${w.mock!.baseUrl}/supplier/status/R.order-1.${db16}.WIDGET`, 200, 'ok'],
    ]);
  });

  it('shows a transient supplier error as a failed run, and the retry as another run of the same job', async () => {
    const { w, exporter } = await traced({ WIDGET: { reserve: ['error', 'accepted'], status: 'ok' } });
    await w.tracing.inSpan('test', {}, () => w.orders.create({ sku: 'WIDGET', qty: 30 }));
    await w.runner.runUntilIdle();
    const spans = exporter.getFinishedSpans();
    const runs = named(spans, 'process ReserveInventory').sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(
      runs.map((r) => [r.attributes['messaging.message.id'], r.attributes['warehouse.job.attempt'], r.attributes['warehouse.job.outcome'], r.status.code]),
    ).toEqual([
      [runs[0]!.attributes['messaging.message.id'], 1, 'retry', SpanStatusCode.ERROR],
      [runs[0]!.attributes['messaging.message.id'], 2, 'awaiting-restock', SpanStatusCode.UNSET],
    ]);
    const failedCall = spans.find((s) => s.name === 'POST /supplier/reserve' && parentOf(s) === idOf(runs[0]!))!;
    expect(failedCall.status.code).toBe(SpanStatusCode.ERROR);
    expect(failedCall.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': 'http_error', 'warehouse.fault.owner': 'supplier' });
    expect(spans.find((s) => s.name === 'tx noted:SupplierCallFailed' && parentOf(s) === idOf(runs[0]!))).toBeDefined();
    // both runs, and the check after them, belong to the trace the order started in
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('continues the trace of a caller that sends a traceparent', async () => {
    const { w, exporter } = await traced({});
    await w.inventory.set('WIDGET', 5);
    const { server } = await serve(w);
    const caller = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    const res = await fetch(`${server.url}/api/order`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${caller.traceId}-${caller.spanId}-01` },
      body: '{"sku":"WIDGET","qty":1}',
    });
    expect(res.status).toBe(201);
    await server.close();
    const request = one(exporter.getFinishedSpans(), 'POST /api/order');
    expect(request.spanContext().traceId).toBe(caller.traceId);
    expect(parentOf(request)).toBe(caller.spanId);
    const reserve = one(exporter.getFinishedSpans(), 'process ReserveInventory');
    expect(reserve.spanContext().traceId).toBe(caller.traceId);
  });
});

describe('job headers', () => {
  it('are stored with each job in the transaction that enqueues it: the producer span and the order root', async () => {
    const { w, exporter, db } = await traced({});
    await w.tracing.inSpan('root', {}, () => w.orders.create({ sku: 'WIDGET', qty: 1 }));
    const spans = exporter.getFinishedSpans();
    const producer = one(spans, 'create ReserveInventory');
    const root = one(spans, 'root');
    const row = new Database(db, { readonly: true }).prepare('SELECT headers, id FROM jobs').get() as { headers: string; id: number };
    const headers = JSON.parse(row.headers);
    const { traceId } = producer.spanContext();
    expect(headers).toEqual({ traceparent: `00-${traceId}-${idOf(producer)}-01`, 'warehouse-root': `00-${traceId}-${idOf(root)}-01` });
    expect(producer.attributes['messaging.message.id']).toBe(String(row.id));
  });

  it("are the last run's when a group-commit batch runs again: one producer span per job, the one stored", async () => {
    const { w, exporter, db } = await traced({}, tempDb());
    // a write of the same turn that throws (no such dead letter): the batch is rolled back and run again
    const [created, refused] = await Promise.allSettled([
      w.tracing.inSpan('root', {}, () => w.orders.create({ sku: 'WIDGET', qty: 1 })),
      w.queue.retryDeadLetter('999', w.clock.now()),
    ]);
    expect([created.status, refused.status]).toEqual(['fulfilled', 'rejected']);
    const info = await w.store.info();
    if (info.database === 'sqlite' && process.env.WAREHOUSE_GROUP_COMMIT !== '0') expect(info.batchReruns).toBe(1);
    const producer = one(exporter.getFinishedSpans(), 'create ReserveInventory');
    const row = new Database(db, { readonly: true }).prepare('SELECT headers, id FROM jobs').get() as { headers: string; id: number };
    expect(JSON.parse(row.headers).traceparent).toBe(`00-${producer.spanContext().traceId}-${idOf(producer)}-01`);
    expect(producer.attributes['messaging.message.id']).toBe(String(row.id));
  });

  it("go with a dead-lettered job, so that `jobs retry` continues the order's trace", async () => {
    const { w, exporter } = await traced({ WIDGET: { reserve: 'error' } }, tempDb());
    await w.tracing.inSpan('root', {}, () => w.orders.create({ sku: 'WIDGET', qty: 1 }));
    await w.runner.runUntilIdle();
    const [dead] = await w.jobs.failed();
    await w.jobs.retry(dead!.id);
    await w.runner.runUntilIdle();
    const runs = named(exporter.getFinishedSpans(), 'process ReserveInventory');
    expect(runs).toHaveLength(6); // five attempts, then the retried job
    expect(new Set(runs.map((r) => r.spanContext().traceId)).size).toBe(1);
    expect(new Set(runs.map(parentOf))).toEqual(new Set([idOf(one(exporter.getFinishedSpans(), 'root'))]));
  });

  it('stay with their own order when group commit puts several orders in one transaction', async () => {
    const exporter = new InMemorySpanExporter();
    const db = tempDb();
    const w = await createWarehouse({
      database: { kind: 'sqlite', file: db, groupCommit: true },
      clock: 'virtual',
      virtualStart: START,
      noJobs: true,
      tracing: { exporters: [exporter] },
    });
    cleanup.push(() => w.close());
    // two orders in the same event-loop turn: one commit, planned in whichever turn flushes it
    await Promise.all(['a', 'b'].map((name) => w.tracing.inSpan(name, {}, () => w.orders.create({ sku: 'WIDGET', qty: 1 }))));
    const spans = exporter.getFinishedSpans();
    const rows = new Database(db, { readonly: true }).prepare('SELECT order_id AS orderId, headers FROM jobs ORDER BY id').all() as Array<{
      orderId: number;
      headers: string;
    }>;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const root = spans.find((s) => s.name === 'order create' && s.attributes['warehouse.order.id'] === row.orderId)!;
      const traceparent = JSON.parse(row.headers).traceparent as string;
      expect(traceparent.split('-')[1]).toBe(root.spanContext().traceId);
    }
    expect(new Set(rows.map((r) => JSON.parse(r.headers).traceparent.split('-')[1])).size).toBe(2);
  });

  it('are empty, and tracing a no-op, when tracing is off', async () => {
    const db = tempDb();
    const w = await testWarehouse({ db });
    cleanup.push(() => w.close());
    expect(w.tracing).toBe(NO_TRACING);
    await w.orders.create({ sku: 'WIDGET', qty: 1 });
    const row = new Database(db, { readonly: true }).prepare('SELECT headers FROM jobs').get() as { headers: string };
    expect(row.headers).toBe('{}');
  });
});

it('starts virtual span times at the virtual clock, not the wall clock', async () => {
  const { w, exporter } = await traced({});
  await w.orders.create({ sku: 'WIDGET', qty: 1 });
  const create = one(exporter.getFinishedSpans(), 'order create');
  expect(ms(create.startTime)).toBe(START);
  // and it is the first span of a trace of its own when nothing is around it
  expect(parentOf(create)).toBeUndefined();
});
