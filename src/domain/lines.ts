/**
 * Multi-line orders (docs/design.md §2.6): one order, several SKUs, all or nothing.
 *
 * A multi-line order is a parent order row (`lineCount` > 0, its SKU the lines' SKUs joined by `+`,
 * its qty their total) and one row per line, itself an order (`parentId`, `lineNo`) that moves
 * through the one-line state machine with the one-line planners (plans.ts, lifecycle.ts) — so the
 * ledger, the movements and the invariants of a line are those of a one-line order. Every job of
 * the order runs on the parent's id (a line's jobs carry `line` in their payload), so every change
 * of a multi-line order locks the parent first, then its lines' SKUs in one global order (sorted by
 * SKU): two orders over the same SKUs never wait for each other in a cycle.
 *
 * The planners here see the parent and every line under those locks and return a LinesPlan: a plan
 * per line that changes, and the parent's own. `settle` decides the parent from its lines:
 *
 * - a line failed → the order fails with that line's reason, and every other line is compensated
 *   as a cancel would (a reserved line's stock released, a line the supplier holds cancelled there
 *   with CancelSupplierReservation, a line not yet asked cancelled);
 * - every line reserved → the order is reserved (and its expiry, if any, is the order's);
 * - a line awaiting the supplier → the order is `awaiting_restock`;
 * - a cancelling order whose lines are all final → cancelled.
 */
import { OrderStateError } from './errors.js';
import { ev, plan, type Plan, type Snapshot, skip, planReserveFromStock } from './plans.js';
import { JobType, type PlannedJob } from './jobs.js';
import { planCancel, planExpire, planFulfil } from './lifecycle.js';
import { isFinal, type Order, OrderStatus } from './order.js';

/** One line of a multi-line order as it is asked for. */
export interface LineInput {
  sku: string;
  qty: number;
}

/** A line under the lock: the one-line snapshot of the line's own order row, and its number. */
export interface LineSnapshot extends Snapshot {
  lineNo: number;
}

/** The parent and its lines, the lines sorted by SKU (the order their stock is locked in). */
export interface LinesSnapshot {
  order: Order;
  lines: LineSnapshot[];
}

export interface LinesPlan {
  outcome: string;
  /** the parent's own plan: its change, events and jobs (its movements are always none) */
  order: Plan;
  /** the plans of the lines that change, by line number */
  lines: Map<number, Plan>;
}

/**
 * The order a transaction locks a multi-line order's SKUs in: `sku` (always, in the product), or
 * `request` (the lines' order as asked: only to show, in a test, the deadlock the global order avoids).
 */
export type LineLockOrder = 'sku' | 'request';

