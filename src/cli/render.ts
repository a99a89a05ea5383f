/** Human output: tables and timeline lines. */
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { TimelineEvent } from '../domain/events.js';
import type { Order } from '../domain/order.js';

export function table(head: string[], rows: Array<Array<string | number | null>>, c: ChalkInstance): string {
  const t = new Table({ head: head.map((h) => c.bold(h)), style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map((v) => (v === null ? c.dim('-') : String(v))));
  return t.toString();
}

export const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);
export const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

export function statusColour(c: ChalkInstance, status: string): string {
  switch (status) {
    case 'reserved':
      return c.green(status);
    case 'failed':
      return c.red(status);
    case 'awaiting_restock':
      return c.yellow(status);
    default:
      return c.cyan(status);
  }
}

function describeData(e: TimelineEvent): string {
  const d = e.data as Record<string, unknown>;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    if (k === 'nextCheckAt' || k === 'retryAt') parts.push(`${k === 'retryAt' ? 'retry' : 'next check'} at +${(((v as number) - e.at) / 1000).toFixed(1)}s`);
    else parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return parts.join(' ');
}

/** One timeline line: clock time, offset from the order's creation, event, details. */
export function eventLine(e: TimelineEvent, createdAt: number, c: ChalkInstance, withOrder = false): string {
  const offset = `+${((e.at - createdAt) / 1000).toFixed(3)}s`.padStart(9);
  const name =
    e.type === 'OrderReserved' ? c.green(e.type) : e.type === 'OrderFailed' || e.type === 'JobDeadLettered' ? c.red(e.type) : e.type === 'SupplierCallFailed' ? c.yellow(e.type) : c.cyan(e.type);
  return `${c.dim(time(e.at))} ${offset}  ${withOrder ? `${c.bold(`#${e.orderId}`)} ` : ''}${name.padEnd(28 + (name.length - e.type.length))} ${c.dim(describeData(e))}`;
}

export function orderSummary(o: Order, c: ChalkInstance): string {
  const extra = [
    o.supplierRef ? `supplierRef=${o.supplierRef}` : null,
    `supplierChecks=${o.supplierChecks}`,
    o.failureReason ? `reason=${c.red(o.failureReason)}` : null,
  ]
    .filter(Boolean)
    .join(' ');
  return `order ${c.bold(`#${o.id}`)} ${o.sku} × ${o.qty}: ${statusColour(c, o.status)} ${c.dim(extra)}`;
}
