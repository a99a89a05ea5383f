/**
 * The search over schedules (model.ts). Exhaustive while the space is small: a depth-first walk
 * over the choices (each run reports how many steps were ready at each choice, so the next
 * schedule is the last choice that can still grow, grown by one), and with crashes, the same walk
 * for each crash point until no schedule reaches it. Otherwise random: fast-check draws the
 * choices and the crash point from `--seed`, `--budget` runs. A failing schedule is then shrunk
 * (shrink.ts) to the fewest steps and choices that still break the same rule.
 */
import fc from 'fast-check';
import type { Scenario } from '../sim/model.js';
import type { RunResult, Schedule, Variant, Violation } from './model.js';
import { openSession, type Session } from './schedule.js';
import { normalise, shrink } from './shrink.js';

export interface ExploreOptions {
  variant: Variant;
  crashes: boolean;
  /** most schedules to run (random search; also the bound past which exhaustive gives way) */
  budget: number;
  seed: number;
  /** check the scenario's `expect` block (schedules without a crash) */
  expect: boolean;
}

export interface ExploreResult {
  schedules: number;
  crashPoints: number;
  exhaustive: boolean;
  seconds: number;
  violation: Violation | null;
}

class Found extends Error {
  constructor(readonly violation: Violation) {
    super('found');
  }
}

export async function explore(scenario: Scenario, opts: ExploreOptions): Promise<ExploreResult> {
  const started = performance.now();
  const session = await openSession(scenario, opts.variant);
  let schedules = 0;
  const crashPoints = new Set<number>();
  const play = async (schedule: Schedule) => {
    schedules++;
    const run = await session.run(schedule, { expect: opts.expect });
    if (run.crashedAfter !== null) crashPoints.add(run.crashedAfter);
    return run;
  };
  try {
    let exhaustive = true;
    let violation: Violation | null = null;
    try {
      const done = await exhaustively(play, opts);
      if (!done) {
        exhaustive = false;
        await randomly(play, opts);
      }
    } catch (error) {
      if (!(error instanceof Found)) throw error;
      violation = await shrink(error.violation, (s) => session.run(s, { expect: opts.expect }));
      exhaustive = false;
    }
    return { schedules, crashPoints: crashPoints.size, exhaustive, seconds: (performance.now() - started) / 1000, violation };
  } finally {
    await session.close();
  }
}

/** Replays one schedule exactly (a replay token). */
export async function replaySchedule(scenario: Scenario, variant: Variant, schedule: Schedule, expect: boolean): Promise<RunResult> {
  const session: Session = await openSession(scenario, variant);
  try {
    return await session.run(schedule, { expect });
  } finally {
    await session.close();
  }
}

type Play = (s: Schedule) => Promise<RunResult>;

/** Every schedule (and crash point); false when the space passed the budget before the end. */
async function exhaustively(play: Play, opts: ExploreOptions): Promise<boolean> {
  let runs = 0;
  const walk = async (crash: number | null): Promise<boolean> => {
    let prefix: number[] = [];
    let reached = false;
    for (;;) {
      if (++runs > opts.budget) throw new Exhausted();
      const run = await play({ choices: prefix, crash });
      if (run.findings.length > 0) throw new Found({ schedule: { choices: normalise(prefix, run.branching), crash }, run });
      if (run.crashedAfter !== null) reached = true;
      const full = run.branching.map((n, i) => (prefix[i] ?? 0) % n);
      let i = full.length - 1;
      while (i >= 0 && full[i]! >= run.branching[i]! - 1) i--;
      if (i < 0) return reached;
      prefix = [...full.slice(0, i), full[i]! + 1];
    }
  };
  try {
    await walk(null);
    if (opts.crashes) for (let k = 1; await walk(k); k++);
    return true;
  } catch (error) {
    if (error instanceof Exhausted) return false;
    throw error;
  }
}

class Exhausted extends Error {}

async function randomly(play: Play, opts: ExploreOptions): Promise<void> {
  const crash = opts.crashes ? fc.option(fc.integer({ min: 1, max: 60 }), { nil: null, freq: 3 }) : fc.constant(null);
  let first: Violation | null = null;
  const out = await fc.check(
    fc.asyncProperty(fc.array(fc.nat({ max: 35 }), { maxLength: 48 }), crash, async (choices, k) => {
      const run = await play({ choices, crash: k });
      if (run.findings.length > 0) {
        first ??= { schedule: { choices: normalise(choices, run.branching), crash: k }, run };
        return false;
      }
      return true;
    }),
    // fast-check's own shrinking is left to shrink.ts, which knows what a smaller schedule is
    { seed: opts.seed, numRuns: opts.budget, endOnFailure: true },
  );
  if (out.failed && first) throw new Found(first);
}
