/** Operations: GET /healthz (the database answers), GET /metrics (Prometheus), GET /openapi.json. */
import type { Warehouse } from '../../wiring.js';
import { HttpProblem, problem } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { ANY_REQUEST, healthSchema, metricsText, ok, openApiSchema, PUBLIC } from '../schemas.js';
import type { ZodApp } from '../types.js';

export function opsRoutes(app: ZodApp, { warehouse: w, metrics }: { warehouse: Warehouse; metrics: Metrics }): void {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'health',
        summary: 'Liveness and readiness: the database answers a query (503 when it does not)',
        tags: ['ops'],
        security: PUBLIC,
        response: { 200: ok('the database answers', healthSchema), ...ANY_REQUEST },
      },
    },
    async (request) => {
      try {
        await w.store.ping();
      } catch (error) {
        request.log.error({ err: error }, 'health check: the database does not answer');
        throw new HttpProblem(problem(503, 'the database does not answer'));
      }
      return { status: 'ok' as const };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        tags: ['ops'],
        security: PUBLIC,
        response: { 200: { description: 'the metrics (docs/http.md lists them)', content: { 'text/plain': { schema: metricsText } } }, ...ANY_REQUEST },
      },
    },
    async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'openApiDocument',
        summary: 'This document (OpenAPI 3.1)',
        tags: ['ops'],
        security: PUBLIC,
        response: { 200: ok('the OpenAPI document of this API', openApiSchema), ...ANY_REQUEST },
      },
    },
    // sent as text: a zod-encoded object would come out with its keys in another order
    async (_request, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger()) as never),
  );
}
