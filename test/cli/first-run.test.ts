/**
 * Issue 10 item 10: a first run is never silent. Off a terminal (a pipe, a CI log) `order create`
 * on the real clock prints one line per wait instead of the terminal's live countdown.
 */
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDb, tempDir } from '../helpers.js';
import { unwrap } from './unwrap.js';

describe('order create off a terminal', () => {
  it('prints a line saying what it waits for and when it is due, before each real wait', async () => {
    const r = await runCli(['--db', tempDb(), 'order', 'create', '--sku', 'W', '--qty', '1', '--check-delay', '200ms']);
    expect(r.code).toBe(0);
    const lines = unwrap(r.stdout.trimEnd()).split('\n');
    const accepted = lines.findIndex((l) => l.includes('SupplierReservationAccepted'));
    const due = /next check at (\+\d+\.\d{3}s)/.exec(lines[accepted]!)![1]!;
    // the state change that commit made, then the wait it starts
    expect(lines[accepted + 1]).toMatch(/\+\d+\.\d{3}s {2}state: pending → awaiting_restock$/);
    expect(lines[accepted + 2]).toMatch(new RegExp(`^waiting 0\\.\\ds for the next supplier check, due at \\${due} \\(--clock virtual skips the waits\\)$`));
    expect(lines[accepted + 3]).toMatch(/SupplierStatusChecked/);
  });

  it('prints no wait line on the virtual clock, nor with --json', async () => {
    const v = await runCli(['--db', tempDb(), 'order', 'create', '--sku', 'W', '--qty', '1', '--clock', 'virtual']);
    expect(v.stdout).not.toMatch(/^waiting/m);
    const j = await runCli(['--db', tempDb(), '--json', 'order', 'create', '--sku', 'W', '--qty', '1', '--check-delay', '100ms']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ status: 'reserved' });
    expect(j.stderr).toBe('');
  });
});

describe("the README's set-up command", () => {
  it('is a first run that replays the scenarios and writes no database, so the demo starts on a fresh one', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const setUp = /^npm install && \.\/warehouse ([^#\n]+?)\s*(#.*)?$/m.exec(readme);
    expect(setUp, 'the README set-up line: npm install && ./warehouse …').not.toBeNull();
    const cwd = tempDir();
    symlinkSync(join(ROOT, 'scenarios'), join(cwd, 'scenarios'));
    const r = await runCli(setUp![1]!.split(/\s+/), { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
    expect(readdirSync(cwd)).toEqual(['scenarios']);
  });
});
