/**
 * Issue 11, done when (1): a real `order create --supplier-status delayed,delayed,ok` in real time
 * is killed while it waits for its first check (Ctrl-C, and separately kill -9), and
 * `warehouse work --until-idle` resumes it: the order ends reserved after three checks at
 * +d, +2d, +3d, because its script and its conversation were stored, not held in the dead process.
 * d is `--check-delay 2s` instead of the default 15 s, to keep the test at about ten seconds.
 * Run on a SQLite file (resume.test.ts) and on a PostgreSQL schema (test/postgres/resume.test.ts):
 * the mock's state lives in the engine's database either way.
 */
import { describe, expect, it } from 'vitest';
import { invariantsOf, rawSql, runCli } from '../helpers.js';
import { spawnCli } from './support.js';

const DELAY_MS = 2_000;
/**
 * How late a check may run after it is due: the resuming process's start-up and its poll, on a
 * busy machine (7.6 s measured with the machine six times oversubscribed). When each check is due
 * is the engine's decision, asserted exactly; this only catches a runner that does not run it.
 */
const LATE_MS = 10_000;

interface Shown {
  status: string;
  supplierChecks: number;
  events: Array<{ at: string; type: string; data: Record<string, unknown> }>;
}

/** The suite on databases from `freshDatabase` (a `--database` value each: a SQLite file or a postgres:// URL). */
export function describeResume(freshDatabase: () => string): void {
  describe.each(['SIGINT', 'SIGKILL'] as const)('an order create killed with %s during its first wait', (signal) => {
    it('is resumed by `warehouse work` and ends reserved after three checks at the right offsets', { timeout: 40_000 }, async () => {
      const db = freshDatabase();
      const create = spawnCli(['--db', db, 'order', 'create', '--sku', 'X', '--qty', '5', '--supplier-status', 'delayed,delayed,ok', '--check-delay', '2s']);
      await create.waitFor(/SupplierReservationAccepted/); // now waiting for the first check, 2 s away
      create.child.kill(signal);
      const gone = await create.exited;
      expect(gone.signal).toBe(signal);
      expect(create.out()).not.toMatch(/SupplierStatusChecked/);

      const work = await runCli(['--db', db, 'work', '--until-idle', '--check-delay', '2s']);
      expect(work.code).toBe(0);
      const shown = await runCli(['--db', db, '--json', 'order', 'show', '1']);
      const order = JSON.parse(shown.stdout) as Shown;
      expect(order).toMatchObject({ status: 'reserved', supplierChecks: 3 });

      const at = (e: Shown['events'][number]) => Date.parse(e.at);
      const accepted = order.events.find((e) => e.type === 'SupplierReservationAccepted')!;
      const checks = order.events.filter((e) => e.type === 'SupplierStatusChecked');
      expect(checks.map((e) => e.data.status)).toEqual(['delayed', 'delayed', 'ok']);
      // each check due DELAY_MS after the answer before it (the acceptance, then each `delayed`),
      // and run once due, never before
      const answers = [accepted, ...checks.slice(0, -1)];
      expect(answers.map((e) => Date.parse(String(e.data.nextCheckAt)) - at(e))).toEqual([DELAY_MS, DELAY_MS, DELAY_MS]);
      checks.forEach((check, i) => {
        const due = Date.parse(String(answers[i]!.data.nextCheckAt));
        expect(at(check)).toBeGreaterThanOrEqual(due);
        expect(at(check) - due).toBeLessThan(LATE_MS);
      });

      // the supplier's side, in the engine's database: one conversation, one reserve, the script heard in order
      const calls = await rawSql(db, 'SELECT idempotency_key AS key, kind, answer, replay FROM mock_calls ORDER BY id');
      // the key carries the database's identity (docs/design.md §5.2): order-1.<16 hex>, the same on every call
      const key = String(calls[0]?.key);
      expect(key).toMatch(/^order-1\.[0-9a-f]{16}$/);
      expect(calls.map((c) => ({ ...c, replay: Boolean(c.replay) }))).toEqual([
        { key, kind: 'reserve', answer: 'accepted', replay: false },
        { key, kind: 'status', answer: 'delayed', replay: false },
        { key, kind: 'status', answer: 'delayed', replay: false },
        { key, kind: 'status', answer: 'ok', replay: false },
      ]);
      expect(await invariantsOf(db)).toEqual([]);
    });
  });
}
