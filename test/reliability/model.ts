/**
 * A tiny reference model of the flow (docs/design.md §2, §4) and the fast-check arbitraries that drive the engine against
 * it; shared by the property tests and by `npm run soak` (which runs them at larger sizes).
 */
import fc from 'fast-check';
import { RESERVE_ANSWERS, STATUS_ANSWERS, type ReserveScriptAnswer, type StatusScriptAnswer, type SupplierScript } from '../../src/domain/supplier-script.js';
import type { Supplier } from '../../src/ports/supplier.js';
import type { Settings } from '../../src/domain/settings.js';
import { freshDatabase, TEST_DATABASE, testWarehouse } from '../helpers.js';

export const SKUS = ['A', 'B', 'C'] as const;
export const TRANSIENT = new Set(['error', 'timeout', 'malformed']);
const ATTEMPTS = 5;
const MAX_DELAYED = 2;

export type Op = { kind: 'order'; sku: (typeof SKUS)[number]; qty: number; runAfter: boolean } | { kind: 'restock'; sku: (typeof SKUS)[number]; qty: number };

interface Outcome {
  status: string;
  failureReason: string | null;
  supplierChecks: number;
}

/** One order's conversation with the supplier, per docs/design.md §4 and §5. */
export function supplierOutcome(reserve: ReserveScriptAnswer[], status: StatusScriptAnswer[]): Outcome {
  const at = <T>(list: T[], i: number) => list[Math.min(i, list.length - 1)]!;
  let i = 0;
  for (let attempt = 1; ; attempt++) {
    const a = at(reserve, i++);
    if (a === 'rejected') return { status: 'failed', failureReason: 'supplier_rejected', supplierChecks: 0 };
    if (a === 'accepted') break;
    if (attempt >= ATTEMPTS) return { status: 'failed', failureReason: 'supplier_unavailable', supplierChecks: 0 };
  }
  let j = 0;
  for (let check = 1; ; check++) {
    for (let attempt = 1; ; attempt++) {
      const a = at(status, j++);
      if (a === 'ok') return { status: 'reserved', failureReason: null, supplierChecks: check };
      if (a === 'fail') return { status: 'failed', failureReason: 'supplier_failed', supplierChecks: check };
      if (a === 'delayed') {
        if (check - 1 >= MAX_DELAYED) return { status: 'failed', failureReason: 'supplier_delayed', supplierChecks: check };
        break;
      }
      if (attempt >= ATTEMPTS) return { status: 'failed', failureReason: 'supplier_unavailable', supplierChecks: check - 1 };
    }
  }
}

/** The reference model: stock is taken in the order jobs run (FIFO), the supplier covers the rest. */
export function model(ops: Op[], script: SupplierScript) {
  const stock: Record<string, number> = {};
  const outcomes: Outcome[] = [];
  const queue: Array<{ sku: string; qty: number; index: number }> = [];
  const run = () => {
    for (const o of queue.splice(0)) {
      if ((stock[o.sku] ?? 0) >= o.qty) {
        stock[o.sku] = (stock[o.sku] ?? 0) - o.qty;
        outcomes[o.index] = { status: 'reserved', failureReason: null, supplierChecks: 0 };
      } else {
        const s = script[o.sku] ?? {};
        outcomes[o.index] = supplierOutcome(
          ([] as ReserveScriptAnswer[]).concat(s.reserve ?? 'accepted'),
          ([] as StatusScriptAnswer[]).concat(s.status ?? 'ok'),
        );
      }
    }
  };
  for (const op of ops) {
    if (op.kind === 'restock') stock[op.sku] = (stock[op.sku] ?? 0) + op.qty;
    else {
      queue.push({ sku: op.sku, qty: op.qty, index: outcomes.length });
      outcomes.push({ status: 'pending', failureReason: null, supplierChecks: 0 });
      if (op.runAfter) run();
    }
  }
  run();
  return { outcomes, stock };
}

const sku = fc.constantFrom(...SKUS);
/** an order only: with no restock, every order goes to the supplier and no two race for stock */
export const orderOp: fc.Arbitrary<Op> = fc.record({ kind: fc.constant('order' as const), sku, qty: fc.integer({ min: 1, max: 6 }), runAfter: fc.boolean() });
export const op: fc.Arbitrary<Op> = fc.oneof(orderOp, fc.record({ kind: fc.constant('restock' as const), sku, qty: fc.integer({ min: 1, max: 8 }) }));
const scriptFor = (reserve: readonly ReserveScriptAnswer[], status: readonly StatusScriptAnswer[]) =>
  fc.record({
    reserve: fc.array(fc.constantFrom(...reserve), { minLength: 1, maxLength: 6 }),
    status: fc.array(fc.constantFrom(...status), { minLength: 1, maxLength: 8 }),
  });
export const scripts = (reserve: readonly ReserveScriptAnswer[] = RESERVE_ANSWERS, status: readonly StatusScriptAnswer[] = STATUS_ANSWERS) =>
  fc.record({ A: scriptFor(reserve, status), B: scriptFor(reserve, status), C: scriptFor(reserve, status) }) as fc.Arbitrary<SupplierScript>;

