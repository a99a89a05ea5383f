/**
 * Stream tickets (src/http/tickets.ts, docs/security.md): beyond loopback the event stream needs the
 * read scope, and a browser's EventSource cannot send an Authorization header; the dashboard trades
 * its token for a ticket that opens one stream, once, within 30 s, and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketBook, maskTicket } from '../../src/http/tickets.js';
import { freshDatabase, runCli } from '../helpers.js';
import { testServer, type TestServer } from './support.js';

async function makeToken(db: string, name: string, scope: string): Promise<string> {
  const r = await runCli(['--db', db, 'token', 'create', '--name', name, '--scope', scope]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').at(-1)!;
}

/** Opens the stream and reads its first chunk (then closes it): status, content type and that chunk. */
async function openStream(url: string) {
  const aborter = new AbortController();
  const res = await fetch(url, { signal: aborter.signal });
  let first = '';
  if (res.ok && res.body) {
    const reader = res.body.getReader();
    first = new TextDecoder().decode((await reader.read()).value);
  } else first = await res.text();
  aborter.abort();
  return { status: res.status, type: res.headers.get('content-type') ?? '', first };
}

describe('the event stream beyond loopback', () => {
  let server: TestServer;
  let base: string;
  let reader: string;
  let writer: string;
  const ticket = async (token?: string) => fetch(`${base}/api/events/tickets`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    const db = freshDatabase();
    reader = await makeToken(db, 'page', 'read');
    writer = await makeToken(db, 'shop', 'orders:write');
    server = await testServer({ db, runner: false, host: '0.0.0.0' });
    base = `http://127.0.0.1:${new URL(server.url).port}`;
  });
  afterAll(() => server?.close());

  it('opens with a ticket taken with a read token, once, where it would not open without a header', async () => {
    expect((await openStream(`${base}/api/events`)).status).toBe(401);
    const issued = await ticket(reader);
    expect(issued.status).toBe(201);
    const body = (await issued.json()) as { ticket: string; expiresAt: string };
    expect(body.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());

    const stream = await openStream(`${base}/api/events?ticket=${body.ticket}`);
    expect(stream.status).toBe(200);
    expect(stream.type).toMatch(/^text\/event-stream/);
    expect(stream.first).toContain('event: hello');

    // used: a reconnect with the same URL needs a new ticket
    const again = await openStream(`${base}/api/events?ticket=${body.ticket}`);
    expect(again.status).toBe(401);
    expect(again.first).toContain('used or expired');
  });

  it('is given only for a token that may read, and opens nothing but the stream', async () => {
    expect((await ticket()).status).toBe(401);
    const refused = await ticket(writer);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ missingScope: 'read' });

    const { ticket: t } = (await (await ticket(reader)).json()) as { ticket: string };
    expect((await fetch(`${base}/api/inventory?ticket=${t}`)).status).toBe(401);
    expect((await fetch(`${base}/api/orders`, { method: 'POST', body: '{"sku":"A","qty":1}', headers: { 'content-type': 'application/json' } })).status).toBe(
      401,
    );
    // still unused: the stream opens with it
    expect((await openStream(`${base}/api/events?ticket=${t}`)).status).toBe(200);
  });
});

describe('the ticket book', () => {
  it('redeems a ticket once, and not once it has expired', () => {
    let now = 1_000;
    const book = createTicketBook(() => now, 30_000);
    const a = book.issue();
    const b = book.issue();
    expect(a.expiresAt).toBe(31_000);
    expect(book.redeem(a.ticket)).toBe(true);
    expect(book.redeem(a.ticket)).toBe(false);
    now = 31_000;
    expect(book.redeem(b.ticket)).toBe(false);
    expect(book.redeem('made-up')).toBe(false);
  });

  it('holds a bounded number: past it the oldest ticket is dropped', () => {
    const book = createTicketBook(() => 0, 30_000, 2);
    const [a, b, c] = [book.issue(), book.issue(), book.issue()];
    expect(book.redeem(a.ticket)).toBe(false);
    expect(book.redeem(b.ticket)).toBe(true);
    expect(book.redeem(c.ticket)).toBe(true);
  });

  it('is masked in the request log', () => {
    expect(maskTicket('/api/events?lastEventId=x-1&ticket=SECRET')).toBe('/api/events?lastEventId=x-1&ticket=***');
  });
});
