/**
 * Idempotency-Key on the POSTs that write (IETF draft-ietf-httpapi-idempotency-key-header): order
 * creation and restock. The records and their contract are the IdempotencyStore port
 * (src/ports/idempotency.ts); this module holds the HTTP side: the header's syntax, the request
 * fingerprint, and `answerIdempotently`, which every such route calls.
 *
 * - first request with a key: the write runs and its response is stored in the write's own
 *   transaction (`IdempotentResponse` on the Store port);
 * - replay (same key, same request): the stored response, plus `Idempotent-Replayed: true`;
 * - same key, another request (another body, or another operation): 422;
 * - same key while the first is in flight: 409 with `Retry-After: 1`;
 * - a write that fails releases the key, so the client can try again with it.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Clock } from '../ports/clock.js';
import type { IdempotencyStore, StoredResponse } from '../ports/idempotency.js';
import type { IdempotentResponse } from '../ports/store.js';
import { HttpProblem, problem, ProblemType } from '../serving/problem.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** how long an in-flight claim blocks its key if the process handling it dies */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;

/** A key is 1-255 visible ASCII characters (the draft leaves the syntax to the server). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
export const IDEMPOTENCY_KEY_RULE = 'Idempotency-Key must be 1-255 visible ASCII characters, bare (k) or as a quoted string ("k")';

/** RFC 8941 sf-string: printable ASCII between quotes, `"` and `\` escaped by a backslash. */
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

/**
 * The key a header value names, or null when it is not a valid key. The draft writes the key as a
 * structured-field string (`"k"`); the bare form (`k`) is accepted too, and both are the same key.
 */
export function parseIdempotencyKey(value: string): string | null {
  const key = value.startsWith('"') ? SF_STRING.exec(value)?.[1]?.replace(/\\(["\\])/g, '$1') : value;
  return key !== undefined && IDEMPOTENCY_KEY_PATTERN.test(key) ? key : null;
}

/** JSON with object keys sorted, so that key order and whitespace do not change a fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The request's fingerprint: the operation and its validated input. Two bodies that create the same
 * order (`" widget "` and `"WIDGET"`, keys in another order) are the same request; an order and a
 * restock never are.
 */
export function fingerprint(operation: string, input: unknown): string {
  return createHash('sha256').update(operation).update('\n').update(canonical(input)).digest('hex');
}

/** What a route answers: status, the body as a value, and its Location. */
export interface Answer {
  status: number;
  body: unknown;
  location?: string;
}

/** One write under an optional key: how to do it, and how to answer with its result. */
export interface IdempotentWrite<T> {
  /** names the operation in the fingerprint (`create-order`, `restock`) */
  operation: string;
  /** the validated input */
  input: unknown;
  /** do the write; with `idempotent`, store its response in the write's transaction */
  run(idempotent?: IdempotentResponse<T>): Promise<T>;
  answer(result: T): Answer;
}

export interface IdempotencyDeps {
  idempotency: IdempotencyStore;
  clock: Clock;
  ttlMs: number;
  leaseMs: number;
}

function send(reply: FastifyReply, a: Answer): FastifyReply {
  if (a.location) reply.header('location', a.location);
  return reply.code(a.status).send(a.body);
}

const stored = (a: Answer): StoredResponse => ({ status: a.status, body: JSON.stringify(a.body), location: a.location ?? null });

/** Runs `write` under the request's Idempotency-Key (already parsed; undefined: none) and answers. */
export async function answerIdempotently<T>(
  deps: IdempotencyDeps,
  reply: FastifyReply,
  key: string | undefined,
  write: IdempotentWrite<T>,
): Promise<FastifyReply> {
  if (key === undefined) return send(reply, write.answer(await write.run()));
  const fp = fingerprint(write.operation, write.input);
  const begun = await deps.idempotency.begin(key, fp, deps.clock.now(), { ttlMs: deps.ttlMs, leaseMs: deps.leaseMs });
  switch (begun.kind) {
    case 'replay': {
      const { status, body, location } = begun.response;
      reply.header('idempotent-replayed', 'true');
      return send(reply, { status, body: JSON.parse(body) as unknown, location: location ?? undefined });
    }
    case 'mismatch':
      throw new HttpProblem(
        problem(422, 'this Idempotency-Key was already used with a different request; use a new key for a new request', {
          type: ProblemType.idempotencyMismatch,
          title: 'Idempotency-Key reused',
          field: 'Idempotency-Key',
        }),
      );
    case 'in_flight':
      reply.header('retry-after', '1');
      throw new HttpProblem(
        problem(409, 'a request with this Idempotency-Key is still being processed; retry shortly to get its response', {
          type: ProblemType.idempotencyInFlight,
          title: 'Request in flight',
        }),
      );
    case 'new':
      break;
  }
  try {
    const result = await write.run({ key, fingerprint: fp, respond: (r) => stored(write.answer(r)) });
    return send(reply, write.answer(result));
  } catch (error) {
    await deps.idempotency.release(key, fp).catch((e: unknown) => reply.log.error({ err: e }, 'could not release an idempotency key'));
    throw error;
  }
}
