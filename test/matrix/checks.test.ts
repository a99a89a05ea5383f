/**
 * The fault matrix's checks themselves (test/matrix/checks.ts): a good outcome passes every one,
 * and each crafted bad outcome fails exactly the check meant to catch it, so that no cell of the
 * matrix can pass vacuously.
 */
import { describe, expect, it } from 'vitest';
import { type CHECKS, checkOutcome, type Outcome } from './checks.js';

const good = (): Outcome => ({
  acknowledged: [1, 2, 3, 4],
  stored: [
    { id: 1, status: 'reserved', failureReason: null },
    { id: 2, status: 'reserved', failureReason: null },
    { id: 3, status: 'failed', failureReason: 'supplier_unavailable' },
    { id: 4, status: 'reserved', failureReason: null },
  ],
  injected: ['supplier'],
  check: { code: 0, output: 'every invariant holds' },
  health: { expected: { kind: 'trouble' }, seen: [200, 503, 503, 200] },
});

type Name = keyof typeof CHECKS;
const bad: Array<[string, Name, (o: Outcome) => void]> = [
  ['an acknowledged order that is not stored', 'ackedEqualsStored', (o) => o.stored.pop()],
  ['a stored order nobody was told about', 'ackedEqualsStored', (o) => o.acknowledged.pop()],
  ['two 201s with the same id', 'ackedEqualsStored', (o) => o.acknowledged.splice(0, 1, 2)],
  ['an order still pending', 'finalOrWaiting', (o) => (o.stored[1]!.status = 'pending')],
  ['an order awaiting restock', 'finalOrWaiting', (o) => (o.stored[1]!.status = 'awaiting_restock')],
  ['supplier_unavailable when only the database was in trouble', 'reasonsOwned', (o) => (o.injected = ['database'])],
  ['supplier_unavailable when nothing was injected', 'reasonsOwned', (o) => (o.injected = [])],
  ['a supplier_rejected nobody scripted', 'reasonsOwned', (o) => (o.stored[0] = { id: 1, status: 'failed', failureReason: 'supplier_rejected' })],
  ['check exits 1', 'checkClean', (o) => (o.check = { code: 1, output: 'oversell: SKU A' })],
  ['check did not find the damage made', 'checkClean', (o) => (o.checkFinds = /is corrupt/)],
  ['check found damage but exited 0', 'checkClean', (o) => ((o.checkFinds = /is corrupt/), (o.check.output = 'x is corrupt'))],
  ['/healthz 200 throughout a database fault', 'healthReported', (o) => (o.health.seen = [200, 200])],
  ['/healthz never probed', 'healthReported', (o) => (o.health.seen = [])],
  ['/healthz 503 for trouble that is not the engine’s', 'healthReported', (o) => (o.health.expected = { kind: 'ok' })],
];

describe('the fault matrix checks', () => {
  it('pass on a good outcome', () => {
    expect(checkOutcome(good())).toEqual([]);
  });

  it.each(bad)('fail on %s (%s)', (_what, name, spoil) => {
    const o = good();
    spoil(o);
    const problems = checkOutcome(o);
    expect(problems.length).toBeGreaterThan(0);
    // the check meant to catch it does, and no other check is needed to
    expect(problems.every((p) => p.startsWith(`${name}: `))).toBe(true);
  });

  it('accept what the cell declares legitimate: an order waiting for a reason, damage check found, health not observable', () => {
    const o = good();
    o.stored[1]!.status = 'awaiting_restock';
    o.waitingAllowed = 'the supplier is gone for good';
    o.checkFinds = /is corrupt/;
    o.check = { code: 1, output: 'database x is corrupt' };
    o.health = { expected: { kind: 'n/a', why: 'the server itself was killed' }, seen: [] };
    expect(checkOutcome(o)).toEqual([]);
  });
});
