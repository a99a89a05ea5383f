/**
 * The expensive reads on a real server and a real file (issue 21 §3, docs/security.md "Bounded
 * resources"): the overview's orders per state come from one grouped count and are right for every
 * state; GET /api/check is answered from the last audit while the data has not changed, and runs
 * again after a change, whether this server made it or another connection did.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from './support.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server() {
  const s = await testServer({ runner: false });
  servers.push(s);
  return s;
}

/** Writes on the file through a connection of its own, as another process would. */
function elsewhere(file: string, sql: string, rows: unknown[][] = [[]]) {
  const db = new Database(file);
  try {
    const stmt = db.prepare(sql);
    db.transaction(() => {
      for (const r of rows) stmt.run(...r);
    })();
  } finally {
    db.close();
  }
}

describe('the overview', () => {
  it('counts orders in every state, including states with none', async () => {
    const s = await server();
    const want = { pending: 1200, awaiting_restock: 30, reserved: 700, failed: 45, cancelling: 0, cancelled: 0, expired: 0, fulfilled: 0 };
    // every order inserted pending (as the database insists), then moved on by the legal transitions
    const total = Object.values(want).reduce((a, b) => a + b, 0);
    elsewhere(
      s.db,
      `INSERT INTO orders (sku, qty, status, created_at, updated_at) VALUES ('A', 1, 'pending', 0, 0)`,
      Array.from({ length: total }, () => []),
    );
    let id = want.pending;
    for (const [status, n] of Object.entries(want).slice(1, 4)) {
      elsewhere(s.db, `UPDATE orders SET status = ?, failure_reason = ? WHERE id > ? AND id <= ?`, [
        [status, status === 'failed' ? 'supplier_rejected' : null, id, id + n],
      ]);
      id += n;
    }
    expect((await s.call('GET', '/api/overview')).body.orders).toEqual(want);
    elsewhere(s.db, `DELETE FROM orders WHERE status = 'awaiting_restock'`);
    expect((await s.call('GET', '/api/overview')).body.orders).toEqual({ ...want, awaiting_restock: 0 });
  });
});

describe('the check', () => {
  const audits = async (s: TestServer) => {
    const info = await s.warehouse.store.info();
    return { run: info.auditsRun, cached: info.auditsCached };
  };
  const check = async (s: TestServer) => (await s.call('GET', '/api/check')).body as { ok: boolean; violations: Array<{ rule: string }> };

  it('is answered from the last audit while nothing changed, and runs again after any change', async () => {
    const s = await server();
    await s.call('PUT', '/api/inventory/A', { json: { onHand: 5 } });
    await s.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 } });
    expect(await check(s)).toEqual({ ok: true, violations: [] });
    expect(await check(s)).toEqual({ ok: true, violations: [] });
    expect(await audits(s)).toEqual({ run: 1, cached: 1 });

    // another connection breaks a rule: the next check runs and sees it
    elsewhere(s.db, `INSERT INTO orders (sku, qty, status, created_at, updated_at) VALUES ('B', 1, 'pending', 0, 0)`);
    const broken = await check(s);
    expect(broken.ok).toBe(false);
    expect(broken.violations.map((v) => v.rule)).toContain('order-has-creation-event');
    expect(await check(s)).toEqual(broken);
    expect(await audits(s)).toEqual({ run: 2, cached: 2 });

    // ... and mends it
    elsewhere(s.db, `DELETE FROM orders WHERE sku = 'B'`);
    expect(await check(s)).toEqual({ ok: true, violations: [] });
    expect(await audits(s)).toEqual({ run: 3, cached: 2 });

    // this server's own write (which data_version does not count) makes it run again too
    await s.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 } });
    expect(await check(s)).toEqual({ ok: true, violations: [] });
    expect(await audits(s)).toEqual({ run: 4, cached: 2 });
  });

  it('runs one audit for checks asked for at once on the same data', async () => {
    const s = await server();
    await s.call('POST', '/api/orders', { json: { sku: 'A', qty: 1 } });
    const answers = await Promise.all([check(s), check(s), check(s)]);
    expect(answers).toEqual([0, 1, 2].map(() => ({ ok: true, violations: [] })));
    expect(await audits(s)).toEqual({ run: 1, cached: 2 });
  });
});
