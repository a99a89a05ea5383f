/**
 * The shape of a scenario file (docs/scenarios.md), as zod schemas with messages meant for the person who
 * wrote the file. Objects are strict, so a misspelt key is an error, not silently ignored.
 * Cross-references (labels, SKUs named by expectations) are checked afterwards, in compile.ts.
 */
import { type Zod, z } from '../kit/zod.js';
import { skuScriptSchema } from '../domain/supplier-script.js';
import { DURATION_FORM, parseDuration } from '../domain/duration.js';
import { MOVEMENT_TYPES } from '../domain/inventory.js';
import { FailureReason, ORDER_STATUSES } from '../domain/order.js';
import { RESERVE_STRATEGIES, type ReserveStrategy } from '../domain/settings.js';
import { MAX_QTY, QTY_RULE, reservationTtlSchema, withThousands } from '../domain/validation.js';

export const LABEL_RULE = "a label is 1-64 letters, digits, '_' or '-' (a '.' is kept for burst members such as b.1)";
export const LABEL_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_COUNT = 100_000;

const list = (values: readonly string[]) => values.join(', ');

export const durationSchema = z
  .string({ error: `expected ${DURATION_FORM}` })
  .refine((s) => parseDuration(s) !== null, { error: `expected ${DURATION_FORM}` })
  .transform((s) => parseDuration(s)!);

const whole = (what: string, min: number, max: number) => {
  const rule = `${what} must be a whole number from ${min} to ${withThousands(max)}`;
  return z.number({ error: rule }).int({ error: rule }).min(min, { error: rule }).max(max, { error: rule });
};

/** SKUs are checked for their form in compile.ts (keys of maps are SKUs too). */
const skuText = z.string({ error: 'sku must be a string such as WIDGET-1' });
const qty = z.number({ error: QTY_RULE }).int({ error: QTY_RULE }).min(1, { error: QTY_RULE }).max(MAX_QTY, { error: QTY_RULE });
const onHand = whole('onHand', 0, MAX_QTY);
const label = z.string({ error: LABEL_RULE }).regex(LABEL_PATTERN, { error: LABEL_RULE });

export { skuScriptSchema } from '../domain/supplier-script.js';

export const settingsSchema = z.strictObject({
  checkDelay: durationSchema.optional(),
  maxDelayedRetries: whole('maxDelayedRetries', 0, 1_000).optional(),
  jobAttempts: whole('jobAttempts', 1, 100).optional(),
  backoffBase: durationSchema.optional(),
  backoffCap: durationSchema.optional(),
  supplierTimeout: durationSchema.optional(),
  /** how long a reservation holds its units before it expires (docs/design.md §2.5); default: never */
  reservationTtl: reservationTtlSchema.optional(),
  reserveStrategy: z
    .enum(RESERVE_STRATEGIES as [ReserveStrategy, ...ReserveStrategy[]], { error: `not a reserve strategy: use one of ${RESERVE_STRATEGIES.join(', ')}` })
    .optional(),
});

const orderLine = z.strictObject({ sku: skuText, qty });
const orderStep = z
  .strictObject({
    id: label,
    sku: skuText.optional(),
    qty: qty.optional(),
    /** a multi-line order (docs/design.md §2.6) instead of sku and qty; its lines are labelled `<id>/1`, `<id>/2`, … */
    lines: z
      .array(orderLine, { error: 'lines is a list of { sku, qty }' })
      .min(1, { error: 'lines needs at least one { sku, qty }' })
      .max(50, { error: 'an order has at most 50 lines' })
      .optional(),
    count: whole('count', 1, MAX_COUNT).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.lines !== undefined) {
      if (o.sku !== undefined || o.qty !== undefined)
        ctx.addIssue({ code: 'custom', path: ['lines'], message: 'an order step has either lines or sku and qty, not both' });
      return;
    }
    if (o.sku === undefined) ctx.addIssue({ code: 'custom', path: ['sku'], message: 'sku must be a string such as WIDGET-1 (or give lines)' });
    if (o.qty === undefined) ctx.addIssue({ code: 'custom', path: ['qty'], message: QTY_RULE });
  });
