/**
 * Teaching only: the reservation done the naive way, for `warehouse explore --reserve-strategy
 * naive` (docs/teaching.md, "Break it to learn it"). It reads the order and the stock in one
 * transaction, pauses (an await: other jobs run meanwhile), then writes the plan it made from that
 * stale count in a second transaction — no lock held across the pause, no version check. Two jobs
 * that both read the last unit both take it, and the second write overwrites the first (the lost
 * update). `serve`, `work` and `up` never offer it.
 */
import type { Order } from '../../domain/order.js';
import type { Connection } from './connection.js';

/** The await between the read and the write; the explorer schedules other steps there. */
export type NaivePause = (seen: { orderId: number; sku: string; onHand: number }) => Promise<void>;

interface Stock {
  onHand: number;
  version: number;
}

export async function naiveApply<T>(
  c: Connection,
  pause: NaivePause,
  orderId: number,
  loadOrder: (id: number) => Order,
  write: (order: Order, stock: Stock | undefined) => T,
): Promise<T> {
  const seen = await c.read(() => {
    const order = loadOrder(orderId);
    return { order, stock: c.q.stock.get({ sku: order.sku }) };
  });
  await pause({ orderId, sku: seen.order.sku, onHand: seen.stock?.onHand ?? 0 });
  // the write trusts the count read before the pause (the order itself is read again)
  return c.write(() => write(loadOrder(orderId), seen.stock));
}
