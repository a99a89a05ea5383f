/**
 * `warehouse simulate <files or directories...>`: pick the scenario files (src/sim/files.ts), load
 * every one first; if any is malformed, list all the problems as file:line:col and exit 2 without
 * running anything. Otherwise replay each scenario on its own fresh engine and report; exit 1 if
 * any expectation failed (or, with --strict, if a scenario checks nothing).
 */
import { writeFile } from 'node:fs/promises';
import { UsageError } from '../../domain/errors.js';
import { numberFromText } from '../../domain/validation.js';
import { diagramMarkdown } from '../../sim/diagram.js';
import { scenarioFiles } from '../../sim/files.js';
import { formatProblem, loadAll, runScenarios } from '../../sim/index.js';
import { junitXml } from '../../sim/junit.js';
import { humanLines, jsonReport, timelineLines } from '../../sim/report.js';
import type { Ctx } from '../context.js';

async function write(file: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new UsageError(`cannot write the ${what} to ${file}: ${(error as Error).message}`);
  }
}

export async function simulate(ctx: Ctx, paths: string[], opts: Record<string, unknown>): Promise<number> {
  const seed = typeof opts.seed === 'string' ? numberFromText('seed', opts.seed, 'a whole number') : undefined;
  const junit = typeof opts.junit === 'string' ? opts.junit : null;
  const diagram = typeof opts.diagram === 'string' ? opts.diagram : null;

  const { files, skipped } = await scenarioFiles(paths);
  for (const s of skipped) ctx.io.stderr.write(`${s.path}: ${s.why}, skipped\n`);
  if (files.length === 0) throw new UsageError('no scenario file to run: give .yaml or .yml files, or a directory holding them (e.g. `warehouse simulate scenarios/`)');

  const { scenarios, problems } = await loadAll(files);
  if (problems.length) {
    for (const p of problems) ctx.io.stderr.write(`${formatProblem(p)}\n`);
    const bad = new Set(problems.map((p) => p.file)).size;
    ctx.io.stderr.write(`${problems.length} problem(s) in ${bad} file(s); nothing was run\n`);
    if (ctx.opts.json) ctx.json(jsonReport([], problems));
    if (junit) await write(junit, junitXml([], problems), 'JUnit report');
    return 2;
  }

  const results = await runScenarios(scenarios, { seed, realTime: Boolean(opts.realTime), strict: Boolean(opts.strict) });
  if (opts.timeline) {
    for (const r of results) {
      ctx.say(ctx.c.bold(`${r.name} (${r.file}): timeline`));
      for (const line of timelineLines(r.outcome, ctx.c)) ctx.say(line);
      ctx.say();
    }
  }
  if (ctx.opts.json) ctx.json(jsonReport(results));
  else for (const line of humanLines(results, ctx.c)) ctx.say(line);
  if (junit) await write(junit, junitXml(results), 'JUnit report');
  if (diagram) await write(diagram, diagramMarkdown(results.map((r) => ({ name: r.name, file: r.file, outcome: r.outcome }))), 'diagram');
  return results.every((r) => r.passed) ? 0 : 1;
}
