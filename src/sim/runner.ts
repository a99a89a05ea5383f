/**
 * Replays a scenario on a fresh engine (its own database, job runner, event bus and MSW supplier,
 * all unchanged) and returns what really happened.
 *
 * Time. Virtual by default: starts at SIM_START and moves only as the runner and the steps need,
 * so a replay is deterministic and takes milliseconds. At one instant T the order is:
 *   1. jobs already due at T run (in the order they were enqueued) until they finish or wait;
 *   2. the steps at T are applied, in file order;
 *   3. the jobs those steps enqueued run.
 * `realTime`: the same file on the wall clock; each step waits for its time, jobs run alongside.
 */
import { parseDatabase } from '../config.js';
import { createClock, createWarehouse, type Warehouse } from '../wiring/warehouse.js';
import { OrderStateError } from '../domain/errors.js';
import { isSettled } from '../domain/order.js';
import type { VirtualClockControl } from '../ports/clock.js';
import type { Variant } from '../explore/model.js';
import { teachingOf } from '../explore/variant.js';
import type { AppliedStep, MovementOutcome, OrderOutcome, Outcome, Scenario, Step, SupplierCallOutcome } from './model.js';

/** Where virtual time starts: a fixed instant, so timelines are identical run after run. */
export const SIM_START = Date.UTC(2026, 0, 1, 9, 0, 0);
export const DEFAULT_SEED = 42;

export interface ReplayOptions {
  /** seeds the backoff jitter (default DEFAULT_SEED) */
  seed?: number;
  realTime?: boolean;
  /** a SQLite file or a postgres:// URL (a fresh schema); default an in-memory SQLite database */
  db?: string;
  /**
   * How the client reaches the mock: `direct` (default: the mock's fetch, no interception) or
   * `intercept` (msw/node, as a real-time process does); the outcomes are the same (test/sim).
   */
  mockTransport?: 'direct' | 'intercept';
  /**
   * Where a virtual run without `db` keeps its data: `memory` (default: plain maps, adapters/memory)
   * or `sqlite` (an in-memory SQLite database, the product's own adapter); the outcomes are the same
   * (test/sim/transports.test.ts). A real-time run, a `db` and a `variant` always use SQLite.
   */
  backend?: 'memory' | 'sqlite';
  /**
   * `--reserve-strategy`, `--break` (docs/teaching.md, "Break it to learn it"): the strategy
   * replaces the scenario's; a broken variant runs as `explore` runs it, unscheduled, and the
   * rules of `warehouse check` are checked after the run (Outcome.violations)
   */
  variant?: Variant;
}

interface Created {
  id: number;
  label: string;
  group: string | null;
  /** a line of a multi-line order (not an order a step can cancel or fulfil) */
  line?: boolean;
}

/** Steps grouped by instant, in time order (file order within one instant). */
export function instants(steps: Step[]): Step[][] {
  const out: Step[][] = [];
  for (const s of steps) {
    const last = out.at(-1);
    if (last && last[0]!.at === s.at) last.push(s);
    else out.push([s]);
  }
  return out;
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'order':
      if (s.lines) {
        const lines = s.lines.map((l) => `${l.sku} × ${l.qty}`).join(' + ');
        return s.count === null ? `order ${s.label}: ${lines}` : `${s.count} orders ${s.label}.1…${s.label}.${s.count}: ${lines} each`;
      }
      return s.count === null ? `order ${s.label}: ${s.sku} × ${s.qty}` : `${s.count} orders ${s.label}.1…${s.label}.${s.count}: ${s.sku} × ${s.qty} each`;
    case 'restock':
      return `restock ${s.sku} +${s.qty}`;
    case 'set':
      return `set ${s.sku} on-hand to ${s.onHand}`;
    case 'cancel':
    case 'fulfil':
      return `${s.kind} order ${s.label}`;
  }
}

/** The identity of a replay's throwaway database (its supplier keys read `order-<id>.5170000000000000`). */
export const SIM_DATABASE_ID = '51700000000000000000000000000000';

