import { type Zod, z } from '../kit/zod.js';
import { ValidationError } from './errors.js';
import { DURATION_FORM, parseDuration } from './duration.js';

/** The input rules of docs/design.md §2.3: the rules are written once here and reused by the CLI, HTTP and scenarios. */
export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,63}$/;
/** What a client may send: the same, in either case (surrounding blanks are trimmed too). */
export const SKU_INPUT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_QTY = 1_000_000;

/**
 * A whole number with a comma between thousands (1,000,000), as `toLocaleString('en-US')` writes
 * it, without ICU: its first use loads the number formatting data, 23–35 ms at every start of a
 * command that validates input (docs/performance.md, start-up).
 */
export const withThousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export const SKU_RULE = `a SKU is 1-64 characters of A-Z, 0-9, '.', '_' or '-', starting with a letter or digit`;
export const QTY_RULE = `qty must be a whole number from 1 to ${withThousands(MAX_QTY)}`;

/** the first character outside ASCII, described for a message (`"ı" (U+0131)`, `U+00A0`), or null */
function firstNonAscii(s: string): string | null {
  const c = /[^\x00-\x7f]/u.exec(s)?.[0];
  if (c === undefined) return null;
  const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  // an invisible character (a no-break space, a BOM) is named by its code point alone
  return /[\p{C}\p{Z}]/u.test(c) ? code : `"${c}" (${code})`;
}

/**
 * Only ASCII is upper-cased, and anything else is refused before normalising: `toUpperCase` would
 * fold "wıdget" onto WIDGET, "glaß" onto GLASS, "ﬁle" onto FILE and "ſku" onto SKU.
 */
export const skuSchema = z
  .string({ error: 'sku must be a string' })
  .check((ctx) => {
    const bad = firstNonAscii(ctx.value);
    if (bad)
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `${bad} is not ASCII; ${SKU_RULE} (other letters are refused, never folded onto another SKU)`,
      });
  })
  .transform((s) => s.trim().toUpperCase())
  .refine((s) => SKU_PATTERN.test(s), { message: SKU_RULE });

export const qtySchema = z.number({ error: 'qty must be a number' }).int({ error: QTY_RULE }).min(1, { error: QTY_RULE }).max(MAX_QTY, { error: QTY_RULE });

/** on-hand for a stock count: 0 is allowed. */
export const onHandSchema = z
  .number({ error: 'onHand must be a number' })
  .int({ error: `onHand must be a whole number from 0 to ${MAX_QTY}` })
  .min(0, { error: `onHand must be a whole number from 0 to ${MAX_QTY}` })
  .max(MAX_QTY, { error: `onHand must be a whole number from 0 to ${MAX_QTY}` });

export const orderInputSchema = z.strictObject({ sku: skuSchema, qty: qtySchema });
export type OrderInput = Zod.output<typeof orderInputSchema>;

function parseWith<T>(schema: Zod.ZodType<T>, field: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ValidationError(field, issue?.message ?? 'invalid', `invalid ${field} ${JSON.stringify(value)}: ${issue?.message ?? 'invalid'}`);
}

export const parseSku = (value: unknown): string => parseWith(skuSchema, 'sku', value);
export const parseQty = (value: unknown): number => parseWith(qtySchema, 'qty', value);
export const parseOnHand = (value: unknown): number => parseWith(onHandSchema, 'onHand', value);

/**
 * Command-line numbers arrive as text. Only plain decimal digits are a quantity: "3" is 3, while
 * "3.0", "1e3", "0x10", " 3" and "" are refused, so a typo is never silently reinterpreted.
 */
/** A whole number written in `text`; refused (never rounded) beyond JavaScript's exact integers (2^53 − 1). */
export function numberFromText(field: string, text: string, rule: string): number {
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ValidationError(field, rule, `invalid ${field} ${JSON.stringify(text)}: ${rule}`);
  }
  return n;
}

export function parseOrderInput(sku: unknown, qty: unknown): OrderInput {
  return { sku: parseSku(sku), qty: parseQty(qty) };
}

/** A reservation lasts at least a second and at most 30 days. */
export const MAX_RESERVATION_TTL_MS = 30 * 24 * 3_600_000;
export const RESERVATION_TTL_RULE = `reservationTtl must be ${DURATION_FORM}, from 1s to 720h`;

/** A reservation's time to live, written as a duration (`90s`, `15m`, `2h`): milliseconds. */
export const reservationTtlSchema = z.string({ error: RESERVATION_TTL_RULE }).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms < 1_000 || ms > MAX_RESERVATION_TTL_MS) {
    ctx.issues.push({ code: 'custom', input: text, message: RESERVATION_TTL_RULE });
    return z.NEVER;
  }
  return ms;
});

export const parseReservationTtl = (value: unknown): number => parseWith(reservationTtlSchema, 'reservationTtl', value);

/** The most lines an order may have (docs/design.md §2.6). */
export const MAX_ORDER_LINES = 50;
export const LINE_FORM = 'SKU:QTY (e.g. WIDGET:3)';

/** A line as written on the command line (`--line SKU:QTY`), the `n`th: its SKU and qty as text, checked by parseOrderLines. */
export function lineFromText(text: string, n: number): { sku: string; qty: number } {
  const m = /^([^:]*):([^:]*)$/.exec(text);
  if (!m) throw new ValidationError('line', LINE_FORM, `line ${n}: ${JSON.stringify(text)} is not ${LINE_FORM}`);
  const qty = /^\d+$/.test(m[2]!) ? Number(m[2]) : NaN;
  if (!Number.isSafeInteger(qty)) throw new ValidationError('line', QTY_RULE, `line ${n}: ${JSON.stringify(text)}: ${QTY_RULE}`);
  return { sku: m[1]!, qty };
}

/**
 * A multi-line order's lines (docs/design.md §2.6): 1 to 50 `{sku, qty}`, each SKU once (after
 * normalising), at most MAX_QTY units in all. A refusal names the line (`line 3: …`).
 */
export function parseOrderLines(value: unknown): Array<{ sku: string; qty: number }> {
  if (!Array.isArray(value)) throw new ValidationError('lines', 'an array', 'lines must be an array of {"sku", "qty"}');
  if (value.length === 0) throw new ValidationError('lines', 'at least one line', 'an order needs at least one line');
  if (value.length > MAX_ORDER_LINES)
    throw new ValidationError(
      'lines',
      `at most ${MAX_ORDER_LINES}`,
      `an order has at most ${MAX_ORDER_LINES} lines (got ${value.length}); split it into several orders`,
    );
  const seen = new Map<string, number>();
  const lines = value.map((raw, i) => {
    const n = i + 1;
    const r = orderInputSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ValidationError('lines', issue?.message ?? 'invalid', `line ${n}: ${issue?.message ?? 'invalid'}`);
    }
    const first = seen.get(r.data.sku);
    if (first !== undefined)
      throw new ValidationError(
        'lines',
        'each SKU once',
        `line ${n}: ${r.data.sku} is already line ${first}; an order has one line per SKU (add the quantities up)`,
      );
    seen.set(r.data.sku, n);
    return r.data;
  });
  const total = lines.reduce((sum, l) => sum + l.qty, 0);
  if (total > MAX_QTY) throw new ValidationError('lines', QTY_RULE, `the lines come to ${total} units; an order holds at most ${withThousands(MAX_QTY)}`);
  return lines;
}
