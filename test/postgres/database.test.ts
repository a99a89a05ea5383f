/**
 * The PostgreSQL database itself: migrations (once, under an advisory lock, in the schema asked
 * for), the triggers generated from the domain's transition table, and the errors of a server
 * that is busy, in conflict or gone.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolConfig } from '../../src/adapters/postgres/connection.js';
import { describePgError } from '../../src/adapters/postgres/errors.js';
import { orderGuardFunctionSql } from '../../src/adapters/postgres/guards.js';
import { openPostgresBackend } from '../../src/adapters/postgres/index.js';
import { PG_MIGRATIONS_FOLDER } from '../../src/adapters/postgres/migrate.js';
import { DatabaseError } from '../../src/domain/errors.js';
import { canTransition, ORDER_STATUSES } from '../../src/domain/order.js';
import { ROOT, tempSchema } from '../helpers.js';
import { PG_TEST_URL } from './support.js';

let admin: pg.Client;
beforeAll(async () => {
  admin = new pg.Client(poolConfig({ url: PG_TEST_URL }));
  await admin.connect();
});
afterAll(() => admin.end());

const migrationFiles = () => readdirSync(PG_MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql'));

/** Runs dist's migrate() in a process of its own; prints how many migrations it applied. */
function migrateInProcess(schema: string): Promise<{ code: number | null; out: string }> {
  const script = `
    const { openPgConnection } = await import(${JSON.stringify(join(ROOT, 'dist/adapters/postgres/connection.js'))});
    const { migrate } = await import(${JSON.stringify(join(ROOT, 'dist/adapters/postgres/migrate.js'))});
    const c = openPgConnection({ url: ${JSON.stringify(PG_TEST_URL)}, schema: ${JSON.stringify(schema)} });
    try { console.log(await migrate(c.pool, c.schema)); } finally { await c.close(); }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: out.trim() }));
  });
}

describe('PostgreSQL migrations', () => {
  it('migrates a new schema once when two processes open it at the same moment', async () => {
    const schema = tempSchema();
    // hold the migration lock, so both processes get past their first look and queue on it
    const key = `warehouse:migrate:${schema}`;
    await admin.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
    const both = Promise.all([migrateInProcess(schema), migrateInProcess(schema)]);
    for (let waiting = 0; waiting < 2; ) {
      await new Promise((r) => setTimeout(r, 50));
      const r = await admin.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
      waiting = r.rows[0].n;
    }
    await admin.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    const results = await both;
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(results.map((r) => Number(r.out)).sort()).toEqual([0, migrationFiles().length]);
    const applied = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".__drizzle_migrations`);
    expect(applied.rows[0].n).toBe(migrationFiles().length);
  });

  it("puts every table in the schema asked for, and one schema never sees another one's rows", async () => {
    const [a, b] = [tempSchema(), tempSchema()];
    const one = await openPostgresBackend({ url: PG_TEST_URL, schema: a });
    const two = await openPostgresBackend({ url: PG_TEST_URL, schema: b });
    await one.store.setOnHand('A', 5, 0);
    expect(await two.store.listInventory()).toEqual([]);
    expect((await one.store.listInventory()).map((i) => i.sku)).toEqual(['A']);
    const tables = await admin.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [a]);
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      '__drizzle_migrations',
      'api_tokens',
      'dead_letters',
      'engine_meta',
      'idempotency_keys',
      'inventory',
      'jobs',
      'movements',
      'order_events',
      'orders',
    ]);
    await Promise.all([one.close(), two.close()]);
  });

  it("keeps the newest guard function of the migrations exactly the SQL generated from the domain's transition table", () => {
    const newest = migrationFiles()
      .filter((f) => readFileSync(join(PG_MIGRATIONS_FOLDER, f), 'utf8').includes('FUNCTION orders_guard()'))
      .sort()
      .at(-1)!;
    const file = readFileSync(join(PG_MIGRATIONS_FOLDER, newest), 'utf8');
    expect(file.endsWith(orderGuardFunctionSql())).toBe(true);
  });

  it("names no schema in any migration, so each lands in the backend's own", () => {
    for (const f of migrationFiles()) {
      const code = readFileSync(join(PG_MIGRATIONS_FOLDER, f), 'utf8').replace(/^--.*$/gm, '');
      expect(code, f).not.toMatch(/"public"\./);
    }
  });
});

