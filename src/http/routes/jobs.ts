/**
 * The queue for operators and the dashboard: GET /api/jobs (queued, running and parked jobs, due
 * first), GET /api/jobs/dead-letters, POST /api/jobs/dead-letters/{id}/retry (back on the queue as
 * a new job, JobRetried on the order's timeline) and POST /api/jobs/{id}/resume (a parked job).
 * The same use cases as `warehouse jobs list|failed|retry|resume`.
 */
import { z } from '../../kit/zod.js';
import { deadLetterJson, enqueuedJobJson, jobJson } from '../../app/json.js';
import type { Warehouse } from '../../wiring/warehouse.js';
import { HttpProblem, problem } from '../errors.js';
import { createJobRates } from '../rates.js';
import { ANY_REQUEST, ok, P, PUBLIC, WRITE_ERRORS, WRITE_SECURITY } from '../schemas.js';
import type { ZodApp } from '../types.js';
import {
  deadLetterIdParams,
  deadLetterQuery,
  deadLetterSchema,
  DEFAULT_JOB_LIMIT,
  enqueuedJobSchema,
  jobIdParams,
  jobListQuery,
  jobListSchema,
} from './teaching-schemas.js';

export function jobRoutes(app: ZodApp, { warehouse: w }: { warehouse: Warehouse }): void {
  const rates = createJobRates(w);
  app.addHook('onClose', async () => rates.stop());
  app.get(
    '/api/jobs',
    {
      schema: {
        operationId: 'listJobs',
        summary: `Queued, running and parked jobs, the soonest due first (at most limit, default ${DEFAULT_JOB_LIMIT}), with the counts`,
        description:
          "The live jobs (docs/design.md §4): queued (due now or later), running under a runner's lease, or parked for an operator, with counts per state. A finished job is not kept: its order's timeline says what it did.",
        tags: ['jobs'],
        security: PUBLIC,
        querystring: jobListQuery,
        response: { 200: ok('the jobs, the counts per state, and whether the list was cut at limit', jobListSchema), 422: P[422], ...ANY_REQUEST },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? DEFAULT_JOB_LIMIT;
      const [jobs, counts] = await Promise.all([w.jobs.list(), w.jobs.counts()]);
      jobs.sort((a, b) => a.runAt - b.runAt || Number(a.id) - Number(b.id));
      return { jobs: jobs.slice(0, limit).map(jobJson), counts, truncated: jobs.length > limit, lastMinute: rates.lastMinute() };
    },
  );

  app.get(
    '/api/jobs/dead-letters',
    {
      schema: {
        operationId: 'listDeadLetters',
        summary: 'Dead-lettered jobs not yet retried (all=true: those retried too)',
        description:
          "Jobs whose attempts ran out on the supplier's trouble, oldest first; their orders failed with supplier_unavailable (or supplier_key_conflict). Each can be put back on the queue with POST /api/jobs/dead-letters/{id}/retry.",
        tags: ['jobs'],
        security: PUBLIC,
        querystring: deadLetterQuery,
        response: { 200: ok('the dead letters, oldest first', z.array(deadLetterSchema)), 422: P[422], ...ANY_REQUEST },
      },
    },
    async (request) => (await w.jobs.failed({ includeRetried: request.query.all === 'true' })).map(deadLetterJson),
  );

  // a retry or resume done twice changes nothing the second time: 404, as for an unknown id
  const writeErrors = { 404: P[404], ...WRITE_ERRORS };

  app.post(
    '/api/jobs/dead-letters/:id/retry',
    {
      schema: {
        operationId: 'retryDeadLetter',
        summary: 'Put a dead-lettered job back on the queue (a new job; JobRetried on its order). 404 when unknown or already retried',
        description:
          "A new job for the dead letter's order, due now. A dead-lettered job has already failed its order (a final state), so the new job usually changes nothing; it serves jobs whose order settled otherwise and the re-driving of a queue after an outage. Done twice, the second answers 404, so it is safe to retry without an Idempotency-Key.",
        tags: ['jobs'],
        security: WRITE_SECURITY,
        params: deadLetterIdParams,
        response: { 201: ok('the new job, queued to run now', enqueuedJobSchema), ...writeErrors },
      },
    },
    async (request, reply) => reply.code(201).send(enqueuedJobJson(await w.jobs.retry(request.params.id))),
  );

  app.post(
    '/api/jobs/:id/resume',
    {
      schema: {
        operationId: 'resumeJob',
        summary: 'Put a parked job back on the queue (JobResumed on its order). 404 when no parked job has this id',
        description:
          'A job parked for a bug or for long database trouble goes back on the queue, due now, with its attempts as they were. Done twice, the second answers 404, so it is safe to retry without an Idempotency-Key.',
        tags: ['jobs'],
        security: WRITE_SECURITY,
        params: jobIdParams,
        response: { 200: ok('the job, queued to run now', enqueuedJobSchema), ...writeErrors },
      },
    },
    async (request) => {
      const [job] = await w.jobs.resume(request.params.id);
      if (!job) throw new HttpProblem(problem(404, `job ${request.params.id} is not parked; see GET /api/jobs`));
      return enqueuedJobJson(job);
    },
  );
}
