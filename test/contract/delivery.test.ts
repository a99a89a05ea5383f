/**
 * The delivery contract: what a runner sees of its queue, the same tests for every way jobs are
 * delivered — the in-database queue (app/driver.ts claiming from the jobs table) and BullMQ on
 * Redis (src/adapters/bullmq: the outbox relay and the BullMQ driver) — on SQLite (`all` project)
 * and on PostgreSQL (`postgres` project). Real clock, short delays; every wait is on observable
 * state (the bus, the database), never a sleep. The BullMQ cases are skipped with one printed line
 * when no Redis answers (and fail under CI=true).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvents } from '../../src/app/bus.js';
import type { Settings } from '../../src/domain/settings.js';
import type { SupplierScript } from '../../src/domain/supplier-script.js';
import { createWarehouse, type Warehouse } from '../../src/wiring/warehouse.js';
import { freshDatabase, invariantsOf } from '../helpers.js';
import { redisOrSkip, testQueueUrl } from '../redis/support.js';

const FAST: Partial<Settings> = { checkDelayMs: 150, backoffBaseMs: 20, backoffCapMs: 100, leaseMs: 1_000, supplierTimeoutMs: 300 };

const haveRedis = await redisOrSkip('the BullMQ cases of the delivery contract');

const QUEUES: Array<{ name: string; queue: () => string | undefined; runs: boolean }> = [
  { name: 'the in-database queue', queue: () => undefined, runs: true },
  { name: 'BullMQ on Redis', queue: () => testQueueUrl(), runs: haveRedis },
];

interface Engine {
  w: Warehouse;
  starts: Array<BusEvents['job:start']>;
  completes: Array<BusEvents['job:complete']>;
  stop(): Promise<void>;
}

const open: Engine[] = [];
afterEach(async () => {
  for (const e of open.splice(0)) {
    await e.stop();
    await e.w.close();
  }
});

async function engine(
  opts: { db?: string; queue?: string; script?: SupplierScript; settings?: Partial<Settings>; run?: boolean } = {},
): Promise<Engine & { db: string }> {
  const db = opts.db ?? freshDatabase();
  const w = await createWarehouse({
    database: db,
    clock: 'real',
    queue: opts.queue,
    settings: { ...FAST, ...opts.settings },
    supplierScript: opts.script,
    seed: 1,
    pollMs: 50,
  });
  const starts: Engine['starts'] = [];
  const completes: Engine['completes'] = [];
  w.bus.on('job:start', (e) => starts.push(e));
  w.bus.on('job:complete', (e) => completes.push(e));
  const ctl = new AbortController();
  const running = opts.run === false ? Promise.resolve() : w.runner.runForever(ctl.signal);
  let stopped = false;
  const e = {
    w,
    db,
    starts,
    completes,
    async stop() {
      if (stopped) return;
      stopped = true;
      ctl.abort();
      await running;
    },
  };
  open.push(e);
  return e;
}

/** Polls the database until `check` holds (another process's commits have no event here). */
async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (performance.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const final = (w: Warehouse, id: number) =>
  until(
    `order ${id} final`,
    () => w.orders.get(id),
    (o) => o.status === 'reserved' || o.status === 'failed',
  );

for (const q of QUEUES) {
  describe.runIf(q.runs)(`jobs delivered by ${q.name}`, () => {
    it('runs each job once: an order from stock, and one through the supplier whose check waits until it is due', async () => {
      const e = await engine({ queue: q.queue() });
      await e.w.inventory.set('A', 1);
      const a = await e.w.orders.create({ sku: 'A', qty: 1 });
      const b = await e.w.orders.create({ sku: 'B', qty: 1 });
      expect((await final(e.w, a.id)).status).toBe('reserved');
      expect(await final(e.w, b.id)).toMatchObject({ status: 'reserved', supplierChecks: 1 });
      await until(
        'jobs done',
        () => e.w.jobs.counts(),
        (c) => c.queued + c.running === 0,
      );
      expect(e.starts.map((s) => `${s.job.orderId}:${s.job.type}`).sort()).toEqual(
        [`${a.id}:ReserveInventory`, `${b.id}:CheckSupplierStatus`, `${b.id}:ReserveInventory`].sort(),
      );
      const check = e.starts.find((s) => s.job.type === 'CheckSupplierStatus')!;
      expect(check.at).toBeGreaterThanOrEqual(check.job.runAt);
      expect(await invariantsOf(e.db)).toEqual([]);
    });

    it("retries the supplier's trouble with backoff, dead-letters the job when its attempts run out, and runs it again from the dead-letter store", async () => {
      const e = await engine({ queue: q.queue(), settings: { jobAttempts: 2 }, script: { '*': { reserve: ['error', 'error', 'error', 'error'] } } });
      const o = await e.w.orders.create({ sku: 'B', qty: 1 });
      expect(await final(e.w, o.id)).toMatchObject({ status: 'failed', failureReason: 'supplier_unavailable' });
      const [dead] = await until(
        'a dead letter',
        () => e.w.jobs.failed(),
        (d) => d.length === 1,
      );
      expect(dead).toMatchObject({ orderId: o.id, type: 'ReserveInventory', attempts: 2 });
      expect((await e.w.orders.get(o.id)).events.map((x) => x.type)).toContain('SupplierCallFailed');
      const again = await e.w.jobs.retry(dead!.id);
      await until(
        'the retried job run',
        async () => e.completes.filter((c) => c.job.id === again.id).length,
        (n) => n === 1,
      );
      expect(e.completes.find((c) => c.job.id === again.id)!.outcome).toMatch(/^skipped:/);
      expect(await e.w.jobs.counts()).toEqual({ queued: 0, running: 0, parked: 0, dead: 0 });
    });

    it('lets two runners on one database share the jobs, each job run once', async () => {
      const queue = q.queue();
      const one = await engine({ queue });
      const two = await engine({ queue, db: one.db });
      await one.w.inventory.set('S', 1_000);
      const ids = [];
      for (let i = 0; i < 40; i++) ids.push((await (i % 2 ? two : one).w.orders.create({ sku: 'S', qty: 1 })).id);
      for (const id of ids) expect((await final(one.w, id)).status).toBe('reserved');
      const runs = [...one.starts, ...two.starts].map((s) => s.job.orderId).sort((x, y) => x - y);
      expect(runs).toEqual([...ids].sort((x, y) => x - y));
      expect(await invariantsOf(one.db)).toEqual([]);
    });

    it('stops by letting the jobs in flight settle first', async () => {
      const e = await engine({ queue: q.queue(), script: { '*': { reserve: ['timeout', 'accepted'] } } });
      const o = await e.w.orders.create({ sku: 'B', qty: 1 });
      await until(
        'the job running',
        async () => e.starts.length,
        (n) => n === 1,
      );
      await e.stop(); // the supplier's timeout (300 ms) is still to come
      expect(e.w.runner.inFlight).toBe(0);
      const [job] = await e.w.jobs.list();
      expect(job).toMatchObject({ orderId: o.id, state: 'queued', lastError: expect.stringMatching(/timed out|timeout/i) });
      expect((await e.w.orders.get(o.id)).events.map((x) => x.type)).toContain('SupplierCallFailed');
    });

    it('runs until idle: returns once no job is queued, running or due later', async () => {
      const e = await engine({ queue: q.queue(), run: false });
      const o = await e.w.orders.create({ sku: 'B', qty: 1 });
      await e.w.runner.runUntilIdle();
      expect(await e.w.orders.get(o.id)).toMatchObject({ status: 'reserved', supplierChecks: 1 });
      expect(await e.w.jobs.counts()).toEqual({ queued: 0, running: 0, parked: 0, dead: 0 });
    });
  });
}
