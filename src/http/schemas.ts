/**
 * Request and response schemas of the HTTP API, written once (zod). They validate requests
 * (fastify-type-provider-zod: no coercion, unknown body properties refused), type the handlers,
 * encode the responses and generate GET /openapi.json (OpenAPI 3.1). The input rules themselves
 * (SKU, qty, on-hand) come from src/domain/validation.ts, shared with the CLI.
 */
import { z } from 'zod';
import { MOVEMENT_TYPES } from '../domain/inventory.js';
import { FailureReason, ORDER_STATUSES } from '../domain/order.js';
import { IDEMPOTENCY_KEY_RULE, parseIdempotencyKey } from './idempotency.js';
import { onHandSchema, orderInputSchema, qtySchema, SKU_RULE, skuSchema } from '../domain/validation.js';

// ---------------------------------------------------------------- requests

/** the domain's rules, described for the OpenAPI document (a refine has no JSON Schema form) */
const sku = skuSchema.meta({ description: `trimmed and upper-cased, then: ${SKU_RULE}` });
export const orderCreateBody = z.strictObject({ ...orderInputSchema.shape, sku }).meta({ description: 'qty is a JSON integer, never a string' });
export const setOnHandBody = z.strictObject({ onHand: onHandSchema });
export const restockBody = z.strictObject({ qty: qtySchema });

/** path ids: plain decimal digits, no sign, no leading zero */
export const idParams = z.strictObject({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, { error: 'id must be a positive whole number' })
    .transform(Number),
});
export const skuParams = z.strictObject({ sku });

const digits = (field: string, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,15}$/, { error: `${field} must be a whole number` })
    .transform(Number)
    .refine((n) => n <= max, { error: `${field} must be at most ${max}` });

/** pages of a list (orders, a SKU's movements): `limit` per page, `cursor` = the last id seen */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
const pageFields = {
  limit: digits('limit', MAX_PAGE)
    .refine((n) => n >= 1, { error: 'limit must be at least 1' })
    .optional(),
  cursor: digits('cursor', Number.MAX_SAFE_INTEGER).optional(),
};
export const pageQuery = z.strictObject(pageFields);
export const listQuery = z.strictObject({
  status: z.enum(ORDER_STATUSES, { error: `status must be one of ${ORDER_STATUSES.join(', ')}` }).optional(),
  ...pageFields,
});

/** Idempotency-Key, bare (`k`) or as the draft's sf-string (`"k"`): the same key either way. */
export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .transform((value, ctx) => {
      const key = parseIdempotencyKey(value);
      if (key === null) ctx.issues.push({ code: 'custom', input: value, message: IDEMPOTENCY_KEY_RULE });
      return key ?? z.NEVER;
    })
    .optional()
    .meta({ description: 'IETF draft Idempotency-Key: a retry with the same key and request within 24 h gets the first response, and nothing is done twice' }),
});

// ---------------------------------------------------------------- responses

const isoTime = z.iso.datetime();

export const orderSchema = z
  .object({
    id: z.number().int(),
    sku: z.string(),
    qty: z.number().int(),
    status: z.enum(ORDER_STATUSES),
    supplierRef: z.string().nullable(),
    supplierChecks: z.number().int(),
    failureReason: z.enum(Object.values(FailureReason)).nullable(),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Order' });

export const eventSchema = z.object({ at: isoTime, type: z.string(), data: z.record(z.string(), z.unknown()) }).meta({ id: 'TimelineEvent' });
export const orderWithTimelineSchema = orderSchema.extend({ events: z.array(eventSchema) }).meta({ id: 'OrderWithTimeline' });
export const orderPageSchema = z.object({ orders: z.array(orderSchema), nextCursor: z.number().int().nullable() }).meta({ id: 'OrderPage' });

export const inventorySchema = z.object({ sku: z.string(), onHand: z.number().int(), updatedAt: isoTime }).meta({ id: 'Inventory' });
export const movementSchema = z
  .object({
    id: z.number().int(),
    sku: z.string(),
    type: z.enum(MOVEMENT_TYPES),
    qty: z.number().int(),
    orderId: z.number().int().nullable(),
    onHandAfter: z.number().int(),
    at: isoTime,
  })
  .meta({ id: 'Movement' });

export const movementPageSchema = z.object({ movements: z.array(movementSchema), nextCursor: z.number().int().nullable() }).meta({ id: 'MovementPage' });

export const healthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

/** RFC 9457 problem details; `field`/`errors` name what broke a validation rule. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    field: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.output<typeof problemSchema>;

/** an error response: served as application/problem+json */
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

export const P = {
  400: problem('malformed JSON or a forbidden property (__proto__, constructor)'),
  401: problem('a bearer token is configured and the request has none, or a wrong one'),
  404: problem('no such resource'),
  409: problem('a request with this Idempotency-Key is still in flight'),
  413: problem('body larger than 16 KiB'),
  414: problem('a path segment longer than 100 characters'),
  415: problem('body is not application/json'),
  422: problem('a field broke a validation rule (`field` names it), or an Idempotency-Key was reused with another body'),
  429: problem('too many requests from this client (orders per minute, or writes with a wrong token); see Retry-After'),
  500: problem('a server fault (logged; the body names the request id, never the cause)'),
  503: problem('the database is busy or does not answer; see Retry-After'),
} as const;

/** what any route can answer: a URL the router refuses (bad percent-encoding, a segment too long), a server fault */
export const SERVER_ERRORS = { 400: P[400], 414: P[414], 500: P[500], 503: P[503] } as const;

/** OpenAPI: writes need a bearer token when the server has one (WAREHOUSE_API_TOKEN) */
export const WRITE_SECURITY = [{ bearer: [] }];
