/**
 * The paced virtual clock (serve --clock virtual, demo): time never moves by itself, the runner
 * waits at the pacer, and the controls move time to exactly the moments jobs fall due.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPacedClock } from '../../src/adapters/clock/paced.js';
import type { PacedClock } from '../../src/ports/clock.js';
import type { SupplierScript } from '../../src/domain/supplier-script.js';
import type { OrderStatus } from '../../src/domain/order.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { checkInvariants, tempDb, testWarehouse } from '../helpers.js';

const START = Date.UTC(2026, 0, 1, 9);
const open: Array<{ w: Warehouse; stop: AbortController; running: Promise<void>; file: string }> = [];

async function engine(script: SupplierScript = {}, settings = {}) {
  const clock = createPacedClock(START);
  const file = tempDb();
  const w = await testWarehouse({ db: file, clock, supplierScript: script, settings });
  const stop = new AbortController();
  const running = w.runner.runForever(stop.signal);
  open.push({ w, stop, running, file });
  return { w, clock: clock as PacedClock, controls: clock.controls };
}

afterEach(async () => {
  for (const { w, stop, running, file } of open.splice(0)) {
    stop.abort();
    await running;
    await w.close();
    expect(checkInvariants(file)).toEqual([]);
  }
});

/** resolves when order `id` reaches `status` (already, or later) */
function reached(w: Warehouse, id: number, status: OrderStatus): Promise<void> {
  return new Promise((resolve) => {
    const off = w.bus.on('order:transition', (t) => {
      if (t.orderId === id && t.to === status) {
        off();
        resolve();
      }
    });
    void w.orders.get(id).then((o) => {
      if (o.status === status) {
        off();
        resolve();
      }
    });
  });
}

describe('a paced virtual clock', () => {
  it('does not move by itself: an order waiting on the supplier waits, and time stays put', async () => {
    const { w, controls } = await engine();
    const order = await w.orders.create({ sku: 'WIDGET', qty: 3 });
    await reached(w, order.id, 'awaiting_restock');
    await controls.settled();
    await controls.settled();
    expect(w.clock.now()).toBe(START);
    expect(controls.state()).toMatchObject({ now: START, next: START + 15_000, playing: false, settled: true });
    expect((await w.orders.get(order.id)).status).toBe('awaiting_restock');
  });

  it('runs what is due now without any control (stock on hand is reserved at once)', async () => {
    const { w, controls } = await engine();
    await w.inventory.set('WIDGET', 10);
    const order = await w.orders.create({ sku: 'WIDGET', qty: 3 });
    await reached(w, order.id, 'reserved');
    await controls.settled();
    expect(controls.state()).toMatchObject({ now: START, next: null });
  });

  it('step moves to the next due job and runs it there', async () => {
    const { w, controls } = await engine({ WIDGET: { status: ['delayed', 'ok'] } });
    const order = await w.orders.create({ sku: 'WIDGET', qty: 3 });
    await reached(w, order.id, 'awaiting_restock');
    expect((await controls.step()).now).toBe(START + 15_000);
    expect((await w.orders.get(order.id)).supplierChecks).toBe(1);
    const done = reached(w, order.id, 'reserved');
    expect((await controls.step()).now).toBe(START + 30_000);
    await done;
    const o = await w.orders.get(order.id);
    expect(o.updatedAt - o.createdAt).toBe(30_000);
    expect((await controls.step()).now).toBe(START + 30_000); // nothing left: a step changes nothing
  });

  it('a jump runs every moment on the way at its own time, then stops at the target', async () => {
    const { w, controls } = await engine({ WIDGET: { status: ['delayed', 'delayed', 'ok'] } });
    const order = await w.orders.create({ sku: 'WIDGET', qty: 3 });
    await reached(w, order.id, 'awaiting_restock');
    const s = await controls.advanceBy(60_000);
    expect(s.now).toBe(START + 60_000);
    const o = await w.orders.get(order.id);
    expect(o.status).toBe('reserved');
    expect(o.events.filter((e) => e.type === 'SupplierStatusChecked').map((e) => e.at - START)).toEqual([15_000, 30_000, 45_000]);
  });

  it("steps to a supplier call's timeout (a timer), then to the retry", async () => {
    const { w, controls } = await engine({ WIDGET: { reserve: ['timeout', 'accepted'] } });
    const order = await w.orders.create({ sku: 'WIDGET', qty: 1 });
    await controls.settled();
    expect(controls.state().next).toBe(START + 5_000); // the client's 5 s timeout
    await controls.step();
    const failed = (await w.orders.get(order.id)).events.find((e) => e.type === 'SupplierCallFailed');
    expect(failed?.at).toBe(START + 5_000);
    await controls.step();
    expect((await w.orders.get(order.id)).status).toBe('awaiting_restock');
  });

  it('play moves time at the chosen rate until paused; pause holds it', async () => {
    const { w, controls } = await engine({ WIDGET: { status: ['ok'] } });
    const order = await w.orders.create({ sku: 'WIDGET', qty: 1 });
    await reached(w, order.id, 'awaiting_restock');
    const done = reached(w, order.id, 'reserved');
    expect(controls.play(100)).toMatchObject({ playing: true, rate: 100 });
    await done; // 15 s of virtual time at ×100: about 150 ms of wall time
    const o = await w.orders.get(order.id);
    expect(o.updatedAt - o.createdAt).toBe(15_000); // play stops at the due moment: the check runs on time
    const paused = controls.pause();
    expect(paused.playing).toBe(false);
    await controls.settled();
    await controls.settled();
    expect(controls.state().now).toBe(paused.now);
  });

  it('plays in whole milliseconds, so every time it gives an event is one (wall time is fractional)', async () => {
    const { w, controls } = await engine();
    const seen: number[] = [];
    const three = new Promise<void>((resolve) => {
      const off = controls.onChange((s) => {
        seen.push(s.now);
        if (seen.length === 3) {
          off();
          resolve();
        }
      });
    });
    controls.play(1); // a tick moves by the wall time since the last one, 50.xxx ms
    await three;
    const order = await w.orders.create({ sku: 'WIDGET', qty: 1 });
    controls.pause();
    expect(seen.filter((t) => !Number.isInteger(t))).toEqual([]);
    expect(seen.at(-1)).toBeGreaterThan(START);
    expect(Number.isInteger(order.createdAt)).toBe(true);
  });

  it('reports every change to its listeners', async () => {
    const { controls } = await engine();
    const seen: number[] = [];
    const off = controls.onChange((s) => seen.push(s.now));
    await controls.advanceBy(15_000);
    controls.lock('the demo');
    off();
    expect(seen.at(-1)).toBe(START + 15_000);
    expect(controls.state().lockedBy).toBe('the demo');
  });

  it('a runner told to stop while a job waits on a timer finishes it without anyone moving time', async () => {
    const { w, controls } = await engine({ WIDGET: { reserve: ['timeout'] } });
    await w.orders.create({ sku: 'WIDGET', qty: 1 });
    await controls.settled();
    expect(w.runner.inFlight).toBe(1);
    const { stop, running } = open[0]!;
    stop.abort();
    await running; // drains: the runner moves time to the timeout itself
    expect(w.runner.inFlight).toBe(0);
  });
});
