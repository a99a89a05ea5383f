/**
 * Structured logs (pino), one JSON object per line, to stderr by default: stdout stays free for
 * the CLI's own output (the listening URL). One line per request (with its request id) and one
 * per order state transition (orderId, from, to, jobId, attempt); job retries and dead letters too.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Bus } from '../app/bus.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination({ dest: 2, sync: true }));
}

/** A client's X-Request-Id is kept when it is short and plain; otherwise a fresh UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
}

/** Log the engine's events; returns a function that stops it. */
export function logEngineEvents(bus: Bus, log: Logger): () => void {
  const offs = [
    bus.on('order:transition', (t) => log.info({ orderId: t.orderId, from: t.from, to: t.to, jobId: t.jobId, attempt: t.attempt, at: new Date(t.at).toISOString() }, 'order transition')),
    bus.on('job:retry', (r) => log.warn({ jobId: r.job.id, orderId: r.job.orderId, type: r.job.type, attempt: r.job.attempts, error: r.error, retryAt: new Date(r.retryAt).toISOString() }, 'job retry')),
    bus.on('job:dead', (d) => log.error({ jobId: d.job.id, orderId: d.job.orderId, type: d.job.type, attempt: d.job.attempts, error: d.error }, 'job dead-lettered')),
    bus.on('job:start', (s) => log.debug({ jobId: s.job.id, orderId: s.job.orderId, type: s.job.type, attempt: s.job.attempts }, 'job start')),
    bus.on('job:complete', (c) => log.debug({ jobId: c.job.id, orderId: c.job.orderId, type: c.job.type, outcome: c.outcome, ms: Math.round(c.durationMs) }, 'job complete')),
    bus.on('job:lost', (l) => log.warn({ jobId: l.job.id, orderId: l.job.orderId }, 'job lease lost to another runner')),
    bus.on('listener:error', (e) => log.error({ event: e.event, err: e.error }, 'engine listener error')),
  ];
  return () => offs.forEach((off) => off());
}
