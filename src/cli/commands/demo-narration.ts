/**
 * What `warehouse demo` says: a header per moment, the scenario's steps with their `say` text,
 * each order's new events in plain sentences (from src/app/explain.ts, which names the part of
 * the design that acted), and at the end which branches of the flow the story visited. Pure
 * functions from data to lines of at most 80 columns.
 */
import type { ChalkInstance } from 'chalk';
import type { Explanation } from '../../app/explain.js';
import type { TimelineEvent } from '../../domain/events.js';
import type { Order } from '../../domain/order.js';
import type { Step } from '../../sim/model.js';
import { statusColour } from '../render.js';
import { WIDTH, words, wrapParts } from '../../text/timeline.js';

/** `time 1:30` (minutes:seconds since the story began; milliseconds when there are some) */
export function storyTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const rest = ms % 1000;
  return `time ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}${rest ? `.${String(rest).padStart(3, '0')}` : ''}`;
}

export function momentHeader(ms: number, c: ChalkInstance): string {
  const text = `── ${storyTime(ms)} `;
  return c.bold(text.padEnd(WIDTH, '─'));
}

export function stepLines(s: Step, c: ChalkInstance): string[] {
  const what =
    s.kind === 'order'
      ? s.count === null
        ? `order ${s.label}: ${s.sku} × ${s.qty}`
        : `${s.count} orders ${s.label}.1…${s.label}.${s.count}: ${s.sku} × ${s.qty} each`
      : s.kind === 'restock'
        ? `restock ${s.sku} +${s.qty} (a delivery)`
        : s.kind === 'set'
          ? `stock count: ${s.sku} on hand becomes ${s.onHand}`
          : `${s.kind} order ${s.label}`;
  return [
    `${c.bold('▶')} ${c.bold(what)}`,
    ...(s.say
      ? wrapParts(
          '  ',
          words(s.say).map((w) => c.italic(w)),
          2,
        )
      : []),
  ];
}

/** The events of `x` from index `from` on, as sentences, each state change after its event. */
export function orderLines(order: Order, label: string | undefined, x: Explanation, from: number, c: ChalkInstance): string[] {
  const fresh = x.events.slice(from);
  if (fresh.length === 0) return [];
  const name = label ? `order ${label} (#${order.id}, ${order.sku} × ${order.qty})` : `order #${order.id} (${order.sku} × ${order.qty})`;
  const lines = [c.cyan(name)];
  for (const e of fresh) {
    lines.push(...wrapParts('  ·', words(e.text), 4));
    if (e.transition) lines.push(`    ${c.bold('state:')} ${statusColour(c, e.transition.from)} → ${statusColour(c, e.transition.to)}`);
  }
  return lines;
}

/** The branches of the flow (docs/design.md §2, §4) a story can visit, each recognised from an order's timeline. */
export const BRANCHES: ReadonlyArray<{ name: string; visited: (o: Order, events: readonly TimelineEvent[]) => boolean }> = [
  { name: 'local stock', visited: (_o, ev) => ev.some((e) => e.type === 'InventoryReserved' && e.data.source === 'stock') },
  {
    name: 'supplier ok',
    visited: (_o, ev) => ev.some((e) => e.type === 'InventoryReserved' && e.data.source === 'supplier') && !ev.some((e) => e.data.status === 'delayed'),
  },
  {
    name: 'delayed, then ok',
    visited: (_o, ev) => ev.some((e) => e.type === 'InventoryReserved' && e.data.source === 'supplier') && ev.some((e) => e.data.status === 'delayed'),
  },
  { name: 'delayed out', visited: (o) => o.failureReason === 'supplier_delayed' },
  { name: 'supplier fail', visited: (o) => o.failureReason === 'supplier_failed' },
  { name: 'rejected', visited: (o) => o.failureReason === 'supplier_rejected' },
  { name: 'transient errors', visited: (_o, ev) => ev.some((e) => e.type === 'SupplierCallFailed') && !ev.some((e) => e.type === 'JobDeadLettered') },
  { name: 'dead letter', visited: (_o, ev) => ev.some((e) => e.type === 'JobDeadLettered') },
];

export function branchesVisited(orders: Array<Order & { events: TimelineEvent[] }>): Record<string, boolean> {
  return Object.fromEntries(BRANCHES.map((b) => [b.name, orders.some((o) => b.visited(o, o.events))]));
}

export interface Ending {
  label: string;
  order: Order;
  x: Explanation;
}

export function summaryLines(endings: Ending[], branches: Record<string, boolean>, c: ChalkInstance, stopped = false): string[] {
  const width = Math.min(16, Math.max(5, ...endings.map((e) => e.label.length)));
  const lines = [c.bold(stopped ? 'Where each order stands (the story was stopped):' : 'How each order ended:')];
  for (const { label, order, x } of endings) {
    lines.push(
      ...wrapParts(
        `  ${label.padEnd(width)} #${String(order.id).padEnd(3)}`,
        [x.path.map((s) => statusColour(c, s)).join(' → '), ...(order.failureReason ? [`(${order.failureReason})`] : [])],
        width + 8,
      ),
    );
  }
  lines.push('', c.bold('Branches of the flow visited:'));
  const missing = stopped ? 'not reached: the story was stopped' : 'not in this story';
  const marks = Object.entries(branches).map(([name, seen]) => (seen ? `${c.green('✓')} ${name}` : `${c.dim('·')} ${c.dim(`${name} (${missing})`)}`));
  lines.push(
    ...wrapParts(
      ' ',
      marks.map((m, i) => (i < marks.length - 1 ? `${m},` : m)),
      2,
    ),
  );
  return lines;
}
