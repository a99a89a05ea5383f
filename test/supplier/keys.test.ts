/**
 * Issue 18, defect 3: supplier Idempotency-Keys collided across databases. The key was
 * `order-<id>` in every database, so two databases sharing one `warehouse supplier serve` (a reset
 * file, two environments, a class) each created order #1 for OTHER × 7 and the second got a
 * *replay* of the first's reservation (same ref), booked reserved on a restock the supplier never
 * made; a third database's order #1 for another SKU got 422 (key reused with another body) and
 * failed `supplier_unavailable` at once. Now each key carries the database's identity (made once,
 * by its migration: `stats` and `check` show it), and a 422 "key reused" is a conflict reported
 * loudly: dead-lettered at once with that reason, the order failed `supplier_key_conflict`.
 * Real processes: three SQLite databases against one real supplier service.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyInUse } from '../../src/app/keys.js';
import { checkInvariants, runCli, tempDir } from '../helpers.js';
import { spawnCli } from './support.js';

interface OrderJson {
  id: number;
  sku: string;
  status: string;
  supplierRef: string | null;
  failureReason: string | null;
}
interface Conversation {
  key: string;
  sku: string;
  qty: number;
  outcome: string | null;
  calls: Array<{ kind: string; answer: string; replay: boolean }>;
}

const json = async <T>(args: string[]): Promise<T> => {
  const r = await runCli(['--json', ...args]);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return JSON.parse(r.stdout) as T;
};

describe('databases sharing one supplier service', () => {
  it('never share an Idempotency-Key: each gets its own reservation; a key reused with another body is a conflict, never a success', {
    timeout: 90_000,
  }, async () => {
    const dir = tempDir();
    const supplier = spawnCli(['supplier', 'serve', '--port', '0', '--state', join(dir, 'supplier.db')]);
    const [, url] = await supplier.waitFor(/supplier listening on (http:\/\/\S+) /);
    const [a, b, c] = ['a.db', 'b.db', 'c.db'].map((f) => join(dir, f)) as [string, string, string];
    const order = (db: string, sku: string, qty: number) =>
      json<OrderJson>(['--db', db, '--supplier-url', url!, 'order', 'create', '--sku', sku, '--qty', String(qty), '--clock', 'virtual']);

    // each database has an identity of its own, shown by `check` and `stats`
    const idA = (await json<{ ok: boolean; databaseId: string }>(['--db', a, 'check'])).databaseId;
    // c is a copy of a, taken before a's first order (a backup restored beside the original): the
    // same database, the same identity. `warehouse backup` copies what the write-ahead log holds
    // too (a copy of the main file alone may miss the identity's row, still in a-wal)
    expect((await runCli(['--db', a, 'backup', c])).code).toBe(0);
    const idB = (await json<{ databaseId: string }>(['--db', b, 'stats'])).databaseId;
    expect(idA).toMatch(/^[0-9a-f]{32}$/);
    expect(idB).toMatch(/^[0-9a-f]{32}$/);
    expect(idB).not.toBe(idA);
    expect((await runCli(['--db', a, 'check'])).stdout).toContain(`database id ${idA}`);
    expect((await runCli(['--db', b, 'stats'])).stdout).toContain(`database id ${idB}`);

    // two databases, each its order #1 for OTHER × 7: two reservations at the supplier, two refs
    const first = await order(a, 'OTHER', 7);
    const second = await order(b, 'OTHER', 7);
    expect([first.id, second.id]).toEqual([1, 1]);
    expect(first).toMatchObject({ status: 'reserved', supplierRef: `R.order-1.${idA.slice(0, 16)}.OTHER` });
    expect(second).toMatchObject({ status: 'reserved', supplierRef: `R.order-1.${idB.slice(0, 16)}.OTHER` });
    const conversations = (await (await fetch(`${url}/mock/conversations`)).json()) as Conversation[];
    expect(conversations.map((x) => x.key).sort()).toEqual([`order-1.${idA.slice(0, 16)}`, `order-1.${idB.slice(0, 16)}`].sort());
    // neither was answered with the other's reservation
    for (const x of conversations) expect(x.calls.filter((call) => call.kind === 'reserve').map((call) => call.replay)).toEqual([false]);

    // the copy of a sends a's key for another body: the supplier refuses it (422), the order fails
    // at once as a key conflict, dead-lettered with that reason; never booked on a's reservation
    const third = await order(c, 'GADGET', 2);
    expect(third).toMatchObject({ id: 1, status: 'failed', failureReason: 'supplier_key_conflict', supplierRef: null });
    const dead = await json<Array<{ orderId: number; attempts: number; lastError: string }>>(['--db', c, 'jobs', 'failed']);
    expect(dead).toEqual([
      expect.objectContaining({
        orderId: 1,
        attempts: 1,
        lastError: expect.stringMatching(/Idempotency-Key order-1\.[0-9a-f]{16} as used before with another body \(HTTP 422\)/),
      }),
    ]);
    const timeline = await json<{ events: Array<{ type: string; data: Record<string, unknown> }> }>(['--db', c, 'order', 'show', '1']);
    expect(timeline.events.map((e) => e.type)).not.toContain('SupplierCallFailed');
    expect(timeline.events.find((e) => e.type === 'OrderFailed')?.data).toEqual({ reason: 'supplier_key_conflict' });
    // the supplier's record of a's conversation is untouched
    const after = (await (await fetch(`${url}/mock/conversations?key=order-1.${idA.slice(0, 16)}`)).json()) as Conversation[];
    expect(after).toMatchObject([{ sku: 'OTHER', qty: 7, outcome: 'accepted' }]);
    for (const db of [a, b, c]) expect(checkInvariants(db)).toEqual([]);
    supplier.child.kill('SIGTERM');
  });
});

describe('the key of an order whose conversation began before keys named the database', () => {
  it('stays `order-<id>`, as its SupplierReservationRequested recorded none; a new conversation uses the recorded key', () => {
    // Snapshot.supplierAsked: the first SupplierReservationRequested, as the stores read it (test/contract/store.test.ts)
    expect(keyInUse(7, { key: null })).toBe('order-7');
    expect(keyInUse(7, { key: 'order-7.0123456789abcdef' })).toBe('order-7.0123456789abcdef');
    expect(keyInUse(7, null)).toBeNull();
  });
});
