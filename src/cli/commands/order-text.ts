/**
 * The text of `order explain` (80 columns) and of `order show --format md` (a Markdown section
 * with the timeline as a table, for slides and print). Pure functions.
 */
import type { ChalkInstance } from 'chalk';
import { offset, type Explanation } from '../../app/explain.js';
import type { TimelineEvent } from '../../domain/events.js';
import type { Order } from '../../domain/order.js';
import { statusColour, time, when } from '../render.js';
import { dataText, SINCE_CREATED, sinceCreated, words, wrapParts } from '../../text/timeline.js';

export function explanationText(order: Order, x: Explanation, c: ChalkInstance): string[] {
  const reason = order.failureReason ? ` (${order.failureReason})` : '';
  const lines = [
    `order ${c.bold(`#${order.id}`)} ${order.sku} × ${order.qty}: ${statusColour(c, order.status)}${reason}`,
    `${c.bold('states:')} ${x.path.map((s) => statusColour(c, s)).join(' → ')}`,
    '',
    ...wrapParts('', words(x.summary), 0),
  ];
  if (x.next) lines.push('', ...wrapParts(c.bold('next:'), words(x.next), 6));
  lines.push('', c.dim(`step by step (${SINCE_CREATED}):`));
  for (const e of x.events) lines.push(...wrapParts(`  ${offset(e.since).padEnd(10)}`, words(e.text), 12));
  return lines;
}

/** `|` would end a Markdown table cell */
const cell = (s: string) => s.replaceAll('|', '\\|').replace(/\r?\n/g, ' ');

export function timelineMarkdown(order: Order & { events: TimelineEvent[] }, x: Explanation): string {
  const reason = order.failureReason ? ` (${order.failureReason})` : '';
  const rows = order.events.map((e) => `| ${time(e.at)} | ${sinceCreated(e.at - order.createdAt)} | ${e.type} | ${cell(dataText(e.data, order.createdAt))} |`);
  return [
    `## Order #${order.id}: ${order.sku} × ${order.qty}, ${order.status}${reason}`,
    '',
    `Created ${when(order.createdAt)} UTC. States: ${x.pathText}.`,
    '',
    `${cell(x.summary)}${x.next ? `. Next: ${cell(x.next)}.` : ''}`,
    '',
    `| time (UTC) | ${SINCE_CREATED} | event | details |`,
    '| --- | ---: | --- | --- |',
    ...rows,
  ].join('\n');
}
