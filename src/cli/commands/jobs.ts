import { deadLetterJson, enqueuedJobJson, jobJson } from '../../app/json.js';
import { UsageError } from '../../domain/errors.js';
import { isSettled } from '../../domain/order.js';
import { numberFromText } from '../../domain/validation.js';
import type { Ctx } from '../context.js';
import { table, when } from '../render.js';

export async function list(ctx: Ctx): Promise<number> {
  await using w = await ctx.open();
  const jobs = await w.jobs.list();
  if (ctx.opts.json) ctx.json(jobs.map(jobJson));
  else if (jobs.length === 0) ctx.say('no jobs queued');
  else
    ctx.say(
      table(
        ['id', 'type', 'order', 'state', 'run at (UTC)', 'attempt', 'last error / parked because'],
        // runs beyond the attempt (crashes, database trouble) are shown with it, to fit 80 columns
        jobs.map((j) => [
          j.id,
          j.type,
          `#${j.orderId}`,
          j.state,
          when(j.runAt),
          `${j.attempt}/${j.maxAttempts}${j.runs > j.attempt ? `, ${j.runs} runs` : ''}`,
          j.parkedReason ?? j.lastError,
        ]),
        ctx.c,
      ),
    );
  return 0;
}

export async function failed(ctx: Ctx): Promise<number> {
  await using w = await ctx.open();
  const dead = await w.jobs.failed();
  if (ctx.opts.json) ctx.json(dead.map(deadLetterJson));
  else if (dead.length === 0) ctx.say('no dead-lettered jobs');
  else
    ctx.say(
      table(
        ['id', 'job', 'type', 'order', 'attempts', 'failed at', 'last error'],
        dead.map((d) => [d.id, d.jobId, d.type, `#${d.orderId}`, d.attempts, when(d.failedAt), d.lastError]),
        ctx.c,
      ),
    );
  return 0;
}

export async function retry(ctx: Ctx, [id]: string[], opts: Record<string, unknown>): Promise<number> {
  if (opts.all) {
    if (id !== undefined) throw new UsageError('give a dead-letter id or --all, not both');
    await using w = await ctx.open();
    const jobs = await w.jobs.retryAll();
    if (ctx.opts.json) ctx.json(jobs.map(enqueuedJobJson));
    else ctx.say(`${jobs.length} dead-lettered job(s) queued again; run \`warehouse work --until-idle\``);
    const settled = [];
    for (const job of jobs) if (isSettled((await w.orders.get(job.orderId)).status)) settled.push(`#${job.orderId}`);
    if (settled.length)
      ctx.say(
        ctx.c.yellow(
          `${settled.length} of them will change nothing: their orders are already final (${settled.join(', ')}); a retried job only acts on an order still waiting for it`,
        ),
      );
    return 0;
  }
  if (id === undefined) throw new UsageError('jobs retry needs a dead-letter id (see `warehouse jobs failed`) or --all');
  const n = numberFromText('id', id, 'a dead-letter id is a whole number; see `warehouse jobs failed`');
  await using w = await ctx.open();
  const job = await w.jobs.retry(String(n));
  if (ctx.opts.json) ctx.json(enqueuedJobJson(job));
  else ctx.say(`dead letter ${n} is queued again as job ${job.id} (${job.type} for order #${job.orderId}); run \`warehouse work --until-idle\``);
  // a dead letter has usually failed its order already (failed is final): the job will find
  // nothing to do, and saying so now saves a puzzled look at `work`'s output
  const order = await w.orders.get(job.orderId);
  if (isSettled(order.status)) {
    const why = `${order.status}${order.failureReason ? ` (${order.failureReason})` : ''}`;
    ctx.say(
      ctx.c.yellow(`order #${order.id} is already ${why}${order.status === 'reserved' ? '' : ', a final state'}: the job will change nothing when it runs`),
    );
  }
  return 0;
}

/** `jobs resume [id] [--all]`: put parked jobs back on the queue. */
export async function resume(ctx: Ctx, [id]: string[], opts: Record<string, unknown>): Promise<number> {
  if (opts.all && id !== undefined) throw new UsageError('give a job id or --all, not both');
  if (!opts.all && id === undefined) throw new UsageError('jobs resume needs a parked job id (see `warehouse jobs list`) or --all');
  await using w = await ctx.open();
  const jobs = await w.jobs.resume(opts.all ? undefined : id);
  if (ctx.opts.json) ctx.json(jobs.map(enqueuedJobJson));
  else if (jobs.length === 0) ctx.say(id === undefined ? 'no parked jobs' : `job ${id} is not parked; see \`warehouse jobs list\``);
  else ctx.say(`${jobs.length} parked job(s) queued again; run \`warehouse work --until-idle\``);
  return id !== undefined && jobs.length === 0 ? 1 : 0;
}
