/**
 * Issue 9, reproductions 1–3: another process holds the database's write lock for seconds while
 * `serve` and `work` run orders (some from stock, some through the supplier service). Before, the
 * busy database failed orders `supplier_unavailable`, stopped the runner for good and froze the
 * event loop (so supplier replies that had arrived were counted as timeouts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkInvariants, runCli, tempDir } from '../helpers.js';
import { eventLoopLagMaxMs, holdWriteLock, post, spawnCli, supplierService, untilAllFinal, type OrderJson } from './support.js';

const FAST = ['--check-delay', '500ms', '--backoff-base', '100ms', '--backoff-cap', '500ms', '--lease', '3s'];
/** writes give up after 1.5 s; the lock is held for 3 s, longer than that */
const BUSY = { WAREHOUSE_BUSY_TIMEOUT_MS: '1500' };

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

describe('another process holding the write lock for seconds, during serve + work under load', () => {
  it('fails no order, keeps the runner alive, and keeps the event loop free (health and reads answer at once)', { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const db = join(dir, 'engine.db');
    const supplierUrl = await supplierService(dir);
    expect((await runCli(['--db', db, 'inventory', 'set', 'LOCAL', '40'])).code).toBe(0);
    const engine = ['--db', db, '--supplier-url', supplierUrl];
    const serve = spawnCli([...engine, 'serve', '--port', '0', '--rate-limit', '0', ...FAST], BUSY);
    const [, api] = await serve.waitFor(/listening on (http:\/\/\S+) /);
    const work = spawnCli([...engine, 'work', ...FAST], BUSY);
    await work.waitFor(/Ctrl-C to stop/);

    const order = (sku: string) => post(api!, '/api/orders', { sku, qty: 1 });
    // load before the lock: stock and supplier orders
    for (let i = 0; i < 10; i++) expect((await order(i % 2 ? 'LOCAL' : 'SUPPLIED')).status).toBe(201);

    await eventLoopLagMaxMs(api!); // starts the lag window
    const lock = await holdWriteLock(db, 3_000);
    // while it is held: more orders arrive (their writes wait, or get 503 past the busy timeout and
    // are retried by the client, as Retry-After says), and health and reads must answer at once
    const writes = Array.from({ length: 10 }, async (_, i) => {
      for (;;) {
        const r = await order(i % 2 ? 'LOCAL' : 'SUPPLIED');
        if (r.status !== 503) return r;
        await new Promise((resolve) => setTimeout(resolve, 250)); // the client's retry, as Retry-After asks
      }
    });
    const probes: Array<{ health: number; read: number; healthStatus: number; readStatus: number }> = [];
    let held = true;
    void lock.released.then(() => (held = false));
    while (held) {
      const health = await timed(() => fetch(`${api}/healthz`));
      const read = await timed(() => fetch(`${api}/api/orders/1`));
      probes.push({ health: health.ms, read: read.ms, healthStatus: health.value.status, readStatus: read.value.status });
      await new Promise((resolve) => setTimeout(resolve, 100)); // sampling interval
    }
    const lagMs = await eventLoopLagMaxMs(api!);
    const created = await Promise.all(writes);
    for (const r of created) expect(r.status).toBe(201);

    const orders = await untilAllFinal(api!);
    expect(orders).toHaveLength(20);
    // every order could be reserved (40 on hand for 10 local; the supplier says ok): all are
    expect(orders.filter((o) => o.status !== 'reserved').map((o) => `${o.id} ${o.status} ${o.failureReason}`)).toEqual([]);
    // no supplier reply was counted as a timeout because the process was stuck
    const timeouts = orders.flatMap((o: OrderJson) => (o.events ?? []).filter((e) => e.type === 'SupplierCallFailed' && e.data.kind === 'timeout'));
    expect(timeouts).toEqual([]);

    expect(probes.length).toBeGreaterThanOrEqual(5);
    expect(probes.every((p) => p.readStatus === 200)).toBe(true);
    // the event loop never waited on the lock
    expect(lagMs).toBeLessThan(100);
    const slowest = Math.max(...probes.map((p) => Math.max(p.health, p.read)));
    expect(slowest).toBeLessThan(100);

    // the runner is alive: healthy again, and it runs a new order
    const after = await (await fetch(`${api}/healthz`)).json();
    expect(after).toMatchObject({ status: 'ok', database: 'ok' });
    const late = await order('LOCAL');
    expect(late.status).toBe(201);
    const final = await untilAllFinal(api!);
    expect(final.find((o) => o.id === late.body.id)?.status).toBe('reserved');

    serve.child.kill('SIGTERM');
    work.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    expect((await work.exited).code).toBe(0);
    expect(checkInvariants(db)).toEqual([]);
    console.log(`lock held 3 s: ${probes.length} probes, slowest ${slowest.toFixed(1)} ms; event-loop lag max ${lagMs.toFixed(1)} ms; health during the lock: ${[...new Set(probes.map((p) => p.healthStatus))].join(', ')}`);
  });
});
