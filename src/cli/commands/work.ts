import type { Ctx } from '../context.js';
import { scriptFromFlags, seedFromFlags, settingsFromFlags } from '../flags.js';

/** kept for modules that import it from here */
export { scriptFromFlags };
import { eventLine } from '../render.js';

export async function work(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const clock = opts.clock as 'real' | 'virtual';
  await using w = await ctx.open({ runsJobs: true, clock, script: scriptFromFlags(opts), settings: settingsFromFlags(opts), seed: seedFromFlags(opts) });
  let ran = 0;
  w.bus.on('job:complete', () => ran++);
  w.bus.on('job:dead', () => ran++);
  if (!ctx.opts.json) w.bus.on('order:event', (e) => ctx.say(eventLine(e, e.at, ctx.c, true)));
  if (opts.untilIdle) {
    await w.runner.runUntilIdle();
  } else {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    ctx.say(ctx.c.dim(`worker ${w.runner.workerId} on ${ctx.databaseLabel}; Ctrl-C to stop`));
    await w.runner.runForever(stop.signal);
  }
  const left = await w.jobs.counts();
  const queued = left.queued + left.running;
  if (ctx.opts.json) ctx.json({ jobsRun: ran, jobsQueued: queued, jobsParked: left.parked });
  else ctx.say(`${ran} job(s) run, ${queued} queued${left.parked ? `, ${left.parked} parked (see \`warehouse jobs list\`)` : ''}`);
  return 0;
}
