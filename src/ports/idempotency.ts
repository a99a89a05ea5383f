/**
 * The idempotency store port: records of requests made under an Idempotency-Key (IETF
 * draft-ietf-httpapi-idempotency-key-header), so that a retried write is answered with the first
 * response instead of being done twice. Backend-neutral: every method is async; the SQLite adapter
 * is src/adapters/sqlite/idempotency.ts.
 *
 * Contract, for one key:
 * - first request: `begin` claims it (`new`, an in-flight record with a lease). The write is then
 *   done, and its response stored **in the write's own transaction** (`IdempotentResponse` on the
 *   Store port completes the record). A failure before that calls `release`, so the key is free.
 * - a replay (same key, same fingerprint, completed): `replay` with the stored response.
 * - the same key with another request (fingerprint differs): `mismatch`; nothing may be written.
 * - the same key while the first request is still in flight (lease not run out): `in_flight`.
 * - an in-flight record whose lease ran out belongs to a request that died (a crash): the next
 *   `begin` with that key takes it over (`new`).
 * - records expire `ttlMs` after the first request; an expired key is new again. `expire` deletes
 *   them.
 *
 * Records are durable and shared by every process on the same database. Times (`now`) come from
 * the caller's Clock, never from the database.
 */

/** A response as stored with its key and replayed verbatim. */
export interface StoredResponse {
  status: number;
  /** JSON text of the response body */
  body: string;
  /** the Location header, when the response had one */
  location: string | null;
}

export type BeginResult = { kind: 'new' } | { kind: 'replay'; response: StoredResponse } | { kind: 'mismatch' } | { kind: 'in_flight' };

export interface IdempotencyStore {
  /** Atomically look the key up and, when it is new (or expired, or abandoned), claim it. */
  begin(key: string, fingerprint: string, now: number, opts: { ttlMs: number; leaseMs: number }): Promise<BeginResult>;
  /** Forget an in-flight claim (the request failed; the key may be used again). */
  release(key: string, fingerprint: string): Promise<void>;
  /** Delete the records expired at `now`; returns how many. */
  expire(now: number): Promise<number>;
}
