/**
 * Compares a scenario's expectations with its outcome. Only what the file states is checked;
 * each difference becomes a Failure with its path (`orders.a.status`, `movements.WIDGET[1]`),
 * the expected and the actual value. Durations are shown as written (`45s`).
 */
import { formatDuration } from '../domain/duration.js';
import type { OrderStatus } from '../domain/order.js';
import type { Expectations, Failure, MovementExpectation, OrderOutcome, Outcome } from './model.js';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const duration = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : formatDuration(ms));

/** A single order's label, a burst member's, or a burst's (all its members). */
function membersOf(outcome: Outcome, label: string): OrderOutcome[] {
  return outcome.orders.filter((o) => o.label === label || o.group === label);
}

/** How far `settledAt` may be from the expectation: 0 in virtual time; some slack on the wall clock. */
export interface CompareOptions {
  settledToleranceMs?: number;
}

export function compare(expect: Expectations, outcome: Outcome, opts: CompareOptions = {}): Failure[] {
  const tolerance = opts.settledToleranceMs ?? 0;
  const failures: Failure[] = [];
  const check = (path: string, expected: unknown, actual: unknown) => {
    if (!same(expected, actual)) failures.push({ path, expected, actual });
  };

  for (const [label, exp] of Object.entries(expect.orders)) {
    for (const o of membersOf(outcome, label)) {
      const base = `orders.${o.label}`;
      if (exp.status !== undefined) check(`${base}.status`, exp.status, o.status);
      if (exp.supplierChecks !== undefined) check(`${base}.supplierChecks`, exp.supplierChecks, o.supplierChecks);
      if (exp.failureReason !== undefined) check(`${base}.failureReason`, exp.failureReason, o.failureReason);
      if (exp.settledAt !== undefined) {
        const close = exp.settledAt !== null && o.settledAt !== null && Math.abs(exp.settledAt - o.settledAt) <= tolerance;
        if (!close) check(`${base}.settledAt`, duration(exp.settledAt), duration(o.settledAt));
      }
    }
  }

  for (const [label, counts] of Object.entries(expect.count)) {
    const members = membersOf(outcome, label);
    for (const [status, n] of Object.entries(counts) as Array<[OrderStatus, number | undefined]>) {
      if (n === undefined) continue;
      check(`count.${label}.${status}`, n, members.filter((o) => o.status === status).length);
    }
  }

  for (const [sku, n] of Object.entries(expect.inventory)) check(`inventory.${sku}`, n, outcome.inventory[sku] ?? 0);

  for (const [sku, expected] of Object.entries(expect.movements)) {
    const actual: MovementExpectation[] = (outcome.movements[sku] ?? []).map((m) => ({ type: m.type, qty: m.qty, order: m.order }));
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      check(`movements.${sku}[${i}]`, expected[i] ?? null, actual[i] ?? null);
    }
  }
  return failures;
}

/**
 * How many values the expectations check. 0 means the scenario checks nothing: it would pass
 * whatever the engine did, so `simulate` warns (and fails it under --strict). A `movements` list
 * counts even when empty (it claims "no movements").
 */
export function expectationCount(expect: Expectations): number {
  let n = 0;
  for (const exp of Object.values(expect.orders)) n += Object.values(exp).filter((v) => v !== undefined).length;
  for (const counts of Object.values(expect.count)) n += Object.values(counts).filter((v) => v !== undefined).length;
  n += Object.keys(expect.inventory).length + Object.keys(expect.movements).length;
  return n;
}
