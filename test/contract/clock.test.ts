/**
 * The Clock port's contract (ports/clock.ts), the same tests on its three adapters: the real clock,
 * the virtual clock and the paced virtual clock. Each clock passes time its own way (`pass`): the
 * real one by waiting a few wall milliseconds, the virtual ones by being moved (as the runner, or
 * the paced clock's controls, move them).
 */
import { describe, expect, it } from 'vitest';
import { createPacedClock } from '../../src/adapters/clock/paced.js';
import { createRealClock } from '../../src/adapters/clock/real.js';
import { createVirtualClock } from '../../src/adapters/clock/virtual.js';
import { isPaced, isVirtual, type Clock } from '../../src/ports/clock.js';

interface Subject {
  clock: Clock;
  /** let `ms` of this clock's time pass */
  pass(ms: number): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const wall = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const clocks: Array<[string, () => Subject]> = [
  ['real', () => ({ clock: createRealClock(), pass: (ms) => wall(ms + 5) })],
  [
    'virtual',
    () => {
      const clock = createVirtualClock(T0);
      return { clock, pass: async (ms) => clock.advanceTo(clock.now() + ms) };
    },
  ],
  [
    'paced',
    () => {
      const clock = createPacedClock(T0);
      return { clock, pass: async (ms) => clock.advanceTo(clock.now() + ms) };
    },
  ],
];

describe.each(clocks)('the %s clock', (name, make) => {
  it('tells its mode, and virtual clocks carry what the runner needs to move them', () => {
    const { clock } = make();
    expect(clock.mode).toBe(name === 'real' ? 'real' : 'virtual');
    expect(isVirtual(clock)).toBe(name !== 'real');
    expect(isPaced(clock)).toBe(name === 'paced');
  });

  it('gives whole epoch milliseconds that never go back', async () => {
    const { clock, pass } = make();
    const a = clock.now();
    await pass(3);
    const b = clock.now();
    expect(Number.isInteger(a)).toBe(true);
    expect(b).toBeGreaterThanOrEqual(a + 3);
  });

  it('ends a sleep with true once its time has passed, and not before', async () => {
    const { clock, pass } = make();
    let ended: boolean | undefined;
    const started = clock.now();
    const sleeping = clock.sleep(20).then((passed) => (ended = passed));
    if (isVirtual(clock)) {
      await pass(19);
      await Promise.resolve();
      expect(ended).toBeUndefined();
      await pass(1);
    }
    expect(await sleeping).toBe(true);
    expect(clock.now() - started).toBeGreaterThanOrEqual(isVirtual(clock) ? 20 : 15);
  });

  it('ends a sleep early with false when its signal aborts, or at once when it was aborted', async () => {
    const { clock } = make();
    const controller = new AbortController();
    const sleeping = clock.sleep(60_000, controller.signal);
    controller.abort();
    expect(await sleeping).toBe(false);
    expect(await clock.sleep(60_000, AbortSignal.abort())).toBe(false);
  });

  it('counts a sleep as parked while it waits (virtual clocks), and wakes whoever listens', async () => {
    const { clock, pass } = make();
    if (!isVirtual(clock)) return expect(clock.mode).toBe('real');
    let parks = 0;
    const off = clock.onPark(() => parks++);
    const sleeping = clock.sleep(10);
    expect(clock.parked).toBe(1);
    expect(parks).toBe(1);
    expect(clock.nextTimerAt()).toBe(clock.now() + 10);
    await pass(10);
    await sleeping;
    expect(clock.parked).toBe(0);
    expect(clock.nextTimerAt()).toBeNull();
    off();
  });

  it('fires timers in time order, then creation order, when time passes them', async () => {
    const { clock, pass } = make();
    const order: string[] = [];
    const waits = [clock.sleep(20).then(() => order.push('b')), clock.sleep(10).then(() => order.push('a')), clock.sleep(20).then(() => order.push('c'))];
    await pass(25);
    await Promise.all(waits);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('aborts a timeout signal with a TimeoutError once its time has passed', async () => {
    const { clock, pass } = make();
    const t = clock.timeout(10);
    expect(t.signal.aborted).toBe(false);
    await pass(10);
    expect(t.signal.aborted).toBe(true);
    expect((t.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('never aborts a timeout that was cleared', async () => {
    const { clock, pass } = make();
    const t = clock.timeout(10);
    t.clear();
    await pass(15);
    expect(t.signal.aborted).toBe(false);
    if (isVirtual(clock)) expect(clock.nextTimerAt()).toBeNull();
  });
});
