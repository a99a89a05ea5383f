/**
 * Issue 18, defect 1: start-up under another process's write lock. Four orders made with
 * `--no-wait`, another process holds BEGIN IMMEDIATE past the busy timeout, then `warehouse work
 * --until-idle --clock virtual` started: before, it exited 1 after ~6 s with "internal error:
 * database is locked … this is a bug" (the mock supplier's state creating its tables
 * synchronously at open). Now a daemon waits for the lock (asynchronously, saying so once) and then
 * does its work, and a one-off command gives up with the database's own message.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';
import { holdWriteLock, spawnCli } from './support.js';

/** longer than the busy timeout (5 s), so a wait bounded by it would fail */
const HOLD_MS = 7_000;
/** the figure (10 s), a little more: longer than two busy timeouts back to back (migrations, then the mock's tables) */
const LONG_HOLD_MS = 11_000;

async function ordersOf(file: string): Promise<Array<{ id: number; status: string }>> {
  const r = await runCli(['--db', file, '--json', 'order', 'list']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Array<{ id: number; status: string }>;
}

describe("a daemon that starts while another process holds the database's write lock", () => {
  it('`work` waits for the lock, says so once, then reserves every order (exit 0)', { timeout: 90_000 }, async () => {
    const file = join(tempDir(), 'engine.db');
    for (let i = 0; i < 4; i++) {
      const r = await runCli(['--db', file, 'order', 'create', '--sku', 'WIDGET', '--qty', '5', '--no-wait']);
      expect(r.code).toBe(0);
    }
    const lock = await holdWriteLock(file, LONG_HOLD_MS);
    const started = performance.now();
    const r = await runCli(['--db', file, 'work', '--until-idle', '--clock', 'virtual']);
    const tookMs = performance.now() - started;
    await lock.released;
    expect(r.stderr).not.toMatch(/internal error|bug|\n\s+at /);
    expect(r.code).toBe(0);
    // it waited for the lock (the lock holder let go ~11 s after it started), and said so once
    expect(tookMs).toBeGreaterThan(LONG_HOLD_MS - 2_000);
    expect(r.stderr.match(/is locked by another process: waiting for it to be free/g)).toHaveLength(1);
    const orders = await ordersOf(file);
    expect(orders.map((o) => o.status)).toEqual(['reserved', 'reserved', 'reserved', 'reserved']);
    expect((await runCli(['--db', file, 'check'])).code).toBe(0);
  });

  it('`serve` waits for the lock, says so once, then listens and takes orders', { timeout: 90_000 }, async () => {
    const file = join(tempDir(), 'engine.db');
    expect((await runCli(['--db', file, 'inventory', 'set', 'A', '5'])).code).toBe(0);
    const lock = await holdWriteLock(file, HOLD_MS);
    const server = spawnCli(['--db', file, 'serve', '--port', '0', '--log-level', 'warn']);
    const [, url] = await server.waitFor(/listening on (http:\/\/\S+) /);
    await lock.released;
    expect(server.err().match(/is locked by another process: waiting for it to be free/g)).toHaveLength(1);
    const created = await fetch(`${url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'A', qty: 1 }),
    });
    expect(created.status).toBe(201);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});

describe("a one-off command that starts while another process holds the database's write lock", () => {
  it('gives up after the busy timeout with what, where and what to do (exit 1), never "a bug"', { timeout: 60_000 }, async () => {
    const file = join(tempDir(), 'engine.db');
    expect((await runCli(['--db', file, 'order', 'create', '--sku', 'A', '--qty', '1', '--no-wait'])).code).toBe(0);
    const lock = await holdWriteLock(file, HOLD_MS);
    // an order that runs its flow opens the mock supplier's state too (its tables are created then)
    const r = await runCli(['--db', file, 'order', 'create', '--sku', 'A', '--qty', '1', '--clock', 'virtual'], {
      env: { WAREHOUSE_BUSY_TIMEOUT_MS: '1000' },
    });
    await lock.released;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: database .*engine\.db is locked by another process \(waited \d+ ms\); try again when it is free/);
    expect(r.stderr).not.toMatch(/internal error|bug|\n\s+at /);
  });
});
