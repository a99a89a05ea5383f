/**
 * `warehouse simulate <files or directories...>`: pick the scenario files (src/sim/files.ts), load
 * every one first and list the problems of any malformed one as file:line:col; replay each other
 * scenario on its own fresh engine and report it. Exit 2 if any file was malformed (it was not
 * run), else 1 if any expectation failed (or, with --strict, if a scenario checks nothing).
 */
import { writeFile } from 'node:fs/promises';
import { UsageError } from '../../domain/errors.js';
import { numberFromText } from '../../domain/validation.js';
import { basename, dirname, join } from 'node:path';
import { isBroken, parseVariant } from '../../explore/variant.js';
import { diagramMarkdown, mermaid, svgNames } from '../../sim/diagram.js';
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
  // a variant (docs/teaching.md, "Break it to learn it"): bad input exits 2 before anything runs
  const variant =
    opts.reserveStrategy !== undefined || opts.break !== undefined
      ? parseVariant(opts.reserveStrategy as string | undefined, opts.break as string[] | undefined)
      : undefined;

  const { files, skipped } = await scenarioFiles(paths);
  for (const s of skipped) ctx.io.stderr.write(`${s.path}: ${s.why}, skipped\n`);
  if (files.length === 0)
    throw new UsageError('no scenario file to run: give .yaml or .yml files, or a directory holding them (e.g. `warehouse simulate scenarios/`)');

  const { scenarios, problems } = await loadAll(files);
  for (const p of problems) ctx.io.stderr.write(`${formatProblem(p)}\n`);

  // a malformed file is reported and not run; every other file still runs and is reported
  if (variant && isBroken(variant) && !ctx.opts.json) {
    const what = [...(variant.strategy === 'naive' ? ['--reserve-strategy naive'] : []), ...variant.breaks.map((b) => `--break ${b}`)].join(', ');
    ctx.say(
      ctx.c.yellow(
        `teaching only: ${what} is deliberately broken; the rules of \`warehouse check\` are checked after each scenario. ` +
          'A crash or a lost answer is what breaks most variants: `warehouse explore … --crashes` searches for one',
      ),
    );
  }
  const results = await runScenarios(scenarios, { seed, realTime: Boolean(opts.realTime), strict: Boolean(opts.strict), variant });
  if (opts.timeline) {
    for (const r of results) {
      ctx.say(ctx.c.bold(`${r.name} (${r.file}): timeline`));
      for (const line of timelineLines(r.outcome, ctx.c)) ctx.say(line);
      ctx.say();
    }
  }
  if (ctx.opts.json) ctx.json(jsonReport(results, problems));
  else if (results.length) for (const line of humanLines(results, ctx.c)) ctx.say(line);
  if (junit) await write(junit, junitXml(results, problems), 'JUnit report');
  if (diagram && results.length) await writeDiagrams(ctx, diagram, results, opts.svg !== false);
  if (problems.length) {
    const bad = new Set(problems.map((p) => p.file)).size;
    const ran = results.length ? `; the other ${results.length} scenario(s) ran` : '';
    ctx.io.stderr.write(`${problems.length} problem(s) in ${bad} file(s), not run: fix them and run again${ran}\n`);
    return 2;
  }
  return results.every((r) => r.passed) ? 0 : 1;
}

/**
 * `--diagram out.md`: the Markdown with a Mermaid sequence diagram per scenario, and each diagram
 * rendered as SVG next to it (Mermaid in headless Chromium; without one a note says how to get it).
 */
async function writeDiagrams(
  ctx: Ctx,
  file: string,
  results: Array<{ name: string; file: string; outcome: Parameters<typeof mermaid>[1] }>,
  svg: boolean,
): Promise<void> {
  const names = svgNames(
    file,
    results.map((r) => r.file),
  );
  let rendered: string[] | null = null;
  if (svg) {
    const { NoBrowserError, renderSvgs } = await import('../../sim/svg.js');
    try {
      rendered = await renderSvgs(results.map((r) => mermaid(r.name, r.outcome)));
    } catch (error) {
      const why = error instanceof NoBrowserError ? error.message : `Chromium or Mermaid failed: ${(error as Error).message.split('\n')[0]}`;
      ctx.io.stderr.write(`note: no SVG written: ${why}; --no-svg leaves it out\n`);
    }
  }
  const items = results.map((r, i) => ({ name: r.name, file: r.file, outcome: r.outcome, ...(rendered ? { svg: basename(names[i]!) } : {}) }));
  await write(file, diagramMarkdown(items), 'diagram');
  if (rendered) for (const [i, text] of rendered.entries()) await write(join(dirname(file), basename(names[i]!)), text, 'SVG diagram');
}
