/**
 * Durability of an acknowledged order: `warehouse serve` is killed with SIGKILL the moment it
 * answers 201, and the order is read back from the file by a fresh connection.
 *
 * What this proves, and what it cannot: a SIGKILL ends the process, not the machine. The
 * committed transaction is then already in the WAL file (written before COMMIT returns, at both
 * durability levels), and the operating system still holds every page the process wrote, so
 * `--durability normal` (synchronous=NORMAL) survives it exactly as `full` does. What NORMAL gives
 * up is the fsync of the WAL at each commit: after a power loss or OS crash the last commits
 * before it may be gone (the database stays consistent). That needs a machine to lose power and
 * is not tested here; docs/reliability.md says so.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants, tempDb } from '../helpers.js';
import { startServe } from './serve-crash-harness.js';

const children: Array<{ kill(signal: NodeJS.Signals): boolean; exitCode: number | null }> = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

interface Stored {
  order?: { status: string; sku: string; qty: number };
  jobs: Array<{ type: string }>;
  events: string[];
  key?: { state: string };
}

function readBack(db: string, id: number, key: string): Stored {
  const raw = new Database(db, { readonly: true });
  try {
    return {
      order: raw.prepare('SELECT status, sku, qty FROM orders WHERE id = ?').get(id) as Stored['order'],
      jobs: raw.prepare('SELECT type FROM jobs WHERE order_id = ?').all(id) as Stored['jobs'],
      events: (raw.prepare('SELECT type FROM order_events WHERE order_id = ? ORDER BY id').all(id) as Array<{ type: string }>).map((e) => e.type),
      key: raw.prepare('SELECT state FROM idempotency_keys WHERE key = ?').get(key) as Stored['key'],
    };
  } finally {
    raw.close();
  }
}

describe.each(['full', 'normal'] as const)('an order acknowledged with 201 by serve --durability %s', (durability) => {
  it('is in the file after the process is killed the moment the 201 arrives', async () => {
    const db = tempDb();
    for (let round = 1; round <= 3; round++) {
      // the runner is off, so the order stays pending with its ReserveInventory job: the state
      // the 201 acknowledges is exactly what must be found
      const s = await startServe(db, ['--no-runner'], ['--durability', durability]);
      children.push(s.child);
      const exited = new Promise((resolve) => s.child.on('exit', resolve));
      const key = `durable-${durability}-${round}`;
      const res = await fetch(`${s.url}/api/order`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ sku: 'durable', qty: round }),
      });
      // kill on the status line and headers, before even reading the body
      s.child.kill('SIGKILL');
      await exited;
      expect(res.status).toBe(201);
      const id = Number(/^\/api\/orders\/(\d+)$/.exec(res.headers.get('location') ?? '')?.[1]);
      expect(id).toBeGreaterThan(0);

      const stored = readBack(db, id, key);
      expect(stored.order).toEqual({ status: 'pending', sku: 'DURABLE', qty: round });
      expect(stored.jobs).toEqual([{ type: 'ReserveInventory' }]);
      expect(stored.events).toEqual(['OrderCreated']);
      // the key's response is stored after the order commits and before the 201 is sent
      expect(stored.key).toEqual({ state: 'completed' });
    }
    expect(checkInvariants(db)).toEqual([]);
  }, 60_000);
});
