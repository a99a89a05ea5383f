/**
 * The engine's spans (docs/design.md §14; docs/observability.md lists them), added around ports so that
 * the use cases and handlers stay as they are:
 * - `traceStore`: every write transaction of an order or of stock is a span (`tx <outcome>`, the
 *   plan's outcome) with the order's state changes and timeline events as span events; every job
 *   its plan enqueues gets a producer span (`create <JobType>`) and carries its context in the
 *   job's headers, stamped here, in the same transaction (the planners never see them).
 * - `traceJobOutcomes`: the consumer span of a job run (opened by the executor) learns how the
 *   run ended from the bus; lock conflicts reported on the bus are counted on the active span.
 * A transaction outside any span (a job claim, a poll) opens none: it would be a trace of its own.
 */
import type { PlannedJob } from '../domain/jobs.js';
import type { LinesPlan, LinesSnapshot } from '../domain/lines.js';
import type { Plan } from '../domain/plans.js';
import type { Applied, Store } from '../ports/store.js';
import type { Attributes, Span, Tracing } from '../ports/tracing.js';
import type { Bus } from './bus.js';

export interface TraceStoreOptions {
  /** `db.system.name`: sqlite, postgresql */
  system: string;
  /** `db.namespace`: the file or the database name */
  namespace: string;
  /** how the inventory row is reserved (`warehouse.reserve.strategy`), when known */
  strategy?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A timeline event's data as span attributes (`warehouse.event.<key>`). */
function eventAttributes(data: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (v !== null && v !== undefined) out[k] = JSON.stringify(v);
  }
  return out;
}

export function traceStore(store: Store, tracing: Tracing, opts: TraceStoreOptions): Store {
  const base = (operation: string): Attributes => ({
    'db.system.name': opts.system,
    'db.namespace': opts.namespace,
    'db.operation.name': operation,
    'warehouse.reserve.strategy': opts.strategy,
  });

  /**
   * The planner, bound to the caller's span (a batched commit may call it from another's turn),
   * with its jobs stamped: a producer span each, whose context the job's headers carry.
   */
  function stamping<A>(planner: (a: A) => Plan, producers: Span[]): (a: A) => Plan {
    return tracing.bind((a: A) => stampPlan(planner(a), again(producers)));
  }

  /**
   * The producers of this planner's earlier run, dropped unended (never exported): a store may
   * run a write's function again (the SQLite connection reruns a group-commit batch in which
   * another write threw), and only the last run's jobs, with their headers, are stored.
   */
  function again(producers: Span[]): Span[] {
    producers.length = 0;
    return producers;
  }

  /** The same for a multi-line order's plan: its lines' jobs in the order the store writes them (the snapshot's), then the order's. */
  function stampingLines(planner: (s: LinesSnapshot) => LinesPlan, producers: Span[]): (s: LinesSnapshot) => LinesPlan {
    return tracing.bind((s: LinesSnapshot) => {
      again(producers);
      const lp = planner(s);
      const lines = new Map(lp.lines);
      for (const l of s.lines) {
        const p = lines.get(l.lineNo);
        if (p) lines.set(l.lineNo, stampPlan(p, producers));
      }
      return { ...lp, lines, order: stampPlan(lp.order, producers) };
    });
  }

  function stampPlan(plan: Plan, producers: Span[]): Plan {
    if (plan.jobs.length === 0) return plan;
    const jobs = plan.jobs.map((job): PlannedJob => {
      const { span, headers } = tracing.produce(`create ${job.type}`, {
        'messaging.system': 'warehouse',
        'messaging.operation.type': 'create',
        'messaging.operation.name': 'create',
        'messaging.destination.name': job.type,
        'warehouse.job.run_at': iso(job.runAt),
      });
      producers.push(span);
      return { ...job, headers: { ...job.headers, ...headers } };
    });
    return { ...plan, jobs };
  }

  /** One write of an order in a span of its own; its changes become span events. */
  async function orderWrite(operation: string, orderId: number | undefined, write: (producers: Span[]) => Promise<Applied>): Promise<Applied> {
    if (!tracing.active()) return write([]);
    return tracing.inSpan(`tx ${operation}`, { kind: 'client', attributes: { ...base(operation), 'warehouse.order.id': orderId } }, async (span) => {
      const producers: Span[] = [];
      try {
        const applied = await write(producers);
        producers.forEach((p, i) => {
          p.setAttributes({ 'messaging.message.id': applied.jobIds[i], 'warehouse.order.id': applied.order.id });
          p.end();
        });
        span.rename(`tx ${applied.plan.outcome}`);
        span.setAttributes({
          'warehouse.order.id': applied.order.id,
          'warehouse.plan.outcome': applied.plan.outcome,
          'warehouse.order.status': applied.order.status,
        });
        // the events, then the state change they caused: the order every timeline of the product keeps (publish.ts)
        for (const e of applied.events) span.addEvent(e.type, eventAttributes(e.data), e.at);
        if (applied.from !== null) span.addEvent('order.transition', { from: applied.from, to: applied.order.status }, applied.order.updatedAt);
        return applied;
      } catch (error) {
        for (const p of producers) {
          p.fail(error);
          p.end();
        }
        throw error;
      }
    });
  }

  /** A write of stock, in a span when there is a trace to put it in. */
  const stockWrite = <T>(operation: string, sku: string, write: () => Promise<T>): Promise<T> =>
    tracing.active() ? tracing.inSpan(`tx ${operation}`, { kind: 'client', attributes: { ...base(operation), 'warehouse.sku': sku } }, write) : write();

  return {
    getOrder: (id) => store.getOrder(id),
    getTimeline: (orderId, o) => store.getTimeline(orderId, o),
    getLines: (orderId) => store.getLines(orderId),
    listOrders: (query) => store.listOrders(query),
    countOrders: () => store.countOrders(),
    readEvents: (afterId, limit) => store.readEvents(afterId, limit),
    getInventory: (sku) => store.getInventory(sku),
    listInventory: () => store.listInventory(),
    listMovements: (sku, page) => store.listMovements(sku, page),
    audit: () => store.audit(),
    ping: () => store.ping(),
    health: () => store.health(),
    info: () => store.info(),
    createOrder: (sku, qty, now, planner, idempotent) =>
      orderWrite('createOrder', undefined, (producers) => store.createOrder(sku, qty, now, stamping(planner, producers), idempotent)),
    applyToOrder: (orderId, now, planner, step, idempotent) =>
      orderWrite('applyToOrder', orderId, (producers) => store.applyToOrder(orderId, now, stamping(planner, producers), step, idempotent)),
    createOrderLines: (lines, now, planner, idempotent) =>
      orderWrite('createOrder', undefined, (producers) => store.createOrderLines(lines, now, stamping(planner, producers), idempotent)),
    applyToLines: (orderId, now, planner, step, idempotent) =>
      orderWrite('applyToLines', orderId, (producers) => store.applyToLines(orderId, now, stampingLines(planner, producers), step, idempotent)),
    setOnHand: (sku, onHand, now) => stockWrite('inventory set', sku, () => store.setOnHand(sku, onHand, now)),
    addStock: (sku, qty, now, idempotent) => stockWrite('inventory add', sku, () => store.addStock(sku, qty, now, idempotent)),
  };
}

