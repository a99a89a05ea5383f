/**
 * Which scope each route needs (src/domain/scopes.ts), decided here and nowhere else. Every GET
 * (and HEAD) needs `read` except the open ones below; every write route must be in WRITE_SCOPES:
 * `installScopeTable` refuses to build an app with a write route missing from it.
 */
import type { FastifyInstance } from 'fastify';
import type { Scope } from '../domain/scopes.js';

const WRITE_SCOPES: Record<string, Scope> = {
  'POST /api/orders': 'orders:write',
  'POST /api/order': 'orders:write',
  'POST /api/orders/:id/cancel': 'orders:write',
  'POST /api/orders/:id/fulfil': 'orders:write',
  'PUT /api/inventory/:sku': 'stock:write',
  'POST /api/inventory/:sku/restock': 'stock:write',
  'POST /api/clock': 'ops:write',
  'POST /api/jobs/dead-letters/:id/retry': 'ops:write',
  'POST /api/jobs/:id/resume': 'ops:write',
  'PUT /api/supplier/scripts/:sku': 'ops:write',
  // a ticket opens one event stream: a read, taken with a token that may read
  'POST /api/events/tickets': 'read',
};

/** no data in them: liveness, the API's description, and the dashboard's page (which asks for a token when it needs one) */
const OPEN = new Set(['/healthz', '/openapi.json', '/', '/dashboard/:file']);

/** what a request needs: a scope, any valid token (a write to no route), or nothing */
export type Need = Scope | 'token' | 'open';

export function needOf(method: string, route: string | undefined): Need {
  if (method === 'OPTIONS') return 'open'; // CORS preflight: it carries no credentials
  if (method === 'GET' || method === 'HEAD') return route !== undefined && OPEN.has(route) ? 'open' : 'read';
  return (route && WRITE_SCOPES[`${method} ${route}`]) || 'token';
}

export function installScopeTable(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (['GET', 'HEAD', 'OPTIONS'].includes(method)) continue;
      if (!WRITE_SCOPES[`${method} ${route.url}`]) throw new Error(`${method} ${route.url} has no scope: add it to WRITE_SCOPES in src/http/scopes.ts`);
    }
  });
}
