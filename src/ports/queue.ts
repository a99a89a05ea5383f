/**
 * The job queue port. Jobs are enqueued by the transaction that creates the need for them (the
 * transactional outbox: see `Store.createOrder` / `Store.applyToOrder`, whose plans carry the jobs
 * to enqueue), claimed by a runner under a lease, and settled by the transaction that commits
 * their effect on the order (`Store.applyToOrder(…, step)`): a job's effect and its end are one
 * commit, so a crash between them cannot happen.
 *
 * Glossary:
 * - **lease**: a runner's proof that it owns a claimed job until `lockedUntil`; a lease that
 *   expires passes the job to the next claim. A settlement with a lease that is no longer the
 *   job's is refused (LeaseLostError) and its transaction rolled back.
 * - **attempt**: a run counted against the job's budget (`Settings.jobAttempts`): only runs that
 *   failed for the supplier's trouble count. A run cut short by a crash or by the database's
 *   trouble is run again with the same attempt number.
 * - **dead letter**: a job whose attempts ran out, kept for an operator (`jobs failed`, `jobs retry`).
 * - **parked**: a job that cannot proceed for a reason that is nobody's answer (a bug, or the
 *   database's trouble past a long bound). It stays the order's live job, is not claimed, and shows
 *   its reason; `resumeParked` puts it back (an operator, or the runner once the database is well).
 *
 * - **relay** (when an external queue delivers the jobs, e.g. BullMQ on Redis): the jobs table stays
 *   the outbox and the source of truth; a relay hands its rows to the external queue, and a worker
 *   that receives one takes the row's lease (`claimDelivery`) before running it, then settles it
 *   in the order's transaction as always. A row is done only when its job's effect commits.
 * - **generation**: one hand-off of a job to the external queue. A job gets a new generation when it
 *   needs a new delivery — after a retry settlement, when resumed, and when the generation handed
 *   over is presumed lost — so `<job id>.<generation>` names each delivery uniquely (the external
 *   queue's job id), while a relay that crashed between handing a generation over and marking it
 *   hands the *same* generation over again (the external queue drops the duplicate).
 *
 * Ids and lease tokens are opaque strings: each adapter chooses its own.
 */
import type { TimelineEvent } from '../domain/events.js';
import type { Job, JobHeaders, JobType } from '../domain/jobs.js';
import type { Plan } from '../domain/plans.js';

export interface Lease {
  readonly jobId: string;
  readonly token: string;
}

/** A job as a runner holds it: with its lease. */
export interface ClaimedJob<T extends JobType = JobType> extends Job<T> {
  readonly lease: Lease;
  /** runs started so far (claims since enqueued or resumed), this one included */
  readonly runs: number;
  /** the headers it was enqueued with (domain/jobs.ts, JobHeaders); absent or `{}` when none */
  readonly headers?: JobHeaders;
}

/** What the transaction that carries a job's effect does with the job itself. */
export type JobSettlement =
  /** an intermediate commit: the job keeps running (its lease is still checked) */
  | { kind: 'keep' }
  /** the job is done */
  | { kind: 'complete' }
  /** run it again at `runAt`; `counted`: this run spends an attempt (the supplier's trouble) */
  | { kind: 'retry'; runAt: number; error: string; counted: boolean }
  /** its attempts ran out: to the dead-letter store */
  | { kind: 'dead'; error: string }
  /** it cannot proceed for a reason an operator must see: parked, not claimed, until resumed */
  | { kind: 'park'; reason: string };

export interface JobStep {
  lease: Lease;
  /** what to do with the job; a function decides from the plan the transaction commits */
  settle: JobSettlement | ((plan: Plan) => JobSettlement);
}

export const JobState = { queued: 'queued', running: 'running', parked: 'parked' } as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

/** A job as the queue shows it to operators (`jobs list`, the dashboard). */
export interface JobInfo extends Job {
  state: JobState;
  /** runs started since it was enqueued or resumed (claims), whatever ended them */
  runs: number;
  maxAttempts: number;
  /** the runner holding it, while running */
  lockedBy: string | null;
  lockedUntil: number | null;
  lastError: string | null;
  /** why it is parked */
  parkedReason: string | null;
  createdAt: number;
}

/** A job whose attempts ran out, kept for `jobs failed` / `jobs retry`. */
export interface DeadLetter {
  id: string;
  jobId: string;
  type: JobType;
  orderId: number;
  payload: unknown;
  attempts: number;
  lastError: string;
  failedAt: number;
  retriedAt: number | null;
}

