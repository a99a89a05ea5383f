/**
 * Issue 9, reproduction 7: a database in a read-only directory. SQLite in WAL mode must create the
 * -wal and -shm files beside the database even to read it, so reads fail too; before, that came out
 * as an internal error. Now every command says what is wrong and what to do, exit 1, and the file
 * is left as it was.
 *
 * The directory is made read-only the way it happens: a filesystem mounted read-only (a tmpfs the
 * test mounts, then remounts `ro`; root only — root ignores a directory's mode bits, so chmod would
 * prove nothing). Elsewhere the test is skipped with one printed line, except under CI=true.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

const mounted: string[] = [];
afterEach(() => {
  for (const dir of mounted.splice(0)) execFileSync('umount', ['-l', dir]);
});

describe('a database in a read-only directory', () => {
  it('is refused for reads and writes with what to do, exit 1, the file untouched', async (t) => {
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') throw new Error('CI=true: the read-only test needs to mount a tmpfs (run as root)');
      console.log('skipped: the read-only directory test mounts a tmpfs, which needs root');
      return t.skip();
    }
    const dir = join(tempDir(), 'ro');
    mkdirSync(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    mounted.push(dir);
    const db = join(dir, 'w.db');
    expect((await runCli(['--db', db, 'inventory', 'set', 'A', '5'])).code).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    const before = readFileSync(db);

    for (const args of [
      ['order', 'list'],
      ['inventory', 'set', 'A', '7'],
    ]) {
      const r = await runCli(['--db', db, ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error: cannot use database ${db}: its directory ${dir} is read-only, and SQLite (in WAL mode) must create w.db-wal and -shm beside the file even to read it. ` +
          'Make the directory writable, or copy w.db (no -wal file beside it: it is complete) to a writable place\n',
      );
    }
    expect(readFileSync(db).equals(before)).toBe(true);
  });
});