describe('the PostgreSQL database itself', () => {
  let schema: string;
  beforeAll(async () => {
    schema = tempSchema();
    await (await openPostgresBackend({ url: PG_TEST_URL, schema })).close();
  });
  const sql = (text: string, params: unknown[] = []) => admin.query(text.replaceAll('$S', `"${schema}"`), params);

  async function orderIn(status: string): Promise<number> {
    const { rows } = await sql(
      `INSERT INTO $S.orders (sku, qty, status, supplier_checks, created_at, updated_at) VALUES ('A', 1, 'pending', 0, 0, 0) RETURNING id`,
    );
    const id = rows[0].id as number;
    // the legal steps from pending to `status`
    const path = status === 'expired' || status === 'fulfilled' ? ['reserved', status] : status === 'pending' ? [] : [status];
    for (const step of path)
      await sql(`UPDATE $S.orders SET status = $1, failure_reason = $2 WHERE id = $3`, [step, step === 'failed' ? 'supplier_failed' : null, id]);
    return id;
  }

  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      if (from === to) continue;
      const legal = canTransition(from, to);
      it(`${legal ? 'accepts' : 'refuses'} raw SQL moving an order ${from} → ${to}`, async () => {
        const id = await orderIn(from);
        const attempt = sql(`UPDATE $S.orders SET status = $1, failure_reason = $2 WHERE id = $3`, [to, to === 'failed' ? 'supplier_failed' : null, id]);
        if (legal) await expect(attempt).resolves.toBeDefined();
        else await expect(attempt).rejects.toThrow(/illegal order status transition|a final order never changes|check constraint/);
      });
    }
  }

  it('refuses an order inserted in any state but pending, and a change of its sku or qty', async () => {
    await expect(sql(`INSERT INTO $S.orders (sku, qty, status, supplier_checks, created_at, updated_at) VALUES ('A', 1, 'reserved', 0, 0, 0)`)).rejects.toThrow(
      /starts pending/,
    );
    const id = await orderIn('pending');
    await expect(sql(`UPDATE $S.orders SET qty = 2 WHERE id = $1`, [id])).rejects.toThrow(/never change/);
  });

  it('refuses a negative on-hand, a second movement of one type for an order, and any change to the ledger', async () => {
    await sql(`INSERT INTO $S.inventory (sku, on_hand, updated_at) VALUES ('N', 1, 0)`);
    await expect(sql(`UPDATE $S.inventory SET on_hand = -1 WHERE sku = 'N'`)).rejects.toThrow(/inventory_on_hand_not_negative/);
    const id = await orderIn('pending');
    const add = () => sql(`INSERT INTO $S.movements (sku, type, qty, order_id, on_hand_after, at) VALUES ('A', 'reservation', -1, $1, 0, 0)`, [id]);
    await add();
    await expect(add()).rejects.toThrow(/movements_order_type/);
    await expect(sql(`UPDATE $S.movements SET qty = -2`)).rejects.toThrow(/append-only/);
    await expect(sql(`DELETE FROM $S.movements`)).rejects.toThrow(/append-only/);
  });
});

