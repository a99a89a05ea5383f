import type { Ctx } from '../context.js';

/** `warehouse backup <file>`: a consistent copy of the database, taken while it is in use, then checked. */
export async function backup(ctx: Ctx, [destination]: string[]): Promise<number> {
  await using w = await ctx.open();
  const started = performance.now();
  const result = await w.backup(destination!);
  const ms = performance.now() - started;
  if (ctx.opts.json) ctx.json({ ...result, source: ctx.databaseLabel, ms: Math.round(ms) });
  else if (result.problems.length === 0) {
    ctx.say(`${ctx.databaseLabel} backed up to ${result.destination} (${(result.bytes / 1024).toFixed(0)} KiB, ${ms.toFixed(0)} ms); the copy is intact`);
    ctx.say(ctx.c.dim(`restore: stop the processes using ${ctx.databaseLabel}, then copy ${result.destination} over it (and remove its -wal and -shm files)`));
  } else ctx.say(ctx.c.red(`the copy at ${result.destination} is damaged: ${result.problems.join('; ')}`));
  return result.problems.length === 0 ? 0 : 1;
}
