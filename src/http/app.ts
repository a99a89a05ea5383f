/**
 * buildApp: the Fastify instance with its hardening (strict zod validation, 16 KiB bodies, JSON
 * only, timeouts, auth, rate limit), its one error handler, request logs and metrics, the
 * OpenAPI document and the routes. It does not listen; see server.ts.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Warehouse } from '../wiring.js';
import { installAuth } from './auth.js';
import { frameworkErrors, installErrorHandlers } from './errors.js';
import type { IdempotencyStore } from './idempotency.js';
import { requestId } from './logging.js';
import type { Metrics } from './metrics.js';
import { inventoryRoutes } from './routes/inventory.js';
import { opsRoutes } from './routes/ops.js';
import { orderRoutes, type OrderRouteOptions } from './routes/orders.js';
import { teachingRoutes } from './routes/teaching.js';
import type { ZodApp } from './types.js';

export const BODY_LIMIT = 16 * 1024;

export interface AppOptions {
  warehouse: Warehouse;
  idempotency: IdempotencyStore;
  metrics: Metrics;
  logger: Logger;
  token?: string;
  rateLimit: OrderRouteOptions['rateLimit'];
  idempotencyTtlMs: number;
  idempotencyLeaseMs: number;
  /** whole request (headers and body) must arrive within this (default 10 s) */
  requestTimeoutMs?: number;
  /** the supplier service, for the dashboard's scripts (routes/supplier-script.ts) */
  supplierUrl?: string;
  /** the event stream's heartbeat (default 15 s) */
  eventHeartbeatMs?: number;
}

export async function buildApp(opts: AppOptions): Promise<ZodApp> {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }), // one line per request, written in onResponse below
    genReqId: requestId,
    bodyLimit: BODY_LIMIT,
    requestTimeout: opts.requestTimeoutMs ?? 10_000,
    connectionTimeout: 60_000, // an idle socket is closed after a minute
    keepAliveTimeout: 5_000,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON is the only body type: text/plain (a Fastify default) would reach validation as a string
  app.removeContentTypeParser(['text/plain']);
  installErrorHandlers(app);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    opts.metrics.observeRequest(request.method, route, reply.statusCode, ms / 1000);
    request.log.info({ method: request.method, url: request.url, route, status: reply.statusCode, ms: Math.round(ms * 100) / 100 }, 'request');
  });
  installAuth(app, opts.token);

  await app.register(fastifyRateLimit, {
    global: false,
    // the problem body is written by the error handler; Retry-After is set by the plugin
    errorResponseBuilder: (_req, ctx) => Object.assign(new Error(`rate limit exceeded, retry in ${ctx.after}`), { statusCode: ctx.statusCode }),
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'warehouse',
        version: '0.1.0',
        description: 'Event-driven stock reservation. Errors are RFC 9457 application/problem+json. Writes need a bearer token when the server has one.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  orderRoutes(app, opts);
  inventoryRoutes(app, opts);
  opsRoutes(app, opts);
  teachingRoutes(app, opts); // the dashboard and its API (DESIGN §9)
  await app.ready();
  return app;
}
