/**
 * Property-based tests (fast-check): random sequences of orders, restocks and supplier scripts,
 * replayed against the engine and against the reference model in model.ts. Final states and
 * ledgers must agree and the invariants must hold; supplier chaos must never make a reservation
 * twice for one order or spend the `delayed` budget on transient errors. `npm run soak` runs the
 * same properties many more times.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invariantsOf, TEST_DATABASE } from '../helpers.js';
import { chaosProblems, differences, MODEL_SETTINGS, op, orderOp, replay, SCHEDULED_RESERVE, SCHEDULED_STATUS, schedulerDriver, scripts } from './model.js';

describe('the engine against a reference model', () => {
  it('agrees on every final state and on-hand, and keeps the invariants', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), scripts(), async (ops, script) => {
        const got = await replay(ops, script, undefined, undefined, MODEL_SETTINGS);
        expect(differences(ops, script, got)).toEqual([]);
        expect(await invariantsOf(got.file)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('supplier chaos', () => {
  it('settles every order in bounded virtual time, reserving with the supplier at most once per order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), scripts(), async (ops, script) => {
        const got = await replay(ops, script);
        expect(chaosProblems(got)).toEqual([]);
        expect(await invariantsOf(got.file)).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps the model under shuffled supplier answer order (fc.scheduler over concurrent jobs)', async () => {
    await fc.assert(
      // on PostgreSQL: orders only (no stock to race for), so the jobs still run 8 at once
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(TEST_DATABASE === 'postgres' ? orderOp : op, { minLength: 2, maxLength: 10 }),
        scripts(SCHEDULED_RESERVE, SCHEDULED_STATUS),
        async (s, ops, script) => {
          const { wrap, drive } = schedulerDriver(s);
          const got = await replay(ops, script, wrap, drive);
          expect(differences(ops, script, got)).toEqual([]);
          expect(await invariantsOf(got.file)).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });
});
