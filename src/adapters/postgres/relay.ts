/**
 * The relay side of the PostgreSQL queue (ports/queue.ts, "relay"): the jobs table handed to an
 * external queue one generation at a time, claimed with `FOR UPDATE SKIP LOCKED` (two relays never
 * wait for each other, and never take the same rows), and deliveries from it claimed by id in one
 * statement. `watch` LISTENs on this schema's channel, which the jobs table's trigger NOTIFYs on
 * every insert (drizzle-pg/0003_relay.sql), so a relay hears of jobs other processes enqueue at
 * their commit instead of at its next poll.
 */
import pg from 'pg';
import { and, eq, lte, or, sql } from 'drizzle-orm';
import type { JobType } from '../../domain/jobs.js';
import type { Delivery, JobQueue, RelayItem } from '../../ports/queue.js';
import type { PgConnection } from './connection.js';
import { parseHeaders, toJob } from './outbox.js';
import * as t from './schema.js';

export type RelayMethods = Pick<JobQueue, 'claimForRelay' | 'markRelayed' | 'relayLost' | 'claimDelivery' | 'instanceId' | 'watch'>;

/** The channel the trigger notifies for a schema (PostgreSQL cuts channel names at 63 bytes). */
export const jobsChannel = (schema: string) => `warehouse_jobs.${schema}`.slice(0, 63);

interface RelayRow {
  id: number;
  relay_seq: number;
  type: string;
  order_id: number;
  run_at: string;
  created_at: string;
}

export function createPostgresRelay(c: PgConnection, rebase: (now: number) => Promise<void>): RelayMethods {
  let instance: string | null = null;
  return {
    async claimForRelay(now, limit, holdMs) {
      if (limit <= 0) return [];
      await rebase(now);
      const rows = await c.read(async () => {
        const r = await c.pool.query<RelayRow>(
          `WITH due AS (
             SELECT id FROM jobs WHERE relay_due_at <= $1 AND status <> 'parked'
             ORDER BY relay_due_at, id LIMIT $2
             FOR UPDATE SKIP LOCKED
           )
           -- a generation that was marked relayed is done with: the claim starts the next one
           UPDATE jobs j SET relay_seq = j.relay_seq + CASE WHEN j.relayed_at IS NULL THEN 0 ELSE 1 END,
             relayed_at = NULL, relay_due_at = $3
           FROM due WHERE j.id = due.id
           RETURNING j.id, j.relay_seq, j.type, j.order_id, j.run_at::text, j.created_at::text`,
          [now, limit, now + holdMs],
        );
        return r.rows;
      });
      return rows
        .map(
          (r): RelayItem => ({
            jobId: String(r.id),
            generation: r.relay_seq,
            type: r.type as JobType,
            orderId: r.order_id,
            runAt: Number(r.run_at),
            createdAt: Number(r.created_at),
          }),
        )
        .sort((a, b) => Number(a.jobId) - Number(b.jobId));
    },

    async markRelayed(items, now, redeliverAfterMs) {
      if (items.length === 0) return;
      const ids = items.map((i) => Number(i.jobId));
      const seqs = items.map((i) => i.generation);
      // a transaction, so a deadlock with another relay's mark of the same rows is run again
      await c.tx((tx) =>
        tx.execute(sql`UPDATE jobs j SET relayed_at = ${now}::bigint,
            relay_due_at = CASE WHEN j.status = 'running' THEN j.relay_due_at ELSE GREATEST(j.run_at, ${now}::bigint) + ${redeliverAfterMs}::bigint END
          FROM unnest(${`{${ids.join(',')}}`}::int[], ${`{${seqs.join(',')}}`}::int[]) AS m(id, seq)
          WHERE j.id = m.id AND j.relay_seq = m.seq AND j.relayed_at IS NULL`),
      );
    },

    async relayLost() {
      return c.read(async () => (await c.pool.query(`UPDATE jobs SET relay_due_at = 0 WHERE relayed_at IS NOT NULL AND status <> 'parked'`)).rowCount ?? 0);
    },

    async claimDelivery(jobId, generation, now, workerId, leaseMs, redeliverAfterMs): Promise<Delivery> {
      const id = /^\d{1,9}$/.test(jobId) ? Number(jobId) : -1;
      return c.read(async (db): Promise<Delivery> => {
        // one statement: under READ COMMITTED its conditions are checked again on a row another
        // transaction changed meanwhile, so two deliveries of one job never both claim it
        const [row] = await db
          .update(t.jobs)
          .set({
            status: 'running',
            attempts: sql`${t.jobs.attempts} + 1`,
            // the lease token names the runner and the claim (<workerId>#<runs>), as every claim's does
            lockedBy: sql`${workerId}::text || '#' || (${t.jobs.attempts} + 1)`,
            lockedUntil: now + leaseMs,
            relayedAt: sql`COALESCE(${t.jobs.relayedAt}, ${now}::bigint)`,
            relayDueAt: now + leaseMs + redeliverAfterMs,
          })
          .where(
            and(eq(t.jobs.id, id), lte(t.jobs.runAt, now), or(eq(t.jobs.status, 'queued'), and(eq(t.jobs.status, 'running'), lte(t.jobs.lockedUntil, now)))),
          )
          .returning();
        if (row)
          return {
            kind: 'claimed',
            job: { ...toJob(row), runs: row.attempts, lease: { jobId: String(row.id), token: row.lockedBy! }, headers: parseHeaders(row.headers) },
          };
        const [current] = await db.select().from(t.jobs).where(eq(t.jobs.id, id));
        if (!current) return { kind: 'gone', reason: 'done' };
        if (current.status === 'parked') return { kind: 'gone', reason: 'parked' };
        if (current.relaySeq !== generation) return { kind: 'gone', reason: 'superseded' };
        return { kind: 'later', at: current.status === 'running' ? current.lockedUntil! : current.runAt };
      });
    },

    async instanceId() {
      instance ??= await c.read(async () => (await c.pool.query<{ value: string }>(`SELECT value FROM engine_meta WHERE key = 'instance'`)).rows[0]!.value);
      return instance;
    },

    async watch(listener) {
      const channel = jobsChannel(c.schema);
      let client: pg.Client | null = null;
      let stopped = false;
      let retry: NodeJS.Timeout | undefined;
      // a connection of its own (LISTEN holds it); lost, it is opened again, and the listener
      // called once, since notifications sent meanwhile were missed
      const open = async (): Promise<void> => {
        const next = new pg.Client(c.pool.options);
        const reopen = () => {
          if (stopped || client !== next) return;
          client = null;
          retry = setTimeout(() => void open(), 1_000);
        };
        next.on('error', reopen);
        next.on('end', reopen);
        next.on('notification', (n) => {
          if (n.channel === channel) listener();
        });
        client = next;
        try {
          await next.connect();
          await next.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
          listener();
        } catch {
          await next.end().catch(() => {});
          reopen();
        }
      };
      await open();
      return async () => {
        stopped = true;
        clearTimeout(retry);
        const last = client;
        client = null;
        await last?.end().catch(() => {});
      };
    },
  };
}
