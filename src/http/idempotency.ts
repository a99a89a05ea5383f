/**
 * Idempotency-Key on order creation (IETF draft-ietf-httpapi-idempotency-key-header).
 *
 * Contract, for one key:
 * - first request: `begin` records it `in_flight` (with a lease); the order is then created and
 *   its response (status, body, Location) stored in the same transaction (`IdempotentResponse` on
 *   the Store port). A failure before that calls `release`, so the client can try again with the key.
 * - a replay (same key, same fingerprint, completed): the stored response, same status and body.
 * - the same key with another request (fingerprint differs): 422, nothing is created.
 * - the same key while the first request is still in flight (lease not run out): 409.
 * - an `in_flight` record whose lease ran out belongs to a request that died (a crash): the next
 *   request with that key takes it over.
 * - records expire `ttlMs` (24 h) after the first request; an expired key is new again.
 *
 * Records live in the database (a replay after a restart still answers, and several server
 * processes share them). All times come from the engine's Clock; the port is async so that a
 * PostgreSQL implementation can follow the SQLite one (src/adapters/sqlite/idempotency.ts).
 */
import { createHash } from 'node:crypto';

export interface StoredResponse {
  status: number;
  /** JSON text of the response body */
  body: string;
  location: string | null;
}

export type BeginResult =
  | { kind: 'new' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in_flight' };

export interface IdempotencyStore {
  /** Atomically look the key up and, when it is new (or expired, or abandoned), claim it. */
  begin(key: string, fingerprint: string, now: number, opts: { ttlMs: number; leaseMs: number }): Promise<BeginResult>;
  /** Forget an in-flight claim (the request failed; the key may be used again). */
  release(key: string, fingerprint: string): Promise<void>;
  /** Delete the records expired at `now`; returns how many. */
  expire(now: number): Promise<number>;
}

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** how long an in-flight claim blocks its key if the process handling it dies */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;

/** A key is 1-255 visible ASCII characters (the draft leaves the syntax to the server). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so that key order and whitespace do not change a fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The request's fingerprint: the operation and its validated input. Two bodies that create the same
 * order (`" widget "` and `"WIDGET"`, keys in another order) are the same request.
 */
export function fingerprint(operation: string, body: unknown): string {
  return createHash('sha256').update(operation).update('\n').update(canonical(body)).digest('hex');
}
