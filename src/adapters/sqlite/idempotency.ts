/**
 * SQLite implementation of the IdempotencyStore port (src/ports/idempotency.ts) over the
 * `idempotency_keys` table. Every write is one BEGIN IMMEDIATE transaction on the backend's shared
 * connection (waiting for another process's lock without blocking), so two server processes on
 * one file see each other's claims. A record is completed by the store's write transaction
 * (statements.ts `completeIdempotency`), not here.
 *
 * A claim whose request failed is released at once. When the release itself cannot be written
 * (the disk is full, the database locked), this process remembers the claim as abandoned and the
 * next request with the key takes it over, instead of answering 409 until the claim's lease runs
 * out.
 */
import type { BeginResult, IdempotencyStore } from '../../ports/idempotency.js';
import type { Connection } from './connection.js';

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

export function createSqliteIdempotencyStore(c: Connection): IdempotencyStore {
  const db = c.raw;
  /** claims this process could not release: key → fingerprint */
  const abandoned = new Map<string, string>();
  const select = db.prepare<[string], Row>(`SELECT * FROM idempotency_keys WHERE key = ?`);
  const remove = db.prepare<[string]>(`DELETE FROM idempotency_keys WHERE key = ?`);
  const insert = db.prepare<[string, string, number, number, number]>(
    `INSERT INTO idempotency_keys (key, fingerprint, state, created_at, locked_until, expires_at) VALUES (?, ?, 'in_flight', ?, ?, ?)`,
  );
  const drop = db.prepare<[string, string]>(`DELETE FROM idempotency_keys WHERE key = ? AND fingerprint = ? AND state = 'in_flight'`);
  const purge = db.prepare<[number]>(`DELETE FROM idempotency_keys WHERE expires_at <= ?`);

  const begin = db.transaction((key: string, fp: string, now: number, ttlMs: number, leaseMs: number): BeginResult => {
    let row = select.get(key);
    // an expired record, or a claim whose request died (or failed, here), no longer holds the key
    const dead = row?.state === 'in_flight' && (row.locked_until <= now || abandoned.get(key) === row.fingerprint);
    if (row && (row.expires_at <= now || dead)) {
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

  return {
    async begin(key, fp, now, { ttlMs, leaseMs }) {
      const result = await c.writeAlone(() => begin(key, fp, now, ttlMs, leaseMs));
      if (result.kind === 'new') abandoned.delete(key);
      return result;
    },
    async release(key, fp) {
      try {
        await c.writeAlone(() => drop.run(key, fp));
        abandoned.delete(key);
      } catch (error) {
        abandoned.set(key, fp);
        throw error;
      }
    },
    async expire(now) {
      return c.writeAlone(() => purge.run(now).changes);
    },
  };
}
