import { idempotencyKeyFor } from '../../app/keys.js';
import { orderJson, orderWithTimelineJson } from '../../app/json.js';
import { UsageError, ValidationError } from '../../domain/errors.js';
import type { TimelineEvent } from '../../domain/events.js';
import { isOrderStatus, isSettled, ORDER_STATUSES, type Order } from '../../domain/order.js';
import { lineFromText, numberFromText, parseOrderLines, parseSku, QTY_RULE } from '../../domain/validation.js';
import type { BusEvents } from '../../app/bus.js';
import type { Ctx } from '../context.js';
import { sayTrouble } from '../trouble.js';
import { eventHeader, eventLine, lineSummary, orderSummary, stateLine, statusColour, table, when } from '../render.js';
import { sinceCreated, wrapParts } from '../../text/timeline.js';
import { orderScriptFromFlags, seedFromFlags, settingsFromFlags } from '../flags.js';

/** explain.ts and the explanation's text, loaded by the commands that show one (not by `order create`) */
const explaining = () => Promise.all([import('../../app/explain.js'), import('./order-text.js')]).then(([a, b]) => ({ ...a, ...b }));

async function ask(ctx: Ctx, field: 'sku' | 'qty'): Promise<string> {
  if (!ctx.io.stdin.isTTY || !ctx.io.stdout.isTTY) {
    throw new UsageError(`missing --${field}: pass --${field} (there is no terminal to ask on)`);
  }
  const { input } = await import('@inquirer/prompts');
  return input({
    message: field === 'sku' ? 'SKU' : 'Quantity',
    validate: (value) => {
      try {
        if (field === 'sku') parseSku(value);
        else numberFromText('qty', value, QTY_RULE);
        return true;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
}

/**
 * While the order waits on the real clock: a live countdown on a terminal; elsewhere (a pipe, a
 * CI log) one line per wait, so a long wait is never silent.
 */
function countdown(ctx: Ctx, createdAt: number) {
  let timer: NodeJS.Timeout | undefined;
  const tty = Boolean(ctx.io.stdout.isTTY) && !ctx.opts.json;
  const clear = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (tty) ctx.io.stdout.write('\r\x1b[2K');
  };
  return {
    clear,
    waitUntil(at: number, what: string, now: () => number) {
      clear();
      if (ctx.opts.json) return;
      if (!tty) {
        const wait = `waiting ${(Math.max(0, at - now()) / 1000).toFixed(1)}s for the ${what}, due at ${sinceCreated(at - createdAt)} (--clock virtual skips the waits)`;
        ctx.say(ctx.c.dim(wait));
        return;
      }
      const draw = () => ctx.io.stdout.write(`\r\x1b[2K${ctx.c.yellow('⏳')} ${what} in ${Math.max(0, (at - now()) / 1000).toFixed(0)}s`);
      draw();
      timer = setInterval(draw, 250);
      timer.unref();
    },
  };
}

/** `--line SKU:QTY`, repeated: the lines of a multi-line order (docs/design.md §2.6), checked as the API checks them. */
function linesFromFlags(opts: Record<string, unknown>): Array<{ sku: string; qty: number }> | null {
  const texts = opts.line as string[] | undefined;
  if (texts === undefined) return null;
  if (opts.sku !== undefined || opts.qty !== undefined)
    throw new ValidationError('line', 'lines or sku and qty', 'give either --line SKU:QTY (repeated) or --sku and --qty, not both');
  return parseOrderLines(texts.map((text, i) => lineFromText(text, i + 1)));
}

export async function create(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const lines = linesFromFlags(opts);
  if (lines && lines.length > 1) return createLines(ctx, lines, opts);
  if (lines) {
    // one --line is a one-line order
    opts.sku = lines[0]!.sku;
    opts.qty = String(lines[0]!.qty);
  }
  const skuText = typeof opts.sku === 'string' ? opts.sku : await ask(ctx, 'sku');
  const qtyText = typeof opts.qty === 'string' ? opts.qty : await ask(ctx, 'qty');
  const sku = parseSku(skuText);
  const qty = numberFromText('qty', qtyText, QTY_RULE);
  const settings = settingsFromFlags(opts);
  const seed = seedFromFlags(opts);
  const clock = opts.clock as 'real' | 'virtual';

  const script = orderScriptFromFlags(opts);
  // stored with the order too, so whichever process reserves it gives it this time to live
  const reservationTtl = typeof opts.reservationTtl === 'string' ? opts.reservationTtl : undefined;

  // a script of the order's own needs the mock's state, even when a `warehouse work` runs the jobs
  await using w = await ctx.open({ runsJobs: opts.wait !== false || script !== undefined, clock, settings, seed });
  let order: Order;
  if (script && w.mock) {
    // stored with the order, so whichever process runs its jobs hears the same conversation
    const made = await w.mock.scriptOrder(sku, script, async () => {
      const o = await w.orders.create({ sku, qty, reservationTtl });
      return { key: idempotencyKeyFor(o.id, await w.databaseId()), value: o };
    });
    order = made.value;
    if (!made.inTime) ctx.io.stderr.write(`warning: order ${order.id} reached the supplier before its script was stored; it follows ${sku}'s script\n`);
  } else order = await w.orders.create({ sku, qty, reservationTtl });
  if (opts.wait === false) {
    if (ctx.opts.json) ctx.json(orderJson(order));
    else ctx.say(`${orderSummary(order, ctx.c)}\n${ctx.c.dim('queued; run `warehouse work` to move it on')}`);
    return 0;
  }

  const live = countdown(ctx, order.createdAt);
  let final = false;
  const print = (e: TimelineEvent) => {
    if (e.orderId !== order.id) return;
    live.clear();
    if (!ctx.opts.json) ctx.say(eventLine(e, order.createdAt, ctx.c));
    const { nextCheckAt, retryAt } = e.data;
    const next = typeof nextCheckAt === 'number' ? nextCheckAt : typeof retryAt === 'number' ? retryAt : undefined;
    // after this commit's state change is printed (the bus sends it right after its events)
    if (next !== undefined && clock === 'real')
      queueMicrotask(() => live.waitUntil(next, e.data.retryAt ? 'retry of the supplier call' : 'next supplier check', () => w.clock.now()));
  };
  const printState = (t: BusEvents['order:transition']) => {
    if (t.orderId !== order.id) return;
    // the order's state says when it is done, not the names of its events
    if (isSettled(t.to)) final = true;
    if (!ctx.opts.json) ctx.say(stateLine(t, order.createdAt, ctx.c));
  };
  if (!ctx.opts.json) {
    ctx.say(eventHeader(ctx.c));
    ctx.say(eventLine({ orderId: order.id, at: order.createdAt, type: 'OrderCreated', data: { sku, qty } }, order.createdAt, ctx.c));
  }
  w.bus.on('order:event', print);
  sayTrouble(ctx, w);
  w.bus.on('order:transition', printState);
  await w.runner.runUntilIdle({ until: () => final });
  live.clear();

  const result = await w.orders.get(order.id);
  if (ctx.opts.json) ctx.json(orderWithTimelineJson(result));
  else {
    const took = ((result.updatedAt - result.createdAt) / 1000).toFixed(3);
    ctx.say(orderSummary(result, ctx.c, `after ${took}s${clock === 'virtual' ? ' (virtual)' : ''}`));
  }
  if (!isSettled(result.status)) return 1;
  return result.status === 'failed' ? 1 : 0;
}

/** A multi-line order: created, run until it is reserved or final, each event printed with its line. */
async function createLines(ctx: Ctx, lines: Array<{ sku: string; qty: number }>, opts: Record<string, unknown>): Promise<number> {
  const settings = settingsFromFlags(opts);
  const seed = seedFromFlags(opts);
  const clock = opts.clock as 'real' | 'virtual';
  if (orderScriptFromFlags(opts) !== undefined)
    throw new UsageError("a multi-line order follows each SKU's script (`warehouse supplier script`); the order's own script flags are for one-line orders");
  const reservationTtl = typeof opts.reservationTtl === 'string' ? opts.reservationTtl : undefined;
  await using w = await ctx.open({ runsJobs: opts.wait !== false, clock, settings, seed });
  const order = await w.orders.create({ lines, reservationTtl });
  if (opts.wait === false) {
    if (ctx.opts.json) ctx.json(orderJson(order));
    else ctx.say(`${orderSummary(order, ctx.c)}\n${ctx.c.dim('queued; run `warehouse work` to move it on')}`);
    return 0;
  }
  let final = false;
  if (!ctx.opts.json) {
    ctx.say(eventHeader(ctx.c));
    // the creation's events were told before anyone listened: the order's, then each line's
    ctx.say(eventLine({ orderId: order.id, at: order.createdAt, type: 'OrderCreated', data: { sku: order.sku, qty: order.qty } }, order.createdAt, ctx.c));
    for (const l of order.lines ?? [])
      ctx.say(
        eventLine({ orderId: order.id, at: order.createdAt, type: 'OrderCreated', data: { sku: l.sku, qty: l.qty, line: l.lineNo } }, order.createdAt, ctx.c),
      );
    w.bus.on('order:event', (e) => {
      if (e.orderId === order.id) ctx.say(eventLine(e, order.createdAt, ctx.c));
    });
  }
  w.bus.on('order:transition', (t) => {
    if (t.orderId !== order.id) return;
    if (isSettled(t.to)) final = true;
    if (!ctx.opts.json) ctx.say(stateLine(t, order.createdAt, ctx.c));
  });
  sayTrouble(ctx, w);
  await w.runner.runUntilIdle({ until: () => final });
  const result = await w.orders.get(order.id);
  if (ctx.opts.json) ctx.json(orderWithTimelineJson(result));
  else {
    const took = ((result.updatedAt - result.createdAt) / 1000).toFixed(3);
    ctx.say(orderSummary(result, ctx.c, `after ${took}s${clock === 'virtual' ? ' (virtual)' : ''}`));
    for (const l of result.lines ?? []) ctx.say(`  ${lineSummary(l, ctx.c)}`);
  }
  if (!isSettled(result.status)) return 1;
  return result.status === 'failed' ? 1 : 0;
}

export async function show(ctx: Ctx, [id]: string[], opts: Record<string, unknown>): Promise<number> {
  const n = numberFromText('id', id!, 'an order id is a whole number; see `warehouse order list`');
  const format = String(opts.format ?? 'text');
  if (format !== 'text' && format !== 'md') throw new UsageError(`--format must be text or md (got ${JSON.stringify(format)})`);
  await using w = await ctx.open();
  const order = await w.orders.get(n);
  if (ctx.opts.json) {
    ctx.json(orderWithTimelineJson(order));
    return 0;
  }
  const { explainOrder, timelineMarkdown } = await explaining();
  if (format === 'md') ctx.say(timelineMarkdown(order, explainOrder(order, order.events, w.settings)));
  else {
    ctx.say(orderSummary(order, ctx.c));
    for (const l of order.lines ?? []) ctx.say(`  ${lineSummary(l, ctx.c)}`);
    ctx.say(`  ${eventHeader(ctx.c)}`);
    for (const e of order.events) ctx.say(eventLine(e, order.createdAt, ctx.c, false, '  '));
    const states = explainOrder(order, order.events, w.settings).pathText;
    for (const line of wrapParts(`  ${ctx.c.bold('states:')}`, [states, ctx.c.dim(`(\`warehouse order explain ${order.id}\` says why)`)], 4)) ctx.say(line);
  }
  return 0;
}

/** `order explain <id>`: why the order is where it is (src/app/explain.ts). */
export async function explain(ctx: Ctx, [id]: string[], opts: Record<string, unknown>): Promise<number> {
  const n = numberFromText('id', id!, 'an order id is a whole number; see `warehouse order list`');
  await using w = await ctx.open({ settings: settingsFromFlags(opts) });
  const order = await w.orders.get(n);
  const { explainOrder, explanationText } = await explaining();
  const x = explainOrder(order, order.events, w.settings);
  if (ctx.opts.json) ctx.json({ ...x, events: x.events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
  else for (const line of explanationText(order, x, ctx.c)) ctx.say(line);
  return 0;
}

export async function list(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const status = opts.status as string | undefined;
  if (status !== undefined && !isOrderStatus(status)) {
    throw new UsageError(`--status must be one of ${ORDER_STATUSES.join(', ')} (got ${JSON.stringify(status)})`);
  }
  const limit = numberFromText('limit', String(opts.limit), 'a whole number from 1 to 10000');
  if (limit < 1 || limit > 10_000) throw new ValidationError('limit', 'a whole number from 1 to 10000');
  await using w = await ctx.open();
  const { orders } = await w.orders.list({ status, limit });
  if (ctx.opts.json) ctx.json(orders.map(orderJson));
  else if (orders.length === 0) ctx.say('no orders');
  else
    ctx.say(
      table(
        ['id', 'sku', 'qty', 'status', 'checks', 'created (UTC)', 'settled'],
        orders.map((o) => [
          o.id,
          o.sku,
          o.qty,
          // the reason on a line of its own, so the table fits 80 columns
          o.failureReason ? `${statusColour(ctx.c, o.status)}\n${o.failureReason}` : statusColour(ctx.c, o.status),
          o.supplierChecks,
          when(o.createdAt),
          isSettled(o.status) ? sinceCreated(o.updatedAt - o.createdAt) : null,
        ]),
        ctx.c,
      ),
    );
  return 0;
}

/** `order cancel <id>` and `order fulfil <id>` (docs/design.md §2.5): exit 1 when the order's state refuses. */
async function lifecycle(ctx: Ctx, id: string, action: 'cancel' | 'fulfil'): Promise<number> {
  const n = numberFromText('id', id, 'an order id is a whole number; see `warehouse order list`');
  await using w = await ctx.open();
  const order = action === 'cancel' ? await w.orders.cancel(n) : await w.orders.fulfil(n);
  if (ctx.opts.json) ctx.json(orderJson(order));
  else {
    ctx.say(orderSummary(order, ctx.c));
    if (order.status === 'cancelling')
      ctx.say(ctx.c.dim('the supplier is asked to cancel its reservation; `warehouse work` (or a running server) finishes it'));
  }
  return 0;
}

export const cancel = (ctx: Ctx, [id]: string[]): Promise<number> => lifecycle(ctx, id!, 'cancel');
export const fulfil = (ctx: Ctx, [id]: string[]): Promise<number> => lifecycle(ctx, id!, 'fulfil');
