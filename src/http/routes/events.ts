/**
 * GET /api/events: the engine's bus as server-sent events (text/event-stream), for the dashboard.
 *
 * - Each engine event is one SSE event named like the bus event (`order:event`,
 *   `order:transition`, `job:enqueued`, `job:start`, `job:complete`, `job:retry`, `job:dead`,
 *   `job:parked`, `job:lost`, `job:unsettled`, `runner:state`), plus `stock:changed` (a stock count
 *   or restock through this API) and `supplier:script` (a script set through this API), with a
 *   JSON `data` line and an `id:` line `<epoch>-<n>`: n grows by one per event, epoch names this
 *   server process.
 * - Resume: a client that reconnects with `Last-Event-ID` (browsers do it by themselves; or
 *   `?lastEventId=`) gets every event it missed from a ring of the last RING_SIZE events. When
 *   its id is older than the ring, or from another process (the server restarted), it gets a
 *   `reset` event instead: reload your state, then follow the stream.
 * - A new stream starts with `hello` (the current id, the clock). `clock` events (a paced clock
 *   moved or changed mode) are snapshots: at most five a second, never replayed; read
 *   GET /api/clock after a reconnect.
 * - A comment line every HEARTBEAT_MS keeps proxies and the server's idle timeout from closing a
 *   quiet stream. A client that reads too slowly (over MAX_UNSENT_BYTES unsent) is dropped; it
 *   reconnects and resumes.
 * - Bounded (docs/security.md): at most MAX_STREAMS streams per server and MAX_STREAMS_PER_CLIENT
 *   per client address; past them a new stream gets 503 with Retry-After. A replay is written only
 *   as fast as the client reads it (the next event once the socket drained), so a client that asks
 *   for the whole ring and never reads holds a few kilobytes, not the ring.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { z } from '../../kit/zod.js';
import { isPaced } from '../../ports/clock.js';
import type { BusEvents } from '../../app/bus.js';
import { eventJson } from '../../app/json.js';
import type { Job } from '../../domain/jobs.js';
import type { Warehouse } from '../../wiring/warehouse.js';
import { problem, sendProblem } from '../errors.js';
import { documented } from '../openapi.js';
import { ANY_REQUEST, ok, P, PUBLIC, WRITE_SECURITY } from '../schemas.js';
import { TICKET_TTL_MS, type TicketBook } from '../tickets.js';
import type { ZodApp } from '../types.js';
import { pacedJson } from './clock.js';

export const RING_SIZE = 2_000;
export const HEARTBEAT_MS = 15_000;
/** unsent bytes a live stream may hold before its client is dropped (it reconnects and resumes) */
export const MAX_UNSENT_BYTES = 256 * 1024;
export const MAX_STREAMS = 100;
export const MAX_STREAMS_PER_CLIENT = 10;
/** what a refused stream is told to wait */
const RETRY_AFTER_S = 5;
const CLOCK_EVERY_MS = 200;

export interface EventHub {
  /** publish an event to every stream (buffered for resume unless `snapshot`) */
  publish(type: string, data: unknown, snapshot?: boolean): void;
  readonly clients: number;
  close(): void;
}

const iso = (ms: number) => new Date(ms).toISOString();
const jobLite = (j: Job) => ({ id: j.id, type: j.type, orderId: j.orderId, attempt: j.attempt, runAt: iso(j.runAt) });

/** How each bus event goes on the wire (JSON-friendly: ISO times, jobs without payloads). */
const WIRE: { [K in keyof BusEvents]?: (p: BusEvents[K]) => unknown } = {
  'order:event': (e) => ({ orderId: e.orderId, ...eventJson(e) }),
  'order:transition': (t) => ({ orderId: t.orderId, from: t.from, to: t.to, at: iso(t.at), jobId: t.jobId ?? null, attempt: t.attempt ?? null }),
  'job:enqueued': (e) => e,
  'job:start': (e) => ({ job: jobLite(e.job), at: iso(e.at) }),
  'job:complete': (e) => ({ job: jobLite(e.job), outcome: e.outcome, durationMs: Math.round(e.durationMs * 100) / 100 }),
  'job:retry': (e) => ({ job: jobLite(e.job), error: e.error, owner: e.owner, counted: e.counted, retryAt: iso(e.retryAt) }),
  'job:dead': (e) => ({ job: jobLite(e.job), error: e.error }),
  'job:parked': (e) => ({ job: jobLite(e.job), reason: e.reason }),
  'job:lost': (e) => ({ job: jobLite(e.job) }),
  'job:unsettled': (e) => ({ job: jobLite(e.job), error: e.error, owner: e.owner }),
  'runner:state': (e) => ({ state: e.state, reason: e.reason, at: iso(e.at) }),
};

export interface StreamLimits {
  /** streams per server (default 100) */
  maxStreams?: number;
  /** streams per client address (default 10) */
  maxPerClient?: number;
}

/** A stream: its response, its client's address, and where its replay is (null: it follows live events). */
interface Client {
  res: ServerResponse;
  address: string;
  replayAfter: number | null;
}

