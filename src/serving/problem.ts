/**
 * The HTTP API's answer to anything that went wrong: an RFC 9457 problem (application/problem+json).
 * Its shape, its kinds, how to build and send one, the error a handler throws to answer with one,
 * and the fallback for a request no route matched. Every module of src/http leans on this one; it
 * leans on none of them (errors.ts maps errors onto problems).
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Zod, z } from '../kit/zod.js';
import { SCOPES } from '../domain/scopes.js';

export const PROBLEM_TYPE = 'application/problem+json';

/** Problem `type` URIs: `about:blank` for plain HTTP statuses, a URN for the API's own kinds. */
export const ProblemType = {
  validation: 'urn:warehouse:problem:validation',
  idempotencyMismatch: 'urn:warehouse:problem:idempotency-key-reused',
  idempotencyInFlight: 'urn:warehouse:problem:idempotency-key-in-flight',
  orderState: 'urn:warehouse:problem:order-state',
  blank: 'about:blank',
} as const;

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
    /** 403: the scope the token lacks (docs/security.md) */
    missingScope: z.enum(SCOPES).optional(),
    /** 409 on cancel or fulfil: the order's status that refused (docs/design.md §2.5) */
    orderStatus: z.string().optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = Zod.output<typeof problemSchema>;

export function problem(status: number, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: ProblemType.blank, title: STATUS_CODES[status] ?? 'Error', status, detail, ...extra };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type(PROBLEM_TYPE).send(p);
}

/**
 * An error a handler throws to answer with a given problem. `retryAfterS`: the Retry-After it
 * answers with (seconds; null for none); by default 1 s for a 503, none otherwise.
 */
export class HttpProblem extends Error {
  readonly retryAfterS: number | null;
  constructor(
    readonly problem: Problem,
    options: { retryAfterS?: number | null } = {},
  ) {
    super(problem.detail);
    this.retryAfterS = options.retryAfterS === undefined ? (problem.status === 503 ? 1 : null) : options.retryAfterS;
  }
}

/** Answers a request no route matched: 404, 405 or the OPTIONS answer (http/methods.ts builds it). */
export interface Unrouted {
  (request: FastifyRequest, reply: FastifyReply): FastifyReply;
}
