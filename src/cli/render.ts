/** Human output: tables and timeline lines. */
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { TimelineEvent } from '../domain/events.js';
import type { Order } from '../domain/order.js';
import { dataText, SINCE_CREATED, sinceCreated } from './timeline.js';

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

const EVENT_WIDTH = 28;

/** The line over a list of eventLine()s: names the columns, and what a `+` time means. */
export function eventHeader(c: ChalkInstance, withOrder = false): string {
  return c.dim(`${'time (UTC)'.padEnd(12)} ${SINCE_CREATED.padStart(13)}  ${withOrder ? 'order ' : ''}${'event'.padEnd(EVENT_WIDTH)} details`);
}

/** One timeline line: UTC time of day, time since the order's creation, event, details. */
export function eventLine(e: TimelineEvent, createdAt: number, c: ChalkInstance, withOrder = false): string {
  const name =
    e.type === 'OrderReserved' ? c.green(e.type) : e.type === 'OrderFailed' || e.type === 'JobDeadLettered' ? c.red(e.type) : e.type === 'SupplierCallFailed' ? c.yellow(e.type) : c.cyan(e.type);
  const order = withOrder ? `${c.bold(`#${e.orderId}`.padEnd(5))} ` : '';
  const line = `${c.dim(time(e.at))} ${sinceCreated(e.at - createdAt).padStart(13)}  ${order}${name.padEnd(EVENT_WIDTH + (name.length - e.type.length))} ${c.dim(dataText(e.data, createdAt))}`;
  return line.trimEnd();
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

/**
 * Why a job changed nothing, from its `skipped:<why>` outcome (src/domain/plans.ts): the order
 * was no longer in the state the job acts from, or the step had already been applied.
 */
export function skipText(outcome: string, orderId: number, failureReason?: string | null): string {
  const why = outcome.replace(/^skipped:/, '');
  if (why === 'missing') return `order #${orderId} does not exist`;
  const check = /^check-(\d+)-already-applied$/.exec(why);
  if (check) return `supplier check ${check[1]} of order #${orderId} was already applied`;
  if (why === 'reserved' || why === 'failed') return `order #${orderId} is already ${why}${failureReason ? ` (${failureReason})` : ''}, a final state`;
  return `order #${orderId} is ${why}, past the step this job does`;
}
