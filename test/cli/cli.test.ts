/** The real `bin/warehouse.js`, spawned as a process on temp databases. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, checkInvariants, runCli, tempDb } from '../helpers.js';
import { unwrap } from './unwrap.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

function countOrders(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM orders').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('warehouse CLI', () => {
  it('prints help and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/inventory/);
    expect(r.stdout).toMatch(/order/);
  });

  describe('inventory', () => {
    const db = tempDb();
    beforeAll(async () => {
      expect((await runCli(['--db', db, 'inventory', 'set', 'bolt-1', '10'])).code).toBe(0);
    });

    it('sets, adds, lists and shows movements as JSON', async () => {
      const add = await runCli(['--db', db, '--json', 'inventory', 'add', 'BOLT-1', '5']);
      expect(add.code).toBe(0);
      const item = JSON.parse(add.stdout);
      expect(item).toEqual({ sku: 'BOLT-1', onHand: 15, reserved: 0, available: 15, version: 2, updatedAt: expect.stringMatching(ISO) });

      const list = JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'list'])).stdout);
      expect(list).toEqual([{ sku: 'BOLT-1', onHand: 15, reserved: 0, available: 15, version: 2, updatedAt: expect.stringMatching(ISO) }]);

      const moves = JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'movements', 'BOLT-1'])).stdout);
      expect(moves).toEqual([
        { id: 1, sku: 'BOLT-1', type: 'adjustment', qty: 10, orderId: null, onHandAfter: 10, at: expect.stringMatching(ISO) },
        { id: 2, sku: 'BOLT-1', type: 'restock', qty: 5, orderId: null, onHandAfter: 15, at: expect.stringMatching(ISO) },
      ]);
    });

    it('shows a human table', async () => {
      const r = await runCli(['--db', db, 'inventory', 'list']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/BOLT-1/);
    });

    it('exits 1 with a message for the movements of a SKU never seen', async () => {
      const r = await runCli(['--db', db, 'inventory', 'movements', 'NEVER']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/sku NEVER not found/);
    });
  });

  describe('order create', () => {
    it('reserves BOLT-1 after delayed, delayed, ok, settled 45 s after creation (the issue example)', async () => {
      const db = tempDb();
      await runCli(['--db', db, 'inventory', 'set', 'BOLT-1', '10']);
      const r = await runCli([
        '--db',
        db,
        'order',
        'create',
        '--sku',
        'BOLT-1',
        '--qty',
        '30',
        '--clock',
        'virtual',
        '--supplier-status',
        'delayed,delayed,ok',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const order = JSON.parse(r.stdout);
      expect(order).toMatchObject({ id: 1, sku: 'BOLT-1', qty: 30, status: 'reserved', supplierChecks: 3, failureReason: null });
      expect(Object.keys(order)).toEqual(['id', 'sku', 'qty', 'status', 'supplierRef', 'supplierChecks', 'failureReason', 'createdAt', 'updatedAt', 'events']);
      expect(Date.parse(order.updatedAt) - Date.parse(order.createdAt)).toBe(45_000);
      for (const e of order.events) expect(e).toEqual({ at: expect.stringMatching(ISO), type: expect.any(String), data: expect.any(Object) });
      const moves = JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'movements', 'BOLT-1'])).stdout) as Array<{ qty: number }>;
      // the ledger is the ledger of available stock; on hand counts the units reserved too (docs/design.md §2.4)
      const [stock] = JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'list'])).stdout) as Array<{
        onHand: number;
        reserved: number;
        available: number;
      }>;
      expect(moves.reduce((s, m) => s + m.qty, 0)).toBe(stock!.available);
      expect(stock).toMatchObject({ reserved: 30, onHand: stock!.available + 30 });
      expect(checkInvariants(db)).toEqual([]);
    });

    it('prints each event of the timeline as it happens', async () => {
      const db = tempDb();
      const r = await runCli(['--db', db, 'order', 'create', '--sku', 'X', '--qty', '1', '--clock', 'virtual', '--supplier-status', 'delayed,ok']);
      expect(r.code).toBe(0);
      const lines = unwrap(r.stdout.trim()).split('\n');
      expect(lines.map((l) => /\b(Order\w+|Supplier\w+|Inventory\w+)\b/.exec(l)?.[1]).filter(Boolean)).toEqual([
        'OrderCreated',
        'SupplierReservationRequested',
        'SupplierReservationAccepted',
        'SupplierStatusChecked',
        'SupplierStatusChecked',
        'InventoryReserved',
        'OrderReserved',
      ]);
      expect(r.stdout).toMatch(/\+30\.000s/);
      expect(lines.at(-1)).toMatch(/reserved/);
    });

    it('exits 1 when the order ends failed', async () => {
      const r = await runCli([
        '--db',
        tempDb(),
        'order',
        'create',
        '--sku',
        'X',
        '--qty',
        '1',
        '--clock',
        'virtual',
        '--supplier-reserve',
        'rejected',
        '--json',
      ]);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', failureReason: 'supplier_rejected' });
    });

    it('only enqueues with --no-wait; `work --until-idle` then runs the job', async () => {
      const db = tempDb();
      const r = await runCli(['--db', db, '--json', 'order', 'create', '--sku', 'X', '--qty', '2', '--no-wait']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ id: 1, status: 'pending', supplierChecks: 0 });
      const jobs = JSON.parse((await runCli(['--db', db, '--json', 'jobs', 'list'])).stdout);
      expect(jobs).toMatchObject([{ type: 'ReserveInventory', orderId: 1, state: 'queued', attempt: 1, runs: 0 }]);
      const w = await runCli(['--db', db, '--json', 'work', '--until-idle', '--clock', 'virtual']);
      expect(w.code).toBe(0);
      expect(JSON.parse(w.stdout)).toEqual({ jobsRun: 2, jobsChangedNothing: 0, jobsQueued: 0, jobsParked: 0 });
      const shown = JSON.parse((await runCli(['--db', db, '--json', 'order', 'show', '1'])).stdout);
      expect(shown).toMatchObject({ id: 1, status: 'reserved', supplierChecks: 1 });
      const listed = JSON.parse((await runCli(['--db', db, '--json', 'order', 'list', '--status', 'reserved'])).stdout);
      expect(listed).toHaveLength(1);
      expect(listed[0]).not.toHaveProperty('events');
      expect(checkInvariants(db)).toEqual([]);
    });
  });

  describe('jobs', () => {
    it('lists a dead-lettered job and retries it; an unknown id exits 1', async () => {
      const db = tempDb();
      const r = await runCli(['--db', db, 'order', 'create', '--sku', 'DOWN', '--qty', '1', '--clock', 'virtual', '--supplier-reserve', 'error', '--json']);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', failureReason: 'supplier_unavailable' });
      const failed = JSON.parse((await runCli(['--db', db, '--json', 'jobs', 'failed'])).stdout);
      expect(failed).toMatchObject([{ id: '1', type: 'ReserveInventory', orderId: 1, attempts: 5, lastError: expect.stringMatching(/HTTP 500/) }]);
      const retry = await runCli(['--db', db, '--json', 'jobs', 'retry', '1']);
      expect(retry.code).toBe(0);
      expect(JSON.parse(retry.stdout)).toMatchObject({ type: 'ReserveInventory', orderId: 1, attempt: 1 });
      expect(JSON.parse((await runCli(['--db', db, '--json', 'jobs', 'failed'])).stdout)).toEqual([]);
      const unknown = await runCli(['--db', db, 'jobs', 'retry', '99']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/dead letter 99 not found/);
      noStackTrace(unknown.stderr);
    });
  });

  describe('bad input exits 2, names the field and stores nothing', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['qty zero', ['--sku', 'A', '--qty', '0'], /qty/],
      ['qty negative', ['--sku', 'A', '--qty', '-1'], /qty/],
      ['qty fractional', ['--sku', 'A', '--qty', '1.5'], /qty/],
      ['qty not a number', ['--sku', 'A', '--qty', 'abc'], /qty/],
      ['qty too large', ['--sku', 'A', '--qty', '1000001'], /qty/],
      ['qty missing (no terminal)', ['--sku', 'A'], /--qty/],
      ['sku with bad characters', ['--sku', 'A B!', '--qty', '1'], /sku/],
      ['sku too long', ['--sku', 'A'.repeat(65), '--qty', '1'], /sku/],
      ['sku empty', ['--sku', '', '--qty', '1'], /sku/],
      ['sku missing (no terminal)', ['--qty', '1'], /--sku/],
      ['unknown supplier answer', ['--sku', 'A', '--qty', '1', '--supplier-status', 'delayed,maybe'], /supplier-status.*maybe/],
      ['bad clock', ['--sku', 'A', '--qty', '1', '--clock', 'fast'], /clock/],
    ];
    for (const [name, args, pattern] of cases) {
      it(`order create: ${name}`, async () => {
        const db = tempDb();
        const r = await runCli(['--db', db, 'order', 'create', ...args]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(pattern);
        expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
        noStackTrace(r.stderr);
        expect(countOrders(db)).toBe(0);
      });
    }

    it('inventory set refuses a bad count and stores nothing', async () => {
      const db = tempDb();
      for (const args of [
        ['A', '-5'],
        ['A', 'ten'],
        ['bad sku', '5'],
        ['A', '1000001'],
      ]) {
        const r = await runCli(['--db', db, 'inventory', 'set', ...args]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toMatch(/sku|qty|onHand/);
        noStackTrace(r.stderr);
      }
      expect(JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'list'])).stdout)).toEqual([]);
    });

    it('refuses a WAREHOUSE_GROUP_COMMIT other than 0 or 1 with exit 2, naming the values, and stores nothing', async () => {
      const db = tempDb();
      const r = await runCli(['--db', db, 'inventory', 'set', 'A', '5'], { env: { WAREHOUSE_GROUP_COMMIT: 'yes' } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/WAREHOUSE_GROUP_COMMIT must be 1 .* or 0 .*"yes"/);
      noStackTrace(r.stderr);
      expect(existsSync(db)).toBe(false);
      // 0 is the plain path, as --no-group-commit
      expect((await runCli(['--db', db, 'inventory', 'set', 'A', '5'], { env: { WAREHOUSE_GROUP_COMMIT: '0' } })).code).toBe(0);
    });

    it('an unknown command or option is a usage error', async () => {
      const cmd = await runCli(['frobnicate']);
      expect(cmd.code).toBe(2);
      expect(cmd.stderr).toMatch(/unknown command/);
      const opt = await runCli(['order', 'list', '--colour']);
      expect(opt.code).toBe(2);
      expect(opt.stderr).toMatch(/unknown option/);
    });
  });

  describe('database trouble exits 1 with a clear message', () => {
    it('refuses a file that is not SQLite and leaves it untouched', async () => {
      const db = tempDb();
      writeFileSync(db, 'hello, I am a text file\n');
      const r = await runCli(['--db', db, 'inventory', 'list']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/not a SQLite database/);
      noStackTrace(r.stderr);
      expect(readFileSync(db, 'utf8')).toBe('hello, I am a text file\n');
    });

    it('reports a database locked by another process past the busy timeout', async () => {
      const db = tempDb();
      await runCli(['--db', db, 'inventory', 'set', 'A', '1']);
      const holder = new Database(db);
      holder.exec('BEGIN IMMEDIATE');
      try {
        const r = await runCli(['--db', db, 'inventory', 'set', 'A', '2'], { env: { WAREHOUSE_BUSY_TIMEOUT_MS: '100' } });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/locked by another process/);
        noStackTrace(r.stderr);
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
      expect(JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'list'])).stdout)[0].onHand).toBe(1);
    });
  });
});

describe('order cancel and order fulfil', () => {
  it('cancel a reserved order (its units released), fulfil another, and exit 1 with why for a final one', async () => {
    const db = tempDb();
    await runCli(['--db', db, 'inventory', 'set', 'BOLT', '10']);
    for (const qty of ['3', '2']) expect((await runCli(['--db', db, 'order', 'create', '--sku', 'BOLT', '--qty', qty, '--clock', 'virtual'])).code).toBe(0);
    const list = JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'list'])).stdout);
    expect(list).toEqual([expect.objectContaining({ sku: 'BOLT', onHand: 10, reserved: 5, available: 5 })]);

    const cancelled = await runCli(['--db', db, '--json', 'order', 'cancel', '1']);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: 1, status: 'cancelled' });
    const fulfilled = await runCli(['--db', db, 'order', 'fulfil', '2']);
    expect(fulfilled.code).toBe(0);
    expect(fulfilled.stdout).toMatch(/fulfilled/);
    const table = await runCli(['--db', db, 'inventory', 'list']);
    expect(table.stdout).toMatch(/on hand\s+│?\s*reserved\s+│?\s*available/);

    const again = await runCli(['--db', db, 'order', 'cancel', '1']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/order 1 is cancelled: it cannot be cancelled \(a cancelled order is final\)/);
    noStackTrace(again.stderr);
    const notReserved = await runCli(['--db', db, 'order', 'fulfil', '2']);
    expect(notReserved.code).toBe(1);
    expect(notReserved.stderr).toMatch(/is fulfilled: it cannot be fulfilled/);
    expect((await runCli(['--db', db, 'order', 'cancel', '99'])).code).toBe(1);
    expect((await runCli(['--db', db, 'check'])).code).toBe(0);
    expect(JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'list'])).stdout)).toEqual([
      expect.objectContaining({ onHand: 8, reserved: 0, available: 8 }),
    ]);
  });

  it('expires a reservation given --reservation-ttl, and refuses a duration that does not parse with exit 2', async () => {
    const db = tempDb();
    await runCli(['--db', db, 'inventory', 'set', 'BOLT', '4']);
    const created = await runCli(['--db', db, '--json', 'order', 'create', '--sku', 'BOLT', '--qty', '3', '--clock', 'virtual', '--reservation-ttl', '5m']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ status: 'reserved' });
    const work = await runCli(['--db', db, 'work', '--until-idle', '--clock', 'virtual']);
    expect(work.code).toBe(0);
    const order = JSON.parse((await runCli(['--db', db, '--json', 'order', 'show', '1'])).stdout);
    expect(order.status).toBe('expired');
    expect(Date.parse(order.updatedAt) - Date.parse(order.createdAt)).toBe(5 * 60_000);
    expect((await runCli(['--db', db, 'check'])).code).toBe(0);

    const bad = await runCli(['--db', db, 'order', 'create', '--sku', 'BOLT', '--qty', '1', '--reservation-ttl', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--reservation-ttl must be a duration/);
    noStackTrace(bad.stderr);
    expect(countOrders(db)).toBe(1);
  });
});

describe('jobs retry --all', () => {
  it('re-enqueues every dead job once; the retried jobs change nothing for orders already failed', async () => {
    const db = tempDb();
    for (let i = 0; i < 2; i++) {
      await runCli(['--db', db, 'order', 'create', '--sku', 'DOWN', '--qty', '1', '--clock', 'virtual', '--supplier-reserve', 'error']);
    }
    const retried = await runCli(['--db', db, '--json', 'jobs', 'retry', '--all']);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toHaveLength(2);
    expect(JSON.parse((await runCli(['--db', db, '--json', 'jobs', 'retry', '--all'])).stdout)).toEqual([]);
    await runCli(['--db', db, 'work', '--until-idle', '--clock', 'virtual']);
    const order = JSON.parse((await runCli(['--db', db, '--json', 'order', 'show', '1'])).stdout);
    expect(order).toMatchObject({ status: 'failed', failureReason: 'supplier_unavailable' });
    expect(order.events.map((e: { type: string }) => e.type).slice(-3)).toEqual(['JobDeadLettered', 'OrderFailed', 'JobRetried']);
    expect(checkInvariants(db)).toEqual([]);
    const neither = await runCli(['--db', db, 'jobs', 'retry']);
    expect(neither.code).toBe(2);
  });
});

describe('warehouse work without --until-idle', () => {
  for (const clock of ['real', 'virtual']) {
    it(`waits for work on the ${clock} clock and stops cleanly on SIGINT`, async () => {
      const db = tempDb();
      const child = spawn(process.execPath, [BIN, '--db', db, 'work', '--clock', clock], {
        env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      // idle and listening: the worker prints its banner, then must still answer signals
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('Ctrl-C to stop')) resolve();
        }),
      );
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(0);
      expect(out).toMatch(/0 job\(s\) run, 0 queued/);
    });
  }
});
