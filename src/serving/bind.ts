/**
 * Who may reach a server, decided once for `serve` and `supplier serve` alike:
 *
 * - **Listening.** Without a token a server listens on loopback only. Beyond loopback its token
 *   must be strong: at least 32 characters and at least 10 distinct ones (40 × "a" is refused).
 * - **Host check (DNS rebinding).** On loopback a page on another site can rebind its own name to
 *   127.0.0.1 and have the victim's browser call us; the request then carries the attacker's
 *   `Host`. So a loopback server answers only `localhost`, `127.0.0.1` and `[::1]` (any port) and
 *   the names given with `--allowed-host`; any other Host gets 421 problem+json.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { UsageError } from '../domain/errors.js';

/** a token strong enough to expose an API beyond loopback */
export const MIN_TOKEN_LENGTH = 32;
/** and varied enough: 40 identical characters are long but guessable */
export const MIN_DISTINCT_CHARACTERS = 10;
export const HOW_TO_MAKE_A_TOKEN = 'make one with `openssl rand -hex 32` (or `warehouse token create` for a named one)';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/** why `token` is too weak to listen beyond loopback (what it has, what it needs), or null */
export function tokenWeakness(token: string): string | null {
  if (token.length < MIN_TOKEN_LENGTH) return `(${token.length} characters): beyond loopback it must have at least ${MIN_TOKEN_LENGTH}`;
  const distinct = new Set(token).size;
  if (distinct < MIN_DISTINCT_CHARACTERS)
    return `(only ${distinct} distinct characters): beyond loopback it must have at least ${MIN_DISTINCT_CHARACTERS} different ones, as a random one does`;
  return null;
}

export interface BindRule {
  /** the variable the token comes from, for messages (WAREHOUSE_API_TOKEN, WAREHOUSE_SUPPLIER_TOKEN) */
  variable: string;
  /** what an open server would let anyone do, for the message */
  risk: string;
  /** other credentials that make listening beyond loopback safe (named API tokens) */
  otherCredentials?: boolean;
}

/**
 * Without a token a server is open to whoever can reach it: refuse anything but loopback. Beyond
 * loopback the token must be strong. A token is never blank.
 */
export function assertSafeBind(host: string, token: string | undefined, rule: BindRule = API_RULE): void {
  if (token !== undefined && (token.trim() === '' || /\s/.test(token))) {
    throw new UsageError(`${rule.variable} must not be blank or hold spaces (it is sent as "Authorization: Bearer <token>"); ${HOW_TO_MAKE_A_TOKEN}`);
  }
  if (isLoopback(host)) return;
  if (!token) {
    if (rule.otherCredentials) return;
    throw new UsageError(
      `refusing to listen on ${host} without ${rule.variable}: anyone who can reach it could ${rule.risk}. ` +
        `Set ${rule.variable} to a secret of at least ${MIN_TOKEN_LENGTH} characters (${HOW_TO_MAKE_A_TOKEN}; calls then need "Authorization: Bearer <token>"), or listen on 127.0.0.1.`,
    );
  }
  const weakness = tokenWeakness(token);
  if (weakness) throw new UsageError(`refusing to listen on ${host} with a weak ${rule.variable} ${weakness}; ${HOW_TO_MAKE_A_TOKEN}, or listen on 127.0.0.1.`);
}

export const API_RULE: BindRule = { variable: 'WAREHOUSE_API_TOKEN', risk: 'create orders and change stock' };

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `Host: name[:port]` → the name, lower case (an IPv6 literal keeps its brackets) */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}

/** `--allowed-host` values: names (no scheme, no port), checked once */
export function parseAllowedHosts(values: readonly string[]): string[] {
  const names = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
  for (const n of names)
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$/.test(n))
      throw new UsageError(`--allowed-host takes a host name such as dev.example.test, without scheme or port (got ${JSON.stringify(n)})`);
  return names;
}

/**
 * Answer 421 to a request whose Host names none of ours, when listening on loopback (beyond it,
 * the token is the guard and the server may be reached under any name). `send` writes the problem.
 */
export function installHostCheck(
  app: FastifyInstance,
  listenHost: string,
  allowed: readonly string[],
  send: (reply: FastifyReply, detail: string) => FastifyReply,
): void {
  if (!isLoopback(listenHost)) return;
  const names = new Set([...LOOPBACK_NAMES, ...allowed]);
  app.addHook('onRequest', async (request, reply) => {
    // HTTP/1.0 may send no Host (HTTP/1.1 without one is a 400 already); a browser always sends one
    if (request.headers.host === undefined) return;
    const name = hostName(request.headers.host);
    if (names.has(name)) return;
    return send(
      reply,
      `this server answers only requests for ${[...names].join(', ')}; Host ${JSON.stringify(request.headers.host ?? '')} is not one of them (a page on another site may have rebound its name to this machine). Start it with --allowed-host <name> to add a name`,
    );
  });
}
