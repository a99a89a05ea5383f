/**
 * The IdempotencyStore port's contract (the HTTP API's Idempotency-Key records), the same tests on
 * every adapter: SQLite in the `all` project, PostgreSQL in the `postgres` project.
 */
import { describe, expect, it } from 'vitest';
import { T0, testBackend, withJob } from './support.js';

const opts = { ttlMs: 24 * 3_600_000, leaseMs: 60_000 };
const respond = (o: { id: number }) => ({ status: 201, body: JSON.stringify({ id: o.id }), location: `/api/orders/${o.id}` });

describe('the idempotency records', () => {
  it('claims a new key, then says in_flight for the same request and mismatch for another', async () => {
    const { idempotency } = await testBackend();
    expect(await idempotency.begin('k', 'fp', T0, opts)).toEqual({ kind: 'new' });
    expect(await idempotency.begin('k', 'fp', T0 + 1, opts)).toEqual({ kind: 'in_flight' });
    expect(await idempotency.begin('k', 'other', T0 + 1, opts)).toEqual({ kind: 'mismatch' });
  });

  it('replays the stored response once the order that completed it committed, until the key expires', async () => {
    const { idempotency, store } = await testBackend();
    await idempotency.begin('k', 'fp', T0, opts);
    const { order } = await store.createOrder('A', 1, T0, () => withJob('A', 1), { key: 'k', fingerprint: 'fp', respond });
    expect(await idempotency.begin('k', 'fp', T0 + opts.ttlMs - 1, opts)).toEqual({ kind: 'replay', response: respond(order) });
    expect(await idempotency.begin('k', 'other', T0 + opts.ttlMs - 1, opts)).toEqual({ kind: 'mismatch' });
    expect(await idempotency.begin('k', 'other', T0 + opts.ttlMs, opts)).toEqual({ kind: 'new' });
  });

  it('frees a key whose request failed, and only for that request', async () => {
    const { idempotency } = await testBackend();
    await idempotency.begin('k', 'fp', T0, opts);
    await idempotency.release('k', 'not-this-one');
    expect(await idempotency.begin('k', 'fp', T0 + 1, opts)).toEqual({ kind: 'in_flight' });
    await idempotency.release('k', 'fp');
    expect(await idempotency.begin('k', 'fp2', T0 + 2, opts)).toEqual({ kind: 'new' });
  });

  it('lets a new request take over a claim whose lease ran out (its request died)', async () => {
    const { idempotency } = await testBackend();
    await idempotency.begin('k', 'fp', T0, opts);
    expect(await idempotency.begin('k', 'fp', T0 + opts.leaseMs - 1, opts)).toEqual({ kind: 'in_flight' });
    expect(await idempotency.begin('k', 'fp', T0 + opts.leaseMs, opts)).toEqual({ kind: 'new' });
  });

  it('purges the records expired at a time, and only those', async () => {
    const { idempotency } = await testBackend();
    const held = { ...opts, leaseMs: opts.ttlMs };
    await idempotency.begin('old', 'fp', T0, held);
    await idempotency.begin('new', 'fp', T0 + 1_000, held);
    expect(await idempotency.expire(T0 + opts.ttlMs + 500)).toBe(1);
    expect(await idempotency.expire(T0 + opts.ttlMs + 500)).toBe(0);
    expect(await idempotency.begin('new', 'fp', T0 + opts.ttlMs + 500, held)).toEqual({ kind: 'in_flight' });
  });

  it('gives a key to exactly one of ten requests racing for it', async () => {
    const { idempotency } = await testBackend();
    const results = await Promise.all(Array.from({ length: 10 }, () => idempotency.begin('race', 'fp', T0, opts)));
    expect(results.filter((r) => r.kind === 'new')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'in_flight')).toHaveLength(9);
  });
});
