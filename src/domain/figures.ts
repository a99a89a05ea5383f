/**
 * The reservation figures (docs/design.md §14) folded from the log of timeline events: pure, so the
 * same fold runs on the server's thread (app/stats.ts, PostgreSQL and in-memory databases) and on a
 * worker thread of the SQLite adapter (adapters/sqlite/figures-thread.ts), which reads the file
 * itself so that folding a large log never holds the server's event loop.
 * - reservation success rate by source: reserved / final, for orders served from stock and for
 *   orders that went to the supplier (every failure is a supplier one);
 * - time spent `awaiting_restock` (supplier accepted → final), as a histogram;
 * - supplier answers by call and kind (`delayed` among them), transient failures by kind;
 * - job retries by job type, owner and reason; jobs dead-lettered by type;
 * - lock conflicts per reservation strategy: the optimistic strategy's lost races, recorded by the
 *   adapter as `InventoryConflict` in the transaction that finally commits (each one was retried;
 *   a reservation that gave up is a job retry of the database's, reason `conflict`).
 * The log is append-only: a fold that remembers the last event id carries on where it stopped. On a
 * server database ids are handed out before commit, so an event may commit after one with a higher
 * id: each catch-up reads again the last LOOKBACK ids and the fold skips those it has already seen.
 */
import type { TimelineEvent } from './events.js';

/** the events that count orders: a line's (`line` in its data) are left to its order's */
const ORDER_LEVEL = new Set(['OrderCreated', 'OrderReserved', 'OrderFailed', 'OrderCancelled', 'OrderExpired', 'OrderFulfilled']);

/** A timeline event with its place in the log (ids grow; the fold reads them in id order). */
export type FoldedEvent = TimelineEvent & { id: number };

export type Source = 'stock' | 'supplier';
export const SOURCES: readonly Source[] = ['stock', 'supplier'];

/** Upper bounds (seconds) of the awaiting_restock histogram: around the 15 s supplier checks. */
export const AWAITING_BUCKETS = [1, 5, 15, 30, 45, 60, 120, 300, 900, 3600] as const;

export interface RetryCount {
  jobType: string;
  /** whose trouble: supplier (an attempt spent), database, bug, … */
  owner: string;
  /** what went wrong: http_error, timeout, network, malformed, busy, … */
  reason: string;
  count: number;
}

export interface Figures {
  ordersCreated: number;
  /** final orders by source and status */
  settled: Record<Source, { reserved: number; failed: number }>;
  /** failed orders by reason */
  failures: Record<string, number>;
  awaitingRestock: {
    count: number;
    sumSeconds: number;
    /** per bound of AWAITING_BUCKETS: how many took at most that long (cumulative, like Prometheus's) */
    buckets: number[];
    maxSeconds: number;
  };
  /** `reserve` (accepted, rejected, or a transient kind) and `status` (ok, fail, delayed, or a transient kind) */
  supplierAnswers: Array<{ call: 'reserve' | 'status'; answer: string; count: number }>;
  /** orders that heard `delayed` at least once, and how many `delayed` answers in all */
  delays: { orders: number; answers: number };
  retries: RetryCount[];
  deadLettered: Record<string, number>;
  /** lock conflicts (each retried) per reservation strategy */
  lockConflicts: Record<string, number>;
  /** the order's life after the reservation (docs/design.md §2.5): orders cancelled, expired and fulfilled */
  lifecycle: { cancelled: number; expired: number; fulfilled: number };
  /**
   * compensations: at the supplier, cancels answered `cancelled` or `too_late` and cancel calls that
   * failed (retried); and the lines of multi-line orders undone because another line failed (§2.6)
   */
  compensations: { cancelled: number; tooLate: number; failedCalls: number; linesUndone: number };
}

interface OpenOrder {
  asked: boolean;
  acceptedAt: number | null;
  delayed: boolean;
}

/** How many ids back a catch-up reads again, for events that committed after a higher id. */
export const LOOKBACK = 1_000;

/** Folds events into Figures, incrementally: feed it the log in id order, from the start. */
export class EventFold {
  lastId = 0;
  /** ids folded within LOOKBACK of lastId: a late event is folded once */
  private readonly seen = new Set<number>();
  private readonly open = new Map<number, OpenOrder>();
  private readonly answers = new Map<string, number>();
  private readonly retryCounts = new Map<string, number>();
  readonly figures: Figures = {
    ordersCreated: 0,
    settled: { stock: { reserved: 0, failed: 0 }, supplier: { reserved: 0, failed: 0 } },
    failures: {},
    awaitingRestock: { count: 0, sumSeconds: 0, buckets: AWAITING_BUCKETS.map(() => 0), maxSeconds: 0 },
    supplierAnswers: [],
    delays: { orders: 0, answers: 0 },
    retries: [],
    deadLettered: {},
    lockConflicts: {},
    lifecycle: { cancelled: 0, expired: 0, fulfilled: 0 },
    compensations: { cancelled: 0, tooLate: 0, failedCalls: 0, linesUndone: 0 },
  };

  private order(id: number): OpenOrder {
    let o = this.open.get(id);
    if (!o) this.open.set(id, (o = { asked: false, acceptedAt: null, delayed: false }));
    return o;
  }

