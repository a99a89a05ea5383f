/**
 * The mock supplier's answers, independent of how requests arrive: the in-process MSW mock
 * (mock.ts) and `warehouse supplier serve` (src/supplier/) both turn a request into a call here and
 * send back the MockReply. Bodies are shaped by the contract's schemas
 * (domain/supplier-contract.ts), except the scripted `malformed` ones, which break the contract on
 * purpose.
 */
import type { Clock } from '../../ports/clock.js';
import {
  cancelRequestSchema,
  type CancelAnswer,
  idempotencyKeySchema,
  PROBLEM_CONTENT_TYPE,
  reserveRequestSchema,
  type Problem,
  type ReserveAnswer,
  type StatusAnswer,
} from '../../domain/supplier-contract.js';
import type { CallRecord } from '../../domain/supplier-conversation.js';
import type { MockState } from '../../ports/mock-state.js';

export type MockReply =
  | { kind: 'body'; status: number; contentType: string; body: string }
  /** a scripted `timeout`: send nothing until the client gives up */
  | { kind: 'hang' };

/** One call as the mock saw it, for logs and `MockSupplier.calls`. */
export interface AnsweredCall {
  kind: 'reserve' | 'status' | 'cancel';
  key: string | null;
  sku: string | null;
  qty: number | null;
  ref: string | null;
  /** the scripted answer, or what went wrong with the request (`bad-request`, `unknown-ref`, `busy`) */
  answer: CallRecord['answer'] | 'bad-request' | 'unknown-ref' | 'busy';
  replay: boolean;
  httpStatus: number | null;
  at: number;
}

export interface MockAnswers {
  reserve(req: { key: string | undefined; body: unknown; signal?: AbortSignal }): Promise<{ reply: MockReply; call: AnsweredCall }>;
  status(req: { ref: string }): Promise<{ reply: MockReply; call: AnsweredCall }>;
  /** `POST /supplier/cancel`: the body names the ref; the key is the engine's (one per order) */
  cancel(req: { key: string | undefined; body: unknown }): Promise<{ reply: MockReply; call: AnsweredCall }>;
}

/**
 * How long an announced order script (see MockState) may hold back a new conversation of its SKU:
 * far longer than the few milliseconds between an order's commit and its script's, and shorter
 * than the client's timeout, so a creator that died in between delays a worker, never fails it.
 */
export const ANNOUNCEMENT_HOLD_MS = 3_000;
const POLL_MS = 10;

const json = (status: number, body: ReserveAnswer | StatusAnswer | CancelAnswer | Record<string, unknown>): MockReply => ({
  kind: 'body',
  status,
  contentType: 'application/json',
  body: JSON.stringify(body),
});
const problem = (status: number, title: string, detail: string): MockReply => ({
  kind: 'body',
  status,
  contentType: PROBLEM_CONTENT_TYPE,
  body: JSON.stringify({ type: 'about:blank', title, status, detail } satisfies Problem),
});