/**
 * The model takes stock in the order jobs run. On SQLite (one writer, synchronous transactions) jobs
 * started in claim order also take stock in that order; on PostgreSQL jobs running at once race for
 * the inventory row's lock in real time, and the server picks the winner. The properties compared
 * against the model therefore run one job at a time on PostgreSQL, or (the interleavings property)
 * with orders only, so that none takes stock; the stock race itself is the subject of the store
 * contract (test/contract) and the multi-process test (test/postgres).
 */
export const MODEL_SETTINGS: Partial<Settings> = TEST_DATABASE === 'postgres' ? { concurrency: 1 } : {};

export async function replay(
  ops: Op[],
  script: SupplierScript,
  wrap?: (s: Supplier) => Supplier,
  drive?: (run: Promise<void>) => Promise<void>,
  settings: Partial<Settings> = {},
) {
  const file = freshDatabase();
  const w = await testWarehouse({ db: file, supplierScript: script, settings });
  if (wrap)
    Object.assign(
      w.supplier,
      wrap({ reserve: w.supplier.reserve.bind(w.supplier), status: w.supplier.status.bind(w.supplier), cancel: w.supplier.cancel.bind(w.supplier) }),
    );
  const ids: number[] = [];
  const start = w.clock.now();
  const run = () => (drive ? drive(w.runner.runUntilIdle()) : w.runner.runUntilIdle());
  for (const o of ops) {
    if (o.kind === 'restock') await w.inventory.add(o.sku, o.qty);
    else {
      ids.push((await w.orders.create({ sku: o.sku, qty: o.qty })).id);
      if (o.runAfter) await run();
    }
  }
  await run();
  const orders = await Promise.all(ids.map((id) => w.orders.get(id)));
  const stock = Object.fromEntries(await Promise.all(SKUS.map(async (s) => [s, (await w.store.getInventory(s))?.onHand ?? 0])));
  const calls = [...w.mock!.calls];
  const elapsed = w.clock.now() - start;
  await w.close();
  return { file, orders, stock, calls, elapsed };
}

/** What the engine got and the model expected, as a list of differences ([] when they agree). */
export function differences(ops: Op[], script: SupplierScript, got: Awaited<ReturnType<typeof replay>>): string[] {
  const expected = model(ops, script);
  const diffs: string[] = [];
  got.orders.forEach((o, i) => {
    const e = expected.outcomes[i]!;
    if (o.status !== e.status || o.failureReason !== e.failureReason || o.supplierChecks !== e.supplierChecks) {
      diffs.push(`order ${i + 1}: engine ${o.status}/${o.failureReason}/${o.supplierChecks}, model ${e.status}/${e.failureReason}/${e.supplierChecks}`);
    }
  });
  for (const s of SKUS) if (got.stock[s] !== (expected.stock[s] ?? 0)) diffs.push(`${s}: engine on-hand ${got.stock[s]}, model ${expected.stock[s] ?? 0}`);
  return diffs;
}

/** Chaos rules: every order final in bounded virtual time, one decisive reserve answer per order. */
export function chaosProblems(got: Awaited<ReturnType<typeof replay>>): string[] {
  const problems: string[] = [];
  for (const o of got.orders) if (o.status !== 'reserved' && o.status !== 'failed') problems.push(`order ${o.id} ended ${o.status}`);
  // worst case per order: 5 reserve attempts and 3 checks of 5 attempts, each ≤ 5 s timeout + 60 s backoff, + 3 × 15 s
  const bound = got.orders.length * (20 * 65_000 + 45_000);
  if (got.elapsed > bound) problems.push(`took ${got.elapsed} ms of virtual time, bound ${bound}`);
  const byKey = new Map<string, string[]>();
  for (const c of got.calls.filter((c) => c.kind === 'reserve')) byKey.set(c.key!, [...(byKey.get(c.key!) ?? []), c.answer]);
  for (const [key, answers] of byKey) {
    const decisive = answers.filter((a) => !TRANSIENT.has(a));
    if (decisive.length > 1 || (decisive.length === 1 && answers.at(-1) !== decisive[0])) problems.push(`${key} reserved more than once: ${answers.join(',')}`);
  }
  return problems;
}

/** Drives a run while fast-check's scheduler releases supplier answers in the order it picks. */
export function schedulerDriver(s: fc.Scheduler) {
  return {
    wrap: (inner: Supplier): Supplier => ({
      reserve: (req) => held(s, inner.reserve(req), `reserve ${req.idempotencyKey}`),
      status: (ref) => held(s, inner.status(ref), `status ${ref}`),
      cancel: (req) => held(s, inner.cancel(req), `cancel ${req.ref}`),
    }),
    async drive(run: Promise<void>) {
      let done = false;
      void run.finally(() => (done = true));
      while (!done) {
        if (s.count() > 0) await s.waitOne();
        else await new Promise<void>((r) => setImmediate(r));
      }
      await run;
    },
  };
}

/** Answers without `timeout`: a held answer is not parked on the clock, so time must not jump past it. */
export const SCHEDULED_RESERVE: ReserveScriptAnswer[] = ['accepted', 'rejected', 'error', 'malformed'];
export const SCHEDULED_STATUS: StatusScriptAnswer[] = ['ok', 'fail', 'delayed', 'error', 'malformed'];

/** Delivers `p`'s outcome (value or error) only when the scheduler picks it. */
function held<T>(s: fc.Scheduler, p: Promise<T>, label: string): Promise<T> {
  const settled = p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return s.schedule(settled, label).then((r) => {
    if (!r.ok) throw r.error;
    return r.value;
  });
}
