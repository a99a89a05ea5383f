/**
 * Bearer-token auth for writes, and the rule that an open server only listens on loopback.
 * With WAREHOUSE_API_TOKEN set, every POST/PUT/PATCH/DELETE needs `Authorization: Bearer <token>`
 * (401 otherwise); reads stay open. Tokens are compared in constant time.
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

export function installAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  const expected = token;
  app.addHook('onRequest', async (request, reply) => {
    if (!WRITES.has(request.method)) return;
    if (tokenMatches(expected, request.headers.authorization)) return;
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

/** Without a token the API is open to whoever can reach it: refuse anything but loopback. */
export function assertSafeBind(host: string, token: string | undefined): void {
  if (token || isLoopback(host)) return;
  throw new UsageError(
    `refusing to listen on ${host} without WAREHOUSE_API_TOKEN: anyone who can reach it could create orders and change stock. ` +
      `Set WAREHOUSE_API_TOKEN to a secret (writes then need "Authorization: Bearer <token>"), or listen on 127.0.0.1.`,
  );
}
