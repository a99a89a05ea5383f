/**
 * The jobs table seen from inside a transaction: enqueueing a plan's jobs (the outbox) and
 * settling a running job with the change it made (ports/queue.ts). Shared by the store, which
 * commits both with the order's change, and the queue.
 */
import { LeaseLostError } from '../../domain/errors.js';
import type { Job, JobHeaders, JobType, PlannedJob } from '../../domain/jobs.js';
import { assertNever } from '../../domain/order.js';
import type { Plan } from '../../domain/plans.js';
import type { JobStep } from '../../ports/queue.js';
import type { Connection } from './connection.js';
import * as t from './schema.js';

export type JobRow = typeof t.jobs.$inferSelect;

export const toJob = (r: JobRow): Job => ({
  id: String(r.id),
  type: r.type as JobType,
  orderId: r.orderId,
  payload: JSON.parse(r.payload) as Job['payload'],
  runAt: r.runAt,
  attempt: r.failures + 1,
});

/** How the jobs a backend enqueues are stamped: attempts they get, and whether their times are virtual. */
export interface EnqueueOptions {
  jobAttempts: number;
  /** the engine's clock: jobs enqueued on the virtual clock are marked so a real-time process can re-base them */
  clock: 'real' | 'virtual';
}

/** A job row's headers (JSON text) as a map; `{}` for none or for text that is not a map of strings. */
export function parseHeaders(text: string): JobHeaders {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

const NO_HEADERS = '{}';

export function enqueue(c: Connection, orderId: number, jobs: PlannedJob[], now: number, opts: EnqueueOptions): string[] {
  const virtual = opts.clock === 'virtual' ? 1 : 0;
  return jobs.map((j) => {
    const headers = j.headers && Object.keys(j.headers).length > 0 ? JSON.stringify(j.headers) : NO_HEADERS;
    return String(
      c.q.insertJob.get({
        type: j.type,
        orderId,
        payload: JSON.stringify(j.payload ?? {}),
        runAt: j.runAt,
        maxAttempts: opts.jobAttempts,
        virtual,
        headers,
        now,
      })!.id,
    );
  });
}

/** The row a lease still owns, or LeaseLostError. */
function leased(c: Connection, step: JobStep): JobRow {
  const job = c.q.jobById.get({ id: Number(step.lease.jobId) });
  if (!job || job.status !== 'running' || job.lockedBy !== step.lease.token) throw new LeaseLostError(step.lease.jobId);
  return job;
}

export function settle(c: Connection, step: JobStep, plan: Plan, now: number): void {
  const s = typeof step.settle === 'function' ? step.settle(plan) : step.settle;
  if (s.kind === 'complete') {
    // the usual end of a job: the lease checked by the delete itself
    if (c.q.completeLeased.run({ id: Number(step.lease.jobId), token: step.lease.token }).changes !== 1) throw new LeaseLostError(step.lease.jobId);
    return;
  }
  const job = leased(c, step);
  switch (s.kind) {
    case 'keep':
      return;
    case 'retry':
      c.q.requeueJob.run({ id: job.id, runAt: s.runAt, lastError: s.error, counted: s.counted ? 1 : 0 });
      return;
    case 'dead':
      c.db
        .insert(t.deadLetters)
        .values({
          jobId: job.id,
          type: job.type,
          orderId: job.orderId,
          payload: job.payload,
          attempts: job.failures + 1,
          lastError: s.error,
          failedAt: now,
          headers: job.headers,
        })
        .run();
      c.q.deleteJob.run({ id: job.id });
      return;
    case 'park':
      c.q.parkJob.run({ id: job.id, reason: s.reason });
      return;
    default:
      assertNever(s, 'job settlement');
  }
}
