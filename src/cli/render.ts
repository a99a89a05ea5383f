/** Human output: tables and timeline lines, fitting 80 columns (docs/design.md §9). */
import { createRequire } from 'node:module';
import { stripVTControlCharacters } from 'node:util';
import type { ChalkInstance } from 'chalk';
import type { TimelineEvent } from '../domain/events.js';
import type { Order, OrderStatus } from '../domain/order.js';
import { dataParts, eventName, SINCE_CREATED, sinceCreated, WIDTH, wrapParts } from '../text/timeline.js';

const visible = (s: string) => stripVTControlCharacters(s).length;

const require = createRequire(import.meta.url);
/**
 * cli-table3 when a table is drawn, not with this module: `order create` and the timelines never
 * draw one (docs/performance.md, start-up). Through `require`, its own build (CommonJS), which
 * Node 20 loads in about half the time of an `import` of it.
 */
export const tableClass = () => require('cli-table3') as typeof import('cli-table3');

/**
 * A table no wider than `width` columns. While it is too wide, the widest column that can still
 * wrap between words is narrowed by one, and its cells wrap there. Only when no column can narrow
 * that way is the column holding the longest word narrowed further, and its over-long words cut
 * in pieces that each fill a line. The table wraps, not the terminal.
 */
export function table(head: string[], rows: Array<Array<string | number | null>>, c: ChalkInstance, width = WIDTH): string {
  const cells = rows.map((row) => row.map((v) => (v === null ? c.dim('-') : String(v))));
  const heads = head.map((h) => c.bold(h));
  const column = (i: number) => [heads[i]!, ...cells.map((r) => r[i] ?? '')].flatMap((cell) => cell.split('\n'));
  // content plus one space of padding each side; the least: the longest word
  const widths = heads.map((_, i) => Math.max(...column(i).map(visible)) + 2);
  const least = heads.map(
    (_, i) =>
      Math.max(
        3,
        ...column(i)
          .flatMap((l) => l.split(' '))
          .map(visible),
      ) + 2,
  );
  const total = () => widths.reduce((a, b) => a + b, 0) + widths.length + 1;
  const narrowed = total() > width;
  let breakWords = false;
  while (total() > width) {
    // first the widest column that still wraps between words; then the one holding the longest word
    const candidates = widths.map((w, i) => (breakWords ? (w > 8 ? least[i]! : -1) : w > least[i]! ? w : -1));
    const widest = candidates.indexOf(Math.max(...candidates));
    if (candidates[widest]! < 0) {
      if (breakWords) break;
      breakWords = true;
      continue;
    }
    widths[widest]!--;
  }
  // a word longer than its column: cut it in pieces of the column's width (plain text only)
  const cut = (text: string, room: number) =>
    text.includes('\x1b') ? text : text.replace(new RegExp(`[^\\s]{${room + 1},}`, 'g'), (word) => word.match(new RegExp(`.{1,${room}}`, 'g'))!.join(' '));
  const Table = tableClass();
  const t = new Table({
    head: heads.map((h, i) => cut(h, widths[i]! - 2)),
    style: { head: [], border: [] },
    ...(narrowed ? { colWidths: widths, wordWrap: true } : {}),
  });
  for (const row of cells) t.push(row.map((v, i) => (narrowed ? cut(v, widths[i]! - 2) : v)));
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

/**
 * One timeline event: UTC time of day, time since the order's creation, event, details; the
 * details wrap under their own column so the line fits 80 columns. `margin` indents every line.
 */
export function eventLine(e: TimelineEvent, createdAt: number, c: ChalkInstance, withOrder = false, margin = ''): string {
  const name = eventName(e.type, c);
  const order = withOrder ? `${c.bold(`#${e.orderId}`.padEnd(5))} ` : '';
  const head = `${margin}${c.dim(time(e.at))} ${sinceCreated(e.at - createdAt).padStart(13)}  ${order}${name.padEnd(EVENT_WIDTH + (name.length - e.type.length))}`;
  const details = dataParts(e.data, createdAt).map((p) => c.dim(p));
  // continuation lines hang under the event column, two spaces in
  const eventColumn = visible(margin) + 12 + 1 + 13 + 2 + (withOrder ? 6 : 0);
  return wrapParts(head, details, eventColumn + 2).join('\n');
}

/** A state change, in the event column: `state: pending → awaiting_restock`. */
export function stateLine(
  t: { orderId: number; from: OrderStatus; to: OrderStatus; at: number },
  createdAt: number,
  c: ChalkInstance,
  withOrder = false,
  margin = '',
): string {
  const order = withOrder ? `${c.bold(`#${t.orderId}`.padEnd(5))} ` : '';
  return `${margin}${c.dim(time(t.at))} ${sinceCreated(t.at - createdAt).padStart(13)}  ${order}${c.bold('state:')} ${statusColour(c, t.from)} → ${statusColour(c, t.to)}`;
}

/** `order #2 WIDGET × 30: reserved supplierRef=… supplierChecks=3`, wrapped at 80 columns. */
export function orderSummary(o: Order, c: ChalkInstance, after?: string): string {
  const extra = [
    o.supplierRef ? `supplierRef=${o.supplierRef}` : null,
    `supplierChecks=${o.supplierChecks}`,
    o.failureReason ? `reason=${c.red(o.failureReason)}` : null,
  ].filter((x): x is string => x !== null);
  const parts = [...extra.map((x) => c.dim(x)), ...(after ? [c.dim(after)] : [])];
  return wrapParts(`order ${c.bold(`#${o.id}`)} ${o.sku} × ${o.qty}: ${statusColour(c, o.status)}`, parts, 4).join('\n');
}

/** One line of a multi-line order (docs/design.md §2.6): its number, SKU × qty and its own state. */
export function lineSummary(l: Order, c: ChalkInstance): string {
  const extra = [l.supplierRef ? `supplierRef=${l.supplierRef}` : null, l.failureReason ? `reason=${c.red(l.failureReason)}` : null].filter((x) => x !== null);
  return `line ${l.lineNo} ${l.sku} × ${l.qty}: ${statusColour(c, l.status)}${extra.length ? ` ${c.dim(extra.join(' '))}` : ''}`;
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
  if (why === 'reserved') return `order #${orderId} is already reserved: the step this job does is over`;
  if (['failed', 'cancelled', 'expired', 'fulfilled'].includes(why))
    return `order #${orderId} is already ${why}${failureReason ? ` (${failureReason})` : ''}, a final state`;
  return `order #${orderId} is ${why}, past the step this job does`;
}
