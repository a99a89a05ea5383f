import { DURATION_FORM, parseDuration } from '../../domain/duration.js';
import { UsageError } from '../../domain/errors.js';
import type { Ctx } from '../context.js';
import { sayTrouble } from '../trouble.js';
import { parseQueueFlag, scriptFromFlags, seedFromFlags, settingsFromFlags } from '../flags.js';

/** kept for modules that import it from here */
export { scriptFromFlags };
import { eventHeader, eventLine, skipText, stateLine } from '../render.js';

export async function work(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const clock = opts.clock as 'real' | 'virtual';
  const queue = parseQueueFlag(opts.queue);
  await using w = await ctx.open({
    runsJobs: true,
    clock,
    script: scriptFromFlags(opts),
    settings: settingsFromFlags(opts),
    seed: seedFromFlags(opts),
    queue,
    // a worker that starts while another process holds the write lock waits for it, saying so once
    onLockWait: (message) => ctx.io.stderr.write(`${message}\n`),
  });
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
  sayTrouble(ctx, w);
  let undrained = 0;
  if (opts.untilIdle) {
    await w.runner.runUntilIdle();
  } else {
    const bound = shutdownTimeout(opts);
    const stop = new AbortController();
    let leaveNow!: () => void;
    const leave = new Promise<void>((resolve) => (leaveNow = resolve));
    const onSignal = () => {
      // a second Ctrl-C: leave now; the leases of running jobs expire and other workers take them
      if (stop.signal.aborted) return leaveNow();
      ctx.io.stderr.write(`stopping: no new jobs; waiting up to ${bound / 1000} s for ${w.runner.inFlight} running job(s) (Ctrl-C again to leave now)\n`);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    ctx.say(ctx.c.dim(`worker ${w.runner.workerId} on ${ctx.databaseLabel}${queue ? `, jobs from ${w.queueLabel}` : ''}; Ctrl-C to stop`));
    const running = w.runner.runForever(stop.signal);
    // asked to stop, the worker may take `bound` to drain; past it, it leaves and says so (exit 1)
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true })).then(() =>
      Promise.race([running, leave, new Promise((r) => setTimeout(r, bound).unref())]),
    );
    undrained = w.runner.inFlight;
    if (undrained === 0) await running;
  }
  await printing;
  const left = await w.jobs.counts();
  const queued = left.queued + left.running;
  if (ctx.opts.json) ctx.json({ jobsRun: ran, jobsChangedNothing: skipped, jobsQueued: queued, jobsParked: left.parked });
  else
    ctx.say(
      `${ran} job(s) run${skipped ? ` (${skipped} changed nothing)` : ''}, ${queued} queued${left.parked ? `, ${left.parked} parked (see \`warehouse jobs list\`)` : ''}`,
    );
  if (undrained > 0) {
    ctx.io.stderr.write(`error: ${undrained} job(s) still running after the shutdown timeout; their leases will expire and another worker will take them\n`);
    return 1;
  }
  return 0;
}

function shutdownTimeout(opts: Record<string, unknown>): number {
  const ms = parseDuration(String(opts.shutdownTimeout ?? '10s'));
  if (ms === null) throw new UsageError(`--shutdown-timeout must be ${DURATION_FORM}`);
  return ms;
}
