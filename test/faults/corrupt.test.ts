/**
 * Issue 9, reproduction 4: a damaged database file. Before, `order create` and `inventory add`
 * wrote into it (exit 0), `check` reported "orphan rows" and `serve` answered 201, then "busy".
 * Now SQLite's own checks find the damage at open (integrity_check on small files) and in
 * `warehouse check`, every write is refused with a message that says what happened and how to
 * recover, and HTTP says 503 "database corrupt".
 *
 * The damage is made the way it happens: bytes of a page overwritten in a copy of a real
 * 600-order database (the header of a b-tree page, which SQLite's structure check sees; and the
 * content of an index entry, which only the full integrity_check sees). Damage that changes a
 * value without breaking structure or an index cannot be seen by SQLite (it keeps no page
 * checksums): `warehouse check`'s own rules are what catch its symptoms.
 */
import { closeSync, copyFileSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWarehouse } from '../../src/wiring/warehouse.js';
import { groupCommit, runCli, tempDir } from '../helpers.js';

let pristine: string;

beforeAll(async () => {
  pristine = join(tempDir(), 'pristine.db');
  const w = await createWarehouse({ database: pristine, clock: 'virtual', seed: 1, supplierScript: { '*': { status: ['delayed', 'ok'] } } });
  await w.inventory.set('A', 300);
  for (let i = 0; i < 600; i++) await w.orders.create({ sku: i % 2 ? 'A' : 'B', qty: 1 });
  await w.runner.runUntilIdle();
  await w.close();
  const db = new Database(pristine);
  db.pragma('wal_checkpoint(TRUNCATE)'); // everything in the main file: the damage below is what SQLite reads
  db.close();
}, 60_000);

/** A copy of the database with 8 bytes overwritten at `offset` of page `page` (1-based, 4 KiB pages). */
function damagedCopy(page: number, offset: number): string {
  const file = join(tempDir(), `damaged-${page}-${offset}.db`);
  copyFileSync(pristine, file);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('DEADBEEF', 'latin1'), 0, 8, (page - 1) * 4096 + offset);
  closeSync(fd);
  return file;
}

/** The root page of a table or index, and a leaf page of it. */
function pageOf(name: string): number {
  const db = new Database(pristine, { readonly: true });
  try {
    return (db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = ?`).get(name) as { rootpage: number }).rootpage;
  } finally {
    db.close();
  }
}

const CORRUPT = /^error: database .* is corrupt \(.+\); it is refused for writes so that nothing more is lost\. Restore it from a backup/;

describe('a damaged database file', () => {
  it('is refused for every write, with what happened and how to recover, and the file is left as it was', async () => {
    // page 40's b-tree header overwritten: SQLite's structure check sees it
    const file = damagedCopy(40, 0);
    const before = readFileSync(file);
    for (const args of [
      ['order', 'create', '--sku', 'A', '--qty', '1', '--no-wait'],
      ['order', 'create', '--sku', 'A', '--qty', '1', '--clock', 'virtual'],
      ['inventory', 'add', 'A', '5'],
      ['inventory', 'set', 'A', '5'],
      ['work', '--until-idle'],
    ]) {
      const r = await runCli(['--db', file, ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(CORRUPT);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('is reported by `warehouse check` as corruption, exit 1 — also damage only the full integrity check sees', async () => {
    const indexPage = pageOf('order_events_order_id');
    for (const file of [damagedCopy(40, 0), damagedCopy(indexPage, 4000)]) {
      const r = await runCli(['--db', file, 'check']);
      expect(r.code).toBe(1);
      expect(r.stderr + r.stdout).toMatch(/is corrupt/);
      expect(r.stdout + r.stderr).not.toMatch(/orphan/);
    }
    // and the pristine copy is clean
    expect((await runCli(['--db', pristine, 'check'])).code).toBe(0);
  });

  it('makes serve refuse to start on it, saying why, rather than answer 201 and then "busy"', async () => {
    const file = damagedCopy(40, 0);
    const r = await runCli(['--db', file, 'serve', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(CORRUPT);
  });

  it('when met at run time (a file damaged after it was opened), latches: writes are refused with 503 "database corrupt"', async () => {
    const file = damagedCopy(pageOf('orders'), 0);
    // opened without the check at open, as a file larger than the checked sizes would be
    const w = await createWarehouse({ database: { kind: 'sqlite', file, quickCheck: false, groupCommit: groupCommit() }, clock: 'virtual', noJobs: true });
    const { startServer } = await import('../../src/http/server.js');
    const server = await startServer({ warehouse: w, port: 0, logLevel: 'silent', runner: false });
    try {
      const first = await fetch(`${server.url}/api/orders?limit=5`);
      expect(first.status).toBe(503);
      const body = (await first.json()) as { detail: string };
      expect(body.detail).toMatch(/^database corrupt/);
      const write = await fetch(`${server.url}/api/inventory/A`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ onHand: 1 }),
      });
      expect(write.status).toBe(503);
      expect(((await write.json()) as { detail: string }).detail).toMatch(/^database corrupt/);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { detail: string }).detail).toMatch(/^database corrupt/);
    } finally {
      await server.close();
      await w.close();
    }
  });
});
