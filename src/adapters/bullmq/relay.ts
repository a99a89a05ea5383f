/**
 * The outbox relay: moves jobs from the jobs table (the outbox, written in each order's own
 * transaction) to BullMQ. One runs in every `serve` and `work` process with `--queue`; any number
 * can run at once (the database hands each row to one of them: JobQueue.claimForRelay).
 *
 * A pass: claim due rows (held for `holdMs`) → `addBulk` them to BullMQ, each with the job id
 * `<outbox id>.<generation>` and a delay until it is due → mark them relayed. A relay that dies
 * after the add and before the mark leaves the rows to another relay once the hold ends, which adds
 * the same ids again: BullMQ drops them while it keeps the first ones (completed jobs are kept
 * RETENTION_S), and a duplicate that does get through finds its job done (claimDelivery).
 *
 * What Redis forgot, the database still knows:
 * - Redis restarted empty: the relay keeps a marker key in Redis; when it finds it missing, it
 *   marks every job handed over as lost (JobQueue.relayLost) before setting it again, and the
 *   next passes hand them over again as new generations.
 * - Anything else (a job lost in a failover, a worker's job failed by BullMQ): a generation not
 *   claimed `redeliverAfterMs` after it was due, or whose lease ended that long ago, is relayed
 *   again by the database's own rule (JobQueue.markRelayed).
 *
 * Wake-ups: jobs enqueued or retried in this process (the bus), jobs enqueued by other processes
 * (JobQueue.watch: PostgreSQL's LISTEN/NOTIFY), and a poll every `pollMs` otherwise.
 */
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DatabaseError } from '../../domain/errors.js';
import { backoffDelay } from '../../domain/settings.js';
import { createWakeSignal, wallSleep } from '../../kit/wake.js';
import type { Clock } from '../../ports/clock.js';
import type { DriverEvents } from '../../ports/driver.js';
import type { JobQueue, RelayItem } from '../../ports/queue.js';
import { redisTrouble } from './redis.js';

/** BullMQ keeps completed and failed jobs this long, so a job id added twice is dropped. */
export const RETENTION_S = 3_600;

/** What BullMQ carries for each delivery: which job, which generation (the rest is for people). */
export interface DeliveryData {
  jobId: string;
  generation: number;
  orderId: number;
  runAt: number;
  /** when the job was enqueued (the outbox row's created_at): relay lag = BullMQ's timestamp − this */
  createdAt: number;
}

/** A failed pass (Redis or the database away) is tried again after this backoff (100 ms, growing to 2 s). */
const RELAY_BACKOFF = { backoffBaseMs: 100, backoffCapMs: 2_000 } as const;

export const deliveryId = (i: Pick<RelayItem, 'jobId' | 'generation'>) => `${i.jobId}.${i.generation}`;

export interface RelayDeps {
  jobs: JobQueue;
  producer: Queue;
  /** the producer's connection, for the marker key */
  redis: Redis;
  markerKey: string;
  clock: Clock;
  events: Pick<DriverEvents, 'onJobsToRelay'>;
  random: () => number;
  holdMs: number;
  redeliverAfterMs: number;
  pollMs?: number;
  batch?: number;
}

export type RelayHealth = { ok: true } | { ok: false; reason: string; since: number };

export interface RelayStats {
  relayed: number;
  passes: number;
  /** times Redis was found empty and everything handed over was relayed again */
  redisLost: number;
}

export interface Relay {
  start(): void;
  /** Stop after the pass in progress. */
  stop(): Promise<void>;
  /** Run a pass now (`work --until-idle` while it waits for the database to empty). */
  wake(): void;
  readonly health: RelayHealth;
  readonly stats: RelayStats;
}

export function createRelay(deps: RelayDeps): Relay {
  const { jobs, producer, redis, markerKey, clock, events, random, holdMs, redeliverAfterMs } = deps;
  const pollMs = deps.pollMs ?? 250;
  const batch = deps.batch ?? 500;
  const stats: RelayStats = { relayed: 0, passes: 0, redisLost: 0 };
  let health: RelayHealth = { ok: true };
  let markerCheckedAt = -Infinity;
  let stopped = true;
  let stopping = new AbortController();
  let loop: Promise<void> | null = null;
  const unsubscribe: Array<() => unknown> = [];

  const wakes = createWakeSignal();
  const wake = wakes.wake;
  /** until a wake-up or `ms`; a timeout wakes too, so waiting never piles reactions on one promise */
  const pause = (ms: number) => {
    const timer = setTimeout(wake, ms);
    return wakes.next.then(() => clearTimeout(timer));
  };

  /** Redis restarted empty (or was flushed): what was handed to it is relayed again. */
  async function checkMarker(): Promise<void> {
    const now = performance.now();
    if (now - markerCheckedAt < pollMs) return;
    markerCheckedAt = now;
    const current = await redis.get(markerKey);
    if (current !== null) return;
    // first the database (a crash after this and before the marker only makes the next relay do it again)
    const lost = await jobs.relayLost(clock.now());
    await redis.set(markerKey, randomUUID(), 'NX');
    if (lost > 0) stats.redisLost++;
  }

  async function pass(): Promise<number> {
    await checkMarker();
    const now = clock.now();
    const items = await jobs.claimForRelay(now, batch, holdMs);
    if (items.length === 0) return 0;
    await producer.addBulk(
      items.map((i) => ({
        name: i.type,
        data: { jobId: i.jobId, generation: i.generation, orderId: i.orderId, runAt: i.runAt, createdAt: i.createdAt } satisfies DeliveryData,
        opts: {
          jobId: deliveryId(i),
          delay: Math.max(0, i.runAt - now),
          // the executor decides retries (domain/retry.ts), never BullMQ
          attempts: 1,
          removeOnComplete: { age: RETENTION_S },
          removeOnFail: { age: RETENTION_S },
        },
      })),
    );
    await jobs.markRelayed(items, clock.now(), redeliverAfterMs);
    stats.relayed += items.length;
    return items.length;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      const seen = wakes.next;
      try {
        stats.passes++;
        const n = await pass();
        failures = 0;
        if (!health.ok) health = { ok: true };
        if (n >= batch) continue;
      } catch (error) {
        failures++;
        if (health.ok) health = { ok: false, reason: troubleOf(error), since: clock.now() };
        // wake-ups do not cut a backoff short (under load they come hundreds a second); stopping does
        await wallSleep(backoffDelay(failures, RELAY_BACKOFF, random), stopping.signal);
        continue;
      }
      if (stopped) break;
      if (seen === wakes.next) await pause(pollMs);
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      stopping = new AbortController();
      unsubscribe.push(events.onJobsToRelay(wake));
      if (jobs.watch) {
        const watching = jobs.watch(wake).catch(() => null);
        unsubscribe.push(() => watching.then((stop) => stop?.()));
      }
      loop = run();
    },
    async stop() {
      stopped = true;
      stopping.abort();
      wake();
      await loop;
      for (const u of unsubscribe.splice(0)) await u();
    },
    wake,
    get health() {
      return health;
    },
    stats,
  };
}

/** Whose trouble a failed pass was: the database's (its adapters' errors say so) or else Redis's. */
function troubleOf(error: unknown): string {
  return error instanceof DatabaseError ? `database: ${error.fault}: ${error.message}` : redisTrouble(error);
}
