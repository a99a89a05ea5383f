/**
 * The JobQueue port's contract (ports/queue.ts) with the settlements of ports/store.ts, the same
 * tests on every adapter: SQLite in the `all` project, PostgreSQL in the `postgres` project.
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/domain/errors.js';
import type { JobSettlement } from '../../src/ports/queue.js';
import { describeNeedsDatabase, noop, T0, testBackend, withJob } from './support.js';

async function withOrders(n: number, runAt = (i: number) => T0 + i) {
  const b = await testBackend();
  const orders: number[] = [];
  for (let i = 0; i < n; i++) orders.push((await b.store.createOrder('A', 1, T0, () => withJob('A', 1, runAt(i)))).order.id);
  return { ...b, orders };
}

describe('the job queue', () => {
  it('claims due jobs oldest first under a lease, and not again while the lease holds', async () => {
    const { queue, orders } = await withOrders(3, (i) => T0 + 10 - i);
    expect(await queue.claim(T0 + 7, 5, 'w', 1_000)).toEqual([]);
    const claimed = await queue.claim(T0 + 10, 5, 'w', 1_000);
    expect(claimed.map((j) => j.orderId)).toEqual([...orders].reverse());
    expect(claimed.every((j) => typeof j.id === 'string' && j.lease.jobId === j.id && typeof j.lease.token === 'string')).toBe(true);
    expect(claimed.map((j) => [j.type, j.runs, j.attempt])).toEqual(Array(3).fill(['ReserveInventory', 1, 1]));
    expect(await queue.claim(T0 + 500, 5, 'other', 1_000)).toEqual([]);
    expect(await queue.count()).toEqual({ queued: 0, running: 3, parked: 0, dead: 0 });
    expect((await queue.list()).map((j) => [j.state, j.lockedUntil])).toEqual(Array(3).fill(['running', T0 + 10 + 1_000]));
  });

  it('takes over a job whose lease ran out: another run, the same attempt', async () => {
    const { queue } = await withOrders(1);
    const [first] = await queue.claim(T0, 1, 'dies', 1_000);
    expect(await queue.nextDueAt()).toBe(T0 + 1_000);
    const [again] = await queue.claim(T0 + 1_000, 1, 'lives', 1_000);
    expect(again).toMatchObject({ id: first!.id, runs: 2, attempt: 1 });
    expect(again!.lease.token).not.toBe(first!.lease.token);
  });

  it('gives the same runner another lease when it takes over its own job: the earlier lease can no longer finish it', async () => {
    const { store, queue, orders } = await withOrders(1);
    const [first] = await queue.claim(T0, 1, 'same', 1_000);
    const [again] = await queue.claim(T0 + 1_000, 1, 'same', 1_000);
    expect(again).toMatchObject({ id: first!.id, runs: 2 });
    expect(again!.lease.token).not.toBe(first!.lease.token);
    await expect(store.applyToOrder(orders[0]!, T0 + 1_001, () => noop(), { lease: first!.lease, settle: { kind: 'complete' } })).rejects.toThrow(
      /lost its lease/,
    );
    await store.applyToOrder(orders[0]!, T0 + 1_002, () => noop(), { lease: again!.lease, settle: { kind: 'complete' } });
    expect(await queue.count()).toMatchObject({ queued: 0, running: 0 });
  });

  it('says when the next job is due, and null when none is queued', async () => {
    const { queue } = await withOrders(2, (i) => T0 + 100 * (i + 1));
    expect(await queue.nextDueAt()).toBe(T0 + 100);
    await queue.claim(T0 + 100, 1, 'w', 5_000);
    expect(await queue.nextDueAt()).toBe(T0 + 200);
    const empty = await testBackend();
    expect(await empty.queue.nextDueAt()).toBeNull();
  });

  it('says how long the oldest due queued job has waited: not a later one, not a running one; null when none is due', async () => {
    const { queue } = await withOrders(3, (i) => T0 + 100 * (i + 1));
    expect(await queue.oldestDueAt(T0 + 50)).toBeNull();
    expect(await queue.oldestDueAt(T0 + 250)).toBe(T0 + 100);
    await queue.claim(T0 + 100, 1, 'w', 5_000);
    expect(await queue.oldestDueAt(T0 + 250)).toBe(T0 + 200);
    expect(await queue.oldestDueAt(T0 + 150)).toBeNull();
    expect(await (await testBackend()).queue.oldestDueAt(T0)).toBeNull();
  });

  it("says the earlier of a running job's lease end and the next queued job", async () => {
    const due = [T0 + 100, T0 + 110, T0 + 300];
    const { queue } = await withOrders(3, (i) => due[i]!);
    await queue.claim(T0 + 100, 1, 'short', 50);
    expect(await queue.nextDueAt()).toBe(T0 + 110);
    await queue.claim(T0 + 120, 1, 'long', 10_000);
    // the first lease ends before the queued job is due, and another running job lies between them
    expect(await queue.nextDueAt()).toBe(T0 + 150);
    const [retaken] = await queue.claim(T0 + 300, 1, 'again', 10_000);
    expect(retaken?.runs).toBe(2);
    expect(await queue.nextDueAt()).toBe(T0 + 300);
    await queue.claim(T0 + 300, 1, 'last', 10_000);
    // nothing queued: the earliest lease end of the running ones
    expect(await queue.nextDueAt()).toBe(T0 + 120 + 10_000);
  });

  it('settles a job with the change it made: complete, retry (counted or not), park, dead-letter', async () => {
    const { store, queue, orders } = await withOrders(4);
    const jobs = await queue.claim(T0 + 10, 4, 'w', 1_000);
    const settle = (i: number, s: JobSettlement) => store.applyToOrder(orders[i]!, T0 + 20, () => noop(), { lease: jobs[i]!.lease, settle: s });
    await settle(0, { kind: 'complete' });
    await settle(1, { kind: 'retry', runAt: T0 + 30, error: 'supplier 500', counted: true });
    await settle(2, { kind: 'park', reason: 'bug: broke' });
    await settle(3, { kind: 'dead', error: 'attempts ran out' });
    expect(await queue.count()).toEqual({ queued: 1, running: 0, parked: 1, dead: 1 });
    const listed = await queue.list();
    expect(listed.map((j) => [j.orderId, j.state, j.runAt, j.lastError, j.parkedReason])).toEqual([
      [orders[2], 'parked', T0 + 2, 'bug: broke', 'bug: broke'],
      [orders[1], 'queued', T0 + 30, 'supplier 500', null],
    ]);
    const [retried] = await queue.claim(T0 + 30, 5, 'w', 1_000);
    expect(retried).toMatchObject({ orderId: orders[1], attempt: 2, runs: 2 });
    // an uncounted retry (the database's trouble) spends no attempt
    await store.applyToOrder(orders[1]!, T0 + 31, () => noop(), {
      lease: retried!.lease,
      settle: { kind: 'retry', runAt: T0 + 40, error: 'busy', counted: false },
    });
    expect((await queue.claim(T0 + 40, 5, 'w', 1_000))[0]).toMatchObject({ attempt: 2, runs: 3 });
    expect(await queue.listDeadLetters()).toEqual([
      {
        id: expect.any(String),
        jobId: jobs[3]!.id,
        type: 'ReserveInventory',
        orderId: orders[3],
        payload: {},
        attempts: 1,
        lastError: 'attempts ran out',
        failedAt: T0 + 20,
        retriedAt: null,
      },
    ]);
  });

  it('keeps a job running through an intermediate commit, its lease still checked', async () => {
    const { store, queue, orders } = await withOrders(1);
    const [job] = await queue.claim(T0, 1, 'w', 1_000);
    await store.applyToOrder(orders[0]!, T0 + 1, () => noop(), { lease: job!.lease, settle: { kind: 'keep' } });
    expect(await queue.count()).toMatchObject({ running: 1 });
    await store.applyToOrder(orders[0]!, T0 + 2, () => noop(), {
      lease: job!.lease,
      settle: (plan) => (plan.outcome === 'noop' ? { kind: 'complete' } : { kind: 'keep' }),
    });
    expect(await queue.list()).toEqual([]);
  });

  it('resumes parked jobs (all, by reason, or one) and records JobResumed on each order', async () => {
    const { store, queue, orders } = await withOrders(3);
    const jobs = await queue.claim(T0 + 5, 3, 'w', 1_000);
    const reasons = ['database: busy', 'bug: x', 'database: unavailable'];
    for (let i = 0; i < 3; i++)
      await store.applyToOrder(orders[i]!, T0 + 6, () => noop(), { lease: jobs[i]!.lease, settle: { kind: 'park', reason: reasons[i]! } });
    expect(await queue.claim(T0 + 100, 5, 'w', 1_000)).toEqual([]);
    const byReason = await queue.resumeParked(T0 + 7, { reasonPrefix: 'database' });
    expect(byReason.map((r) => r.job.orderId).sort()).toEqual([orders[0], orders[2]].sort());
    expect(byReason.every((r) => r.job.runAt === T0 + 7 && r.event.type === 'JobResumed' && r.event.at === T0 + 7)).toBe(true);
    expect(await queue.resumeParked(T0 + 8, { jobId: 'no-such-job' })).toEqual([]);
    const one = await queue.resumeParked(T0 + 8, { jobId: jobs[1]!.id });
    expect(one.map((r) => r.job.id)).toEqual([jobs[1]!.id]);
    expect(await queue.count()).toEqual({ queued: 3, running: 0, parked: 0, dead: 0 });
    // a resumed job starts its runs afresh
    expect((await queue.claim(T0 + 8, 5, 'w', 1_000)).map((j) => j.runs)).toEqual([1, 1, 1]);
  });

  it('puts a dead letter back as a new job, once, recording JobRetried', async () => {
    const { store, queue, orders } = await withOrders(1);
    const [job] = await queue.claim(T0, 1, 'w', 1_000);
    await store.applyToOrder(orders[0]!, T0 + 1, () => noop(), { lease: job!.lease, settle: { kind: 'dead', error: 'gone' } });
    const [dead] = await queue.listDeadLetters();
    const { job: again, event } = await queue.retryDeadLetter(dead!.id, T0 + 50);
    expect(again).toMatchObject({ type: 'ReserveInventory', orderId: orders[0], runAt: T0 + 50, attempt: 1 });
    expect(again.id).not.toBe(job!.id);
    expect(event).toMatchObject({ orderId: orders[0], type: 'JobRetried', at: T0 + 50, data: { deadLetterId: dead!.id, jobId: again.id } });
    expect(await queue.listDeadLetters()).toEqual([]);
    expect(await queue.listDeadLetters({ includeRetried: true })).toMatchObject([{ id: dead!.id, retriedAt: T0 + 50 }]);
    await expect(queue.retryDeadLetter(dead!.id, T0 + 51)).rejects.toBeInstanceOf(NotFoundError);
    await expect(queue.retryDeadLetter('nope', T0 + 51)).rejects.toBeInstanceOf(NotFoundError);
    expect((await store.getTimeline(orders[0]!)).map((e) => e.type)).toEqual(['OrderCreated', 'JobRetried']);
  });

  it('never hands one job to two runners claiming at once', async () => {
    const { queue } = await withOrders(40);
    const batches = await Promise.all(Array.from({ length: 8 }, (_, i) => queue.claim(T0 + 100, 10, `runner-${i}`, 60_000)));
    const ids = batches.flat().map((j) => j.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(40);
  });
});

describeNeedsDatabase('the relay (jobs handed to an external queue)', (it) => {
  it('hands new jobs to one relay at a time, and the same generation again when that relay never marked them', async () => {
    const { queue, orders } = await withOrders(3);
    const first = await queue.claimForRelay(T0, 10, 1_000);
    expect(first).toEqual(
      orders.map((orderId, i) => ({ jobId: expect.any(String), generation: 0, type: 'ReserveInventory', orderId, runAt: T0 + i, createdAt: T0 })),
    );
    // held for the relay that claimed them
    expect(await queue.claimForRelay(T0 + 999, 10, 1_000)).toEqual([]);
    // that relay died before marking them: another takes them, as the same generation (the same external id)
    expect(await queue.claimForRelay(T0 + 1_000, 10, 1_000)).toEqual(first);
  });

  it('never gives one job to two relays claiming at once', async () => {
    const { queue } = await withOrders(40);
    const batches = await Promise.all(Array.from({ length: 8 }, () => queue.claimForRelay(T0 + 100, 10, 60_000)));
    const ids = batches.flat().map((i) => i.jobId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(40);
  });

  it('relays a marked generation again, as a new one, only when it was not claimed within the bound after it became due', async () => {
    const { queue } = await withOrders(2, (i) => (i === 0 ? T0 : T0 + 10_000));
    const items = await queue.claimForRelay(T0, 10, 1_000);
    expect(items.map((i) => i.runAt)).toEqual([T0, T0 + 10_000]);
    await queue.markRelayed(items, T0 + 1, 5_000);
    expect(await queue.claimForRelay(T0 + 5_000, 10, 1_000)).toEqual([]);
    const again = await queue.claimForRelay(T0 + 5_001, 10, 1_000);
    expect(again.map((i) => [i.jobId, i.generation])).toEqual([[items[0]!.jobId, 1]]);
    await queue.markRelayed(again, T0 + 5_001, 60_000);
    // the job due later is presumed lost only 5 s after it was due
    expect(await queue.claimForRelay(T0 + 14_999, 10, 1_000)).toEqual([]);
    expect((await queue.claimForRelay(T0 + 15_000, 10, 1_000)).map((i) => [i.jobId, i.generation])).toEqual([[items[1]!.jobId, 1]]);
  });

  it('lets the first delivery of a due job take its lease, whatever its generation; later ones wait for the lease or find it done', async () => {
    const { store, queue, orders } = await withOrders(1);
    const [item] = await queue.claimForRelay(T0, 1, 1_000);
    await queue.markRelayed([item!], T0, 60_000);
    const got = await queue.claimDelivery(item!.jobId, 0, T0 + 10, 'w1', 1_000, 60_000);
    expect(got).toMatchObject({ kind: 'claimed', job: { id: item!.jobId, orderId: orders[0], type: 'ReserveInventory', runs: 1, attempt: 1 } });
    if (got.kind !== 'claimed') return;
    // a duplicate while the lease holds: deliver it again when the lease ends
    expect(await queue.claimDelivery(item!.jobId, 0, T0 + 20, 'w2', 1_000, 60_000)).toEqual({ kind: 'later', at: T0 + 1_010 });
    // the lease ran out (its worker died): the next delivery takes it over
    const over = await queue.claimDelivery(item!.jobId, 0, T0 + 1_010, 'w2', 1_000, 60_000);
    expect(over).toMatchObject({ kind: 'claimed', job: { runs: 2, attempt: 1 } });
    if (over.kind !== 'claimed') return;
    expect(over.job.lease.token).not.toBe(got.job.lease.token);
    // the first worker's settlement is refused; the second's commits
    await expect(store.applyToOrder(orders[0]!, T0 + 1_011, () => noop(), { lease: got.job.lease, settle: { kind: 'complete' } })).rejects.toThrow(
      /lost its lease/,
    );
    await store.applyToOrder(orders[0]!, T0 + 1_012, () => noop(), { lease: over.job.lease, settle: { kind: 'complete' } });
    expect(await queue.claimDelivery(item!.jobId, 0, T0 + 1_013, 'w3', 1_000, 60_000)).toEqual({ kind: 'gone', reason: 'done' });
    expect(await queue.claimDelivery('no-such-job', 0, T0, 'w3', 1_000, 60_000)).toEqual({ kind: 'gone', reason: 'done' });
  });

  it('gives a retried job a new generation at once; an early delivery waits for its time, an older generation makes way', async () => {
    const { store, queue, orders } = await withOrders(1);
    const [item] = await queue.claimForRelay(T0, 1, 1_000);
    await queue.markRelayed([item!], T0, 60_000);
    const got = await queue.claimDelivery(item!.jobId, 0, T0, 'w', 1_000, 60_000);
    if (got.kind !== 'claimed') throw new Error(`not claimed: ${JSON.stringify(got)}`);
    await store.applyToOrder(orders[0]!, T0 + 1, () => noop(), {
      lease: got.job.lease,
      settle: { kind: 'retry', runAt: T0 + 500, error: 'supplier 500', counted: true },
    });
    const [retried] = await queue.claimForRelay(T0 + 2, 1, 1_000);
    expect(retried).toMatchObject({ jobId: item!.jobId, generation: 1, runAt: T0 + 500 });
    expect(await queue.claimDelivery(item!.jobId, 1, T0 + 3, 'w', 1_000, 60_000)).toEqual({ kind: 'later', at: T0 + 500 });
    expect(await queue.claimDelivery(item!.jobId, 0, T0 + 3, 'w', 1_000, 60_000)).toEqual({ kind: 'gone', reason: 'superseded' });
    expect(await queue.claimDelivery(item!.jobId, 0, T0 + 500, 'w', 1_000, 60_000)).toMatchObject({ kind: 'claimed', job: { attempt: 2, runs: 2 } });
  });

  it('relays parked jobs only once resumed, as a new generation', async () => {
    const { store, queue, orders } = await withOrders(1);
    const [item] = await queue.claimForRelay(T0, 1, 1_000);
    await queue.markRelayed([item!], T0, 1_000);
    const got = await queue.claimDelivery(item!.jobId, 0, T0, 'w', 1_000, 1_000);
    if (got.kind !== 'claimed') throw new Error('not claimed');
    await store.applyToOrder(orders[0]!, T0 + 1, () => noop(), { lease: got.job.lease, settle: { kind: 'park', reason: 'bug: x' } });
    expect(await queue.claimForRelay(T0 + 100_000, 5, 1_000)).toEqual([]);
    expect(await queue.claimDelivery(item!.jobId, 0, T0 + 100_000, 'w', 1_000, 1_000)).toEqual({ kind: 'gone', reason: 'parked' });
    await queue.resumeParked(T0 + 100_001);
    expect(await queue.claimForRelay(T0 + 100_002, 5, 1_000)).toMatchObject([{ jobId: item!.jobId, generation: 1, runAt: T0 + 100_001 }]);
  });

  it('relays everything it handed over again, at once, when the external queue lost it', async () => {
    const { store, queue, orders } = await withOrders(3);
    const items = await queue.claimForRelay(T0, 3, 1_000);
    await queue.markRelayed(items.slice(0, 2), T0, 60_000);
    const got = await queue.claimDelivery(items[1]!.jobId, 0, T0 + 1, 'w', 1_000, 60_000);
    if (got.kind !== 'claimed') throw new Error('not claimed');
    expect(await queue.relayLost(T0 + 10)).toBe(2);
    // the two handed over come back as new generations (the running one too: its worker may finish it, or not);
    // the third, never marked, comes back after its hold as the same generation
    expect((await queue.claimForRelay(T0 + 10, 5, 1_000)).map((i) => [i.orderId, i.generation])).toEqual([
      [orders[0], 1],
      [orders[1], 1],
    ]);
    expect((await queue.claimForRelay(T0 + 1_000, 5, 1_000)).map((i) => [i.orderId, i.generation])).toEqual([[orders[2], 0]]);
    await store.applyToOrder(orders[1]!, T0 + 11, () => noop(), { lease: got.job.lease, settle: { kind: 'complete' } });
  });
});

describe('the database id', () => {
  it('names the database with an id of its own, the same every time', async () => {
    const a = await testBackend();
    const b = await testBackend();
    const id = await a.queue.instanceId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await a.queue.instanceId()).toBe(id);
    expect(await b.queue.instanceId()).not.toBe(id);
  });
});
