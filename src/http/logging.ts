/**
 * Structured logs (pino), one JSON object per line, to stderr by default: stdout stays free for
 * the CLI's own output (the listening URL). One line per request (with its request id) and one
 * per order state transition (orderId, from, to, jobId, attempt); job retries and dead letters too.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Bus } from '../app/bus.js';
import type { Tracing } from '../ports/tracing.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * `tracing` (when on) puts the active span's ids on every line written inside it: `trace_id` and
 * `span_id`, as OpenTelemetry's log conventions name them, so a line leads to its trace.
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream, tracing?: Tracing): Logger {
  const mixin = tracing?.enabled
    ? () => {
        const span = tracing.active();
        return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
      }
    : undefined;
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, mixin }, destination ?? pino.destination({ dest: 2, sync: true }));
}

/** A client's X-Request-Id is kept when it is short and plain; otherwise a fresh UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
}

/** Log the engine's events; returns a function that stops it. */
export function logEngineEvents(bus: Bus, log: Logger): () => void {
  const offs = [
    bus.on('order:transition', (t) =>
      log.info({ orderId: t.orderId, from: t.from, to: t.to, jobId: t.jobId, attempt: t.attempt, at: new Date(t.at).toISOString() }, 'order transition'),
    ),
    bus.on('job:retry', (r) =>
      log.warn(
        {
          jobId: r.job.id,
          orderId: r.job.orderId,
          type: r.job.type,
          attempt: r.job.attempt,
          owner: r.owner,
          counted: r.counted,
          error: r.error,
          retryAt: new Date(r.retryAt).toISOString(),
        },
        r.counted ? 'job retry' : `job deferred (${r.owner} trouble, no attempt spent)`,
      ),
    ),
    bus.on('job:parked', (p) =>
      log.error(
        { jobId: p.job.id, orderId: p.job.orderId, type: p.job.type, reason: p.reason },
        'job parked: it waits for an operator (`warehouse jobs resume`)',
      ),
    ),
    bus.on('job:unsettled', (u) =>
      log.warn(
        { jobId: u.job.id, orderId: u.job.orderId, owner: u.owner, error: u.error },
        "a job's end could not be committed; it runs again when its lease expires",
      ),
    ),
    bus.on('runner:state', (r) =>
      r.state === 'degraded' ? log.error({ reason: r.reason }, 'job runner degraded: retrying') : log.debug({ state: r.state }, 'job runner state'),
    ),
    bus.on('job:dead', (d) =>
      log.error({ jobId: d.job.id, orderId: d.job.orderId, type: d.job.type, attempt: d.job.attempt, error: d.error }, 'job dead-lettered'),
    ),
    bus.on('job:start', (s) => log.debug({ jobId: s.job.id, orderId: s.job.orderId, type: s.job.type, attempt: s.job.attempt }, 'job start')),
    bus.on('job:complete', (c) =>
      log.debug({ jobId: c.job.id, orderId: c.job.orderId, type: c.job.type, outcome: c.outcome, ms: Math.round(c.durationMs) }, 'job complete'),
    ),
    bus.on('job:lost', (l) => log.warn({ jobId: l.job.id, orderId: l.job.orderId }, 'job lease lost to another runner')),
    bus.on('listener:error', (e) => log.error({ event: e.event, err: e.error }, 'engine listener error')),
  ];
  return () => offs.forEach((off) => off());
}
