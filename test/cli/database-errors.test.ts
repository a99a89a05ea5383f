/** Issue 9, reproduction 7 and the way back: paths, ids and backups, from the real CLI. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

describe('the database path and ids, as a user types them', () => {
  it("says a missing directory is the user's to create (exit 2), naming it, and creates nothing", async () => {
    const dir = tempDir();
    const r = await runCli(['--db', join(dir, 'nope', 'sub', 'x.db'), 'inventory', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: the directory of the database does not exist: ${join(dir, 'nope', 'sub')}. Create it (mkdir -p "${join(dir, 'nope', 'sub')}") or pass another --database\n`,
    );
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });

  it('refuses an order id past 2^53 instead of answering about another order', async () => {
    const db = join(tempDir(), 'w.db');
    const r = await runCli(['--db', db, 'order', 'show', '9007199254740993']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: invalid id "9007199254740993": an order id is a whole number/);
  });
});

describe('warehouse backup', () => {
  it('copies a database in use into a new file that opens and holds the same orders; never overwrites', async () => {
    const dir = tempDir();
    const db = join(dir, 'w.db');
    expect((await runCli(['--db', db, 'inventory', 'set', 'A', '5'])).code).toBe(0);
    expect((await runCli(['--db', db, 'order', 'create', '--sku', 'A', '--qty', '2'])).code).toBe(0);
    const copy = join(dir, 'copy.db');
    const r = await runCli(['--db', db, '--json', 'backup', copy]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ destination: copy, problems: [] });
    const shown = JSON.parse((await runCli(['--db', copy, '--json', 'order', 'show', '1'])).stdout) as { status: string };
    expect(shown.status).toBe('reserved');
    expect((await runCli(['--db', copy, 'check'])).code).toBe(0);
    const again = await runCli(['--db', db, 'backup', copy]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`error: ${copy} already exists; choose a new file name (a backup never overwrites)\n`);
  });
});
