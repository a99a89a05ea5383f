/**
 * BullMQ's side of the faults, with real processes:
 * - a worker asked to stop (SIGTERM) mid-job finishes that job first;
 * - a worker killed mid-job (its supplier call unanswered): BullMQ's stalled check hands the job
 *   back, and another worker takes over the expired lease and finishes it — one reservation;
 * - Redis away: `/healthz` answers 503 naming the queue while orders are still accepted (they wait
 *   in the outbox), and once Redis is back (empty) they run.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { invariantsOf, rawSql, tempDb } from '../helpers.js';
import { kill, startServe, startWork } from './cluster.js';
import { privateRedis, redisOrSkip, testQueueUrl } from './support.js';

const haveRedis = await redisOrSkip('the BullMQ process tests');

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (performance.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A supplier whose first reserve call answers only when `answer()` is called (or never); later ones accept at once; every status is ok. */
async function stallingSupplier() {
  const reserves: string[] = [];
  let onFirst: () => void = () => {};
  const first = new Promise<void>((r) => (onFirst = r));
  let answerFirst: () => void = () => {};
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/supplier/reserve') {
        reserves.push(String(req.headers['idempotency-key']));
        if (reserves.length === 1) {
          answerFirst = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true,"ref":"R1"}');
          return onFirst(); // held until answered
        }
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true,"ref":"R1"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reserves,
    first,
    answer: () => answerFirst(),
    close: () => server.closeAllConnections(),
  };
}

describe.runIf(haveRedis)('BullMQ under process faults', () => {
  it('gives the job of a worker killed mid-job to another worker, which finishes it', { timeout: 60_000 }, async () => {
    const db = tempDb();
    const supplier = await stallingSupplier();
    const flags = ['--queue', testQueueUrl(), '--lease', '1s', '--check-delay', '100ms'];
    const engine = ['--database', db, '--supplier-url', supplier.url];
    const serve = await startServe(engine, ['--no-runner', ...flags]);
    const doomed = await startWork(engine, flags);
    const res = await fetch(`${serve.url}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"B","qty":1}' });
    const { id } = (await res.json()) as { id: number };
    await supplier.first; // the worker is inside the supplier call
    await kill(doomed);
    const [row] = await rawSql(db, `SELECT status, attempts FROM jobs WHERE order_id = ?`, [id]);
    expect(row).toMatchObject({ status: 'running', attempts: 1 });

    const rescuer = await startWork(engine, flags);
    await until(
      'the order reserved',
      async () => (await rawSql(db, `SELECT status FROM orders WHERE id = ?`, [id]))[0]!.status,
      (s) => s === 'reserved',
    );
    // the second run asked again under the same key: one reservation at the supplier
    expect(supplier.reserves).toEqual([expect.stringMatching(new RegExp(`^order-${id}\\.[0-9a-f]{16}$`)), supplier.reserves[0]]);
    // the takeover is a second run of the same attempt, which says it is asking again
    const events = await rawSql(db, `SELECT type, data FROM order_events WHERE order_id = ? ORDER BY id`, [id]);
    const asked = events
      .filter((e) => e.type === 'SupplierReservationRequested')
      .map((e) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data) as Record<string, unknown>);
    expect(asked).toEqual([expect.not.objectContaining({ again: true }), expect.objectContaining({ again: true, attempt: 1 })]);
    expect(events.at(-1)!.type).toBe('OrderReserved');
    for (const p of [serve, rescuer]) p.child.kill('SIGTERM');
    expect((await Promise.all([serve.exited, rescuer.exited])).map((e) => e.code)).toEqual([0, 0]);
    supplier.close();
    expect(await invariantsOf(db)).toEqual([]);
  });

  it('stops a worker on SIGTERM only once the job it runs has committed its result', { timeout: 60_000 }, async () => {
    const db = tempDb();
    const supplier = await stallingSupplier();
    const flags = ['--queue', testQueueUrl(), '--check-delay', '1h'];
    const engine = ['--database', db, '--supplier-url', supplier.url];
    const serve = await startServe(engine, ['--no-runner', ...flags]);
    const work = await startWork(engine, flags);
    const res = await fetch(`${serve.url}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"B","qty":1}' });
    const { id } = (await res.json()) as { id: number };
    await supplier.first; // the worker is inside the supplier call
    work.child.kill('SIGTERM');
    // it says it waits for its job, and does (still alive); then the supplier answers
    await until(
      'the worker draining',
      async () => work.stderr(),
      (e) => e.includes('waiting up to 10 s for 1 running job(s)'),
    );
    expect([work.child.exitCode, work.child.signalCode]).toEqual([null, null]);
    supplier.answer();
    expect((await work.exited).code).toBe(0);
    const [order] = await rawSql(db, `SELECT status, supplier_ref FROM orders WHERE id = ?`, [id]);
    expect(order).toEqual({ status: 'awaiting_restock', supplier_ref: 'R1' });
    expect(await rawSql(db, `SELECT type, status FROM jobs WHERE order_id = ?`, [id])).toEqual([{ type: 'CheckSupplierStatus', status: 'queued' }]);
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    supplier.close();
  });

  it('answers /healthz 503 while Redis is away, keeps accepting orders into the outbox, and runs them once Redis is back empty', {
    timeout: 60_000,
  }, async () => {
    const redis = await privateRedis();
    try {
      const db = tempDb();
      const serve = await startServe(['--database', db], ['--queue', `${redis.url}?prefix=h`, '--lease', '1s', '--check-delay', '100ms']);
      const health = async () => {
        const r = await fetch(`${serve.url}/healthz`);
        return { status: r.status, body: (await r.json()) as { detail?: string; runner?: string } };
      };
      expect(await until('healthy', health, (h) => h.status === 200)).toMatchObject({ body: { runner: expect.stringMatching(/idle|running/) } });
      await redis.kill();
      const order = async () =>
        (await (
          await fetch(`${serve.url}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"B","qty":1}' })
        ).json()) as { id: number; status: string };
      const a = await order();
      expect(a.status).toBe('pending');
      const sick = await until('unhealthy', health, (h) => h.status === 503);
      expect(sick.body.detail).toMatch(/^job runner degraded since .*: queue: redis: /);
      const b = await order();
      await redis.restart();
      await until('healthy again', health, (h) => h.status === 200);
      for (const o of [a, b]) {
        await until(
          `order ${o.id} final`,
          async () => (await rawSql(db, `SELECT status FROM orders WHERE id = ?`, [o.id]))[0]!.status,
          (s) => s === 'reserved',
        );
      }
      serve.child.kill('SIGTERM');
      expect((await serve.exited).code).toBe(0);
      expect(await invariantsOf(db)).toEqual([]);
    } finally {
      await redis.kill();
    }
  });
});
