/**
 * The PostgreSQL adapter of the JobQueue port: the jobs table is the outbox and the queue at once.
 * A claim is one statement: it picks the due jobs with `FOR UPDATE SKIP LOCKED` (rows another
 * process is claiming or settling right now are passed over, never waited for) and leases them, so
 * any number of `work` and `serve` processes on one database share the jobs, each job run by one.
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { NotFoundError } from '../../domain/errors.js';
import type { JobType } from '../../domain/jobs.js';
import type { ClaimedJob, DeadLetter, JobInfo, JobQueue } from '../../ports/queue.js';
import type { PgConnection } from './connection.js';
import { enqueue, insertEvents, parseHeaders, toJob, type EnqueueOptions } from './outbox.js';
import { createPostgresRelay } from './relay.js';
import * as t from './schema.js';

const toInfo = (r: t.JobRow): JobInfo => ({
  ...toJob(r),
  state: r.status,
  runs: r.attempts,
  maxAttempts: r.maxAttempts,
  lockedBy: r.lockedBy,
  lockedUntil: r.lockedUntil,
  lastError: r.lastError,
  parkedReason: r.parkedReason,
  createdAt: r.createdAt,
});

const toDead = ({ headers: _headers, ...r }: typeof t.deadLetters.$inferSelect): DeadLetter => ({
  ...r,
  id: String(r.id),
  jobId: String(r.jobId),
  type: r.type as JobType,
});

const numericId = (id: string) => (/^\d{1,9}$/.test(id) ? Number(id) : -1);

interface ClaimedRow {
  id: number;
  type: string;
  order_id: number;
  payload: unknown;
  run_at: string;
  attempts: number;
  failures: number;
  locked_by: string;
  headers: string;
}

/** A real-time process looks for jobs a virtual run left behind at most this often. */
const REBASE_EVERY_MS = 5_000;

