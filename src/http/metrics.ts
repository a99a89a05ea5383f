/**
 * Prometheus metrics on a per-server Registry (never prom-client's global one, so several
 * servers can live in one process). Two kinds (docs/http.md lists them all):
 * - **this process**, counted from the engine's bus as things happen: HTTP requests, job runs
 *   and their durations; the process itself (CPU, memory, event-loop lag);
 * - **the database**, read at scrape time so that they include every process's work on it: the
 *   reservation figures (app/stats.ts: orders, reservation outcomes and success rate by source, time
 *   in awaiting_restock, supplier answers, job retries, dead letters, lock conflicts per
 *   strategy) folded incrementally from
 *   the event log (a FiguresReader: on a worker thread for a SQLite file), and the queue's depth
 *   and oldest due job. A scrape reads the events added since the last one, once for all the
 *   metrics of that scrape.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { Bus } from '../app/bus.js';
import { queueFigures, type QueueFigures } from '../app/stats.js';
import { AWAITING_BUCKETS, EventFold, successRates, type Figures } from '../domain/figures.js';
import type { Clock } from '../ports/clock.js';
import type { FiguresReader } from '../ports/figures.js';
import type { JobQueue } from '../ports/queue.js';

export interface Metrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** stop listening to the bus */
  dispose(): void;
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** for a histogram's _bucket, _sum and _count lines */
  metricName?: string;
}

