/** Operations: GET /healthz (the database answers), GET /metrics (Prometheus), GET /openapi.json. */
import type { Warehouse } from '../../wiring/warehouse.js';
import { HttpProblem, problem } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { ANY_REQUEST, healthSchema, metricsText, ok, openApiSchema, PUBLIC } from '../schemas.js';
import type { ZodApp } from '../types.js';

/** How long /healthz waits for a degraded runner's new look at the database. */
const RUNNER_LOOK_MS = 1_000;

/**
 * Tells a runner backing off for the database's trouble that the database answers again
 * (`database:answered`, app/driver.ts), and resolves at its next change of state, or after `ms`.
 */
function runnerLooksAgain(w: Warehouse, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = w.bus.on('runner:state', done);
    w.bus.emit('database:answered', { at: w.clock.now() });
  });
}

export function opsRoutes(app: ZodApp, { warehouse: w, metrics }: { warehouse: Warehouse; metrics: Metrics }): void {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'health',
        summary: 'Readiness: the database answers and takes writes, and the job runner is not degraded (503 saying which and why otherwise)',
        description:
          "For a load balancer's or an orchestrator's readiness probe: 200 while the database answers and takes writes and the job runner is not degraded; 503 with what is wrong otherwise (a busy, full, corrupt or unreachable database, or a queue that cannot be read).",
        tags: ['ops'],
        security: PUBLIC,
        response: { 200: ok('the database answers and takes writes; the runner runs (or is off)', healthSchema), ...ANY_REQUEST },
      },
    },
    async (request) => {
      const database = await w.health().catch((error: unknown) => ({ ok: false as const, fault: 'unavailable', message: String(error) }));
      if (!database.ok) {
        request.log.error({ fault: database.fault, reason: database.message }, 'health check: the database is unwell');
        // a corrupt file is no passing trouble: no Retry-After until it is restored
        throw new HttpProblem(problem(503, `database ${database.fault === 'full' ? 'disk full' : database.fault}: ${database.message}`), {
          retryAfterS: database.fault === 'corrupt' ? null : 1,
        });
      }
      let runner = w.runnerStatus();
      if (runner?.state === 'degraded' && runner.reason?.startsWith('database')) {
        // the database answers: the runner, backing off for its trouble, is told to look again,
        // and this answer waits for what it finds (a short while at most)
        await runnerLooksAgain(w, RUNNER_LOOK_MS);
        runner = w.runnerStatus();
      }
      if (runner?.state === 'degraded') {
        throw new HttpProblem(problem(503, `job runner degraded since ${new Date(runner.since).toISOString()}: ${runner.reason ?? 'unknown'}`));
      }
      const state: 'running' | 'idle' | 'off' = runner?.state === 'running' || runner?.state === 'idle' ? runner.state : 'off';
      return { status: 'ok' as const, database: 'ok' as const, runner: state };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        description:
          "The reservation figures (success rate by source, time awaiting restock, supplier answers and delays, job retries, dead letters, the queue), read from the database so that they count every process's work, and this process's own counters (job runs, HTTP requests, event-loop lag). docs/observability.md says what each metric counts.",
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
        description:
          'Generated from the same schemas that validate the requests, so it cannot drift from the server; the copy kept in the repository is docs/openapi.json.',
        tags: ['ops'],
        security: PUBLIC,
        response: { 200: ok('the OpenAPI document of this API', openApiSchema), ...ANY_REQUEST },
      },
    },
    // sent as text: a zod-encoded object would come out with its keys in another order
    async (_request, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger()) as never),
  );
}
