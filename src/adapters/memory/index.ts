/**
 * The simulator's in-memory backend: the Store and JobQueue ports over plain maps, for a replay on
 * the virtual clock of one process (src/sim/runner.ts), which needs neither durability nor other
 * processes. It keeps what the SQLite adapter keeps, the same way (docs/decisions.md, "The
 * simulator's in-memory backend"):
 *
 * - ids from counters that never reuse a number (SQLite's AUTOINCREMENT), timelines and payloads
 *   held as JSON text and parsed when read, so a reader gets what a database would give it;
 * - a write is one transaction: its changes are undone when it throws (the planner refusing, a
 *   lost lease), and writes asked for in one turn of the event loop are applied together in the
 *   next one, in the order asked, as the SQLite connection's group commit does (the order in which
 *   a replay's concurrent jobs see each other's changes is the same); a read answers at once;
 * - jobs are claimed in due order (run time, then id), queued or running under an expired lease,
 *   from a heap instead of the `jobs_due` index;
 * - a multi-line order is a parent row and a row per line (docs/design.md §2.6), its lines locked
 *   and written in SKU order, their events told as the order's, as the SQLite adapter does.
 *
 * What only a database does is refused with a message: Idempotency-Key records and API tokens (the
 * HTTP API's), the relay to an external queue, `audit` (the simulator's `--break` variants run on
 * SQLite), backups. test/sim/transports.test.ts replays every scenario of the library on both
 * backends and compares the outcomes.
 */
import { randomBytes } from 'node:crypto';
import { DatabaseError, LeaseLostError, NotFoundError } from '../../domain/errors.js';
import type { EventData, TimelineEvent } from '../../domain/events.js';
import { adjustmentFor, type InventoryItem, type Movement } from '../../domain/inventory.js';
import type { Job, JobHeaders, JobType, PlannedJob } from '../../domain/jobs.js';
import { assertNever, countsByStatus, ORDER_STATUSES, type Order } from '../../domain/order.js';
import { flatPlan, inLockOrder, type LineInput, type LineSnapshot, type LinesPlan, parentSku } from '../../domain/lines.js';
import { applyOrderChange, type Plan, type Snapshot } from '../../domain/plans.js';
import type { ReserveStrategy } from '../../domain/settings.js';
import type { Backend } from '../../ports/database.js';
import type { ClaimedJob, DeadLetter, JobInfo, JobQueue, JobStep } from '../../ports/queue.js';
import type { Applied, LoggedEvent, Store } from '../../ports/store.js';

export interface MemoryBackendOptions {
  jobAttempts: number;
  reserveStrategy: ReserveStrategy;
  /** the identity instanceId() answers (default: a random one, as a new database's migration makes) */
  instanceId?: string;
}

interface EventRow {
  id: number;
  orderId: number;
  at: number;
  type: string;
  data: string;
}

interface StockRow {
  sku: string;
  onHand: number;
  version: number;
  updatedAt: number;
}

interface JobRow {
  id: number;
  type: JobType;
  orderId: number;
  payload: string;
  status: 'queued' | 'running' | 'parked';
  runAt: number;
  attempts: number;
  failures: number;
  maxAttempts: number;
  lockedBy: string | null;
  lockedUntil: number | null;
  lastError: string | null;
  parkedReason: string | null;
  headers: string;
  createdAt: number;
}

interface DeadRow {
  id: number;
  jobId: number;
  type: JobType;
  orderId: number;
  payload: string;
  attempts: number;
  lastError: string;
  failedAt: number;
  retriedAt: number | null;
  headers: string;
}

