/** Operations: GET /healthz (the database answers), GET /metrics (Prometheus), GET /openapi.json. */
import type { Warehouse } from '../../wiring.js';
import { HttpProblem, problem } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { healthSchema, SERVER_ERRORS } from '../schemas.js';
import type { ZodApp } from '../types.js';

export function opsRoutes(app: ZodApp, { warehouse: w, metrics }: { warehouse: Warehouse; metrics: Metrics }): void {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness and readiness: the database answers a query', tags: ['ops'], response: { 200: healthSchema, ...SERVER_ERRORS } } },
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

  app.get('/metrics', { schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['ops'] } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', { schema: { summary: 'This document (OpenAPI 3.1)', tags: ['ops'] } }, async () => app.swagger());
}
