/**
 * buildApp: the Fastify instance with its hardening (strict zod validation, 16 KiB bodies, JSON
 * only, timeouts, auth, rate limit), its one error handler, request logs and metrics, the
 * OpenAPI document and the routes. It does not listen; see server.ts.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Warehouse } from '../wiring/warehouse.js';
import { installAuth } from './auth.js';
import { createTicketBook, maskTicket } from './tickets.js';
import { installHostCheck, isLoopback } from '../serving/bind.js';
import type { Keyring } from './keyring.js';
import { installScopeTable } from './scopes.js';
import { installBodyRules } from './body.js';
import { connectionOptions, DEFAULT_TIMEOUTS, installConnectionGuards, type Timeouts } from '../serving/connection.js';
import { frameworkErrors, installErrorHandlers, problem, sendProblem } from './errors.js';
import { requestId } from './logging.js';
import { installRequestSpans } from './tracing.js';
import { installMethods } from './methods.js';
import { SWAGGER_OPTIONS } from './openapi.js';
import type { Metrics } from './metrics.js';
import { inventoryRoutes } from './routes/inventory.js';
import { opsRoutes } from './routes/ops.js';
import { orderRoutes, type OrderRouteOptions } from './routes/orders.js';
import type { ExploreStory } from './routes/story.js';
import { teachingRoutes } from './routes/teaching.js';
import type { ZodApp } from './types.js';
import type { StreamLimits } from './routes/events.js';

export const BODY_LIMIT = 16 * 1024;

export interface AppOptions {
  warehouse: Warehouse;
  metrics: Metrics;
  logger: Logger;
  /** the tokens accepted (WAREHOUSE_API_TOKEN and the named ones; keyring.ts) */
  keyring: Keyring;
  /** the address listened on: a loopback server checks Host and, without tokens, takes writes from anyone local */
  host: string;
  /** names a loopback server answers to besides localhost, 127.0.0.1 and [::1] (`--allowed-host`) */
  allowedHosts?: readonly string[];
  /** beyond loopback, reads without a token (`--public-reads`) */
  publicReads?: boolean;
  /** failed-token attempts per client per minute before its writes get 429 (default 10) */
  authFailuresPerMinute?: number;
  rateLimit: OrderRouteOptions['rateLimit'];
  idempotencyTtlMs: number;
  idempotencyLeaseMs: number;
  /** the one origin whose browser pages may call the API (CORS); none by default */
  corsOrigin?: string;
  /** request, idle and keep-alive timeouts (serving/connection.ts; defaults 10 s, 60 s, 5 s) */
  timeouts?: Partial<Timeouts>;
  /** the supplier service, for the dashboard's scripts (routes/supplier-script.ts) */
  supplierUrl?: string;
  /** the supplier service's token, sent with the dashboard's scripts */
  supplierToken?: string;
  /** how many event streams, per server and per client address (default 100 and 10) */
  streamLimits?: StreamLimits;
  /** the event stream's heartbeat (default 15 s) */
  eventHeartbeatMs?: number;
  /** the counterexample the page replays (`warehouse explore --replay TOKEN --dashboard`) */
  story?: ExploreStory | null;
}

export async function buildApp(opts: AppOptions): Promise<ZodApp> {
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const app: ZodApp = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }), // one line per request, written in onResponse below
    genReqId: requestId,
    bodyLimit: BODY_LIMIT,
    ...connectionOptions(timeouts, () => app.log),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();

  installRequestSpans(app, opts.warehouse.tracing);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON is the only body type: text/plain (a Fastify default) would reach validation as a string
  app.removeContentTypeParser(['text/plain']);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installBodyRules(app); // before the body's deadline (a refused body is not waited for)
  installConnectionGuards(app, timeouts);
  installErrorHandlers(app, installMethods(app, opts.corsOrigin));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    opts.metrics.observeRequest(request.method, route, reply.statusCode, ms / 1000);
    request.log.info({ method: request.method, url: maskTicket(request.url), route, status: reply.statusCode, ms: Math.round(ms * 100) / 100 }, 'request');
  });
  installHostCheck(app, opts.host, opts.allowedHosts ?? [], (reply, detail) => sendProblem(reply, problem(421, detail)));
  // one stream each, for the dashboard's EventSource, which cannot send a token (tickets.ts)
  const tickets = createTicketBook(() => opts.warehouse.clock.now());
  installAuth(app, {
    keyring: opts.keyring,
    tickets,
    loopback: isLoopback(opts.host),
    readsOpen: isLoopback(opts.host) || opts.publicReads === true,
    failuresPerMinute: opts.authFailuresPerMinute,
    now: () => opts.warehouse.clock.now(),
  });
  installScopeTable(app);

  await app.register(fastifyRateLimit, {
    global: false,
    // the problem body is written by the error handler; Retry-After is set by the plugin
    errorResponseBuilder: (_req, ctx) => Object.assign(new Error(`rate limit exceeded, retry in ${ctx.after}`), { statusCode: ctx.statusCode }),
  });
  await app.register(fastifySwagger, SWAGGER_OPTIONS);

  orderRoutes(app, opts);
  inventoryRoutes(app, opts);
  opsRoutes(app, opts);
  teachingRoutes(app, { ...opts, tickets }); // the dashboard and its API (docs/design.md §13)
  await app.ready();
  return app;
}
