/** The JSON shapes of docs/design.md §9, shared by the CLI's --json and the HTTP API. Times are ISO-8601. */
import type { TimelineEvent } from '../domain/events.js';
import type { InventoryItem, Movement } from '../domain/inventory.js';
import type { Job } from '../domain/jobs.js';
import type { DeadLetter, JobInfo } from '../ports/queue.js';
import type { Order } from '../domain/order.js';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** One line of a multi-line order: its number and its own state. */
export const lineJson = (l: Order) => ({
  /** the line's own order id: its movements and its supplier key name it */
  id: l.id,
  line: l.lineNo ?? 0,
  sku: l.sku,
  qty: l.qty,
  status: l.status,
  supplierRef: l.supplierRef,
  supplierChecks: l.supplierChecks,
  failureReason: l.failureReason,
  updatedAt: iso(l.updatedAt),
});

export const orderJson = (o: Order) => ({
  id: o.id,
  sku: o.sku,
  qty: o.qty,
  status: o.status,
  supplierRef: o.supplierRef,
  supplierChecks: o.supplierChecks,
  failureReason: o.failureReason,
  createdAt: iso(o.createdAt),
  updatedAt: iso(o.updatedAt),
  // a multi-line order (docs/design.md §2.6) adds its lines; a one-line order's shape is unchanged
  // (read with them: a list of orders shows a multi-line one without its lines, its sku `A+B`)
  ...(o.lineCount && o.lines ? { lines: o.lines.map(lineJson) } : {}),
});
export type OrderJson = ReturnType<typeof orderJson>;

/** Event data keeps its fields; the times in it (`nextCheckAt`, `retryAt`) are shown as ISO too. */
const dataJson = (data: TimelineEvent['data']) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, k.endsWith('At') && typeof v === 'number' ? iso(v) : v]));

export const eventJson = (e: TimelineEvent) => ({ at: iso(e.at), type: e.type, data: dataJson(e.data) });

export const orderWithTimelineJson = (o: Order & { events: TimelineEvent[] }) => ({ ...orderJson(o), events: o.events.map(eventJson) });

/**
 * A SKU's stock views (docs/design.md §2.4): on the shelves (`onHand`), held by reserved orders
 * (`reserved`), and free for a new order (`available`, the ledger's balance).
 */
export const inventoryJson = (i: InventoryItem) => ({
  sku: i.sku,
  onHand: i.onHand + i.reserved,
  reserved: i.reserved,
  available: i.onHand,
  version: i.version,
  updatedAt: iso(i.updatedAt),
});

export const movementJson = (m: Movement) => ({
  id: m.id,
  sku: m.sku,
  type: m.type,
  qty: m.qty,
  orderId: m.orderId,
  onHandAfter: m.onHandAfter,
  at: iso(m.at),
});

/** A queued job as operators see it. Ids are opaque strings (the queue's own). */
export const jobJson = (j: JobInfo) => ({
  id: j.id,
  type: j.type,
  orderId: j.orderId,
  payload: j.payload,
  state: j.state,
  runAt: iso(j.runAt),
  attempt: j.attempt,
  maxAttempts: j.maxAttempts,
  runs: j.runs,
  lockedBy: j.lockedBy,
  lockedUntil: isoOrNull(j.lockedUntil),
  lastError: j.lastError,
  parkedReason: j.parkedReason,
  createdAt: iso(j.createdAt),
});

/** A job as it was (re-)enqueued. */
export const enqueuedJobJson = (j: Job) => ({ id: j.id, type: j.type, orderId: j.orderId, payload: j.payload, runAt: iso(j.runAt), attempt: j.attempt });

export const deadLetterJson = (d: DeadLetter) => ({
  id: d.id,
  jobId: d.jobId,
  type: d.type,
  orderId: d.orderId,
  payload: d.payload,
  attempts: d.attempts,
  lastError: d.lastError,
  failedAt: iso(d.failedAt),
  retriedAt: isoOrNull(d.retriedAt),
});
