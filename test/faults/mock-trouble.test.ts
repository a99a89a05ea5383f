/**
 * Issue 18, defect 2 (SQLite): database trouble hidden behind the in-process mock was blamed on
 * the supplier. A file over 32 MiB (no integrity check at open) with a corrupt page in a mock
 * table: orders failed `supplier_unavailable`, `/healthz` said ok, and the engine kept writing
 * orders, events and dead letters into the corrupt file until `GET /api/check` met it. Now the
 * mock's state is the engine's database: damage met there latches the refusal of writes for the
 * whole engine, the job is not failed (no attempt spent), `/healthz` says 503 "database corrupt".
 * Real file, real page damage, a real `serve` process.
 */
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { QUICK_CHECK_MAX_BYTES } from '../../src/adapters/sqlite/open.js';
import { createWarehouse } from '../../src/wiring/warehouse.js';
import { tempDir } from '../helpers.js';
import { post, spawnCli, type OrderJson } from './support.js';

const FAST = ['--check-delay', '200ms', '--backoff-base', '50ms', '--backoff-cap', '200ms', '--job-attempts', '3'];

/** A database past the size checked at open, whose mock conversations table has a damaged page. */
async function bigFileWithDamagedMockTable(): Promise<string> {
  const file = join(tempDir(), 'big.db');
  const w = await createWarehouse({ database: file, clock: 'virtual', seed: 1 });
  for (let i = 0; i < 10; i++) await w.orders.create({ sku: 'S', qty: 1 });
  await w.runner.runUntilIdle();
  await w.close();
  const db = new Database(file);
  // filler past the size checked at open (a table of our own: the engine never reads it)
  db.exec('CREATE TABLE filler (b BLOB)');
  const fill = db.prepare('INSERT INTO filler VALUES (zeroblob(1048576))');
  for (let i = 0; i * 1024 * 1024 <= QUICK_CHECK_MAX_BYTES + 2 * 1024 * 1024; i++) fill.run();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const { rootpage } = db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'mock_conversations'`).get() as { rootpage: number };
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  db.close();
  expect(statSync(file).size).toBeGreaterThan(QUICK_CHECK_MAX_BYTES);
  // the b-tree page header of the mock's conversations overwritten, as a bad sector would
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('DEADBEEF', 'latin1'), 0, 8, (rootpage - 1) * pageSize);
  closeSync(fd);
  return file;
}

const count = (file: string, table: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe("a corrupt page in the in-process mock's table, met late (a file too big to check at open)", () => {
  it('latches the refusal of writes: /healthz 503 "database corrupt", the order not failed, nothing more written', { timeout: 90_000 }, async () => {
    const file = await bigFileWithDamagedMockTable();
    const serve = spawnCli(['--db', file, 'serve', '--port', '0', '--log-level', 'silent', ...FAST]);
    const [, api] = await serve.waitFor(/listening on (http:\/\/\S+) /);
    expect((await fetch(`${api}/healthz`)).status).toBe(200);

    // no stock: the order needs the supplier, whose state (in this file) meets the damage
    const created = await post(api!, '/api/orders', { sku: 'S', qty: 2 });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    let health = await fetch(`${api}/healthz`);
    for (let i = 0; i < 150 && health.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await fetch(`${api}/healthz`);
    }
    expect(health.status).toBe(503);
    expect(((await health.json()) as { detail: string }).detail).toMatch(/^database corrupt: database .* is corrupt/);
    // more time than the whole retry budget of a supplier failure (3 attempts, 50–200 ms apart)
    await new Promise((r) => setTimeout(r, 2_000));

    // the order was not failed for it: no attempt spent, no dead letter, nothing written after the damage was met
    const order = (await (await fetch(`${api}/api/orders/${id}`)).json()) as OrderJson;
    expect(order).toMatchObject({ status: 'pending', failureReason: null });
    expect(order.events!.map((e) => e.type)).not.toContain('SupplierCallFailed');
    const refused = await post(api!, '/api/orders', { sku: 'S', qty: 1 });
    expect(refused.status).toBe(503);
    expect(refused.body.detail).toMatch(/^database corrupt/);
    serve.child.kill('SIGTERM');
    await serve.exited;
    expect(count(file, 'orders')).toBe(11);
    expect(count(file, 'dead_letters')).toBe(0);
  });
});
