/**
 * `warehouse explore <scenarios…>`: search the schedules of each scenario on the real engine
 * (src/explore) and tell the story of the first one that breaks a rule. Exit 0 when nothing broke,
 * 1 with a counterexample, 2 for bad input (a malformed scenario, an unknown strategy or variant,
 * a bad token).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../../domain/errors.js';
import { numberFromText } from '../../domain/validation.js';
import { counterexampleMermaid } from '../../explore/diagram.js';
import { explain } from '../../explore/explain.js';
import type { Violation } from '../../explore/model.js';
import { parseVariant } from '../../explore/variant.js';
import { explore as search, replaySchedule, type ExploreResult } from '../../explore/search.js';
import { type StoryData, storyData, storyLines } from '../../explore/story.js';
import { decodeToken, encodeToken } from '../../explore/token.js';
import { scenarioFiles } from '../../sim/files.js';
import { formatProblem, loadAll, type Scenario } from '../../sim/index.js';
import { SIM_START } from '../../sim/runner.js';
import type { Ctx } from '../context.js';
import { untilAborted, watchForStop } from '../stop.js';

export async function explore(ctx: Ctx, paths: string[], opts: Record<string, unknown>): Promise<number> {
  const budget = numberFromText('budget', String(opts.budget ?? '2000'), 'a whole number of schedules, at least 1');
  if (budget < 1) throw new UsageError(`--budget must be at least 1 (got ${budget})`);
  const seed = numberFromText('seed', String(opts.seed ?? '1'), 'a whole number');
  const replay = typeof opts.replay === 'string' ? decodeToken(opts.replay) : null;
  const variant = replay?.variant ?? parseVariant(opts.reserveStrategy as string | undefined, opts.break as string[] | undefined);
  const expect = opts.expect !== false;
  const port = Number(opts.port ?? 3000);
  if (opts.dashboard && (!/^\d+$/.test(String(opts.port ?? 3000)) || port > 65535)) {
    throw new UsageError(`--port must be from 0 to 65535 (got ${JSON.stringify(opts.port)})`);
  }

  const { files, skipped } = await scenarioFiles(paths);
  for (const s of skipped) ctx.io.stderr.write(`${s.path}: ${s.why}, skipped\n`);
  if (files.length === 0) throw new UsageError('no scenario file to explore: give .yaml or .yml files, or a directory holding them');
  const { scenarios, problems } = await loadAll(files);
  for (const p of problems) ctx.io.stderr.write(`${formatProblem(p)}\n`);
  if (problems.length) throw new UsageError(`${problems.length} problem(s) in the scenario files: fix them and run again`);

  const name = variant.breaks.length ? `${variant.strategy}, broken: ${variant.breaks.join(', ')}` : variant.strategy;
  const total: ExploreResult = { schedules: 0, crashPoints: 0, exhaustive: true, seconds: 0, violation: null };
  let broken: Scenario | null = null;
  if (replay) {
    if (scenarios.length !== 1) throw new UsageError('--replay plays one scenario: give exactly the file the token was printed for');
    const started = performance.now();
    const run = await replaySchedule(scenarios[0]!, variant, replay.schedule, expect);
    Object.assign(total, { schedules: 1, crashPoints: run.crashedAfter === null ? 0 : 1, exhaustive: false, seconds: (performance.now() - started) / 1000 });
    if (run.findings.length) {
      total.violation = { schedule: replay.schedule, run };
      broken = scenarios[0]!;
    } else {
      ctx.say(`${scenarios[0]!.file} (${name}): the schedule of this token breaks nothing`);
      if (!ctx.opts.json) for (const line of storyLines({ schedule: replay.schedule, run })) ctx.say(line);
    }
  } else {
    for (const scenario of scenarios) {
      const r = await search(scenario, { variant, crashes: Boolean(opts.crashes), budget, seed, expect });
      total.schedules += r.schedules;
      total.crashPoints += r.crashPoints;
      total.seconds += r.seconds;
      total.exhaustive &&= r.exhaustive;
      const how = r.exhaustive
        ? `exhaustive: all ${r.schedules} schedules${opts.crashes ? ` (${r.crashPoints} crash points)` : ''}`
        : r.violation
          ? `found after ${r.schedules} schedules`
          : `random: ${r.schedules} schedules (seed ${seed})${opts.crashes ? `, ${r.crashPoints} crash points` : ''}`;
      ctx.say(`${scenario.file} (${name}): ${how}, ${r.seconds.toFixed(2)} s${r.violation ? '' : ': every check held'}`);
      if (r.violation) {
        total.violation = r.violation;
        broken = scenario;
        break;
      }
    }
  }
  if (!total.violation || !broken) {
    if (ctx.opts.json) ctx.json({ ...summary(total), violation: null });
    if (opts.dashboard) ctx.io.stderr.write('note: every check held: no counterexample to replay on the page, so no dashboard\n');
    return 0;
  }
  const v = total.violation;
  const why = explain(v);
  const token = encodeToken(variant, v.schedule);
  const finding = v.run.findings[0]!;
  if (ctx.opts.json) {
    ctx.json({
      ...summary(total),
      violation: {
        invariant: finding.invariant,
        message: why.sentence,
        orders: v.run.lanes,
        steps: v.run.steps.map((s) => ({
          n: s.n,
          order: s.lane,
          text: s.text,
          process: s.process,
          ...(v.run.crashedAfter === s.n ? { crashAfter: true } : {}),
        })),
        replay: token,
      },
    });
  } else {
    ctx.say();
    ctx.say(ctx.c.red(`✗ ${finding.invariant}: ${finding.message}`));
    ctx.say();
    for (const line of storyLines(v, why.step)) ctx.say(line);
    ctx.say();
    ctx.say(`why: ${why.sentence}`);
    ctx.say(`replay: warehouse explore ${broken.file} --replay ${token}`);
  }
  if (typeof opts.diagram === 'string') await writeDiagram(ctx, opts.diagram, broken, v, why.step, opts.svg !== false);
  if (opts.dashboard) {
    const story = storyData({ scenario: broken, variant: name, token, v, why });
    await serveStory(ctx, story, { port, host: String(opts.host ?? '127.0.0.1') });
  }
  return 1;
}

/**
 * `--dashboard`: the page, on a fresh engine of its own (a temporary database, a paused clock),
 * with the counterexample to replay (GET /api/explore/story), until Ctrl-C.
 */
