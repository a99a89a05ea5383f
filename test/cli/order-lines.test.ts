/**
 * `warehouse order create --line SKU:QTY …` (docs/design.md §2.6), the real bin spawned on a SQLite
 * file: every line reserved or none, the lines shown, bad lines refused with exit 2 naming the line
 * and nothing stored, and `check` holding after each.
 */
import { describe, expect, it } from 'vitest';
import { checkInvariants, runCli, tempDb } from '../helpers.js';

describe('order create --line', () => {
  it('reserves every line, shows them, and cancels them all with the order', async () => {
    const db = tempDb();
    await runCli(['--db', db, 'inventory', 'set', 'A', '5']);
    await runCli(['--db', db, 'inventory', 'set', 'B', '5']);
    const made = await runCli(['--db', db, 'order', 'create', '--line', 'a:2', '--line', 'B:3', '--clock', 'virtual']);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/order #1 A\+B × 5: reserved/);
    expect(made.stdout).toMatch(/line 1 A × 2: reserved/);
    expect(made.stdout).toMatch(/line 2 B × 3: reserved/);
    const shown = JSON.parse((await runCli(['--db', db, '--json', 'order', 'show', '1'])).stdout);
    expect(shown.lines.map((l: { line: number; status: string }) => [l.line, l.status])).toEqual([
      [1, 'reserved'],
      [2, 'reserved'],
    ]);
    // the lines are not orders of their own in the list
    expect(JSON.parse((await runCli(['--db', db, '--json', 'order', 'list'])).stdout).map((o: { id: number }) => o.id)).toEqual([1]);
    const cancelled = await runCli(['--db', db, '--json', 'order', 'cancel', '1']);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ status: 'cancelled', lines: [{ status: 'cancelled' }, { status: 'cancelled' }] });
    expect((await runCli(['--db', db, 'check'])).code).toBe(0);
    expect(JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'list'])).stdout).map((i: { available: number }) => i.available)).toEqual([5, 5]);
  });

  it('a line short of stock waits on the supplier (awaiting_restock), then the order is reserved with it', async () => {
    const db = tempDb();
    await runCli(['--db', db, 'inventory', 'set', 'WIDGET', '5']);
    const made = await runCli(['--db', db, 'order', 'create', '--line', 'WIDGET:3', '--line', 'GADGET:1', '--clock', 'virtual']);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/state: pending → awaiting_restock/);
    expect(made.stdout).toMatch(/SupplierReservationAccepted[\s\S]*line=2/);
    expect(made.stdout).toMatch(/state: awaiting_restock → reserved/);
    expect(made.stdout).toMatch(/line 2 GADGET × 1: reserved/);
    expect((await runCli(['--db', db, 'check'])).code).toBe(0);
    expect(checkInvariants(db)).toEqual([]);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['a line not SKU:QTY', ['--line', 'A:1', '--line', 'B'], /line 2: "B" is not SKU:QTY/],
    ['a qty that is not a number', ['--line', 'A:1', '--line', 'B:x'], /line 2: "B:x": qty must be a whole number/],
    ['the same SKU twice', ['--line', 'a:1', '--line', 'A:2'], /line 2: A is already line 1/],
    ['--line with --sku', ['--line', 'A:1', '--sku', 'B', '--qty', '1'], /either --line SKU:QTY \(repeated\) or --sku and --qty/],
    ['51 lines', Array.from({ length: 51 }, (_, i) => ['--line', `S${i}:1`]).flat(), /at most 50 lines \(got 51\)/],
  ];
  it.each(bad)('refuses %s: exit 2, the line named, nothing stored', async (_what, args, message) => {
    const db = tempDb();
    const r = await runCli(['--db', db, 'order', 'create', ...args, '--clock', 'virtual']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse((await runCli(['--db', db, '--json', 'order', 'list'])).stdout)).toEqual([]);
  });
});
