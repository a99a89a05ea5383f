import { describe, expect, it } from 'vitest';
import { openConnection } from '../../src/adapters/sqlite/connection.js';

/**
 * SQLite (3.47 and later) reads a bound `LIMIT ?` while planning and prepares the statement again
 * whenever that parameter is bound anew, which better-sqlite3 does on every call: a hot statement
 * with one cost ten to twenty times its work (src/adapters/sqlite/limit.ts).
 */
describe('the prepared statements of the SQLite adapter', () => {
  it('bind no LIMIT, so that SQLite does not prepare them again on every call', async () => {
    const c = await openConnection({ file: ':memory:', durability: 'normal', quickCheck: false });
    try {
      const withLimit = Object.entries(c.q)
        .map(([name, stmt]) => [name, (stmt as unknown as { getQuery(): { sql: string } }).getQuery().sql] as const)
        .filter(([, sql]) => / limit /i.test(sql));
      expect(withLimit.map(([name]) => name).sort()).toEqual(['anyDue', 'claimDue', 'eventsAfter', 'orderStep', 'supplierAsked']);
      for (const [, sql] of withLimit) expect(sql).not.toMatch(/ limit \?/i);
    } finally {
      c.close();
    }
  });

  it('still honour the limit a placeholder gives', async () => {
    const c = await openConnection({ file: ':memory:', durability: 'normal', quickCheck: false });
    try {
      c.raw.pragma('foreign_keys = OFF');
      for (let i = 0; i < 5; i++)
        c.raw.prepare(`INSERT INTO jobs (type, order_id, run_at, max_attempts, created_at) VALUES ('ReserveInventory', ?, 0, 5, 0)`).run(i + 1);
      expect(c.q.anyDue.get({ now: 10 })).toBeDefined();
      expect(c.q.claimDue.all({ now: 10, limit: 2, workerId: 'w', lockedUntil: 20 })).toHaveLength(2);
      // the two claimed are leased until 20: of the three left, at most two
      expect(c.q.claimDue.all({ now: 10, limit: 2, workerId: 'w', lockedUntil: 20 })).toHaveLength(2);
      expect(c.q.claimDue.all({ now: 10, limit: 4, workerId: 'w', lockedUntil: 20 })).toHaveLength(1);
    } finally {
      c.close();
    }
  });
});
