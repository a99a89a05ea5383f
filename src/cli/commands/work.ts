import { parseAnswerList, RESERVE_ANSWERS, STATUS_ANSWERS, type SupplierScript } from '../../adapters/supplier/script.js';
import { UsageError } from '../../domain/errors.js';
import type { Ctx } from '../context.js';
import { eventLine } from '../render.js';

export function scriptFromFlags(opts: Record<string, unknown>, sku = '*'): SupplierScript | undefined {
  try {
    const status = typeof opts.supplierStatus === 'string' ? parseAnswerList('--supplier-status', opts.supplierStatus, STATUS_ANSWERS) : undefined;
    const reserve = typeof opts.supplierReserve === 'string' ? parseAnswerList('--supplier-reserve', opts.supplierReserve, RESERVE_ANSWERS) : undefined;
    if (!status && !reserve) return undefined;
    return { [sku]: { ...(status ? { status } : {}), ...(reserve ? { reserve } : {}) } };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function work(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const clock = opts.clock as 'real' | 'virtual';
  await using w = await ctx.open({ clock, script: scriptFromFlags(opts) });
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
    ctx.say(ctx.c.dim(`worker ${w.runner.workerId} on ${ctx.opts.db}; Ctrl-C to stop`));
    await w.runner.runForever(stop.signal);
  }
  const left = await w.store.listJobs();
  if (ctx.opts.json) ctx.json({ jobsRun: ran, jobsQueued: left.length });
  else ctx.say(`${ran} job(s) run, ${left.length} queued`);
  return 0;
}
