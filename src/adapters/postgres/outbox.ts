/**
 * The rows a plan writes, seen from inside a transaction (PostgreSQL): the order's change, its
 * timeline events, the jobs it enqueues (the outbox) and — when it keeps or completes it — the
 * settlement of the running job that made it (ports/queue.ts), in one statement, which a job's
 * transaction sends with its COMMIT (connection.ts `run`). Fewer round trips means the order's
 * (and, pessimistically, the SKU's) row lock is held for less time.
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
import type { JobSettlement, JobStep } from '../../ports/queue.js';
import { prepared, type Tx } from './connection.js';
import { sqlState } from './errors.js';
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

/**
 * A settlement that goes into the plan's statement (writePlanRows) instead of one of its own: keep
 * (lock the job's row) or complete (delete it), while the lease is still the step's.
 */
export interface PlanSettlement {
  kind: 'keep' | 'complete';
  lease: JobStep['lease'];
}

export async function writePlanRows(
  tx: Tx,
  orderId: number,
  now: number,
  rows: PlanRows,
  stamp: EnqueueOptions,
  settlement?: PlanSettlement,
  /** COMMIT goes with the statement (connection.ts `run`): the transaction's last */
  commit = false,
): Promise<{ jobIds: string[]; events: TimelineEvent[] }> {
  const o = rows.order;
  if (!o && rows.events.length === 0 && rows.jobs.length === 0 && !settlement) return { jobIds: [], events: [] };
  // the values in the order planText numbers them
  const values: unknown[] = [orderId, now];
  if (settlement) values.push(jobIdOf(settlement.lease), settlement.lease.token);
  if (o) values.push(o.status, o.supplierRef, o.supplierChecks, o.failureReason);
  for (const e of rows.events) values.push(e.type, JSON.stringify(e.data));
  for (const j of rows.jobs)
    values.push(j.type, JSON.stringify(j.payload ?? {}), j.runAt, stamp.jobAttempts, stamp.clock === 'virtual', headersText(j.headers));
  const shape = { settle: settlement?.kind ?? null, order: Boolean(o), events: rows.events.length, jobs: rows.jobs.length };
  const name = `wh_plan_${shape.settle ?? 'none'}_${shape.order ? 1 : 0}_${shape.events}_${shape.jobs}`;
  let result: Array<{ id: number; ids?: number[] }>;
  try {
    result = await prepared<{ id: number; ids?: number[] }>(tx, name, planText(shape), values, { commit });
  } catch (error) {
    // the lease passed to another runner: the statement failed on purpose (planText), so nothing of
    // this transaction stands — rolled back, by the COMMIT sent with it too
    if (settlement && sqlState(error) === '22012') throw new LeaseLostError(settlement.lease.jobId);
    throw error;
  }
  let ids: number[];
  if (settlement) {
    ids = result[0]!.ids ?? [];
  } else {
    ids = result.map((r) => r.id);
  }
  return {
    jobIds: ids.map(String),
    events: rows.events.map((e) => ({ orderId, at: now, type: e.type, data: e.data })),
  };
}

const planTexts = new Map<string, string>();

/**
 * The statement of writePlanRows for one shape (a settlement or not, an order change or not, n
 * events, m jobs), made once: $1 the order id, $2 now, then the job's id and lease token, the
 * order's fields, each event's type and data, each job's type, payload, run-at, attempts, virtual
 * mark and headers. With a settlement it answers one row: how many job rows it settled (0: the
 * lease is lost) and the new jobs' ids.
 */
function planText(shape: { settle: PlanSettlement['kind'] | null; order: boolean; events: number; jobs: number }): string {
  const key = `${shape.settle}/${shape.order}/${shape.events}/${shape.jobs}`;
  const known = planTexts.get(key);
  if (known) return known;
  let n = 2;
  const p = () => `$${++n}`;
  const ctes: string[] = [];
  if (shape.settle) {
    const mine = `id = ${p()}::int AND status = 'running' AND locked_by = ${p()}::text`;
    // keep: locked, so no claim takes it over before this transaction commits
    ctes.push(shape.settle === 'keep' ? `k AS (SELECT id FROM jobs WHERE ${mine} FOR UPDATE)` : `k AS (DELETE FROM jobs WHERE ${mine} RETURNING id)`);
  }
  if (shape.order) {
    ctes.push(
      `o AS (UPDATE orders SET status = ${p()}, supplier_ref = ${p()}, supplier_checks = ${p()}, failure_reason = ${p()}, updated_at = $2::bigint WHERE id = $1::int)`,
    );
  }
  if (shape.events > 0) {
    const rows = Array.from({ length: shape.events }, () => `($1::int, $2::bigint, ${p()}, ${p()}::json)`);
    ctes.push(`e AS (INSERT INTO order_events (order_id, at, type, data) VALUES ${rows.join(', ')})`);
  }
  if (shape.jobs > 0) {
    const rows = Array.from({ length: shape.jobs }, () => `(${p()}, $1::int, ${p()}::json, ${p()}::bigint, ${p()}::int, ${p()}::boolean, ${p()}, $2::bigint)`);
    ctes.push(`j AS (INSERT INTO jobs (type, order_id, payload, run_at, max_attempts, virtual, headers, created_at) VALUES ${rows.join(', ')} RETURNING id)`);
  }
  const ids = shape.jobs > 0 ? 'ARRAY(SELECT id FROM j ORDER BY id)' : `'{}'::int[]`;
  const main = shape.settle
    ? // one row; $1 and $2 named here too, for a settlement with nothing else to write. No job row
      // settled (the lease is lost) fails the statement — a division by zero, 22012, the only one
      // it can meet — so that a COMMIT sent with it (connection.ts `run`) rolls back instead
      `SELECT 1 / (SELECT count(*)::int FROM k) AS settled, ${ids} AS ids FROM (VALUES ($1::int, $2::bigint)) AS plan (order_id, at)`
    : shape.jobs > 0
      ? 'SELECT id FROM j ORDER BY id'
      : 'SELECT NULL::int AS id WHERE false';
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

const jobIdOf = (lease: JobStep['lease']) => (/^\d{1,9}$/.test(lease.jobId) ? Number(lease.jobId) : -1);

/** What the step does with its job, for the plan the transaction commits. */
export const settlementOf = (step: JobStep, plan: Plan): JobSettlement => (typeof step.settle === 'function' ? step.settle(plan) : step.settle);

/** Settles the running job of `step` as `s` says, in one statement that checks its lease. */
export async function settle(tx: Tx, step: JobStep, s: JobSettlement, now: number): Promise<void> {
  const id = jobIdOf(step.lease);
  const token = step.lease.token;
  const mine = () => and(eq(t.jobs.id, id), eq(t.jobs.status, 'running'), eq(t.jobs.lockedBy, token));
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
