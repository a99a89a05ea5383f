/**
 * Event streams are bounded (docs/security.md): per server and per client address (503 with
 * Retry-After past either), a replay written only as fast as the client reads it, and a client
 * that stops reading dropped once its unsent bytes pass a bound. The figures for 300 streams that
 * never read are measured by bench/streams.ts.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventHub, MAX_UNSENT_BYTES } from '../../src/http/routes/events.js';
import { connectionLimit, openFileLimit } from '../../src/http/descriptors.js';
import { testWarehouse } from '../helpers.js';
import { openStream, type Stream } from '../dashboard/sse.js';
import { testServer, type TestServer } from './support.js';

const open: Stream[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
const stream = async (server: TestServer) => {
  const s = await openStream(`${server.url}/api/events`);
  open.push(s);
  return s;
};

async function until(ok: () => Promise<boolean>, ms = 5_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await ok()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('the number of event streams', () => {
  it('is capped per client address: past it 503 problem+json with Retry-After, and a closed stream frees its place', async () => {
    const server = await testServer({ runner: false, streamLimits: { maxPerClient: 2 } });
    const first = await stream(server);
    expect((await stream(server)).status).toBe(200);
    const refused = await stream(server);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await server.call('GET', '/healthz')).status).toBe(200);
    first.close();
    expect(await until(async () => (await stream(server)).status === 200)).toBe(true);
    await server.close();
  });

  it('is capped per server', async () => {
    const server = await testServer({ runner: false, streamLimits: { maxStreams: 3 } });
    for (let i = 0; i < 3; i++) expect((await stream(server)).status).toBe(200);
    const refused = await stream(server);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    await server.close();
  });
});

/** a response that takes `accept` writes, then reports a full buffer until `drain` */
function slowResponse(accept: number) {
  const written: string[] = [];
  const r = Object.assign(new EventEmitter(), {
    writableLength: 0,
    destroyed: false,
    write(s: string) {
      written.push(s);
      return written.length <= accept;
    },
    end() {},
    destroy() {
      r.destroyed = true;
    },
  });
  return { written, res: r as unknown as ServerResponse & { writableLength: number; destroyed: boolean } & EventEmitter };
}

describe('a replay', () => {
  it('is written only as fast as the client reads it', async () => {
    const w = await testWarehouse();
    const { hub, attach, epoch } = createEventHub(w, { ringSize: 2_000 });
    for (let i = 0; i < 2_000; i++) hub.publish('stock:changed', { sku: `S${i}` });
    const client = slowResponse(3);
    attach(client.res, `${epoch}-0`);
    // 'retry', then events until the first refused write: the rest waits for the socket to drain
    const events = () => client.written.filter((f) => f.startsWith('id:')).length;
    expect(events()).toBe(3);
    hub.publish('stock:changed', { sku: 'LIVE' });
    expect(events()).toBe(3);
    client.res.emit('drain');
    expect(events()).toBe(4);
    let guard = 0;
    while (events() < 2_001 && guard++ < 5_000) client.res.emit('drain');
    const ids = client.written.filter((f) => f.startsWith('id:')).map((f) => Number(/-(\d+)\n/.exec(f)![1]));
    expect(ids).toEqual(Array.from({ length: 2_001 }, (_, i) => i + 1));
    hub.close();
    await w.close();
  });

  it('drops a live client that stopped reading once its unsent bytes pass the bound', async () => {
    const w = await testWarehouse();
    const { hub, attach } = createEventHub(w);
    const client = slowResponse(Number.POSITIVE_INFINITY);
    attach(client.res, undefined);
    expect(hub.clients).toBe(1);
    client.res.writableLength = MAX_UNSENT_BYTES + 1;
    hub.publish('stock:changed', { sku: 'A' });
    expect(client.res.destroyed).toBe(true);
    expect(hub.clients).toBe(0);
    hub.close();
    await w.close();
  });
});

describe('file descriptors', () => {
  it('keeps a reserve: the server takes connections only up to the open-file limit less a reserve', async () => {
    expect(openFileLimit(() => 'Max open files            1024                 1048576              files\n')).toBe(1024);
    expect(connectionLimit(1024)).toBe(1024 - 103);
    expect(connectionLimit(100_000)).toBe(90_000);
    const server = await testServer({ runner: false });
    const limit = openFileLimit();
    expect(server.app.server.maxConnections).toBe(limit === null ? Number.POSITIVE_INFINITY : connectionLimit(limit));
    await server.close();
  });
});
