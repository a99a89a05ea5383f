/**
 * The dashboard's API (src/http/routes/teaching.ts) on a real server: every answer checked
 * against the OpenAPI document (test/http/support.ts), bodies against their zod schemas. Waits
 * are on events (SSE frames, bus transitions, the paced clock settling), never on time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPacedClock } from '../../src/adapters/clock/paced.js';
import type { PacedClock } from '../../src/ports/clock.js';
import { createEventHub } from '../../src/http/routes/events.js';
import * as ts from '../../src/http/routes/teaching-schemas.js';
import { checkInvariants, testWarehouse } from '../helpers.js';
import { recordTransitions, rowCounts, testServer, type TestServer } from '../http/support.js';
import { testService } from '../supplier/support.js';
import { data, openStream, type Stream } from './sse.js';

const START = Date.UTC(2026, 0, 1, 9);
const servers: TestServer[] = [];
const streams: Stream[] = [];

async function paced(options: Parameters<typeof testServer>[0] = {}) {
  const clock = createPacedClock(START);
  const server = await testServer({ clock, ...options });
  servers.push(server);
  return { server, controls: clock.controls, clock: clock as PacedClock };
}

async function stream(server: TestServer, headers: Record<string, string> = {}) {
  const s = await openStream(`${server.url}/api/events`, headers);
  streams.push(s);
  return s;
}

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  for (const s of servers.splice(0)) {
    await s.close();
    expect(checkInvariants(s.db)).toEqual([]);
  }
});

describe('the clock API', () => {
  it('shows a real clock, and refuses to move it (409, with what to do)', async () => {
    const server = await testServer();
    servers.push(server);
    const r = await server.call('GET', '/api/clock');
    expect(ts.clockSchema.parse(r.body)).toMatchObject({ mode: 'real', paced: false, playing: true });
    const moved = await server.call('POST', '/api/clock', { json: { action: 'step' } });
    expect(moved.status).toBe(409);
    expect(moved.body.detail).toMatch(/real clock.*warehouse serve --clock virtual/);
  });

  it('steps, jumps, plays and pauses a paced clock', async () => {
    const { server, controls } = await paced();
    const rec = recordTransitions(server);
    const created = await server.call('POST', '/api/orders', { json: { sku: 'WIDGET', qty: 2 } });
    await rec.reached(created.body.id, 'awaiting_restock');
    await controls.settled();
    expect((await server.call('GET', '/api/clock')).body).toMatchObject({
      paced: true,
      now: '2026-01-01T09:00:00.000Z',
      next: '2026-01-01T09:00:15.000Z',
      playing: false,
    });
    const step = await server.call('POST', '/api/clock', { json: { action: 'step' } });
    expect(step.status).toBe(200);
    expect(ts.clockSchema.parse(step.body)).toMatchObject({ now: '2026-01-01T09:00:15.000Z', next: null });
    expect((await server.call('GET', `/api/orders/${created.body.id}`)).body.status).toBe('reserved');
    expect((await server.call('POST', '/api/clock', { json: { action: 'advance', seconds: 15 } })).body.now).toBe('2026-01-01T09:00:30.000Z');
    expect((await server.call('POST', '/api/clock', { json: { action: 'play', rate: 100 } })).body).toMatchObject({ playing: true, rate: 100 });
    const paused = await server.call('POST', '/api/clock', { json: { action: 'pause' } });
    expect(paused.body.playing).toBe(false);
    rec.stop();
  });

  it('names what is wrong with a clock action (422), and refuses it while the demo drives the clock (409)', async () => {
    const { server, controls } = await paced();
    const noRate = await server.call('POST', '/api/clock', { json: { action: 'play' } });
    expect(noRate).toMatchObject({ status: 422, body: { field: 'rate', detail: 'invalid rate: play needs a rate: 1, 10 or 100' } });
    expect((await server.call('POST', '/api/clock', { json: { action: 'play', rate: 7 } })).body.field).toBe('rate');
    expect((await server.call('POST', '/api/clock', { json: { action: 'rewind' } })).body.field).toBe('action');
    expect((await server.call('POST', '/api/clock', { json: { action: 'advance' } })).body).toMatchObject({
      field: 'seconds',
      detail: 'invalid seconds: advance needs seconds, a whole number from 1 to 86400',
    });
    expect((await server.call('POST', '/api/clock', { json: { action: 'step', by: 1 } })).body.field).toBe('by');
    controls.lock('the demo');
    const locked = await server.call('POST', '/api/clock', { json: { action: 'step' } });
    expect(locked.status).toBe(409);
    expect(locked.body.detail).toMatch(/^the demo drives the clock/);
  });
});

describe('writes need the token when the server has one', () => {
  it('refuses the clock, scripts and retries without it (401), and takes them with it', async () => {
    const { server } = await paced({ token: 'class-secret' });
    const before = rowCounts(server.db);
    expect((await server.call('POST', '/api/clock', { json: { action: 'step' } })).status).toBe(401);
    expect((await server.call('PUT', '/api/supplier/scripts/WIDGET', { json: { status: ['fail'] } })).status).toBe(401);
    expect((await server.call('POST', '/api/jobs/dead-letters/1/retry')).status).toBe(401);
    expect((await server.call('POST', '/api/jobs/1/resume')).status).toBe(401);
    expect(rowCounts(server.db)).toEqual(before);
    expect((await server.call('GET', '/api/overview')).body.auth).toBe(true);
    const auth = { authorization: 'Bearer class-secret' };
    expect((await server.call('POST', '/api/clock', { json: { action: 'step' }, headers: auth })).status).toBe(200);
    expect((await server.call('PUT', '/api/supplier/scripts/WIDGET', { json: { status: ['fail'] }, headers: auth })).status).toBe(200);
  });
});

describe('explain, jobs and dead letters', () => {
  it('explains an order (404 for an unknown one, 422 for a bad id)', async () => {
    const { server, controls } = await paced({ supplierScript: { WIDGET: { status: ['delayed', 'ok'] } } });
    const created = await server.call('POST', '/api/orders', { json: { sku: 'WIDGET', qty: 2 } });
    await controls.settled();
    await controls.advanceBy(60_000);
    const r = await server.call('GET', `/api/orders/${created.body.id}/explain`);
    expect(ts.explanationSchema.parse(r.body)).toMatchObject({ status: 'reserved', pathText: 'pending → awaiting_restock → reserved', next: null });
    expect(r.body.summary).toContain('checked at +15 s (delayed), +30 s (ok)');
    expect((await server.call('GET', '/api/orders/99/explain')).status).toBe(404);
    expect((await server.call('GET', '/api/orders/x/explain')).status).toBe(422);
  });

  it("counts the last minute's finished jobs on the server, on the engine's clock: the same for every page, gone a minute later", async () => {
    const { server, controls } = await paced();
    const rec = recordTransitions(server);
    const created = await server.call('POST', '/api/orders', { json: { sku: 'WIDGET', qty: 2 } });
    await rec.reached(created.body.id, 'awaiting_restock');
    await controls.settled();
    // the ReserveInventory job completed: one done, whoever asks (a page loaded later too)
    const first = ts.jobListSchema.parse((await server.call('GET', '/api/jobs')).body);
    expect(first.lastMinute).toEqual({ complete: 1, retry: 0, dead: 0 });
    expect(ts.jobListSchema.parse((await server.call('GET', '/api/jobs')).body).lastMinute).toEqual(first.lastMinute);
    await server.call('POST', '/api/clock', { json: { action: 'step' } });
    expect(ts.jobListSchema.parse((await server.call('GET', '/api/jobs')).body).lastMinute).toEqual({ complete: 2, retry: 0, dead: 0 });
    // a minute of the engine's clock later, both have left the window
    await server.call('POST', '/api/clock', { json: { action: 'advance', seconds: 61 } });
    expect(ts.jobListSchema.parse((await server.call('GET', '/api/jobs')).body).lastMinute).toEqual({ complete: 0, retry: 0, dead: 0 });
    rec.stop();
  });

  it('lists the queue, and retries a dead letter once (then 404)', async () => {
    const { server, controls } = await paced({ settings: { jobAttempts: 1 }, supplierScript: { BOLT: { reserve: 'error' } } });
    await server.call('POST', '/api/orders', { json: { sku: 'NUT', qty: 1 } });
    await controls.settled();
    const list = await server.call('GET', '/api/jobs');
    expect(ts.jobListSchema.parse(list.body)).toMatchObject({
      counts: { queued: 1 },
      truncated: false,
      jobs: [{ type: 'CheckSupplierStatus', state: 'queued', runAt: '2026-01-01T09:00:15.000Z' }],
    });
    expect((await server.call('GET', '/api/jobs?limit=0')).status).toBe(422);

    const rec = recordTransitions(server);
    const bolt = await server.call('POST', '/api/orders', { json: { sku: 'BOLT', qty: 1 } });
    await rec.reached(bolt.body.id, 'failed');
    const dead = await server.call('GET', '/api/jobs/dead-letters');
    expect(dead.body).toHaveLength(1);
    const [letter] = dead.body.map((d: unknown) => ts.deadLetterSchema.parse(d));
    expect(letter).toMatchObject({ type: 'ReserveInventory', orderId: bolt.body.id, attempts: 1, retriedAt: null });
    const retried = await server.call('POST', `/api/jobs/dead-letters/${letter.id}/retry`);
    expect(retried.status).toBe(201);
    expect(ts.enqueuedJobSchema.parse(retried.body)).toMatchObject({ type: 'ReserveInventory', orderId: bolt.body.id });
    expect((await server.call('POST', `/api/jobs/dead-letters/${letter.id}/retry`)).status).toBe(404);
    expect((await server.call('GET', '/api/jobs/dead-letters')).body).toEqual([]);
    expect((await server.call('GET', '/api/jobs/dead-letters?all=true')).body[0].retriedAt).not.toBeNull();
    const timeline = (await server.call('GET', `/api/orders/${bolt.body.id}`)).body.events.map((e: { type: string }) => e.type);
    expect(timeline).toContain('JobRetried');
    expect((await server.call('POST', '/api/jobs/77/resume')).status).toBe(404);
    rec.stop();
  });
});

describe('scripting the supplier', () => {
  it('scripts the in-process mock for new orders of a SKU, and lists what was set', async () => {
    const { server, controls } = await paced();
    const set = await server.call('PUT', '/api/supplier/scripts/gizmo', { json: { reserve: ['accepted'], status: ['fail'] } });
    expect(ts.supplierScriptSchema.parse(set.body)).toEqual({ sku: 'GIZMO', reserve: ['accepted'], status: ['fail'] });
    const created = await server.call('POST', '/api/orders', { json: { sku: 'GIZMO', qty: 1 } });
    await controls.settled();
    await controls.step();
    expect((await server.call('GET', `/api/orders/${created.body.id}`)).body).toMatchObject({ status: 'failed', failureReason: 'supplier_failed' });
    expect((await server.call('PUT', '/api/supplier/scripts/*', { json: { reserve: ['rejected'] } })).status).toBe(200);
    expect(ts.supplierScriptsSchema.parse((await server.call('GET', '/api/supplier/scripts')).body)).toMatchObject({
      supplier: 'mock',
      scripts: [{ sku: 'GIZMO' }, { sku: '*' }],
    });
  });

  it('names a wrong answer (422) and stores nothing', async () => {
    const { server } = await paced();
    const r = await server.call('PUT', '/api/supplier/scripts/GIZMO', { json: { status: ['maybe'] } });
    expect(r.status).toBe(422);
    expect(r.body.field).toBe('status.0');
    expect(r.body.detail).toMatch(/ok, fail, delayed, error, timeout, malformed/);
    expect((await server.call('PUT', '/api/supplier/scripts/GIZMO', { json: { status: [] } })).status).toBe(422);
    expect((await server.call('GET', '/api/supplier/scripts')).body.scripts).toEqual([]);
  });

  describe('with --supplier-url', () => {
    let supplier: ReturnType<typeof createServer>;
    let url: string;
    const received: Array<{ method: string; path: string; body: string }> = [];
    let answer = 200;
    beforeAll(async () => {
      supplier = createServer((req: IncomingMessage, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          received.push({ method: req.method!, path: req.url!, body });
          res.writeHead(answer, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => supplier.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(supplier.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => supplier.close(() => r())));

    it("forwards a script to the supplier service's PUT /mock/scripts/{sku}, and says so when it cannot take one (502)", async () => {
      const { server } = await paced({ supplierUrl: url });
      expect((await server.call('PUT', '/api/supplier/scripts/WIDGET', { json: { status: ['delayed', 'ok'] } })).status).toBe(200);
      expect(received).toEqual([{ method: 'PUT', path: '/mock/scripts/WIDGET', body: JSON.stringify({ status: ['delayed', 'ok'] }) }]);
      answer = 404;
      const refused = await server.call('PUT', '/api/supplier/scripts/WIDGET', { json: { status: ['ok'] } });
      expect(refused.status).toBe(502);
      expect(refused.body.detail).toMatch(/answered 404 to PUT \/mock\/scripts\/WIDGET; only `warehouse supplier serve` can be scripted/);
    });
  });

  it('sends the configured supplier token to `warehouse supplier serve`, and names a missing one', async () => {
    const token = 'supplier-token-0123456789abcdefghij';
    const supplier = await testService({ token });
    const { server } = await paced({ supplierUrl: supplier.url, supplierToken: token });
    expect((await server.call('PUT', '/api/supplier/scripts/WIDGET', { json: { reserve: ['rejected'] } })).status).toBe(200);
    expect((await supplier.state.listScripts()).map((s) => s.sku)).toEqual(['WIDGET']);
    const without = await paced({ supplierUrl: supplier.url });
    const refused = await without.server.call('PUT', '/api/supplier/scripts/GIZMO', { json: { reserve: ['rejected'] } });
    expect(refused.status).toBe(502);
    expect(refused.body.detail).toMatch(/answered 401 .*wants a bearer token this server was not given.*WAREHOUSE_SUPPLIER_TOKEN/);
  });
});

describe('the overview', () => {
  it('counts orders per state, and reports the queue, the check, the stock and the settings', async () => {
    const { server, controls } = await paced({ supplierScript: { NUT: { reserve: 'rejected' } } });
    await server.call('PUT', '/api/inventory/WIDGET', { json: { onHand: 5 } });
    for (const sku of ['WIDGET', 'GADGET', 'NUT']) await server.call('POST', '/api/orders', { json: { sku, qty: 2 } });
    await controls.settled();
    const o = ts.overviewSchema.parse((await server.call('GET', '/api/overview')).body);
    expect(o).toMatchObject({
      orders: { pending: 0, awaiting_restock: 1, reserved: 1, failed: 1 },
      jobs: { queued: 1 },
      auth: false,
      supplier: 'mock',
      clock: { paced: true },
    });
    expect(o.settings).toMatchObject({ checkDelayMs: 15_000, maxDelayedRetries: 2 });
    expect((await server.call('GET', '/api/inventory')).body).toEqual([
      expect.objectContaining({ sku: 'WIDGET', onHand: 5, reserved: 2, available: 3, version: 2 }),
    ]);
    expect(ts.checkSchema.parse((await server.call('GET', '/api/check')).body)).toEqual({ ok: true, violations: [] });
  });
});

describe('the page', () => {
  it('serves the dashboard with a policy that allows this origin only, and its modules; nothing else', async () => {
    const { server } = await paced();
    const page = await server.call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.text).toContain('<script type="module" src="/dashboard/app.js">');
    expect(page.text).not.toMatch(/https?:\/\//);
    const js = await server.call('GET', '/dashboard/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // the stream, with a one-stream ticket when this tab has a token (an EventSource cannot send it)
    expect(js.text).toContain("'/api/events'");
    expect(js.text).toContain("api('POST', '/api/events/tickets')");
    for (const bad of ['/dashboard/nope.js', '/dashboard/..%2Fpackage.json', '/dashboard/%2E%2E%2Findex.html'])
      expect((await server.call('GET', bad)).status).toBe(404);
  });
});

describe('the event stream', () => {
  it('carries the engine events with ids, and a stock change made through the API', async () => {
    const { server, controls } = await paced();
    const s = await stream(server);
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const hello = await s.next((f) => f.event === 'hello');
    expect(hello.id).toMatch(/^[a-z0-9]+-\d+$/);
    const start = Number(hello.id!.split('-')[1]); // the runner's state changes came first
    await server.call('PUT', '/api/inventory/WIDGET', { json: { onHand: 5 } });
    expect(data(await s.next((f) => f.event === 'stock:changed'))).toEqual({ sku: 'WIDGET' });
    await server.call('POST', '/api/orders', { json: { sku: 'WIDGET', qty: 2 } });
    const t = await s.next((f) => f.event === 'order:transition');
    expect(data(t)).toMatchObject({ orderId: 1, from: 'pending', to: 'reserved', at: '2026-01-01T09:00:00.000Z' });
    const ids = s.frames.filter((f) => f.id !== null && f.event !== 'hello').map((f) => Number(f.id!.split('-')[1]));
    expect(ids).toEqual(ids.map((_, i) => start + i + 1));
    await controls.advanceBy(1_000);
    // clock frames are throttled: one the order's run set off may still come first, with the old time
    const moved = await s.next((f) => f.event === 'clock' && data(f).now !== '2026-01-01T09:00:00.000Z');
    expect(data(moved)).toMatchObject({ now: '2026-01-01T09:00:01.000Z' });
  });

  it('resumes after Last-Event-ID with exactly the events missed, and tells a client from another process to reset', async () => {
    const { server } = await paced();
    const first = await stream(server);
    await server.call('PUT', '/api/inventory/WIDGET', { json: { onHand: 5 } });
    const seen = await first.next((f) => f.event === 'stock:changed');
    first.close();
    const rec = recordTransitions(server);
    await server.call('POST', '/api/orders', { json: { sku: 'WIDGET', qty: 1 } });
    await rec.reached(1, 'reserved');
    rec.stop();
    const resumed = await stream(server, { 'last-event-id': seen.id! });
    await resumed.next((f) => f.event === 'order:transition');
    expect(resumed.frames[0]!.event).toBe('order:event');
    expect(resumed.frames.some((f) => f.event === 'hello' || f.event === 'reset')).toBe(false);
    expect(Number(resumed.frames[0]!.id!.split('-')[1])).toBe(Number(seen.id!.split('-')[1]) + 1);

    const stranger = await stream(server, { 'last-event-id': 'abc123-5' });
    const reset = await stranger.next((f) => f.event === 'reset');
    expect(data(reset).reason).toMatch(/another server process/);
    const query = await openStream(`${server.url}/api/events?lastEventId=abc123-5`);
    streams.push(query);
    expect((await query.next((f) => f.event === 'reset')).event).toBe('reset');
  });

  it('tells a client whose id is older than the kept events to reset, and resumes one that is just in', async () => {
    const w = await testWarehouse();
    const { hub, attach, epoch } = createEventHub(w, { ringSize: 3 });
    for (let i = 0; i < 5; i++) hub.publish('stock:changed', { sku: `S${i}` });
    const fake = () => {
      const written: string[] = [];
      return {
        written,
        res: { writableLength: 0, write: (s: string) => written.push(s), on: () => undefined, end: () => undefined } as unknown as ServerResponse,
      };
    };
    const tooOld = fake();
    attach(tooOld.res, `${epoch}-1`); // events 3, 4, 5 are kept: 2 is lost
    expect(tooOld.written.join('')).toMatch(/event: reset\ndata: .*no longer kept \(the last 3 are\)/);
    const justIn = fake();
    attach(justIn.res, `${epoch}-2`);
    expect(justIn.written.join('').match(/^id: .*$/gm)).toEqual([`id: ${epoch}-3`, `id: ${epoch}-4`, `id: ${epoch}-5`]);
    const future = fake();
    attach(future.res, `${epoch}-9`);
    expect(future.written.join('')).toContain('event: reset');
    hub.close();
    await w.close();
  });

  it('sends a heartbeat on a quiet stream, and ends every stream when the server closes', async () => {
    const { server } = await paced({ eventHeartbeatMs: 40 });
    const s = await stream(server);
    expect((await s.next((f) => f.comment === 'heartbeat')).comment).toBe('heartbeat');
    servers.splice(servers.indexOf(server), 1);
    await server.close();
    await s.ended;
    expect(checkInvariants(server.db)).toEqual([]);
  });
});
