/**
 * The one error handler: every failure leaves as RFC 9457 application/problem+json. Bad input is
 * a 4xx that names what was wrong; only a real server fault is a 5xx, and it is logged with its
 * stack while the client gets no detail beyond "internal error". Never a stack trace on the wire.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DatabaseError, IdempotencyClaimLostError, NotFoundError, OrderStateError, ValidationError, type DatabaseFault } from '../domain/errors.js';
import { HttpProblem, problem, ProblemType, sendProblem, type Problem, type Unrouted } from '../serving/problem.js';

export { HttpProblem, PROBLEM_TYPE, problem, ProblemType, sendProblem } from '../serving/problem.js';

interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** zod issues → `errors: [{field, message}]`; an unknown property is named by its key. */
function fieldsOf(issues: readonly ValidationIssue[], context: string): Array<{ field: string; message: string }> {
  return issues.flatMap((issue) => {
    const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params.keys)) {
      return (issue.params.keys as string[]).map((k) => ({
        field: path ? `${path}.${k}` : k,
        message: `unknown property ${JSON.stringify(k)}: only the documented fields may be sent`,
      }));
    }
    const field = path || context;
    const message = path ? (issue.message ?? 'invalid') : `${context} must be a JSON object (${issue.message ?? 'invalid'})`;
    return [{ field, message }];
  });
}

/** a route that needs a body got none: the same answer with or without a Content-Type */
export const NO_BODY = 'the request has no body; send a JSON object with Content-Type: application/json';

const CLIENT_ERRORS: Record<string, number> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
};

const DETAILS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON (a __proto__ or constructor.prototype key is refused too)',
  FST_ERR_CTP_EMPTY_JSON_BODY: NO_BODY,
  FST_ERR_CTP_BODY_TOO_LARGE: 'the request body is larger than the 16 KiB limit',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'send the body as application/json',
};

export function toProblem(error: FastifyError | Error, request: FastifyRequest): Problem {
  const err = error as FastifyError;
  if (error instanceof HttpProblem) return error.problem;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const context = err.validationContext ?? 'body';
    if (context === 'body' && request.body === undefined) return problem(400, NO_BODY);
    const errors = fieldsOf(err.validation as unknown as ValidationIssue[], context === 'querystring' ? 'query' : context);
    const first = errors[0] ?? { field: context, message: 'invalid' };
    return problem(422, `invalid ${first.field}: ${first.message}`, { type: ProblemType.validation, title: 'Validation failed', field: first.field, errors });
  }
  if (error instanceof ValidationError) {
    return problem(422, error.message, {
      type: ProblemType.validation,
      title: 'Validation failed',
      field: error.field,
      errors: [{ field: error.field, message: error.rule }],
    });
  }
  if (error instanceof NotFoundError) return problem(404, error.message);
  if (error instanceof OrderStateError) {
    return problem(409, error.message, { type: ProblemType.orderState, title: 'Order state conflict', orderStatus: error.status });
  }
  const mapped = err.code ? CLIENT_ERRORS[err.code] : undefined;
  if (mapped) return problem(mapped, DETAILS[err.code] ?? err.message);
  // secure-json-parse refuses __proto__ / constructor.prototype keys with a 400 SyntaxError
  if (error instanceof SyntaxError && err.statusCode === 400) return problem(400, `malformed JSON body: ${error.message}`);
  if (err.statusCode === 429) return problem(429, 'too many orders from this client; retry after the number of seconds in Retry-After');
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return problem(err.statusCode, err.message);
  if (error instanceof IdempotencyClaimLostError) {
    return problem(409, error.message, { type: ProblemType.idempotencyInFlight, title: 'Request in flight' });
  }
  if (error instanceof DatabaseError) return databaseProblem(error, request);
  request.log.error({ err: error }, 'internal error');
  return problem(500, `internal error (request ${request.id}); the server log has the details`);
}

/**
 * The database's trouble, by fault: a full disk is 507 Insufficient Storage (nothing was stored;
 * retry once there is room), a corrupt file 503 "database corrupt" with no Retry-After (no retry
 * will help until it is restored), a read-only file 503, and everything passing (locked,
 * conflict, I/O, unreachable) 503 with Retry-After.
 */
const BUSY = 'the database is busy or unavailable; try again shortly';

const DATABASE_ANSWERS: Record<DatabaseFault, { status: number; detail: string; retryAfterS: number | null }> = {
  full: { status: 507, detail: 'disk full: the database could not store this; nothing was stored. Retry once the server has room again', retryAfterS: null },
  corrupt: {
    status: 503,
    detail: 'database corrupt: the server refuses writes until it is restored from a backup (the server log says more)',
    retryAfterS: null,
  },
  readonly: { status: 503, detail: 'the database cannot be written (permissions or a read-only disk); nothing was stored', retryAfterS: 1 },
  busy: { status: 503, detail: BUSY, retryAfterS: 1 },
  conflict: { status: 503, detail: BUSY, retryAfterS: 1 },
  io: { status: 503, detail: BUSY, retryAfterS: 1 },
  unavailable: { status: 503, detail: BUSY, retryAfterS: 1 },
  not_a_database: { status: 503, detail: BUSY, retryAfterS: 1 },
};

function databaseProblem(error: DatabaseError, request: FastifyRequest): Problem {
  request.log.error({ err: error, fault: error.fault }, 'database error');
  const { status, detail } = DATABASE_ANSWERS[error.fault];
  return problem(status, detail);
}

/** Whether and when the client may try again (Retry-After, seconds), decided by the error's kind. */
function retryAfterOf(error: Error, p: Problem): number | null {
  if (error instanceof DatabaseError) return DATABASE_ANSWERS[error.fault].retryAfterS;
  if (error instanceof HttpProblem) return error.retryAfterS;
  return p.status === 503 ? 1 : null;
}

/** The error handler, and `unrouted` (404/405/OPTIONS, methods.ts) for requests no route matches. */
export function installErrorHandlers(app: FastifyInstance, unrouted: Unrouted): void {
  app.setErrorHandler((error, request, reply) => {
    const p = toProblem(error as FastifyError, request);
    const retryAfterS = retryAfterOf(error as Error, p);
    if (retryAfterS !== null) reply.header('retry-after', String(retryAfterS));
    // a request that ran out of time may still be sending: do not wait for the rest
    if (p.status === 408) reply.header('connection', 'close');
    return sendProblem(reply, p);
  });
  const answer = (request: FastifyRequest, reply: FastifyReply) => unrouted(request, reply.header('x-request-id', request.id));
  app.setNotFoundHandler(answer);
  // answered before the body is read: a request with no route is a 404 (or 405) whatever its body
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return answer(request, reply);
  });
}

/**
 * Errors Fastify's router meets before any hook runs (a path segment over the length limit, bad
 * percent-encoding): the same problem+json and X-Request-Id as every other answer. Passed to
 * Fastify as its `frameworkErrors` option.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendProblem(reply, problem(414, 'a path segment is longer than 100 characters; no SKU or id is that long', { type: ProblemType.blank }));
    return;
  }
  void sendProblem(reply, problem(400, 'the URL is not valid (bad percent-encoding in the path); encode it again', { type: ProblemType.blank }));
}