const restockStep = z.strictObject({ sku: skuText, qty });
const setStep = z.strictObject({ sku: skuText, onHand });
const lifecycleStep = z.strictObject({ order: label });

export const STEP_KINDS = ['order', 'restock', 'set', 'cancel', 'fulfil'] as const;

export const stepSchema = z
  .strictObject({
    at: durationSchema,
    /** narration for `warehouse demo` (what this step shows); `simulate` ignores it */
    say: z.string({ error: 'say is free text: what the step shows, for `warehouse demo`' }).optional(),
    order: orderStep.optional(),
    restock: restockStep.optional(),
    set: setStep.optional(),
    /** cancel the order with this label (docs/design.md §2.5); a state that refuses is reported, not fatal */
    cancel: lifecycleStep.optional(),
    /** fulfil the order with this label */
    fulfil: lifecycleStep.optional(),
  })
  .superRefine((step, ctx) => {
    const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? `a step needs one of ${list(STEP_KINDS)} besides "at"`
            : `a step does one thing: it has ${kinds.join(' and ')}; split it into ${kinds.length} steps`,
      });
    }
  });

const STATUS_RULE = `status is one of ${list(ORDER_STATUSES)}`;
const REASONS = Object.values(FailureReason);
const statusSchema = z.enum(ORDER_STATUSES as unknown as [string, ...string[]], { error: STATUS_RULE });

const orderExpectation = z.strictObject({
  status: statusSchema.optional(),
  supplierChecks: whole('supplierChecks', 0, 1_000).optional(),
  failureReason: z
    .enum(REASONS as [string, ...string[]], { error: `failureReason is null or one of ${list(REASONS)}` })
    .nullable()
    .optional(),
  settledAt: durationSchema.nullable().optional(),
});

const countExpectation = z.strictObject(
  Object.fromEntries(ORDER_STATUSES.map((s) => [s, whole(`count of ${s}`, 0, MAX_COUNT).optional()])) as Record<
    (typeof ORDER_STATUSES)[number],
    Zod.ZodOptional<Zod.ZodNumber>
  >,
);

const movementExpectation = z.strictObject({
  type: z.enum(MOVEMENT_TYPES as [string, ...string[]], { error: `type is one of ${list(MOVEMENT_TYPES)}` }),
  qty: z
    .number({ error: 'qty is the signed change of on-hand, a whole number (reservations are negative)' })
    .int({ error: 'qty is the signed change of on-hand, a whole number (reservations are negative)' })
    .refine((n) => n !== 0, { error: 'qty of a movement is never 0' }),
  order: z.string({ error: 'order is the label of the order the movement belongs to' }).optional(),
});

export const expectSchema = z.strictObject({
  orders: z
    .record(z.string(), orderExpectation, { error: 'expect.orders maps order labels to { status, supplierChecks, failureReason, settledAt }' })
    .optional(),
  count: z.record(z.string(), countExpectation, { error: 'expect.count maps a label to counts by status, e.g. { reserved: 1, failed: 49 }' }).optional(),
  inventory: z.record(z.string(), onHand, { error: 'expect.inventory maps SKUs to their final on-hand' }).optional(),
  movements: z
    .record(z.string(), z.array(movementExpectation, { error: "a SKU's movements are a list of { type, qty, order }" }), {
      error: 'expect.movements maps SKUs to their ledger after the opening balance',
    })
    .optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string({ error: 'name is required: a short title for the scenario' }).min(1, { error: 'name must not be empty' }),
  description: z.string({ error: 'description is free text' }).optional(),
  settings: settingsSchema.optional(),
  inventory: z.record(z.string(), onHand, { error: 'inventory maps SKUs to their opening on-hand, e.g. { WIDGET: 2 }' }).optional(),
  supplier: z.record(z.string(), skuScriptSchema, { error: 'supplier maps SKUs to a script, e.g. { WIDGET: { status: [delayed, ok] } }' }).optional(),
  steps: z.array(stepSchema, { error: 'steps is a list of { at, order | restock | set }' }).min(1, { error: 'steps needs at least one step' }),
  expect: expectSchema.optional(),
});

export type RawScenario = Zod.output<typeof scenarioSchema>;
