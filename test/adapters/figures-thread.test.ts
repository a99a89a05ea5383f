/**
 * The figures of a SQLite file's event log folded on a worker thread (adapters/sqlite/figures-thread.ts):
 * the same figures as the fold on the server's thread, carried on read after read, and a read the
 * thread cannot answer is answered on the server's thread instead.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openFiguresThread } from '../../src/adapters/sqlite/figures-thread.js';
import { foldOnThisThread } from '../../src/app/stats.js';
import { counted } from '../support/counted-reader.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { tempDb, testWarehouse } from '../helpers.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function ordersIn(w: Warehouse, skus: string[]) {
  for (const sku of skus) await w.orders.create({ sku, qty: 1 });
  await w.runner.runUntilIdle();
}

describe('the figures thread', () => {
  it('folds what the server thread folds, and carries on from there at the next read', async () => {
    const db = tempDb();
    const w = await testWarehouse({ db, supplierScript: { LATE: { status: ['delayed', 'ok'] }, NO: { reserve: 'rejected' } } });
    open.push(w);
    await w.inventory.set('STOCKED', 5);
    await ordersIn(w, ['STOCKED', 'LATE', 'NO']);
    const fallback = counted(foldOnThisThread(w.store));
    const thread = openFiguresThread({ file: db, busyTimeoutMs: 5_000, fallback });
    open.push(thread);

    const first = await thread.read();
    expect(first).toEqual(await foldOnThisThread(w.store).read());
    expect(first.ordersCreated).toBe(3);
    expect(first.settled).toEqual({ stock: { reserved: 1, failed: 0 }, supplier: { reserved: 1, failed: 1 } });

    await ordersIn(w, ['STOCKED', 'LATE']);
    const second = await thread.read();
    expect(second).toEqual(await foldOnThisThread(w.store).read());
    expect(second.ordersCreated).toBe(5);
    expect(second.delays.orders).toBe(2);
    // the thread answered both: the server's thread folded nothing
    expect(fallback.reads).toBe(0);
  });

  it('answers on the server thread when the thread cannot read the file', async () => {
    const file = tempDb();
    writeFileSync(file, 'not a database');
    const fallback = counted({ read: async () => ({ ordersCreated: 7 }) as never, close: async () => {} });
    const thread = openFiguresThread({ file, busyTimeoutMs: 50, fallback });
    open.push(thread);
    expect((await thread.read()).ordersCreated).toBe(7);
    expect(fallback.reads).toBe(1);
  });
});
