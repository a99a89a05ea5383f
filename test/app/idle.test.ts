/**
 * The driver's idle strategies (src/app/idle.ts), one per clock: what each does when the driver
 * found nothing to claim. The real clock sleeps (until the next due job, a wake-up or the poll);
 * the virtual clock jumps time to the next moment, never past a horizon; the paced clock waits at
 * its pacer for the controls to move time.
 */
import { describe, expect, it } from 'vitest';
import { createPacedClock } from '../../src/adapters/clock/paced.js';
import { createRealClock } from '../../src/adapters/clock/real.js';
import { createVirtualClock } from '../../src/adapters/clock/virtual.js';
import { idleStrategyFor, type IdleContext } from '../../src/app/idle.js';
import { createWakeSignal } from '../../src/kit/wake.js';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

/** an idle look: nothing in flight, runUntilIdle, the queue's next due time as given */
function look(wake: ReturnType<typeof createWakeSignal>, nextDue: number | null, over: Partial<IdleContext> = {}): IdleContext {
  return { running: 0, draining: false, forever: false, wakeSeen: wake.next, nextDueAt: async () => nextDue, ...over };
}

describe('the real clock idles by sleeping', () => {
  it('until the next due job, and no longer', async () => {
    const clock = createRealClock();
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    const started = performance.now();
    expect(await idle.wait(look(wake, clock.now() + 40))).toBe('again');
    const slept = performance.now() - started;
    expect(slept).toBeGreaterThanOrEqual(30);
    expect(slept).toBeLessThan(30_000);
  });

  it('until a wake-up, when one comes first (a job enqueued here)', async () => {
    const clock = createRealClock();
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    const waiting = idle.wait(look(wake, null, { forever: true }));
    setTimeout(wake.wake, 5);
    expect(await waiting).toBe('again');
  });

  it('until the poll interval at most (jobs other processes enqueue)', async () => {
    const clock = createRealClock();
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 20, concurrency: 8 });
    expect(await idle.wait(look(wake, clock.now() + 3_600_000))).toBe('again');
  });

  it('not at all when nothing is queued and the run is until idle: it is done', async () => {
    const clock = createRealClock();
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    expect(await idle.wait(look(wake, null))).toBe('done');
  });
});

describe('the virtual clock idles by moving time', () => {
  it('to the next due job at once, without waiting', async () => {
    const clock = createVirtualClock(T0);
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    expect(await idle.wait(look(wake, T0 + 45_000))).toBe('again');
    expect(clock.now()).toBe(T0 + 45_000);
  });

  it('to the horizon and no further, and says so', async () => {
    const clock = createVirtualClock(T0);
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    expect(await idle.wait(look(wake, T0 + 45_000, { horizon: T0 + 10_000 }))).toBe('horizon');
    expect(clock.now()).toBe(T0 + 10_000);
  });

  it('to the first timer when every running job is parked on the clock', async () => {
    const clock = createVirtualClock(T0);
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    const supplierTimeout = clock.sleep(5_000);
    expect(await idle.wait(look(wake, T0 + 9_000, { running: 1 }))).toBe('again');
    expect(clock.now()).toBe(T0 + 5_000);
    expect(await supplierTimeout).toBe(true);
  });

  it('not while a running job is still working (it waits for a wake-up)', async () => {
    const clock = createVirtualClock(T0);
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    const waiting = idle.wait(look(wake, T0 + 9_000, { running: 1 }));
    wake.wake();
    expect(await waiting).toBe('again');
    expect(clock.now()).toBe(T0);
  });

  it('not at all when nothing is queued: the run is done', async () => {
    const clock = createVirtualClock(T0);
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    expect(await idle.wait(look(wake, null))).toBe('done');
    expect(clock.now()).toBe(T0);
  });
});

describe('the paced clock idles at its pacer', () => {
  it('tells the pacer the next moment and waits there; time moves only by the controls', async () => {
    const clock = createPacedClock(T0);
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    let outcome: string | undefined;
    const waiting = idle.wait(look(wake, T0 + 2_000)).then((o) => (outcome = o));
    await new Promise((r) => setImmediate(r));
    expect(clock.controls.state()).toMatchObject({ now: T0, next: T0 + 2_000, settled: true });
    expect(outcome).toBeUndefined();
    clock.controls.play(100); // the controls move time, and stop at the moment the runner waits for
    await waiting;
    clock.controls.pause();
    expect(outcome).toBe('again');
    expect(clock.now()).toBe(T0 + 2_000);
  });

  it('leaves the pacer on a wake-up (a job enqueued here)', async () => {
    const clock = createPacedClock(T0);
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    const waiting = idle.wait(look(wake, null, { forever: true }));
    await clock.controls.settled();
    wake.wake();
    expect(await waiting).toBe('again');
    expect(clock.now()).toBe(T0);
  });

  it('moves time itself while draining, so that a stop never waits for a click', async () => {
    const clock = createPacedClock(T0);
    const wake = createWakeSignal();
    const idle = idleStrategyFor(clock, { wake, pollMs: 60_000, concurrency: 8 });
    const supplierTimeout = clock.sleep(5_000);
    expect(await idle.wait(look(wake, null, { running: 1, draining: true }))).toBe('again');
    expect(clock.now()).toBe(T0 + 5_000);
    expect(await supplierTimeout).toBe(true);
  });
});
