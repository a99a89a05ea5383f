/**
 * Issue 10 item 11: a `+` time means one thing everywhere, the time since the order's creation,
 * and the output says so (a header line names the column).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDb } from '../helpers.js';
import { unwrap } from './unwrap.js';

interface Line {
  offsetMs: number;
  event: string;
  text: string;
}

const ms = (s: string) => Math.round(Number(s) * 1000);

/** The event lines of `order create`/`order show`/`work` output: offset column and event name. */
function eventLines(stdout: string): Line[] {
  return unwrap(stdout)
    .split('\n')
    .map((text) => ({ text, m: /^\s*\d\d:\d\d:\d\d\.\d{3}\s+\+(\d+\.\d{3})s\s+(?:#\d+\s+)?([A-Z]\w+)/.exec(text) }))
    .filter((l) => l.m)
    .map(({ text, m }) => ({ offsetMs: ms(m![1]!), event: m![2]!, text }));
}

/** `retry at +X` / `next check at +X` on a line: X in ms. */
const dueAt = (text: string) => {
  const m = /(?:retry|next check) at \+(\d+\.\d{3})s/.exec(text);
  return m ? ms(m[1]!) : null;
};

/** Each `… at +X` names the offset of the line where that retry or check then happens. */
function expectDueTimesMatchTheirLines(lines: Line[]): number {
  let checked = 0;
  lines.forEach((l, i) => {
    const due = dueAt(l.text);
    if (due === null) return;
    const next = lines.slice(i + 1).find((n) => n.event === (l.text.includes('retry at') ? 'SupplierReservationRequested' : 'SupplierStatusChecked'));
    expect(next, l.text).toBeDefined();
    expect(due, `${l.text}\n${next!.text}`).toBe(next!.offsetMs);
    expect(due).toBeGreaterThan(l.offsetMs);
    checked++;
  });
  return checked;
}

describe('time offsets in human output', () => {
  it('order create: "retry at" and "next check at" are offsets since creation, like the line stamps, under a header that says so', async () => {
    const r = await runCli([
      '--db',
      tempDb(),
      'order',
      'create',
      '--sku',
      'X',
      '--qty',
      '1',
      '--clock',
      'virtual',
      '--seed',
      '3',
      '--supplier-reserve',
      'error,accepted',
      '--supplier-status',
      'delayed,ok',
    ]);
    expect(r.code).toBe(0);
    const header = r.stdout.split('\n')[0]!;
    expect(header).toMatch(/^time \(UTC\)\s+since created\s+event\s+details$/);
    const lines = eventLines(r.stdout);
    expect(lines[0]).toMatchObject({ event: 'OrderCreated', offsetMs: 0 });
    // one retry after the HTTP 500, then two checks: three due times, each matching its line
    expect(expectDueTimesMatchTheirLines(lines)).toBe(3);
  });

  it('work: each line is stamped with the time since its own order was created, not +0.000s', async () => {
    const db = tempDb();
    for (const sku of ['A', 'B']) expect((await runCli(['--db', db, 'order', 'create', '--sku', sku, '--qty', '1', '--no-wait'])).code).toBe(0);
    const r = await runCli(['--db', db, 'work', '--until-idle', '--clock', 'virtual', '--supplier-status', 'delayed,ok']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^time \(UTC\)\s+since created\s+order\s+event\s+details$/);
    for (const id of [1, 2]) {
      const order = JSON.parse((await runCli(['--db', db, '--json', 'order', 'show', String(id)])).stdout) as {
        createdAt: string;
        events: Array<{ at: string; type: string }>;
      };
      const mine = eventLines(
        unwrap(r.stdout)
          .split('\n')
          .filter((l) => l.includes(` #${id} `))
          .join('\n'),
      );
      const expected = order.events.filter((e) => e.type !== 'OrderCreated').map((e) => Date.parse(e.at) - Date.parse(order.createdAt));
      expect(mine.map((l) => l.offsetMs)).toEqual(expected);
      expect(mine.at(-1)!.offsetMs).toBeGreaterThanOrEqual(30_000);
      expect(expectDueTimesMatchTheirLines(mine)).toBe(2);
    }
  });

  it('order show prints the same offsets under the same header', async () => {
    const db = tempDb();
    await runCli(['--db', db, 'order', 'create', '--sku', 'X', '--qty', '1', '--clock', 'virtual', '--supplier-status', 'delayed,ok']);
    const r = await runCli(['--db', db, 'order', 'show', '1']);
    // the header follows the order's line (which wraps a long supplier ref onto a second line)
    expect(r.stdout.split('\n').find((l) => l.includes('time (UTC)'))).toMatch(/^\s+time \(UTC\)\s+since created\s+event\s+details$/);
    const lines = eventLines(r.stdout);
    expect(lines.map((l) => l.offsetMs)).toEqual([0, 0, 0, 15_000, 30_000, 30_000, 30_000]);
    expect(expectDueTimesMatchTheirLines(lines)).toBe(2);
  });

  it('simulate --timeline: the scenario clock, and "+" times since each order was created', async () => {
    const r = await runCli(['simulate', join(ROOT, 'scenarios', 'restock-while-waiting.yaml'), '--timeline']);
    expect(r.code).toBe(0);
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('  '))) expect(line.length, line).toBeLessThanOrEqual(80); // the timeline's rows
    r.stdout = unwrap(r.stdout);
    expect(r.stdout).toMatch(/^\s+time\s+since created\s+order\s+event\s+details$/m);
    // b is created at 25 s: its events are at +0.000s since its creation
    expect(r.stdout).toMatch(/^\s+25\.000s\s+\+0\.000s\s+b\s+OrderCreated/m);
    expect(r.stdout).toMatch(/^\s+25\.000s\s+\+0\.000s\s+b\s+OrderReserved$/m);
    expect(r.stdout).toMatch(/^\s+20\.000s\s+step\s+restock WIDGET \+5$/m);
    expect(r.stdout).toMatch(/^\s+15\.000s\s+\+15\.000s\s+a\s+SupplierStatusChecked\s+status=delayed check=1 next check at \+30\.000s$/m);
  });

  it('simulate --timeline: a retry time inside an order created late is since that order, too', async () => {
    const dir = join(ROOT, 'test', 'sim', 'fixtures');
    const r = await runCli(['simulate', join(dir, 'late-retry.yaml'), '--timeline']);
    expect(r.code).toBe(0);
    r.stdout = unwrap(r.stdout);
    // created at 10 s, the 500 is retried 0.724 s later (seed 42): +0.724s, at 10.724 s scenario time
    expect(r.stdout).toMatch(/^\s+10\.000s\s+\+0\.000s\s+late\s+SupplierCallFailed\s+.*retry at \+(\d+\.\d{3})s$/m);
    const retryAt = /retry at \+(\d+\.\d{3})s/.exec(r.stdout)![1]!;
    expect(r.stdout).toMatch(
      new RegExp(
        `^\\s+${(10 + Number(retryAt)).toFixed(3).replace('.', '\\.')}s\\s+\\+${retryAt.replace('.', '\\.')}s\\s+late\\s+SupplierReservationRequested`,
        'm',
      ),
    );
  });
});
