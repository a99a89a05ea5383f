/**
 * `order explain` (src/app/explain.ts): one test per branch of the flow, each final state and
 * failure reason, and the orders still on their way. Timelines come from the real engine
 * (virtual time, the MSW mock); the rare operator branches from a written timeline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SkuScript } from '../../src/domain/supplier-script.js';
import { explainOrder, offset, type Explanation } from '../../src/app/explain.js';
import { DEFAULT_SETTINGS } from '../../src/domain/settings.js';
import type { Order } from '../../src/domain/order.js';
import type { TimelineEvent } from '../../src/domain/events.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { testWarehouse } from '../helpers.js';

const START = Date.UTC(2026, 0, 1, 9);
/** the database's identity as the supplier keys (and so the mock's refs) carry it: set by `explained` */
let db16 = '';
const open: Warehouse[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.close();
});

/** An order for `qty` of S (10 on hand), run until idle (or up to `horizon` ms of virtual time). */
async function explained(script: SkuScript, qty = 30, opts: { horizon?: number; run?: boolean } = {}): Promise<{ x: Explanation; w: Warehouse }> {
  const w = await testWarehouse({ supplierScript: { S: script } });
  open.push(w);
  db16 = (await w.databaseId()).slice(0, 16);
  await w.inventory.set('S', 10);
  const o = await w.orders.create({ sku: 'S', qty });
  if (opts.run !== false) await w.runner.runUntilIdle(opts.horizon === undefined ? {} : { horizon: START + opts.horizon });
  const full = await w.orders.get(o.id);
  return { x: explainOrder(full, full.events, w.settings), w };
}

