/**
 * The words of `warehouse explore` (docs/teaching.md, "Break it to learn it"):
 *
 * - **step**: what one lane does between two await points of the engine that the explorer
 *   controls — a write transaction, a call to the supplier, or (naive strategy) the pause between
 *   a read and its write. Reads happen with the step before them.
 * - **lane**: who takes a step: an order of the scenario (by its id) — its creation and its jobs.
 * - **schedule**: the order in which pending steps are released: a list of choices, one per
 *   moment when more than one step is ready (choice `c` of `n` ready steps releases the `c % n`th,
 *   in the order they arrived; a missing choice is 0, first come first served).
 * - **crash point**: "the process dies after step k": what k steps committed stays, the rest is
 *   lost, leases expire, and a new runner starts on the same database and recovers.
 * - **variant**: the real design, or one of the deliberately broken ones (teaching only).
 * - **replay token**: the variant, the crash point and the choices, as one string.
 */
import type { ReserveStrategy } from '../domain/settings.js';

export const BREAKS = ['outbox', 'idempotency', 'supplier-key'] as const;
export type Break = (typeof BREAKS)[number];

/** A reserve strategy of the product, or the teaching-only naive one. */
export type ExploreStrategy = ReserveStrategy | 'naive';

export interface Variant {
  strategy: ExploreStrategy;
  breaks: readonly Break[];
}

/** What a step did, as facts the explanation is made from. */
export interface StepFacts {
  /** naive: the on-hand read before the pause */
  read?: number;
  /** on-hand after the step's movements */
  onHandAfter?: number;
  /** stock the step took for its order */
  took?: number;
  status?: string;
  /** a supplier reserve call's answer, and whether the supplier made a new reservation */
  supplier?: { answer: string; fresh: boolean; key: string };
  /** the order was committed without its job (--break outbox) */
  noJob?: boolean;
  /** the step's call failed */
  failed?: boolean;
  /** a job's effect committed without its settlement (--break idempotency) */
  unsettled?: boolean;
}

export interface StepRecord {
  /** 1-based, in release order */
  n: number;
  lane: string;
  /** what the step does, then what happened */
  text: string;
  facts: StepFacts;
  /** which process took it: 1, then 2 after a crash */
  process: number;
}

export interface Finding {
  /** a rule of `warehouse check`, or `order-final-or-waiting`, `one-supplier-reservation-per-order`, `expect` */
  invariant: string;
  message: string;
}

/** One schedule's run: what happened and what the checks found. */
export interface RunResult {
  steps: StepRecord[];
  /** the step after which the process died, or null */
  crashedAfter: number | null;
  /** how many steps were ready at each choice (the branching, for the exhaustive search) */
  branching: number[];
  findings: Finding[];
  /** scenario order id per lane, in creation order */
  lanes: string[];
}

export interface Schedule {
  choices: number[];
  /** crash after this many steps; null for none */
  crash: number | null;
}

/** A schedule that broke a rule, and its run. */
export interface Violation {
  schedule: Schedule;
  run: RunResult;
}
