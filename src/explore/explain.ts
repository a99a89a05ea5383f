/**
 * One sentence that says why a counterexample broke its rule, read off the story's facts. Each
 * broken variant has its shape; anything else falls back to the rule's own message.
 */
import type { StepRecord, Violation } from './model.js';

export interface Explanation {
  sentence: string;
  /** the step that broke it, to highlight */
  step?: number;
}

export function explain(v: Violation): Explanation {
  const steps = v.run.steps;
  const finding = v.run.findings[0]!;
  const lost = lostUpdate(steps);
  if (lost) return lost;
  const twice = supplierTwice(steps);
  if (twice && finding.invariant === 'one-supplier-reservation-per-order') return twice;
  const repeated = repeatedEffect(steps, v.run.crashedAfter);
  if (repeated) return repeated;
  const noJob = steps.find((s) => s.facts.noJob);
  if (noJob && v.run.crashedAfter !== null && !steps.some((s) => s.lane === noJob.lane && s.n > noJob.n && s.text.includes('enqueue'))) {
    return {
      sentence: `order ${noJob.lane} was committed, but the process died before its job was enqueued: nothing will ever reserve it`,
      step: noJob.n,
    };
  }
  if (finding.invariant === 'expect') {
    return { sentence: `under this schedule ${finding.message} (order of arrival is not order of reservation)` };
  }
  return { sentence: finding.message };
}

/** naive: a lane read the stock, another wrote before it, and both took it. */
function lostUpdate(steps: readonly StepRecord[]): Explanation | null {
  for (const write of steps) {
    if (write.facts.took === undefined || write.facts.onHandAfter === undefined) continue;
    const stale = steps.find((r) => r.lane !== write.lane && r.facts.read !== undefined && r.n < write.n && tookLater(steps, r));
    if (!stale) continue;
    const second = steps.find((s) => s.lane === stale.lane && s.n > stale.n && s.facts.took !== undefined);
    return {
      sentence: `order ${stale.lane} read ${stale.facts.read} on hand before order ${write.lane} wrote ${write.facts.onHandAfter}; both took it`,
      step: second?.n,
    };
  }
  return null;
}

const tookLater = (steps: readonly StepRecord[], read: StepRecord) => steps.some((s) => s.lane === read.lane && s.n > read.n && s.facts.took !== undefined);

function supplierTwice(steps: readonly StepRecord[]): Explanation | null {
  const fresh = steps.filter((s) => s.facts.supplier?.answer === 'accepted' && s.facts.supplier.fresh);
  for (const a of fresh) {
    const b = fresh.find((s) => s.lane === a.lane && s.n > a.n);
    if (!b) continue;
    return {
      sentence: `the supplier reserved for order ${a.lane} under key ${a.facts.supplier!.key}, the answer was lost before it was committed, and the job's retry sent a new key (${b.facts.supplier!.key}): the supplier reserved twice`,
      step: b.n,
    };
  }
  return null;
}

function repeatedEffect(steps: readonly StepRecord[], crashedAfter: number | null): Explanation | null {
  const effects = steps.filter((s) => s.facts.unsettled && s.facts.took !== undefined);
  for (const a of effects) {
    const again = steps.find((s) => s.lane === a.lane && s.n > a.n && s.facts.failed && s.text.startsWith(a.text.split(':')[0]!));
    if (crashedAfter !== null && crashedAfter >= a.n && again) {
      return {
        sentence: `order ${a.lane}'s reservation committed, the process died before its job was marked done, and the job ran again and tried to take the stock a second time: only the database's unique index (one reservation per order) refused it, so the job fails until it is parked`,
        step: again.n,
      };
    }
    const b = effects.find((s) => s.lane === a.lane && s.n > a.n);
    if (!b) continue;
    const crash = crashedAfter !== null && crashedAfter >= a.n && crashedAfter < b.n;
    return {
      sentence: `order ${a.lane}'s reservation committed${crash ? ', the process died before its job was marked done,' : ' apart from its job’s end;'} and the job ran again and took the stock a second time`,
      step: b.n,
    };
  }
  return null;
}
