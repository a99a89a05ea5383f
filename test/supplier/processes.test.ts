/**
 * Issue 11, done when (2): two `warehouse work` processes and one `warehouse serve`, all pointed
 * at one `warehouse supplier serve`, share one supplier: each order has one conversation, heard in
 * script order, with one reservation, as the supplier's own state shows. Real processes, real
 * time, short delays (checks 200 ms apart, backoff from 50 ms).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkInvariants, runCli, tempDb, tempDir } from '../helpers.js';
import { spawnCli } from './support.js';

const FAST = ['--check-delay', '200ms', '--backoff-base', '50ms', '--backoff-cap', '200ms'];
const SCRIPT = `
A: { reserve: [error, accepted], status: [delayed, ok] }
B: { reserve: rejected }
C: { status: [delayed, delayed, fail] }
D: { reserve: [malformed, accepted], status: [error, ok] }
`;
/** what each SKU's conversation must sound like, and how its order ends */
const EXPECTED: Record<string, { calls: string[]; status: string; checks: number }> = {
  A: { calls: ['reserve:error', 'reserve:accepted', 'status:delayed', 'status:ok'], status: 'reserved', checks: 2 },
  B: { calls: ['reserve:rejected'], status: 'failed', checks: 0 },
  C: { calls: ['reserve:accepted', 'status:delayed', 'status:delayed', 'status:fail'], status: 'failed', checks: 3 },
  D: { calls: ['reserve:malformed', 'reserve:accepted', 'status:error', 'status:ok'], status: 'reserved', checks: 1 },
};
const PER_SKU = 6;

interface Conversation {
  key: string;
  sku: string;
  qty: number;
  outcome: string | null;
  calls: Array<{ kind: string; answer: string; replay: boolean }>;
}

describe('one supplier service behind several engine processes', () => {
  it('gives each order one conversation in script order, with one reservation', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const scriptFile = join(dir, 'moods.yaml');
    writeFileSync(scriptFile, SCRIPT);
    const supplier = spawnCli(['supplier', 'serve', '--port', '0', '--state', join(dir, 'supplier.db'), '--script', scriptFile]);
    const [, supplierUrl] = await supplier.waitFor(/supplier listening on (http:\/\/\S+) /);

    const db = tempDb();
    const engine = ['--db', db, '--supplier-url', supplierUrl!];
    const serve = spawnCli([...engine, 'serve', '--port', '0', ...FAST]);
    const [, api] = await serve.waitFor(/listening on (http:\/\/\S+) /);
    const workers = [spawnCli([...engine, 'work', ...FAST]), spawnCli([...engine, 'work', ...FAST])];
    await Promise.all(workers.map((w) => w.waitFor(/Ctrl-C to stop/)));

    const ids: Record<number, string> = {};
    for (let i = 0; i < PER_SKU; i++) {
      for (const sku of Object.keys(EXPECTED)) {
        const res = await fetch(`${api}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sku, qty: 1 + i }),
        });
        expect(res.status).toBe(201);
        ids[((await res.json()) as { id: number }).id] = sku;
      }
    }

    // the supplier prints one line per call: wait for all of them, then for the engines to commit
    const callsExpected = PER_SKU * Object.values(EXPECTED).reduce((n, e) => n + e.calls.length, 0);
    await supplier.waitFor(new RegExp(`(?:\\n[^\\n]*(?:reserve|status)  [^\\n]*){${callsExpected}}`));
    let orders: Array<{ id: number; sku: string; status: string; supplierChecks: number }> = [];
    for (let tries = 0; tries < 100; tries++) {
      orders = ((await (await fetch(`${api}/api/orders?limit=100`)).json()) as { orders: typeof orders }).orders;
      if (orders.every((o) => o.status === 'reserved' || o.status === 'failed')) break;
      await new Promise((r) => setTimeout(r, 100)); // other processes: nothing to wait on but their commits
    }
    expect(orders).toHaveLength(Object.keys(ids).length);
    for (const o of orders) expect([o.sku, o.status, o.supplierChecks]).toEqual([o.sku, EXPECTED[o.sku]!.status, EXPECTED[o.sku]!.checks]);

    // the supplier's own record: exactly one conversation per order, each in script order
    const conversations = (await (await fetch(`${supplierUrl}/mock/conversations`)).json()) as Conversation[];
    // keys carry the database's identity (docs/design.md §5.2)
    const db16 = (JSON.parse((await runCli(['--db', db, '--json', 'check'])).stdout) as { databaseId: string }).databaseId.slice(0, 16);
    expect(conversations.map((c) => c.key).sort()).toEqual(
      Object.keys(ids)
        .map((id) => `order-${id}.${db16}`)
        .sort(),
    );
    for (const c of conversations) {
      const sku = ids[Number(c.key.slice('order-'.length).split('.')[0])]!;
      expect({ key: c.key, sku: c.sku, calls: c.calls.map((x) => `${x.kind}:${x.answer}`) }).toEqual({ key: c.key, sku, calls: EXPECTED[sku]!.calls });
      const reservations = c.calls.filter((x) => x.kind === 'reserve' && (x.answer === 'accepted' || x.answer === 'rejected'));
      expect(reservations.filter((x) => !x.replay)).toHaveLength(1);
    }

    for (const p of [serve, ...workers]) p.child.kill('SIGTERM');
    supplier.child.kill('SIGINT');
    for (const p of [serve, ...workers, supplier]) expect((await p.exited).code).toBe(0);
    expect(checkInvariants(db)).toEqual([]);
  });
});