export async function replay(scenario: Scenario, opts: ReplayOptions = {}): Promise<Outcome> {
  const virtual: VirtualClockControl | null = opts.realTime ? null : createClock('virtual', SIM_START);
  const database = parseDatabase(opts.db ?? ':memory:');
  // a scenario with multi-line orders replays on SQLite (the in-memory backend keeps one-line orders only)
  const lines = scenario.steps.some((s) => s.kind === 'order' && s.lines !== null);
  const memoryBackend = virtual !== null && opts.db === undefined && !opts.variant && !lines && (opts.backend ?? 'memory') === 'memory';
  const w = await createWarehouse({
    database: database.kind === 'sqlite' ? { ...database, durability: 'normal', groupCommit: true } : database,
    clock: virtual ?? 'real',
    seed: opts.seed ?? DEFAULT_SEED,
    supplierScript: scenario.supplier,
    settings: opts.variant
      ? { ...scenario.settings, reserveStrategy: opts.variant.strategy === 'naive' ? 'pessimistic' : opts.variant.strategy }
      : scenario.settings,
    ...(opts.variant ? { teaching: teachingOf(opts.variant) } : {}),
    // the same MSW handlers, without the global-fetch interceptor: a replay may make thousands of calls
    mockTransport: opts.mockTransport ?? 'direct',
    memoryBackend,
    // a throwaway database: the same identity every replay, so the same supplier keys and refs
    ...(database.kind === 'sqlite' && database.file === ':memory:' ? { databaseId: SIM_DATABASE_ID } : {}),
  });
  try {
    const start = w.clock.now();
    // the opening balance: one adjustment per SKU, left out of the ledger expectations
    for (const [sku, onHand] of Object.entries(scenario.inventory)) await w.inventory.set(sku, onHand);
    const opening = new Set<number>();
    for (const item of await w.store.listInventory()) for (const m of await w.store.listMovements(item.sku)) opening.add(m.id);

    const created: Created[] = [];
    const applied: AppliedStep[] = [];
    const apply = async (s: Step) => {
      applied.push({ at: w.clock.now() - start, kind: s.kind, text: describeStep(s) });
      if (s.kind === 'order') {
        const n = s.count ?? 1;
        for (let k = 1; k <= n; k++) {
          const order = await w.orders.create(s.lines ? { lines: s.lines } : { sku: s.sku, qty: s.qty });
          const label = s.count === null ? s.label : `${s.label}.${k}`;
          created.push({ id: order.id, label, group: s.count === null ? null : s.label });
          // a multi-line order's lines: outcomes of their own, `a/1`, `a/2`, …
          for (const line of order.lines ?? []) created.push({ id: line.id, label: `${label}/${line.lineNo}`, group: null, line: true });
        }
      } else if (s.kind === 'restock') await w.inventory.add(s.sku, s.qty);
      else if (s.kind === 'set') await w.inventory.set(s.sku, s.onHand);
      else {
        const id = created.find((c) => c.label === s.label && !c.line)!.id;
        try {
          await (s.kind === 'cancel' ? w.orders.cancel(id) : w.orders.fulfil(id));
        } catch (error) {
          // a state that refuses is part of the story (the order's status says what it was)
          if (!(error instanceof OrderStateError)) throw error;
          applied.at(-1)!.text += ` (refused: ${error.message})`;
        }
      }
    };

    const groups = instants(scenario.steps);
    if (virtual) await driveVirtual(w, virtual, start, groups, apply);
    else await driveReal(w, start, groups, apply);
    const outcome = await collect(w, start, created, applied, opening);
    return opts.variant ? { ...outcome, violations: await broken(w, created) } : outcome;
  } finally {
    await w.close();
  }
}

