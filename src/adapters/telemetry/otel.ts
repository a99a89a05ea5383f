/**
 * The Tracing port on OpenTelemetry (@opentelemetry/api 1.9, sdk-trace-base 2.12). Loaded only
 * when tracing is on (src/wiring/tracing.ts imports it dynamically). A provider of its own per
 * engine (never the global one, so several engines, and tests, live side by side); the context
 * manager (AsyncLocalStorage) is the process's global one, registered on first use.
 *
 * Job headers (ports/tracing.ts): `traceparent`/`tracestate` of the producer span and
 * `warehouse-root`, the order's root span in the same traceparent format. A consumer span's
 * parent is the root, and it links to the producer.
 */
import {
  context,
  createContextKey,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type HrTime,
  type Span as OtelSpan,
  type SpanContext,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Resource } from '@opentelemetry/resources';
import type { Clock } from '../../ports/clock.js';
import type { Attributes, JobHeaders, Span, SpanKind as PortKind, Tracing } from '../../ports/tracing.js';

export const ROOT_HEADER = 'warehouse-root';
const ROOT = createContextKey('warehouse.order-root');
const propagator = new W3CTraceContextPropagator();

const KINDS: Record<PortKind, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

let contextManager: AsyncLocalStorageContextManager | null = null;
function ensureContextManager(): void {
  if (contextManager) return;
  contextManager = new AsyncLocalStorageContextManager().enable();
  // false when another manager was registered first (an application embedding us): keep that one
  if (!context.setGlobalContextManager(contextManager)) contextManager.disable();
}

const msToHr = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

