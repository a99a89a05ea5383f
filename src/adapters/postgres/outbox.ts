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
import { and, eq, sql } from 'drizzle-orm';
import { LeaseLostError } from '../../domain/errors.js';
import type { TimelineEvent } from '../../domain/events.js';
import type { Job, JobHeaders, JobType, PlannedJob } from '../../domain/jobs.js';
import { assertNever, type Order } from '../../domain/order.js';
import type { Plan } from '../../domain/plans.js';
import type { JobStep } from '../../ports/queue.js';
import { prepared, type Tx } from './connection.js';
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
  const o = rows.order;
  if (!o && rows.events.length === 0 && rows.jobs.length === 0) return { jobIds: [], events: [] };
  // the values in the order planText numbers them
  const values: unknown[] = [orderId, now];
  if (o) values.push(o.status, o.supplierRef, o.supplierChecks, o.failureReason);
  for (const e of rows.events) values.push(e.type, JSON.stringify(e.data));
  for (const j of rows.jobs) values.push(j.type, JSON.stringify(j.payload ?? {}), j.runAt, stamp.jobAttempts, stamp.clock === 'virtual', headersText(j.headers));
  const shape = `wh_plan_${o ? 1 : 0}_${rows.events.length}_${rows.jobs.length}`;
  const result = await prepared<{ id: number }>(tx, shape, planText(Boolean(o), rows.events.length, rows.jobs.length), values);
  return {
    jobIds: result.map((r) => String(r.id)),
    events: rows.events.map((e) => ({ orderId, at: now, type: e.type, data: e.data })),
  };
}

const planTexts = new Map<string, string>();

/**
 * The statement of writePlanRows for one shape (an order change or not, n events, m jobs), made
 * once: $1 the order id, $2 now, then the order's fields, each event's type and data, each job's
 * type, payload, run-at, attempts, virtual mark and headers.
 */
function planText(order: boolean, events: number, jobs: number): string {
  const key = `${order}/${events}/${jobs}`;
  const known = planTexts.get(key);
  if (known) return known;
  let n = 2;
  const p = () => `$${++n}`;
  const ctes: string[] = [];
  if (order) {
    ctes.push(`o AS (UPDATE orders SET status = ${p()}, supplier_ref = ${p()}, supplier_checks = ${p()}, failure_reason = ${p()}, updated_at = $2::bigint WHERE id = $1::int)`);
  }
  if (events > 0) {
    const rows = Array.from({ length: events }, () => `($1::int, $2::bigint, ${p()}, ${p()}::json)`);
    ctes.push(`e AS (INSERT INTO order_events (order_id, at, type, data) VALUES ${rows.join(', ')})`);
  }
  if (jobs > 0) {
    const rows = Array.from({ length: jobs }, () => `(${p()}, $1::int, ${p()}::json, ${p()}::bigint, ${p()}::int, ${p()}::boolean, ${p()}, $2::bigint)`);
    ctes.push(`j AS (INSERT INTO jobs (type, order_id, payload, run_at, max_attempts, virtual, headers, created_at) VALUES ${rows.join(', ')} RETURNING id)`);
  }
  const main = jobs > 0 ? 'SELECT id FROM j ORDER BY id' : 'SELECT NULL::int AS id WHERE false';
  const text = `WITH ${ctes.join(', ')} ${main}`;
  planTexts.set(key, text);
  return text;
}

/** Enqueues jobs for an order (an operator's retry), within the caller's transaction. */
export async function enqueue(tx: Tx, orderId: number, jobs: PlannedJob[], now: number, stamp: EnqueueOptions): Promise<string[]> {
  return (await writePlanRows(tx, orderId, now, { order: null, events: [], jobs }, stamp)).jobIds;
}

/** Records `events` on an order's timeline, within the caller's transaction. */
export async function insertEvents(tx: Tx, orderId: number, now: number, events: Plan['events']): Promise<TimelineEvent[]> {
  return (await writePlanRows(tx, orderId, now, { order: null, events, jobs: [] }, { jobAttempts: 0, clock: 'real' })).events;
}

/** The running job's row while the lease is still the one of the step: $1 the job's id, $2 its token. */
const MINE = `id = $1::int AND status = 'running' AND locked_by = $2::text`;

/** Settles the running job of `step` as the plan says, in one statement that checks its lease. */
export async function settle(tx: Tx, step: JobStep, plan: Plan, now: number): Promise<void> {
  const id = /^\d{1,9}$/.test(step.lease.jobId) ? Number(step.lease.jobId) : -1;
  const token = step.lease.token;
  const mine = () => and(eq(t.jobs.id, id), eq(t.jobs.status, 'running'), eq(t.jobs.lockedBy, token));
  const s = typeof step.settle === 'function' ? step.settle(plan) : step.settle;
  let changed: number;
  switch (s.kind) {
    case 'keep':
      // locked, so no claim takes it over before this transaction commits
      changed = (await prepared(tx, 'wh_job_keep', `SELECT id FROM jobs WHERE ${MINE} FOR UPDATE`, [id, token])).length;
      break;
    case 'complete':
      changed = (await prepared(tx, 'wh_job_complete', `DELETE FROM jobs WHERE ${MINE} RETURNING id`, [id, token])).length;
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
          .where(mine())
          .returning({ id: t.jobs.id })
      ).length;
      break;
    case 'park':
      changed = (
        await tx
          .update(t.jobs)
          .set({ status: 'parked', lockedBy: null, lockedUntil: null, parkedReason: s.reason, lastError: s.reason })
          .where(mine())
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