export function createMockAnswers(deps: { state: MockState; clock: Clock; wall: Clock }): MockAnswers {
  const { state, clock, wall } = deps;
  const done = (reply: MockReply, call: Omit<AnsweredCall, 'httpStatus'>) => ({
    reply,
    call: { ...call, httpStatus: reply.kind === 'body' ? reply.status : null },
  });

  return {
    async reserve({ key, body, signal }) {
      const at = clock.now();
      const base = { kind: 'reserve' as const, key: key ?? null, sku: null, qty: null, ref: null, replay: false, at };
      const k = idempotencyKeySchema.safeParse(key);
      if (!k.success) {
        return done(problem(400, 'Bad Request', 'send an Idempotency-Key header: 1-128 printable ASCII characters, such as order-42'), {
          ...base,
          answer: 'bad-request',
        });
      }
      const parsed = reserveRequestSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path.join('.') || 'body';
        return done(problem(400, 'Bad Request', `invalid ${field}: ${issue.message}; the body is {"sku": "WIDGET", "qty": 5}`), {
          ...base,
          answer: 'bad-request',
        });
      }
      const req = { key: k.data, sku: parsed.data.sku, qty: parsed.data.qty };
      const call = { ...base, sku: req.sku, qty: req.qty };
      let turn: Awaited<ReturnType<MockState['reserve']>>;
      try {
        // an order script announced for this SKU and not bound yet may be this order's: wait for it
        while ((turn = await state.reserve(req, clock.now(), wall.now() - ANNOUNCEMENT_HOLD_MS)).kind === 'wait') {
          if (!(await wall.sleep(POLL_MS, signal))) return done({ kind: 'hang' }, { ...call, answer: 'timeout' });
        }
      } catch (error) {
        return done(problem(503, 'Service Unavailable', `the mock's state could not be written (${(error as Error).message}); retry`), {
          ...call,
          answer: 'busy',
        });
      }
      if (turn.kind === 'mismatch') {
        return done(
          problem(
            422,
            'Unprocessable Content',
            `Idempotency-Key ${req.key} was used for ${turn.conv.sku} × ${turn.conv.qty}; a new reservation needs a new key`,
          ),
          { ...call, answer: 'mismatch' },
        );
      }
      const answered = { ...call, answer: turn.answer, replay: turn.replay, ref: turn.conv.ref };
      switch (turn.answer) {
        case 'accepted':
          return done(json(200, { accepted: true, ref: turn.conv.ref! }), answered);
        case 'rejected':
          return done(json(200, { accepted: false, ref: '' }), answered);
        case 'error':
          return done(problem(500, 'Internal Server Error', 'scripted error: the supplier failed; retry with the same Idempotency-Key'), answered);
        case 'malformed':
          return done({ kind: 'body', status: 200, contentType: 'text/html', body: '<html>502 upstream garbage</html>' }, answered);
        case 'timeout':
          return done({ kind: 'hang' }, answered);
      }
    },

    async status({ ref }) {
      const at = clock.now();
      const base = { kind: 'status' as const, key: null, sku: null, qty: null, ref, replay: false, at };
      let turn: Awaited<ReturnType<MockState['status']>>;
      try {
        turn = await state.status(ref, at);
      } catch (error) {
        return done(problem(503, 'Service Unavailable', `the mock's state could not be written (${(error as Error).message}); retry`), {
          ...base,
          answer: 'busy',
        });
      }
      if (!turn) {
        return done(problem(404, 'Not Found', `no accepted reservation has the ref ${JSON.stringify(ref)}; refs come from POST /supplier/reserve`), {
          ...base,
          answer: 'unknown-ref',
        });
      }
      const answered = { ...base, key: turn.conv.key, sku: turn.conv.sku, qty: turn.conv.qty, answer: turn.answer };
      switch (turn.answer) {
        case 'ok':
        case 'fail':
        case 'delayed':
          return done(json(200, { status: turn.answer }), answered);
        case 'error':
          return done(problem(503, 'Service Unavailable', 'scripted error: the supplier is unavailable; ask again later'), answered);
        case 'malformed':
          return done(json(200, { status: 'maybe' }), answered);
        case 'timeout':
          return done({ kind: 'hang' }, answered);
      }
    },

    async cancel({ key, body }) {
      const at = clock.now();
      const base = { kind: 'cancel' as const, key: key ?? null, sku: null, qty: null, ref: null, replay: false, at };
      if (!idempotencyKeySchema.safeParse(key).success) {
        return done(problem(400, 'Bad Request', 'send an Idempotency-Key header: 1-128 printable ASCII characters, such as cancel-order-42'), {
          ...base,
          answer: 'bad-request',
        });
      }
      const parsed = cancelRequestSchema.safeParse(body);
      if (!parsed.success) {
        return done(problem(400, 'Bad Request', 'the body is {"ref": "<the ref the reserve call answered>"}'), { ...base, answer: 'bad-request' });
      }
      const ref = parsed.data.ref;
      let turn: Awaited<ReturnType<MockState['cancel']>>;
      try {
        turn = await state.cancel(ref, at);
      } catch (error) {
        return done(problem(503, 'Service Unavailable', `the mock's state could not be written (${(error as Error).message}); retry`), {
          ...base,
          ref,
          answer: 'busy',
        });
      }
      if (!turn) {
        return done(problem(404, 'Not Found', `no accepted reservation has the ref ${JSON.stringify(ref)}; refs come from POST /supplier/reserve`), {
          ...base,
          ref,
          answer: 'unknown-ref',
        });
      }
      const answered = { ...base, ref, sku: turn.conv.sku, qty: turn.conv.qty, answer: turn.answer, replay: turn.replay };
      switch (turn.answer) {
        case 'ok':
          return done(json(200, { status: 'cancelled' }), answered);
        case 'too_late':
          return done(json(200, { status: 'too_late' }), answered);
        case 'error':
          return done(
            problem(503, 'Service Unavailable', 'scripted error: the supplier is unavailable; cancel again later with the same Idempotency-Key'),
            answered,
          );
        case 'malformed':
          return done(json(200, { status: 'perhaps' }), answered);
        case 'timeout':
          return done({ kind: 'hang' }, answered);
      }
    },
  };
}
