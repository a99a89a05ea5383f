/**
 * How the in-database driver refills its slots (app/driver.ts `refillAt`; docs/decisions.md, "The
 * runner refills its slots in batches"): on the real clock, while the queue has a backlog and jobs
 * are in flight, freed slots are claimed a quarter of the concurrency at a time, or after
 * `refillWaitMs`; a quiet queue's new job is claimed at once; on the virtual clock every freed
 * slot is claimed at once.
 *
 * The scripted tests drive the real driver with a queue that hands out numbered jobs, an executor
 * whose jobs end when the test says and, for the wait's bound, a clock whose waits end when the
 * test says, so what is claimed when is exact. The last one runs the whole engine with a backlog
 * on a database (a SQLite file; a PostgreSQL schema in the `postgres` project, where jobs end one
 * by one and the refills come in batches): every order reserved, every job claimed once, the
 * invariants kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBus } from '../../src/app/bus.js';
import { createDriver } from '../../src/app/driver.js';
import type { Clock } from '../../src/ports/clock.js';
import type { ClaimedJob, JobQueue } from '../../src/ports/queue.js';
import { createClock, type Warehouse } from '../../src/wiring/warehouse.js';
import { freshDatabase, invariantsOf, testWarehouse } from '../helpers.js';

/** lets the driver's loop run what it can: promise jobs and the macrotasks queued behind them */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/**
 * A real-mode clock whose waits end when the test says (`fire`), or when their signal aborts:
 * so a test sees the driver's wall-clock waits without waiting for them.
 */
function manualRealClock() {
  const sleeps: Array<{ ms: number; fire(): void; ended: boolean }> = [];
  const clock: Clock = {
    mode: 'real',
    now: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise<boolean>((resolve) => {
        const wait = {
          ms,
          ended: false,
          fire() {
            wait.ended = true;
            resolve(true);
          },
        };
        sleeps.push(wait);
        signal?.addEventListener(
          'abort',
          () => {
            wait.ended = true;
            resolve(false);
          },
          { once: true },
        );
      }),
    timeout: () => ({ signal: new AbortController().signal, clear() {} }),
  };
  return { clock, sleeps };
}

/** a hold the scripted tests never let end on time: they count slots */
const NEVER = 3_600_000;

function scripted(clockKind: 'real' | 'virtual' | Clock, concurrency: number, jobs: number, refillWaitMs = NEVER) {
  const bus = createBus();
  const clock = typeof clockKind === 'object' ? clockKind : createClock(clockKind, Date.UTC(2026, 0, 1, 9));
  let next = 1;
  let last = jobs;
  const claims: Array<{ limit: number; got: number; inFlight: number }> = [];
  const ends = new Map<string, () => void>();
  const job = (id: number): ClaimedJob =>
    ({
      id: String(id),
      type: 'ReserveInventory',
      orderId: id,
      payload: {},
      runAt: clock.now(),
      attempt: 1,
      runs: 1,
      lease: { jobId: String(id), token: `t${id}`, lockedUntil: clock.now() + 30_000 },
    }) as unknown as ClaimedJob;
  const queue = {
    async claim(_now: number, limit: number) {
      const got: ClaimedJob[] = [];
      while (got.length < limit && next <= last) got.push(job(next++));
      claims.push({ limit, got: got.length, inFlight: ends.size });
      return got;
    },
    async nextDueAt() {
      return next <= last ? clock.now() : null;
    },
    async resumeParked() {
      return [];
    },
  } as unknown as JobQueue;
  const driver = createDriver({
    queue,
    executor: { execute: (j) => new Promise<void>((resolve) => ends.set(j.id, resolve)) },
    clock,
    bus,
    random: () => 0.5,
    workerId: 'w1',
    concurrency,
    leaseMs: 30_000,
    refillWaitMs,
  });
  return {
    driver,
    claims,
    running: () => [...ends.keys()],
    /** ends these jobs (their executor's promise resolves) */
    end(...ids: string[]) {
      for (const id of ids) {
        const resolve = ends.get(id);
        if (!resolve) throw new Error(`job ${id} is not running`);
        ends.delete(id);
        resolve();
      }
    },
    /** ends the running jobs one at a time, letting the driver act after each */
    async endOneByOne() {
      while (ends.size > 0) {
        this.end(ends.keys().next().value!);
        await settle();
      }
    },
    /** a job enqueued now, announced as the engine announces its own */
    enqueue() {
      last++;
      bus.emit('job:enqueued', { jobIds: [String(last)] });
    },
  };
}