async function driveVirtual(w: Warehouse, clock: VirtualClockControl, start: number, groups: Step[][], apply: (s: Step) => Promise<void>): Promise<void> {
  for (const group of groups) {
    const at = start + group[0]!.at;
    // everything due before or at the step runs first; jobs waiting on later timers (a supplier
    // call that will time out) go on waiting while the step is applied, as they would in real time
    await w.runner.runUntilIdle({ horizon: at });
    clock.advanceTo(at);
    for (const s of group) await apply(s);
  }
  await w.runner.runUntilIdle();
}

async function driveReal(w: Warehouse, start: number, groups: Step[][], apply: (s: Step) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const background = w.runner.runForever(stop.signal);
  try {
    for (const group of groups) {
      const wait = start + group[0]!.at - w.clock.now();
      if (wait > 0) await w.clock.sleep(wait);
      for (const s of group) await apply(s);
    }
  } finally {
    stop.abort();
    await background;
  }
  await w.runner.runUntilIdle();
}

/** The rules of `warehouse check` the run broke, and a second reservation made at the supplier for one order. */
async function broken(w: Warehouse, created: Created[]): Promise<{ rule: string; message: string }[]> {
  const out = (await w.store.audit()).map((v) => ({ rule: v.rule, message: v.message }));
  const labelOf = new Map(created.map((c) => [c.id, c.label]));
  const made = new Map<number, string[]>();
  for (const c of w.mock?.calls ?? []) {
    if (c.kind !== 'reserve' || c.answer !== 'accepted' || c.replay) continue;
    const id = Number(/order-(\d+)/.exec(c.key ?? '')?.[1]);
    made.set(id, [...(made.get(id) ?? []), c.key ?? '?']);
  }
  for (const [id, keys] of made) {
    if (keys.length > 1) {
      out.push({
        rule: 'one-supplier-reservation-per-order',
        message: `the supplier made ${keys.length} reservations for order ${labelOf.get(id) ?? `#${id}`} (keys ${keys.join(', ')})`,
      });
    }
  }
  return out;
}

/** Times inside event data (`nextCheckAt`, `retryAt`) as ms from the start, like every sim time. */
const relativeTimes = (data: Record<string, unknown>, start: number) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, k.endsWith('At') && typeof v === 'number' ? v - start : v]));

async function collect(w: Warehouse, start: number, created: Created[], steps: AppliedStep[], opening: Set<number>): Promise<Outcome> {
  const labelOf = new Map(created.map((c) => [c.id, c.label]));
  const orders: OrderOutcome[] = [];
  for (const c of created) {
    const o = await w.orders.get(c.id);
    orders.push({
      label: c.label,
      group: c.group,
      id: o.id,
      sku: o.sku,
      qty: o.qty,
      status: o.status,
      supplierChecks: o.supplierChecks,
      failureReason: o.failureReason,
      createdAt: o.createdAt - start,
      settledAt: isSettled(o.status) ? o.updatedAt - start : null,
      // a line's events are on its order's timeline already (with `line`)
      events: c.line ? [] : o.events.map((e) => ({ at: e.at - start, label: c.label, type: e.type, data: relativeTimes(e.data, start) })),
    });
  }
  const inventory: Record<string, number> = {};
  const movements: Record<string, MovementOutcome[]> = {};
  for (const item of await w.store.listInventory()) {
    inventory[item.sku] = item.onHand;
    movements[item.sku] = (await w.store.listMovements(item.sku))
      .filter((m) => !opening.has(m.id))
      .map((m) => ({
        at: m.at - start,
        type: m.type,
        qty: m.qty,
        order: m.orderId === null ? null : (labelOf.get(m.orderId) ?? `#${m.orderId}`),
        onHandAfter: m.onHandAfter,
      }));
  }
  const idOf = (key: string | null) => (key ? Number(/order-(\d+)/.exec(key)?.[1]) : NaN);
  const supplierCalls: SupplierCallOutcome[] = (w.mock?.calls ?? []).map((c) => ({
    at: c.at - start,
    kind: c.kind,
    label: labelOf.get(idOf(c.key)) ?? null,
    answer: c.answer,
  }));
  return { orders, inventory, movements, steps, supplierCalls, endedAt: w.clock.now() - start };
}
