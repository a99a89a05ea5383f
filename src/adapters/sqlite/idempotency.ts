/**
 * SQLite implementation of the IdempotencyStore port (src/ports/idempotency.ts) over the
 * `idempotency_keys` table. Every write is one synchronous BEGIN IMMEDIATE transaction, so two
 * server processes on one file see each other's claims. A record is completed by the store's
 * write transaction (statements.ts `completeIdempotency`), not here.
 */
import type Database from 'better-sqlite3';
import type { BeginResult, IdempotencyStore } from '../../ports/idempotency.js';
import { describeSqliteError } from './open.js';

interface Row {
  key: string;
  fingerprint: string;
  state: 'in_flight' | 'completed';
  status: number | null;
  body: string | null;
  location: string | null;
  locked_until: number;
  expires_at: number;
}

export function createSqliteIdempotencyStore(db: Database.Database, busyTimeoutMs = 5_000): IdempotencyStore {
  const select = db.prepare<[string], Row>(`SELECT * FROM idempotency_keys WHERE key = ?`);
  const remove = db.prepare<[string]>(`DELETE FROM idempotency_keys WHERE key = ?`);
  const insert = db.prepare<[string, string, number, number, number]>(
    `INSERT INTO idempotency_keys (key, fingerprint, state, created_at, locked_until, expires_at) VALUES (?, ?, 'in_flight', ?, ?, ?)`,
  );
  const drop = db.prepare<[string, string]>(`DELETE FROM idempotency_keys WHERE key = ? AND fingerprint = ? AND state = 'in_flight'`);
  const purge = db.prepare<[number]>(`DELETE FROM idempotency_keys WHERE expires_at <= ?`);

  const begin = db.transaction((key: string, fp: string, now: number, ttlMs: number, leaseMs: number): BeginResult => {
    let row = select.get(key);
    // an expired record, or a claim whose request died, no longer holds the key
    if (row && (row.expires_at <= now || (row.state === 'in_flight' && row.locked_until <= now))) {
      remove.run(key);
      row = undefined;
    }
    if (!row) {
      insert.run(key, fp, now, now + leaseMs, now + ttlMs);
      return { kind: 'new' };
    }
    if (row.fingerprint !== fp) return { kind: 'mismatch' };
    if (row.state === 'in_flight') return { kind: 'in_flight' };
    return { kind: 'replay', response: { status: row.status!, body: row.body!, location: row.location } };
  });

  /** a locked or broken database becomes a DatabaseError (HTTP 503), as in the store */
  const guarded = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw describeSqliteError(error, db.name, busyTimeoutMs) ?? error;
    }
  };

  return {
    async begin(key, fp, now, { ttlMs, leaseMs }) {
      return guarded(() => begin.immediate(key, fp, now, ttlMs, leaseMs));
    },
    async release(key, fp) {
      guarded(() => db.transaction(() => drop.run(key, fp)).immediate());
    },
    async expire(now) {
      return guarded(() => db.transaction(() => purge.run(now).changes).immediate());
    },
  };
}