export interface JobCounts {
  /** queued, due now or later */
  queued: number;
  running: number;
  parked: number;
  /** dead letters not yet retried */
  dead: number;
}

/** One generation of a job, claimed by a relay to hand it to an external queue. */
export interface RelayItem {
  jobId: string;
  generation: number;
  type: JobType;
  orderId: number;
  /** when the job is due: the external queue delays it until then */
  runAt: number;
  createdAt: number;
}

/** What a worker may do with a delivery (a job id and generation received from an external queue). */
export type Delivery =
  /** the job's lease is this worker's now: run it */
  | { kind: 'claimed'; job: ClaimedJob }
  /** not claimable before `at` (not yet due, or another runner's lease runs until then): deliver it again then */
  | { kind: 'later'; at: number }
  /** nothing to run: the job is done (or dead), parked, or a newer generation carries it */
  | { kind: 'gone'; reason: 'done' | 'parked' | 'superseded' };

export interface JobQueue {
  /**
   * Claim up to `limit` jobs due at `now` (queued and due, or running with an expired lease),
   * oldest due first, then in enqueue order, each under a new lease of `leaseMs`.
   */
  claim(now: number, limit: number, workerId: string, leaseMs: number): Promise<ClaimedJob[]>;
  /** When the next job becomes claimable (a queued job's run time, or a running job's lease end). */
  nextDueAt(): Promise<number | null>;
  list(): Promise<JobInfo[]>;
  count(): Promise<JobCounts>;
  /** The run time of the queued job that has waited longest among those due at `now`; null when none is due (for /metrics, without reading every job). */
  oldestDueAt(now: number): Promise<number | null>;
  listDeadLetters(opts?: { includeRetried?: boolean }): Promise<DeadLetter[]>;
  /** Re-enqueue a dead job to run at `now`; records JobRetried on its order. */
  retryDeadLetter(id: string, now: number): Promise<{ job: Job; event: TimelineEvent }>;
  /**
   * Put parked jobs back on the queue to run at `now` (all of them, or those whose reason starts
   * with `reasonPrefix`, or the one with `jobId`); records JobResumed on each one's order.
   */
  resumeParked(now: number, which?: { jobId?: string; reasonPrefix?: string }): Promise<Array<{ job: Job; event: TimelineEvent }>>;

  // ---- the relay (external queues only; the in-database driver never calls these) ----

  /**
   * Claim up to `limit` jobs to hand to an external queue, oldest relay time first: jobs (queued
   * or running, never parked) whose relay time has come — new ones and re-queued ones at once, a
   * handed-over one when it was presumed lost (see markRelayed), a claimed one whose relay hold
   * ran out (its relay died before marking it). Each is held for `holdMs`, so other relays pass it
   * over meanwhile. A job whose last generation was marked relayed gets a new generation; one
   * that was claimed but never marked keeps its generation (the same external job id again).
   */
  claimForRelay(now: number, limit: number, holdMs: number): Promise<RelayItem[]>;
  /**
   * Record that these generations were handed over at `now`. A generation not claimed within
   * `redeliverAfterMs` after it became due (or after its lease ran out) is presumed lost by the
   * external queue and is relayed again (as a new generation). A generation no longer current
   * (the job was settled, retried or resumed meanwhile) is left alone.
   */
  markRelayed(items: ReadonlyArray<Pick<RelayItem, 'jobId' | 'generation'>>, now: number, redeliverAfterMs: number): Promise<void>;
  /** The external queue lost what it held (it restarted empty): every job handed over is relayed again at once. Returns how many. */
  relayLost(now: number): Promise<number>;
  /**
   * A worker received `jobId` (generation `generation`): take its lease if it is claimable now —
   * queued and due, or running under an expired lease — whatever the generation (the first
   * delivery to arrive runs it; later ones find it gone). A claimed job is relayed again if it is
   * still not settled `redeliverAfterMs` after its lease ends.
   */
  claimDelivery(jobId: string, generation: number, now: number, workerId: string, leaseMs: number, redeliverAfterMs: number): Promise<Delivery>;
  /** This database's own id (stable, random): the name of its queue on a shared external queue. */
  instanceId(): Promise<string>;
  /**
   * Optional: call `listener` whenever another process may have enqueued jobs (PostgreSQL:
   * LISTEN/NOTIFY). Adapters without it are polled. Resolves to a function that stops watching.
   */
  watch?(listener: () => void): Promise<() => Promise<void>>;
}
