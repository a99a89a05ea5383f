/**
 * The supplier contract of docs/design.md §5 as zod schemas: the one source for the HTTP client's
 * parsing (adapters/supplier/http.ts), the mock's answers (adapters/mock-supplier/answers.ts) and
 * the OpenAPI 3.1 document (supplier/openapi.ts, kept in contracts/supplier.openapi.json). It lives
 * below both adapters, so the client and the mock share it without reaching into each other.
 *
 * - `POST /supplier/reserve`, header `Idempotency-Key`, body ReserveRequest → 200 ReserveAnswer.
 *   The same key always gets the same final answer and ref.
 * - `GET /supplier/status/{ref}` → 200 StatusAnswer.
 * - `POST /supplier/cancel`, header `Idempotency-Key`, body CancelRequest `{ref}` → 200
 *   CancelAnswer: `cancelled`, or `too_late` (it delivered, or will: the goods come anyway). The
 *   first final answer is kept for the ref.
 * - Errors are RFC 9457 `application/problem+json`. 5xx, 408 and 429 are transient (the engine
 *   retries with the same key); any other 4xx is a fault no retry fixes. A 200 whose body does not
 *   match its schema counts as transient too ("malformed"), as does no answer within the timeout.
 */
import { type Zod, z } from '../kit/zod.js';
import { MAX_QTY, SKU_PATTERN } from './validation.js';

/**
 * The contract's named schemas (components of the OpenAPI document). A registry of its own, not
 * zod's global one, so the warehouse API's own document never picks them up.
 */
export const contractRegistry = z.registry<{ id: string }>();

export const SUPPLIER_STATUSES = ['ok', 'fail', 'delayed'] as const;

/** Printable ASCII without spaces; the engine sends `order-<id>`. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7E]{1,128}$/;

export const idempotencyKeySchema = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN)
  .meta({
    description:
      "Names one reservation: one key per order, made by the engine from the order it reserves for, and repeated by every retry of that reservation. Opaque to the supplier (its form is the engine's own). 1-128 printable ASCII characters, no spaces.",
  })
  .register(contractRegistry, { id: 'IdempotencyKey' });

export const refSchema = z
  .string()
  .min(1)
  .max(200)
  .meta({ description: "The supplier's reference for an accepted reservation, opaque to the engine.", examples: ['R.order-42.WIDGET'] })
  .register(contractRegistry, { id: 'Ref' });

export const reserveRequestSchema = z
  .strictObject({
    sku: z
      .string()
      .regex(SKU_PATTERN)
      .meta({ description: 'The SKU: 1-64 characters of A-Z, 0-9, ".", "_" or "-"', examples: ['WIDGET'] }),
    qty: z
      .number()
      .int()
      .min(1)
      .max(MAX_QTY)
      .meta({ description: 'Units wanted', examples: [5] }),
  })
  .meta({ description: 'What the engine asks the supplier to reserve.' })
  .register(contractRegistry, { id: 'ReserveRequest' });

const accepted = z
  .object({ accepted: z.literal(true), ref: refSchema })
  .meta({ title: 'Accepted', description: 'The supplier will deliver; ask for the status of `ref` later.' });
const rejected = z
  .object({ accepted: z.literal(false), ref: z.string().max(200).optional().meta({ description: 'Empty or absent' }) })
  .meta({ title: 'Rejected', description: 'The supplier cannot deliver. Final: the order fails with `supplier_rejected`.' });

export const reserveAnswerSchema = z
  .discriminatedUnion('accepted', [accepted, rejected])
  .meta({
    description: 'The final answer to a reservation. The same Idempotency-Key gets this same answer and ref every time.',
    examples: [
      { accepted: true, ref: 'R.order-42.WIDGET' },
      { accepted: false, ref: '' },
    ],
  })
  .register(contractRegistry, { id: 'ReserveAnswer' });

export const statusAnswerSchema = z
  .object({
    status: z.enum(SUPPLIER_STATUSES).meta({
      description: '`ok`: delivered, the order is reserved. `fail`: will not deliver, the order fails. `delayed`: not yet; the engine asks again later.',
    }),
  })
  .meta({ description: 'Where an accepted reservation stands.', examples: [{ status: 'delayed' }] })
  .register(contractRegistry, { id: 'StatusAnswer' });

export const CANCEL_OUTCOMES = ['cancelled', 'too_late'] as const;

export const cancelRequestSchema = z
  .strictObject({ ref: refSchema })
  .meta({ description: 'The accepted reservation the engine no longer wants (its order was cancelled).' })
  .register(contractRegistry, { id: 'CancelRequest' });

export const cancelAnswerSchema = z
  .object({
    status: z.enum(CANCEL_OUTCOMES).meta({
      description:
        '`cancelled`: nothing will be delivered. `too_late`: the supplier has delivered (or will): the engine books the goods to its stock as a restock.',
    }),
  })
  .meta({ description: 'The final answer to a cancel. Every later cancel of the same ref gets it again.', examples: [{ status: 'cancelled' }] })
  .register(contractRegistry, { id: 'CancelAnswer' });

export const problemSchema = z
  .object({
    type: z.string().meta({ description: 'A URI naming the kind of problem; `about:blank` for a plain HTTP status' }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional().meta({ description: 'What went wrong and what to do, for a person' }),
  })
  .meta({ description: 'An error, as RFC 9457 application/problem+json.' })
  .register(contractRegistry, { id: 'Problem' });

export type ReserveRequestBody = Zod.infer<typeof reserveRequestSchema>;
export type ReserveAnswer = Zod.infer<typeof reserveAnswerSchema>;
export type StatusAnswer = Zod.infer<typeof statusAnswerSchema>;
export type CancelAnswer = Zod.infer<typeof cancelAnswerSchema>;
export type Problem = Zod.infer<typeof problemSchema>;
export type SupplierStatus = (typeof SUPPLIER_STATUSES)[number];

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
