/**
 * The rows a plan writes, seen from inside a transaction (PostgreSQL): the order's change, its
 * timeline events and the jobs it enqueues (the outbox) in one statement, and the settlement of the
 * running job that made it (ports/queue.ts) in another. Fewer statements means fewer round trips
 * while the order's (and, pessimistically, the SKU's) row lock is held.
 *
 * A settlement changes the job's row only while the lease is still the job's
 * (`WHERE status = 'running' AND locked_by = <token>`); no row changed means the lease passed to
 * another runner (LeaseLostError), and the whole transaction rolls back.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { LeaseLostError } from '../../domain/errors.js';
import type { TimelineEvent } from '../../domain/events.js';
import type { Job, JobHeaders, JobType, PlannedJob } from '../../domain/jobs.js';
import { assertNever, type Order } from '../../domain/order.js';
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

/** A job's headers as stored: JSON text, `{}` for none (as on SQLite). */
export const headersText = (headers: JobHeaders | undefined): string => (headers && Object.keys(headers).length > 0 ? JSON.stringify(headers) : '{}');

/** A row's headers (JSON text) as a map; `{}` for none or for text that is not a map of strings. */
export function parseHeaders(text: string | null | undefined): JobHeaders {
  try {
    const value: unknown = JSON.parse(text ?? '{}');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

export interface PlanRows {
  /** the order's new fields, when the plan changes it */
  order: Order | null;
  events: Plan['events'];
  jobs: PlannedJob[];
}

/**
 * Writes an order's change, its events and its new jobs in one statement (data-modifying CTEs run
 * whether or not the main query reads them). Returns the new jobs' ids and the events as recorded.
 */
/** How the jobs a backend enqueues are stamped (as on SQLite: src/adapters/sqlite/outbox.ts). */
export interface EnqueueOptions {
  jobAttempts: number;
  /** the engine's clock: jobs enqueued on the virtual clock are marked so a real-time process can re-base them */
  clock: 'real' | 'virtual';
}

export async function writePlanRows(
  tx: Tx,
  orderId: number,
  now: number,
  rows: PlanRows,
  stamp: EnqueueOptions,
): Promise<{ jobIds: string[]; events: TimelineEvent[] }> {
  const ctes: SQL[] = [];
  const o = rows.order;
  if (o) {
    ctes.push(
      sql`o AS (UPDATE orders SET status = ${o.status}, supplier_ref = ${o.supplierRef}, supplier_checks = ${o.supplierChecks}, failure_reason = ${o.failureReason}, updated_at = ${now}::bigint WHERE id = ${orderId}::int)`,
    );
  }
  if (rows.events.length > 0) {
    const values = rows.events.map((e) => sql`(${orderId}::int, ${now}::bigint, ${e.type}, ${JSON.stringify(e.data)}::json)`);
    ctes.push(sql`e AS (INSERT INTO order_events (order_id, at, type, data) VALUES ${sql.join(values, sql`, `)})`);
  }
  if (rows.jobs.length > 0) {
    const values = rows.jobs.map(
      (j) =>
        sql`(${j.type}, ${orderId}::int, ${JSON.stringify(j.payload ?? {})}::json, ${j.runAt}::bigint, ${stamp.jobAttempts}::int, ${stamp.clock === 'virtual'}::boolean, ${headersText(j.headers)}, ${now}::bigint)`,
    );
    ctes.push(
      sql`j AS (INSERT INTO jobs (type, order_id, payload, run_at, max_attempts, virtual, headers, created_at) VALUES ${sql.join(values, sql`, `)} RETURNING id)`,
    );
  }
  if (ctes.length === 0) return { jobIds: [], events: [] };
  const main = rows.jobs.length > 0 ? sql`SELECT id FROM j ORDER BY id` : sql`SELECT NULL::int AS id WHERE false`;
  const result = await tx.execute<{ id: number }>(sql`WITH ${sql.join(ctes, sql`, `)} ${main}`);
  return {
    jobIds: result.rows.map((r) => String(r.id)),
    events: rows.events.map((e) => ({ orderId, at: now, type: e.type, data: e.data })),
  };
}

/** Enqueues jobs for an order (an operator's retry), within the caller's transaction. */
export async function enqueue(tx: Tx, orderId: number, jobs: PlannedJob[], now: number, stamp: EnqueueOptions): Promise<string[]> {
  return (await writePlanRows(tx, orderId, now, { order: null, events: [], jobs }, stamp)).jobIds;
}

/** Records `events` on an order's timeline, within the caller's transaction. */
export async function insertEvents(tx: Tx, orderId: number, now: number, events: Plan['events']): Promise<TimelineEvent[]> {
  return (await writePlanRows(tx, orderId, now, { order: null, events, jobs: [] }, { jobAttempts: 0, clock: 'real' })).events;
}

/** Settles the running job of `step` as the plan says, in one statement that checks its lease. */
export async function settle(tx: Tx, step: JobStep, plan: Plan, now: number): Promise<void> {
  const id = /^\d{1,9}$/.test(step.lease.jobId) ? Number(step.lease.jobId) : -1;
  const token = step.lease.token;
  const mine = and(eq(t.jobs.id, id), eq(t.jobs.status, 'running'), eq(t.jobs.lockedBy, token));
  const s = typeof step.settle === 'function' ? step.settle(plan) : step.settle;
  let changed: number;
  switch (s.kind) {
    case 'keep':
      // locked, so no claim takes it over before this transaction commits
      changed = (await tx.select({ id: t.jobs.id }).from(t.jobs).where(mine).for('update')).length;
      break;
    case 'complete':
      changed = (await tx.delete(t.jobs).where(mine).returning({ id: t.jobs.id })).length;
      break;
    case 'retry':
      changed = (
        await tx
          .update(t.jobs)
          // a retried job needs a new delivery: a new relay generation, relayed at once (ports/queue.ts)
          .set({
            status: 'queued',
            runAt: s.runAt,
            lockedBy: null,
            lockedUntil: null,
            lastError: s.error,
            failures: sql`${t.jobs.failures} + ${s.counted ? 1 : 0}`,
            relaySeq: sql`${t.jobs.relaySeq} + 1`,
            relayedAt: null,
            relayDueAt: 0,
          })
          .where(mine)
          .returning({ id: t.jobs.id })
      ).length;
      break;
    case 'park':
      changed = (
        await tx
          .update(t.jobs)
          .set({ status: 'parked', lockedBy: null, lockedUntil: null, parkedReason: s.reason, lastError: s.reason })
          .where(mine)
          .returning({ id: t.jobs.id })
      ).length;
      break;
    case 'dead':
      changed = (
        await tx.execute(sql`WITH j AS (DELETE FROM jobs WHERE id = ${id}::int AND status = 'running' AND locked_by = ${token} RETURNING *)
          INSERT INTO dead_letters (job_id, type, order_id, payload, attempts, last_error, failed_at, headers)
          SELECT id, type, order_id, payload, failures + 1, ${s.error}, ${now}::bigint, headers FROM j RETURNING id`)
      ).rows.length;
      break;
    default:
      assertNever(s, 'job settlement');
  }
  if (changed === 0) throw new LeaseLostError(step.lease.jobId);
}
