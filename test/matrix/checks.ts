/**
 * The fault matrix's invariant checks (issue 18): the same five, in every cell, over what the cell
 * saw. Pure functions of an `Outcome`, so that test/matrix/checks.test.ts can prove each one fails
 * on a crafted bad outcome (no check passes vacuously).
 *
 * 1. orders acknowledged = orders stored (every 201's id is stored; nothing stored that no client
 *    was told about: the clients retry with an Idempotency-Key until they hear a 201);
 * 2. every order final, or legitimately waiting (the cell says why);
 * 3. a failure reason only from a fault the harness injected: `supplier_unavailable` only when the
 *    supplier itself failed (never for the database's, the queue's or a process's trouble);
 * 4. `warehouse check` clean (or, after damage the cell made on purpose, reporting exactly that);
 * 5. `/healthz` reported the trouble while it lasted, and not a trouble it was not meant to own
 *    (or the cell says why it cannot).
 */

/** Who a fault belongs to (docs/design.md §7: faults have owners). */
export type Owner = 'database' | 'supplier' | 'queue' | 'process';

/** The failure reasons each owner's trouble may legitimately cause (docs/design.md §7). */
export const REASONS_OF: Readonly<Record<Owner, readonly string[]>> = {
  supplier: ['supplier_unavailable'],
  database: [],
  queue: [],
  process: [],
};

export interface StoredOrder {
  id: number;
  status: string;
  failureReason: string | null;
}

export type HealthExpectation =
  /** at least one 503 while the fault lasted */
  | { kind: 'trouble' }
  /** 200 throughout: the fault is not the engine's readiness (a supplier's trouble) */
  | { kind: 'ok' }
  /** it cannot be observed, and why */
  | { kind: 'n/a'; why: string };

export interface Outcome {
  /** the ids of the 201s the clients received */
  acknowledged: number[];
  /** every order in the database afterwards */
  stored: StoredOrder[];
  /** the owners of the faults the harness injected */
  injected: Owner[];
  /** failure reasons the workload's own script asks for (a supplier scripted to reject), none by default */
  scripted?: string[];
  /** when an order may still be open at the end, why (e.g. its supplier is gone for good) */
  waitingAllowed?: string;
  /** `warehouse check` afterwards */
  check: { code: number | null; output: string };
  /** `check` must report this (damage the cell made) instead of being clean */
  checkFinds?: RegExp;
  health: { expected: HealthExpectation; seen: number[] };
}

const FINAL = new Set(['reserved', 'failed']);

export function ackedEqualsStored(o: Outcome): string[] {
  const stored = new Set(o.stored.map((s) => s.id));
  const acked = new Set(o.acknowledged);
  const problems: string[] = [];
  const lost = [...acked].filter((id) => !stored.has(id));
  const unacked = [...stored].filter((id) => !acked.has(id));
  if (lost.length) problems.push(`acknowledged but not stored: #${lost.slice(0, 5).join(', #')}${lost.length > 5 ? ` (${lost.length} in all)` : ''}`);
  if (unacked.length)
    problems.push(`stored but never acknowledged: #${unacked.slice(0, 5).join(', #')}${unacked.length > 5 ? ` (${unacked.length} in all)` : ''}`);
  if (o.acknowledged.length !== acked.size) problems.push(`one order acknowledged under two requests' ids (${o.acknowledged.length} 201s, ${acked.size} ids)`);
  return problems;
}

export function finalOrWaiting(o: Outcome): string[] {
  const open = o.stored.filter((s) => !FINAL.has(s.status));
  if (open.length === 0 || o.waitingAllowed) return [];
  return [
    `not final: ${open
      .slice(0, 5)
      .map((s) => `#${s.id} ${s.status}`)
      .join(', ')}${open.length > 5 ? ` (${open.length} in all)` : ''}`,
  ];
}

export function reasonsOwned(o: Outcome): string[] {
  const allowed = new Set([...o.injected.flatMap((owner) => REASONS_OF[owner]), ...(o.scripted ?? [])]);
  const bad = o.stored.filter((s) => s.status === 'failed' && !allowed.has(s.failureReason ?? '(none)'));
  if (bad.length === 0) return [];
  const injected = o.injected.length ? o.injected.join(', ') : 'nothing';
  return [
    `failed for a reason no injected fault owns (injected: ${injected}): ${bad
      .slice(0, 5)
      .map((s) => `#${s.id} ${s.failureReason}`)
      .join(', ')}${bad.length > 5 ? ` (${bad.length} in all)` : ''}`,
  ];
}

export function checkClean(o: Outcome): string[] {
  const text = o.check.output.trim().split('\n').slice(0, 3).join(' / ');
  if (o.checkFinds)
    return o.checkFinds.test(o.check.output) && o.check.code === 1 ? [] : [`check did not report the damage made (exit ${o.check.code}): ${text}`];
  return o.check.code === 0 ? [] : [`check not clean (exit ${o.check.code}): ${text}`];
}

export function healthReported(o: Outcome): string[] {
  const { expected, seen } = o.health;
  if (expected.kind === 'n/a') return [];
  if (seen.length === 0) return ['/healthz never probed while the fault lasted'];
  if (expected.kind === 'trouble') return seen.some((s) => s === 503) ? [] : [`/healthz never said 503 while the fault lasted (saw ${summary(seen)})`];
  return seen.every((s) => s === 200) ? [] : [`/healthz reported trouble that is not the engine's (saw ${summary(seen)})`];
}

function summary(seen: number[]): string {
  const counts = new Map<number, number>();
  for (const s of seen) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s === 0 ? 'no answer' : s}×${n}`).join(', ');
}

export const CHECKS = { ackedEqualsStored, finalOrWaiting, reasonsOwned, checkClean, healthReported } as const;

/** Every check's problems, each prefixed with the check's name; [] when the cell holds. */
export function checkOutcome(o: Outcome): string[] {
  return Object.entries(CHECKS).flatMap(([name, check]) => check(o).map((p) => `${name}: ${p}`));
}