describe('order explain', () => {
  it('stock on hand: reserved from local stock under the row lock', async () => {
    const { x } = await explained({}, 3);
    expect(x.pathText).toBe('pending → reserved');
    expect(x.summary).toBe('3 in stock (on-hand 10 → 7) → reserved');
    expect(x.next).toBeNull();
    expect(x.events.map((e) => e.text).join(' ')).toMatch(/outbox.*write lock/);
  });

  it('supplier ok at the first check: the delivery is booked in and reserved', async () => {
    const { x } = await explained({ status: ['ok'] });
    expect(x.path).toEqual(['pending', 'awaiting_restock', 'reserved']);
    expect(x.summary).toBe(
      `short by 20 → asked the supplier (accepted, ref R.order-1.${db16}.S) → checked at +15 s (ok) → the delivery of 30 was booked in and reserved → reserved`,
    );
    expect(x.events.find((e) => e.type === 'SupplierReservationAccepted')?.transition).toEqual({ from: 'pending', to: 'awaiting_restock' });
  });

  it('delayed twice, then ok: three checks, reserved at +45 s', async () => {
    const { x } = await explained({ status: ['delayed', 'delayed', 'ok'] });
    expect(x.pathText).toBe('pending → awaiting_restock → reserved');
    expect(x.summary).toContain('checked at +15 s (delayed), +30 s (delayed), +45 s (ok)');
    expect(x.events.filter((e) => e.type === 'SupplierStatusChecked').map((e) => e.text)).toEqual([
      'Check 1: delayed. That is retry 1 of the delayed budget (2); the next check is at +30 s.',
      'Check 2: delayed. That is retry 2 of the delayed budget (2); the next check is at +45 s.',
      'Check 3: ok, the supplier delivered.',
    ]);
  });

  it('delayed out: the delayed budget is used up, failed supplier_delayed (the account of the issue)', async () => {
    const { x } = await explained({ status: ['delayed'] });
    expect(x.pathText).toBe('pending → awaiting_restock → failed');
    expect(x.summary).toBe(
      `short by 20 → asked the supplier (accepted, ref R.order-1.${db16}.S) → checked at +15 s (delayed), +30 s (delayed), +45 s (delayed) → the delayed budget (2 retries) was used up → failed: supplier_delayed`,
    );
  });

  it('supplier fail: failed supplier_failed at the first check', async () => {
    const { x } = await explained({ status: ['fail'] });
    expect(x.summary).toBe(`short by 20 → asked the supplier (accepted, ref R.order-1.${db16}.S) → checked at +15 s (fail) → failed: supplier_failed`);
    expect(x.failureReason).toBe('supplier_failed');
  });

  it('supplier rejects: failed supplier_rejected, never awaiting', async () => {
    const { x } = await explained({ reserve: 'rejected' });
    expect(x.pathText).toBe('pending → failed');
    expect(x.summary).toBe('short by 20 → asked the supplier (rejected) → failed: supplier_rejected');
  });

  it('transient errors, then ok: the errors are named and the delayed budget is untouched', async () => {
    const { x } = await explained({ reserve: ['error', 'timeout', 'accepted'], status: ['malformed', 'ok'] });
    expect(x.status).toBe('reserved');
    expect(x.summary).toMatch(
      /^short by 20 → asked the supplier \(accepted, ref R\.order-1\.[0-9a-f]{16}\.S\), after 2 transient errors \(HTTP 500, timeout\) → checked at \+[\d.]+ s \(ok, after malformed answer\) → /,
    );
    expect(x.events.find((e) => e.type === 'SupplierCallFailed')!.text).toMatch(
      /^The supplier's reserve call failed \(HTTP 500\), a transient error: the job runner retries it at \+[\d.]+ s .*attempt 2 of 5, the retry budget\)\. Transient errors never use up the delayed budget\.$/,
    );
    expect(x.events.filter((e) => e.type === 'SupplierReservationRequested')[1]!.text).toMatch(/same Idempotency-Key \(order-1\.[0-9a-f]{16}\)/);
  });

  it('the supplier stays down on the reserve call: dead-lettered after the retry budget, failed supplier_unavailable', async () => {
    const { x } = await explained({ reserve: 'error' });
    expect(x.pathText).toBe('pending → failed');
    expect(x.summary).toBe(
      'short by 20 → the reserve call failed 5 times (HTTP 500 ×5) → the retry budget (5 attempts) ran out → ReserveInventory dead-lettered → failed: supplier_unavailable',
    );
    expect(x.events.find((e) => e.type === 'JobDeadLettered')!.text).toContain('dead-letter store');
  });

  it('the supplier stops answering status checks: the check is dead-lettered, failed supplier_unavailable from awaiting_restock', async () => {
    const { x } = await explained({ status: ['timeout'] });
    expect(x.pathText).toBe('pending → awaiting_restock → failed');
    expect(x.summary).toContain(
      'the status check failed 5 times (timeout ×5) → the retry budget (5 attempts) ran out → CheckSupplierStatus dead-lettered → failed: supplier_unavailable',
    );
  });

  it('pending, nothing run yet: the job waits in the outbox', async () => {
    const { x } = await explained({}, 30, { run: false });
    expect(x).toMatchObject({ status: 'pending', pathText: 'pending', summary: 'created, nothing has run yet' });
    expect(x.next).toMatch(/^ReserveInventory is queued \(stored with the order: the outbox\)/);
  });

  it('pending after a transient error: says when the reserve call runs again', async () => {
    const { x } = await explained({ reserve: ['error', 'accepted'] }, 30, { horizon: 100 });
    expect(x.status).toBe('pending');
    expect(x.next).toMatch(/^the reserve call runs again at \+[\d.]+ s$/);
  });

  it('awaiting_restock after one delayed check: the next check and the delayed retries left', async () => {
    const { x } = await explained({ status: ['delayed', 'ok'] }, 30, { horizon: 20_000 });
    expect(x.pathText).toBe('pending → awaiting_restock');
    expect(x.summary).toBe(`short by 20 → asked the supplier (accepted, ref R.order-1.${db16}.S) → checked at +15 s (delayed)`);
    expect(x.next).toBe("check 2 of the supplier's status at +30 s (1 delayed retry left)");
  });

  it('awaiting_restock with the delayed budget used up: says another delayed answer fails it', async () => {
    const { x } = await explained({ status: ['delayed', 'delayed', 'ok'] }, 30, { horizon: 40_000 });
    expect(x.next).toBe("check 3 of the supplier's status at +45 s (the delayed budget is used up: another delayed answer fails the order)");
  });

  it('a dead letter retried by an operator after the order failed: says it changed nothing', async () => {
    const { x: before, w } = await explained({ reserve: 'error' });
    expect(before.status).toBe('failed');
    const [dead] = await w.jobs.failed();
    await w.jobs.retry(dead!.id);
    await w.runner.runUntilIdle();
    const o = await w.orders.get(1);
    const x = explainOrder(o, o.events, w.settings);
    expect(x.pathText).toBe('pending → failed');
    expect(x.events.find((e) => e.type === 'JobRetried')!.text).toMatch(/already failed, a final state, so the job changes nothing/);
    expect(x.summary.endsWith('failed: supplier_unavailable → an operator retried the dead letter')).toBe(true);
  });

  it('a parked job: says it waits for an operator', () => {
    const order: Order = {
      id: 4,
      sku: 'S',
      qty: 1,
      status: 'pending',
      supplierRef: null,
      supplierChecks: 0,
      failureReason: null,
      createdAt: START,
      updatedAt: START,
    };
    const events: TimelineEvent[] = [
      { orderId: 4, at: START, type: 'OrderCreated', data: { sku: 'S', qty: 1 } },
      { orderId: 4, at: START + 900, type: 'JobParked', data: { jobId: '4', jobType: 'ReserveInventory', reason: 'bug: TypeError: x is undefined' } },
    ];
    const x = explainOrder(order, events, DEFAULT_SETTINGS);
    expect(x.summary).toBe('its job was parked');
    expect(x.next).toBe('its job is parked (bug: TypeError: x is undefined): warehouse jobs resume puts it back on the queue');
  });

  it('writes offsets short: whole seconds bare, others to the millisecond', () => {
    expect([offset(15_000), offset(1_234), offset(0)]).toEqual(['+15 s', '+1.234 s', '+0 s']);
  });
});
