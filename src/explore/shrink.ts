/**
 * Shrinking a failing schedule: fewer steps before the failure shows, an earlier crash (or none),
 * fewer choices that differ from first come, first served — each change kept only when the run
 * still breaks the same rule. Greedy and deterministic, so a finding shrinks the same way each time.
 */
import type { RunResult, Schedule, Violation } from './model.js';

const MAX_TRIES = 300;

/** how big a failing run is: its steps, then how far its choices stray from first-come order */
const size = (s: Schedule, r: RunResult) => [r.steps.length, s.crash ?? 0, s.choices.length, s.choices.reduce((a, b) => a + b, 0)];
const smaller = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
};

export async function shrink(found: Violation, run: (s: Schedule) => Promise<RunResult>): Promise<Violation> {
  const rule = found.run.findings[0]!.invariant;
  let best = found;
  let tries = 0;
  const attempt = async (s: Schedule): Promise<boolean> => {
    if (tries++ >= MAX_TRIES) return false;
    const r = await run(s);
    if (!r.findings.some((f) => f.invariant === rule)) return false;
    const schedule = { choices: normalise(s.choices, r.branching), crash: r.crashedAfter };
    if (!smaller(size(schedule, r), size(best.schedule, best.run))) return false;
    best = { schedule, run: r };
    return true;
  };
  for (let improved = true; improved && tries < MAX_TRIES; ) {
    improved = false;
    const { choices, crash } = best.schedule;
    const candidates: Schedule[] = [];
    if (crash !== null) candidates.push({ choices, crash: null });
    for (let k = 1; crash !== null && k < crash; k++) candidates.push({ choices, crash: k });
    for (let i = choices.length - 1; i >= 0; i--) {
      if (choices[i] !== 0) candidates.push({ choices: choices.map((c, j) => (j === i ? 0 : c)), crash });
      candidates.push({ choices: choices.filter((_, j) => j !== i), crash });
      if (choices[i]! > 1) candidates.push({ choices: choices.map((c, j) => (j === i ? c - 1 : c)), crash });
    }
    for (const c of candidates) {
      if (await attempt(c)) {
        improved = true;
        break;
      }
    }
  }
  // the story shows only the rule that was shrunk for, first
  const findings = [...best.run.findings].sort((a, b) => Number(b.invariant === rule) - Number(a.invariant === rule));
  return { schedule: best.schedule, run: { ...best.run, findings } };
}

/** The choices a run really used: each within its step count, trailing first-come choices dropped. */
export function normalise(choices: readonly number[], branching: readonly number[]): number[] {
  const used = branching.map((n, i) => (choices[i] ?? 0) % n);
  while (used.length > 0 && used.at(-1) === 0) used.pop();
  return used;
}