export function createEventHub(w: Warehouse, opts: { ringSize?: number; heartbeatMs?: number } & StreamLimits = {}) {
  const ringSize = opts.ringSize ?? RING_SIZE;
  const maxStreams = opts.maxStreams ?? MAX_STREAMS;
  const maxPerClient = opts.maxPerClient ?? MAX_STREAMS_PER_CLIENT;
  const epoch = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  let seq = 0;
  /** the last events, seq contiguous: ring[i].seq === ring[0].seq + i */
  const ring: Array<{ seq: number; frame: string }> = [];
  const clients = new Set<Client>();
  const perAddress = new Map<string, number>();

  const drop = (c: Client) => {
    if (!clients.delete(c)) return;
    const n = (perAddress.get(c.address) ?? 1) - 1;
    if (n > 0) perAddress.set(c.address, n);
    else perAddress.delete(c.address);
  };

  const write = (c: Client, frame: string) => {
    if (c.res.writableLength > MAX_UNSENT_BYTES) {
      drop(c);
      c.res.destroy();
      return;
    }
    c.res.write(frame);
  };

  /** Writes a client's replay, one event at a time, waiting for the socket to drain between them. */
  const pump = (c: Client) => {
    while (c.replayAfter !== null && clients.has(c)) {
      const oldest = ring[0]?.seq ?? seq + 1;
      if (c.replayAfter >= seq) c.replayAfter = null;
      else if (c.replayAfter < oldest - 1) {
        // the ring moved past what this slow reader had left to read
        const current = `${epoch}-${seq}`;
        c.replayAfter = null;
        c.res.write(
          `id: ${current}\nevent: reset\ndata: ${JSON.stringify({ id: current, reason: 'the stream was read too slowly: reload the state, then follow the stream' })}\n\n`,
        );
      } else {
        const frame = ring[c.replayAfter + 1 - oldest]!.frame;
        c.replayAfter++;
        if (!c.res.write(frame)) {
          c.res.once('drain', () => pump(c));
          return;
        }
      }
    }
  };

  const hub: EventHub = {
    publish(type, data, snapshot = false) {
      let frame = `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
      if (!snapshot) {
        seq++;
        frame = `id: ${epoch}-${seq}\n${frame}`;
        ring.push({ seq, frame });
        if (ring.length > ringSize) ring.shift();
      }
      // a client still replaying gets this event from the ring, in order
      for (const c of clients) if (c.replayAfter === null) write(c, frame);
    },
    get clients() {
      return clients.size;
    },
    close() {
      clearInterval(heartbeat);
      if (clockTimer) clearTimeout(clockTimer);
      for (const off of offs) off();
      for (const c of clients) c.res.end();
      clients.clear();
      perAddress.clear();
    },
  };

  const offs = (Object.keys(WIRE) as Array<keyof BusEvents>).map((type) =>
    w.bus.on(type, (payload) => hub.publish(type, (WIRE[type] as (p: unknown) => unknown)(payload))),
  );

  // a paced clock moves up to twenty times a second while playing: send its latest state, throttled
  let clockTimer: NodeJS.Timeout | undefined;
  if (isPaced(w.clock)) {
    const { controls } = w.clock;
    offs.push(
      controls.onChange(() => {
        clockTimer ??= setTimeout(() => {
          clockTimer = undefined;
          hub.publish('clock', pacedJson(controls.state()), true);
        }, CLOCK_EVERY_MS);
      }),
    );
  }

  const heartbeat = setInterval(() => {
    for (const c of clients) if (c.replayAfter === null) write(c, ': heartbeat\n\n');
  }, opts.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();

  /** Why a new stream from `address` is refused (and how long to wait), or null when it may open. */
  function refusal(address: string): { detail: string; retryAfterS: number } | null {
    if (clients.size >= maxStreams)
      return { detail: `this server already holds ${maxStreams} event streams, its limit; retry later`, retryAfterS: RETRY_AFTER_S };
    if ((perAddress.get(address) ?? 0) >= maxPerClient)
      return { detail: `this client address already holds ${maxPerClient} event streams, the limit per client; close one first`, retryAfterS: RETRY_AFTER_S };
    return null;
  }

  /** Attach a response as a stream, resuming after `lastEventId` when it can (call `refusal` first). */
  function attach(res: ServerResponse, lastEventId: string | undefined, address = ''): void {
    const client: Client = { res, address, replayAfter: null };
    res.write('retry: 2000\n\n');
    const m = lastEventId ? /^([a-z0-9]+)-(\d+)$/.exec(lastEventId) : null;
    const after = m && m[1] === epoch ? Number(m[2]) : null;
    const oldest = ring[0]?.seq ?? seq + 1;
    const current = `${epoch}-${seq}`;
    if (lastEventId === undefined) {
      res.write(`id: ${current}\nevent: hello\ndata: ${JSON.stringify({ id: current })}\n\n`);
    } else if (after === null || after < oldest - 1 || after > seq) {
      const why =
        after === null
          ? 'the id is from another server process (it restarted)'
          : `the events after ${lastEventId} are no longer kept (the last ${ringSize} are)`;
      res.write(`id: ${current}\nevent: reset\ndata: ${JSON.stringify({ id: current, reason: `${why}: reload the state, then follow the stream` })}\n\n`);
    } else client.replayAfter = after;
    clients.add(client);
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    res.on('close', () => drop(client));
    pump(client);
  }

  return { hub, attach, refusal, epoch };
}

export type EventStream = ReturnType<typeof createEventHub>;

const eventId = (description: string) =>
  documented(z.string().max(100), { type: 'string', maxLength: 100, description, examples: ['mc1x2y3za1b2c3-42'] }).optional();

/**
 * The stream as the document describes it: lines of SSE fields (`id:`, `event:`, `data:`,
 * `retry:`), comments (`: heartbeat`) and the blank lines that end each event. It never ends: a
 * client reads as long as it wants (test/http/contract.ts reads up to the first event).
 */
const streamText = documented(z.string(), {
  type: 'string',
  pattern: '^(?:(?:id|event|data|retry): [^\\n]*\\n|: [^\\n]*\\n|\\n)*$',
  description:
    'text/event-stream: each event is `id:`, `event:` and one JSON `data:` line, then a blank line; a `: heartbeat` comment every 15 s. The stream never ends.',
  examples: ['retry: 2000\n\nid: mc1x2y3za1b2c3-0\nevent: hello\ndata: {"id":"mc1x2y3za1b2c3-0"}\n\n'],
});

const ticketSchema = z
  .object({
    ticket: z
      .string()
      .meta({ description: 'for GET /api/events?ticket=…: 32 random bytes, base64url', examples: ['kS3x9Q0h1tQb2J0c6o8mZ1uH3w4y5r6t7u8v9w0x1y2'] }),
    expiresAt: z.string().meta({
      description: `when it stops opening a stream (${TICKET_TTL_MS / 1000} s after it was issued), ISO 8601`,
      examples: ['2026-12-06T00:30:00.000Z'],
    }),
  })
  .meta({ description: 'A stream ticket: one stream, once, before expiresAt' });

export function eventRoutes(app: ZodApp, { stream, tickets }: { stream: EventStream; tickets: TicketBook }): void {
  app.get(
    '/api/events',
    {
      schema: {
        operationId: 'streamEvents',
        summary: "The engine's events as server-sent events (text/event-stream), with Last-Event-ID resume",
        description:
          'A stream that never ends: the answer stays open until the client closes it. A tool that generates requests or tests from this document should leave this operation out (it is the only one tagged streams, and it is marked x-never-ends), or read up to the first event and then close. Events: hello, reset (reload your state: the id is too old or from a restarted server), order:event, order:transition, job:enqueued, job:start, job:complete, job:retry, job:dead, job:parked, job:lost, job:unsettled, runner:state, stock:changed, supplier:script, clock (a snapshot, not replayed). Each data line is JSON; ids are <epoch>-<n>. A comment line every 15 s keeps the stream open.',
        tags: ['streams'],
        security: PUBLIC,
        headers: z.looseObject({
          'last-event-id': eventId('the id of the last event received: the missed ones are sent first (or `reset` when they are no longer kept)'),
        }),
        querystring: z.strictObject({
          lastEventId: eventId('the same as the Last-Event-ID header (for a client that cannot set headers)'),
          ticket: z
            .string()
            .max(100)
            .optional()
            .meta({
              description:
                'a stream ticket from POST /api/events/tickets, instead of the Authorization header (an EventSource cannot set it): one stream, once, within 30 s',
              examples: ['kS3x9Q0h1tQb2J0c6o8mZ1uH3w4y5r6t7u8v9w0x1y2'],
            }),
        }),
        response: {
          200: { description: 'an endless stream of events', content: { 'text/event-stream': { schema: streamText } } },
          401: P[401],
          422: P[422],
          ...ANY_REQUEST,
        },
      },
    },
    (request, reply) => {
      const refused = stream.refusal(request.ip);
      if (refused) {
        reply.header('retry-after', String(refused.retryAfterS));
        sendProblem(reply, problem(503, refused.detail));
        return;
      }
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(request.id),
      });
      stream.attach(reply.raw, request.headers['last-event-id'] ?? request.query.lastEventId, request.ip);
    },
  );

  app.post(
    '/api/events/tickets',
    {
      schema: {
        operationId: 'issueStreamTicket',
        summary: 'A ticket that opens one event stream, for a client that cannot send the token with it (EventSource)',
        description:
          "Beyond loopback the event stream needs the read scope, and a browser's EventSource cannot send an Authorization header: send the token here, then open GET /api/events?ticket=<ticket>. A ticket opens one stream, once, within 30 s, and nothing else; a reconnect takes a new one. Needs a token with the read scope, like the stream beyond loopback; a POST, it is open only where writes are (loopback, no token at all).",
        tags: ['teaching'],
        security: WRITE_SECURITY,
        response: {
          201: ok('a ticket for one stream', ticketSchema),
          401: P[401],
          403: P[403],
          429: P[429],
          ...ANY_REQUEST,
        },
      },
    },
    async (_request, reply) => {
      const { ticket, expiresAt } = tickets.issue();
      reply.code(201);
      return { ticket, expiresAt: iso(expiresAt) };
    },
  );
}