/** A min-heap of queued jobs by (runAt, id); entries of jobs no longer queued at that time are skipped when met. */
class DueHeap {
  private readonly items: Array<{ runAt: number; id: number }> = [];
  private static less(a: { runAt: number; id: number }, b: { runAt: number; id: number }) {
    return a.runAt < b.runAt || (a.runAt === b.runAt && a.id < b.id);
  }
  get size() {
    return this.items.length;
  }
  peek() {
    return this.items[0];
  }
  push(item: { runAt: number; id: number }) {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!DueHeap.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && DueHeap.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && DueHeap.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

const unsupported = (what: string) => new Error(`${what} is not kept by the simulator's in-memory backend (a database keeps it: run with --db)`);

const NO_HEADERS = '{}';
const MOVEMENT_TYPES: ReadonlyArray<Movement['type']> = ['reservation', 'restock', 'adjustment', 'release'];

function parseHeaders(text: string): JobHeaders {
  if (text === NO_HEADERS) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

const toJob = (r: JobRow): Job => ({
  id: String(r.id),
  type: r.type,
  orderId: r.orderId,
  payload: JSON.parse(r.payload) as Job['payload'],
  runAt: r.runAt,
  attempt: r.failures + 1,
});

const toEvent = (r: EventRow): TimelineEvent => ({
  orderId: r.orderId,
  at: r.at,
  type: r.type as TimelineEvent['type'],
  data: JSON.parse(r.data) as EventData,
});

const conflict = (sku: string) =>
  new DatabaseError(`the inventory row of ${sku} changed under the reservation; it will run again`, undefined, { fault: 'conflict' });

export function openMemoryBackend(opts: MemoryBackendOptions): Backend {
  const orders = new Map<number, Order>();
  /** a multi-line order's lines (their ids, by number) */
  const linesByParent = new Map<number, number[]>();
  const stock = new Map<string, StockRow>();
  const movements: Movement[] = [];
  const movementsBySku = new Map<string, Movement[]>();
  /** (order, movement type) pairs taken: the unique index movements_order_type */
  const movementKeys = new Set<number>();
  const events: EventRow[] = [];
  const eventsByOrder = new Map<number, EventRow[]>();
  const jobs = new Map<number, JobRow>();
  const jobsByOrder = new Map<number, Set<number>>();
  const running = new Set<number>();
  const due = new DueHeap();
  const dead: DeadRow[] = [];
  const seq = { order: 0, event: 0, movement: 0, job: 0, dead: 0 };
  const instance = opts.instanceId ?? randomBytes(16).toString('hex');
  let closed = false;

  // ---- transactions: an undo log, and group commit's timing ----

  let undo: Array<() => void> | null = null;
  const onUndo = (fn: () => void) => undo?.push(fn);
  function transaction<T>(fn: () => T): T {
    if (closed) throw new DatabaseError('the in-memory database is closed');
    const log: Array<() => void> = [];
    undo = log;
    try {
      return fn();
    } catch (error) {
      for (let i = log.length - 1; i >= 0; i--) log[i]!();
      throw error;
    } finally {
      undo = null;
    }
  }
  let batch: Array<{ fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  const flush = () => {
    const items = batch;
    batch = [];
    for (const item of items) {
      try {
        item.resolve(transaction(item.fn));
      } catch (error) {
        item.reject(error);
      }
    }
  };
  /** applied in the next turn of the event loop with the others asked for in this one (the SQLite connection's group commit) */
  const write = <T>(fn: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (batch.length === 0) setImmediate(flush);
      batch.push({ fn, resolve: resolve as (v: unknown) => void, reject });
    });
  /** a write of its own (a claim), applied at once */
  const writeAlone = async <T>(fn: () => T): Promise<T> => transaction(fn);
  const read = async <T>(fn: () => T): Promise<T> => {
    if (closed) throw new DatabaseError('the in-memory database is closed');
    return fn();
  };

  // ---- rows ----

  function setOrder(next: Order) {
    const before = orders.get(next.id);
    orders.set(next.id, next);
    onUndo(() => (before ? orders.set(next.id, before) : orders.delete(next.id)));
  }

  function insertEvents(orderId: number, now: number, planned: Plan['events']): TimelineEvent[] {
    return planned.map((e) => {
      const row: EventRow = { id: ++seq.event, orderId, at: now, type: e.type, data: JSON.stringify(e.data) };
      events.push(row);
      let list = eventsByOrder.get(orderId);
      if (!list) eventsByOrder.set(orderId, (list = []));
      list.push(row);
      onUndo(() => {
        events.pop();
        eventsByOrder.get(orderId)!.pop();
        seq.event--;
      });
      return { orderId, at: now, type: e.type, data: e.data };
    });
  }

  function setStock(sku: string, row: StockRow) {
    if (row.onHand < 0) throw new Error('CHECK constraint failed: inventory_on_hand_not_negative');
    const before = stock.get(sku);
    stock.set(sku, row);
    onUndo(() => (before ? stock.set(sku, before) : stock.delete(sku)));
  }

  function insertMovement(m: Omit<Movement, 'id'>) {
    if (m.onHandAfter < 0) throw new Error('CHECK constraint failed: movements_on_hand_after_not_negative');
    const key = m.orderId === null ? null : m.orderId * 8 + MOVEMENT_TYPES.indexOf(m.type);
    if (key !== null && movementKeys.has(key)) throw new Error('UNIQUE constraint failed: movements.order_id, movements.type');
    const row: Movement = { id: ++seq.movement, ...m };
    movements.push(row);
    let list = movementsBySku.get(m.sku);
    if (!list) movementsBySku.set(m.sku, (list = []));
    list.push(row);
    if (key !== null) movementKeys.add(key);
    onUndo(() => {
      movements.pop();
      movementsBySku.get(m.sku)!.pop();
      if (key !== null) movementKeys.delete(key);
      seq.movement--;
    });
  }

  function putJob(row: JobRow) {
    const before = jobs.get(row.id);
    jobs.set(row.id, row);
    if (row.status === 'running') running.add(row.id);
    else running.delete(row.id);
    // a job that becomes queued (or is queued at another time) gets its place in due order
    if (row.status === 'queued' && (before?.status !== 'queued' || before.runAt !== row.runAt)) due.push({ runAt: row.runAt, id: row.id });
    let ofOrder = jobsByOrder.get(row.orderId);
    if (!ofOrder) jobsByOrder.set(row.orderId, (ofOrder = new Set()));
    ofOrder.add(row.id);
    onUndo(() => {
      if (before) {
        jobs.set(row.id, before);
        if (before.status === 'running') running.add(row.id);
        else running.delete(row.id);
        if (before.status === 'queued') due.push({ runAt: before.runAt, id: before.id });
      } else {
        jobs.delete(row.id);
        running.delete(row.id);
        forget(row.orderId, row.id);
      }
    });
  }

  function deleteJob(id: number) {
    const before = jobs.get(id);
    if (!before) return;
    jobs.delete(id);
    running.delete(id);
    forget(before.orderId, id);
    onUndo(() => {
      jobs.set(id, before);
      if (before.status === 'running') running.add(id);
      if (before.status === 'queued') due.push({ runAt: before.runAt, id });
      let ofOrder = jobsByOrder.get(before.orderId);
      if (!ofOrder) jobsByOrder.set(before.orderId, (ofOrder = new Set()));
      ofOrder.add(id);
    });
  }

  /** a job gone from its order's set (an order with no job left has none: 100,000 settled orders keep no empty sets) */
  function forget(orderId: number, id: number) {
    const ofOrder = jobsByOrder.get(orderId);
    ofOrder?.delete(id);
    if (ofOrder?.size === 0) jobsByOrder.delete(orderId);
  }

  function enqueue(orderId: number, planned: PlannedJob[], now: number): string[] {
    return planned.map((j) => {
      const id = ++seq.job;
      onUndo(() => seq.job--);
      putJob({
        id,
        type: j.type,
        orderId,
        payload: JSON.stringify(j.payload ?? {}),
        status: 'queued',
        runAt: j.runAt,
        attempts: 0,
        failures: 0,
        maxAttempts: opts.jobAttempts,
        lockedBy: null,
        lockedUntil: null,
        lastError: null,
        parkedReason: null,
        headers: j.headers && Object.keys(j.headers).length > 0 ? JSON.stringify(j.headers) : NO_HEADERS,
        createdAt: now,
      });
      return String(id);
    });
  }

  function settle(step: JobStep, plan: Plan, now: number): void {
    const job = jobs.get(Number(step.lease.jobId));
    if (!job || job.status !== 'running' || job.lockedBy !== step.lease.token) throw new LeaseLostError(step.lease.jobId);
    const s = typeof step.settle === 'function' ? step.settle(plan) : step.settle;
    switch (s.kind) {
      case 'keep':
        return;
      case 'complete':
        deleteJob(job.id);
        return;
      case 'retry':
        putJob({
          ...job,
          status: 'queued',
          runAt: s.runAt,
          lockedBy: null,
          lockedUntil: null,
          lastError: s.error,
          failures: job.failures + (s.counted ? 1 : 0),
        });
        return;
      case 'dead': {
        const row: DeadRow = {
          id: ++seq.dead,
          jobId: job.id,
          type: job.type,
          orderId: job.orderId,
          payload: job.payload,
          attempts: job.failures + 1,
          lastError: s.error,
          failedAt: now,
          retriedAt: null,
          headers: job.headers,
        };
        dead.push(row);
        onUndo(() => {
          dead.pop();
          seq.dead--;
        });
        deleteJob(job.id);
        return;
      }
      case 'park':
        putJob({ ...job, status: 'parked', lockedBy: null, lockedUntil: null, parkedReason: s.reason, lastError: s.reason });
        return;
      default:
        assertNever(s, 'job settlement');
    }
  }

  /** a new order row as the database gives it back: a one-line order, a multi-line order's parent, or one of its lines */
  function insertOrderRow(sku: string, qty: number, now: number, line: { lineCount: number; parentId: number | null; lineNo: number | null }): Order {
    const order: Order = {
      id: ++seq.order,
      sku,
      qty,
      status: 'pending',
      supplierRef: null,
      supplierChecks: 0,
      failureReason: null,
      createdAt: now,
      updatedAt: now,
      ...line,
    };
    onUndo(() => seq.order--);
    setOrder(order);
    if (line.parentId !== null) {
      let of = linesByParent.get(line.parentId);
      if (!of) linesByParent.set(line.parentId, (of = []));
      of.push(order.id);
      onUndo(() => linesByParent.get(line.parentId!)!.pop());
    }
    return { ...order };
  }
  const ONE_LINE = { lineCount: 0, parentId: null, lineNo: null };

  /** a multi-line order's lines, by number */
  const linesOf = (parentId: number): Order[] => (linesByParent.get(parentId) ?? []).map((id) => ({ ...orders.get(id)! }));

  /** the columns an order row has: what a database keeps of a planned change */
  function storeChange(before: Order, after: Order) {
    setOrder({
      ...before,
      status: after.status,
      supplierRef: after.supplierRef,
      supplierChecks: after.supplierChecks,
      failureReason: after.failureReason,
      updatedAt: after.updatedAt,
    });
  }

  /** the jobs of an order of these types that no runner holds; with `line`, only those whose payload names that line (0: the order's own) */
  function dropJobs(orderId: number, type: JobType, line?: number) {
    for (const id of [...(jobsByOrder.get(orderId) ?? [])]) {
      const job = jobs.get(id)!;
      if (job.type !== type || job.status === 'running') continue;
      if (line !== undefined) {
        const named = (JSON.parse(job.payload) as { line?: unknown }).line;
        if ((typeof named === 'number' ? named : 0) !== line) continue;
      }
      deleteJob(id);
    }
  }

  function loadOrder(id: number): Order {
    const order = orders.get(id);
    if (!order) throw new NotFoundError('order', id);
    return order;
  }

  function supplierAsked(orderId: number): Snapshot['supplierAsked'] {
    const first = eventsByOrder.get(orderId)?.find((e) => e.type === 'SupplierReservationRequested');
    if (!first) return null;
    const key = (JSON.parse(first.data) as { key?: unknown }).key;
    return { key: typeof key === 'string' ? key : null };
  }

  /** A stock count or restock: one signed change of on-hand and its movement. Creates the row at 0. */
  function move(sku: string, type: Movement['type'], qty: number, now: number) {
    const row = stock.get(sku) ?? { sku, onHand: 0, version: 0, updatedAt: now };
    const onHandAfter = row.onHand + qty;
    setStock(sku, { ...row, onHand: onHandAfter, version: row.version + 1, updatedAt: now });
    insertMovement({ sku, type, qty, orderId: null, onHandAfter, at: now });
  }

  function reserveMove(sku: string, type: Movement['type'], qty: number, orderId: number, now: number) {
    const row = stock.get(sku) ?? { sku, onHand: 0, version: 0, updatedAt: now };
    const onHandAfter = row.onHand + qty;
    // one writer: the row cannot have changed since it was read; the atomic statement's refusal stays
    if (opts.reserveStrategy === 'atomic' && onHandAfter < 0) throw conflict(sku);
    setStock(sku, { ...row, onHand: onHandAfter, version: row.version + 1, updatedAt: now });
    insertMovement({ sku, type, qty, orderId, onHandAfter, at: now });
  }

  function applyPlan(order: Order, plan: Plan, now: number, step?: JobStep): Applied {
    if (step) settle(step, plan, now);
    for (const type of plan.dropJobs ?? []) dropJobs(order.id, type);
    const { after, from } = applyOrderChange(order, plan.order, now);
    if (after) storeChange(order, after);
    for (const m of plan.movements) reserveMove(order.sku, m.type, m.qty, order.id, now);
    const timeline = insertEvents(order.id, now, plan.events);
    const jobIds = enqueue(order.id, plan.jobs, now);
    return { plan, order: after ?? order, from, events: timeline, jobIds };
  }

  /**
   * A multi-line order's plan (domain/lines.ts), as the SQLite adapter applies it: the lines'
   * changes in lock order (by SKU), each line's events on its own row told as the order's (with
   * `line`), every job on the order; then the parent's change.
   */
  function applyLinesPlan(parent: Order, lines: LineSnapshot[], lp: LinesPlan, now: number, step?: JobStep): Applied {
    const flat = flatPlan(lp);
    if (step) settle(step, flat, now);
    const events: TimelineEvent[] = [];
    const jobIds: string[] = [];
    const linesAfter = new Map(lines.map((l) => [l.lineNo, l.order]));
    for (const l of lines) {
      const p = lp.lines.get(l.lineNo);
      if (!p) continue;
      const line = l.order;
      for (const type of p.dropJobs ?? []) dropJobs(parent.id, type, l.lineNo);
      const { after } = applyOrderChange(line, p.order, now);
      if (after) {
        storeChange(line, after);
        linesAfter.set(l.lineNo, after);
      }
      for (const m of p.movements) reserveMove(line.sku, m.type, m.qty, line.id, now);
      const tagged = p.events.map((e) => ({ ...e, data: { ...e.data, line: l.lineNo } }));
      for (const e of insertEvents(line.id, now, tagged)) events.push({ ...e, orderId: parent.id });
      jobIds.push(...enqueue(parent.id, p.jobs, now));
    }
    for (const type of lp.order.dropJobs ?? []) dropJobs(parent.id, type, 0);
    const { after, from } = applyOrderChange(parent, lp.order.order, now);
    if (after) storeChange(parent, after);
    events.push(...insertEvents(parent.id, now, lp.order.events));
    jobIds.push(...enqueue(parent.id, lp.order.jobs, now));
    const byNumber = [...linesAfter.entries()].sort(([a], [b]) => a - b).map(([, o]) => o);
    return { plan: flat, order: { ...(after ?? parent), lines: byNumber }, from, events, jobIds };
  }

  const reservedOf = (sku: string) => {
    let n = 0;
    for (const o of orders.values()) if (o.sku === sku && o.status === 'reserved') n += o.qty;
    return n;
  };
  const item = (row: StockRow): InventoryItem => ({
    sku: row.sku,
    onHand: row.onHand,
    reserved: reservedOf(row.sku),
    version: row.version,
    updatedAt: row.updatedAt,
  });
  const noIdempotency = (idempotent: unknown) => {
    if (idempotent) throw unsupported('an Idempotency-Key record');
  };

  const store: Store = {
    createOrderLines(lines: readonly LineInput[], now, planner, idempotent) {
      return write(() => {
        noIdempotency(idempotent);
        const total = lines.reduce((n, l) => n + l.qty, 0);
        const parent = insertOrderRow(parentSku(lines), total, now, { lineCount: lines.length, parentId: null, lineNo: null });
        const rows = lines.map((l, i) => insertOrderRow(l.sku, l.qty, now, { lineCount: 0, parentId: parent.id, lineNo: i + 1 }));
        const applied = applyPlan({ ...parent }, planner({ ...parent }), now);
        // each line's own creation (the one-line invariants hold for a line: docs/design.md §6)
        for (const row of rows) {
          const [e] = insertEvents(row.id, now, [{ type: 'OrderCreated', data: { sku: row.sku, qty: row.qty, line: row.lineNo, orderId: parent.id } }]);
          applied.events.push({ ...e!, orderId: parent.id });
        }
        applied.order = { ...applied.order, lines: rows };
        return applied;
      });
    },

    applyToLines(orderId, now, planner, step, idempotent) {
      return write(() => {
        noIdempotency(idempotent);
        const parent = { ...loadOrder(orderId) };
        const lines = inLockOrder(linesOf(parent.id)).map((order): LineSnapshot => {
          let asked: Snapshot['supplierAsked'] | undefined;
          return {
            order,
            lineNo: order.lineNo ?? 0,
            onHand: stock.get(order.sku)?.onHand ?? 0,
            get supplierAsked() {
              if (asked === undefined) asked = supplierAsked(order.id);
              return asked;
            },
          };
        });
        return applyLinesPlan(parent, lines, planner({ order: parent, lines }), now, step);
      });
    },

    getLines: (orderId) => read(() => linesOf(orderId)),

    createOrder(sku, qty, now, planner, idempotent) {
      return write(() => {
        noIdempotency(idempotent);
        const order = insertOrderRow(sku, qty, now, ONE_LINE);
        return applyPlan({ ...order }, planner({ ...order }), now);
      });
    },

    applyToOrder(orderId, now, planner, step, idempotent) {
      return write(() => {
        noIdempotency(idempotent);
        const order = { ...loadOrder(orderId) };
        const onHand = stock.get(order.sku)?.onHand ?? 0;
        let asked: Snapshot['supplierAsked'] | undefined;
        const snapshot: Snapshot = {
          order,
          onHand,
          get supplierAsked() {
            if (asked === undefined) asked = supplierAsked(orderId);
            return asked;
          },
        };
        return applyPlan(order, planner(snapshot), now, step);
      });
    },

    getOrder: (id) => read(() => (orders.has(id) ? { ...orders.get(id)! } : null)),

    getTimeline: (orderId, o) =>
      read(() => {
        if (!o?.lines) return (eventsByOrder.get(orderId) ?? []).map(toEvent);
        // a line's events, told as the order's, with the order's own, by id
        const rows = [orderId, ...(linesByParent.get(orderId) ?? [])].flatMap((id) => eventsByOrder.get(id) ?? []);
        return rows.sort((a, b) => a.id - b.id).map((r) => ({ ...toEvent(r), orderId }));
      }),

    readEvents: (afterId, limit) =>
      read(() => {
        // ids are 1, 2, 3… in the log's order: the first one after afterId is at index afterId
        const from = Math.max(0, afterId);
        return events.slice(from, from + Math.max(0, limit)).map((r): LoggedEvent => ({ id: r.id, ...toEvent(r) }));
      }),

    listOrders: ({ status, limit = 100, cursor, order = 'oldest' }) =>
      read(() => {
        let rows = [...orders.values()].filter(
          (o) =>
            (o.parentId ?? null) === null && (!status || o.status === status) && (cursor === undefined || (order === 'newest' ? o.id < cursor : o.id > cursor)),
        );
        if (order === 'newest') rows = rows.reverse();
        const page = rows.slice(0, limit).map((o) => ({ ...o }));
        return { orders: page, nextCursor: rows.length > limit ? page.at(-1)!.id : null };
      }),

    countOrders: () =>
      read(() => {
        const n = new Map<Order['status'], number>();
        // the lines of multi-line orders are not orders of their own
        for (const o of orders.values()) if ((o.parentId ?? null) === null) n.set(o.status, (n.get(o.status) ?? 0) + 1);
        return countsByStatus(ORDER_STATUSES.filter((s) => n.has(s)).map((s) => ({ status: s, n: n.get(s)! })));
      }),

    setOnHand(sku, onHand, now) {
      return write(() => {
        const row = stock.get(sku);
        const delta = adjustmentFor(row?.onHand ?? 0, onHand);
        if (delta !== 0) move(sku, 'adjustment', delta, now);
        else if (!row) setStock(sku, { sku, onHand: 0, version: 0, updatedAt: now });
        return item(stock.get(sku)!);
      });
    },

    addStock(sku, qty, now, idempotent) {
      return write(() => {
        noIdempotency(idempotent);
        move(sku, 'restock', qty, now);
        return item(stock.get(sku)!);
      });
    },

    getInventory: (sku) => read(() => (stock.has(sku) ? item(stock.get(sku)!) : null)),

    listInventory: () => read(() => [...stock.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)).map(item)),

    listMovements: (sku, { limit, cursor } = {}) =>
      read(() => {
        const rows = (movementsBySku.get(sku) ?? []).filter((m) => cursor === undefined || m.id > cursor).map((m) => ({ ...m }));
        return limit !== undefined ? rows.slice(0, Math.max(0, limit)) : rows;
      }),

    async audit() {
      throw unsupported('the audit of `warehouse check`');
    },
    health: async () => (closed ? { ok: false, fault: 'unavailable', message: 'the in-memory database is closed' } : { ok: true }),
    ping: () => read(() => undefined),
    info: () => read(() => ({ database: 'memory', orders: orders.size, events: events.length, jobs: jobs.size })),
  };

  // ---- the queue ----

  /** queued and due at `now` (by run time, then id), or running under a lease that ended by `now` */
  function dueJobs(now: number, limit: number): JobRow[] {
    const found: JobRow[] = [];
    const taken: Array<{ runAt: number; id: number }> = [];
    const seen = new Set<number>();
    while (found.length < limit && due.size > 0 && due.peek()!.runAt <= now) {
      const entry = due.pop()!;
      const job = jobs.get(entry.id);
      // a job no longer queued at that time, or met twice (a rolled-back write gave it its place again)
      if (!job || job.status !== 'queued' || job.runAt !== entry.runAt || seen.has(job.id)) continue;
      seen.add(job.id);
      found.push(job);
      taken.push(entry);
    }
    for (const id of running) {
      const job = jobs.get(id)!;
      if (job.runAt <= now && job.lockedUntil !== null && job.lockedUntil <= now) found.push(job);
    }
    found.sort((a, b) => a.runAt - b.runAt || a.id - b.id);
    if (found.length <= limit) return found;
    const claimed = found.slice(0, limit);
    // queued ones popped but not claimed (running ones came before them) keep their place
    const ids = new Set(claimed.map((j) => j.id));
    for (const entry of taken) if (!ids.has(entry.id)) due.push(entry);
    return claimed;
  }

  /** the earliest queued run time (stale heap entries dropped on the way) */
  function firstQueued(): number | null {
    while (due.size > 0) {
      const entry = due.peek()!;
      const job = jobs.get(entry.id);
      if (job && job.status === 'queued' && job.runAt === entry.runAt) return entry.runAt;
      due.pop();
    }
    return null;
  }

  const toInfo = (r: JobRow): JobInfo => ({
    ...toJob(r),
    state: r.status,
    runs: r.attempts,
    maxAttempts: r.maxAttempts,
    lockedBy: r.lockedBy,
    lockedUntil: r.lockedUntil,
    lastError: r.lastError,
    parkedReason: r.parkedReason,
    createdAt: r.createdAt,
  });

  const queue: JobQueue = {
    async claim(now, limit, workerId, leaseMs) {
      if (limit <= 0) return [];
      // as the SQLite queue: a read finds whether anything is due, then the claim is a write of its own
      const any = await read(() => {
        const first = firstQueued();
        if (first !== null && first <= now) return true;
        for (const id of running) {
          const job = jobs.get(id)!;
          if (job.runAt <= now && job.lockedUntil !== null && job.lockedUntil <= now) return true;
        }
        return false;
      });
      if (!any) return [];
      return writeAlone(() =>
        dueJobs(now, limit).map((row): ClaimedJob => {
          const runs = row.attempts + 1;
          const token = `${workerId}#${runs}`;
          putJob({ ...row, status: 'running', lockedBy: token, lockedUntil: now + leaseMs, attempts: runs });
          return { ...toJob(row), runs, lease: { jobId: String(row.id), token }, headers: parseHeaders(row.headers) };
        }),
      );
    },

    nextDueAt: () =>
      read(() => {
        let next = firstQueued();
        for (const id of running) {
          const until = jobs.get(id)!.lockedUntil;
          if (until !== null && (next === null || until < next)) next = until;
        }
        return next;
      }),

    list: () => read(() => [...jobs.values()].sort((a, b) => a.runAt - b.runAt || a.id - b.id).map(toInfo)),

    count: () =>
      read(() => {
        const n = { queued: 0, running: 0, parked: 0, dead: dead.filter((d) => d.retriedAt === null).length };
        for (const j of jobs.values()) n[j.status]++;
        return n;
      }),

    oldestDueAt: (now) =>
      read(() => {
        let oldest: number | null = null;
        for (const j of jobs.values()) if (j.status === 'queued' && j.runAt <= now && (oldest === null || j.runAt < oldest)) oldest = j.runAt;
        return oldest;
      }),

    listDeadLetters: (o = {}) =>
      read(() =>
        dead
          .filter((d) => o.includeRetried || d.retriedAt === null)
          .map(({ headers: _headers, ...d }): DeadLetter => ({ ...d, id: String(d.id), jobId: String(d.jobId), payload: JSON.parse(d.payload) as unknown })),
      ),

    retryDeadLetter(id, now) {
      return write(() => {
        const letter = /^\d+$/.test(id) ? dead.find((d) => d.id === Number(id)) : undefined;
        if (!letter) throw new NotFoundError('dead letter', id, 'see `warehouse jobs failed` for the ids');
        if (letter.retriedAt !== null) throw new NotFoundError('dead letter', id, 'it was already retried; see `warehouse jobs list`');
        const [jobId] = enqueue(
          letter.orderId,
          [{ type: letter.type, runAt: now, payload: JSON.parse(letter.payload), headers: parseHeaders(letter.headers) }],
          now,
        );
        letter.retriedAt = now;
        onUndo(() => (letter.retriedAt = null));
        const [event] = insertEvents(letter.orderId, now, [{ type: 'JobRetried', data: { deadLetterId: id, jobId, jobType: letter.type } }]);
        return { job: toJob(jobs.get(Number(jobId))!), event: event! };
      });
    },

    resumeParked(now, which = {}) {
      return write(() => {
        const rows = [...jobs.values()].filter(
          (r) =>
            r.status === 'parked' &&
            (which.jobId === undefined || r.id === (/^\d+$/.test(which.jobId) ? Number(which.jobId) : -1)) &&
            (which.reasonPrefix === undefined || (r.parkedReason ?? '').startsWith(which.reasonPrefix)),
        );
        for (const r of rows) putJob({ ...r, status: 'queued', runAt: now, parkedReason: null, attempts: 0 });
        return rows.map((r) => {
          const [event] = insertEvents(r.orderId, now, [{ type: 'JobResumed', data: { jobId: String(r.id), jobType: r.type, reason: r.parkedReason } }]);
          return { job: { ...toJob(r), runAt: now }, event: event! };
        });
      });
    },

    async claimForRelay() {
      throw unsupported('the relay to an external queue');
    },
    async markRelayed() {
      throw unsupported('the relay to an external queue');
    },
    async relayLost() {
      throw unsupported('the relay to an external queue');
    },
    async claimDelivery() {
      throw unsupported('the relay to an external queue');
    },
    instanceId: async () => instance,
  };

  return {
    name: 'memory',
    store,
    queue,
    idempotency: {
      begin: async () => {
        throw unsupported('an Idempotency-Key record');
      },
      release: async () => {
        throw unsupported('an Idempotency-Key record');
      },
      expire: async () => 0,
    },
    tokens: {
      create: async () => {
        throw unsupported('an API token');
      },
      list: async () => [],
      revoke: async () => false,
      hashes: async () => [],
      touch: async () => {},
    },
    backup: async () => {
      throw unsupported('a backup');
    },
    async close() {
      // writes already asked for are applied, as a database commits what it accepted
      if (batch.length > 0) flush();
      closed = true;
    },
  };
}
