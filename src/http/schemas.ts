/**
 * Request and response schemas of the HTTP API, written once (zod). They validate requests
 * (fastify-type-provider-zod: no coercion, unknown body properties refused), type the handlers,
 * encode the responses and generate GET /openapi.json (OpenAPI 3.1). The input rules themselves
 * (SKU, qty, on-hand) come from src/domain/validation.ts, shared with the CLI.
 */
import { type Zod, z } from '../kit/zod.js';
import { MOVEMENT_TYPES } from '../domain/inventory.js';
import { FailureReason, ORDER_STATUSES } from '../domain/order.js';
import { IDEMPOTENCY_KEY_RULE, parseIdempotencyKey } from './idempotency.js';
import {
  MAX_ORDER_LINES,
  onHandSchema,
  orderInputSchema,
  qtySchema,
  RESERVATION_TTL_RULE,
  SKU_INPUT_PATTERN,
  SKU_RULE,
  skuSchema,
} from '../domain/validation.js';
import { documented } from './openapi.js';
import { problemSchema } from '../serving/problem.js';

// ---------------------------------------------------------------- requests

/** the domain's rules, described for the OpenAPI document as a client should send them */
const sku = documented(skuSchema, {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: SKU_INPUT_PATTERN.source,
  description: `${SKU_RULE}; ASCII only, any case (it is upper-cased: widget-1 is WIDGET-1)`,
  examples: ['WIDGET-1'],
});
// one example body each: a tool that sends the document's examples sends the same request again on
// a second run, which its Idempotency-Key then answers as a replay rather than refusing (422)
const ttlDescription = `${RESERVATION_TTL_RULE}: how long the reservation holds its units before it expires (default: the server's --reservation-ttl, else never)`;
const ttlJson = { type: 'string', description: ttlDescription, examples: ['15m'] };
const qtyJson = { type: 'integer', minimum: 1, maximum: 1_000_000 };
const skuJson = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: SKU_INPUT_PATTERN.source,
  description: `${SKU_RULE}; ASCII only, any case (it is upper-cased: widget-1 is WIDGET-1)`,
  examples: ['WIDGET-1'],
};

/**
 * The lines of a multi-line order (docs/design.md §2.6): checked by the domain (parseOrderLines), so
 * that a refusal names the line (`line 3: …`); documented here as a client sends them.
 */
const LINES_JSON = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_ORDER_LINES,
  description: `at most ${MAX_ORDER_LINES} lines, each SKU once; all reserved or none`,
  items: {
    type: 'object',
    required: ['sku', 'qty'],
    additionalProperties: false,
    properties: { sku: skuJson, qty: qtyJson },
  },
  examples: [
    [
      { sku: 'WIDGET-1', qty: 2 },
      { sku: 'GADGET-2', qty: 1 },
    ],
  ],
};
const lines = documented(z.array(z.unknown()), LINES_JSON);

/**
 * An order: one line (`sku`, `qty`) or several (`lines`, docs/design.md §2.6). The document says
 * so with `oneOf`; the check itself is the refinement below and, for the lines, the domain's.
 */
export const orderCreateBody = documented(
  z
    .strictObject({
      sku: sku.optional(),
      qty: orderInputSchema.shape.qty.optional(),
      lines: lines.optional(),
      reservationTtl: z.string().optional(),
    })
    .superRefine((body, ctx) => {
      if (body.lines !== undefined) {
        if (body.sku !== undefined || body.qty !== undefined)
          ctx.addIssue({ code: 'custom', path: ['lines'], message: 'give either lines or sku and qty, not both' });
        return;
      }
      // the one-line form: both required, with the messages the fields give
      if (body.sku === undefined) ctx.addIssue({ code: 'custom', path: ['sku'], message: 'sku must be a string' });
      if (body.qty === undefined) ctx.addIssue({ code: 'custom', path: ['qty'], message: 'qty must be a number' });
    }),
  {
    description: 'qty is a JSON integer, never a string; either sku and qty (one line) or lines (a multi-line order)',
    // one example body (a tool that sends the document's examples sends the same request on a second run)
    examples: [{ sku: 'WIDGET-1', qty: 2 }],
    oneOf: [
      {
        type: 'object',
        title: 'one line',
        properties: { sku: skuJson, qty: qtyJson, reservationTtl: ttlJson },
        required: ['sku', 'qty'],
        additionalProperties: false,
        examples: [{ sku: 'WIDGET-1', qty: 2 }],
      },
      {
        type: 'object',
        title: 'several lines',
        properties: { lines: LINES_JSON, reservationTtl: ttlJson },
        required: ['lines'],
        additionalProperties: false,
        examples: [
          {
            lines: [
              { sku: 'WIDGET-1', qty: 2 },
              { sku: 'GADGET-2', qty: 1 },
            ],
          },
        ],
      },
    ],
  },
);
export const setOnHandBody = z.strictObject({ onHand: onHandSchema }).meta({ examples: [{ onHand: 5 }] });
export const restockBody = z.strictObject({ qty: qtySchema }).meta({ examples: [{ qty: 10 }] });

