/**
 * Issue 10 item 9: a SKU's ledger is paginated like /api/orders (limit, cursor, a documented
 * default of 100 and maximum of 1000, nextCursor for the next page), over HTTP and in the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDb } from '../helpers.js';
import { testServer, type TestServer } from './support.js';

describe('GET /api/inventory/{sku}/movements, page by page', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ runner: false });
    await server.warehouse.inventory.set('BUSY', 1);
    for (let i = 0; i < 1_249; i++) await server.warehouse.inventory.add('BUSY', 1);
    await server.warehouse.inventory.set('OTHER', 3);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 100 movements by default, with the cursor of the next page', async () => {
    const r = await server.call('GET', '/api/inventory/BUSY/movements');
    expect(r.status).toBe(200);
    expect(r.body.movements).toHaveLength(100);
    expect(r.body.movements[0]).toMatchObject({ sku: 'BUSY', type: 'adjustment', qty: 1, onHandAfter: 1 });
    expect(r.body.nextCursor).toBe(r.body.movements[99].id);
  });

  it('walks the whole ledger by nextCursor, oldest first, each movement once', async () => {
    const ids: number[] = [];
    let path = '/api/inventory/busy/movements?limit=400';
    for (;;) {
      const r = await server.call('GET', path);
      expect(r.body.movements.length).toBeLessThanOrEqual(400);
      ids.push(...r.body.movements.map((m: { id: number }) => m.id));
      if (r.body.nextCursor === null) break;
      path = `/api/inventory/busy/movements?limit=400&cursor=${r.body.nextCursor}`;
    }
    expect(ids).toHaveLength(1_250);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(1_250);
  });

  it('never answers more than 1000 movements, and refuses a larger limit', async () => {
    const r = await server.call('GET', '/api/inventory/BUSY/movements?limit=1000');
    expect(r.body.movements).toHaveLength(1_000);
    expect(r.body.nextCursor).toBe(r.body.movements[999].id);
    for (const query of ['limit=1001', 'limit=0', 'limit=ten', 'cursor=-1', 'cursor=abc', 'sort=desc']) {
      const bad = await server.call('GET', `/api/inventory/BUSY/movements?${query}`);
      expect(bad.status, query).toBe(422);
      expect(bad.body.field).toBe(query.split('=')[0]);
    }
  });

  it('answers an empty last page past the end, and only the SKU asked for', async () => {
    const other = await server.call('GET', '/api/inventory/OTHER/movements');
    expect(other.body.movements.map((m: { sku: string; qty: number }) => [m.sku, m.qty])).toEqual([['OTHER', 3]]);
    expect(other.body.nextCursor).toBeNull();
    const past = await server.call('GET', `/api/inventory/OTHER/movements?cursor=${other.body.movements[0].id}`);
    expect(past.body).toEqual({ movements: [], nextCursor: null });
  });
});

describe('warehouse inventory movements --limit --cursor', () => {
  const db = tempDb();
  beforeAll(async () => {
    expect((await runCli(['--db', db, 'inventory', 'set', 'BOLT', '1'])).code).toBe(0);
    for (const n of ['2', '3']) expect((await runCli(['--db', db, 'inventory', 'add', 'BOLT', n])).code).toBe(0);
  });

  it('prints one page and the command for the next', async () => {
    const first = await runCli(['--db', db, 'inventory', 'movements', 'bolt', '--limit', '2']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/adjustment/);
    expect(first.stdout).toMatch(/\+2/);
    expect(first.stdout).not.toMatch(/\+3/);
    expect(first.stdout).toMatch(/more: warehouse inventory movements BOLT --limit 2 --cursor 2\n/);
    const next = await runCli(['--db', db, 'inventory', 'movements', 'BOLT', '--limit', '2', '--cursor', '2']);
    expect(next.stdout).toMatch(/\+3/);
    expect(next.stdout).not.toMatch(/more:/);
  });

  it('keeps stdout one JSON array with --json, the next page on stderr', async () => {
    const r = await runCli(['--db', db, '--json', 'inventory', 'movements', 'BOLT', '--limit', '1']);
    expect(JSON.parse(r.stdout).map((m: { qty: number }) => m.qty)).toEqual([1]);
    expect(r.stderr).toMatch(/--cursor 1/);
    const rest = await runCli(['--db', db, '--json', 'inventory', 'movements', 'BOLT', '--cursor', '1']);
    expect(JSON.parse(rest.stdout).map((m: { qty: number }) => m.qty)).toEqual([2, 3]);
    expect(rest.stderr).toBe('');
  });

  it.each([
    ['--limit', '0'],
    ['--limit', '10001'],
    ['--limit', 'all'],
    ['--cursor', '1.5'],
  ])('exits 2 for %s %s', async (flag, value) => {
    const r = await runCli(['--db', db, 'inventory', 'movements', 'BOLT', flag, value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`invalid ${flag.slice(2)}`));
  });
});
