/**
 * The drivers' one state machine (ports/driver.ts): DRIVER_TRANSITIONS guards every move of both
 * drivers (the in-database one and BullMQ's), and `recovered` is their one reaction to the
 * database's recovery.
 */
import { describe, expect, it } from 'vitest';
import { createDriverStateMachine, DRIVER_TRANSITIONS, DriverState, recovered, type DriverStatus } from '../../src/ports/driver.js';

describe('the driver state machine', () => {
  it('starts stopped and moves only as DRIVER_TRANSITIONS allows, telling each move', () => {
    let now = 1_000;
    const heard: DriverStatus[] = [];
    const m = createDriverStateMachine(
      () => now,
      (s) => heard.push(s),
    );
    expect(m.status).toEqual({ state: 'stopped', reason: null, since: 1_000 });
    now = 2_000;
    m.to('running');
    m.to('degraded', 'database: busy: locked');
    m.to('degraded', 'database: busy: locked'); // no move: same state, same reason
    m.to('degraded', 'database: disk full: no space'); // same state, another reason: told
    m.to('idle');
    m.to('draining');
    m.to('stopped');
    expect(heard.map((s) => [s.state, s.reason])).toEqual([
      ['running', null],
      ['degraded', 'database: busy: locked'],
      ['degraded', 'database: disk full: no space'],
      ['idle', null],
      ['draining', null],
      ['stopped', null],
    ]);
    expect(m.status.since).toBe(2_000);
  });

  it.each(
    Object.values(DriverState).flatMap((from) =>
      Object.values(DriverState)
        .filter((to) => to !== from && !DRIVER_TRANSITIONS[from].includes(to))
        .map((to) => [from, to] as const),
    ),
  )('refuses the move from %s to %s (a bug in the driver)', (from, to) => {
    const m = createDriverStateMachine(
      () => 0,
      () => {},
    );
    const path: Record<DriverState, DriverState[]> = {
      stopped: [],
      running: ['running'],
      idle: ['idle'],
      degraded: ['running', 'degraded'],
      draining: ['running', 'draining'],
    };
    for (const step of path[from]) m.to(step, step === 'degraded' ? 'x' : null);
    expect(m.status.state).toBe(from);
    expect(() => m.to(to)).toThrow(`runner cannot go from ${from} to ${to}`);
    expect(m.status.state).toBe(from);
  });
});

describe('recovered', () => {
  it("resumes the jobs parked for the database's trouble, and only those", async () => {
    const asked: unknown[] = [];
    const resumed = await new Promise((resolve) =>
      recovered(
        {
          resumeParked: async (now, which) => {
            asked.push([now, which]);
            return [];
          },
        },
        42,
        resolve,
        () => {},
      ),
    );
    expect(asked).toEqual([[42, { reasonPrefix: 'database' }]]);
    expect(resumed).toEqual([]);
  });

  it('reports a failure to resume instead of throwing it', async () => {
    const error = new Error('still unwell');
    const failed = await new Promise((resolve) => recovered({ resumeParked: () => Promise.reject(error) }, 42, () => {}, resolve));
    expect(failed).toBe(error);
  });
});
