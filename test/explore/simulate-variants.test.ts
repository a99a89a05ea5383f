/**
 * `warehouse simulate` with the teaching variants (the built bin spawned; run `npm run build`
 * first): the naive strategy breaks a rule of `warehouse check` on the lock's lesson even without
 * a schedule search (the jobs run at once); a variant that only a crash breaks passes, with a note
 * that says so; the real strategies replace the scenario's; bad input exits 2.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

const lesson = (name: string) => `scenarios/lessons/${name}.yaml`;

interface Report {
  passed: number;
  failed: number;
  scenarios: Array<{ passed: boolean; failures: Array<{ path: string; expected: unknown; actual: unknown }> }>;
}

describe('warehouse simulate with a teaching variant', () => {
  it('--reserve-strategy naive: both orders take the last unit, and the ledger check says so (exit 1)', async () => {
    const r = await runCli(['simulate', lesson('the-lock'), '--reserve-strategy', 'naive', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.failed).toBe(1);
    expect(report.scenarios[0]!.failures).toContainEqual({
      path: 'check ledger-matches-on-hand',
      expected: 'to hold',
      actual: 'WIDGET has on-hand 0 but its movements sum to -1',
    });
  });

  it('the real design with the same flag name holds: every real strategy passes the lesson and its checks', async () => {
    for (const strategy of ['pessimistic', 'optimistic', 'atomic']) {
      const r = await runCli(['simulate', lesson('the-lock'), '--reserve-strategy', strategy]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('teaching only');
    }
  });

  it.each(['outbox', 'idempotency'])('--break %s passes without a crash, and says that a crash is what breaks it', async (variant) => {
    const r = await runCli(['simulate', lesson(variant === 'outbox' ? 'the-outbox' : 'idempotent-jobs'), '--break', variant]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`teaching only: --break ${variant} is deliberately broken`);
    expect(r.stdout).toContain('warehouse explore … --crashes');
    expect(r.stdout).toMatch(/1 passed, 0 failed/);
  });

  it('--break supplier-key sends a new Idempotency-Key on every attempt (seen in the timeline)', async () => {
    const r = await runCli(['simulate', lesson('the-supplier-key'), '--break', 'supplier-key', '--timeline']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/attempt-1/);
  });

  describe('bad input exits 2, before anything runs', () => {
    it.each([
      [
        ['simulate', lesson('the-lock'), '--reserve-strategy', 'reckless'],
        /--reserve-strategy must be one of pessimistic, optimistic, atomic, naive \(got "reckless"\)/,
      ],
      [['simulate', lesson('the-lock'), '--break', 'locks'], /--break must be one of outbox, idempotency, supplier-key \(got "locks"\)/],
      [['simulate', lesson('the-lock'), '--break', 'outbox,locks'], /--break must be one of/],
      [['simulate', '--break', 'outbox', lesson('the-outbox')], /looks like a scenario file: give the files before --break, or write --break=outbox/],
    ])('%j', async (args, message) => {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
