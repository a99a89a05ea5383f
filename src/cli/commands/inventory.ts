import { inventoryJson, movementJson } from '../../app/json.js';
import { ValidationError } from '../../domain/errors.js';
import type { InventoryItem } from '../../domain/inventory.js';
import { numberFromText, QTY_RULE } from '../../domain/validation.js';
import type { Ctx } from '../context.js';
import { table, when } from '../render.js';

/** a page of the ledger: as many as `order list` shows at most */
const MAX_CLI_PAGE = 10_000;
const PAGE_RULE = `a whole number from 1 to ${MAX_CLI_PAGE}`;

/** The stock views in one line (docs/design.md §2.4); reserved and available only when some are reserved. */
function views(i: InventoryItem): string {
  return i.reserved === 0 ? `on hand: ${i.onHand}` : `on hand: ${i.onHand + i.reserved} (reserved ${i.reserved}, available ${i.onHand})`;
}

export async function set(ctx: Ctx, [sku, qty]: string[]): Promise<number> {
  const onHand = numberFromText('qty', qty!, 'an on-hand count must be a whole number from 0 to 1,000,000');
  await using w = await ctx.open();
  const item = await w.inventory.set(sku, onHand);
  if (ctx.opts.json) ctx.json(inventoryJson(item));
  else ctx.say(`${ctx.c.bold(item.sku)} ${views(item)}`);
  return 0;
}

export async function add(ctx: Ctx, [sku, qty]: string[]): Promise<number> {
  const n = numberFromText('qty', qty!, QTY_RULE);
  await using w = await ctx.open();
  const item = await w.inventory.add(sku, n);
  if (ctx.opts.json) ctx.json(inventoryJson(item));
  else ctx.say(`${ctx.c.bold(item.sku)} ${views(item)} (+${n})`);
  return 0;
}

export async function list(ctx: Ctx): Promise<number> {
  await using w = await ctx.open();
  const items = await w.inventory.list();
  if (ctx.opts.json) ctx.json(items.map(inventoryJson));
  else if (items.length === 0) ctx.say('no inventory yet: try `warehouse inventory set WIDGET 10`');
  else
    ctx.say(
      table(
        ['sku', 'on hand', 'reserved', 'available', 'updated'],
        items.map((i) => [i.sku, i.onHand + i.reserved, i.reserved, i.onHand, when(i.updatedAt)]),
        ctx.c,
      ),
    );
  return 0;
}

export async function movements(ctx: Ctx, [sku]: string[], opts: Record<string, unknown>): Promise<number> {
  const limit = numberFromText('limit', String(opts.limit), PAGE_RULE);
  if (limit < 1 || limit > MAX_CLI_PAGE) throw new ValidationError('limit', PAGE_RULE);
  const cursor = opts.cursor === undefined ? undefined : numberFromText('cursor', String(opts.cursor), 'the cursor is a movement id, a whole number');
  await using w = await ctx.open();
  const page = await w.inventory.movementPage(sku, { limit, cursor });
  const rows = page.movements;
  const more = page.nextCursor === null ? null : `more: warehouse inventory movements ${rows[0]?.sku ?? sku} --limit ${limit} --cursor ${page.nextCursor}`;
  if (ctx.opts.json) ctx.json(rows.map(movementJson));
  else
    ctx.say(
      table(
        ['id', 'at', 'type', 'qty', 'order', 'on hand after'],
        rows.map((m) => [m.id, when(m.at), m.type, m.qty > 0 ? `+${m.qty}` : m.qty, m.orderId === null ? null : `#${m.orderId}`, m.onHandAfter]),
        ctx.c,
      ),
    );
  // with --json this goes to stderr: stdout stays one JSON array (docs/design.md §9)
  if (more) ctx.say(more);
  return 0;
}
