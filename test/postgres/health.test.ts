/**
 * Matrix finding M1 (docs/reliability.md): on PostgreSQL `/healthz` ran `SELECT 1`, which no table
 * lock stops, so it said 200 while another session's `LOCK TABLE` made every write wait and fail.
 * Now every health check probes, without waiting, the lock a write takes on each table the engine
 * writes, and reports the fault the last write met (a transaction, or a claim of jobs) while the
 * probe fails.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { poolConfig } from '../../src/adapters/postgres/connection.js';
import { startServer } from '../../src/http/server.js';
import { tempPgUrl, tempSchema, testWarehouse } from '../helpers.js';
import { PG_TEST_URL } from './support.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function engine(opts: { lockTimeout?: boolean } = {}) {
  const schema = tempSchema();
  const url = new URL(tempPgUrl(schema));
  if (opts.lockTimeout !== false) url.searchParams.set('options', '-c lock_timeout=100');
  const w = await testWarehouse({ db: url.toString(), noJobs: true });
  cleanups.push(() => w.close());
  const holder = new pg.Client(poolConfig({ url: PG_TEST_URL, schema }));
  await holder.connect();
  cleanups.push(() => holder.end());
  return { w, holder };
}

describe('health on PostgreSQL while another session locks the tables', () => {
  it("reports the write's busy fault on /healthz while the lock lasts, and 200 once it is gone", async () => {
    const { w, holder } = await engine();
    await w.inventory.set('A', 5);
    const server = await startServer({ warehouse: w, port: 0, runner: false, logLevel: 'silent' });
    cleanups.push(() => server.close());
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE orders, inventory, jobs IN ACCESS EXCLUSIVE MODE');

    const error = await w.inventory.set('A', 6).catch((e: unknown) => e);
    expect(error).toMatchObject({ fault: 'busy' });
    expect(await w.health()).toMatchObject({ ok: false, fault: 'busy' });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { detail: string }).detail).toMatch(/^database busy: .*not granted/);

    await holder.query('ROLLBACK');
    // no write needed: the probe finds the tables free
    expect(await w.health()).toEqual({ ok: true });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await w.inventory.set('A', 6)).onHand).toBe(6);
  });

  it('remembers a claim of jobs that met the lock too, until the tables are free and a write commits', async () => {
    const { w, holder } = await engine();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE');
    await expect(w.queue.claim(Date.now(), 1, 'worker', 1_000)).rejects.toMatchObject({ fault: 'busy' });
    expect(await w.health()).toMatchObject({ ok: false, fault: 'busy' });
    await holder.query('ROLLBACK');
    await w.inventory.set('B', 1);
    expect(await w.health()).toEqual({ ok: true });
  });

  it('says 503 while writes only wait behind the lock (none has failed yet), and 200 once they went through', async () => {
    const { w, holder } = await engine({ lockTimeout: false });
    await w.inventory.set('A', 5);
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE orders, inventory, jobs IN ACCESS EXCLUSIVE MODE');
    const waiting = w.inventory.set('A', 6);
    const health = await w.health();
    expect(health).toMatchObject({ ok: false, fault: 'busy' });
    await holder.query('ROLLBACK');
    expect((await waiting).onHand).toBe(6);
    expect(await w.health()).toEqual({ ok: true });
  });
});
