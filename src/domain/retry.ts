/**
 * What happens to a job whose run failed: decided by whose trouble the failure is (errors.ts,
 * `Fault.owner`), never by its message. Written once here; the executor (app/executor.ts) only
 * carries the decision out.
 *
 * | owner       | decision                                                                     |
 * |-------------|------------------------------------------------------------------------------|
 * | supplier    | transient and attempts left: retry after backoff, spending an attempt;       |
 * |             | otherwise dead-letter (the order fails `supplier_unavailable`; a key         |
 * |             | conflict at once, and the order fails `supplier_key_conflict`)               |
 * | database    | retry after a database backoff, spending nothing; after PARK_AFTER_RUNS runs  |
 * |             | park it ("database: …"), resumed by the runner once the database is well     |
 * | bug         | retry a few times (BUG_RUNS), spending nothing; then park it ("bug: …")      |
 * | user        | cannot happen inside a job; treated as a bug                                 |
 * | concurrency | another runner owns the job now: this run's work is discarded, nothing to do |
 */
import type { Fault } from './errors.js';
import { FailureReason } from './order.js';
import { backoffDelay, type Settings } from './settings.js';

/** Runs (claims) after which a job that never finishes is parked, whatever stopped it. */
export const PARK_AFTER_RUNS = 50;
/** Runs a job failing with a bug gets before it is parked. */
export const BUG_RUNS = 3;
/** Backoff for the database's trouble: short first (a lock is usually brief), capped at 30 s. */
export const DATABASE_BACKOFF = { backoffBaseMs: 250, backoffCapMs: 30_000 } as const;

export type FailureDecision =
  | { kind: 'retry'; counted: boolean; delayMs: number }
  /** dead-lettered: the order (unless final) fails with `reason` */
  | { kind: 'dead'; reason: FailureReason }
  | { kind: 'park'; reason: string }
  | { kind: 'discard' };

export interface FailedRun {
  /** the attempt this run was (1 + supplier failures before it) */
  attempt: number;
  /** runs started so far, this one included */
  runs: number;
}

export function decideFailure(
  fault: Fault,
  run: FailedRun,
  settings: Pick<Settings, 'jobAttempts' | 'backoffBaseMs' | 'backoffCapMs'>,
  random: () => number,
): FailureDecision {
  switch (fault.owner) {
    case 'concurrency':
      return { kind: 'discard' };
    case 'supplier':
      if (fault.kind === 'supplier_key_conflict') return { kind: 'dead', reason: FailureReason.supplierKeyConflict };
      if (fault.retryable && run.attempt < settings.jobAttempts) {
        return { kind: 'retry', counted: true, delayMs: backoffDelay(run.attempt, settings, random) };
      }
      return { kind: 'dead', reason: FailureReason.supplierUnavailable };
    case 'database':
      if (run.runs >= PARK_AFTER_RUNS) return { kind: 'park', reason: `database: ${fault.kind}: ${fault.message}` };
      return { kind: 'retry', counted: false, delayMs: backoffDelay(run.runs, DATABASE_BACKOFF, random) };
    case 'user':
    case 'bug':
      if (run.runs >= BUG_RUNS) return { kind: 'park', reason: `bug: ${fault.kind}: ${fault.message}` };
      return { kind: 'retry', counted: false, delayMs: backoffDelay(run.runs, settings, random) };
  }
}

/** A job started this many times without finishing is parked before it runs again. */
export function crashLoopReason(runs: number): string | null {
  return runs > PARK_AFTER_RUNS ? `crashed: started ${runs - 1} times without finishing (each run was cut short)` : null;
}
