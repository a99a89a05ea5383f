/**
 * `warehouse stats`: the reservation figures from the database alone (app/stats.ts), as a table or
 * `--json`: reservation success rate by source, time in awaiting_restock, supplier answers and
 * delays, job retries by type and reason, dead letters, the queue. No server needed.
 */
import { createStatsService, type Stats } from '../../app/stats.js';
import { AWAITING_BUCKETS } from '../../domain/figures.js';
import type { Ctx } from '../context.js';
import { tableClass } from '../render.js';

const percent = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const seconds = (s: number) => `${s.toFixed(3)}s`;

function rows(s: Stats): Array<[string, string, string | number]> {
  const out: Array<[string, string, string | number]> = [];
  // a figure's name on its first row only
  const named = new Set<string>();
  const add = (figure: string, by: string, value: string | number) => {
    out.push([named.has(figure) ? '' : figure, by, value]);
    named.add(figure);
  };
  for (const source of ['stock', 'supplier'] as const) {
    const { reserved, failed } = s.settled[source];
    add('success rate', source, `${percent(s.successRate[source])} (${reserved} of ${reserved + failed})`);
  }
  const reserved = s.settled.stock.reserved + s.settled.supplier.reserved;
  const final = reserved + s.settled.stock.failed + s.settled.supplier.failed;
  add('success rate', 'all', `${percent(s.successRate.all)} (${reserved} of ${final})`);
  add('orders', 'created', s.ordersCreated);
  add('orders', 'reserved', reserved);
  for (const [reason, n] of Object.entries(s.failures).sort()) add('orders', `failed: ${reason}`, n);
  const a = s.awaitingRestock;
  add('awaiting_restock', 'orders that left it', a.count);
  if (a.count > 0) {
    add('awaiting_restock', 'mean / max', `${seconds(a.sumSeconds / a.count)} / ${seconds(a.maxSeconds)}`);
    // the histogram's buckets up to the first that holds every order
    for (let i = 0; i < AWAITING_BUCKETS.length; i++) {
      add('awaiting_restock', `at most ${AWAITING_BUCKETS[i]}s`, a.buckets[i]!);
      if (a.buckets[i] === a.count) break;
    }
  }
  const answers = [...s.supplierAnswers].sort((x, y) => x.call.localeCompare(y.call) || x.answer.localeCompare(y.answer));
  if (answers.length === 0) add('supplier answers', 'none yet', 0);
  for (const { call, answer, count } of answers) add('supplier answers', `${call}: ${answer}`, count);
  add('supplier delays', 'orders told delayed', s.delays.orders);
  add('supplier delays', 'delayed answers', s.delays.answers);
  const retries = [...s.retries].sort((x, y) => x.jobType.localeCompare(y.jobType) || x.owner.localeCompare(y.owner) || x.reason.localeCompare(y.reason));
  if (retries.length === 0) add('job retries', 'none', 0);
  for (const r of retries) add('job retries', `${r.jobType} ${r.owner}/${r.reason}`, r.count);
  const dead = Object.entries(s.deadLettered).sort();
  if (dead.length === 0) add('dead letters', 'none', 0);
  for (const [type, n] of dead) add('dead letters', type, n);
  add('dead letters', 'not yet retried', s.queue.deadLetters);
  add('queue', 'queued / running / parked', `${s.queue.queued} / ${s.queue.running} / ${s.queue.parked}`);
  add('queue', 'oldest due job waited', seconds(s.queue.oldestDueAgeSeconds));
  add('lifecycle', 'cancelled / expired / fulfilled', `${s.lifecycle.cancelled} / ${s.lifecycle.expired} / ${s.lifecycle.fulfilled}`);
  add('compensations', 'cancelled / too late / calls failed', `${s.compensations.cancelled} / ${s.compensations.tooLate} / ${s.compensations.failedCalls}`);
  add('compensations', 'lines undone (another line failed)', s.compensations.linesUndone);
  const conflicts = Object.entries(s.lockConflicts).sort();
  if (conflicts.length === 0) add('lock conflicts', 'none', 0);
  for (const [strategy, n] of conflicts) add('lock conflicts', `${strategy} (each retried)`, n);
  return out;
}

export async function stats(ctx: Ctx): Promise<number> {
  await using w = await ctx.open();
  const s = await createStatsService({ store: w.store, queue: w.queue, clock: w.clock }).read();
  // the database's identity: the one in its supplier keys (docs/design.md §5.2)
  const databaseId = await w.databaseId();
  if (ctx.opts.json) {
    const a = s.awaitingRestock;
    ctx.json({
      databaseId,
      ...s,
      awaitingRestock: { ...a, buckets: AWAITING_BUCKETS.map((le, i) => ({ le, count: a.buckets[i] })) },
      at: new Date(s.at).toISOString(),
    });
    return 0;
  }
  // one rule under the head only: a figure's rows read as one group
  const Table = tableClass();
  const t = new Table({
    head: ['figure', 'by', 'value'].map((h) => ctx.c.bold(h)),
    style: { head: [], border: [] },
    colAligns: ['left', 'left', 'right'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows(s)) t.push(row.map(String));
  ctx.say(`${ctx.databaseLabel}, database id ${databaseId}`);
  ctx.say(t.toString());
  return 0;
}
