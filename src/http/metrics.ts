/**
 * Prometheus metrics on a per-server Registry (never prom-client's global one, so several
 * servers can live in one process). Counters follow the engine's bus events; the queue gauges
 * are read from the store at scrape time, so they include other processes' work on the same file.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Bus } from '../app/bus.js';
import type { JobQueue } from '../ports/queue.js';

export interface Metrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** stop listening to the bus */
  dispose(): void;
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics({ bus, queue }: { bus: Bus; queue: JobQueue }): Metrics {
  const registry = new Registry();
  // the process's own figures (CPU, memory, event-loop lag: nodejs_eventloop_lag_max_seconds is the
  // worst delay since the previous scrape), read at scrape time
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const registers = [registry];
  const requests = new Histogram({
    name: 'warehouse_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const created = new Counter({ name: 'warehouse_orders_created_total', help: 'orders created', registers });
  const settled = new Counter({ name: 'warehouse_orders_settled_total', help: 'orders that reached a final status', labelNames: ['status'], registers });
  const reservations = new Counter({
    name: 'warehouse_reservations_total',
    help: 'reservation outcomes: local (from stock), supplier (its delivery), failed (by reason)',
    labelNames: ['outcome', 'reason'],
    registers,
  });
  const supplier = new Counter({
    name: 'warehouse_supplier_answers_total',
    help: 'supplier answers by call and kind (accepted, rejected, ok, fail, delayed, or a transient error kind)',
    labelNames: ['call', 'answer'],
    registers,
  });
  const jobs = new Counter({ name: 'warehouse_job_runs_total', help: 'job runs by type and result', labelNames: ['type', 'result'], registers });
  const conflicts = new Counter({
    name: 'warehouse_inventory_conflicts_total',
    help: 'optimistic reservations that found the inventory row changed and ran again, by strategy (InventoryConflict events)',
    labelNames: ['strategy'],
    registers,
  });
  const retries = new Counter({ name: 'warehouse_job_retries_total', help: 'job runs rescheduled after a transient error', labelNames: ['type'], registers });
  const durations = new Histogram({ name: 'warehouse_job_duration_seconds', help: 'job run time', labelNames: ['type'], buckets: DURATION_BUCKETS, registers });
  new Gauge({
    name: 'warehouse_dead_letters',
    help: 'dead-lettered jobs not yet retried',
    registers,
    async collect() {
      this.set((await queue.count()).dead);
    },
  });
  new Gauge({
    name: 'warehouse_queue_depth',
    help: 'jobs in the queue by status (queued includes those scheduled for later)',
    labelNames: ['status'],
    registers,
    async collect() {
      const { queued, running, parked } = await queue.count();
      this.set({ status: 'queued' }, queued);
      this.set({ status: 'running' }, running);
      this.set({ status: 'parked' }, parked);
    },
  });

  const offs = [
    bus.on('order:event', (e) => {
      switch (e.type) {
        case 'OrderCreated':
          created.inc();
          break;
        case 'InventoryReserved':
          reservations.inc({ outcome: e.data.source === 'stock' ? 'local' : 'supplier', reason: '' });
          break;
        case 'OrderFailed':
          reservations.inc({ outcome: 'failed', reason: String(e.data.reason) });
          break;
        case 'SupplierReservationAccepted':
          supplier.inc({ call: 'reserve', answer: 'accepted' });
          break;
        case 'SupplierReservationRejected':
          supplier.inc({ call: 'reserve', answer: 'rejected' });
          break;
        case 'SupplierStatusChecked':
          supplier.inc({ call: 'status', answer: String(e.data.status) });
          break;
        case 'InventoryConflict':
          conflicts.inc({ strategy: String(e.data.strategy) }, Number(e.data.conflicts) || 0);
          break;
        case 'SupplierCallFailed':
          supplier.inc({ call: e.data.jobType === 'CheckSupplierStatus' ? 'status' : 'reserve', answer: String(e.data.kind) });
          break;
        default:
          break;
      }
    }),
    bus.on('order:transition', (t) => {
      if (t.to === 'reserved' || t.to === 'failed') settled.inc({ status: t.to });
    }),
    bus.on('job:complete', ({ job, durationMs }) => {
      jobs.inc({ type: job.type, result: 'completed' });
      durations.observe({ type: job.type }, durationMs / 1000);
    }),
    bus.on('job:retry', ({ job, durationMs }) => {
      jobs.inc({ type: job.type, result: 'retried' });
      retries.inc({ type: job.type });
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
      for (const off of offs) off();
    },
  };
}