export function createPostgresQueue(c: PgConnection, opts: EnqueueOptions & { leaseMs: number }): JobQueue {
  const { db } = c;
  let rebasedAt = -Infinity;

  /**
   * Jobs left by an interrupted run on the virtual clock (the rule of docs/architecture.md,
   * "Virtual time left behind", as on SQLite): a process on the real clock makes them due now,
   * caps a lease at one lease length from now, and clears the mark.
   */
  async function rebase(now: number): Promise<void> {
    if (opts.clock !== 'real' || now - rebasedAt < REBASE_EVERY_MS) return;
    rebasedAt = now;
    await c.write(() =>
      c.pool.query(
        `UPDATE jobs SET run_at = LEAST(run_at, $1::bigint),
           locked_until = CASE WHEN locked_until IS NULL THEN NULL ELSE LEAST(locked_until, $1::bigint + $2::bigint) END,
           virtual = false
         WHERE virtual`,
        [now, opts.leaseMs],
      ),
    );
  }

  return {
    ...createPostgresRelay(c, rebase),

    async claim(now, limit, workerId, leaseMs) {
      if (limit <= 0) return [];
      await rebase(now);
      const rows = await c.write(async () => {
        const r = await c.pool.query<ClaimedRow>(
          `WITH due AS (
             SELECT id FROM jobs
             WHERE run_at <= $1 AND (status = 'queued' OR (status = 'running' AND locked_until <= $1))
             ORDER BY run_at, id
             LIMIT $2
             FOR UPDATE SKIP LOCKED
           )
           -- the lease token names the runner and the claim (<workerId>#<runs>), as on SQLite
           UPDATE jobs j SET status = 'running', attempts = j.attempts + 1,
             locked_by = $3::text || '#' || (j.attempts + 1), locked_until = $1 + $4
           FROM due WHERE j.id = due.id
           RETURNING j.id, j.type, j.order_id, j.payload, j.run_at::text, j.attempts, j.failures, j.locked_by, j.headers`,
          [now, limit, workerId, leaseMs],
        );
        return r.rows;
      });
      return rows
        .map(
          (r): ClaimedJob => ({
            id: String(r.id),
            type: r.type as JobType,
            orderId: r.order_id,
            payload: r.payload as ClaimedJob['payload'],
            runAt: Number(r.run_at),
            attempt: r.failures + 1,
            runs: r.attempts,
            lease: { jobId: String(r.id), token: r.locked_by },
            headers: parseHeaders(r.headers),
          }),
        )
        .sort((a, b) => a.runAt - b.runAt || Number(a.id) - Number(b.id));
    },

    async nextDueAt() {
      await rebase(Date.now());
      return c.read(async () => {
        const [row] = await db
          .select({
            next: sql<string | null>`min(CASE ${t.jobs.status} WHEN 'queued' THEN ${t.jobs.runAt} WHEN 'running' THEN ${t.jobs.lockedUntil} END)::text`,
          })
          .from(t.jobs);
        return row?.next == null ? null : Number(row.next);
      });
    },

    list() {
      return c.read(async () => (await db.select().from(t.jobs).orderBy(asc(t.jobs.runAt), asc(t.jobs.id))).map(toInfo));
    },

    oldestDueAt(now) {
      return c.read(async () => {
        const r = await c.pool.query<{ m: string | null }>(`SELECT min(run_at)::text AS m FROM jobs WHERE status = 'queued' AND run_at <= $1`, [now]);
        return r.rows[0]?.m == null ? null : Number(r.rows[0].m);
      });
    },

    count() {
      return c.read(async () => {
        const r = await c.pool.query<{ queued: number; running: number; parked: number; dead: number }>(
          `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued,
                  count(*) FILTER (WHERE status = 'running')::int AS running,
                  count(*) FILTER (WHERE status = 'parked')::int AS parked,
                  (SELECT count(*)::int FROM dead_letters WHERE retried_at IS NULL) AS dead
           FROM jobs`,
        );
        return r.rows[0]!;
      });
    },

    listDeadLetters(o = {}) {
      return c.read(async () =>
        (
          await db
            .select()
            .from(t.deadLetters)
            .where(o.includeRetried ? undefined : isNull(t.deadLetters.retriedAt))
            .orderBy(asc(t.deadLetters.id))
        ).map(toDead),
      );
    },

    retryDeadLetter(id, now) {
      return c.tx(async (tx) => {
        const n = numericId(id);
        const [dead] = await tx.select().from(t.deadLetters).where(eq(t.deadLetters.id, n)).for('update');
        if (!dead) throw new NotFoundError('dead letter', id, 'see `warehouse jobs failed` for the ids');
        if (dead.retriedAt !== null) throw new NotFoundError('dead letter', id, 'it was already retried; see `warehouse jobs list`');
        // the dead job's headers go with it: the retried job continues the order's trace
        const [jobId] = await enqueue(
          tx,
          dead.orderId,
          [{ type: dead.type as JobType, runAt: now, payload: dead.payload, headers: parseHeaders(dead.headers) }],
          now,
          opts,
        );
        await tx.update(t.deadLetters).set({ retriedAt: now }).where(eq(t.deadLetters.id, n));
        const [event] = await insertEvents(tx, dead.orderId, now, [{ type: 'JobRetried', data: { deadLetterId: id, jobId, jobType: dead.type } }]);
        const [row] = await tx
          .select()
          .from(t.jobs)
          .where(eq(t.jobs.id, Number(jobId)));
        return { job: toJob(row!), event: event! };
      });
    },

    resumeParked(now, which = {}) {
      return c.tx(async (tx) => {
        const rows = (
          await tx
            .select()
            .from(t.jobs)
            .where(and(eq(t.jobs.status, 'parked'), which.jobId !== undefined ? eq(t.jobs.id, numericId(which.jobId)) : undefined))
            .orderBy(asc(t.jobs.id))
            .for('update', { skipLocked: true })
        ).filter((r) => which.reasonPrefix === undefined || (r.parkedReason ?? '').startsWith(which.reasonPrefix));
        if (rows.length === 0) return [];
        await tx
          .update(t.jobs)
          .set({ status: 'queued', runAt: now, parkedReason: null, attempts: 0, relaySeq: sql`${t.jobs.relaySeq} + 1`, relayedAt: null, relayDueAt: 0 })
          .where(
            inArray(
              t.jobs.id,
              rows.map((r) => r.id),
            ),
          );
        const out = [];
        for (const r of rows) {
          const [event] = await insertEvents(tx, r.orderId, now, [
            { type: 'JobResumed', data: { jobId: String(r.id), jobType: r.type, reason: r.parkedReason } },
          ]);
          out.push({ job: { ...toJob(r), runAt: now }, event: event! });
        }
        return out;
      });
    },
  };
}