/** the largest id (or cursor) a request may name: 15 digits */
export const MAX_ID = 999_999_999_999_999;

/** path ids: plain decimal digits, no sign, no leading zero (`example`: the id the document offers) */
const orderId = (example: number) =>
  documented(
    z
      .string()
      .regex(/^[1-9][0-9]{0,14}$/, { error: 'id must be a positive whole number' })
      .transform(Number),
    { type: 'integer', minimum: 1, maximum: MAX_ID, description: "the order's id", examples: [example] },
  );
export const idParams = z.strictObject({ id: orderId(1) });
/**
 * cancel and fulfil change the order for good: each offers an example order of its own, so that a
 * tool sending the document's examples cancels one order and fulfils another
 */
export const cancelParams = z.strictObject({ id: orderId(3) });
export const fulfilParams = z.strictObject({ id: orderId(4) });
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
  limit: documented(
    digits('limit', MAX_PAGE).refine((n) => n >= 1, { error: 'limit must be at least 1' }),
    {
      type: 'integer',
      minimum: 1,
      maximum: MAX_PAGE,
      default: DEFAULT_PAGE,
      description: `at most this many per page (default ${DEFAULT_PAGE}, at most ${MAX_PAGE})`,
    },
  ).optional(),
  cursor: documented(digits('cursor', MAX_ID), {
    type: 'integer',
    minimum: 0,
    maximum: MAX_ID,
    description: "the previous page's nextCursor: this page starts after it",
  }).optional(),
};
export const pageQuery = z.strictObject(pageFields);
export const listQuery = z.strictObject({
  status: z
    .enum(ORDER_STATUSES, { error: `status must be one of ${ORDER_STATUSES.join(', ')}` })
    .meta({ description: 'only the orders in this state (all of them when left out)' })
    .optional(),
  order: z
    .enum(['oldest', 'newest'], { error: 'order must be oldest or newest' })
    .meta({ description: 'oldest first (the default) or newest first; nextCursor continues in the same direction', examples: ['newest'] })
    .optional(),
  ...pageFields,
});

/**
 * Idempotency-Key, bare (`k`) or as the draft's sf-string (`"k"`): the same key either way.
 * `example` is the operation's own: a tool that sends the document's examples must never send one
 * key with two different requests (the second would be refused, 422).
 */
export const idempotencyHeaders = (example: string) =>
  z.looseObject({
    'idempotency-key': documented(
      z.string().transform((value, ctx) => {
        const key = parseIdempotencyKey(value);
        if (key === null) ctx.issues.push({ code: 'custom', input: value, message: IDEMPOTENCY_KEY_RULE });
        return key ?? z.NEVER;
      }),
      {
        type: 'string',
        pattern: '^[\\x21-\\x7e]{1,255}$',
        description:
          'IETF draft Idempotency-Key: 1-255 visible ASCII characters, bare or as a quoted sf-string ("k" is the same key as k). ' +
          'A retry with the same key and request within 24 h gets the first answer, and nothing is done twice.',
        examples: [example],
      },
    ).optional(),
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
    lines: z
      .array(
        z.object({
          id: z.number().int().meta({ description: "the line's own order id (its movements name it)" }),
          line: z.number().int(),
          sku: z.string(),
          qty: z.number().int(),
          status: z.enum(ORDER_STATUSES),
          supplierRef: z.string().nullable(),
          supplierChecks: z.number().int(),
          failureReason: z.enum(Object.values(FailureReason)).nullable(),
          updatedAt: isoTime,
        }),
      )
      .meta({ description: "a multi-line order's lines (docs/design.md §2.6), each with its own state; absent for a one-line order" })
      .optional(),
  })
  .meta({ id: 'Order' });

