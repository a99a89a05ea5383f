/**
 * The engine's ports as one explored process sees them: each write and each supplier call waits
 * at the process's gate (gate.ts) and records what it did on the story; the broken variants
 * (model.ts BREAKS) change what those calls do, here and nowhere else in the engine (the naive
 * strategy excepted: adapters/sqlite/naive.ts). Once the process died, every call hangs forever:
 * its runner and its jobs stop where they are, as a killed process's would.
 */
import { NEEDS_SUPPLIER, type Plan, type Snapshot } from '../domain/plans.js';
import type { ClaimedJob, JobQueue, JobStep } from '../ports/queue.js';
import type { Applied, Store } from '../ports/store.js';
import type { Supplier } from '../ports/supplier.js';
import type { Gate, Recorder } from './gate.js';
import type { StepFacts, Variant } from './model.js';

/** What the explorer knows across processes: which order is which lane, whose supplier ref is whose. */
export interface Knowledge {
  lanes: Map<number, string>;
  refs: Map<string, number>;
  /** the lane of the order a scenario step is creating */
  creating: string | null;
  /** the mock's answered calls (to tell a new reservation from a repeated one) */
  calls: readonly { kind: string; key: string | null; replay: boolean }[];
  /** --break supplier-key: attempts so far */
  keyAttempts: number;
}

export interface Instrumented {
  store: Store;
  queue: JobQueue;
  supplier: Supplier;
}

const never = <T>() => new Promise<T>(() => {});

/** Every method of `inner`, hanging once the gate is dead. */
function deadable<T extends object>(inner: T, gate: Gate): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inner)) {
    out[k] = typeof v === 'function' ? (...args: unknown[]) => (gate.dead ? never() : (v as (...a: unknown[]) => unknown).apply(inner, args)) : v;
  }
  return out as T;
}

const emptyPlan = (outcome: string, jobs: Plan['jobs'] = []): Plan => ({ outcome, movements: [], events: [], jobs });

/** One line about a committed plan, and its facts. */
export function describe(applied: Applied): { text: string; facts: StepFacts } {
  const { plan, order } = applied;
  const took = -plan.movements.filter((m) => m.type === 'reservation').reduce((a, m) => a + m.qty, 0);
  const reserved = plan.events.find((e) => e.type === 'InventoryReserved');
  const onHandAfter = reserved ? Number(reserved.data.onHandAfter) : undefined;
  const facts: StepFacts = { status: order.status, ...(took > 0 ? { took } : {}), ...(onHandAfter !== undefined ? { onHandAfter } : {}) };
  const change = applied.from ? ` (${applied.from} → ${order.status})` : '';
  if (plan.outcome === 'reserved:stock') return { text: `took ${took} from stock, wrote ${onHandAfter} on hand${change}`, facts };
  if (plan.outcome === 'reserved:supplier') return { text: `restocked and took ${took}${change}`, facts };
  if (plan.outcome === NEEDS_SUPPLIER) {
    const asked = plan.events.find((e) => e.type === 'SupplierReservationRequested');
    return { text: `${asked?.data.onHand ?? '?'} on hand is not enough: will ask the supplier`, facts };
  }
  if (plan.outcome.startsWith('skipped:')) return { text: `nothing to do (order ${order.status})`, facts };
  if (plan.outcome.startsWith('noted:')) return { text: plan.outcome.slice('noted:'.length), facts };
  return { text: `${plan.outcome}${change}`, facts };
}

const jobStateFor = (job: ClaimedJob, s: Snapshot): Snapshot => {
  // --break idempotency: the effect is planned as on the job's first run, whatever happened since
  const check = (job.payload as { check?: number }).check ?? 1;
  return job.type === 'ReserveInventory'
    ? { ...s, order: { ...s.order, status: 'pending' } }
    : { ...s, order: { ...s.order, status: 'awaiting_restock', supplierChecks: check - 1 } };
};

