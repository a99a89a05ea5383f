/**
 * Clock port: the only source of "now" and the only way the engine waits.
 *
 * - `real`: wall-clock time.
 * - `virtual`: time stands still until the job runner advances it. When every running job is
 *   parked on a clock wait and nothing is due, the runner jumps to the next due job or timer,
 *   so 45 s of supplier retries take milliseconds.
 */
export interface Clock {
  readonly mode: 'real' | 'virtual';
  /** epoch milliseconds */
  now(): number;
  /**
   * Wait `ms` on this clock (a parked wait, in virtual time). Resolves early, with `false`, when
   * `signal` aborts; `true` when the time passed.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
  /**
   * An AbortSignal that aborts with a TimeoutError after `ms` on this clock. Call `clear()` once
   * the guarded work is done, so no timer outlives it.
   */
  timeout(ms: number): { signal: AbortSignal; clear(): void };
}

/** What the job runner needs in addition, to drive virtual time. */
export interface VirtualClockControl extends Clock {
  readonly mode: 'virtual';
  /** parked waits (sleeps) currently pending */
  readonly parked: number;
  /** the earliest pending timer, or null */
  nextTimerAt(): number | null;
  /** move time forward to `t`, firing every timer due by then in time order */
  advanceTo(t: number): void;
  /** called whenever a wait parks, so a runner can notice that all its jobs are waiting */
  onPark(listener: () => void): () => void;
  /**
   * Set on a paced clock (`serve --clock virtual`, `warehouse demo`): time is moved by someone
   * else (a teacher's controls), never by the runner itself. See ClockPacer.
   */
  readonly pacer?: ClockPacer;
}

/**
 * The gate a paced virtual clock puts between the runner and time. Where the runner would jump
 * the clock to the next moment anything can happen, it calls `idle(next, interrupt)` instead and
 * waits: until the controls move time (then it looks again), or until `interrupt` resolves (a job
 * was enqueued, a wait parked, a poll interval passed). The pacer learns from these calls when
 * the runner has nothing left to do at the current instant, and what the next moment is.
 */
export interface ClockPacer {
  /** `next`: the first moment a timer fires or a job falls due (epoch ms), or null: nothing scheduled */
  idle(next: number | null, interrupt: Promise<unknown>): Promise<void>;
}

export function isVirtual(clock: Clock): clock is VirtualClockControl {
  return clock.mode === 'virtual';
}

/**
 * A paced virtual clock (`serve --clock virtual`, `warehouse demo`): time moves only by these
 * controls, never by itself nor by the runner (adapters/clock/paced.ts).
 */
export const PLAY_RATES = [1, 10, 100] as const;
export type PlayRate = (typeof PLAY_RATES)[number];

export interface ClockState {
  /** virtual now, epoch ms */
  now: number;
  playing: boolean;
  /** the rate of play (kept while paused) */
  rate: PlayRate;
  /** the next moment the runner waits for; null: nothing scheduled, or the runner is busy */
  next: number | null;
  /** the runner has nothing to do at the current instant */
  settled: boolean;
  /** who drives the clock when not the HTTP controls (e.g. "the demo") */
  lockedBy: string | null;
}

export interface ClockControls {
  state(): ClockState;
  pause(): ClockState;
  play(rate: PlayRate): ClockState;
  step(): Promise<ClockState>;
  advanceBy(ms: number): Promise<ClockState>;
  advanceTo(t: number): Promise<ClockState>;
  /** resolves when the runner waits with nothing to do now (or after `timeoutMs` of wall time) */
  settled(timeoutMs?: number): Promise<void>;
  /**
   * While `owner` is set (e.g. "the demo"), the HTTP controls are refused, except a Step when the
   * owner gave `step`: then a Step asks the owner for its next move, and resolves once it is made.
   */
  lock(owner: string | null, step?: () => Promise<void>): void;
  /** the lock owner's next move, asked for by a Step; null when unlocked or locked without one */
  ownerStep(): Promise<void> | null;
  onChange(listener: (state: ClockState) => void): () => void;
}

export interface PacedClock extends VirtualClockControl {
  readonly pacer: ClockPacer;
  readonly controls: ClockControls;
}

export function isPaced(clock: Clock): clock is PacedClock {
  return isVirtual(clock) && clock.pacer !== undefined && 'controls' in clock;
}