export function createMetrics({ bus, queue, figures, clock }: { bus: Bus; queue: JobQueue; figures: FiguresReader; clock: Clock }): Metrics {
  const registry = new Registry();
  const registers = [registry];

  // ---- this process
  const requests = new Histogram({
    name: 'warehouse_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const jobs = new Counter({
    name: 'warehouse_job_runs_total',
    help: 'job runs in this process by type and result',
    labelNames: ['type', 'result'],
    registers,
  });
  const durations = new Histogram({
    name: 'warehouse_job_duration_seconds',
    help: 'job run time in this process',
    labelNames: ['type'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  // the event loop's worst delay since the previous scrape (prom-client's default metrics have the
  // same gauge, but also gauges named _total, which promtool refuses)
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  new Gauge({
    name: 'nodejs_eventloop_lag_max_seconds',
    help: 'the longest event-loop delay since the previous scrape',
    registers,
    collect() {
      this.set(loop.max / 1e9);
      loop.reset();
    },
  });

  // ---- the database, at scrape time
  let f: Figures = new EventFold().figures;
  let queueNow: QueueFigures = { queued: 0, running: 0, parked: 0, deadLetters: 0, oldestDueAgeSeconds: 0 };
  let refreshing: Promise<void> | null = null;
  /** one read per scrape, shared by every metric of it */
  const refresh = () =>
    (refreshing ??= (async () => {
      f = await figures.read();
      queueNow = await queueFigures(queue, clock.now());
    })().finally(() => (refreshing = null)));

  /** A metric whose samples are computed from the database's figures when scraped. */
  function stored(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', samples: () => Sample[]): void {
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum',
      async get() {
        await refresh();
        return { name, help, type, aggregator: 'sum', values: samples() };
      },
      reset() {},
    };
    registry.registerMetric(metric as unknown as Metric);
  }
  stored('warehouse_orders_created_total', 'orders created (every process on the database)', 'counter', () => [{ value: f.ordersCreated }]);
  stored('warehouse_orders_settled_total', 'orders that reached a final status', 'counter', () =>
    (['reserved', 'failed'] as const).map((status) => ({ labels: { status }, value: f.settled.stock[status] + f.settled.supplier[status] })),
  );
  stored('warehouse_reservations_total', 'reservation outcomes: local (from stock), supplier (its delivery), failed (by reason)', 'counter', () => [
    { labels: { outcome: 'local', reason: '' }, value: f.settled.stock.reserved },
    { labels: { outcome: 'supplier', reason: '' }, value: f.settled.supplier.reserved },
    ...Object.entries(f.failures).map(([reason, value]) => ({ labels: { outcome: 'failed', reason }, value })),
  ]);
  stored('warehouse_reservation_success_ratio', 'reserved / final orders, by source (stock, supplier) and for all', 'gauge', () =>
    Object.entries(successRates(f))
      .filter((e): e is [string, number] => e[1] !== null)
      .map(([source, value]) => ({ labels: { source }, value })),
  );
  stored('warehouse_awaiting_restock_duration_seconds', 'time orders spent awaiting_restock (supplier accepted until final)', 'histogram', () => {
    const a = f.awaitingRestock;
    const name = 'warehouse_awaiting_restock_duration_seconds';
    return [
      ...AWAITING_BUCKETS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le: String(le) }, value: a.buckets[i]! })),
      { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: a.count },
      { metricName: `${name}_sum`, value: a.sumSeconds },
      { metricName: `${name}_count`, value: a.count },
    ];
  });
  stored(
    'warehouse_supplier_answers_total',
    'supplier answers by call and kind (accepted, rejected, ok, fail, delayed, or a transient kind: http_error, timeout, network, malformed)',
    'counter',
    () => f.supplierAnswers.map(({ call, answer, count }) => ({ labels: { call, answer }, value: count })),
  );
  stored('warehouse_supplier_delayed_orders_total', 'orders that heard a delayed answer at least once', 'counter', () => [{ value: f.delays.orders }]);
  stored('warehouse_job_retries_total', 'job runs rescheduled, by job type, whose trouble (owner) and what went wrong (reason)', 'counter', () =>
    f.retries.map(({ jobType, owner, reason, count }) => ({ labels: { type: jobType, owner, reason }, value: count })),
  );
  stored('warehouse_jobs_dead_lettered_total', 'jobs whose attempts ran out, by type', 'counter', () =>
    Object.entries(f.deadLettered).map(([type, value]) => ({ labels: { type }, value })),
  );
  stored('warehouse_lock_conflicts_total', 'lock conflicts (optimistic reservations that lost a race and ran again), by reservation strategy', 'counter', () =>
    Object.entries(f.lockConflicts).map(([strategy, value]) => ({ labels: { strategy }, value })),
  );
  stored(
    'warehouse_orders_ended_total',
    'orders that left reserved (or never got there) by a person or a timer: cancelled, expired, fulfilled',
    'counter',
    () => (['cancelled', 'expired', 'fulfilled'] as const).map((outcome) => ({ labels: { outcome }, value: f.lifecycle[outcome] })),
  );
  stored(
    'warehouse_compensations_total',
    'compensations: cancels at the supplier answered cancelled or too_late (the delivery booked to stock), cancel calls that failed and were retried, and lines of a multi-line order undone because another line failed',
    'counter',
    () => [
      { labels: { result: 'cancelled' }, value: f.compensations.cancelled },
      { labels: { result: 'too_late' }, value: f.compensations.tooLate },
      { labels: { result: 'call_failed' }, value: f.compensations.failedCalls },
      { labels: { result: 'line_undone' }, value: f.compensations.linesUndone },
    ],
  );
  stored('warehouse_dead_letters', 'dead-lettered jobs not yet retried', 'gauge', () => [{ value: queueNow.deadLetters }]);
  stored('warehouse_queue_depth', 'jobs in the queue by state (queued includes those scheduled for later)', 'gauge', () =>
    (['queued', 'running', 'parked'] as const).map((status) => ({ labels: { status }, value: queueNow[status] })),
  );
  stored('warehouse_queue_oldest_due_age_seconds', 'how long the oldest due job has waited to be claimed (0 when none is due)', 'gauge', () => [
    { value: queueNow.oldestDueAgeSeconds },
  ]);

  const offs = [
    bus.on('job:complete', ({ job, durationMs }) => {
      jobs.inc({ type: job.type, result: 'completed' });
      durations.observe({ type: job.type }, durationMs / 1000);
    }),
    bus.on('job:retry', ({ job, durationMs }) => {
      jobs.inc({ type: job.type, result: 'retried' });
      durations.observe({ type: job.type }, durationMs / 1000);
    }),
    bus.on('job:dead', ({ job, durationMs }) => {
      jobs.inc({ type: job.type, result: 'dead' });
      durations.observe({ type: job.type }, durationMs / 1000);
    }),
  ];

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.observe({ method, route, status: String(status) }, seconds);
    },
    dispose() {
      loop.disable();
      for (const off of offs) off();
    },
  };
}
