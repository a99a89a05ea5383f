import type { Ctx } from '../context.js';

/**
 * `warehouse check`: the invariants of docs/design.md §6 on the database; exit 0 clean, 1 violated.
 * Shows the database's identity too (the one in its supplier keys, docs/design.md §5.2).
 */
export async function check(ctx: Ctx): Promise<number> {
  await using w = await ctx.open();
  const violations = await w.jobs.audit();
  // a damaged file may not give it; the violations say why
  const databaseId = await w.databaseId().catch(() => null);
  const label = databaseId === null ? ctx.databaseLabel : `${ctx.databaseLabel} (database id ${databaseId})`;
  if (ctx.opts.json) ctx.json({ ok: violations.length === 0, databaseId, violations });
  else if (violations.length === 0) ctx.say(ctx.c.green(`${label}: every invariant holds`));
  else {
    ctx.say(ctx.c.red(`${label}: ${violations.length} invariant violation(s)`));
    for (const v of violations) ctx.say(`  ${ctx.c.bold(v.rule)}: ${v.message}`);
  }
  return violations.length === 0 ? 0 : 1;
}
