/**
 * The database's trouble is not the supplier's (docs/design.md §7): a lock held past the lock timeout
 * defers a job without spending an attempt; a server that goes away makes `/healthz` say 503; an
 * engine that closes leaves no connection behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { poolConfig } from '../../src/adapters/postgres/connection.js';
import { BIN, ROOT, tempPgUrl, tempSchema, testWarehouse } from '../helpers.js';
import { PG_TEST_URL } from './support.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function client(schema?: string) {
  const c = new pg.Client(poolConfig({ url: PG_TEST_URL, schema }));
  await c.connect();
  cleanups.push(() => c.end());
  return c;
}

/** A TCP proxy to the test server that the test can cut (as a network or a server failure would) and heal. */
async function proxy() {
  const target = new URL(PG_TEST_URL);
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
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    down = true;
    for (const s of sockets) s.destroy();
  };
  cleanups.push(() => {
    cut();
    server.close();
  });
  const url = new URL(PG_TEST_URL);
  url.host = `127.0.0.1:${port}`;
  return { url, cut, heal: () => (down = false) };
}

describe('database trouble on PostgreSQL', () => {
  it('defers a job whose row lock outlasts the lock timeout, spending no attempt; the order is reserved once the lock goes', async () => {
    const schema = tempSchema();
    const url = new URL(tempPgUrl(schema));
    url.searchParams.set('options', '-c synchronous_commit=off -c lock_timeout=100');
    const w = await testWarehouse({ db: url.toString(), settings: { reserveStrategy: 'atomic' } });
    cleanups.push(() => w.close());
    await w.inventory.set('A', 5);
    const holder = await client(schema);
    await holder.query('BEGIN');
    await holder.query(`SELECT * FROM inventory WHERE sku = 'A' FOR UPDATE`);
    const order = await w.orders.create({ sku: 'A', qty: 1 });
    const deferred = new Promise((resolve) => w.bus.on('job:retry', (e) => e.owner === 'database' && resolve(e)));
    const run = w.runner.runUntilIdle();
    await deferred;
    await holder.query('ROLLBACK');
    await run;
    const done = await w.orders.get(order.id);
    expect(done.status).toBe('reserved');
    const deferrals = done.events.filter((e) => e.type === 'JobDeferred');
    expect(deferrals.length).toBeGreaterThan(0);
    expect(deferrals[0]!.data).toMatchObject({ owner: 'database', kind: 'busy', attempt: 1 });
    expect(done.events.some((e) => e.type === 'SupplierCallFailed')).toBe(false);
    expect(await w.jobs.failed()).toEqual([]);
    expect(await w.store.audit()).toEqual([]);
  });

  it('answers /healthz 503 once the server cannot be reached, and 200 again when it can', async () => {
    const { url, cut, heal } = await proxy();
    url.searchParams.set('schema', tempSchema());
    const serve: ChildProcess = spawn(process.execPath, [BIN, '--database', url.toString(), '--json', 'serve', '--port', '0', '--log-level', 'silent'], {
      cwd: ROOT,
      env: { ...process.env, WAREHOUSE_DB: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => serve.on('close', r));
    cleanups.push(async () => {
      serve.kill('SIGKILL');
      await exited;
    });
    const base = await new Promise<string>((resolve, reject) => {
      serve.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString().split('\n')[0]!).url));
      serve.once('close', (code) => reject(new Error(`serve exited ${code}`)));
    });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    cut();
    const down = await fetch(`${base}/healthz`);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toMatch(/application\/problem\+json/);
    heal();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // SIGTERM still stops it cleanly, with its database gone
    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('leaves no connection open once an engine is closed', async () => {
    const name = `h_pg_close_${process.pid}`;
    const url = new URL(tempPgUrl());
    url.searchParams.set('application_name', name);
    const w = await testWarehouse({ db: url.toString(), clock: 'real' });
    await Promise.all(Array.from({ length: 5 }, (_, i) => w.inventory.set(`S${i}`, i)));
    const admin = await client();
    const count = async () => (await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [name])).rows[0].n as number;
    expect(await count()).toBeGreaterThan(0);
    await w.close();
    for (let i = 0; i < 50 && (await count()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await count()).toBe(0);
  });
});
