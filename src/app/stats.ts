/**
 * `warehouse stats` and the database figures of /metrics: the reservation figures folded from the
 * event log (domain/figures.ts) and the queue now (depth by state, dead letters not yet retried,
 * age of the oldest due job), computed from the database alone, so that `warehouse stats` works
 * without a running server and /metrics counts every process's work.
 */
import { EventFold, LOOKBACK, successRates, type Figures, type Source } from '../domain/figures.js';
import type { Clock } from '../ports/clock.js';
import type { FiguresReader } from '../ports/figures.js';
import type { JobQueue } from '../ports/queue.js';
import type { Store } from '../ports/store.js';

export interface QueueFigures {
  queued: number;
  running: number;
  parked: number;
  /** dead letters not yet retried */
  deadLetters: number;
  /** seconds since the oldest queued job became due; 0 when none is due */
  oldestDueAgeSeconds: number;
}

export interface Stats extends Figures {
  /** reserved / final per source, and for all orders; null when none of them is final yet */
  successRate: Record<Source | 'all', number | null>;
  queue: QueueFigures;
  at: number;
}

/** The queue's figures now: two small aggregates, never every job (1,000 live jobs took 30–50 ms to list). */
export async function queueFigures(queue: JobQueue, now: number): Promise<QueueFigures> {
  const [counts, oldest] = await Promise.all([queue.count(), queue.oldestDueAt(now)]);
  return {
    queued: counts.queued,
    running: counts.running,
    parked: counts.parked,
    deadLetters: counts.dead,
    oldestDueAgeSeconds: oldest === null ? 0 : (now - oldest) / 1000,
  };
}

/** events per read: about 10 ms of reading and folding each on a laptop, so a catch-up of 800,000 events never holds the loop long (docs/performance.md) */
const PAGE = 1_000;

/** Lets the event loop run what waits (I/O, timers) before going on. */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Carries `fold` on to the end of the log, a page at a time (other work runs between pages). */
export async function catchUp(fold: EventFold, store: Pick<Store, 'readEvents'>): Promise<void> {
  let from = Math.max(0, fold.lastId - LOOKBACK);
  for (;;) {
    const events = await store.readEvents(from, PAGE);
    fold.apply(events);
    if (events.length < PAGE) return;
    from = events.at(-1)!.id;
    // a synchronous database answers in a microtask: let other requests run between pages
    await yieldToLoop();
  }
}

export interface StatsService {
  /** Every figure, from the whole log and the queue now. */
  read(): Promise<Stats>;
}

export function createStatsService({ store, queue, clock }: { store: Store; queue: JobQueue; clock: Clock }): StatsService {
  return {
    async read() {
      const fold = new EventFold();
      await catchUp(fold, store);
      const now = clock.now();
      return { ...fold.figures, successRate: successRates(fold.figures), queue: await queueFigures(queue, now), at: now };
    },
  };
}

/**
 * The figures on this thread: one fold kept for the reader's life, carried on at each read (a page
 * at a time, yielding between pages). For databases the server's thread reads anyway (PostgreSQL,
 * in-memory SQLite); a SQLite file folds on a worker thread (adapters/sqlite/figures-thread.ts).
 */
export function foldOnThisThread(store: Pick<Store, 'readEvents'>): FiguresReader {
  const fold = new EventFold();
  return {
    async read() {
      await catchUp(fold, store);
      return fold.figures;
    },
    async close() {},
  };
}
