/**
 * The SQLite adapter of the JobQueue port: the jobs table is the outbox and the queue at once.
 * Claims take the write lock (IMMEDIATE) so two processes never claim the same job; a poll that
 * finds nothing due is a plain read.
 */
import { and, asc, eq, inArray, isNull, sql } from './drizzle.js';
import { NotFoundError } from '../../domain/errors.js';
import type { JobType } from '../../domain/jobs.js';
import type { ClaimedJob, DeadLetter, JobInfo, JobQueue } from '../../ports/queue.js';
import type { Connection } from './connection.js';
import { limitOf } from './limit.js';
import { enqueue, parseHeaders, toJob, type EnqueueOptions, type JobRow } from './outbox.js';
import * as t from './schema.js';
import { createSqliteRelay } from './relay.js';
import { insertEvents } from './store.js';

type DeadRow = typeof t.deadLetters.$inferSelect;

const toInfo = (r: JobRow): JobInfo => ({
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

const toDead = ({ headers: _headers, ...r }: DeadRow): DeadLetter => ({
  ...r,
  id: String(r.id),
  jobId: String(r.jobId),
  type: r.type as JobType,
  payload: JSON.parse(r.payload) as unknown,
});

/** A real-time process looks for jobs a virtual run left behind at most this often. */
const REBASE_EVERY_MS = 5_000;

export function createSqliteQueue(c: Connection, opts: EnqueueOptions & { leaseMs: number }): JobQueue {
  const { q, db } = c;
  let rebasedAt = -Infinity;

  /**
   * Jobs left by an interrupted run on the virtual clock carry virtual times, which may lie hours
   * or months ahead of the wall clock. A process on the real clock re-bases them (docs/architecture.md,
   * "Virtual time left behind"): the waits of a virtual run were meant to be skipped, so a queued
   * job is due now; a leased one keeps its lease at most one lease length from now, so a killed
   * run's job is taken up then. The mark is cleared: from then on it is a real-time job, and the
   * waits it schedules are real.
   */
  async function rebase(now: number): Promise<void> {
    if (opts.clock !== 'real' || now - rebasedAt < REBASE_EVERY_MS) return;
    rebasedAt = now;
    if (!(await c.read(() => db.select({ id: t.jobs.id }).from(t.jobs).where(eq(t.jobs.virtual, 1)).limit(limitOf(1)).get()))) return;
    await c.writeAlone(() =>
      c.raw
        .prepare(
          `UPDATE jobs SET
             run_at = MIN(run_at, :now),
             locked_until = CASE WHEN locked_until IS NULL THEN NULL ELSE MIN(locked_until, :now + :lease) END,
             virtual = 0
           WHERE virtual = 1`,
        )
        .run({ now, lease: opts.leaseMs }),
    );
  }

  /**
   * The next due time without reading every job (the aggregate over the table scanned it whole, on
   * every idle look): jobs in due order (the `jobs_due` index) up to the first queued one, whose
   * run_at is the earliest queued time; the running ones met before it bring their lease ends.
   * A running job met after it cannot come earlier: it was claimed when due, so its lease ends
   * after its own run_at, which is after the queued one's. Parked jobs count for nothing.
   */
  const dueOrder = c.raw.prepare('SELECT status, run_at, locked_until FROM jobs INDEXED BY jobs_due ORDER BY run_at, id').raw(true);
  const nextDue = (): number | null => {
    let next: number | null = null;
    for (const [status, runAt, lockedUntil] of dueOrder.iterate() as IterableIterator<[string, number, number | null]>) {
      if (status === 'queued') return next === null ? runAt : Math.min(next, runAt);
      if (status === 'running' && lockedUntil !== null) next = next === null ? lockedUntil : Math.min(next, lockedUntil);
    }
    return next;
  };

  return {
    ...createSqliteRelay(c, rebase),

    async claim(now, limit, workerId, leaseMs) {
      if (limit <= 0) return [];
      await rebase(now);
      // most polls find nothing: a plain read answers them without taking the write lock
      if (!(await c.read(() => q.anyDue.get({ now })))) return [];
      // not batched: a claim must see the jobs committed just before it, and is cheap to repeat
      return c.writeAlone(() =>
        q.claimDue
          .all({ now, limit, workerId, lockedUntil: now + leaseMs })
          .sort((a, b) => a.runAt - b.runAt || a.id - b.id)
          .map((row): ClaimedJob => {
            // the statement counted the run and wrote the lease token (statements.ts claimDue)
            const token = row.lockedBy!;
            return { ...toJob(row), runs: row.attempts, lease: { jobId: String(row.id), token }, headers: parseHeaders(row.headers) };
          }),
      );
    },

    async nextDueAt() {
      await rebase(Date.now());
      return c.read(nextDue);
    },

    async list() {
      return c.read(() => db.select().from(t.jobs).orderBy(asc(t.jobs.runAt), asc(t.jobs.id)).all().map(toInfo));
    },

    async count() {
      return c.read(() => q.countJobs.get() ?? { queued: 0, running: 0, parked: 0, dead: 0 });
    },

    async oldestDueAt(now) {
      return c.read(
        () => c.raw.prepare<[number], number | null>(`SELECT min(run_at) FROM jobs WHERE status = 'queued' AND run_at <= ?`).pluck().get(now) ?? null,
      );
    },

    async listDeadLetters(o = {}) {
      return c.read(() =>
        db
          .select()
          .from(t.deadLetters)
          .where(o.includeRetried ? undefined : isNull(t.deadLetters.retriedAt))
          .orderBy(asc(t.deadLetters.id))
          .all()
          .map(toDead),
      );
    },

    retryDeadLetter(id, now) {
      return c.write(() => {
        const n = /^\d+$/.test(id) ? Number(id) : -1;
        const dead = db.select().from(t.deadLetters).where(eq(t.deadLetters.id, n)).get();
        if (!dead) throw new NotFoundError('dead letter', id, 'see `warehouse jobs failed` for the ids');
        if (dead.retriedAt !== null) throw new NotFoundError('dead letter', id, 'it was already retried; see `warehouse jobs list`');
        // the dead job's headers go with it: the retried job continues the order's trace
        const [jobId] = enqueue(
          c,
          dead.orderId,
          [{ type: dead.type as JobType, runAt: now, payload: JSON.parse(dead.payload), headers: parseHeaders(dead.headers) }],
          now,
          opts,
        );
        db.update(t.deadLetters).set({ retriedAt: now }).where(eq(t.deadLetters.id, n)).run();
        const [event] = insertEvents(c, dead.orderId, now, [{ type: 'JobRetried', data: { deadLetterId: id, jobId, jobType: dead.type } }]);
        const job = toJob(q.jobById.get({ id: Number(jobId) })!);
        return { job, event: event! };
      });
    },

    resumeParked(now, which = {}) {
      return c.write(() => {
        const rows = db
          .select()
          .from(t.jobs)
          .where(and(eq(t.jobs.status, 'parked'), which.jobId !== undefined ? eq(t.jobs.id, /^\d+$/.test(which.jobId) ? Number(which.jobId) : -1) : undefined))
          .all()
          .filter((r) => which.reasonPrefix === undefined || (r.parkedReason ?? '').startsWith(which.reasonPrefix));
        if (rows.length === 0) return [];
        db.update(t.jobs)
          .set({ status: 'queued', runAt: now, parkedReason: null, attempts: 0, relaySeq: sql`${t.jobs.relaySeq} + 1`, relayedAt: null, relayDueAt: 0 })
          .where(
            inArray(
              t.jobs.id,
              rows.map((r) => r.id),
            ),
          )
          .run();
        return rows.map((r) => {
          const [event] = insertEvents(c, r.orderId, now, [{ type: 'JobResumed', data: { jobId: String(r.id), jobType: r.type, reason: r.parkedReason } }]);
          return { job: { ...toJob(r), runAt: now }, event: event! };
        });
      });
    },
  };
}
