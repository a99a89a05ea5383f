/**
 * The clock: GET /api/clock (any server) and POST /api/clock (a paced virtual clock only:
 * `serve --clock virtual`): pause, play at ×1/×10/×100, step to the next due job or timer, or
 * advance a number of seconds (every moment on the way runs at its own time). A POST is a write:
 * it needs the bearer token when the server has one. Refused (409) on the real clock, and while
 * the demo drives the clock.
 */
import type { ClockState } from '../../ports/clock.js';
import { isPaced } from '../../ports/clock.js';
import type { Clock } from '../../ports/clock.js';
import type { Warehouse } from '../../wiring/warehouse.js';
import { HttpProblem, problem } from '../errors.js';
import { ANY_REQUEST, ok, PUBLIC, WRITE_ERRORS, WRITE_SECURITY } from '../schemas.js';
import type { ZodApp } from '../types.js';
import { clockActionBody, clockSchema, problemResponse } from './teaching-schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The clock as JSON, whatever kind it is. */
export function clockJson(clock: Clock) {
  if (!isPaced(clock)) {
    return { mode: clock.mode, paced: false, now: iso(clock.now()), playing: true, rate: 1, next: null, settled: true, lockedBy: null };
  }
  return pacedJson(clock.controls.state());
}

export const pacedJson = (s: ClockState) => ({
  mode: 'virtual' as const,
  paced: true,
  now: iso(s.now),
  playing: s.playing,
  rate: s.rate,
  next: s.next === null ? null : iso(s.next),
  settled: s.settled,
  lockedBy: s.lockedBy,
});

export function clockRoutes(app: ZodApp, { warehouse: w }: { warehouse: Warehouse }): void {
  app.get(
    '/api/clock',
    {
      schema: {
        operationId: 'getClock',
        summary: "The engine's clock: real, or virtual and paced (serve --clock virtual)",
        description:
          'What time it is for the engine and who moves it: on the real clock time flows by itself; on a paced virtual clock (serve --clock virtual, warehouse demo) it moves only by POST /api/clock, and next says which moment the runner waits for.',
        tags: ['teaching'],
        security: PUBLIC,
        response: { 200: ok('the clock now', clockSchema), ...ANY_REQUEST },
      },
    },
    async () => clockJson(w.clock),
  );

  app.post(
    '/api/clock',
    {
      schema: {
        operationId: 'moveClock',
        summary: 'Move a paced virtual clock: pause, play {rate: 1|10|100}, step, advance {seconds}',
        description:
          'Answers once the runner has run everything due up to the new time. Refused (409) on the real clock; while the demo drives the clock, only step is taken: it moves the story on by one moment.',
        tags: ['teaching'],
        security: WRITE_SECURITY,
        body: clockActionBody,
        response: {
          200: ok('the clock after the action', clockSchema),
          409: problemResponse('the clock is real (start the server with --clock virtual), or the demo drives it'),
          ...WRITE_ERRORS,
        },
      },
    },
    async (request) => {
      const clock = w.clock;
      if (!isPaced(clock)) {
        throw new HttpProblem(
          problem(409, 'this server runs on the real clock, which nobody can move; start it with `warehouse serve --clock virtual` to control time'),
        );
      }
      const { controls } = clock;
      const owner = controls.state().lockedBy;
      if (owner) {
        // a Step while the demo drives: its next moment, as Enter in its terminal would
        const moved = request.body.action === 'step' ? controls.ownerStep() : null;
        if (!moved) throw new HttpProblem(problem(409, `${owner} drives the clock; only Step moves it on (or Enter in its terminal)`));
        await moved;
        return clockJson(clock);
      }
      const body = request.body;
      switch (body.action) {
        case 'pause':
          return pacedJson(controls.pause());
        case 'play':
          return pacedJson(controls.play(body.rate));
        case 'step':
          return pacedJson(await controls.step());
        case 'advance':
          return pacedJson(await controls.advanceBy(body.seconds * 1000));
      }
    },
  );
}
