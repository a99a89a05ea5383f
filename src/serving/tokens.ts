/**
 * Bearer tokens as both servers check them (the API, src/http/auth.ts, and the mock supplier's
 * service, src/supplier/service.ts): a comparison that leaks nothing by its timing, and the
 * lock-out of a client that keeps sending wrong tokens (docs/security.md).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';

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
