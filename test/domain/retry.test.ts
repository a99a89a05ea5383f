/**
 * The decision table for a failed run (src/domain/retry.ts), row by row: whose trouble it was,
 * which attempt and run, and what happens to the job.
 */
import { describe, expect, it } from 'vitest';
import type { Fault, FaultOwner } from '../../src/domain/errors.js';
import { BUG_RUNS, crashLoopReason, decideFailure, PARK_AFTER_RUNS, type FailureDecision } from '../../src/domain/retry.js';

const SETTINGS = { jobAttempts: 5, backoffBaseMs: 1_000, backoffCapMs: 60_000 };
/** the top of each backoff window (jitter at its highest), so the delays read plainly */
const highest = () => 1;
const fault = (owner: FaultOwner, retryable = true): Fault => ({ owner, retryable, kind: 'k', message: 'm' });

describe('decideFailure', () => {
  it.each<[string, Fault, { attempt: number; runs: number }, FailureDecision]>([
    ['a lost lease is discarded', fault('concurrency'), { attempt: 1, runs: 1 }, { kind: 'discard' }],
    ["the supplier's passing trouble: retried, an attempt spent", fault('supplier'), { attempt: 1, runs: 1 }, { kind: 'retry', counted: true, delayMs: 1_000 }],
    ['… with backoff growing per attempt', fault('supplier'), { attempt: 3, runs: 7 }, { kind: 'retry', counted: true, delayMs: 4_000 }],
    ['… until the attempts run out: dead', fault('supplier'), { attempt: 5, runs: 5 }, { kind: 'dead', reason: 'supplier_unavailable' }],
    ["the supplier's breach of contract: dead at once", fault('supplier', false), { attempt: 1, runs: 1 }, { kind: 'dead', reason: 'supplier_unavailable' }],
    [
      'a supplier key reused with another body: dead at once, the conflict named',
      { owner: 'supplier', retryable: false, kind: 'supplier_key_conflict', message: 'm' },
      { attempt: 1, runs: 1 },
      { kind: 'dead', reason: 'supplier_key_conflict' },
    ],
    ["the database's trouble: retried, nothing spent", fault('database'), { attempt: 1, runs: 1 }, { kind: 'retry', counted: false, delayMs: 250 }],
    ['… backing off per run', fault('database'), { attempt: 1, runs: 4 }, { kind: 'retry', counted: false, delayMs: 2_000 }],
    ['… parked after PARK_AFTER_RUNS runs', fault('database'), { attempt: 1, runs: PARK_AFTER_RUNS }, { kind: 'park', reason: 'database: k: m' }],
    ['a bug: retried, nothing spent', fault('bug'), { attempt: 1, runs: 1 }, { kind: 'retry', counted: false, delayMs: 1_000 }],
    ['… parked after BUG_RUNS runs', fault('bug'), { attempt: 1, runs: BUG_RUNS }, { kind: 'park', reason: 'bug: k: m' }],
    ["a user's mistake inside a job is a bug", fault('user'), { attempt: 1, runs: BUG_RUNS }, { kind: 'park', reason: 'bug: k: m' }],
  ])('%s', (_name, f, run, decision) => {
    expect(decideFailure(f, run, SETTINGS, highest)).toEqual(decision);
  });
});

describe('crashLoopReason', () => {
  it.each([
    [1, null],
    [PARK_AFTER_RUNS, null],
    [PARK_AFTER_RUNS + 1, `crashed: started ${PARK_AFTER_RUNS} times without finishing (each run was cut short)`],
  ])('a job starting its run number %i is parked before it runs: %s', (runs, reason) => {
    expect(crashLoopReason(runs)).toBe(reason);
  });
});
