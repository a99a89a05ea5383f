/**
 * Bearer-token auth for writes, and the rule that an open server only listens on loopback.
 * With WAREHOUSE_API_TOKEN set, every POST/PUT/PATCH/DELETE needs `Authorization: Bearer <token>`
 * (401 otherwise); reads stay open. Tokens are compared in constant time, and a client that keeps
 * sending wrong ones is locked out for the rest of the minute (429). Beyond loopback the token
 * must be at least 32 characters.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { UsageError } from '../domain/errors.js';
import { problem, sendProblem } from './errors.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** sha-256 first, so both sides have the same length and the length itself leaks nothing */
const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokenMatches(expected: string, header: string | undefined): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const given = match?.[1] ?? '';
  // always compare, even with no token sent, so timing does not say which case it was
  return timingSafeEqual(digest(expected), digest(given)) && given.length > 0;
}

/** failed-token attempts per client per window, by default (then writes from it are refused) */
export const AUTH_FAILURES_PER_MINUTE = 10;
/** a token strong enough to expose the API beyond loopback */
export const MIN_TOKEN_LENGTH = 32;
const HOW_TO_MAKE_A_TOKEN = 'make one with `openssl rand -hex 32`';

/**
 * Failed-token attempts, counted per client address in fixed windows. A client that fails `max`
 * times in a window gets 429 for every write until the window ends, before its token is even
 * checked (a right guess during the lock-out tells it nothing).
 */
function failureCounter(max: number, windowMs: number, now: () => number) {
  const clients = new Map<string, { failures: number; endsAt: number }>();
  const current = (client: string) => {
    const entry = clients.get(client);
    if (entry && entry.endsAt > now()) return entry;
    clients.delete(client);
    return undefined;
  };
  return {
    /** seconds until the client may try again, or 0 */
    lockedFor(client: string): number {
      const entry = current(client);
      return entry && entry.failures >= max ? Math.ceil((entry.endsAt - now()) / 1000) : 0;
    },
    fail(client: string): void {
      const entry = current(client);
      if (entry) entry.failures++;
      else {
        // bounded memory: forget the oldest client when too many are tracked
        if (clients.size >= 10_000) clients.delete(clients.keys().next().value!);
        clients.set(client, { failures: 1, endsAt: now() + windowMs });
      }
    },
  };
}

export interface AuthOptions {
  /** failed-token attempts per client per minute before its writes get 429 (default 10) */
  failuresPerMinute?: number;
  /** the engine's clock */
  now: () => number;
}

export function installAuth(app: FastifyInstance, token: string | undefined, opts: AuthOptions): void {
  if (!token) return;
  const expected = token;
  const failures = failureCounter(opts.failuresPerMinute ?? AUTH_FAILURES_PER_MINUTE, 60_000, opts.now);
  app.addHook('onRequest', async (request, reply) => {
    if (!WRITES.has(request.method)) return;
    const locked = failures.lockedFor(request.ip);
    if (locked > 0) {
      reply.header('retry-after', String(locked));
      return sendProblem(reply, problem(429, `too many requests with a wrong or missing bearer token from this client; retry after ${locked} s (Retry-After)`));
    }
    if (tokenMatches(expected, request.headers.authorization)) return;
    failures.fail(request.ip);
    const sent = Boolean(request.headers.authorization);
    reply.header('www-authenticate', `Bearer realm="warehouse"${sent ? ', error="invalid_token"' : ''}`);
    return sendProblem(reply, problem(401, sent ? 'the bearer token is wrong' : 'writes need an Authorization: Bearer <token> header (WAREHOUSE_API_TOKEN)'));
  });
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/**
 * Without a token the API is open to whoever can reach it: refuse anything but loopback. Beyond
 * loopback the token must be strong (32 characters or more), and a token is never blank.
 */
export function assertSafeBind(host: string, token: string | undefined): void {
  if (token !== undefined && (token.trim() === '' || /\s/.test(token))) {
    throw new UsageError(`WAREHOUSE_API_TOKEN must not be blank or hold spaces (it is sent as "Authorization: Bearer <token>"); ${HOW_TO_MAKE_A_TOKEN}`);
  }
  if (isLoopback(host)) return;
  if (!token) {
    throw new UsageError(
      `refusing to listen on ${host} without WAREHOUSE_API_TOKEN: anyone who can reach it could create orders and change stock. ` +
        `Set WAREHOUSE_API_TOKEN to a secret of at least ${MIN_TOKEN_LENGTH} characters (${HOW_TO_MAKE_A_TOKEN}; writes then need "Authorization: Bearer <token>"), or listen on 127.0.0.1.`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `refusing to listen on ${host} with a weak WAREHOUSE_API_TOKEN (${token.length} characters): beyond loopback it must have at least ${MIN_TOKEN_LENGTH}; ` +
        `${HOW_TO_MAKE_A_TOKEN}, or listen on 127.0.0.1.`,
    );
  }
}