describe('the driver refills its slots', () => {
  it('on the real clock, a quarter of the concurrency at a time while the queue has a backlog', async () => {
    const s = scripted('real', 8, 30);
    const done = s.driver.runUntilIdle();
    await settle();
    expect(s.claims).toEqual([{ limit: 8, got: 8, inFlight: 0 }]);
    // one slot free of 8: below a quarter, nothing claimed
    s.end('1');
    await settle();
    expect(s.claims).toHaveLength(1);
    expect(s.running()).toHaveLength(7);
    // two free: both claimed in one claim
    s.end('2');
    await settle();
    expect(s.claims.at(-1)).toEqual({ limit: 2, got: 2, inFlight: 6 });
    expect(s.running()).toEqual(['3', '4', '5', '6', '7', '8', '9', '10']);
    // ended one at a time, the rest of the backlog goes out two by two
    await s.endOneByOne();
    await done;
    const refills = s.claims.slice(1);
    // every claim made with jobs in flight while the last one came back full asked for two or more
    refills.forEach((c, i) => {
      if (c.inFlight > 0 && s.claims[i]!.got === s.claims[i]!.limit) expect(c.limit).toBeGreaterThanOrEqual(2);
    });
    // 30 jobs in eight, then eleven claims of two (after the backlog, claims find nothing)
    expect(s.claims.filter((c) => c.got > 0).map((c) => c.got)).toEqual([8, ...Array<number>(11).fill(2)]);
  });

  it('claims a job enqueued into a quiet queue at once, whatever is in flight', async () => {
    const s = scripted('real', 8, 3);
    const forever = new AbortController();
    const done = s.driver.runForever(forever.signal);
    await settle();
    // three jobs, eight slots: the claim came back short, so there is no backlog
    expect(s.claims[0]).toEqual({ limit: 8, got: 3, inFlight: 0 });
    s.enqueue();
    await settle();
    expect(s.running()).toEqual(['1', '2', '3', '4']);
    expect(s.claims.filter((c) => c.got > 0).at(-1)).toMatchObject({ got: 1, inFlight: 3 });
    // and a slot freed then is claimed at once too (one job enqueued, one slot asked for is fine)
    s.end('1');
    s.enqueue();
    await settle();
    expect(s.running()).toEqual(['2', '3', '4', '5']);
    forever.abort();
    s.end('2', '3', '4', '5');
    await done;
  });

  it('claims a freed slot after refillWaitMs when no other slot frees meanwhile', async () => {
    const { clock, sleeps } = manualRealClock();
    const s = scripted(clock, 8, 30, 7);
    const done = s.driver.runUntilIdle();
    await settle();
    s.end('1');
    await settle();
    // held: one slot of eight free, a wait of 7 ms started, nothing claimed yet
    expect(s.claims).toHaveLength(1);
    const holds = () => sleeps.filter((w) => w.ms === 7 && !w.ended);
    expect(holds()).toHaveLength(1);
    holds()[0]!.fire();
    await settle();
    expect(s.claims.at(-1)).toEqual({ limit: 1, got: 1, inFlight: 7 });
    expect(s.running()).toHaveLength(8);
    // a hold ended by the refill itself ends its wait too (no timer left behind)
    s.end('2');
    await settle();
    expect(holds()).toHaveLength(1);
    s.end('3');
    await settle();
    expect(s.claims.at(-1)).toEqual({ limit: 2, got: 2, inFlight: 6 });
    expect(holds()).toHaveLength(0);
    await s.endOneByOne();
    await done;
    expect(s.claims.reduce((n, c) => n + c.got, 0)).toBe(30);
    expect(holds()).toHaveLength(0);
  });

  it('on the virtual clock, each freed slot at once (a replay starts each job when it would have)', async () => {
    const s = scripted('virtual', 8, 30);
    const done = s.driver.runUntilIdle();
    await settle();
    expect(s.claims).toEqual([{ limit: 8, got: 8, inFlight: 0 }]);
    s.end('1');
    await settle();
    expect(s.claims.at(-1)).toEqual({ limit: 1, got: 1, inFlight: 7 });
    await s.endOneByOne();
    await done;
    expect(s.claims.reduce((n, c) => n + c.got, 0)).toBe(30);
  });
});

describe('the runner on a database, real clock, with a backlog', () => {
  let w: Warehouse | undefined;
  let file = '';
  afterEach(async () => {
    await w?.close();
    w = undefined;
    expect(await invariantsOf(file)).toEqual([]);
  });

  it('reserves every order, each claimed once, and leaves nothing behind', async () => {
    file = freshDatabase();
    w = await testWarehouse({ db: file, clock: 'real', settings: { concurrency: 8 } });
    await w.inventory.set('WIDGET', 40);
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push((await w.orders.create({ sku: 'WIDGET', qty: 1 })).id);
    const queue = w.queue;
    const claim = queue.claim.bind(queue);
    const asked: Array<[number, number]> = [];
    queue.claim = async (now, limit, workerId, leaseMs) => {
      const got = await claim(now, limit, workerId, leaseMs);
      asked.push([limit, got.length]);
      return got;
    };
    await w.runner.runUntilIdle();
    for (const id of ids) expect((await w.orders.get(id)).status).toBe('reserved');
    expect((await w.inventory.get('WIDGET')).onHand).toBe(0);
    // the first claim fills the eight slots; every job is claimed once
    expect(asked[0]).toEqual([8, 8]);
    expect(asked.reduce((n, [, got]) => n + got, 0)).toBe(40);
  });
});