async function serveStory(ctx: Ctx, story: StoryData, where: { port: number; host: string }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warehouse-explore-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const stopWatch = watchForStop(ctx.io, removeDir);
  const [{ startServer }, { createClock }, { listenProblem }] = await Promise.all([
    import('../../http/server.js'),
    import('../../wiring/warehouse.js'),
    import('../ports.js'),
  ]);
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    server = await startServer({
      database: join(dir, 'explore.db'),
      clock: createClock('paced', SIM_START),
      port: where.port,
      host: where.host,
      token: ctx.io.env.WAREHOUSE_API_TOKEN || undefined,
      logLevel: 'fatal',
      story,
    }).catch((error: unknown) => {
      throw listenProblem(error, where.port, where.host, '--port');
    });
    const line = `Dashboard: ${server.url}/ replays this story step by step (Step on the page); Ctrl-C to stop.`;
    if (ctx.opts.json) ctx.io.stderr.write(`${line}\n`);
    else {
      ctx.say();
      ctx.say(line);
    }
    await untilAborted(stopWatch.signal);
  } finally {
    await server?.close();
    removeDir();
    stopWatch.dispose();
  }
}

const summary = (r: ExploreResult) => ({ schedules: r.schedules, crashPoints: r.crashPoints, exhaustive: r.exhaustive, seconds: Number(r.seconds.toFixed(3)) });

async function write(file: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new UsageError(`cannot write the ${what} to ${file}: ${(error as Error).message}`);
  }
}

async function writeDiagram(ctx: Ctx, file: string, scenario: Scenario, v: Violation, mark: number | undefined, svg: boolean): Promise<void> {
  const definition = counterexampleMermaid(scenario.name, v, mark);
  const svgFile = join(dirname(file), `${basename(file).replace(/\.[^.]+$/, '')}.svg`);
  let rendered: string | null = null;
  if (svg) {
    const { NoBrowserError, renderSvgs } = await import('../../sim/svg.js');
    try {
      [rendered = null] = await renderSvgs([definition]);
    } catch (error) {
      const why = error instanceof NoBrowserError ? error.message : `Chromium or Mermaid failed: ${(error as Error).message.split('\n')[0]}`;
      ctx.io.stderr.write(`note: no SVG written: ${why}; --no-svg leaves it out\n`);
    }
  }
  const image = rendered ? `\n![${scenario.name}](${basename(svgFile)})\n` : '';
  await write(file, `# ${scenario.name}\n\n\`${scenario.file}\`\n\n\`\`\`mermaid\n${definition}\n\`\`\`\n${image}`, 'diagram');
  if (rendered) await write(svgFile, rendered, 'SVG diagram');
}
