/**
 * Issue 9, reproduction 5: a virtual-clock run interrupted (Ctrl-C or kill -9) leaves jobs whose
 * times are virtual — due, or leased, hours or months ahead of the wall clock — in the shared file.
 * Before, `check` passed and `work --until-idle` never returned. The rule now (docs/architecture.md,
 * "Virtual time left behind"): jobs enqueued on the virtual clock are marked; a process on the real
 * clock re-bases them — due now, a lease at most one lease length from now — and carries on.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checkInvariants, runCli, tempDir } from '../helpers.js';
import { spawnCli } from './support.js';

/** supplier checks recorded so far (other process: poll the file) */
function checks(db: string): number {
  try {
    const c = new Database(db, { readonly: true });
    try {
      return (c.prepare(`SELECT count(*) AS n FROM order_events WHERE type = 'SupplierStatusChecked'`).get() as { n: number }).n;
    } finally {
      c.close();
    }
  } catch {
    return 0; // not created yet
  }
}

describe('a virtual-clock run interrupted mid-way', () => {
  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`(${signal}) strands nothing: a later real-time \`work --until-idle\` re-bases its job and terminates`, { timeout: 60_000 }, async () => {
      const db = join(tempDir(), 'w.db');
      // checks every 2 h of virtual time, a delayed budget that never runs out: months of virtual time
      const run = spawnCli([
        '--db',
        db,
        'order',
        'create',
        '--sku',
        'W',
        '--qty',
        '1',
        '--clock',
        'virtual',
        '--check-delay',
        '2h',
        '--max-delayed-retries',
        '100000',
        '--supplier-status',
        'delayed',
      ]);
      while (checks(db) < 30) {
        if (run.child.exitCode !== null) throw new Error(`the virtual run ended early: ${run.err()}`);
        await new Promise((r) => setTimeout(r, 20)); // another process: poll its file
      }
      run.child.kill(signal);
      await run.exited;

      const left = JSON.parse((await runCli(['--db', db, '--json', 'jobs', 'list'])).stdout) as Array<{ runAt: string; lockedUntil: string | null }>;
      expect(left).toHaveLength(1);
      // left behind in virtual time: due (or leased) days ahead of the wall clock
      const ahead = Math.max(Date.parse(left[0]!.runAt), Date.parse(left[0]!.lockedUntil ?? '0')) - Date.now();
      expect(ahead).toBeGreaterThan(24 * 3600_000);

      // the real-time worker takes it up: at once, or after at most one (short) lease
      const t0 = Date.now();
      const work = await runCli(['--db', db, '--json', 'work', '--until-idle', '--lease', '1s', '--check-delay', '10ms', '--max-delayed-retries', '40']);
      expect(work.code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(15_000);
      const order = JSON.parse((await runCli(['--db', db, '--json', 'order', 'show', '1'])).stdout) as { status: string; failureReason: string | null };
      // the stored script keeps saying delayed: the real-time worker's budget (40) ends it
      expect(order).toMatchObject({ status: 'failed', failureReason: 'supplier_delayed' });
      expect(JSON.parse((await runCli(['--db', db, '--json', 'jobs', 'list'])).stdout)).toEqual([]);
      expect(checkInvariants(db)).toEqual([]);
    });
  }
});