/** Job outcomes and lock conflicts onto the active span (the job run's). Returns a function that stops it. */
export function traceJobOutcomes(bus: Bus, tracing: Tracing): () => void {
  const conflicts = new WeakMap<Span, number>();
  const on = (attributes: Attributes, error?: string) => {
    const span = tracing.active();
    if (!span) return;
    span.setAttributes(attributes);
    if (error !== undefined) span.fail(new Error(error));
  };
  const offs = [
    bus.on('job:complete', ({ outcome }) => on({ 'warehouse.job.outcome': outcome })),
    bus.on('job:retry', (r) =>
      on({ 'warehouse.job.outcome': r.counted ? 'retry' : 'deferred', 'warehouse.fault.owner': r.owner, 'warehouse.job.retry_at': iso(r.retryAt) }, r.error),
    ),
    bus.on('job:dead', (d) => on({ 'warehouse.job.outcome': 'dead-lettered' }, d.error)),
    bus.on('job:parked', (p) => on({ 'warehouse.job.outcome': 'parked', 'warehouse.job.parked_reason': p.reason }, p.reason)),
    bus.on('job:lost', () => on({ 'warehouse.job.outcome': 'lease-lost' })),
    bus.on('job:unsettled', (u) => on({ 'warehouse.job.outcome': 'unsettled', 'warehouse.fault.owner': u.owner }, u.error)),
    // the optimistic strategy's lost races, recorded with the commit that finally won (InventoryConflict)
    bus.on('order:event', (e) => {
      if (e.type !== 'InventoryConflict') return;
      const span = tracing.active();
      if (!span) return;
      const n = (conflicts.get(span) ?? 0) + (Number(e.data.conflicts) || 0);
      conflicts.set(span, n);
      span.setAttributes({ 'warehouse.lock.conflicts': n, 'warehouse.reserve.strategy': String(e.data.strategy) });
    }),
  ];
  return () => offs.forEach((off) => off());
}
