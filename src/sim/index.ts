/**
 * The simulator as a library: load scenario files, replay each on its own engine, compare with
 * its expectations. The CLI (`warehouse simulate`), the tests and the benchmark all use this.
 */
import { compare, expectationCount } from './expect.js';
import { loadScenarioFile } from './loader.js';
import type { Problem, Scenario, ScenarioResult } from './model.js';
import { replay, type ReplayOptions } from './runner.js';

/** `--real-time`: how far a `settledAt` may be from the expected duration and still match. */
export const REAL_TIME_TOLERANCE_MS = 1_000;

export type TimedResult = ScenarioResult & { wallMs: number };

/** Loads every file; all the problems of all the files, or all the scenarios. */
export async function loadAll(files: string[]): Promise<{ scenarios: Scenario[]; problems: Problem[] }> {
  const scenarios: Scenario[] = [];
  const problems: Problem[] = [];
  for (const file of files) {
    const r = await loadScenarioFile(file);
    if (r.ok) scenarios.push(r.scenario);
    else problems.push(...r.problems);
  }
  return { scenarios, problems };
}

export type RunOptions = ReplayOptions & {
  /** a scenario whose expectations check nothing fails instead of passing with a warning */
  strict?: boolean;
};

/** The warning (and, under --strict, the failure) for a scenario that checks nothing. */
export const NOTHING_CHECKED = 'no expectations: nothing was checked (add `expect:`)';

/** Replays one scenario and checks it. */
export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<TimedResult> {
  const started = performance.now();
  const outcome = await replay(scenario, opts);
  // on the wall clock, settling takes a few real milliseconds more than the nominal time
  const failures = compare(scenario.expect, outcome, { settledToleranceMs: opts.realTime ? REAL_TIME_TOLERANCE_MS : 0 });
  for (const v of outcome.violations ?? []) failures.push({ path: `check ${v.rule}`, expected: 'to hold', actual: v.message });
  const warnings: string[] = [];
  if (expectationCount(scenario.expect) === 0) {
    if (opts.strict) failures.push({ path: 'expect', expected: 'at least one expectation (--strict)', actual: 'none' });
    else warnings.push(NOTHING_CHECKED);
  }
  return { file: scenario.file, name: scenario.name, passed: failures.length === 0, failures, warnings, outcome, wallMs: performance.now() - started };
}

/** Replays scenarios one after another (each on a fresh database), in the order given. */
export async function runScenarios(scenarios: Scenario[], opts: RunOptions = {}): Promise<TimedResult[]> {
  const results: TimedResult[] = [];
  for (const s of scenarios) results.push(await runScenario(s, opts));
  return results;
}

export { formatProblem } from './model.js';
export type { Problem, Scenario, ScenarioResult } from './model.js';
