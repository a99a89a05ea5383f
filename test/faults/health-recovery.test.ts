/**
 * `/healthz` right after the database's trouble ends: the runner, degraded and backing off on the
 * wall clock (250 ms doubling up to 30 s), is told by the health probe that the database answers
 * again and looks at once (`database:answered`, app/driver.ts), so the first probe after the
 * trouble says 200 instead of 503 until the backoff runs out (seen as a flaky "200 again" in
 * test/postgres/trouble.test.ts under load).
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/http/server.js';
import { groupCommit, tempDb } from '../helpers.js';
import { holdWriteLock } from './support.js';

describe('the health check after another process held the write lock', () => {
  it('says 200 on the first probe once the lock is gone, the runner out of its backoff', async () => {
    const file = tempDb();
    // writes give up after 100 ms, so the runner's claims fail quickly while the lock is held; the
    // runner is started by the test, once a job is due and the lock is held
    const server = await startServer({
      port: 0,
      logLevel: 'silent',
      runner: false,
      database: { kind: 'sqlite', file, busyTimeoutMs: 100, groupCommit: groupCommit() },
    });
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      const w = server.warehouse;
      await w.inventory.set('A', 1);
      const order = await w.orders.create({ sku: 'A', qty: 1 });
      // count the runner's failed claims: after the third it backs off 0.5–1 s
      const claim = w.queue.claim.bind(w.queue);
      let failed = 0;
      let thirdFailure!: () => void;
      const backingOff = new Promise<void>((resolve) => (thirdFailure = resolve));
      w.queue.claim = async (...args) => {
        try {
          return await claim(...args);
        } catch (error) {
          if (++failed === 3) thirdFailure();
          throw error;
        }
      };
      const lock = await holdWriteLock(file, 60_000);
      running = w.runner.runForever(stop.signal);
      await backingOff;
      expect(w.runnerStatus()).toMatchObject({ state: 'degraded' });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
      lock.release();
      await lock.released;
      // the first probe after the lock is gone: the database answers, and so does the runner
      const after = await fetch(`${server.url}/healthz`);
      expect(after.status).toBe(200);
      expect(await after.json()).toMatchObject({ status: 'ok', database: 'ok' });
      expect(w.runnerStatus()?.state).not.toBe('degraded');
      stop.abort();
      await running;
      expect((await w.orders.get(order.id)).status).toBe('reserved');
    } finally {
      stop.abort();
      await running;
      await server.close();
    }
  });
});
