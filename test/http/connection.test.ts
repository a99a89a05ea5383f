/**
 * Issue 10 items 3 and 4, with real slow clients on raw sockets: the timeouts fire when the
 * documentation says (not up to 30 s late, as Node's default connectionsCheckingInterval made
 * them), and every error raised before routing (408, 431, a bad request line, a missing Host) is
 * problem+json with an X-Request-Id.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { tempDb } from '../helpers.js';
import { exchange, parse, trickle } from './raw-socket.js';
import { rowCounts } from './support.js';

const REQUEST_MS = 1_500;
/** how late a close may be: Node checks every REQUEST_MS / 20 (75 ms), plus scheduling on a busy machine */
const LATE_MS = 650;

function expectProblem(text: string, status: number, detail: RegExp) {
  const r = parse(text);
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(r.headers['x-request-id']).toMatch(/^[\w.:-]{1,64}$/);
  expect(r.body).toMatchObject({ type: 'about:blank', status, detail: expect.stringMatching(detail) });
  return r;
}

describe('timeouts, measured with slow clients', () => {
  let server: RunningServer;
  let db: string;
  beforeAll(async () => {
    db = tempDb();
    server = await startServer({
      port: 0,
      database: db,
      logLevel: 'silent',
      runner: false,
      rateLimitPerMinute: 0,
      timeouts: { requestMs: REQUEST_MS, keepAliveMs: 1_000 },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 408 and closes a connection that sends nothing, when the request time runs out', async () => {
    const r = await exchange(server.url, () => undefined);
    expectProblem(r.text, 408, /did not arrive whole within 1\.5 s/);
    expect(r.closedAfter).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect(r.closedAfter).toBeLessThan(REQUEST_MS + LATE_MS);
  });

  it('answers 408 to headers sent a line at a time, counted from their first byte', async () => {
    const lines = ['GET /healthz HTTP/1.1\r\n', 'Host: localhost\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: 1\r\n`)];
    const r = await exchange(server.url, (s) => trickle(s, lines, 100));
    expectProblem(r.text, 408, /did not arrive whole/);
    expect(r.closedAfter).toBeGreaterThanOrEqual(REQUEST_MS);
    expect(r.closedAfter).toBeLessThan(REQUEST_MS + 100 + LATE_MS);
  });

  it('answers 408 to a body sent a byte at a time, stores nothing and closes the connection', async () => {
    const before = rowCounts(db);
    const body = JSON.stringify({ sku: 'SLOW', qty: 1 }) + ' '.repeat(60);
    const head = `POST /api/order HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await exchange(server.url, (s) => {
      s.write(head);
      trickle(s, [...body], 50);
    });
    // the body's own deadline and Node's request timeout end together: whichever fires first answers
    // (Node 22's check interval can come first), with the same 408
    expectProblem(r.text, 408, /did not arrive whole/);
    expect(r.closedAfter).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect(r.closedAfter).toBeLessThan(REQUEST_MS + LATE_MS);
    expect(rowCounts(db)).toEqual(before);
  });

  // before the fix, the deadline fired on a body nobody read any more and threw an 'error' nobody
  // listened to: the server process died (here: vitest reports it as an unhandled error, failing the run)
  it('lives on when a client hangs up mid-body, or is answered before its body arrives (no deadline left to fire)', async () => {
    const body = JSON.stringify({ sku: 'GONE', qty: 1 });
    // 1: the client sends half a body and hangs up
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.write(`POST /api/order HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    // 2: refused at once (unsupported media type) while its body is still on its way
    const early = await exchange(server.url, (s) => {
      s.write(`POST /api/order HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    });
    expect(parse(early.text).status).toBe(415);
    // past both requests' deadlines, the server still answers
    await new Promise((r) => setTimeout(r, REQUEST_MS + 300));
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('closes a kept-alive connection once it has been idle for the keep-alive time', async () => {
    const r = await exchange(server.url, (s) => s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    expect(parse(r.text).status).toBe(200);
    // Node closes a second after the `Keep-Alive: timeout` it announces, so clients close first
    expect(r.text).toMatch(/Keep-Alive: timeout=1\b/i);
    expect(r.closedAfter).toBeLessThan(1_000 + 1_000 + LATE_MS);
  });

  it('closes a socket without any traffic after the idle time, when that is the shorter', async () => {
    const idle = await startServer({ port: 0, database: tempDb(), logLevel: 'silent', runner: false, timeouts: { requestMs: 10_000, idleMs: 700 } });
    const r = await exchange(idle.url, () => undefined);
    await idle.close();
    expect(r.closedAfter).toBeGreaterThanOrEqual(650);
    expect(r.closedAfter).toBeLessThan(700 + LATE_MS);
  });
});

// Issue 18 defect 4: the promise holds at any time in the server's life, not only on a fresh one
describe('timeouts after the server has served traffic of every kind', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      port: 0,
      database: tempDb(),
      logLevel: 'silent',
      runner: false,
      rateLimitPerMinute: 0,
      timeouts: { requestMs: REQUEST_MS, keepAliveMs: 1_000 },
    });
    // a kept-alive GET, a stored order, a request refused before its body arrived, one whose
    // client hung up mid-body, one that timed out: each leaves its parser to the next connection
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);
    const order = await fetch(`${server.url}/api/order`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"AFTER","qty":1}' });
    expect(order.status).toBe(201);
    const early = await exchange(server.url, (s) =>
      s.write('POST /api/order HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: 50\r\n\r\n<a'),
    );
    expect(parse(early.text).status).toBe(415);
    const gone = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise<void>((resolve) => gone.on('connect', resolve));
    gone.write('POST /api/order HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"sk');
    gone.destroy();
    expect(parse((await exchange(server.url, () => undefined)).text).status).toBe(408);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 408 and closes a connection that sends nothing, when the request time runs out', async () => {
    const r = await exchange(server.url, () => undefined);
    expectProblem(r.text, 408, /did not arrive whole within 1\.5 s/);
    expect(r.closedAfter).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect(r.closedAfter).toBeLessThan(REQUEST_MS + LATE_MS);
  });

  // before the fix, Node's headers timeout (60 s, derived before Fastify set the request timeout)
  // was the longer of the two, so Node swapped them: a request whose headers had arrived had 60 s
  it('closes a connection whose request body still trickles in after it was answered, when the request time runs out', async () => {
    const r = await exchange(
      server.url,
      (s) => {
        s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
        trickle(
          s,
          Array.from({ length: 1000 }, () => ' '),
          100,
        );
      },
      REQUEST_MS * 4,
    );
    expect(parse(r.text).status).toBe(200); // answered at once; the 408 that follows is for the body
    expect(r.closedAfter).toBeLessThan(REQUEST_MS + LATE_MS);
  });
});

describe('errors before routing', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, database: tempDb(), logLevel: 'silent', runner: false });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a bad request line with 400 problem+json', async () => {
    const r = await exchange(server.url, (s) => s.write('GARBAGE\r\n\r\n'));
    expectProblem(r.text, 400, /could not be parsed as HTTP\/1\.1/);
  });

  it('answers a 20 KB header with 431 problem+json', async () => {
    const r = await exchange(server.url, (s) => s.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expectProblem(r.text, 431, /headers are larger than 16 KiB/);
  });

  it('answers an HTTP/1.1 request without Host with 400 problem+json, and serves HTTP/1.0 without one', async () => {
    const r = await exchange(server.url, (s) => s.write('GET /healthz HTTP/1.1\r\n\r\n'));
    expectProblem(r.text, 400, /needs a Host header/);
    const old = await exchange(server.url, (s) => s.write('GET /healthz HTTP/1.0\r\n\r\n'));
    expect(parse(old.text)).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
