/**
 * The gate: where the engine's awaits wait for the explorer. Each instrumented call (a write, a
 * supplier call, the naive pause) registers a pending step and waits until the explorer releases
 * it; the explorer picks which, one at a time, once nothing else can move. A killed gate (the
 * process crashed) never releases anything again.
 */
import type { StepFacts, StepRecord } from './model.js';

export interface PendingStep {
  lane: string;
  text: string;
  release: () => void;
}

export class Gate {
  readonly pending: PendingStep[] = [];
  /** calls released and not yet returned: the explorer waits for them before it picks again */
  active = 0;
  dead = false;

  /** Waits until the explorer releases this step (forever once the process died). */
  async step<T>(lane: string, text: string, action: () => Promise<T>, after?: (value: T) => void): Promise<T> {
    if (this.dead) return never();
    await new Promise<void>((release) => this.pending.push({ lane, text, release }));
    if (this.dead) return never();
    this.active++;
    try {
      const value = await action();
      if (!this.dead) after?.(value);
      return value;
    } finally {
      this.active--;
    }
  }

  /**
   * An await inside a released step (the naive strategy's pause between its read and its write):
   * the step stops being active, waits to be released again, and goes on as a new step.
   */
  async pause(lane: string, text: string): Promise<void> {
    if (this.dead) return never();
    this.active--;
    await new Promise<void>((release) => this.pending.push({ lane, text, release }));
    if (this.dead) return never();
    this.active++;
  }

  kill(): void {
    this.dead = true;
    this.pending.length = 0;
  }
}

/**
 * A gate nobody holds (`simulate` with a broken variant): every step goes at once, in the order
 * the engine reaches it, and the story is not kept.
 */
export class OpenGate extends Gate {
  override async step<T>(_lane: string, _text: string, action: () => Promise<T>, after?: (value: T) => void): Promise<T> {
    const value = await action();
    after?.(value);
    return value;
  }

  override async pause(): Promise<void> {}
}

const never = <T>() => new Promise<T>(() => {});

/** The story of one schedule: its steps in release order, with what each did. */
export class Recorder {
  readonly steps: StepRecord[] = [];
  private readonly current = new Map<string, StepRecord>();
  process = 1;

  begin(lane: string, text: string): StepRecord {
    const step: StepRecord = { n: this.steps.length + 1, lane, text, facts: {}, process: this.process };
    this.steps.push(step);
    this.current.set(lane, step);
    return step;
  }

  /** Adds what happened to the lane's current step. */
  note(lane: string, text: string, facts: StepFacts = {}): void {
    const step = this.current.get(lane);
    if (!step) return;
    step.text += step.text.endsWith(':') ? ` ${text}` : `; ${text}`;
    Object.assign(step.facts, facts);
  }
}
