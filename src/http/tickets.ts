/**
 * Stream tickets (docs/security.md): a browser's `EventSource` cannot send an Authorization header,
 * so beyond loopback the dashboard trades its bearer token (scope `read`) for a ticket with
 * `POST /api/events/tickets` and opens `GET /api/events?ticket=…` with it.
 *
 * A ticket is 32 random bytes (base64url), kept here only as its hash. It opens one stream, once,
 * within TICKET_TTL_MS of being issued, and nothing else: no other route reads it, and it carries
 * no scope beyond that one stream. A URL may end up in a proxy's log or the browser's history;
 * used or expired, such a copy is worth nothing (and the server's own request log masks it).
 */
import { createHash, randomBytes } from 'node:crypto';

export const TICKET_TTL_MS = 30_000;
/** tickets outstanding at once; past it the oldest is dropped (a client that asks and never opens) */
export const MAX_TICKETS = 1_000;

export interface TicketBook {
  /** a new ticket for one stream, and when it expires (epoch ms) */
  issue(): { ticket: string; expiresAt: number };
  /** true, once, for a ticket issued and neither used nor expired */
  redeem(ticket: string): boolean;
}

const digest = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

/** `now`: the engine's clock, as for the lock-out of wrong tokens */
export function createTicketBook(now: () => number, ttlMs = TICKET_TTL_MS, max = MAX_TICKETS): TicketBook {
  /** hash → expiry, in the order issued */
  const open = new Map<string, number>();
  const prune = (at: number) => {
    for (const [hash, expires] of open) if (expires <= at) open.delete(hash);
    while (open.size >= max) open.delete(open.keys().next().value!);
  };
  return {
    issue() {
      const at = now();
      prune(at);
      const ticket = randomBytes(32).toString('base64url');
      const expiresAt = at + ttlMs;
      open.set(digest(ticket), expiresAt);
      return { ticket, expiresAt };
    },
    redeem(ticket) {
      const hash = digest(ticket);
      const expires = open.get(hash);
      open.delete(hash);
      return expires !== undefined && expires > now();
    },
  };
}

/** A request's URL as logged: a ticket in it masked. */
export const maskTicket = (url: string) => url.replace(/([?&]ticket=)[^&]*/g, '$1***');
