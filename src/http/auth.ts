/**
 * Authentication and authorization of the API (docs/security.md).
 *
 * - A request needs what its route needs (scopes.ts): a scope, any valid token, or nothing.
 * - Tokens: `WAREHOUSE_API_TOKEN` holds every scope; named tokens (`warehouse token create`) hold
 *   theirs (keyring.ts). An unknown or revoked token is 401; a token without the scope is 403
 *   problem+json naming the missing scope.
 * - While no token exists at all, writes on a loopback server are open (a laptop, a class).
 * - Reads are open on loopback; beyond it they need `read` unless `--public-reads`. The event
 *   stream also takes a stream ticket instead (`?ticket=`, tickets.ts): a browser's EventSource
 *   cannot send the header.
 * - A client that keeps sending wrong tokens is locked out for the rest of the minute (429),
 *   before its token is even checked.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AUTH_FAILURES_PER_MINUTE, failureCounter, lockedOut } from '../serving/tokens.js';
import { problem, sendProblem } from './errors.js';
import type { Keyring } from './keyring.js';
import { needOf } from './scopes.js';
import type { TicketBook } from './tickets.js';

/** the one route a stream ticket opens (tickets.ts) */
const TICKET_ROUTE = 'GET /api/events';

export interface AuthOptions {
  keyring: Keyring;
  /** the event stream's tickets: `GET /api/events?ticket=…` needs no header (tickets.ts) */
  tickets?: TicketBook;
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
    // a POST that needs `read` (a stream ticket) is let through as a write is, not as a read
    const reading = request.method === 'GET' || request.method === 'HEAD';
    if (need === 'open' || (need === 'read' && reading && opts.readsOpen)) return;
    if ((need !== 'read' || !reading) && !keyring.any && opts.loopback) return;
    const locked = failures.lockedFor(request.ip);
    if (locked > 0) return lockedOut(reply, locked, send);
    const ticket = (request.query as { ticket?: unknown } | undefined)?.ticket;
    if (opts.tickets && typeof ticket === 'string' && `${request.method} ${request.routeOptions.url}` === TICKET_ROUTE) {
      if (opts.tickets.redeem(ticket)) return;
      failures.fail(request.ip);
      reply.header('www-authenticate', 'Bearer realm="warehouse", error="invalid_token"');
      return send(
        reply,
        401,
        'the stream ticket is unknown, used or expired (each opens one stream, within 30 s): get a new one with POST /api/events/tickets',
      );
    }
    const holder = keyring.lookup(request.headers.authorization);
    if (!holder) {
      failures.fail(request.ip);
      const sent = Boolean(request.headers.authorization);
      reply.header('www-authenticate', `Bearer realm="warehouse"${sent ? ', error="invalid_token"' : ''}`);
      const what = need === 'read' && reading ? 'reads beyond loopback need' : 'writes need';
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
