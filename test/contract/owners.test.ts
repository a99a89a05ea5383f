/**
 * Issue 9: what a failed run does is decided by whose trouble it is (domain/retry.ts), carried out
 * by the executor on a real backend (SQLite in the `all` project, PostgreSQL in `postgres`). Only
 * the supplier's trouble spends attempts, dead-letters the job and fails the order; the database's
 * trouble and bugs defer the job without spending anything, then park it; a parked job keeps its
 * order where it was, and is put back by `resumeParked`.
 */
import { describe, expect, it } from 'vitest';
import { createBus } from '../../src/app/bus.js';
import { createExecutor } from '../../src/app/executor.js';
import type { JobHandlers } from '../../src/app/handlers.js';
import { DatabaseError, SupplierUnavailableError } from '../../src/domain/errors.js';
import { BUG_RUNS, PARK_AFTER_RUNS } from '../../src/domain/retry.js';
import { DEFAULT_SETTINGS } from '../../src/domain/settings.js';
import type { Clock } from '../../src/ports/clock.js';
import { T0, testBackend, withJob } from './support.js';

const LEASE = 1_000;

/** One order whose job fails with `error` on every run; `runs` runs, each claimed once its lease or backoff has passed. */
async function failEveryRun(error: () => unknown, runs: number, jobAttempts = 5) {
  const b = await testBackend({ jobAttempts });
  const settings = { ...DEFAULT_SETTINGS, jobAttempts };
  const { order } = await b.store.createOrder('A', 1, T0, () => withJob('A', 1, T0));
  let now = T0;
  const clock = { now: () => now } as Clock;
  const fail = async () => {
    throw error();
  };
  const handlers: JobHandlers = { ReserveInventory: fail, CheckSupplierStatus: fail, ExpireReservation: fail, CancelSupplierReservation: fail };
  const executor = createExecutor({ store: b.store, clock, bus: createBus(), settings, handlers, random: () => 0.5 });
  for (let i = 0; i < runs; i++) {
    const due = await b.queue.nextDueAt();
    if (due === null) break;
    now = Math.max(now, due);
    const [job] = await b.queue.claim(now, 1, 'w', LEASE);
    if (!job) break;
    await executor.execute(job);
  }
  const [job] = await b.queue.list();
  const events = (await b.store.getTimeline(order.id)).map((e) => e.type);
  return { b, order: (await b.store.getOrder(order.id))!, job, events, counts: await b.queue.count() };
}

describe("a failed run is handled by its owner's rule", () => {
  it("the supplier's trouble spends an attempt each run, then dead-letters the job and fails the order supplier_unavailable", async () => {
    const r = await failEveryRun(() => new SupplierUnavailableError('http_error', 'supplier answered 503'), 10, 3);
    expect(r.counts).toEqual({ queued: 0, running: 0, parked: 0, dead: 1 });
    expect(r.order).toMatchObject({ status: 'failed', failureReason: 'supplier_unavailable' });
    expect(r.events.filter((t) => t === 'SupplierCallFailed')).toHaveLength(2);
    expect(r.events).toContain('JobDeadLettered');
  });

  it("the database's trouble spends no attempt, is deferred, and parks after PARK_AFTER_RUNS runs; the order stays pending", async () => {
    const r = await failEveryRun(() => new DatabaseError('database is locked', 'x.db', { fault: 'busy' }), PARK_AFTER_RUNS + 5);
    expect(r.counts).toEqual({ queued: 0, running: 0, parked: 1, dead: 0 });
    expect(r.job).toMatchObject({ state: 'parked', attempt: 1 });
    expect(r.job!.parkedReason).toMatch(/^database: busy: database is locked/);
    expect(r.order).toMatchObject({ status: 'pending', failureReason: null });
    expect(r.events.filter((t) => t === 'JobDeferred')).toHaveLength(PARK_AFTER_RUNS - 1);
    expect(r.events).not.toContain('SupplierCallFailed');
    expect(r.events.at(-1)).toBe('JobParked');
  });

  it('a bug (an error that is not ours) is tried BUG_RUNS times, spending nothing, then parked for an operator', async () => {
    const r = await failEveryRun(() => new TypeError("Cannot read properties of undefined (reading 'sku')"), 10);
    expect(r.counts).toEqual({ queued: 0, running: 0, parked: 1, dead: 0 });
    expect(r.job).toMatchObject({ state: 'parked', attempt: 1 });
    expect(r.job!.parkedReason).toMatch(/^bug: TypeError: Cannot read properties of undefined/);
    expect(r.order.status).toBe('pending');
    expect(r.events.filter((t) => t === 'JobDeferred')).toHaveLength(BUG_RUNS - 1);
    // put back by an operator (warehouse jobs resume): claimable again, at the same attempt
    expect(await r.b.queue.resumeParked(T0 + 10 * 60_000)).toHaveLength(1);
    expect(await r.b.queue.count()).toEqual({ queued: 1, running: 0, parked: 0, dead: 0 });
  });
});