  private answer(call: 'reserve' | 'status', answer: string): void {
    const key = `${call}\u0000${answer}`;
    this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
  }

  apply(events: FoldedEvent[]): void {
    const f = this.figures;
    for (const e of events) {
      if (this.seen.has(e.id)) continue;
      this.seen.add(e.id);
      this.lastId = Math.max(this.lastId, e.id);
      const d = e.data;
      // a line of a multi-line order is not an order of its own (docs/design.md §2.6): its order's
      // events count it; its supplier calls count as calls
      if (d.line !== undefined && ORDER_LEVEL.has(e.type)) continue;
      switch (e.type) {
        case 'OrderCreated':
          f.ordersCreated++;
          this.order(e.orderId);
          break;
        case 'SupplierReservationRequested':
          this.order(e.orderId).asked = true;
          break;
        case 'SupplierReservationAccepted':
          this.order(e.orderId).acceptedAt = e.at;
          this.answer('reserve', 'accepted');
          break;
        case 'SupplierReservationRejected':
          this.answer('reserve', 'rejected');
          break;
        case 'SupplierStatusChecked': {
          const status = String(d.status);
          this.answer('status', status);
          if (status === 'delayed') {
            f.delays.answers++;
            const o = this.order(e.orderId);
            if (!o.delayed) f.delays.orders++;
            o.delayed = true;
          }
          break;
        }
        case 'SupplierCallFailed':
          this.answer(d.jobType === 'CheckSupplierStatus' ? 'status' : 'reserve', String(d.kind));
          this.retry(d);
          break;
        case 'JobDeferred':
          this.retry(d);
          break;
        case 'InventoryConflict': {
          const strategy = String(d.strategy);
          f.lockConflicts[strategy] = (f.lockConflicts[strategy] ?? 0) + (Number(d.conflicts) || 0);
          break;
        }
        case 'JobDeadLettered': {
          const type = String(d.jobType);
          f.deadLettered[type] = (f.deadLettered[type] ?? 0) + 1;
          break;
        }
        case 'OrderReserved':
        case 'OrderFailed':
          this.settle(e);
          break;
        case 'OrderCancelled':
          f.lifecycle.cancelled++;
          break;
        case 'OrderExpired':
          f.lifecycle.expired++;
          break;
        case 'OrderFulfilled':
          f.lifecycle.fulfilled++;
          break;
        case 'SupplierReservationCancelled':
          if (d.tooLate === true) f.compensations.tooLate++;
          else f.compensations.cancelled++;
          break;
        case 'LineCompensated':
          f.compensations.linesUndone++;
          break;
        case 'SupplierReservationCancelFailed':
          f.compensations.failedCalls++;
          this.retry(d);
          break;
        default:
          break;
      }
    }
    for (const id of this.seen) if (id <= this.lastId - LOOKBACK) this.seen.delete(id);
    f.supplierAnswers = [...this.answers].map(([key, count]) => {
      const [call, answer] = key.split('\u0000') as ['reserve' | 'status', string];
      return { call, answer, count };
    });
    f.retries = [...this.retryCounts].map(([key, count]) => {
      const [jobType, owner, reason] = key.split('\u0000') as [string, string, string];
      return { jobType, owner, reason, count };
    });
  }

  private retry(d: Record<string, unknown>): void {
    const key = [String(d.jobType), String(d.owner ?? 'supplier'), String(d.kind ?? 'unknown')].join('\u0000');
    this.retryCounts.set(key, (this.retryCounts.get(key) ?? 0) + 1);
  }

  private settle(e: FoldedEvent): void {
    const f = this.figures;
    const o = this.order(e.orderId);
    this.open.delete(e.orderId);
    // every failure is the supplier's (docs/design.md §2.1): an order that failed did go to the supplier
    const source: Source = o.asked || e.type === 'OrderFailed' ? 'supplier' : 'stock';
    if (e.type === 'OrderReserved') f.settled[source].reserved++;
    else {
      f.settled[source].failed++;
      const reason = String(e.data.reason);
      f.failures[reason] = (f.failures[reason] ?? 0) + 1;
    }
    if (o.acceptedAt !== null) {
      const seconds = Math.max(0, (e.at - o.acceptedAt) / 1000);
      const a = f.awaitingRestock;
      a.count++;
      a.sumSeconds += seconds;
      a.maxSeconds = Math.max(a.maxSeconds, seconds);
      AWAITING_BUCKETS.forEach((bound, i) => {
        if (seconds <= bound) a.buckets[i]!++;
      });
    }
  }
}

const rate = (reserved: number, failed: number) => (reserved + failed === 0 ? null : reserved / (reserved + failed));

export function successRates(f: Figures): Record<Source | 'all', number | null> {
  const all = SOURCES.reduce((n, s) => ({ reserved: n.reserved + f.settled[s].reserved, failed: n.failed + f.settled[s].failed }), { reserved: 0, failed: 0 });
  return {
    stock: rate(f.settled.stock.reserved, f.settled.stock.failed),
    supplier: rate(f.settled.supplier.reserved, f.settled.supplier.failed),
    all: rate(all.reserved, all.failed),
  };
}
