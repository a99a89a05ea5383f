/**
 * The figures of a PostgreSQL database's event log folded on a worker thread
 * (adapters/postgres/figures-thread.ts): the same figures as the fold on the server's thread,
 * carried on read after read; a read the thread cannot answer is answered on the server's thread.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openFiguresThread } from '../../src/adapters/postgres/figures-thread.js';
import { foldOnThisThread } from '../../src/app/stats.js';
import { counted } from '../support/counted-reader.js';
import { tempPgUrl, tempSchema, testWarehouse } from '../helpers.js';
import { PG_TEST_URL } from './support.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe('the figures thread on PostgreSQL', () => {
  it('folds what the server thread folds, and carries on from there at the next read', async () => {
    const schema = tempSchema();
    const w = await testWarehouse({ db: tempPgUrl(schema), supplierScript: { LATE: { status: ['delayed', 'ok'] }, NO: { reserve: 'rejected' } } });
    open.push(w);
    await w.inventory.set('STOCKED', 5);
    for (const sku of ['STOCKED', 'LATE', 'NO']) await w.orders.create({ sku, qty: 1 });
    await w.runner.runUntilIdle();
    const fallback = counted(foldOnThisThread(w.store));
    const thread = openFiguresThread({ url: PG_TEST_URL, schema, fallback });
    open.push(thread);

    const first = await thread.read();
    expect(first).toEqual(await foldOnThisThread(w.store).read());
    expect(first.ordersCreated).toBe(3);
    expect(first.settled).toEqual({ stock: { reserved: 1, failed: 0 }, supplier: { reserved: 1, failed: 1 } });

    await w.orders.create({ sku: 'LATE', qty: 1 });
    await w.runner.runUntilIdle();
    const second = await thread.read();
    expect(second).toEqual(await foldOnThisThread(w.store).read());
    expect(second.ordersCreated).toBe(4);
    expect(fallback.reads).toBe(0);
  });

  it('answers on the server thread when the thread cannot reach the database', async () => {
    const fallback = counted({ read: async () => ({ ordersCreated: 7 }) as never, close: async () => {} });
    const thread = openFiguresThread({ url: 'postgres://postgres@127.0.0.1:1/test', schema: tempSchema(), fallback });
    open.push(thread);
    expect((await thread.read()).ordersCreated).toBe(7);
    expect(fallback.reads).toBe(1);
  });
});
