/**
 * The store port: orders, their timelines, inventory and its ledger. Every method is async, so a
 * server database can implement the same interface; the SQLite adapter runs each write as one
 * synchronous IMMEDIATE transaction, a PostgreSQL adapter as one transaction holding row locks.
 *
 * Planners (domain/plans.ts) are pure and synchronous: the adapter reads a snapshot under the
 * row lock, calls the planner, and applies the plan in the same transaction — together with the
 * jobs the plan enqueues (the outbox) and, for a running job, its settlement (ports/queue.ts).
 */
import type { TimelineEvent } from '../domain/events.js';
import type { InventoryItem, Movement } from '../domain/inventory.js';
import type { DatabaseFault } from '../domain/errors.js';
import type { Order, OrderStatus } from '../domain/order.js';
import type { Plan, Snapshot } from '../domain/plans.js';
import type { LineInput, LinesPlan, LinesSnapshot } from '../domain/lines.js';
import type { StoredResponse } from './idempotency.js';
import type { JobStep } from './queue.js';

/** What one committed plan changed, for the caller and for the event bus. */
export interface Applied {
  plan: Plan;
  order: Order;
  /** status before the plan, when it changed */
  from: OrderStatus | null;
  events: TimelineEvent[];
  /** ids of the jobs the plan enqueued */
  jobIds: string[];
}

/** A timeline event with its place in the log of every order's events. */
export interface LoggedEvent extends TimelineEvent {
  id: number;
}

export interface OrderPage {
  orders: Order[];
  nextCursor: number | null;
}

/**
 * The response to a write made under an Idempotency-Key (IdempotencyStore port), stored in the
 * write's own transaction: a crash can never leave an order or a restock whose key would do it a
 * second time. `respond` builds the response from what the write produced (`T`: the order, or the
 * inventory row after a restock). If the key's claim was lost meanwhile, the write is rolled back
 * (IdempotencyClaimLostError).
 */
export interface IdempotentResponse<T = Order> {
  key: string;
  fingerprint: string;
  respond(result: T): StoredResponse;
}

export interface OrderStore {
  /** Insert a `pending` order and apply the creation plan (its events and outbox jobs) atomically. */
  createOrder(sku: string, qty: number, now: number, planner: (order: Order) => Plan, idempotent?: IdempotentResponse): Promise<Applied>;
  /**
   * Lock the order (and its SKU's inventory row), call `planner` with the snapshot, apply its plan.
   * With `step`, the running job's lease is checked in the same transaction (LeaseLostError if
   * another runner owns it now) and the job is settled as the step says. With `idempotent` (a
   * cancel or fulfil over HTTP), the response is stored in the same transaction. A planner that
   * throws (OrderStateError: the order's state refuses) rolls everything back.
   */
  applyToOrder(orderId: number, now: number, planner: (s: Snapshot) => Plan, step?: JobStep, idempotent?: IdempotentResponse): Promise<Applied>;
  /**
   * Insert a multi-line order (docs/design.md §2.6): its parent row `pending`, one `pending` row per
   * line (each with its OrderCreated), and the parent's creation plan, atomically.
   */
  createOrderLines(lines: readonly LineInput[], now: number, planner: (order: Order) => Plan, idempotent?: IdempotentResponse): Promise<Applied>;
  /**
   * A multi-line order's change: lock the order, read its lines and their SKUs' stock in one global
   * order (by SKU: domain/lines.ts), call `planner`, apply the lines' plans and the order's, with
   * `step` and `idempotent` as in applyToOrder. `Applied.order` is the order; a line's events come
   * as the order's, with `line` in their data.
   */
  applyToLines(orderId: number, now: number, planner: (s: LinesSnapshot) => LinesPlan, step?: JobStep, idempotent?: IdempotentResponse): Promise<Applied>;
  /** A multi-line order's lines, by number (none for a one-line order). */
  getLines(orderId: number): Promise<Order[]>;
  getOrder(id: number): Promise<Order | null>;
  /** `lines`: a multi-line order's timeline, its lines' events with theirs (as the order's, `line` in their data) */
  getTimeline(orderId: number, opts?: { lines?: boolean }): Promise<TimelineEvent[]>;
  /** `order`: oldest first (ids ascending, the default) or newest first; the cursor continues in the same direction */
  listOrders(query: { status?: OrderStatus; limit?: number; cursor?: number; order?: 'oldest' | 'newest' }): Promise<OrderPage>;
  /** How many orders are in each status (every status present, 0 when none): one indexed count, not a page walk. */
  countOrders(): Promise<Record<OrderStatus, number>>;
  /**
   * Every order's events with an id above `afterId`, by id, at most `limit`: the log the figures of
   * `warehouse stats` and /metrics are folded from (app/stats.ts). Ids grow in commit order, so a
   * reader that remembers the last id it saw sees each event once.
   */
  readEvents(afterId: number, limit: number): Promise<LoggedEvent[]>;
}

export interface InventoryStore {
  /** A stock count: on-hand becomes `onHand`, via an `adjustment` movement of the difference. */
  setOnHand(sku: string, onHand: number, now: number): Promise<InventoryItem>;
  /** A restock: on-hand grows by `qty`, via a `restock` movement (and `idempotent`'s response stored with it). */
  addStock(sku: string, qty: number, now: number, idempotent?: IdempotentResponse<InventoryItem>): Promise<InventoryItem>;
  getInventory(sku: string): Promise<InventoryItem | null>;
  listInventory(): Promise<InventoryItem[]>;
  /**
   * A SKU's movements, oldest first (by id): all of them, or at most `limit` with an id above
   * `cursor` (the id of the last movement of the previous page).
   */
  listMovements(sku: string, page?: { limit?: number; cursor?: number }): Promise<Movement[]>;
}

export type DatabaseHealth = { ok: true } | { ok: false; fault: DatabaseFault; message: string };

/** One broken invariant (docs/design.md §6), with the ids involved. */
export interface Violation {
  rule: string;
  message: string;
  ids: { orderId?: number; sku?: string; movementId?: number };
}

export interface Store extends OrderStore, InventoryStore {
  /** Check every invariant of docs/design.md §6 on the stored data. */
  audit(): Promise<Violation[]>;
  /** a cheap query that proves the database answers */
  ping(): Promise<void>;
  /** Whether the database answers and takes writes; when not, whose fault and what to do. */
  health(): Promise<DatabaseHealth>;
  /** facts about the connection for operators and benchmarks (e.g. SQLite's journal mode and synchronous level) */
  info(): Promise<Record<string, string | number>>;
}
