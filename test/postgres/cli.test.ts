/**
 * Every command on PostgreSQL, through the real `bin/warehouse.js` with `--database postgres://…`
 * (a schema of this file's own), and what the CLI says when the server cannot be reached.
 */
import { describe, expect, it } from 'vitest';
import { runCli, tempPgUrl } from '../helpers.js';

const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

describe('the CLI on PostgreSQL', () => {
  it('runs inventory, order, jobs, work and check on one database', async () => {
    const db = tempPgUrl();
    const cli = async (...args: string[]) => {
      const r = await runCli(['--database', db, ...args]);
      noStackTrace(r.stderr);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    await cli('inventory', 'set', 'X', '5');
    expect(JSON.parse((await cli('--json', 'inventory', 'add', 'X', '2')).stdout)).toMatchObject({ sku: 'X', onHand: 7, version: 2 });
    const made = JSON.parse((await cli('--json', 'order', 'create', '--sku', 'x', '--qty', '3', '--clock', 'virtual', '--reserve-strategy', 'atomic')).stdout);
    expect(made).toMatchObject({ sku: 'X', qty: 3, status: 'reserved' });
    expect(made.events.map((e: { type: string }) => e.type)).toEqual(['OrderCreated', 'InventoryReserved', 'OrderReserved']);
    expect((await cli('order', 'show', String(made.id))).stdout).toMatch(/reserved/);
    const queued = JSON.parse((await cli('--json', 'order', 'create', '--sku', 'Y', '--qty', '2', '--no-wait')).stdout);
    expect(JSON.parse((await cli('--json', 'jobs', 'list')).stdout)).toMatchObject([{ orderId: queued.id, type: 'ReserveInventory', state: 'queued' }]);
    const worked = JSON.parse(
      (await cli('--json', 'work', '--until-idle', '--clock', 'virtual', '--supplier-reserve', 'rejected', '--reserve-strategy', 'optimistic')).stdout,
    );
    expect(worked).toMatchObject({ jobsRun: 1, jobsQueued: 0, jobsParked: 0 });
    expect(JSON.parse((await cli('--json', 'order', 'list')).stdout).map((o: { status: string }) => o.status)).toEqual(['reserved', 'failed']);
    expect(JSON.parse((await cli('--json', 'jobs', 'failed')).stdout)).toEqual([]);
    expect(JSON.parse((await cli('--json', 'inventory', 'movements', 'X')).stdout).map((m: { qty: number }) => m.qty)).toEqual([5, 2, -3]);
    expect((await cli('check')).stdout).toMatch(/every invariant holds/);
  });

  it('takes the pool size from the URL, and refuses a bad one before touching anything', async () => {
    const db = new URL(tempPgUrl());
    db.searchParams.set('poolSize', '2');
    expect((await runCli(['--database', db.toString(), 'inventory', 'list'])).code).toBe(0);
    db.searchParams.set('poolSize', 'lots');
    const bad = await runCli(['--database', db.toString(), 'inventory', 'list']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/poolSize in the database URL must be a whole number from 1 to 1000 \(got "lots"\)/);
  });

  it('says in one line which server cannot be reached and what to check, and exits 1', async () => {
    const r = await runCli(['--database', 'postgres://postgres@127.0.0.1:1/test', 'order', 'list']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test \(.*\): check that the server is running/);
  });

  it('reads DATABASE_URL when no --database is given', async () => {
    const db = tempPgUrl();
    const r = await runCli(['--json', 'inventory', 'set', 'Z', '1'], { env: { DATABASE_URL: db } });
    expect(r.code).toBe(0);
    expect(JSON.parse((await runCli(['--database', db, '--json', 'inventory', 'list'])).stdout)).toMatchObject([{ sku: 'Z', onHand: 1 }]);
  });
});
