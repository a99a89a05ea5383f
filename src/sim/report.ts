/**
 * What `warehouse simulate` shows: one line per scenario with its failures indented under it,
 * the closing `N passed, N failed`, the --json document (docs/design.md §9) and the --timeline lines.
 * Pure functions from results to text.
 */
import type { ChalkInstance } from 'chalk';
import { dataParts, eventName, SINCE_CREATED, sinceCreated, wrapParts } from '../text/timeline.js';
import type { Failure, Outcome, Problem, ScenarioResult } from './model.js';

/** A value as a person reads it: strings bare, null as null, the rest as JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object' && !Array.isArray(value)) {
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${show(v)}`)
      .join(', ')} }`;
  }
  return JSON.stringify(value);
}

export const failureLine = (f: Failure) => `${f.path}: expected ${show(f.expected)}, got ${show(f.actual)}`;

export function humanLines(results: ScenarioResult[], c: ChalkInstance): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const mark = r.passed ? c.green('✓') : c.red('✗');
    lines.push(`${mark} ${r.name} ${c.dim(`(${r.file})`)}`);
    for (const f of r.failures) lines.push(`    ${c.red(f.path)}: expected ${show(f.expected)}, got ${show(f.actual)}`);
    for (const w of r.warnings) lines.push(`    ${c.yellow(`warning: ${w}`)}`);
  }
  const unchecked = results.filter((r) => r.warnings.length).length;
  if (unchecked) lines.push(c.yellow(`${unchecked} scenario(s) passed with a warning; --strict makes them fail`));
  lines.push(summaryLine(results));
  return lines;
}

export function summaryLine(results: ScenarioResult[]): string {
  const passed = results.filter((r) => r.passed).length;
  return `${passed} passed, ${results.length - passed} failed`;
}

/** The --json document: {passed, failed, scenarios: [{file, name, passed, failures}]}. */
export function jsonReport(results: ScenarioResult[], problems: Problem[] = []) {
  const passed = results.filter((r) => r.passed).length;
  return {
    passed,
    failed: results.length - passed,
    scenarios: results.map((r) => ({
      file: r.file,
      name: r.name,
      passed: r.passed,
      failures: r.failures,
      ...(r.warnings.length ? { warnings: r.warnings } : {}),
    })),
    ...(problems.length ? { problems } : {}),
  };
}

/** Scenario time (since the start, no `+`): the simulator's clock column. */
const scenarioTime = (ms: number) => `${(ms / 1000).toFixed(3)}s`;

/**
 * Every step and every order's events in time order. Two times per line, as in the CLI
 * (src/cli/timeline.ts): the scenario's clock (time since its start) and, for an order's event,
 * the time since that order's creation (`+`); times inside event data are since creation too.
 * Within one instant: steps first, then events by order (creation order) in their recorded order.
 */
export function timelineLines(outcome: Outcome, c: ChalkInstance): string[] {
  type Row = { at: number; since: string; rank: number; who: string; what: string; detail: string[] };
  // a step's text (`restock WIDGET +5`) stands in the event column: it says what kind it is
  const rows: Row[] = outcome.steps.map((s, i) => ({ at: s.at, since: '', rank: i, who: 'step', what: s.text, detail: [] }));
  let rank = rows.length;
  for (const o of outcome.orders) {
    for (const e of o.events)
      rows.push({ at: e.at, since: sinceCreated(e.at - o.createdAt), rank: rank++, who: o.label, what: e.type, detail: dataParts(e.data, o.createdAt) });
  }
  rows.sort((a, b) => a.at - b.at || a.rank - b.rank);
  const width = Math.min(12, Math.max(5, ...rows.map((r) => r.who.length)));
  const header = c.dim(`  ${'time'.padStart(10)}  ${SINCE_CREATED.padStart(13)}  ${'order'.padEnd(width)}  ${'event'.padEnd(30)}details`);
  return [
    header,
    ...rows.flatMap((r) => {
      // a scenario's step is no event: bold
      const what = r.who === 'step' ? c.bold(r.what) : eventName(r.what, c);
      const head = `  ${c.dim(scenarioTime(r.at).padStart(10))}  ${r.since.padStart(13)}  ${r.who.padEnd(width)}  ${what}${' '.repeat(Math.max(0, 29 - r.what.length))}`;
      // details wrap under the event column, two spaces in, so a line fits 80 columns
      return wrapParts(
        head,
        r.detail.map((d) => c.dim(d)),
        2 + 10 + 2 + 13 + 2 + width + 2 + 2,
      );
    }),
  ];
}