describe('PostgreSQL trouble as DatabaseErrors', () => {
  it('reports a row lock held past the lock timeout as busy, with the URL', async () => {
    const schema = tempSchema();
    const b = await openPostgresBackend({ url: PG_TEST_URL, schema, lockTimeoutMs: 100 });
    await b.store.setOnHand('A', 1, 0);
    const holder = new pg.Client(poolConfig({ url: PG_TEST_URL, schema }));
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT * FROM inventory WHERE sku = 'A' FOR UPDATE`);
    const error = await b.store.addStock('A', 1, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ fault: 'busy', retryable: true, owner: 'database' });
    expect((error as Error).message).toContain(`schema ${schema}`);
    await holder.query('ROLLBACK');
    await holder.end();
    await b.close();
  });

  it('reports a pool whose every connection stays in use as busy, not as a server out of reach, and stores nothing for that call', async () => {
    const schema = tempSchema();
    const b = await openPostgresBackend({ url: PG_TEST_URL, schema, poolSize: 1, connectTimeoutMs: 300 });
    await b.store.setOnHand('A', 1, 0);
    const holder = new pg.Client(poolConfig({ url: PG_TEST_URL, schema }));
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT * FROM inventory WHERE sku = 'A' FOR UPDATE`);
    // the pool's one connection waits for the row lock; the next call waits for that connection
    const first = b.store.addStock('A', 1, 1);
    const error = await b.store.addStock('A', 10, 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ fault: 'busy', retryable: true, owner: 'database' });
    expect((error as Error).message).toMatch(
      /^no connection to .* came free in time \(timeout exceeded when trying to connect\): .* raise poolSize in the URL/,
    );
    expect((error as Error).message).toContain(`schema ${schema}`);
    expect((error as Error).message).not.toMatch(/cannot reach/);
    await holder.query('ROLLBACK');
    await holder.end();
    await first;
    expect((await b.store.getInventory('A'))?.onHand).toBe(2);
    await b.close();
  });

  it('reports a real deadlock as a conflict that may simply run again', async () => {
    const schema = tempSchema();
    await (await openPostgresBackend({ url: PG_TEST_URL, schema })).close();
    const [x, y] = [new pg.Client(poolConfig({ url: PG_TEST_URL, schema })), new pg.Client(poolConfig({ url: PG_TEST_URL, schema }))];
    await Promise.all([x.connect(), y.connect()]);
    await x.query(`INSERT INTO inventory (sku, on_hand, updated_at) VALUES ('P', 0, 0), ('Q', 0, 0)`);
    await Promise.all([x.query('BEGIN'), y.query('BEGIN')]);
    await x.query(`UPDATE inventory SET version = version + 1 WHERE sku = 'P'`);
    await y.query(`UPDATE inventory SET version = version + 1 WHERE sku = 'Q'`);
    const results = await Promise.allSettled([
      x.query(`UPDATE inventory SET version = version + 1 WHERE sku = 'Q'`),
      y.query(`UPDATE inventory SET version = version + 1 WHERE sku = 'P'`),
    ]);
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(describePgError(failure.reason, 'here')).toMatchObject({ fault: 'conflict', retryable: true });
    await Promise.all([x.query('ROLLBACK').catch(() => {}), y.query('ROLLBACK').catch(() => {})]);
    await Promise.all([x.end(), y.end()]);
  });

  it('says which URL cannot be reached and what to check', async () => {
    const url = 'postgres://postgres@127.0.0.1:1/test';
    const error = await openPostgresBackend({ url, connectTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ fault: 'unavailable' });
    expect((error as Error).message).toMatch(
      /^cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test \(.*ECONNREFUSED.*\): check that the server is running/,
    );
  });

  it('names a database that does not exist and says how to create it', async () => {
    const url = new URL(PG_TEST_URL);
    url.pathname = '/no_such_database_h_pg';
    const error = await openPostgresBackend({ url: url.toString() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ fault: 'unavailable' });
    expect((error as Error).message).toMatch(/database "no_such_database_h_pg" does not exist .*createdb/);
  });

  it("keeps a URL's password out of its messages", async () => {
    const error = await openPostgresBackend({ url: 'postgres://postgres:secret@127.0.0.1:1/test', connectTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('postgres://postgres:***@127.0.0.1:1/test');
    expect((error as Error).message).not.toContain('secret');
  });
});