export const eventSchema = z.object({ at: isoTime, type: z.string(), data: z.record(z.string(), z.unknown()) }).meta({ id: 'TimelineEvent' });
export const orderWithTimelineSchema = orderSchema.extend({ events: z.array(eventSchema) }).meta({ id: 'OrderWithTimeline' });
export const orderPageSchema = z.object({ orders: z.array(orderSchema), nextCursor: z.number().int().nullable() }).meta({ id: 'OrderPage' });

export const inventorySchema = z
  .object({
    sku: z.string(),
    onHand: z.number().int().meta({ description: 'units on the shelves: reserved + available' }),
    reserved: z.number().int().meta({ description: 'units held by reserved orders' }),
    available: z.number().int().meta({ description: "units a new order can take: the ledger's balance" }),
    version: z.number().int(),
    updatedAt: isoTime,
  })
  .meta({ id: 'Inventory' });
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

export const healthSchema = z
  .object({
    status: z.literal('ok'),
    database: z.literal('ok'),
    runner: z.enum(['running', 'idle', 'off']).meta({ description: "the job runner's state; `off` when this server runs no jobs (--no-runner)" }),
  })
  .meta({ id: 'Health' });
export const metricsText = z
  .string()
  .meta({ description: 'Prometheus text exposition format, version 0.0.4 (Content-Type: text/plain; version=0.0.4; charset=utf-8)' });
export const openApiSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) });

export { problemSchema, type Problem } from '../serving/problem.js';

/** an error response: served as application/problem+json */
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

export const P = {
  400: problem('the request cannot be read: malformed JSON, a __proto__ or constructor key, no body, a bad request line or URL, or HTTP/1.1 without Host'),
  401: problem('a bearer token is needed and the request has none, or an unknown or revoked one'),
  403: problem('the token lacks the scope this route needs (`missingScope` names it)'),
  404: problem('no such resource'),
  408: problem('the request did not arrive whole within the request time (10 s)'),
  409: problem('a request with this Idempotency-Key is still in flight'),
  413: problem('body larger than 16 KiB'),
  414: problem('a path segment longer than 100 characters'),
  415: problem('the body is not application/json in UTF-8, or it is compressed (Content-Encoding)'),
  421: problem('a loopback server was called under a name it does not answer to (the Host header; see --allowed-host)'),
  422: problem('a field broke a validation rule (`field` names it), or an Idempotency-Key was reused with another request'),
  431: problem('request headers larger than 16 KiB'),
  429: problem('too many requests from this client (orders per minute, or writes with a wrong token); see Retry-After'),
  500: problem('a server fault (logged; the body names the request id, never the cause)'),
  503: problem('the database is busy or does not answer (see Retry-After), is corrupt (`database corrupt`), or the job runner is degraded (/healthz)'),
  507: problem('disk full: the database could not store the write; nothing was stored (retry once the server has room)'),
} as const;

/** cancel and fulfil: the order's state refuses, or the key is in flight */
export const ORDER_STATE_CONFLICT = problem(
  "the order's state refuses this (`orderStatus` names it: a final order, or, to fulfil, one not reserved yet); nothing changed. Or a request with this Idempotency-Key is still in flight",
);

/** what any request can be answered, whatever its route: it cannot be read, or arrives too slowly, or a server fault */
export const ANY_REQUEST = { 400: P[400], 408: P[408], 421: P[421], 431: P[431], 500: P[500], 503: P[503] } as const;
/** ANY_REQUEST, and a path parameter the router refuses (too long) */
export const SERVER_ERRORS = { ...ANY_REQUEST, 414: P[414] } as const;

/** what a write can be answered besides ANY_REQUEST's: the disk is full */
export const WRITE_FAULTS = { 507: P[507] } as const;

/** what a write can be answered besides its success: no token or a wrong one (and, after too many, 429), a body refused, a rule broken, and the faults */
export const WRITE_ERRORS = { 401: P[401], 403: P[403], 413: P[413], 415: P[415], 422: P[422], 429: P[429], ...SERVER_ERRORS, ...WRITE_FAULTS } as const;

/** a success answer, as JSON */
export const ok = <T extends Zod.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

/** OpenAPI: writes need a bearer token with their scope once the server has a token (docs/security.md) */
export const WRITE_SECURITY = [{ bearer: [] }];
/** OpenAPI: reads are open on loopback (beyond it they need the `read` scope unless --public-reads) */
export const PUBLIC = [];
