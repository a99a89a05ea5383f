/**
 * Jobs are the steps of the flow that run on a queue (docs/design.md §4), at-least-once. Handlers make
 * their effects exactly-once by acting only from the state they expect (see plans.ts).
 *
 * The domain knows what a job is for — its type, its order, its payload, when it is due and
 * which attempt this is — and nothing of how a queue stores, leases or delivers it (see
 * ports/queue.ts).
 */
export const JobType = {
  ReserveInventory: 'ReserveInventory',
  CheckSupplierStatus: 'CheckSupplierStatus',
  /** a reservation's time to live ran out: release it unless the order was fulfilled or cancelled */
  ExpireReservation: 'ExpireReservation',
  /** compensation: ask the supplier to cancel the reservation it holds for a cancelled order */
  CancelSupplierReservation: 'CancelSupplierReservation',
} as const;
export type JobType = (typeof JobType)[keyof typeof JobType];
export const JOB_TYPES = Object.values(JobType) as readonly JobType[];

/** The order's own reservation time to live, carried by the jobs that may reserve it (absent: the runner's setting). */
export interface TtlPayload {
  reservationTtlMs?: number;
}

export interface JobPayloads {
  ReserveInventory: TtlPayload;
  /** `check` is the number this check will have (1 for the first) */
  CheckSupplierStatus: { check: number } & TtlPayload;
  ExpireReservation: Record<string, never>;
  CancelSupplierReservation: Record<string, never>;
}

export interface Job<T extends JobType = JobType> {
  /** opaque: given by the queue */
  id: string;
  type: T;
  orderId: number;
  payload: JobPayloads[T];
  /** when it became (or becomes) due, epoch ms */
  runAt: number;
  /**
   * Which attempt this run is: 1 + the runs that failed for the supplier's trouble. Runs cut short
   * by a crash or by the database's trouble do not count (they are nobody's answer).
   */
  attempt: number;
}

/**
 * A job's message headers, like a message broker's: opaque to the domain, carried from the
 * transaction that enqueues the job to whichever process runs it. Today they hold the W3C trace
 * context (`traceparent`, `tracestate`, `warehouse-root`: see ports/tracing.ts); planners never set them.
 */
export type JobHeaders = Readonly<Record<string, string>>;

export interface PlannedJob {
  type: JobType;
  runAt: number;
  payload: unknown;
  /** filled by the app layer (app/tracing.ts) before the plan is applied, never by a planner */
  headers?: JobHeaders;
}
