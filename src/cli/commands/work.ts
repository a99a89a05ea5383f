import type { Ctx } from '../context.js';
import { scriptFromFlags, seedFromFlags, settingsFromFlags } from '../flags.js';

/** kept for modules that import it from here */
export { scriptFromFlags };
import { eventHeader, eventLine, skipText, stateLine } from '../render.js';

export async function work(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const clock = opts.clock as 'real' | 'virtual';
  await using w = await ctx.open({ runsJobs: true, clock, script: scriptFromFlags(opts), settings: settingsFromFlags(opts), seed: seedFromFlags(opts) });
  let ran = 0;
  let skipped = 0;
  // lines are printed in event order; each order's creation time is looked up once, so every
  // `+` offset is from the order's creation, as everywhere else
  const createdAt = new Map<number, number>();
  let printing = Promise.resolve();
  let header = false;
  const print = (orderId: number, line: (createdAt: number) => string, fallback: number) => {
    if (ctx.opts.json) return;
    printing = printing.then(async () => {
      let at = createdAt.get(orderId);
      if (at === undefined) {
        at = (await w.orders.get(orderId).catch(() => null))?.createdAt ?? fallback;
        createdAt.set(orderId, at);
      }
      if (!header) ctx.say(eventHeader(ctx.c, true));
      header = true;
      ctx.say(line(at));
    });
  };
  w.bus.on('job:complete', ({ job, outcome }) => {
    ran++;
    if (!outcome.startsWith('skipped:')) return;
    skipped++;
    // a job that found its order past the step it acts on changes nothing: say so, and why
    if (ctx.opts.json) return;
    printing = printing.then(async () => {
      const reason = (await w.orders.get(job.orderId).catch(() => null))?.failureReason;
      ctx.say(ctx.c.yellow(`job ${job.id} (${job.type} for order #${job.orderId}) changed nothing: ${skipText(outcome, job.orderId, reason)}`));
    });
  });
  w.bus.on('job:dead', () => ran++);
  w.bus.on('order:event', (e) => print(e.orderId, (at) => eventLine(e, at, ctx.c, true), e.at));
  // each state change right after the events of the commit that made it
  w.bus.on('order:transition', (t) => print(t.orderId, (at) => stateLine(t, at, ctx.c, true), t.at));
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
  await printing;
  const left = await w.jobs.counts();
  const queued = left.queued + left.running;
  if (ctx.opts.json) ctx.json({ jobsRun: ran, jobsChangedNothing: skipped, jobsQueued: queued, jobsParked: left.parked });
  else
    ctx.say(
      `${ran} job(s) run${skipped ? ` (${skipped} changed nothing)` : ''}, ${queued} queued${left.parked ? `, ${left.parked} parked (see \`warehouse jobs list\`)` : ''}`,
    );
  return 0;
}
