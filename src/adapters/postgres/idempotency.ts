/**
 * PostgreSQL implementation of the IdempotencyStore port (the SQLite one,
 * src/adapters/sqlite/idempotency.ts, is the reference) over the `idempotency_keys` table. `begin`
 * is one transaction: a record that expired or whose request died is deleted, then the key is
 * claimed with `INSERT … ON CONFLICT DO NOTHING`; two requests with one key at once meet on the
 * primary key, and the second reads what the first wrote.
 */
import { sql } from 'drizzle-orm';
import type { BeginResult, IdempotencyStore } from '../../ports/idempotency.js';
import type { PgConnection } from './connection.js';

type Row = {
  fingerprint: string;
  state: 'in_flight' | 'completed';
  status: number | null;
  body: string | null;
  location: string | null;
};

export function createPostgresIdempotencyStore(c: PgConnection): IdempotencyStore {
  /** claims this process could not release (the server was away): key → fingerprint; the next request takes them over */
  const abandoned = new Map<string, string>();
  return {
    begin(key, fp, now, { ttlMs, leaseMs }) {
      return c.tx(async (tx) => {
        // an expired record, or a claim whose request died (or failed, here), no longer holds the key
        const mine = abandoned.get(key);
        await tx.execute(
          sql`DELETE FROM idempotency_keys WHERE key = ${key} AND (expires_at <= ${now} OR (state = 'in_flight' AND (locked_until <= ${now} OR fingerprint = ${mine ?? null})))`,
        );
        const inserted = await tx.execute<{ key: string }>(
          sql`INSERT INTO idempotency_keys (key, fingerprint, state, created_at, locked_until, expires_at)
              VALUES (${key}, ${fp}, 'in_flight', ${now}, ${now + leaseMs}, ${now + ttlMs}) ON CONFLICT (key) DO NOTHING RETURNING key`,
        );
        if (inserted.rows.length === 1) {
          abandoned.delete(key);
          return { kind: 'new' } satisfies BeginResult;
        }
        const { rows } = await tx.execute<Row>(sql`SELECT fingerprint, state, status, body, location FROM idempotency_keys WHERE key = ${key}`);
        const row = rows[0];
        // deleted by another request since the insert met it: that request holds the key now
        if (!row) return { kind: 'in_flight' } satisfies BeginResult;
        if (row.fingerprint !== fp) return { kind: 'mismatch' } satisfies BeginResult;
        if (row.state === 'in_flight') return { kind: 'in_flight' } satisfies BeginResult;
        return { kind: 'replay', response: { status: row.status!, body: row.body!, location: row.location } } satisfies BeginResult;
      });
    },
    async release(key, fp) {
      try {
        await c.read(() => c.pool.query(`DELETE FROM idempotency_keys WHERE key = $1 AND fingerprint = $2 AND state = 'in_flight'`, [key, fp]));
        abandoned.delete(key);
      } catch (error) {
        abandoned.set(key, fp);
        throw error;
      }
    },
    async expire(now) {
      return c.read(async () => (await c.pool.query(`DELETE FROM idempotency_keys WHERE expires_at <= $1`, [now])).rowCount ?? 0);
    },
  };
}