/** Lines in the order their stock is locked and written (docs/design.md §2.6). */
export function inLockOrder<T extends { sku: string; lineNo?: number | null }>(lines: readonly T[], order: LineLockOrder = 'sku'): T[] {
  const byLine = [...lines].sort((a, b) => (a.lineNo ?? 0) - (b.lineNo ?? 0));
  return order === 'request' ? byLine : byLine.sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

/** A LinesPlan as one Plan (for the job's settlement and the caller): its outcome, every event and job. */
export function flatPlan(lp: LinesPlan): Plan {
  const lines = [...lp.lines.values()];
  return plan(lp.outcome, {
    order: lp.order.order,
    events: [...lines.flatMap((p) => p.events), ...lp.order.events],
    jobs: [...lines.flatMap((p) => p.jobs), ...lp.order.jobs],
  });
}

/** The creation of a multi-line order: OrderCreated and its first job, the stock step of every line (planLinesStock). */
export function planCreateLines(lines: readonly LineInput[], now: number, reservationTtlMs?: number | null): Plan {
  const ttl = reservationTtlMs == null ? {} : { reservationTtlMs };
  const qty = lines.reduce((n, l) => n + l.qty, 0);
  return plan('created', {
    events: [ev('OrderCreated', { sku: parentSku(lines), qty, lines: lines.map((l) => ({ sku: l.sku, qty: l.qty })), ...ttl })],
    jobs: [{ type: JobType.ReserveInventory, runAt: now, payload: { lines: lines.length, ...ttl } }],
  });
}

/** The SKU a parent order row shows: its lines' SKUs, in the order asked. */
export const parentSku = (lines: readonly LineInput[]): string => lines.map((l) => l.sku).join('+');

/** A line's job: on the parent's id, its line number (and the order's TTL, carried) in the payload. */
function lineJob(job: PlannedJob, lineNo: number, ttlMs: number | null): PlannedJob {
  return { ...job, payload: { ...(job.payload as object), line: lineNo, ...(ttlMs == null ? {} : { reservationTtlMs: ttlMs }) } };
}

/** The status a line has once `p` (if any) is applied. */
function after(l: LineSnapshot, p: Plan | undefined): Order {
  return p?.order ? ({ ...l.order, ...p.order } as Order) : l.order;
}

/** Two plans of one line in one transaction, in turn (the second made on the first's result). */
function merge(a: Plan, b: Plan): Plan {
  return {
    outcome: a.outcome,
    order: a.order || b.order ? { ...a.order, ...b.order } : undefined,
    movements: [...a.movements, ...b.movements],
    events: [...a.events, ...b.events],
    jobs: [...a.jobs, ...b.jobs],
    dropJobs: [...(a.dropJobs ?? []), ...(b.dropJobs ?? [])],
  };
}

/**
 * The parent decided from its lines once `linePlans` and `parentPlan` apply (see the header), and
 * the compensation of the other lines when a line (or the order) failed.
 */
export function settle(s: LinesSnapshot, linePlans: Map<number, Plan>, parentPlan: Plan, ctx: { now: number; ttlMs: number | null }): LinesPlan {
  const lines = new Map(linePlans);
  let parent = parentPlan;
  const status = () => parent.order?.status ?? s.order.status;
  const lineAfter = (l: LineSnapshot) => after(l, lines.get(l.lineNo));
  const open = () => status() === OrderStatus.pending || status() === OrderStatus.awaitingRestock;

  const failedLine = s.lines
    .filter((l) => lineAfter(l).status === OrderStatus.failed)
    .sort((a, b) => a.lineNo - b.lineNo)
    .find((l) => l.order.status !== OrderStatus.failed || open());
  if (open() && failedLine) {
    const reason = lineAfter(failedLine).failureReason!;
    parent = merge(parent, {
      ...plan(`failed:${reason}`),
      order: { status: OrderStatus.failed, failureReason: reason },
      events: [ev('OrderFailed', { reason, failedLine: failedLine.lineNo, sku: failedLine.order.sku })],
    });
  }
  if (status() === OrderStatus.failed) {
    // compensation: each line still holding (or about to hold) something is cancelled as a cancel would
    for (const l of s.lines) {
      const now = lineAfter(l);
      if (isFinal(now.status) || now.status === OrderStatus.cancelling) continue;
      const undo = planCancel({ ...l, order: now, onHand: l.onHand + sumQty(lines.get(l.lineNo)) }, ctx.now);
      const withEvent = { ...undo, events: [ev('LineCompensated', { from: now.status }), ...undo.events] };
      lines.set(l.lineNo, lines.has(l.lineNo) ? merge(lines.get(l.lineNo)!, withEvent) : withEvent);
    }
  } else if (open() && s.lines.every((l) => lineAfter(l).status === OrderStatus.reserved)) {
    const expiresAt = ctx.ttlMs == null ? null : ctx.now + ctx.ttlMs;
    parent = merge(parent, {
      ...plan('reserved'),
      order: { status: OrderStatus.reserved },
      events: [ev('OrderReserved', { lines: s.lines.length, ...(expiresAt === null ? {} : { expiresAt }) })],
      jobs: expiresAt === null ? [] : [{ type: JobType.ExpireReservation, runAt: expiresAt, payload: { lines: s.lines.length } }],
    });
  } else if (status() === OrderStatus.pending && s.lines.some((l) => lineAfter(l).status === OrderStatus.awaitingRestock)) {
    parent = merge(parent, { ...plan('awaiting-restock'), order: { status: OrderStatus.awaitingRestock } });
  } else if (status() === OrderStatus.cancelling && s.lines.every((l) => isFinal(lineAfter(l).status))) {
    parent = merge(parent, { ...plan('cancelled'), order: { status: OrderStatus.cancelled }, events: [ev('OrderCancelled', { from: 'cancelling' })] });
  }
  // a line's jobs run on the parent's id
  for (const [n, p] of lines) lines.set(n, { ...p, jobs: p.jobs.map((j) => lineJob(j, n, ctx.ttlMs)) });
  const outcome = parentPlan.outcome !== 'lines' ? parentPlan.outcome : (parent.outcome ?? 'lines');
  return { outcome, order: parent, lines };
}

/** the units a line's plan moved (so a compensation planned after it sees the on-hand it left) */
const sumQty = (p: Plan | undefined) => (p ? p.movements.reduce((n, m) => n + m.qty, 0) : 0);

const lineOf = (s: LinesSnapshot, lineNo: number): LineSnapshot => {
  const l = s.lines.find((x) => x.lineNo === lineNo);
  if (!l) throw new Error(`order ${s.order.id} has no line ${lineNo}`);
  return l;
};

/**
 * ReserveInventory of the whole order (its first job): every line whose SKU has the stock is
 * reserved from it, in one transaction; each line short of stock gets its own ReserveInventory job,
 * which asks the supplier as a one-line order would.
 */
export function planLinesStock(s: LinesSnapshot, attempt: number, ctx: { now: number; ttlMs: number | null }): LinesPlan {
  if (s.order.status !== OrderStatus.pending) return { outcome: `skipped:${s.order.status}`, order: skip(s.order.status), lines: new Map() };
  const lines = new Map<number, Plan>();
  for (const l of s.lines) {
    if (l.order.status !== OrderStatus.pending || l.supplierAsked !== null) continue;
    if (l.onHand >= l.order.qty) lines.set(l.lineNo, planReserveFromStock(l, attempt));
    else
      lines.set(
        l.lineNo,
        plan('short', {
          events: [ev('LineShort', { qty: l.order.qty, onHand: l.onHand })],
          jobs: [{ type: JobType.ReserveInventory, runAt: ctx.now, payload: {} }],
        }),
      );
  }
  const short = [...lines.values()].filter((p) => p.outcome === 'short').length;
  return settle(s, lines, plan(short === 0 ? 'lines' : `lines:${short}-short`), ctx);
}

/** One line's step (a job of that line): the one-line planner on the line, then the order settled. */
export function planLineStep(s: LinesSnapshot, lineNo: number, step: (l: LineSnapshot) => Plan, ctx: { now: number; ttlMs: number | null }): LinesPlan {
  const l = lineOf(s, lineNo);
  const p = step(l);
  const settled = settle(s, new Map([[lineNo, p]]), plan('lines'), ctx);
  // the caller (a job) branches on the line's own outcome
  return { ...settled, outcome: p.outcome };
}

const NO_TTL = { now: 0, ttlMs: null };

/** Cancel (docs/design.md §2.5) of every line; the order `cancelled` when all are final, else `cancelling`. */
export function planLinesCancel(s: LinesSnapshot, now: number): LinesPlan {
  const { order } = s;
  if (isFinal(order.status)) throw new OrderStateError(order.id, order.status, 'cancel', `a ${order.status} order is final`);
  if (order.status === OrderStatus.cancelling) return { outcome: 'skipped:cancelling', order: skip('cancelling'), lines: new Map() };
  const lines = new Map<number, Plan>();
  for (const l of s.lines) {
    if (isFinal(l.order.status) || l.order.status === OrderStatus.cancelling) continue;
    lines.set(l.lineNo, planCancel(l, now));
  }
  const done = s.lines.every((l) => isFinal(after(l, lines.get(l.lineNo)).status));
  const parent = done
    ? plan('cancelled', {
        order: { status: OrderStatus.cancelled },
        events: [ev('OrderCancelled', { from: order.status })],
        dropJobs: [JobType.ReserveInventory, JobType.ExpireReservation],
      })
    : plan('cancelling', {
        order: { status: OrderStatus.cancelling },
        events: [ev('CancelRequested', { from: order.status })],
        dropJobs: [JobType.ReserveInventory],
      });
  return settle(s, lines, parent, { now, ttlMs: null });
}

/** Fulfil a reserved order: every line fulfilled, the order with them. */
export function planLinesFulfil(s: LinesSnapshot): LinesPlan {
  const { order } = s;
  if (order.status !== OrderStatus.reserved) {
    const why = isFinal(order.status) ? `a ${order.status} order is final` : 'only a reserved order can be fulfilled; it holds no stock yet';
    throw new OrderStateError(order.id, order.status, 'fulfil', why);
  }
  const lines = new Map(s.lines.map((l) => [l.lineNo, planFulfil(l)] as const));
  const parent = plan('fulfilled', {
    order: { status: OrderStatus.fulfilled },
    events: [ev('OrderFulfilled', { qty: order.qty, lines: s.lines.length })],
    dropJobs: [JobType.ExpireReservation],
  });
  return { outcome: 'fulfilled', order: parent, lines };
}

/** ExpireReservation of the order: every line's stock released, the order expired. */
export function planLinesExpire(s: LinesSnapshot): LinesPlan {
  if (s.order.status !== OrderStatus.reserved) return { outcome: `skipped:${s.order.status}`, order: skip(s.order.status), lines: new Map() };
  const lines = new Map(s.lines.map((l) => [l.lineNo, planExpire(l)] as const));
  return { outcome: 'expired', order: plan('expired', { order: { status: OrderStatus.expired }, events: [ev('OrderExpired', {})] }), lines };
}

/** A plan for the parent alone (a note, a dead letter of the order's own job), then the order settled. */
export function planParent(s: LinesSnapshot, p: Plan, now: number): LinesPlan {
  return settle(s, new Map(), p, { now, ttlMs: null });
}

export { NO_TTL as NO_RESERVATION_TTL };
