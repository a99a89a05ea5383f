/**
 * Authentication and authorization of the API (docs/security.md).
 *
 * - A request needs what its route needs (scopes.ts): a scope, any valid token, or nothing.
 * - Tokens: `WAREHOUSE_API_TOKEN` holds every scope; named tokens (`warehouse token create`) hold
 *   theirs (keyring.ts). An unknown or revoked token is 401; a token without the scope is 403
 *   problem+json naming the missing scope.
 * - While no token exists at all, writes on a loopback server are open (a laptop, a class).
 * - Reads are open on loopback; beyond it they need `read` unless `--public-reads`.
 * - A client that keeps sending wrong tokens is locked out for the rest of the minute (429),
 *   before its token is even checked.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { problem, sendProblem } from './errors.js';
import type { Keyring } from './keyring.js';
import { needOf } from './scopes.js';

export { assertSafeBind, isLoopback, MIN_TOKEN_LENGTH } from './bind.js';

/** sha-256 first, so both sides have the same length and the length itself leaks nothing */
const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokenMatches(expected: string, header: string | undefined): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const given = match?.[1] ?? '';
  // always compare, even with no token sent, so timing does not say which case it was
  return timingSafeEqual(digest(expected), digest(given)) && given.length > 0;
}

/** failed-token attempts per client per window, by default (then its requests are refused) */
export const AUTH_FAILURES_PER_MINUTE = 10;

/**
 * Failed-token attempts, counted per client address in fixed windows. A client that fails `max`
 * times in a window gets 429 until the window ends, before its token is even checked (a right
 * guess during the lock-out tells it nothing).
 */
export function failureCounter(max: number, windowMs: number, now: () => number) {
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

export type FailureCounter = ReturnType<typeof failureCounter>;

export function lockedOut(reply: FastifyReply, seconds: number, send: (reply: FastifyReply, status: number, detail: string) => FastifyReply): FastifyReply {
  reply.header('retry-after', String(seconds));
  return send(reply, 429, `too many requests with a wrong or missing bearer token from this client; retry after ${seconds} s (Retry-After)`);
}

export interface AuthOptions {
  keyring: Keyring;
  /** reads need no token (loopback, or `--public-reads`) */
  readsOpen: boolean;
  /** the server listens on loopback: while no token exists at all, writes are open */
  loopback: boolean;
  /** failed-token attempts per client per minute before it gets 429 (default 10) */
  failuresPerMinute?: number;
  /** the engine's clock */
  now: () => number;
}

const send = (reply: FastifyReply, status: number, detail: string, extra = {}) => sendProblem(reply, problem(status, detail, extra));

export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  const { keyring } = opts;
  const failures = failureCounter(opts.failuresPerMinute ?? AUTH_FAILURES_PER_MINUTE, 60_000, opts.now);
  app.addHook('onRequest', async (request, reply) => {
    const need = needOf(request.method, request.routeOptions.url);
    if (need === 'open' || (need === 'read' && opts.readsOpen)) return;
    if (need !== 'read' && !keyring.any && opts.loopback) return;
    const locked = failures.lockedFor(request.ip);
    if (locked > 0) return lockedOut(reply, locked, send);
    const holder = keyring.lookup(request.headers.authorization);
    if (!holder) {
      failures.fail(request.ip);
      const sent = Boolean(request.headers.authorization);
      reply.header('www-authenticate', `Bearer realm="warehouse"${sent ? ', error="invalid_token"' : ''}`);
      const what = need === 'read' ? 'reads beyond loopback need' : 'writes need';
      return send(
        reply,
        401,
        sent
          ? 'the bearer token is unknown or revoked'
          : `${what} an Authorization: Bearer <token> header (WAREHOUSE_API_TOKEN, or a token from \`warehouse token create\`)`,
      );
    }
    request.log.debug({ token: holder.name }, 'authenticated');
    if (need === 'token' || holder.scopes.includes(need)) return;
    reply.header('www-authenticate', `Bearer realm="warehouse", error="insufficient_scope", scope="${need}"`);
    return send(
      reply,
      403,
      `the token "${holder.name}" lacks the scope ${need} (it has ${holder.scopes.join(', ')}); make one with \`warehouse token create --name NAME --scope ${need}\``,
      { missingScope: need },
    );
  });
}