export function instrument(inner: Instrumented, gate: Gate, rec: Recorder, known: Knowledge, variant: Variant): Instrumented {
  const breaks = new Set(variant.breaks);
  const jobs = new Map<string, ClaimedJob>();
  const laneOf = (orderId: number) => known.lanes.get(orderId) ?? `#${orderId}`;
  const noting = (lane: string) => (a: Applied) => {
    const d = describe(a);
    rec.note(lane, d.text, d.facts);
  };

  const base = deadable(inner.store, gate);
  const store: Store = {
    ...base,
    createOrder(sku, qty, now, planner, idempotent) {
      const lane = known.creating ?? 'client';
      const created = (a: Applied) => known.lanes.set(a.order.id, lane);
      if (!breaks.has('outbox')) {
        return gate.step(
          lane,
          `order ${lane} arrives (${sku} × ${qty})`,
          () => inner.store.createOrder(sku, qty, now, planner, idempotent),
          (a) => {
            created(a);
            rec.note(lane, 'committed with its job');
          },
        );
      }
      // --break outbox: the order commits first; its job is enqueued by a second, separate write
      let jobsToEnqueue: Plan['jobs'] = [];
      return gate
        .step(
          lane,
          `order ${lane} arrives (${sku} × ${qty})`,
          () =>
            inner.store.createOrder(
              sku,
              qty,
              now,
              (o) => {
                const plan = planner(o);
                jobsToEnqueue = plan.jobs;
                return { ...plan, jobs: [] };
              },
              idempotent,
            ),
          (a) => {
            created(a);
            rec.note(lane, 'committed without its job', { noJob: true });
          },
        )
        .then((a) =>
          gate.step(
            lane,
            `enqueue order ${lane}'s job`,
            () => inner.store.applyToOrder(a.order.id, now, () => emptyPlan('enqueued', jobsToEnqueue)),
            () => rec.note(lane, 'done'),
          ),
        );
    },

    applyToOrder(orderId, now, planner, step) {
      const lane = laneOf(orderId);
      const job = step ? jobs.get(step.lease.jobId) : undefined;
      const what = job ? job.type : 'write';
      if (!breaks.has('idempotency') || !step || !job) {
        return gate.step(lane, `${what}:`, () => failures(lane, inner.store.applyToOrder(orderId, now, planner, step)), noting(lane));
      }
      // --break idempotency: the effect (no lease checked, no guard) and the job's end, apart
      return gate
        .step(
          lane,
          `${what}:`,
          () =>
            failures(
              lane,
              inner.store.applyToOrder(orderId, now, (s) => planner(jobStateFor(job, s))),
            ),
          (a) => {
            noting(lane)(a);
            rec.note(lane, 'the job is not marked done yet', { unsettled: true });
          },
        )
        .then((effect) => {
          const settle = typeof step.settle === 'function' ? step.settle(effect.plan) : step.settle;
          const end: JobStep = { lease: step.lease, settle };
          return gate
            .step(lane, `${what}: mark the job ${settle.kind === 'keep' ? 'still running' : 'done'}`, () =>
              inner.store.applyToOrder(orderId, now, () => emptyPlan('settled'), end),
            )
            .then(() => effect);
        });
    },

    setOnHand(sku, onHand, now) {
      return gate.step('stock', `stock count: ${sku} = ${onHand}`, () => inner.store.setOnHand(sku, onHand, now));
    },
    addStock(sku, qty, now, idempotent) {
      return gate.step('stock', `restock ${sku} +${qty}`, () => inner.store.addStock(sku, qty, now, idempotent));
    },
  };

  const queueBase = deadable(inner.queue, gate);
  const queue: JobQueue = {
    ...queueBase,
    async claim(now, limit, workerId, leaseMs) {
      const claimed = await queueBase.claim(now, limit, workerId, leaseMs);
      for (const j of claimed) jobs.set(j.lease.jobId, j);
      return claimed;
    },
  };

  const supplier: Supplier = {
    reserve(req) {
      const orderId = Number(/order-(\d+)/.exec(req.idempotencyKey)?.[1]);
      const lane = laneOf(orderId);
      const key = breaks.has('supplier-key') ? `${req.idempotencyKey}.attempt-${++known.keyAttempts}` : req.idempotencyKey;
      return gate.step(
        lane,
        `asks the supplier to reserve ${req.qty} (key ${key}):`,
        () => failures(lane, inner.supplier.reserve({ ...req, idempotencyKey: key })),
        (answer) => {
          known.refs.set(answer.ref, orderId);
          const call = [...known.calls].reverse().find((c) => c.kind === 'reserve' && c.key === key);
          const fresh = call ? !call.replay : true;
          const text = answer.accepted ? (fresh ? 'accepted, a new reservation' : 'accepted, the same reservation as before') : 'rejected';
          rec.note(lane, text, { supplier: { answer: answer.accepted ? 'accepted' : 'rejected', fresh, key } });
        },
      );
    },
    status(ref) {
      const lane = laneOf(known.refs.get(ref) ?? Number.NaN);
      return gate.step(
        lane,
        'asks the supplier about the restock:',
        () => failures(lane, inner.supplier.status(ref)),
        (s) => rec.note(lane, s),
      );
    },
    cancel(req) {
      const lane = laneOf(known.refs.get(req.ref) ?? Number.NaN);
      return gate.step(
        lane,
        'asks the supplier to cancel its reservation:',
        () => failures(lane, inner.supplier.cancel(req)),
        (s) => rec.note(lane, s),
      );
    },
  };

  /** a failed call is part of the story too */
  function failures<T>(lane: string, p: Promise<T>): Promise<T> {
    return p.catch((error: unknown) => {
      if (!gate.dead) rec.note(lane, `failed (${(error as Error).message.split('\n')[0]})`, { failed: true });
      throw error;
    });
  }

  return { store, queue, supplier };
}
