/**
 * The database away while a BullMQ worker runs a job (PostgreSQL behind a TCP proxy the test cuts):
 * the run's end cannot be committed, so the job stays the worker's until its lease ends; BullMQ
 * delivers it again then, and the next run takes the expired lease over and finishes it — within a
 * few seconds, not the relay's 60 s bound for lost deliveries. No attempt is spent on it.
 */
import { createServer } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWarehouse, type Warehouse } from '../../src/wiring/warehouse.js';
import { tempPgUrl } from '../helpers.js';
import { pgUnavailable } from '../postgres/support.js';
import { redisOrSkip, testQueueUrl } from './support.js';

const haveBoth = (await redisOrSkip('the BullMQ database-trouble test')) && !(await pgUnavailable());
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP proxy to PostgreSQL that the test can cut (every connection dropped, new ones refused) and heal. */
async function proxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((inbound) => {
    if (down) return void inbound.destroy();
    const up = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [inbound, up]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(up).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => server.close());
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    heal: () => (down = false),
  };
}

describe.runIf(haveBoth)('the database away at the end of a BullMQ job', () => {
  it('delivers the job again when its lease ends, and the next run finishes it', { timeout: 60_000 }, async () => {
    const db = new URL(tempPgUrl());
    const link = await proxy(db);
    let onCall: () => void = () => {};
    const called = new Promise<void>((r) => (onCall = r));
    let release: () => void = () => {};
    const answered = new Promise<void>((r) => (release = r));
    let calls = 0;
    const supplier = createServer((req, res) => {
      req.resume();
      req.on('end', async () => {
        calls++;
        if (calls === 1) {
          onCall();
          await answered;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(req.url === '/supplier/reserve' ? '{"accepted":false}' : '{"status":"ok"}');
      });
    });
    await new Promise<void>((r) => supplier.listen(0, '127.0.0.1', r));
    cleanups.push(() => supplier.closeAllConnections());
    const w: Warehouse = await createWarehouse({
      database: link.url.toString(),
      queue: testQueueUrl(),
      clock: 'real',
      supplierUrl: `http://127.0.0.1:${(supplier.address() as AddressInfo).port}`,
      settings: { leaseMs: 1_000 },
    });
    cleanups.push(() => w.close());
    const unsettled: string[] = [];
    let onUnsettled: () => void = () => {};
    const firstUnsettled = new Promise<void>((r) => (onUnsettled = r));
    w.bus.on('job:unsettled', (e) => {
      unsettled.push(e.owner);
      onUnsettled();
    });
    let onSettled: (to: string) => void = () => {};
    const settled = new Promise<string>((r) => (onSettled = r));
    const stop = new AbortController();
    const running = w.runner.runForever(stop.signal);
    cleanups.push(async () => {
      stop.abort();
      await running;
    });

    const order = await w.orders.create({ sku: 'B', qty: 1 });
    w.bus.on('order:transition', (t) => t.orderId === order.id && (t.to === 'failed' || t.to === 'reserved') && onSettled(t.to));
    await called; // the worker is inside the supplier call
    link.cut();
    release(); // the answer arrives with the database gone: nothing can be committed
    await firstUnsettled; // the run's end could not be committed
    expect(unsettled).toEqual(['database']);
    link.heal();
    const t0 = performance.now();
    // the order's settling transition, made by the job's next delivery once its lease ended
    expect(await settled).toBe('failed'); // the supplier's rejection, committed by the second run
    expect(performance.now() - t0).toBeLessThan(15_000);
    const o = await w.orders.get(order.id);
    expect(o).toMatchObject({ failureReason: 'supplier_rejected' });
    expect(o.events.filter((e) => e.type === 'SupplierCallFailed')).toEqual([]);
    expect(calls).toBe(2);
  });
});
