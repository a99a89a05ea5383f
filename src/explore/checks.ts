/**
 * The checks after every schedule (docs/teaching.md, "Break it to learn it"): the invariants of
 * `warehouse check` (the store's audit), every order final or legitimately waiting, at most one
 * reservation made at the supplier per order, no job parked (a bug), and — on a schedule without a crash, unless turned
 * off — the scenario's `expect` block.
 */
import { isSettled } from '../domain/order.js';
import { compare, expectationCount } from '../sim/expect.js';
import type { MovementOutcome, OrderOutcome, Outcome, Scenario } from '../sim/model.js';
import { SIM_START } from '../sim/runner.js';
import type { Backend } from '../ports/database.js';
import type { SupplierCall } from '../wiring/explore.js';
import type { Knowledge } from './instrument.js';
import type { Finding } from './model.js';

export async function runChecks(o: {
  db: Backend;
  calls: readonly SupplierCall[];
  scenario: Scenario;
  known: Knowledge;
  opening: Set<number>;
  crashed: boolean;
  expect: boolean;
}): Promise<Finding[]> {
  const { store, queue } = o.db;
  const label = (id: number) => o.known.lanes.get(id) ?? `#${id}`;
  const findings: Finding[] = (await store.audit()).map((v) => ({ invariant: v.rule, message: v.message }));

  const all = await Promise.all([...o.known.lanes.keys()].map((id) => store.getOrder(id)));
  // the list of jobs (a costly query) only when an order is open or a job parked
  const jobs = all.some((order) => order && !isSettled(order.status)) || (await queue.count()).parked > 0 ? await queue.list() : [];
  const orders: OrderOutcome[] = [];
  for (const [id, lane] of o.known.lanes) {
    const order = all.find((x) => x?.id === id);
    if (!order) continue;
    if (!isSettled(order.status) && !jobs.some((j) => j.orderId === id && j.state !== 'parked')) {
      const parked = jobs.find((j) => j.orderId === id);
      findings.push({
        invariant: 'order-final-or-waiting',
        message: `order ${lane} ended ${order.status} with ${parked ? `its job parked (${parked.parkedReason})` : 'no job to move it on'}`,
      });
    }
    orders.push({
      label: lane,
      group: /^(.+)\.\d+$/.exec(lane)?.[1] ?? null,
      id,
      sku: order.sku,
      qty: order.qty,
      status: order.status,
      supplierChecks: order.supplierChecks,
      failureReason: order.failureReason,
      createdAt: order.createdAt - SIM_START,
      settledAt: isSettled(order.status) ? order.updatedAt - SIM_START : null,
      events: [],
    });
  }

  // a parked job is one that could not go on for a reason that is nobody's answer: a bug
  for (const j of jobs.filter((j) => j.state === 'parked')) {
    findings.push({ invariant: 'no-parked-job', message: `order ${label(j.orderId)}'s ${j.type} job is parked: ${j.parkedReason}` });
  }

  const made = new Map<number, string[]>();
  for (const c of o.calls) {
    if (c.kind !== 'reserve' || c.answer !== 'accepted' || c.replay) continue;
    const id = Number(/order-(\d+)/.exec(c.key ?? '')?.[1]);
    made.set(id, [...(made.get(id) ?? []), c.key ?? '?']);
  }
  for (const [id, keys] of made) {
    if (keys.length > 1) {
      findings.push({
        invariant: 'one-supplier-reservation-per-order',
        message: `the supplier made ${keys.length} reservations for order ${label(id)} (keys ${keys.join(', ')})`,
      });
    }
  }

  if (o.expect && !o.crashed && expectationCount(o.scenario.expect) > 0) {
    const inventory: Record<string, number> = {};
    const movements: Record<string, MovementOutcome[]> = {};
    for (const item of await store.listInventory()) {
      inventory[item.sku] = item.onHand;
      // the opening balance is left out, as simulate does
      movements[item.sku] = (await store.listMovements(item.sku))
        .filter((m) => !o.opening.has(m.id))
        .map((m) => ({ at: m.at - SIM_START, type: m.type, qty: m.qty, order: m.orderId === null ? null : label(m.orderId), onHandAfter: m.onHandAfter }));
    }
    const outcome: Outcome = { orders, inventory, movements, steps: [], supplierCalls: [], endedAt: 0 };
    for (const f of compare(o.scenario.expect, outcome)) {
      findings.push({ invariant: 'expect', message: `${f.path}: expected ${JSON.stringify(f.expected)}, got ${JSON.stringify(f.actual)}` });
    }
  }
  return findings;
}
