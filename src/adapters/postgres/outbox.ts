/**
 * The jobs table seen from inside a transaction (PostgreSQL): enqueueing a plan's jobs (the
 * outbox), recording timeline events, and settling a running job with the change it made
 * (ports/queue.ts). The running job's row is locked (`FOR UPDATE`) while its lease is checked, so a
 * claim cannot take it over between the check and the commit.
 */
import { eq, sql } from 'drizzle-orm';
import { LeaseLostError } from '../../domain/errors.js';
import type { TimelineEvent } from '../../domain/events.js';
import type { Job, JobType, PlannedJob } from '../../domain/jobs.js';
import { assertNever } from '../../domain/order.js';
import type { Plan } from '../../domain/plans.js';
import type { JobStep } from '../../ports/queue.js';
import type { Tx } from './connection.js';
import * as t from './schema.js';

export const toJob = (r: t.JobRow): Job => ({
  id: String(r.id),
  type: r.type as JobType,
  orderId: r.orderId,
  payload: r.payload as Job['payload'],
  runAt: r.runAt,
  attempt: r.failures + 1,
});

export async function enqueue(tx: Tx, orderId: number, jobs: PlannedJob[], now: number, maxAttempts: number): Promise<string[]> {
  if (jobs.length === 0) return [];
  const rows = await tx
    .insert(t.jobs)
    .values(jobs.map((j) => ({ type: j.type, orderId, payload: j.payload ?? {}, runAt: j.runAt, maxAttempts, createdAt: now })))
    .returning({ id: t.jobs.id });
  return rows.map((r) => String(r.id));
}

/** Records `events` on an order's timeline, within the caller's transaction. */
export async function insertEvents(tx: Tx, orderId: number, now: number, events: Plan['events']): Promise<TimelineEvent[]> {
  if (events.length === 0) return [];
  await tx.insert(t.orderEvents).values(events.map((e) => ({ orderId, at: now, type: e.type, data: e.data })));
  return events.map((e) => ({ orderId, at: now, type: e.type, data: e.data }));
}

/** The row a lease still owns, locked; or LeaseLostError. */
async function leased(tx: Tx, step: JobStep): Promise<t.JobRow> {
  const id = /^\d+$/.test(step.lease.jobId) ? Number(step.lease.jobId) : -1;
  const [job] = await tx.select().from(t.jobs).where(eq(t.jobs.id, id)).for('update');
  if (!job || job.status !== 'running' || job.lockedBy !== step.lease.token) throw new LeaseLostError(step.lease.jobId);
  return job;
}

export async function settle(tx: Tx, step: JobStep, plan: Plan, now: number): Promise<void> {
  const job = await leased(tx, step);
  const s = typeof step.settle === 'function' ? step.settle(plan) : step.settle;
  switch (s.kind) {
    case 'keep':
      return;
    case 'complete':
      await tx.delete(t.jobs).where(eq(t.jobs.id, job.id));
      return;
    case 'retry':
      await tx
        .update(t.jobs)
        .set({ status: 'queued', runAt: s.runAt, lockedBy: null, lockedUntil: null, lastError: s.error, failures: sql`${t.jobs.failures} + ${s.counted ? 1 : 0}` })
        .where(eq(t.jobs.id, job.id));
      return;
    case 'dead':
      await tx.insert(t.deadLetters).values({
        jobId: job.id,
        type: job.type,
        orderId: job.orderId,
        payload: job.payload,
        attempts: job.failures + 1,
        lastError: s.error,
        failedAt: now,
      });
      await tx.delete(t.jobs).where(eq(t.jobs.id, job.id));
      return;
    case 'park':
      await tx.update(t.jobs).set({ status: 'parked', lockedBy: null, lockedUntil: null, parkedReason: s.reason, lastError: s.reason }).where(eq(t.jobs.id, job.id));
      return;
    default:
      assertNever(s, 'job settlement');
  }
}
