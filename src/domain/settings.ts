/**
 * How the reservation takes stock (docs/design.md §12.2), on either database:
 * - `pessimistic` (the default): lock the inventory row (`SELECT … FOR UPDATE`), check, decrement
 * - `optimistic`: read without a lock, `UPDATE … WHERE version = $v`; a lost race re-reads and
 *   retries (bounded, with jitter), each conflict counted
 * - `atomic`: one conditional `UPDATE … SET on_hand = on_hand - $q WHERE on_hand >= $q RETURNING`
 * On SQLite every strategy is correct and serialised by the single writer.
 */
export const ReserveStrategy = { pessimistic: 'pessimistic', optimistic: 'optimistic', atomic: 'atomic' } as const;
export type ReserveStrategy = (typeof ReserveStrategy)[keyof typeof ReserveStrategy];
export const RESERVE_STRATEGIES = Object.values(ReserveStrategy) as readonly ReserveStrategy[];

/** The tunables of the flow (docs/design.md §4). Every duration is in milliseconds. */
export interface Settings {
  /** delay before each supplier status check */
  checkDelayMs: number;
  /** how many more checks a `delayed` answer may cause (2: checks at 15 s, 30 s, 45 s) */
  maxDelayedRetries: number;
  /** attempts a job gets for transient errors before it is dead-lettered */
  jobAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** per supplier HTTP call */
  supplierTimeoutMs: number;
  /** how long a claimed job stays owned by its runner before another may take it */
  leaseMs: number;
  /** jobs run at once by one runner */
  concurrency: number;
  reserveStrategy: ReserveStrategy;
  /**
   * how long a reservation holds its units before it expires and they are released (an
   * ExpireReservation job); null: reservations never expire. An order's own TTL wins over this.
   */
  reservationTtlMs: number | null;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  checkDelayMs: 15_000,
  maxDelayedRetries: 2,
  jobAttempts: 5,
  backoffBaseMs: 1_000,
  backoffCapMs: 60_000,
  supplierTimeoutMs: 5_000,
  leaseMs: 30_000,
  concurrency: 32,
  reserveStrategy: 'pessimistic',
  reservationTtlMs: null,
});

/**
 * Exponential backoff with "equal jitter": half the exponential delay is fixed, half is random,
 * so retries spread out but never come sooner than half the nominal delay.
 * `attempt` is the attempt that just failed (1 = the first run).
 */
export function backoffDelay(attempt: number, settings: Pick<Settings, 'backoffBaseMs' | 'backoffCapMs'>, random: () => number): number {
  const nominal = Math.min(settings.backoffCapMs, settings.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