function clean(attributes: Attributes | undefined): Record<string, string | number | boolean | string[]> {
  const out: Record<string, string | number | boolean | string[]> = {};
  if (!attributes) return out;
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

interface Timing {
  now(): HrTime | undefined;
  virtual(): boolean;
}

/** The port's Span over an SDK span (one object per span, methods on the prototype). */
class Handle implements Span {
  private ended = false;
  private readonly wallStart = performance.now();
  constructor(
    private readonly s: OtelSpan,
    private readonly t: Timing,
  ) {}
  get traceId() {
    return this.s.spanContext().traceId;
  }
  get spanId() {
    return this.s.spanContext().spanId;
  }
  setAttributes(a: Attributes) {
    this.s.setAttributes(clean(a));
  }
  addEvent(name: string, a?: Attributes, at?: number) {
    this.s.addEvent(name, clean(a), at === undefined ? this.t.now() : msToHr(at));
  }
  fail(error: unknown) {
    const e = error instanceof Error ? error : new Error(String(error));
    const { kind, code, owner } = e as { kind?: unknown; code?: unknown; owner?: unknown };
    this.s.recordException(e, this.t.now());
    // the most specific name of what went wrong: a supplier error's kind (timeout, http_error, …), a code, the class
    this.s.setAttribute('error.type', typeof kind === 'string' ? kind : typeof code === 'string' ? code : e.name);
    if (typeof owner === 'string') this.s.setAttribute('warehouse.fault.owner', owner);
    this.s.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  }
  rename(name: string) {
    this.s.updateName(name);
  }
  end() {
    if (this.ended) return;
    this.ended = true;
    // in virtual time a transaction takes no time on the span's clock: say how long it really took
    if (this.t.virtual()) this.s.setAttribute('warehouse.wall_duration_ms', Math.round((performance.now() - this.wallStart) * 1000) / 1000);
    this.s.end(this.t.now());
  }
}

export interface OtelTracingOptions {
  resource: Resource;
  spanProcessors: SpanProcessor[];
}

export function createOtelTracing({ resource, spanProcessors }: OtelTracingOptions): Tracing {
  ensureContextManager();
  const provider = new BasicTracerProvider({ resource, spanProcessors });
  const tracer = provider.getTracer('warehouse', '0.1.0');
  let clock: Clock | null = null;
  /** span times: the virtual clock's in virtual time; the SDK's own (high-resolution wall time) otherwise */
  const now = (): HrTime | undefined => (clock?.mode === 'virtual' ? msToHr(clock.now()) : undefined);
  const handles = new WeakMap<OtelSpan, Span>();

  const timing: Timing = { now, virtual: () => clock?.mode === 'virtual' };
  function handle(s: OtelSpan): Span {
    let h = handles.get(s);
    if (!h) handles.set(s, (h = new Handle(s, timing)));
    return h;
  }

  /** The context's order root: the span a job's runs hang from. */
  const rootOf = (ctx: Context): SpanContext | undefined => (ctx.getValue(ROOT) as SpanContext | undefined) ?? trace.getSpanContext(ctx);

  function extract(traceparent: string | undefined, tracestate: string | undefined): SpanContext | undefined {
    if (!traceparent) return undefined;
    const carrier: Record<string, string> = { traceparent, ...(tracestate ? { tracestate } : {}) };
    return trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
  }

  function headersOf(ctx: Context): Record<string, string> {
    const carrier: Record<string, string> = {};
    propagator.inject(ctx, carrier, defaultTextMapSetter);
    return carrier;
  }

  async function run<T>(s: OtelSpan, ctx: Context, fn: (span: Span) => Promise<T>): Promise<T> {
    const h = handle(s);
    return context.with(ctx, async () => {
      try {
        return await fn(h);
      } catch (error) {
        h.fail(error);
        throw error;
      } finally {
        h.end();
      }
    });
  }

  return {
    enabled: true,
    useClock(c) {
      clock = c;
    },
    inSpan(name, opts, fn) {
      const parent = context.active();
      const s = tracer.startSpan(name, { kind: KINDS[opts.kind ?? 'internal'], attributes: clean(opts.attributes), startTime: now() }, parent);
      let ctx = trace.setSpan(parent, s);
      // the first span of a trace is the root of the orders created in it
      if (!trace.getSpanContext(parent)) ctx = ctx.setValue(ROOT, s.spanContext());
      return run(s, ctx, fn);
    },
    active() {
      const s = trace.getSpan(context.active());
      return s ? handle(s) : null;
    },
    bind: (fn) => context.bind(context.active(), fn),
    produce(name, attributes) {
      const parent = context.active();
      const s = tracer.startSpan(name, { kind: SpanKind.PRODUCER, attributes: clean(attributes), startTime: now() }, parent);
      const headers = headersOf(trace.setSpan(parent, s));
      const root = rootOf(parent) ?? s.spanContext();
      headers[ROOT_HEADER] = headersOf(trace.setSpanContext(ROOT_CONTEXT, root)).traceparent!;
      return { span: handle(s), headers };
    },
    consume(name, headers: JobHeaders | undefined, attributes, fn) {
      const producer = extract(headers?.traceparent, headers?.tracestate);
      const root = extract(headers?.[ROOT_HEADER], headers?.tracestate);
      const parentSc = root ?? producer;
      const parent = parentSc ? trace.setSpanContext(ROOT_CONTEXT, parentSc) : ROOT_CONTEXT;
      const s = tracer.startSpan(
        name,
        { kind: SpanKind.CONSUMER, attributes: clean(attributes), links: root && producer ? [{ context: producer }] : [], startTime: now(), root: !parentSc },
        parent,
      );
      const ctx = trace.setSpan(parent, s).setValue(ROOT, parentSc ?? s.spanContext());
      return run(s, ctx, fn);
    },
    serve(request, attributes, handleRequest) {
      const parent = propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
      const s = tracer.startSpan(request.method, { kind: SpanKind.SERVER, attributes: clean(attributes), startTime: now() }, parent);
      const ctx = trace.setSpan(parent, s).setValue(ROOT, s.spanContext());
      const h = handle(s);
      context.with(ctx, () => handleRequest(h, (emitter) => void context.bind(ctx, emitter)));
    },
    inject: () => headersOf(context.active()),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
