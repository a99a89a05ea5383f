/**
 * Jobs are durable rows, claimed by a runner under a lease, run at-least-once. Handlers make
 * their effects exactly-once by acting only from the state they expect (see plans.ts).
 */
export const JobType = {
  ReserveInventory: 'ReserveInventory',
  CheckSupplierStatus: 'CheckSupplierStatus',
} as const;
export type JobType = (typeof JobType)[keyof typeof JobType];

export interface JobPayloads {
  ReserveInventory: Record<string, never>;
  /** `check` is the number this check will have (1 for the first) */
  CheckSupplierStatus: { check: number };
}

export const JobStatus = { queued: 'queued', running: 'running' } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export interface Job<T extends JobType = JobType> {
  id: number;
  type: T;
  orderId: number;
  payload: JobPayloads[T];
  status: JobStatus;
  runAt: number;
  /** runs started so far, this one included once claimed */
  attempts: number;
  maxAttempts: number;
  lockedBy: string | null;
  lockedUntil: number | null;
  lastError: string | null;
  createdAt: number;
}

/** A job that ran out of attempts (or failed for good), kept for `jobs failed` / `jobs retry`. */
export interface DeadLetter {
  id: number;
  jobId: number;
  type: JobType;
  orderId: number;
  payload: unknown;
  attempts: number;
  lastError: string;
  failedAt: number;
  retriedAt: number | null;
}

export interface PlannedJob {
  type: JobType;
  runAt: number;
  payload: unknown;
}
