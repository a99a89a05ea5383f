/**
 * The relay side of the SQLite queue (ports/queue.ts, "relay"): the jobs table handed to an
 * external queue one generation at a time, and deliveries from it claimed by id. Every write is one
 * IMMEDIATE transaction of its own (it must see what committed just before it), as for claims.
 */
import { and, eq, lte, or, sql } from './drizzle.js';
import type { JobType } from '../../domain/jobs.js';
import type { Delivery, JobQueue, RelayItem } from '../../ports/queue.js';
import type { Connection } from './connection.js';
import { parseHeaders, toJob } from './outbox.js';
import * as t from './schema.js';

export type RelayMethods = Pick<JobQueue, 'claimForRelay' | 'markRelayed' | 'relayLost' | 'claimDelivery' | 'instanceId'>;

interface RelayRow {
  id: number;
  relay_seq: number;
  type: string;
  order_id: number;
  run_at: number;
  created_at: number;
}

const p = (name: string) => sql.placeholder(name);

export function createSqliteRelay(c: Connection, rebase: (now: number) => Promise<void>): RelayMethods {
  const anyDue = c.raw.prepare(`SELECT 1 FROM jobs WHERE relay_due_at <= ? AND status <> 'parked' LIMIT 1`).pluck();
  // a generation that was marked relayed is done with: the claim starts the next one
  const claim = c.raw.prepare(
    `UPDATE jobs SET relay_seq = relay_seq + (relayed_at IS NOT NULL), relayed_at = NULL, relay_due_at = :until
     WHERE id IN (SELECT id FROM jobs WHERE relay_due_at <= :now AND status <> 'parked' ORDER BY relay_due_at, id LIMIT :limit)
     RETURNING id, relay_seq, type, order_id, run_at, created_at`,
  );
  // a running job keeps the relay time its claim gave it (its lease's end, plus the bound)
  const mark = c.raw.prepare(
    `UPDATE jobs SET relayed_at = :now,
       relay_due_at = CASE WHEN status = 'running' THEN relay_due_at ELSE MAX(run_at, :now) + :redeliver END
     WHERE id = :id AND relay_seq = :seq AND relayed_at IS NULL`,
  );
  const lost = c.raw.prepare(`UPDATE jobs SET relay_due_at = 0 WHERE relayed_at IS NOT NULL AND status <> 'parked'`);
  const claimable = and(
    eq(t.jobs.id, p('id')),
    lte(t.jobs.runAt, p('now')),
    or(eq(t.jobs.status, 'queued'), and(eq(t.jobs.status, 'running'), lte(t.jobs.lockedUntil, p('now')))),
  );
  const claimById = c.db
    .update(t.jobs)
    .set({
      status: 'running',
      attempts: sql`${t.jobs.attempts} + 1`,
      // the lease token names the runner and the claim (<workerId>#<runs>), as every claim's does
      lockedBy: sql`${p('workerId')} || '#' || (${t.jobs.attempts} + 1)`,
      lockedUntil: sql`${p('now')} + ${p('lease')}`,
      relayedAt: sql`COALESCE(${t.jobs.relayedAt}, ${p('now')})`,
      relayDueAt: sql`${p('now')} + ${p('lease')} + ${p('redeliver')}`,
    })
    .where(claimable)
    .returning()
    .prepare();
  let instance: string | null = null;

  return {
    async claimForRelay(now, limit, holdMs) {
      if (limit <= 0) return [];
      await rebase(now);
      if (!(await c.read(() => anyDue.get(now)))) return [];
      const rows = await c.writeAlone(() => claim.all({ now, until: now + holdMs, limit }) as RelayRow[]);
      return rows
        .map(
          (r): RelayItem => ({
            jobId: String(r.id),
            generation: r.relay_seq,
            type: r.type as JobType,
            orderId: r.order_id,
            runAt: r.run_at,
            createdAt: r.created_at,
          }),
        )
        .sort((a, b) => Number(a.jobId) - Number(b.jobId));
    },

    async markRelayed(items, now, redeliverAfterMs) {
      if (items.length === 0) return;
      await c.write(() => {
        for (const i of items) mark.run({ id: Number(i.jobId), seq: i.generation, now, redeliver: redeliverAfterMs });
      });
    },

    async relayLost() {
      return c.writeAlone(() => lost.run().changes);
    },

    async claimDelivery(jobId, generation, now, workerId, leaseMs, redeliverAfterMs): Promise<Delivery> {
      const id = /^\d{1,15}$/.test(jobId) ? Number(jobId) : -1;
      return c.writeAlone((): Delivery => {
        const row = claimById.get({ id, now, workerId, lease: leaseMs, redeliver: redeliverAfterMs });
        if (row)
          return {
            kind: 'claimed',
            job: { ...toJob(row), runs: row.attempts, lease: { jobId: String(row.id), token: row.lockedBy! }, headers: parseHeaders(row.headers) },
          };
        const current = c.q.jobById.get({ id });
        if (!current) return { kind: 'gone', reason: 'done' };
        if (current.status === 'parked') return { kind: 'gone', reason: 'parked' };
        if (current.relaySeq !== generation) return { kind: 'gone', reason: 'superseded' };
        return { kind: 'later', at: current.status === 'running' ? current.lockedUntil! : current.runAt };
      });
    },

    async instanceId() {
      instance ??= await c.read(() => c.raw.prepare(`SELECT value FROM engine_meta WHERE key = 'instance'`).pluck().get() as string);
      return instance;
    },
  };
}
