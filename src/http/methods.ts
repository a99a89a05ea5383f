/**
 * Requests that match no route: a known path with another method is 405 with `Allow`; OPTIONS on
 * a known path is 204 with `Allow`; anything else is 404. And CORS, off by default: with
 * `corsOrigin` (`serve --cors-origin https://app.example`), that one origin may call the API from
 * a browser: its requests get `Access-Control-Allow-Origin`, and its preflights (OPTIONS) are
 * answered with the path's methods and the headers a front end needs.
 *
 * CORS is written here rather than with @fastify/cors, whose catch-all OPTIONS route answers a
 * preflight for any path (or plain text for a non-preflight OPTIONS), where this API answers
 * 404/405/OPTIONS from its own route table and every error as problem+json (docs/decisions.md).
 */
import type { FastifyInstance } from 'fastify';
import { problem, sendProblem, type Unrouted } from '../serving/problem.js';

export type { Unrouted } from '../serving/problem.js';

/** request headers a front end may send, and response headers it may read */
const CORS_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'];
const CORS_EXPOSED_HEADERS = [
  'Location',
  'Idempotent-Replayed',
  'Retry-After',
  'WWW-Authenticate',
  'X-Request-Id',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];
/** how long a browser may cache a preflight answer */
const PREFLIGHT_MAX_AGE_S = 600;

/** `--cors-origin`: one origin, scheme://host[:port], nothing after it */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * Records every route as it is added (call before the routes) and installs CORS; returns the
 * answer for unrouted requests.
 */
export function installMethods(app: FastifyInstance, corsOrigin: string | undefined): Unrouted {
  const table: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  app.addHook('onRoute', (route) => {
    // `/api/inventory/:sku/movements` → a parameter is one path segment, possibly empty
    const pattern = new RegExp(`^${route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]\w*/g, '[^/]*')}$`);
    let entry = table.find((e) => e.pattern.source === pattern.source);
    if (!entry) table.push((entry = { pattern, methods: new Set() }));
    for (const m of [route.method].flat()) entry.methods.add(m);
  });
  const allowed = (url: string): string[] | null => {
    const path = url.split('?')[0]!;
    const entry = table.find((e) => e.pattern.test(path));
    if (!entry) return null;
    const methods = new Set(entry.methods);
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    return ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS'].filter((m) => methods.has(m));
  };

  if (corsOrigin) {
    app.addHook('onRequest', async (request, reply) => {
      reply.header('vary', 'Origin');
      if (request.headers.origin !== corsOrigin) return;
      reply.header('access-control-allow-origin', corsOrigin);
      reply.header('access-control-expose-headers', CORS_EXPOSED_HEADERS.join(', '));
    });
  }

  return (request, reply) => {
    const methods = allowed(request.url);
    if (!methods) return sendProblem(reply, problem(404, `no route ${request.method} ${request.url.split('?')[0]}`));
    reply.header('allow', methods.join(', '));
    if (request.method !== 'OPTIONS') {
      return sendProblem(reply, problem(405, `${request.url.split('?')[0]} does not take ${request.method}; it takes ${methods.join(', ')}`));
    }
    if (corsOrigin && request.headers.origin === corsOrigin && request.headers['access-control-request-method']) {
      reply.header('access-control-allow-methods', methods.join(', '));
      reply.header('access-control-allow-headers', CORS_REQUEST_HEADERS.join(', '));
      reply.header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
    }
    return reply.code(204).send();
  };
}
