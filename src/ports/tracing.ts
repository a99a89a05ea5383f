/**
 * Tracing port (docs/design.md §14): the spans the engine opens around its work, so that one order's
 * life — an HTTP request or a CLI command, its jobs, their supplier calls and transactions —
 * reads as one trace, across processes. The OpenTelemetry adapter (src/adapters/telemetry/) is
 * loaded only when tracing is turned on; otherwise NO_TRACING answers every call for nothing.
 *
 * Glossary:
 * - **span**: one timed piece of work (a request, a job run, a transaction, a supplier call),
 *   with attributes and events; spans nest (parent and children) and form a **trace**.
 * - **active span**: the span the current asynchronous flow runs in; new spans are its children.
 * - **job headers** (domain/jobs.ts): how a trace crosses the queue. A job is enqueued with the
 *   W3C trace context of a **producer** span (`traceparent`, `tracestate`) and of the order's
 *   **root** span (`warehouse-root`, same format); the **consumer** span of each run is a child of
 *   the root and links to the producer (docs/decisions.md, "One trace per order").
 *
 * Times: spans take their times from the Clock given to `useClock` (virtual time: the virtual
 * clock's), so a trace of a virtual run shows the 45 s the order lived, not the milliseconds it took.
 */
import type { JobHeaders } from '../domain/jobs.js';
import type { Clock } from './clock.js';

export type { JobHeaders };

export type AttributeValue = string | number | boolean | string[];
/** undefined and null values are left out */
export type Attributes = Record<string, AttributeValue | undefined | null>;

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
}

export interface Span {
  /** 32 hex digits ('' when tracing is off) */
  readonly traceId: string;
  /** 16 hex digits ('' when tracing is off) */
  readonly spanId: string;
  setAttributes(attributes: Attributes): void;
  /** a moment in the span (an order's state change), at clock time `at` (epoch ms; default now) */
  addEvent(name: string, attributes?: Attributes, at?: number): void;
  /** the span's work failed: records the error and marks the span's status as an error */
  fail(error: unknown): void;
  rename(name: string): void;
  /** idempotent */
  end(): void;
}

/** What one incoming HTTP request gives the server span. */
export interface IncomingRequest {
  method: string;
  /** the request's headers (for `traceparent`) */
  headers: Record<string, string | string[] | undefined>;
}

export interface Tracing {
  /** false for NO_TRACING: callers may skip building attributes */
  readonly enabled: boolean;
  /** Span times come from this clock from now on. */
  useClock(clock: Clock): void;
  /**
   * Runs `fn` with a new span active: a child of the active span, or the first of a new trace.
   * The span ends when `fn` settles; a throw marks it failed and is rethrown.
   */
  inSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T>;
  /** The active span, or null outside any span. */
  active(): Span | null;
  /**
   * `fn` bound to the current context: wherever it is called later (a batched commit, a timer),
   * spans it opens are children of the span that is active now.
   */
  bind<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  /**
   * A producer span for a job enqueued now (child of the active span) and the headers that carry
   * its context (and the order's root) to the job's runs. The caller ends it when the enqueueing
   * transaction has committed (or fails it).
   */
  produce(name: string, attributes: Attributes): { span: Span; headers: JobHeaders };
  /**
   * Runs one run of a job in a consumer span restored from its headers (a child of the order's
   * root, linked to the producer), or in the first span of a new trace when it has none.
   */
  consume<T>(name: string, headers: JobHeaders | undefined, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T>;
  /**
   * Handles one incoming HTTP request inside a server span that continues the caller's trace (its
   * `traceparent`, if any): `handle` runs at once with the span active, and the listeners of the
   * emitters it passes to `bind` (the request, the response) run in the span too. The caller ends
   * the span when the response has finished.
   */
  serve(request: IncomingRequest, attributes: Attributes, handle: (span: Span, bind: (emitter: NodeJS.EventEmitter) => void) => void): void;
  /** The W3C trace context of the active span, to send with an outgoing request. */
  inject(): Record<string, string>;
  /** Export what has ended so far. */
  flush(): Promise<void>;
  /** Export what is left and stop. */
  shutdown(): Promise<void>;
}

const NO_SPAN: Span = {
  traceId: '',
  spanId: '',
  setAttributes() {},
  addEvent() {},
  fail() {},
  rename() {},
  end() {},
};

/** Tracing turned off: every call costs a function call and nothing is recorded. */
export const NO_TRACING: Tracing = {
  enabled: false,
  useClock() {},
  inSpan: (_name, _opts, fn) => fn(NO_SPAN),
  active: () => null,
  bind: (fn) => fn,
  produce: () => ({ span: NO_SPAN, headers: {} }),
  consume: (_name, _headers, _attributes, fn) => fn(NO_SPAN),
  serve: (_request, _attributes, handle) => handle(NO_SPAN, () => {}),
  inject: () => ({}),
  flush: async () => {},
  shutdown: async () => {},
};

/** Where an enabled tracer sends spans (decided by wiring/tracing.ts, carried out by the telemetry adapter). */
export interface TracingPlan {
  file: string | null;
  otlp: { url: string; protocol: 'http/protobuf' | 'http/json' } | null;
  exporters: unknown[];
  command: string | null;
}
