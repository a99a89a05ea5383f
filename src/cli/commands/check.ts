import type { Ctx } from '../context.js';

/** `warehouse check`: the invariants of docs/design.md §6 on the database; exit 0 clean, 1 violated. */
export async function check(ctx: Ctx): Promise<number> {
  await using w = await ctx.open();
  const violations = await w.jobs.audit();
  if (ctx.opts.json) ctx.json({ ok: violations.length === 0, violations });
  else if (violations.length === 0) ctx.say(ctx.c.green(`${ctx.databaseLabel}: every invariant holds`));
  else {
    ctx.say(ctx.c.red(`${ctx.databaseLabel}: ${violations.length} invariant violation(s)`));
    for (const v of violations) ctx.say(`  ${ctx.c.bold(v.rule)}: ${v.message}`);
  }
  return violations.length === 0 ? 0 : 1;
}
