/**
 * What happens to a connection before and around routing: the timeouts, and the errors Node's
 * HTTP parser meets before Fastify sees a request (a bad request line, headers over 16 KiB, a
 * request that never finishes arriving). Each leaves as problem+json with an X-Request-Id, like
 * every other answer, and is logged with that id.
 *
 * Timeouts (docs/http.md, "Limits"):
 * - the whole request (request line, headers and body) must arrive within `requestMs` (10 s) of
 *   its first byte; a connection that sends nothing gets the same 408 `requestMs` after it opened.
 *   Node checks its own request timeout only every `connectionsCheckingInterval` (30 s by default,
 *   which made a 10 s timeout fire after up to 40 s): the interval is set to a twentieth of the
 *   timeout (at most 500 ms). Node's headers timeout must be given with it, at construction: Fastify
 *   sets `requestTimeout` on the server after Node has derived a 60 s headers timeout from its own
 *   default, and Node, finding the headers timeout the longer, swaps the two — a request whose
 *   headers had arrived (a GET whose body still trickled in after it was answered) then had 60 s,
 *   not 10. A body being read by a route gets its own deadline here too (the time left of
 *   `requestMs`), so that its 408 is answered through the error handler while the request is open.
 * - a kept-alive connection idle for `keepAliveMs` (5 s) after a response is closed;
 * - a socket with no traffic at all for `idleMs` (60 s) is closed, whatever it is doing.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import { problem, PROBLEM_TYPE, sendProblem } from './problem.js';

export interface Timeouts {
  /** the whole request must arrive within this, from its first byte */
  requestMs: number;
  /** a socket without any traffic for this long is closed */
  idleMs: number;
  /** a kept-alive connection idle for this long after a response is closed */
  keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { requestMs: 10_000, idleMs: 60_000, keepAliveMs: 5_000 };

/** A request body that had not arrived whole when the request's time ran out. */
export class RequestTimeoutError extends Error {
  readonly statusCode = 408;
  readonly code = 'WAREHOUSE_REQUEST_TIMEOUT';
}

const seconds = (ms: number) => `${ms / 1000} s`;

/** The parts of Fastify's options that shape the connection. */
export function connectionOptions(timeouts: Timeouts, log: () => FastifyInstance['log']): Partial<FastifyHttpOptions<Server>> {
  const http: ServerOptions = {
    requestTimeout: timeouts.requestMs,
    headersTimeout: timeouts.requestMs,
    connectionsCheckingInterval: Math.min(500, Math.max(25, Math.floor(timeouts.requestMs / 20))),
    // a missing Host is answered by the onRequest hook below (problem+json), not by Node's empty 400
    requireHostHeader: false,
  };
  return {
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http,
    clientErrorHandler: (error, socket) => answerClientError(error, socket, timeouts, log()),
  };
}

interface ParserSocket extends Socket {
  /** Node's HTTP parser while it reads a request; `duration()` is ms since the request's first byte */
  parser?: { duration?: () => number } | null;
  _httpMessage?: { headersSent?: boolean } | null;
}

/**
 * Node's `clientError`: the request could not be parsed, or did not arrive in time. Answered on
 * the raw socket (there is no request object), then the socket is closed.
 */
function answerClientError(error: Error & { code?: string }, socket: ParserSocket, timeouts: Timeouts, log: FastifyInstance['log']): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const id = randomUUID();
  const [status, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, `the request did not arrive whole within ${seconds(timeouts.requestMs)}; send it again, faster`]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are larger than 16 KiB; send fewer or shorter headers']
        : [400, `the request could not be parsed as HTTP/1.1 (${error.code ?? 'malformed'}): check the request line and headers`];
  log.info({ reqId: id, status, code: error.code, remote: socket.remoteAddress }, 'client error');
  // a response already under way on this socket must not be corrupted: only close it
  if (socket.writable && !socket._httpMessage?.headersSent) {
    const body = JSON.stringify(problem(status, detail));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroySoon();
}

/**
 * A copy of `payload` that fails with RequestTimeoutError if it has not ended within `ms`. The
 * deadline ends with the body, or with the copy (the request answered or abandoned): a client
 * that hangs up mid-body, or a request refused before its body was read, leaves no timer behind,
 * and an error nobody reads any more is dropped rather than thrown (it would end the process).
 */
function withDeadline(payload: Readable, ms: number): Readable {
  const out = new PassThrough();
  out.on('error', () => {}); // the body parser, while it reads, has its own listener and gets the error
  const timer = setTimeout(
    () => {
      payload.unpipe(out);
      out.destroy(new RequestTimeoutError(`the request body did not arrive whole within the request's time; send it again, faster`));
    },
    Math.max(0, ms),
  );
  const clear = () => clearTimeout(timer);
  payload.on('end', clear);
  payload.on('close', clear);
  out.on('close', clear);
  payload.on('error', (error) => {
    clear();
    out.destroy(error);
  });
  payload.pipe(out);
  return out;
}

/**
 * Hooks that run before any other: a missing Host (HTTP/1.1) is a 400, and a body still arriving
 * when the request's time runs out is a 408 (the connection is then closed).
 */
export function installConnectionGuards(app: FastifyInstance, timeouts: Timeouts): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.httpVersion === '1.1' && !request.headers.host) {
      return sendProblem(reply.header('connection', 'close'), problem(400, 'an HTTP/1.1 request needs a Host header'));
    }
  });
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.raw.complete) return payload;
    const elapsed = (request.raw.socket as ParserSocket).parser?.duration?.() ?? 0;
    const body = withDeadline(payload, timeouts.requestMs - elapsed);
    // answered (or the client gone) before the body was read: the deadline has nothing left to guard
    request.raw.once('close', () => body.destroy());
    return body;
  });
}
